#!/usr/bin/env bash
# Entry point of the demo mail container (docker/mail/Dockerfile).
#
# Starts Dovecot and Postfix with scripts/mailserver.sh in MAIL_DIR, listening on every address
# of the container (MAILSERVER_LISTEN=0.0.0.0): IMAP 143, IMAPS 993, submission 587,
# submissions 465, ManageSieve 4190. Sets the account MAIL_USER with MAIL_PASSWORD (created, or its password
# replaced), then stays in the foreground printing the servers' logs. SIGTERM (docker stop)
# stops both gracefully; if Dovecot or Postfix dies, the container exits with status 1.
#
# More accounts, while it runs:
#   docker compose exec mail bash /usr/local/lib/facteur/mailserver.sh adduser /srv/mail USER PASSWORD
set -euo pipefail

mailserver=/usr/local/lib/facteur/mailserver.sh
dir=${MAIL_DIR:-/srv/mail}
user=${MAIL_USER:-demo@example.test}
password=${MAIL_PASSWORD:-demo}
export MAILSERVER_LISTEN=${MAILSERVER_LISTEN:-0.0.0.0}

# Nothing of this container runs yet: pid files left in the volume by a previous container
# name processes of another pid namespace, and a reused pid would look like a running server.
rm -f "$dir/run/master.pid" "$dir/postfix-queue/pid/master.pid"

bash "$mailserver" start --hibernate 30 --sieve 4190 --sieve-relay 10025 "$dir" 143 993 587 465
bash "$mailserver" adduser "$dir" "$user" "$password"
echo "entrypoint: account $user ready; CA certificate in $dir/ca.pem"

tail_pid=
sleep_pid=
stop() {
    trap - TERM INT
    echo "entrypoint: stopping Dovecot and Postfix"
    if [ -n "$sleep_pid" ]; then kill "$sleep_pid" 2>/dev/null || true; fi
    if [ -n "$tail_pid" ]; then kill "$tail_pid" 2>/dev/null || true; fi
    bash "$mailserver" stop "$dir" || true
    exit "${1:-0}"
}
trap 'stop 0' TERM INT

tail -n 0 -F "$dir/dovecot.log" "$dir/dovecot-info.log" "$dir/postfix.log" 2>/dev/null &
tail_pid=$!

# Both must keep running; `wait` on a background sleep lets SIGTERM through at once.
while status=$(bash "$mailserver" status "$dir" 2>&1) && [[ $status == *"postfix running"* ]]; do
    sleep 5 &
    sleep_pid=$!
    wait "$sleep_pid" || true
    sleep_pid=
done
echo "entrypoint: a server stopped: $status" >&2
stop 1
