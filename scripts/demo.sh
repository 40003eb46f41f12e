#!/usr/bin/env bash
# Facteur against a local demo mail server, on a fresh Debian/Ubuntu machine:
# installs Dovecot and Postfix if needed, starts private instances on 127.0.0.1 (IMAPS and SMTP
# submission with STARTTLS, with their own CA), creates two demo accounts (the first with a few
# hundred varied messages), and runs Facteur.
#
#   scripts/demo.sh            then open http://127.0.0.1:8080
#
# Everything lives in .demo/ (delete it to start over). Ctrl-C stops Facteur, Dovecot, Postfix.
# Environment: FACTEUR_DEMO_PORT (8080), FACTEUR_DEMO_IMAP_PORT (14143, IMAPS is +850,
# submission +1444, ManageSieve +1445 and its relay +1446), FACTEUR_DEMO_RELEASE=1 for an
# optimized build. Mail to other domains than example.test is accepted and dropped: nothing
# leaves the machine.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
demo="$root/.demo"
web_port=${FACTEUR_DEMO_PORT:-8080}
imap_port=${FACTEUR_DEMO_IMAP_PORT:-14143}
imaps_port=$((imap_port + 850))
submission_port=$((imap_port + 1444))
sieve_port=$((imap_port + 1445))
relay_port=$((imap_port + 1446))
user=demo@example.test
password=demo
friend=friend@example.test

command -v cargo >/dev/null || { echo "demo.sh: Rust (cargo, 1.95 or newer) is needed: https://rustup.rs" >&2; exit 1; }
bash scripts/install-deps.sh --mail

profile=debug; build_flags=()
if [ "${FACTEUR_DEMO_RELEASE:-0}" = 1 ]; then profile=release; build_flags=(--release); fi
cargo build --locked "${build_flags[@]}"

mkdir -p "$demo"
chmod 711 "$demo"
# --fts: body searches answered from a full-text index (fts-xapian); --sieve: rules run at
# delivery, managed over ManageSieve; --hibernate: idle connections cost Dovecot a few KiB.
# Dovecot tells Facteur of each delivery to an Inbox, for new-mail notifications.
push_secret=demo-push-secret
bash scripts/mailserver.sh start --fts --hibernate 30 --sieve "$sieve_port" --sieve-relay "$relay_port" \
    --push "http://dovecot:$push_secret@127.0.0.1:$web_port/push/dovecot" "$demo/mail" "$imap_port" "$imaps_port" "$submission_port"
stop_mail() { bash scripts/mailserver.sh stop "$demo/mail" >/dev/null 2>&1 || true; }
trap stop_mail EXIT
bash scripts/mailserver.sh adduser "$demo/mail" "$user" "$password" "$friend" "$password" >/dev/null
# A hoster's size limit, as the sidebar and "Free up space" show it.
bash scripts/mailserver.sh quota "$demo/mail" "$user" 25M >/dev/null
if [ ! -f "$demo/seeded" ]; then
    python3 scripts/demo-corpus.py --host 127.0.0.1 --port "$imap_port" --user "$user" --password "$password"
    touch "$demo/seeded"
fi

cat <<MSG

  Facteur demo: http://127.0.0.1:$web_port
  Log in as $user with password $password ($friend too, to write to each other)
  (IMAP: Dovecot on 127.0.0.1:$imaps_port, implicit TLS; SMTP: Postfix on
  127.0.0.1:$submission_port, STARTTLS; Ctrl-C stops everything)

MSG
export FACTEUR_LISTEN="127.0.0.1:$web_port" \
    FACTEUR_DATA_DIR="$demo/data" \
    FACTEUR_IMAP_HOST=localhost \
    FACTEUR_IMAP_PORT="$imaps_port" \
    FACTEUR_IMAP_SECURITY=tls \
    FACTEUR_TLS_CA_FILE="$demo/mail/ca.pem" \
    FACTEUR_SMTP_HOST=localhost \
    FACTEUR_SMTP_PORT="$submission_port" \
    FACTEUR_SMTP_SECURITY=starttls \
    FACTEUR_SIEVE_HOST=localhost \
    FACTEUR_SIEVE_PORT="$sieve_port" \
    FACTEUR_SIEVE_SECURITY=starttls \
    FACTEUR_COOKIE_SECURE=false \
    FACTEUR_PUSH_DOVECOT_SECRET="$push_secret"
"target/$profile/facteur" serve &
facteur_pid=$!
trap 'kill "$facteur_pid" 2>/dev/null || true; wait "$facteur_pid" 2>/dev/null || true; stop_mail' EXIT
# The demo account's rules on the mail server (filters, a vacation reply), written once through
# Facteur's own pages.
if [ ! -f "$demo/rules-seeded" ]; then
    for _ in $(seq 100); do
        "target/$profile/facteur" healthcheck >/dev/null 2>&1 && break
        sleep 0.1
    done
    python3 scripts/demo-rules.py --url "http://127.0.0.1:$web_port" --user "$user" --password "$password" --friend "$friend" \
        && touch "$demo/rules-seeded"
fi
wait "$facteur_pid"
