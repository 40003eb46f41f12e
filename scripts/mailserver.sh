#!/usr/bin/env bash
# Private Dovecot (IMAP, LMTP) and, optionally, Postfix (submission) instances
# for Facteur's tests and demo.
#
# Everything (config, TLS material, logs, state, mail, queue) lives under one
# directory DIR, so several instances can run side by side on different ports.
#
#   scripts/mailserver.sh start    [--minimal [--capabilities "CAP ..."]] [--fts] [--sieve PORT --sieve-relay PORT] [--connection-limit N] [--hibernate SECONDS] [--users N] [--push URL] [STARTTLS OPTIONS] DIR IMAP_PORT IMAPS_PORT [SUBMISSION_PORT [SUBMISSIONS_PORT]]
#   scripts/mailserver.sh adduser  DIR USER PASSWORD [USER PASSWORD...]
#   scripts/mailserver.sh deluser  DIR USER
#   scripts/mailserver.sh addalias DIR ALIAS USER
#   scripts/mailserver.sh kick     DIR USER
#   scripts/mailserver.sh deny     DIR USER RIGHTS [FOLDER]
#   scripts/mailserver.sh quota    DIR USER LIMIT
#   scripts/mailserver.sh smtp-stop  DIR
#   scripts/mailserver.sh smtp-start DIR
#   scripts/mailserver.sh stop     [--fast] DIR
#   scripts/mailserver.sh status   DIR
#
# start    creates DIR, a CA and a server certificate (once), the config, and
#          starts Dovecot listening on 127.0.0.1 only: IMAP_PORT (plain, with
#          STARTTLS) and IMAPS_PORT (implicit TLS). Waits until both ports
#          accept connections (10 s at most). Restarts an instance already
#          running in DIR.
#          With SUBMISSION_PORT, also starts a private Postfix on 127.0.0.1:
#          SUBMISSION_PORT (plain, STARTTLS offered) and SUBMISSIONS_PORT
#          (implicit TLS), same certificate as Dovecot. AUTH PLAIN/LOGIN
#          through Dovecot's users, allowed without TLS; only authenticated
#          clients may submit, and only from their own address or an alias
#          given to them (addalias): otherwise 553 5.7.1 at RCPT TO. Mail for
#          the domains of DIR/users goes to Dovecot by LMTP (unknown users of
#          those domains are rejected at RCPT TO: 550 5.1.1); mail for any other
#          domain is accepted and discarded: nothing leaves the machine.
#          Messages up to 60 MB. Both listeners take XCLIENT from loopback
#          (a webmail passing on its user's address); Dovecot trusts loopback's
#          ID and XCLIENT likewise (login_trusted_networks), and its auth
#          penalty is on, as by default.
#          STARTTLS OPTIONS add listeners that refuse to authenticate before
#          STARTTLS, so that a client that skips STARTTLS fails instead of
#          silently logging in in plain text:
#            --imap-starttls-port PORT        Dovecot on 127.0.0.2:PORT: LOGIN
#                and AUTHENTICATE are refused until STARTTLS (LOGINDISABLED).
#                Not on 127.0.0.1: Dovecot treats a connection whose source and
#                destination addresses are equal as secure and then allows
#                plain text logins anyway; a client connecting to 127.0.0.2
#                comes from 127.0.0.1. The certificate also names 127.0.0.2.
#            --submission-starttls-port PORT  Postfix on 127.0.0.1:PORT: AUTH
#                is offered only after STARTTLS, and mail is refused without it
#                (needs SUBMISSION_PORT).
#          IMAP_PORT and SUBMISSION_PORT keep accepting plain text logins.
#          --minimal makes Dovecot behave like a minimal IMAP server (as
#          Courier-IMAP does by default): the user's folders live under the
#          personal namespace "INBOX." with separator ".", no folder is created
#          in advance and none carries a special-use flag, and only Courier's
#          capabilities are advertised (IMAP4rev1 UIDPLUS CHILDREN NAMESPACE
#          THREAD SORT QUOTA IDLE ENABLE, no MOVE, SPECIAL-USE, CONDSTORE,
#          QRESYNC, NOTIFY, LIST-STATUS, ESEARCH or PREVIEW); the greeting
#          names Courier-IMAP, whose IDLE clients cannot rely on.
#          --capabilities "CAP ..." (with --minimal) advertises these instead,
#          e.g. without UIDPLUS.
#          --sieve PORT runs the users' Sieve rules at delivery (Pigeonhole,
#          Debian's dovecot-sieve and dovecot-managesieved) and ManageSieve
#          (RFC 5804) on 127.0.0.1:PORT, plain with STARTTLS. Vacation replies
#          and redirects are handed to the Postfix of DIR on 127.0.0.1 at the
#          --sieve-relay PORT (no AUTH, from 127.0.0.1 only), so they reach
#          local users and nothing leaves the machine. Needs SUBMISSION_PORT;
#          not with --minimal.
#          --fts gives Dovecot a full-text index (fts-xapian, Debian's
#          dovecot-fts-xapian): messages are indexed as they arrive (Trash and
#          Junk excepted), and BODY and TEXT searches are answered from the
#          index (fts_enforced: never by reading every message instead).
#          --push URL: Dovecot's push_notification plugin (ox driver) sends each
#          delivery to the Inbox of a user who set the METADATA entry
#          /private/vendor/vendor.dovecot/http-notify to URL (an HTTP PUT with
#          JSON; the URL may carry user:password@); METADATA is turned on.
#          --hibernate SECONDS: a connection idling (IDLE) that long is parked
#          in imap-hibernate and its imap process exits (imap_hibernate_timeout);
#          not with --minimal.
#          --connection-limit N: IMAP connections one user may have from one
#          address (mail_max_userip_connections; default 20). The next login
#          gets NO [LIMIT].
#          --users N: sized for N users signed in to a webmail at once, each
#          with two connections (the page's and the live updates'): imap
#          processes, clients per process, login processes (default 500).
# adduser  adds or replaces USER (localpart@domain) in DIR/users; usable at
#          once by a running instance (waits < 1 s for Dovecot to notice, and
#          for Postfix to reload its recipient tables).
# addalias lets USER send as ALIAS (MAIL FROM), in DIR/sender-aliases; usable
#          at once by a running Postfix (reloaded). ALIAS need not be a user.
# kick     disconnects every IMAP connection of USER (a server-side drop:
#          the client reads "* BYE Server shutting down.").
# deny     (--minimal instances) takes IMAP RIGHTS (RFC 4314 letters, e.g.
#          "ik": create folders, insert messages) away from USER in FOLDER
#          (a pattern, default every folder), for connections opened from then
#          on: the server then refuses CREATE, APPEND or COPY with NO [NOPERM],
#          or ("te") ignores \Deleted and expunges nothing.
# quota    limits USER's mailbox to LIMIT bytes (suffix K, M or G: 200K,
#          1G; "none" lifts it); usable at once. An APPEND or COPY past it is
#          refused with NO [OVERQUOTA]. Not on --minimal instances.
# smtp-stop   stops only the Postfix of DIR; returns once its ports are closed.
# smtp-start  starts it again on the ports given at start; returns once they
#          accept connections.
# stop     graceful stop of Dovecot and Postfix (about 1 s); --fast kills at
#          once (throwaway DIRs).
# status   exit status 0 when Dovecot runs, 3 when not; also reports Postfix.
#
# Prefer a short DIR (e.g. `mktemp -d /tmp/fxd.XXXX`): Dovecot puts unix
# sockets in its base_dir and socket paths are limited to ~107 bytes. When DIR
# is longer than 40 characters, base_dir goes to a short directory under /tmp,
# recorded in DIR/base_dir.path (and removed by `stop`).
#
# Files in DIR:
#   ca.pem                 CA certificate to trust (FACTEUR_TLS_CA_FILE)
#   server.pem server.key  leaf certificate (DNS:localhost, IP:127.0.0.1, IP:127.0.0.2) signed by the CA
#   ca.key dh.pem          CA private key; DH parameters
#   dovecot.conf           generated config (rewritten at every start)
#   users                  passwd-file (USER:{PLAIN}PASSWORD)
#   dovecot.log            errors and warnings; dovecot-info.log: logins, deliveries
#   dovecot.stdout/.stderr output of the master process
#   run/                   base_dir: sockets (LMTP: run/lmtp; Postfix's SASL:
#                          run/auth-postfix), master.pid
#   state/                 state_dir
#   mail/DOMAIN/LOCALPART/Maildir   mail, owned by the system user facteur-vmail
# and with Postfix:
#   postfix/               config_directory: main.cf, master.cf (rewritten at
#                          every start), tables generated from users (domains,
#                          mailboxes) and sender-self (everyone owns their address)
#   sender-aliases         ALIAS USER lines (texthash: read at start and reload)
#   postfix.ports          every port of Postfix, for smtp-start and smtp-stop
#   postfix.log            Postfix's log (connections, SASL, deliveries, rejects)
#   postfix.stdout/.stderr output of the postfix command
#   postfix-queue/         queue_directory (pid/master.pid); postfix-data/: data_directory
#
# Requires root (Dovecot's and Postfix's masters start as root and drop
# privileges). Postfix comes from the Debian package, left unconfigured: the
# system-wide instance (port 25) is never started.
#
# Environment: MAILSERVER_LISTEN=0.0.0.0 makes Dovecot and Postfix listen on
# every IPv4 address instead of 127.0.0.1 only, for use inside a container
# (docker/mail/). Only 127.0.0.1 (the default) and 0.0.0.0 are accepted: the
# readiness checks connect through 127.0.0.1. The certificate still names only
# localhost, 127.0.0.1 and 127.0.0.2.

set -euo pipefail

VMAIL_USER=facteur-vmail
LISTEN=${MAILSERVER_LISTEN:-127.0.0.1}
STARTTLS_ADDRESS=127.0.0.2   # Dovecot's STARTTLS-only listener (see --imap-starttls-port)
WAIT_SECONDS=${FACTEUR_MAILSERVER_WAIT:-10}
SOCKET_DIR_MAX=40   # longest DIR whose base_dir may live inside it
LOG_OFFSET=0
PF_LOG_OFFSET=0

die() { echo "mailserver.sh: $*" >&2; exit 1; }

case "$LISTEN" in
    127.0.0.1) PF_INTERFACES=127.0.0.1 ;;
    0.0.0.0) PF_INTERFACES=all ;;  # Postfix's inet_interfaces refuses 0.0.0.0
    *) die "MAILSERVER_LISTEN must be 127.0.0.1 or 0.0.0.0 (got '$LISTEN')" ;;
esac

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

# True when the server certificate of DIR names every address the listeners use
# (certificates made before 127.0.0.2 was added lack it).
leaf_is_current() {
    local dir=$1
    openssl x509 -in "$dir/server.pem" -noout -ext subjectAltName 2>/dev/null | grep -q 'IP Address:127.0.0.2'
}

make_tls() {
    local dir=$1
    if [ -s "$dir/ca.pem" ] && [ -s "$dir/ca.key" ] && [ -s "$dir/server.pem" ] && [ -s "$dir/server.key" ] \
            && leaf_is_current "$dir"; then
        return 0
    fi
    local tmp
    tmp=$(mktemp -d "$dir/.tls.XXXXXX")
    (
        set -e
        umask 077
        if [ -s "$dir/ca.pem" ] && [ -s "$dir/ca.key" ]; then
            # Keep the CA that clients already trust; only the leaf is issued again.
            cp "$dir/ca.pem" "$dir/ca.key" "$tmp/"
            cd "$tmp"
        else
            cd "$tmp"
            openssl ecparam -name prime256v1 -genkey -noout -out ca.key 2>/dev/null
            openssl req -new -x509 -sha256 -key ca.key -days 3650 \
                -subj "/O=Facteur test/CN=Facteur test CA" \
                -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
                -addext "keyUsage=critical,keyCertSign,cRLSign" \
                -addext "subjectKeyIdentifier=hash" \
                -set_serial "0x$(openssl rand -hex 8)" \
                -out ca.pem 2>/dev/null
        fi
        openssl ecparam -name prime256v1 -genkey -noout -out server.key 2>/dev/null
        openssl req -new -sha256 -key server.key -subj "/O=Facteur test/CN=localhost" \
            -out server.csr 2>/dev/null
        cat >leaf.ext <<'EOF'
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1,IP:127.0.0.2
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
    local dir=$1 imap_port=$2 imaps_port=$3 base_dir=$4 with_postfix=${5:-0} starttls_port=${6:-} minimal=${7:-0}
    local connection_limit=${8:-20} fts=${10:-0} sieve_port=${11:-} relay_port=${12:-} hibernate=${13:-} users=${14:-500} push_url=${15:-}
    local capabilities=${9:-IMAP4rev1 LITERAL+ SASL-IR UIDPLUS CHILDREN NAMESPACE THREAD=ORDEREDSUBJECT THREAD=REFERENCES SORT QUOTA IDLE ENABLE}
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
protocols = imap lmtp${sieve_port:+ sieve}
listen = $LISTEN
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
# Dovecot's auth penalty stays on (its default): after failed logins from an
# address, its next logins wait 4 s, then 8 s, then 15 s (a repeated wrong
# username+password does not count again). A webmail that passes each user's
# address (ID, below) gets it applied to the attacker's address only.
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

EOF
    if [ "$minimal" = 1 ]; then
        cat >>"$dir/dovecot.conf.tmp" <<EOF
# A minimal server, as Courier-IMAP is by default: Maildir++ (folders are
# INBOX.Name on disk and on the wire), nothing created in advance, no
# special-use flags, and only what Courier-IMAP 5 advertises.
mail_location = maildir:~/Maildir
mail_uid = $VMAIL_USER
mail_gid = $VMAIL_USER

namespace inbox {
  inbox = yes
  separator = .
  prefix = INBOX.
}

imap_capability = $capabilities
login_greeting = Courier-IMAP ready (a minimal test server).

# Access rights (see the deny command): owners may do everything unless a
# line of $dir/acl-global takes a right away from one user.
mail_plugins = \$mail_plugins acl
plugin {
  acl = vfile:$dir/acl-global
}

EOF
    else
        cat >>"$dir/dovecot.conf.tmp" <<EOF
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

# Mailbox size limits (RFC 9208 QUOTA), Maildir++'s maildirsize: a user has
# none unless set with the quota command (userdb_quota_rule in DIR/users).
mail_plugins = \$mail_plugins quota
plugin {
  quota = maildir:User quota
  quota_exceeded_message = Quota exceeded (mailbox for user is full)
}

EOF
    fi
    if [ "$fts" = 1 ]; then
        cat >>"$dir/dovecot.conf.tmp" <<EOF
# A full-text index (fts-xapian): body searches are answered from it. Words
# are found from their first 3 letters; words longer than 20 are not indexed.
mail_plugins = \$mail_plugins fts fts_xapian
plugin {
  fts = xapian
  fts_xapian = partial=3 full=20 verbose=0
  fts_autoindex = yes
  fts_autoindex_exclude = \\Trash
  fts_autoindex_exclude2 = \\Junk
  fts_enforced = yes
}

EOF
    fi
    if [ -n "$push_url" ]; then
        cat >>"$dir/dovecot.conf.tmp" <<EOF
# New-mail notifications: on each delivery to the Inbox of a user whose METADATA entry
# /private/vendor/vendor.dovecot/http-notify is set (a webmail sets it), the ox driver sends
# the news to the webmail. METADATA is kept in a file in each user's home.
mail_plugins = \$mail_plugins notify push_notification
imap_metadata = yes
mail_attribute_dict = file:%h/dovecot-attributes
plugin {
  push_notification_driver = ox:url=$push_url cache_lifetime=1s timeout_msecs=5000
}

EOF
    fi
    if [ -n "$sieve_port" ]; then
        cat >>"$dir/dovecot.conf.tmp" <<EOF
# Sieve at delivery (Pigeonhole): each user's active script (~/.dovecot.sieve,
# a link into ~/sieve where ManageSieve keeps the scripts).
protocol lmtp {
  mail_plugins = \$mail_plugins sieve
}
plugin {
  sieve = file:~/sieve;active=~/.dovecot.sieve
  sieve_max_script_size = 1M
  # Vacation replies as often as a rule asks, down to once a day (tests send
  # several messages in a row); answers only mail addressed to the user.
  sieve_vacation_min_period = 1d
  sieve_vacation_default_period = 7d
}
# Replies and redirects go through the Postfix of this directory.
submission_host = 127.0.0.1:$relay_port
postmaster_address = postmaster@example.test
service managesieve-login {
  inet_listener sieve {
    address = $LISTEN
    port = $sieve_port
  }
}

EOF
    fi
    cat >>"$dir/dovecot.conf.tmp" <<EOF
protocol imap {
  mail_max_userip_connections = $connection_limit
EOF
    if [ "$minimal" != 1 ]; then
        echo '  mail_plugins = $mail_plugins imap_quota' >>"$dir/dovecot.conf.tmp"
    fi
    cat >>"$dir/dovecot.conf.tmp" <<EOF
}

# Sized for $users users signed in to a webmail, two connections each (the
# page's and the live updates'), each in an imap process while it is busy;
# after a restart they all log in again within seconds.
service imap {
  process_limit = $(( users * 2 + 1024 > 2048 ? users * 2 + 1024 : 2048 ))
}
service imap-login {
  process_limit = $(( users / 5 > 100 ? users / 5 : 100 ))
}
default_client_limit = $(( users * 4 > 4096 ? users * 4 : 4096 ))
EOF
    if [ -n "$hibernate" ]; then
        cat >>"$dir/dovecot.conf.tmp" <<EOF

# A connection that waits in IDLE for $hibernate s is handed to imap-hibernate,
# which keeps it for a few KiB, and its imap process (about 1 MiB) exits; the
# next command brings it back in a process kept ready (process_min_avail).
imap_hibernate_timeout = ${hibernate}s
service imap-hibernate {
  unix_listener imap-hibernate {
    mode = 0660
    user = $VMAIL_USER
  }
}
service imap {
  process_min_avail = 2
  unix_listener imap-master {
    user = \$default_internal_user
  }
}
EOF
    fi
    cat >>"$dir/dovecot.conf.tmp" <<EOF

service imap-login {
  inet_listener imap {
    address = $LISTEN
    port = $imap_port
  }
  inet_listener imaps {
    address = $LISTEN
    port = $imaps_port
    ssl = yes
  }
}
EOF
    if [ -n "$starttls_port" ]; then
        cat >>"$dir/dovecot.conf.tmp" <<EOF

# STARTTLS required before any login. On 127.0.0.2, not 127.0.0.1: Dovecot
# counts a connection whose source and destination addresses are equal as
# secure, and would allow plain text logins on it whatever the settings say.
# Clients connecting to 127.0.0.2 come from 127.0.0.1.
service imap-login {
  inet_listener imap-starttls {
    address = $STARTTLS_ADDRESS
    port = $starttls_port
  }
}
local $STARTTLS_ADDRESS {
  disable_plaintext_auth = yes
  ssl = required
}
EOF
    fi
    if [ "$LISTEN" = 127.0.0.1 ]; then
        cat >>"$dir/dovecot.conf.tmp" <<EOF

# A webmail on this machine passes each user's own address with ID
# (x-originating-ip): Dovecot logs it (rip=) and keys its penalties on it.
# Trusted on the listeners of 127.0.0.1 only: a trusted network also counts as
# secure, which the STARTTLS-only listener on 127.0.0.2 must not.
local 127.0.0.1 {
  login_trusted_networks = 127.0.0.0/8
}
EOF
    else
        cat >>"$dir/dovecot.conf.tmp" <<EOF

# A webmail on the container network passes each user's own address with ID.
login_trusted_networks = 127.0.0.0/8 10.0.0.0/8 172.16.0.0/12 192.168.0.0/16
EOF
    fi
    cat >>"$dir/dovecot.conf.tmp" <<EOF

# LMTP delivery socket, for a local MTA (e.g. lmtp:unix:$base_dir/lmtp).
service lmtp {
  unix_listener lmtp {
    mode = 0666
  }
}
EOF
    if [ "$with_postfix" = 1 ]; then
        cat >>"$dir/dovecot.conf.tmp" <<EOF

# SASL for the private Postfix's smtpd (smtpd_sasl_type = dovecot).
service auth {
  unix_listener auth-postfix {
    mode = 0660
    user = postfix
    group = postfix
  }
}
EOF
    fi
    mv -f "$dir/dovecot.conf.tmp" "$dir/dovecot.conf"
}

# True when HOST (127.0.0.1 by default):PORT accepts connections.
wait_port() {
    local port=$1 host=${2:-127.0.0.1}
    (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null
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

# ---------------------------------------------------------------------------
# Postfix

need_postfix() {
    local t
    for t in postfix postconf; do
        command -v "$t" >/dev/null 2>&1 || die "$t not found (scripts/install-deps.sh installs Postfix)"
    done
    if ! getent passwd postfix >/dev/null || ! getent group postdrop >/dev/null; then
        die "system user postfix or group postdrop missing (reinstall the postfix package)"
    fi
}

# Pid of the Postfix master of DIR, if it runs.
postfix_pid() {
    local dir=$1 pid
    pid=$(awk 'NR == 1 { print $1 }' "$dir/postfix-queue/pid/master.pid" 2>/dev/null) || return 1
    case "$pid" in ''|*[!0-9]*) return 1 ;; esac
    alive "$pid" || return 1
    # Guard against a recycled pid, possibly another instance's master.
    grep -qa 'postfix/sbin/master' "/proc/$pid/cmdline" 2>/dev/null || return 1
    tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qxF "MAIL_CONFIG=$dir/postfix" || return 1
    printf '%s\n' "$pid"
}

# The ports of Postfix recorded at start (SUBMISSION_PORT, then the others).
postfix_ports() {
    local dir=$1
    [ -s "$dir/postfix.ports" ] || return 1
    cat "$dir/postfix.ports"
}

# Postfix's tables derived from DIR/users: the domains delivered to Dovecot
# and their mailboxes. texthash: needs no postmap; read at (re)start only.
# Prints "changed" when they changed.
write_postfix_maps() {
    local dir=$1 conf tmp
    conf="$dir/postfix"
    [ -d "$conf" ] || return 0
    [ -f "$dir/users" ] || : >"$dir/users"
    tmp=$(mktemp "$conf/.maps.XXXXXX")
    awk -F: 'NF && $1 ~ /@/ { print tolower($1) "\tOK" }' "$dir/users" | sort -u >"$tmp.mailboxes"
    awk -F: 'NF && $1 ~ /@/ { d = tolower($1); sub(/^.*@/, "", d); print d "\tOK" }' "$dir/users" \
        | sort -u >"$tmp.domains"
    local m changed=0
    for m in mailboxes domains; do
        chmod 0644 "$tmp.$m"
        if cmp -s "$tmp.$m" "$conf/$m"; then
            rm -f "$tmp.$m"
        else
            mv -f "$tmp.$m" "$conf/$m"
            changed=1
        fi
    done
    rm -f "$tmp"
    if [ $changed = 1 ]; then echo changed; fi
}

write_postfix_config() {
    local dir=$1 base_dir=$2 sub_port=$3 subs_port=$4 starttls_port=${5:-} relay_port=${6:-}
    local conf="$dir/postfix" xclient_hosts
    mkdir -p "$conf"
    chmod 0755 "$conf"
    cat >"$conf/sender-self" <<'EOF'
# Every authenticated user may send as their own address (login = address).
/^(.+)$/	${1}
EOF
    cat >"$conf/main.cf.tmp" <<EOF
# Generated by scripts/mailserver.sh for a private Facteur test instance.
# Regenerated at every start: edit the script, not this file.
compatibility_level = 3.6

queue_directory = $dir/postfix-queue
data_directory = $dir/postfix-data
mail_owner = postfix
setgid_group = postdrop
maillog_file = $dir/postfix.log
maillog_file_prefixes = $dir
syslog_name = postfix

inet_interfaces = $PF_INTERFACES
inet_protocols = ipv4
myhostname = localhost
mydomain = localdomain
myorigin = \$myhostname
mydestination =
mynetworks = 127.0.0.1/32
smtpd_banner = \$myhostname ESMTP Facteur test (Postfix)
biff = no
append_dot_mydomain = no

# Nothing leaves the machine: no relay host, no smtp transport; mail for
# unknown domains is discarded.
relayhost =
relay_domains =
default_transport = discard:not delivered: Facteur test server
relay_transport = discard:not delivered: Facteur test server
local_transport = error:5.1.1 local delivery disabled
alias_maps =
alias_database =
local_recipient_maps =

# The domains of DIR/users: delivered to the Dovecot of DIR by LMTP.
virtual_mailbox_domains = texthash:$conf/domains
virtual_mailbox_maps = texthash:$conf/mailboxes
virtual_alias_maps =
virtual_transport = lmtp:unix:$base_dir/lmtp
lmtp_tls_security_level = none
# Hand Dovecot the message bytes as submitted.
disable_mime_output_conversion = yes

message_size_limit = 62914560
mailbox_size_limit = 0
virtual_mailbox_limit = 0

# Submission: AUTH through Dovecot, also without TLS; only authenticated
# clients, only from addresses they own.
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = $base_dir/auth-postfix
smtpd_sasl_security_options = noanonymous
smtpd_sasl_tls_security_options = noanonymous
smtpd_tls_auth_only = no
smtpd_tls_security_level = may
smtpd_tls_cert_file = $dir/server.pem
smtpd_tls_key_file = $dir/server.key
smtpd_tls_loglevel = 0
smtpd_sender_login_maps = texthash:$dir/sender-aliases, regexp:$conf/sender-self
smtpd_client_restrictions = permit_sasl_authenticated, reject
smtpd_sender_restrictions = reject_sender_login_mismatch
smtpd_relay_restrictions = permit_sasl_authenticated, reject
smtpd_recipient_restrictions =

# Fast tests: no delays after errors or under load, quick retries.
smtpd_error_sleep_time = 0
in_flow_delay = 0
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 10s
delay_warning_time = 0
EOF
    {
        cat <<'EOF'
# Generated by scripts/mailserver.sh: no smtp/relay/local transport, no port 25.
# service type  private unpriv  chroot  wakeup  maxproc command + args
EOF
        # A webmail on this machine (or the container network) passes each user's
        # own address with XCLIENT: Postfix logs it and applies its limits to it.
        # Not on the STARTTLS-only listener, which stands for a server without it.
        if [ "$LISTEN" = 127.0.0.1 ]; then
            xclient_hosts=127.0.0.0/8
        else
            xclient_hosts='127.0.0.0/8,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16'
        fi
        printf '%s:%s inet n - n - - smtpd\n' "$LISTEN" "$sub_port"
        printf '  -o syslog_name=postfix/submission\n'
        printf '  -o smtpd_authorized_xclient_hosts=%s\n' "$xclient_hosts"
        if [ -n "$subs_port" ]; then
            printf '%s:%s inet n - n - - smtpd\n' "$LISTEN" "$subs_port"
            printf '  -o syslog_name=postfix/submissions\n'
            printf '  -o smtpd_authorized_xclient_hosts=%s\n' "$xclient_hosts"
            printf '  -o smtpd_tls_wrappermode=yes\n'
            printf '  -o smtpd_tls_security_level=encrypt\n'
        fi
        if [ -n "$starttls_port" ]; then
            # STARTTLS required: AUTH is offered only after it, mail refused without it.
            printf '%s:%s inet n - n - - smtpd\n' "$LISTEN" "$starttls_port"
            printf '  -o syslog_name=postfix/submission-starttls\n'
            printf '  -o smtpd_tls_security_level=encrypt\n'
            printf '  -o smtpd_tls_auth_only=yes\n'
        fi
        if [ -n "$relay_port" ]; then
            # Dovecot's vacation replies and redirects: no AUTH, 127.0.0.1 only.
            printf '%s:%s inet n - n - - smtpd\n' "$LISTEN" "$relay_port"
            printf '  -o syslog_name=postfix/relay\n'
            printf '  -o smtpd_sasl_auth_enable=no\n'
            printf '  -o smtpd_client_restrictions=permit_mynetworks,reject\n'
            printf '  -o smtpd_sender_restrictions=\n'
            printf '  -o smtpd_relay_restrictions=permit_mynetworks,reject\n'
        fi
        cat <<'EOF'
pickup     unix  n - n 60   1 pickup
cleanup    unix  n - n -    0 cleanup
qmgr       unix  n - n 300  1 qmgr
tlsmgr     unix  - - n 1000? 1 tlsmgr
rewrite    unix  - - n -    - trivial-rewrite
bounce     unix  - - n -    0 bounce
defer      unix  - - n -    0 bounce
trace      unix  - - n -    0 bounce
verify     unix  - - n -    1 verify
flush      unix  n - n 1000? 0 flush
proxymap   unix  - - n -    - proxymap
proxywrite unix  - - n -    1 proxymap
showq      unix  n - n -    - showq
error      unix  - - n -    - error
retry      unix  - - n -    - error
discard    unix  - - n -    - discard
lmtp       unix  - - n -    - lmtp
anvil      unix  - - n -    1 anvil
scache     unix  - - n -    1 scache
postlog    unix-dgram n - n - 1 postlogd
EOF
    } >"$conf/master.cf.tmp"
    chmod 0644 "$conf/main.cf.tmp" "$conf/master.cf.tmp" "$conf/sender-self"
    mv -f "$conf/main.cf.tmp" "$conf/main.cf"
    mv -f "$conf/master.cf.tmp" "$conf/master.cf"
    write_postfix_maps "$dir" >/dev/null
}

# Print what Postfix wrote since PF_LOG_OFFSET (size of postfix.log before).
show_postfix_logs() {
    local dir=$1 f
    for f in postfix.stderr postfix.stdout; do
        if [ -s "$dir/$f" ]; then
            echo "--- $dir/$f (tail)" >&2
            tail -n 30 "$dir/$f" >&2
        fi
    done
    if [ -s "$dir/postfix.log" ]; then
        echo "--- $dir/postfix.log (since this start, tail)" >&2
        tail -c +$((PF_LOG_OFFSET + 1)) "$dir/postfix.log" | tail -n 30 >&2
    fi
}

# Start the Postfix of DIR (config written) and wait for its ports.
postfix_start() {
    local dir=$1 ports port
    ports=$(postfix_ports "$dir") || die "no Postfix configured in $dir (start with a SUBMISSION_PORT)"
    [ -f "$dir/postfix/main.cf" ] || die "no Postfix configured in $dir (start with a SUBMISSION_PORT)"
    if postfix_pid "$dir" >/dev/null; then
        echo "mailserver.sh: postfix in $dir is already running" >&2
        return 0
    fi
    mkdir -p "$dir/postfix-queue"
    chown root:root "$dir/postfix-queue"
    chmod 0755 "$dir/postfix-queue"
    [ -f "$dir/sender-aliases" ] || : >"$dir/sender-aliases"
    chmod 0644 "$dir/sender-aliases"
    write_postfix_maps "$dir" >/dev/null

    PF_LOG_OFFSET=$(stat -c %s "$dir/postfix.log" 2>/dev/null || echo 0)
    : >"$dir/postfix.stdout"
    : >"$dir/postfix.stderr"
    if ! postfix -c "$dir/postfix" start </dev/null >>"$dir/postfix.stdout" 2>>"$dir/postfix.stderr"; then
        show_postfix_logs "$dir"
        die "postfix failed to start"
    fi
    local deadline=$((SECONDS + WAIT_SECONDS)) ok=0 all
    while [ $SECONDS -le $deadline ]; do
        postfix_pid "$dir" >/dev/null || break
        all=1
        for port in $ports; do
            wait_port "$port" || { all=0; break; }
        done
        if [ $all = 1 ]; then ok=1; break; fi
        sleep 0.1
    done
    if [ $ok != 1 ]; then
        show_postfix_logs "$dir"
        local pid
        if pid=$(postfix_pid "$dir"); then kill "$pid" 2>/dev/null || true; fi
        die "postfix did not accept connections on 127.0.0.1 ports $ports within ${WAIT_SECONDS}s"
    fi
    echo "postfix running: pid $(postfix_pid "$dir"), ports $ports on $LISTEN, log $dir/postfix.log"
}

# Stop the Postfix of DIR if it runs; returns once its ports are closed.
postfix_stop() {
    local dir=$1 fast=${2:-0} pid
    if pid=$(postfix_pid "$dir"); then
        if [ "$fast" = 1 ]; then
            # The master leads the process group of all its children.
            kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
        else
            # The master terminates its children, then exits (well under 1 s).
            kill -TERM "$pid" 2>/dev/null || true
        fi
        local deadline=$((SECONDS + WAIT_SECONDS))
        while alive "$pid" && [ $SECONDS -le $deadline ]; do
            sleep 0.05
        done
        if alive "$pid"; then
            echo "mailserver.sh: postfix master $pid still alive after ${WAIT_SECONDS}s, killing it" >&2
            kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
            sleep 0.2
        fi
        echo "postfix in $dir stopped (pid $pid)"
    else
        [ ! -f "$dir/postfix.ports" ] || echo "postfix in $dir is not running"
    fi
    local port i
    for port in $(postfix_ports "$dir" 2>/dev/null || true); do
        for i in $(seq 1 100); do
            wait_port "$port" || break
            sleep 0.05
        done
    done
}

# Make a running Postfix re-read its config and tables; returns once the
# master has reloaded (new connections then see the change).
postfix_reload() {
    local dir=$1 offset i
    postfix_pid "$dir" >/dev/null || return 0
    offset=$(stat -c %s "$dir/postfix.log" 2>/dev/null || echo 0)
    postfix -c "$dir/postfix" reload </dev/null >>"$dir/postfix.stdout" 2>>"$dir/postfix.stderr" \
        || die "postfix reload failed (see $dir/postfix.stderr)"
    for i in $(seq 1 $((WAIT_SECONDS * 20))); do
        if tail -c +$((offset + 1)) "$dir/postfix.log" 2>/dev/null | grep -q 'master.*: reload'; then
            return 0
        fi
        sleep 0.05
    done
    echo "mailserver.sh: postfix in $dir did not log its reload" >&2
}

cmd_start() {
    local imap_starttls_port='' sub_starttls_port='' minimal=0 connection_limit=20 capabilities= fts=0 sieve_port='' relay_port='' hibernate='' users=500 push_url=''
    while [ $# -gt 0 ]; do
        case "$1" in
            --minimal) minimal=1; shift ;;
            --fts) fts=1; shift ;;
            --sieve) [ $# -ge 2 ] || usage; sieve_port=$2; shift 2 ;;
            --sieve-relay) [ $# -ge 2 ] || usage; relay_port=$2; shift 2 ;;
            --connection-limit) [ $# -ge 2 ] || usage; connection_limit=$2; shift 2 ;;
            --hibernate) [ $# -ge 2 ] || usage; hibernate=$2; shift 2 ;;
            --users) [ $# -ge 2 ] || usage; users=$2; shift 2 ;;
            --push) [ $# -ge 2 ] || usage; push_url=$2; shift 2 ;;
            --capabilities) [ $# -ge 2 ] || usage; capabilities=$2; shift 2 ;;
            --imap-starttls-port) [ $# -ge 2 ] || usage; imap_starttls_port=$2; shift 2 ;;
            --submission-starttls-port) [ $# -ge 2 ] || usage; sub_starttls_port=$2; shift 2 ;;
            -*) usage ;;
            *) break ;;
        esac
    done
    if [ $# -lt 3 ] || [ $# -gt 5 ]; then usage; fi
    local dir imap_port imaps_port sub_port=${4:-} subs_port=${5:-} with_postfix=0
    dir=$(abs_dir "$1"); imap_port=$2; imaps_port=$3
    case "$imap_port$imaps_port" in *[!0-9]*|'') die "ports must be numbers" ;; esac
    case "$sub_port$subs_port$imap_starttls_port$sub_starttls_port$sieve_port$relay_port" in *[!0-9]*) die "ports must be numbers" ;; esac
    [ -z "$sieve_port" ] || [ -n "$relay_port" ] || die "--sieve needs --sieve-relay PORT"
    [ -z "$relay_port" ] || [ -n "$sieve_port" ] || die "--sieve-relay goes with --sieve"
    [ -z "$sieve_port" ] || [ -n "$sub_port" ] || die "--sieve needs SUBMISSION_PORT (replies and redirects go through Postfix)"
    [ -z "$sieve_port" ] || [ "$minimal" = 0 ] || die "--sieve and --minimal do not go together"
    [ -z "$sieve_port" ] || [ -e "$(doveconf -h -d mail_plugin_dir 2>/dev/null)/lib90_sieve_plugin.so" ] \
        || die "--sieve needs Pigeonhole (Debian: apt-get install dovecot-sieve dovecot-managesieved)"
    case "$connection_limit" in *[!0-9]*|'') die "--connection-limit takes a number" ;; esac
    case "$hibernate" in *[!0-9]*) die "--hibernate takes a number of seconds" ;; esac
    case "$users" in *[!0-9]*|'') die "--users takes a number" ;; esac
    [ -z "$hibernate" ] || [ "$minimal" = 0 ] || die "--hibernate and --minimal do not go together"
    case "$capabilities" in *[!A-Za-z0-9=+\ .-]*) die "--capabilities takes capability names" ;; esac
    [ -z "$capabilities" ] || [ "$minimal" = 1 ] || die "--capabilities needs --minimal"
    [ "$fts" = 0 ] || [ "$minimal" = 0 ] || die "--fts and --minimal do not go together"
    [ "$fts" = 0 ] || [ -e "$(doveconf -h -d mail_plugin_dir 2>/dev/null)/lib21_fts_xapian_plugin.so" ] \
        || die "--fts needs Dovecot's fts-xapian plugin (Debian: apt-get install dovecot-fts-xapian)"
    [ -z "$sub_starttls_port" ] || [ -n "$sub_port" ] || die "--submission-starttls-port needs SUBMISSION_PORT"
    [ -n "$(printf '%s\n' "$imap_port" "$imaps_port" ${sub_port:+"$sub_port"} ${subs_port:+"$subs_port"} \
            ${imap_starttls_port:+"$imap_starttls_port"} ${sub_starttls_port:+"$sub_starttls_port"} ${sieve_port:+"$sieve_port"} ${relay_port:+"$relay_port"} | sort | uniq -d)" ] \
        && die "the ports must all differ"
    [ -z "$sub_port" ] || with_postfix=1
    need_root
    need_tools
    [ $with_postfix = 0 ] || need_postfix

    mkdir -p "$dir"
    # Dovecot's auth process (user dovecot) and mail processes (facteur-vmail)
    # must be able to traverse DIR.
    chmod 0711 "$dir"

    if master_pid "$dir" >/dev/null || postfix_pid "$dir" >/dev/null; then
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

    [ -f "$dir/acl-global" ] || printf '* owner lrwstipekxa\n' >"$dir/acl-global"
    chmod 0644 "$dir/acl-global"
    write_config "$dir" "$imap_port" "$imaps_port" "$base_dir" "$with_postfix" "$imap_starttls_port" "$minimal" "$connection_limit" "$capabilities" "$fts" "$sieve_port" "$relay_port" "$hibernate" "$users" "$push_url"
    if [ $with_postfix = 1 ]; then
        printf '%s\n' "$sub_port${subs_port:+ $subs_port}${sub_starttls_port:+ $sub_starttls_port}${relay_port:+ $relay_port}" >"$dir/postfix.ports"
        write_postfix_config "$dir" "$base_dir" "$sub_port" "$subs_port" "$sub_starttls_port" "$relay_port"
    else
        rm -f "$dir/postfix.ports"
    fi

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
        if wait_port "$imap_port" && wait_port "$imaps_port" \
                && { [ -z "$imap_starttls_port" ] || wait_port "$imap_starttls_port" "$STARTTLS_ADDRESS"; } \
                && { [ -z "$sieve_port" ] || wait_port "$sieve_port"; }; then
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
    echo "dovecot running: pid $(master_pid "$dir"), imap $LISTEN:$imap_port, imaps $LISTEN:$imaps_port${imap_starttls_port:+, imap (STARTTLS required) $STARTTLS_ADDRESS:$imap_starttls_port}${sieve_port:+, managesieve $LISTEN:$sieve_port}, CA $dir/ca.pem, base_dir $base_dir"
    if [ $with_postfix = 1 ]; then
        postfix_start "$dir"
    fi
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

cmd_quota() {
    [ $# -eq 3 ] || usage
    local dir user limit line
    dir=$(abs_dir "$1"); user=$2; limit=$3
    need_root
    case "$limit" in
        none) ;;
        *[!0-9KMGT]*|''|[KMGT]*) die "limit is a number of bytes with an optional K, M, G or T (got '$limit')" ;;
    esac
    line=$(awk -F: -v u="$user" '$1 == u' "$dir/users" 2>/dev/null | head -n 1)
    [ -n "$line" ] || die "no such user in $dir/users: $user"
    # user:password:uid:gid:gecos:home:shell:extra fields (the last may hold ':').
    line=$(printf '%s' "$line" | cut -d: -f1-7)
    if [ "$limit" != none ]; then
        line="$line:userdb_quota_rule=*:storage=$limit"
    else
        line="$line:"
    fi
    rewrite_users "$dir" "$user" "$line"
    echo "quota of $user set to $limit in $dir/users"
    wait_auth_resync "$dir"
}

cmd_deny() {
    [ $# -eq 3 ] || [ $# -eq 4 ] || usage
    local dir user rights folder
    dir=$(abs_dir "$1"); user=$2; rights=$3; folder=${4:-*}
    case "$user" in *[!A-Za-z0-9@._+-]*|'') die "invalid user name: '$user'" ;; esac
    case "$rights" in *[!lrwsipekxtacd]*|'') die "rights are RFC 4314 letters (got '$rights')" ;; esac
    case "$folder" in *[!A-Za-z0-9.*_-]*|'') die "invalid folder pattern: '$folder'" ;; esac
    grep -q '^  acl = vfile:' "$dir/dovecot.conf" 2>/dev/null \
        || die "access rights apply to --minimal instances only ($dir is not one)"
    printf '%s -user=%s %s\n' "$folder" "$user" "$rights" >>"$dir/acl-global"
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
    refresh_postfix_maps "$dir"
    wait_auth_resync "$dir"
}

# After a change of DIR/users: regenerate Postfix's recipient tables and
# reload a running Postfix when they changed.
refresh_postfix_maps() {
    local dir=$1 changed
    [ -d "$dir/postfix" ] || return 0
    # Under the users lock: concurrent adduser calls write the tables in turn.
    changed=$(flock "$dir/.users.lock" bash "$0" __maps "$dir")
    if [ -n "$changed" ]; then
        postfix_reload "$dir"
    fi
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
    refresh_postfix_maps "$dir"
    wait_auth_resync "$dir"
}

cmd_addalias() {
    [ $# -eq 3 ] || usage
    local dir alias user tmp
    dir=$(abs_dir "$1"); alias=$2; user=$3
    need_root
    [ -d "$dir" ] || die "no such directory: $dir"
    local a
    for a in "$alias" "$user"; do
        case "$a" in
            *[[:space:]]*|*,*|'') die "invalid address: '$a'" ;;
            *@*) ;;
            *) die "address must look like localpart@domain (got '$a')" ;;
        esac
    done
    exec 9>"$dir/.users.lock"
    flock 9
    [ -f "$dir/sender-aliases" ] || : >"$dir/sender-aliases"
    tmp=$(mktemp "$dir/.sender-aliases.XXXXXX")
    # One line per alias; a second USER for the same alias joins the line.
    awk -v a="$alias" -v u="$user" '
        tolower($1) == tolower(a) {
            if (!done) {
                line = $1
                for (i = 2; i <= NF; i++) { line = line " " $i; if (tolower($i) == tolower(u)) seen = 1 }
                if (!seen) line = line " " u
                print line
                done = 1
            }
            next
        }
        { print }
        END { if (!done) print a " " u }
    ' "$dir/sender-aliases" >"$tmp"
    chmod 0644 "$tmp"
    mv -f "$tmp" "$dir/sender-aliases"
    flock -u 9
    exec 9>&-
    echo "alias $alias of $user set in $dir/sender-aliases"
    postfix_reload "$dir"
}

cmd_stop() {
    local fast=0
    if [ "${1:-}" = --fast ]; then fast=1; shift; fi
    [ $# -eq 1 ] || usage
    local dir pid
    dir=$(abs_dir "$1")
    need_root
    postfix_stop "$dir" "$fast"
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
        # A killed master leaves its pid file; until the dead process is reaped, a new
        # master would take that pid for a running instance and refuse to start.
        rm -f "$(base_dir_of "$dir")/master.pid"
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
                wait_port "$port" || wait_port "$port" "$STARTTLS_ADDRESS" || break
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

cmd_smtp_stop() {
    [ $# -eq 1 ] || usage
    local dir
    dir=$(abs_dir "$1")
    need_root
    postfix_ports "$dir" >/dev/null || die "no Postfix configured in $dir (start with a SUBMISSION_PORT)"
    postfix_stop "$dir"
}

cmd_smtp_start() {
    [ $# -eq 1 ] || usage
    local dir
    dir=$(abs_dir "$1")
    need_root
    need_postfix
    master_pid "$dir" >/dev/null || echo "mailserver.sh: warning: dovecot in $dir is not running (no AUTH, no delivery)" >&2
    postfix_start "$dir"
}

cmd_status() {
    [ $# -eq 1 ] || usage
    local dir pid rc=0
    dir=$(abs_dir "$1")
    if pid=$(master_pid "$dir"); then
        echo "running (pid $pid, base_dir $(base_dir_of "$dir"))"
    else
        echo "not running"
        rc=3
    fi
    if postfix_ports "$dir" >/dev/null; then
        if pid=$(postfix_pid "$dir"); then
            echo "postfix running (pid $pid, ports $(postfix_ports "$dir"))"
        else
            echo "postfix not running"
        fi
    fi
    return $rc
}

[ $# -ge 1 ] || usage
sub=$1
shift
case "$sub" in
    start) cmd_start "$@" ;;
    deny) cmd_deny "$@" ;;
    quota) cmd_quota "$@" ;;
    stop) cmd_stop "$@" ;;
    adduser) cmd_adduser "$@" ;;
    deluser) cmd_deluser "$@" ;;
    addalias) cmd_addalias "$@" ;;
    __maps) write_postfix_maps "$(abs_dir "$1")" ;;  # internal (refresh_postfix_maps)
    kick) cmd_kick "$@" ;;
    smtp-stop) cmd_smtp_stop "$@" ;;
    smtp-start) cmd_smtp_start "$@" ;;
    status) cmd_status "$@" ;;
    -h|--help|help) usage ;;
    *) usage ;;
esac
