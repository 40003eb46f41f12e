#!/usr/bin/env bash
# Private Dovecot instance for Facteur's tests and demo.
#
# Everything (config, TLS material, logs, state, mail) lives under one
# directory DIR, so several instances can run side by side on different ports.
#
#   scripts/mailserver.sh start   DIR IMAP_PORT IMAPS_PORT
#   scripts/mailserver.sh adduser DIR USER PASSWORD [USER PASSWORD...]
#   scripts/mailserver.sh deluser DIR USER
#   scripts/mailserver.sh kick    DIR USER
#   scripts/mailserver.sh stop    [--fast] DIR
#   scripts/mailserver.sh status  DIR
#
# start    creates DIR, a CA and a server certificate (once), the config, and
#          starts Dovecot listening on 127.0.0.1 only: IMAP_PORT (plain, with
#          STARTTLS) and IMAPS_PORT (implicit TLS). Waits until both ports
#          accept connections (10 s at most). Restarts an instance already
#          running in DIR.
# adduser  adds or replaces USER (localpart@domain) in DIR/users; usable at
#          once by a running instance (waits < 1 s for Dovecot to notice).
# kick     disconnects every IMAP connection of USER (a server-side drop:
#          the client reads "* BYE Server shutting down.").
# stop     graceful stop (about 1 s); --fast kills at once (throwaway DIRs).
#
# Prefer a short DIR (e.g. `mktemp -d /tmp/fxd.XXXX`): Dovecot puts unix
# sockets in its base_dir and socket paths are limited to ~107 bytes. When DIR
# is longer than 40 characters, base_dir goes to a short directory under /tmp,
# recorded in DIR/base_dir.path (and removed by `stop`).
#
# Files in DIR:
#   ca.pem                 CA certificate to trust (FACTEUR_TLS_CA_FILE)
#   server.pem server.key  leaf certificate (DNS:localhost, IP:127.0.0.1) signed by the CA
#   ca.key dh.pem          CA private key; DH parameters
#   dovecot.conf           generated config (rewritten at every start)
#   users                  passwd-file (USER:{PLAIN}PASSWORD)
#   dovecot.log            errors and warnings; dovecot-info.log: logins, deliveries
#   dovecot.stdout/.stderr output of the master process
#   run/                   base_dir: sockets (LMTP: run/lmtp), master.pid
#   state/                 state_dir
#   mail/DOMAIN/LOCALPART/Maildir   mail, owned by the system user facteur-vmail
#
# Requires root (Dovecot's master starts as root and drops privileges).

set -euo pipefail

VMAIL_USER=facteur-vmail
WAIT_SECONDS=${FACTEUR_MAILSERVER_WAIT:-10}
SOCKET_DIR_MAX=40   # longest DIR whose base_dir may live inside it
LOG_OFFSET=0

die() { echo "mailserver.sh: $*" >&2; exit 1; }

usage() {
    awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0" >&2
    exit 2
}

abs_dir() {
    # Absolute path without requiring it to exist.
    case "$1" in
        /*) printf '%s\n' "${1%/}" ;;
        *) printf '%s/%s\n' "$(pwd)" "${1%/}" ;;
    esac
}

need_root() {
    [ "$(id -u)" = 0 ] || die "must run as root (Dovecot's master starts as root)"
}

need_tools() {
    local t
    for t in dovecot doveadm openssl; do
        command -v "$t" >/dev/null 2>&1 || die "$t not found (apt-get install dovecot-imapd dovecot-lmtpd openssl)"
    done
}

# The base_dir of the instance in DIR (sockets, master.pid).
base_dir_of() {
    local dir=$1
    if [ -f "$dir/base_dir.path" ]; then
        cat "$dir/base_dir.path"
    else
        printf '%s/run\n' "$dir"
    fi
}

# True when PID runs (a zombie, exited but not yet reaped by init, does not).
alive() {
    local state
    state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
    [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

master_pid() {
    local dir=$1 bd pid
    bd=$(base_dir_of "$dir")
    [ -f "$bd/master.pid" ] || return 1
    pid=$(cat "$bd/master.pid" 2>/dev/null) || return 1
    [ -n "$pid" ] || return 1
    alive "$pid" || return 1
    # Guard against a recycled pid.
    grep -qa dovecot "/proc/$pid/cmdline" 2>/dev/null || return 1
    printf '%s\n' "$pid"
}

ensure_vmail_user() {
    # Serialized: several instances may start at the same time.
    (
        flock 8
        if ! getent passwd "$VMAIL_USER" >/dev/null; then
            getent group "$VMAIL_USER" >/dev/null || groupadd --system "$VMAIL_USER"
            useradd --system --gid "$VMAIL_USER" --no-create-home --home-dir /nonexistent \
                --shell /usr/sbin/nologin "$VMAIL_USER"
        fi
    ) 8>/tmp/.facteur-vmail.lock || die "could not create system user $VMAIL_USER"
    getent passwd "$VMAIL_USER" >/dev/null || die "could not create system user $VMAIL_USER"
}

make_tls() {
    local dir=$1
    if [ -s "$dir/ca.pem" ] && [ -s "$dir/server.pem" ] && [ -s "$dir/server.key" ]; then
        return 0
    fi
    local tmp
    tmp=$(mktemp -d "$dir/.tls.XXXXXX")
    (
        set -e
        cd "$tmp"
        umask 077
        openssl ecparam -name prime256v1 -genkey -noout -out ca.key 2>/dev/null
        openssl req -new -x509 -sha256 -key ca.key -days 3650 \
            -subj "/O=Facteur test/CN=Facteur test CA" \
            -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
            -addext "keyUsage=critical,keyCertSign,cRLSign" \
            -addext "subjectKeyIdentifier=hash" \
            -set_serial "0x$(openssl rand -hex 8)" \
            -out ca.pem 2>/dev/null
        openssl ecparam -name prime256v1 -genkey -noout -out server.key 2>/dev/null
        openssl req -new -sha256 -key server.key -subj "/O=Facteur test/CN=localhost" \
            -out server.csr 2>/dev/null
        cat >leaf.ext <<'EOF'
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
EOF
        openssl x509 -req -sha256 -in server.csr -CA ca.pem -CAkey ca.key \
            -set_serial "0x$(openssl rand -hex 8)" -days 3650 -extfile leaf.ext \
            -out server.pem 2>/dev/null
        openssl verify -CAfile ca.pem server.pem >/dev/null
    ) || { rm -rf "$tmp"; die "openssl failed to create the CA and server certificate"; }
    chmod 644 "$tmp/ca.pem" "$tmp/server.pem"
    chmod 600 "$tmp/ca.key" "$tmp/server.key"
    mv -f "$tmp/ca.key" "$tmp/ca.pem" "$tmp/server.key" "$tmp/server.pem" "$dir/"
    rm -rf "$tmp"
}

write_config() {
    local dir=$1 imap_port=$2 imaps_port=$3 base_dir=$4
    local uid gid instance
    uid=$(id -u "$VMAIL_USER")
    gid=$(id -g "$VMAIL_USER")
    instance="facteur-$(printf '%s' "$dir" | cksum | cut -d' ' -f1)"
    cat >"$dir/dovecot.conf.tmp" <<EOF
# Generated by scripts/mailserver.sh for a private Facteur test instance.
# Regenerated at every start: edit the script, not this file.

instance_name = $instance
base_dir = $base_dir
state_dir = $dir/state
protocols = imap lmtp
listen = 127.0.0.1
shutdown_clients = yes
# No statistics: processes would otherwise connect to the stats service, and a
# login process caught by a shutdown waits 5 s for its handshake.
stats_writer_socket_path =

log_path = $dir/dovecot.log
info_log_path = $dir/dovecot-info.log
debug_log_path = $dir/dovecot-info.log
log_timestamp = "%Y-%m-%d %H:%M:%S "
auth_verbose = yes
verbose_proctitle = yes

ssl = yes
ssl_cert = <$dir/server.pem
ssl_key = <$dir/server.key
ssl_min_protocol = TLSv1.2
ssl_dh = <$dir/dh.pem

disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
# No growing delays after failed logins (Dovecot's auth penalty): tests log in
# with wrong passwords on purpose, from one address, many times.
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
auth_cache_size = 0

first_valid_uid = $uid
last_valid_uid = $uid
first_valid_gid = $gid
last_valid_gid = $gid

passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $dir/users
}
userdb {
  driver = passwd-file
  args = username_format=%u $dir/users
  default_fields = uid=$VMAIL_USER gid=$VMAIL_USER home=$dir/mail/%d/%n
  override_fields = uid=$VMAIL_USER gid=$VMAIL_USER home=$dir/mail/%d/%n
}

mail_location = maildir:~/Maildir:LAYOUT=fs
mail_uid = $VMAIL_USER
mail_gid = $VMAIL_USER

namespace inbox {
  inbox = yes
  separator = /
  prefix =
  mailbox Drafts {
    special_use = \\Drafts
    auto = subscribe
  }
  mailbox Sent {
    special_use = \\Sent
    auto = subscribe
  }
  mailbox Archive {
    special_use = \\Archive
    auto = subscribe
  }
  mailbox Junk {
    special_use = \\Junk
    auto = subscribe
  }
  mailbox Trash {
    special_use = \\Trash
    auto = subscribe
  }
}

protocol imap {
  mail_max_userip_connections = 20
}

# Benchmarks hold a thousand connections (500 users, two each).
service imap {
  process_limit = 2048
}
default_client_limit = 4096

service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $imap_port
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $imaps_port
    ssl = yes
  }
}

# LMTP delivery socket, for a local MTA (e.g. lmtp:unix:$base_dir/lmtp).
service lmtp {
  unix_listener lmtp {
    mode = 0666
  }
}
EOF
    mv -f "$dir/dovecot.conf.tmp" "$dir/dovecot.conf"
}

wait_port() {
    local port=$1
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
}

# Print what Dovecot wrote since this start (LOG_OFFSET: size of dovecot.log
# before it).
show_logs() {
    local dir=$1 f
    for f in dovecot.stderr dovecot.stdout; do
        if [ -s "$dir/$f" ]; then
            echo "--- $dir/$f (tail)" >&2
            tail -n 30 "$dir/$f" >&2
        fi
    done
    if [ -s "$dir/dovecot.log" ]; then
        echo "--- $dir/dovecot.log (since this start, tail)" >&2
        tail -c +$((LOG_OFFSET + 1)) "$dir/dovecot.log" | tail -n 30 >&2
    fi
}

cmd_start() {
    [ $# -eq 3 ] || usage
    local dir imap_port imaps_port
    dir=$(abs_dir "$1"); imap_port=$2; imaps_port=$3
    case "$imap_port$imaps_port" in *[!0-9]*|'') die "ports must be numbers" ;; esac
    [ "$imap_port" != "$imaps_port" ] || die "IMAP_PORT and IMAPS_PORT must differ"
    need_root
    need_tools

    mkdir -p "$dir"
    # Dovecot's auth process (user dovecot) and mail processes (facteur-vmail)
    # must be able to traverse DIR.
    chmod 0711 "$dir"

    if master_pid "$dir" >/dev/null; then
        echo "mailserver.sh: an instance is already running in $dir; restarting it" >&2
        cmd_stop "$dir"
    fi

    ensure_vmail_user

    # base_dir: inside DIR when short enough, else a short directory in /tmp.
    local base_dir
    if [ ${#dir} -le $SOCKET_DIR_MAX ]; then
        rm -f "$dir/base_dir.path"
        base_dir="$dir/run"
    else
        if [ -f "$dir/base_dir.path" ] && [ -d "$(cat "$dir/base_dir.path")" ]; then
            base_dir=$(cat "$dir/base_dir.path")
        else
            base_dir=$(mktemp -d /tmp/fxb.XXXXXX)
            printf '%s\n' "$base_dir" >"$dir/base_dir.path"
        fi
    fi
    mkdir -p "$base_dir" "$dir/state" "$dir/mail"
    chmod 0755 "$base_dir"
    local vuid vgid
    vuid=$(id -u "$VMAIL_USER"); vgid=$(id -g "$VMAIL_USER")
    if [ "$(stat -c %u:%g "$dir/mail")" != "$vuid:$vgid" ]; then
        # Fresh DIR, or the system user was re-created with other ids.
        chown -R "$vuid:$vgid" "$dir/mail"
    fi
    chmod 0700 "$dir/mail"

    if ! runuser -u "$VMAIL_USER" -- test -x "$dir"; then
        die "$dir is not reachable by $VMAIL_USER (a parent directory is not traversable); use a DIR under /tmp"
    fi

    make_tls "$dir"
    # Dovecot 2.3 wants DH parameters for DHE ciphers; reuse Debian's shipped
    # RFC 7919 group instead of generating one (slow).
    if [ ! -s "$dir/dh.pem" ]; then
        if [ -s /usr/share/dovecot/dh.pem ]; then
            cp /usr/share/dovecot/dh.pem "$dir/dh.pem"
        else
            openssl dhparam -dsaparam -out "$dir/dh.pem" 2048 2>/dev/null \
                || die "could not create DH parameters"
        fi
    fi

    [ -f "$dir/users" ] || : >"$dir/users"
    fix_users_perms "$dir"

    write_config "$dir" "$imap_port" "$imaps_port" "$base_dir"

    local check
    if ! check=$(dovecot -c "$dir/dovecot.conf" -n 2>&1 >/dev/null); then
        echo "$check" >&2
        die "invalid generated config $dir/dovecot.conf"
    fi

    LOG_OFFSET=$(stat -c %s "$dir/dovecot.log" 2>/dev/null || echo 0)
    : >"$dir/dovecot.stdout"
    : >"$dir/dovecot.stderr"
    if ! dovecot -c "$dir/dovecot.conf" </dev/null >>"$dir/dovecot.stdout" 2>>"$dir/dovecot.stderr"; then
        show_logs "$dir"
        die "dovecot failed to start"
    fi

    local deadline=$((SECONDS + WAIT_SECONDS)) ok=0
    while [ $SECONDS -le $deadline ]; do
        if ! master_pid "$dir" >/dev/null && [ -s "$dir/dovecot.log" ] \
                && tail -c +$((LOG_OFFSET + 1)) "$dir/dovecot.log" | grep -q 'Fatal'; then
            break
        fi
        if wait_port "$imap_port" && wait_port "$imaps_port"; then
            ok=1
            break
        fi
        sleep 0.1
    done
    if [ $ok != 1 ]; then
        show_logs "$dir"
        local pid
        if pid=$(master_pid "$dir"); then kill "$pid" 2>/dev/null || true; fi
        die "dovecot did not accept connections on 127.0.0.1:$imap_port and :$imaps_port within ${WAIT_SECONDS}s"
    fi
    echo "dovecot running: pid $(master_pid "$dir"), imap 127.0.0.1:$imap_port, imaps 127.0.0.1:$imaps_port, CA $dir/ca.pem, base_dir $base_dir"
}

fix_users_perms() {
    local dir=$1
    # The passwd-file is read by the auth process, which runs as Dovecot's
    # internal user.
    local group
    group=$(id -gn dovecot 2>/dev/null || echo root)
    chown "root:$group" "$dir/users"
    chmod 0640 "$dir/users"
}

# Rewrite DIR/users with USER's line replaced (or removed when LINE is empty),
# atomically, and with an mtime strictly newer than before so that Dovecot
# (which compares mtimes in whole seconds) re-reads it at the next lookup.
rewrite_users() {
    local dir=$1 user=$2 line=$3
    local users="$dir/users" tmp old_mtime new_mtime now
    [ -d "$dir" ] || die "no such directory: $dir"
    [ -f "$users" ] || : >"$users"
    exec 9>"$dir/.users.lock"
    flock 9
    old_mtime=$(stat -c %Y "$users")
    tmp=$(mktemp "$dir/.users.XXXXXX")
    awk -F: -v u="$user" '$1 != u' "$users" >"$tmp"
    if [ -n "$line" ]; then
        printf '%s\n' "$line" >>"$tmp"
    fi
    now=$(date +%s)
    new_mtime=$now
    if [ "$new_mtime" -le "$old_mtime" ]; then
        new_mtime=$((old_mtime + 1))
    fi
    touch -d "@$new_mtime" "$tmp"
    mv -f "$tmp" "$users"
    fix_users_perms "$dir"
    flock -u 9
    exec 9>&-
}

cmd_adduser() {
    [ $# -ge 3 ] && [ $(( ($# - 1) % 2 )) -eq 0 ] || usage
    local dir user password scheme value
    dir=$(abs_dir "$1"); shift
    need_root
    while [ $# -gt 0 ]; do
        user=$1; password=$2; shift 2
        case "$user" in
            *:*|*' '*|'') die "invalid user name: '$user'" ;;
        esac
        case "$user" in
            *@*) ;;
            *) die "user must look like localpart@domain (got '$user')" ;;
        esac
        # {PLAIN} stores the password as is. A password that the passwd-file
        # format cannot hold verbatim (':' separates fields; line breaks) is
        # stored base64-encoded instead: {PLAIN.b64}.
        if [[ "$password" == *:* || "$password" == *$'\n'* || "$password" == *$'\r'* ]]; then
            scheme=PLAIN.b64
            value=$(printf '%s' "$password" | base64 -w0)
        else
            scheme=PLAIN
            value=$password
        fi
        rewrite_users "$dir" "$user" "$user:{$scheme}$value::::::"
        echo "user $user set in $dir/users"
    done
    wait_auth_resync "$dir"
}

# Dovecot's auth process stats the passwd-file at most once per wall-clock
# second. Once the clock has moved to the next second, the next login sees the
# new file: wait for that (< 1 s) so that the change is usable immediately.
wait_auth_resync() {
    local dir=$1
    master_pid "$dir" >/dev/null || return 0
    local now
    now=$(date +%s.%N)
    sleep "$(awk -v t="$now" 'BEGIN { s = int(t) + 1 - t + 0.02; printf "%.3f", s }')"
}

cmd_deluser() {
    [ $# -eq 2 ] || usage
    local dir
    dir=$(abs_dir "$1")
    need_root
    rewrite_users "$dir" "$2" ""
    echo "user $2 removed from $dir/users"
    wait_auth_resync "$dir"
}

cmd_stop() {
    local fast=0
    if [ "${1:-}" = --fast ]; then fast=1; shift; fi
    [ $# -eq 1 ] || usage
    local dir pid
    dir=$(abs_dir "$1")
    need_root
    if pid=$(master_pid "$dir"); then
        if [ $fast = 1 ]; then
            # Throwaway instances: no need for Dovecot's graceful shutdown,
            # which takes 1-3 s. Kill the master's children, then the master.
            local children
            children=$(pgrep -P "$pid" || true)
            kill -KILL "$pid" 2>/dev/null || true
            # shellcheck disable=SC2086
            [ -z "$children" ] || kill -KILL $children 2>/dev/null || true
        else
            kill -TERM "$pid" 2>/dev/null || true
        fi
        local deadline=$((SECONDS + WAIT_SECONDS))
        while alive "$pid" && [ $SECONDS -le $deadline ]; do
            sleep 0.1
        done
        if alive "$pid"; then
            echo "mailserver.sh: master $pid still alive after ${WAIT_SECONDS}s, killing it" >&2
            kill -KILL "$pid" 2>/dev/null || true
            sleep 0.2
        fi
        echo "dovecot in $dir stopped (pid $pid)"
    else
        echo "dovecot in $dir is not running"
    fi
    # Wait until the listening ports are released, so that a new instance can
    # be started on them right away.
    local port i
    if [ -f "$dir/dovecot.conf" ]; then
        for port in $(awk '$1 == "port" && $2 == "=" { print $3 }' "$dir/dovecot.conf"); do
            for i in $(seq 1 50); do
                wait_port "$port" || break
                sleep 0.1
            done
        done
    fi
    if [ -f "$dir/base_dir.path" ]; then
        local bd
        bd=$(cat "$dir/base_dir.path")
        case "$bd" in /tmp/fxb.*) rm -rf "$bd" ;; esac
        rm -f "$dir/base_dir.path"
    fi
}

cmd_kick() {
    [ $# -eq 2 ] || usage
    local dir
    dir=$(abs_dir "$1")
    need_root
    master_pid "$dir" >/dev/null || die "dovecot in $dir is not running"
    doveadm -c "$dir/dovecot.conf" kick "$2"
}

cmd_status() {
    [ $# -eq 1 ] || usage
    local dir pid
    dir=$(abs_dir "$1")
    if pid=$(master_pid "$dir"); then
        echo "running (pid $pid, base_dir $(base_dir_of "$dir"))"
    else
        echo "not running"
        return 3
    fi
}

[ $# -ge 1 ] || usage
sub=$1
shift
case "$sub" in
    start) cmd_start "$@" ;;
    stop) cmd_stop "$@" ;;
    adduser) cmd_adduser "$@" ;;
    deluser) cmd_deluser "$@" ;;
    kick) cmd_kick "$@" ;;
    status) cmd_status "$@" ;;
    -h|--help|help) usage ;;
    *) usage ;;
esac
