#!/usr/bin/env bash
# A private Courier-IMAP instance, for testing the IMAP client against a second
# server implementation besides Dovecot (scripts/mailserver.sh).
#
#   scripts/courier.sh fetch
#   scripts/courier.sh start   DIR PORT
#   scripts/courier.sh adduser DIR USER PASSWORD
#   scripts/courier.sh stop    [--fast] DIR
#   scripts/courier.sh status  DIR
#
# fetch    downloads Courier's Debian packages and extracts them in the cache
#          (FACTEUR_COURIER_CACHE, default /var/cache/facteur-courier), once.
# start    creates DIR, fetches the packages if needed (DIR/pkg links to the
#          cache), writes the config and starts Courier's imapd on
#          127.0.0.1:PORT only (plain IMAP with STARTTLS, self-signed
#          certificate). Waits until the port answers with a greeting (10 s at
#          most). Restarts an instance already running in DIR.
#          Debian's defaults otherwise (/etc/courier/imapd of the package):
#          MAXPERIP=20, IMAP_ENHANCEDIDLE=0, Maildir++ folders ("INBOX."
#          namespace, "." separator), LOGIN allowed without TLS.
# adduser  adds or replaces USER (any string, e.g. localpart@domain) with
#          PASSWORD, and creates its Maildir (only INBOX). Usable at once by a
#          running instance.
# stop     stops the instance of DIR (its connections are closed).
# status   exit status 0 when the instance runs, 3 when not.
#
# Courier is not installed: Debian's courier-imap conflicts with dovecot-imapd
# (both provide imap-server), and installing it would remove Dovecot. Instead
# `apt-get download` fetches courier-imap, courier-base, courier-authlib,
# courier-authlib-userdb and what they need that a Dovecot machine usually
# lacks (libcourier-unicode4, libidn12, libltdl7, libgamin0 and gamin's
# gam_server: without it imapd greets every login with an [ALERT] about
# filesystem notifications), `dpkg-deb -x` extracts them in the cache, and
# the daemons run in a private mount namespace (unshare -m) where DIR/pkg/usr is
# laid over /usr, DIR/etc is /etc/courier and DIR/run is /run/courier: Courier
# has these paths compiled in. Needs root, network access to the Debian mirror
# on the first start, mount namespaces with overlayfs (in a container:
# CAP_SYS_ADMIN), and the other libraries installed (libgdbm6, libgnutls30,
# libglib2.0-0: start checks).
#
# Authentication: authdaemond with the authuserdb module (DIR/etc/userdb,
# compiled by makeuserdb into userdb.dat and userdbshadow.dat). Mail belongs to
# the system user facteur-vmail (created if missing, as by mailserver.sh).
# couriertls (STARTTLS) runs as the user "courier", which exists only in the
# namespace (its /etc/passwd and /etc/group are copies of the machine's, in
# DIR/ns/etc, plus that user on a free id). imapd starts gam_server as
# facteur-vmail; it exits by itself about 30 s after its last client.
#
# Environment: COURIER_MAXPERIP overrides MAXPERIP (connections accepted from
# one IP address; couriertcpd closes any further one without a word).
#
# Files in DIR:
#   pkg              link to the extracted packages (CACHE/pkg; CACHE/debs: the .deb files)
#   etc/             /etc/courier: imapd, imapd-ssl, authdaemonrc (rewritten at
#                    every start), imapd.pem (self-signed certificate and key,
#                    owned by the namespace's courier), userdb
#   run/             /run/courier: authdaemon/socket, pid files
#   imapd.log        imaplogin's and imapd's log (logins, errors)
#   authdaemond.log  authdaemond's log; couriertcpd.log: couriertcpd's stderr
#   namespace.sh     what runs inside the mount namespace; ns/: its layers
#   mail/USER/Maildir  mail of USER

set -euo pipefail

VMAIL_USER=facteur-vmail
MAXPERIP=${COURIER_MAXPERIP:-20}
CACHE=${FACTEUR_COURIER_CACHE:-/var/cache/facteur-courier}
WAIT_SECONDS=${FACTEUR_MAILSERVER_WAIT:-10}
PACKAGES="courier-imap courier-base courier-authlib courier-authlib-userdb
libcourier-unicode4 libidn12 libgamin0 gamin libltdl7"

die() { echo "courier.sh: $*" >&2; exit 1; }

usage() {
    awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0" >&2
    exit 2
}

abs_dir() {
    case "$1" in
        /*) printf '%s\n' "${1%/}" ;;
        *) printf '%s/%s\n' "$(pwd)" "${1%/}" ;;
    esac
}

need_root() {
    [ "$(id -u)" = 0 ] || die "must run as root (mount namespace, daemons that drop privileges)"
}

alive() {
    local state
    state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
    [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# PID of the process recorded in DIR/run/NAME.pid when it still runs PROGRAM.
pid_of() {
    local dir=$1 name=$2 program=$3 pid
    [ -f "$dir/run/$name.pid" ] || return 1
    pid=$(cat "$dir/run/$name.pid" 2>/dev/null) || return 1
    [ -n "$pid" ] || return 1
    alive "$pid" || return 1
    grep -qa "$program" "/proc/$pid/cmdline" 2>/dev/null || return 1
    printf '%s\n' "$pid"
}

ensure_vmail_user() {
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

# Download and extract the packages in the cache, once per machine, and link
# them as DIR/pkg.
fetch_packages() {
    local dir=$1 p missing
    unpack_packages
    ln -sfn "$CACHE/pkg" "$dir/pkg"
    missing=$(in_namespace "$dir" /bin/sh -c '
        for f in /usr/sbin/couriertcpd /usr/lib/courier/courier/imaplogin /usr/bin/imapd \
                /usr/lib/courier/courier-authlib/authdaemond /usr/lib/courier-authlib/libauthuserdb.so.0 \
                /usr/lib/courier/courier-authlib/makedatprog /usr/libexec/gam_server; do
            ldd "$f" | sed -n "s|^[[:space:]]*\([^ ]*\) => not found.*|\1|p"
        done' | sort -u | tr '\n' ' ')
    [ -z "$missing" ] || die "libraries missing on this machine: $missing(install them with apt-get)"
}

# The packages, downloaded and extracted in CACHE/pkg (once; serialized).
unpack_packages() {
    mkdir -p "$CACHE"
    (
        flock 9
        [ -f "$CACHE/pkg/.complete" ] && exit 0
        command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null \
            || die "apt-get and dpkg-deb are needed (Debian or a derivative)"
        rm -rf "$CACHE/debs" "$CACHE/pkg"
        mkdir -p "$CACHE/debs" "$CACHE/pkg"
        # shellcheck disable=SC2086
        (cd "$CACHE/debs" && apt-get download $PACKAGES) >"$CACHE/apt.log" 2>&1 \
            || die "apt-get download failed (see $CACHE/apt.log; apt-get update first?)"
        for p in "$CACHE"/debs/*.deb; do
            dpkg-deb -x "$p" "$CACHE/pkg" || die "dpkg-deb -x $p failed"
        done
        [ -x "$CACHE/pkg/usr/sbin/couriertcpd" ] && [ -x "$CACHE/pkg/usr/lib/courier/courier/imaplogin" ] \
            && [ -x "$CACHE/pkg/usr/lib/courier/courier-authlib/authdaemond" ] \
            || die "the extracted packages lack Courier's programs"
        touch "$CACHE/pkg/.complete"
    ) 9>"$CACHE/.lock"
}

make_tls() {
    local dir=$1
    [ -s "$dir/etc/imapd.pem" ] && return 0
    (
        umask 077
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -sha256 \
            -days 3650 -subj "/CN=localhost" \
            -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
            -keyout "$dir/etc/imapd.key.tmp" -out "$dir/etc/imapd.crt.tmp" 2>/dev/null
        cat "$dir/etc/imapd.key.tmp" "$dir/etc/imapd.crt.tmp" >"$dir/etc/imapd.pem.tmp"
        rm -f "$dir/etc/imapd.key.tmp" "$dir/etc/imapd.crt.tmp"
        mv -f "$dir/etc/imapd.pem.tmp" "$dir/etc/imapd.pem"
    ) || die "openssl failed to create the certificate"
}

# DIR/ns/etc/passwd and group: the machine's, plus a user and group "courier"
# on a free id, unless they exist.
write_passwd() {
    local dir=$1 id
    getent passwd >"$dir/ns/etc/passwd.tmp"
    getent group >"$dir/ns/etc/group.tmp"
    if ! grep -q '^courier:' "$dir/ns/etc/passwd.tmp"; then
        id=$(awk -F: 'FNR == NR { used[$3] = 1; next } { used[$3] = 1 }
            END { for (i = 999; i > 100; i--) if (!(i in used)) { print i; exit } }' \
            "$dir/ns/etc/passwd.tmp" "$dir/ns/etc/group.tmp")
        [ -n "$id" ] || die "no free id for the user courier"
        printf 'courier:x:%s:%s:Courier mail server:/nonexistent:/usr/sbin/nologin\n' \
            "$id" "$id" >>"$dir/ns/etc/passwd.tmp"
        grep -q '^courier:' "$dir/ns/etc/group.tmp" \
            || printf 'courier:x:%s:\n' "$id" >>"$dir/ns/etc/group.tmp"
    fi
    chmod 644 "$dir/ns/etc/passwd.tmp" "$dir/ns/etc/group.tmp"
    mv -f "$dir/ns/etc/passwd.tmp" "$dir/ns/etc/passwd"
    mv -f "$dir/ns/etc/group.tmp" "$dir/ns/etc/group"
}

write_config() {
    local dir=$1 port=$2
    # The package's files, with only the settings that must differ.
    sed -e "s|^ADDRESS=.*|ADDRESS=127.0.0.1|" \
        -e "s|^PORT=.*|PORT=$port|" \
        -e "s|^MAXPERIP=.*|MAXPERIP=$MAXPERIP|" \
        -e "s|^IMAP_ENHANCEDIDLE=.*|IMAP_ENHANCEDIDLE=0|" \
        "$dir/pkg/etc/courier/imapd" >"$dir/etc/imapd.tmp"
    grep -q "^PORT=$port\$" "$dir/etc/imapd.tmp" && grep -q "^MAXPERIP=$MAXPERIP\$" "$dir/etc/imapd.tmp" \
        || die "unexpected format of the package's /etc/courier/imapd"
    mv -f "$dir/etc/imapd.tmp" "$dir/etc/imapd"
    sed -e "s|^TLS_CACHEFILE=.*|TLS_CACHEFILE=/run/courier/couriersslimapcache|" \
        -e "s|^TLS_DHPARAMS=.*|TLS_DHPARAMS=|" \
        "$dir/pkg/etc/courier/imapd-ssl" >"$dir/etc/imapd-ssl"
    cat >"$dir/etc/authdaemonrc" <<'EOF'
# Generated by scripts/courier.sh; rewritten at every start.
authmodulelist="authuserdb"
authmodulelistorig="authuserdb"
daemons=5
authdaemonvar=/run/courier/authdaemon
DEBUG_LOGIN=0
DEFAULTOPTIONS=""
LOGGEROPTS=""
EOF
    chmod 600 "$dir/etc/authdaemonrc"
    # imaplogin needs the system user "courier" (for couriertls, at STARTTLS),
    # which the packages' maintainer scripts would create: it exists only in
    # the namespace's /etc/passwd and /etc/group, copies of the machine's.
    mkdir -p "$dir/ns/etc/courier"
    write_passwd "$dir"
    cat >"$dir/namespace.sh" <<'EOF'
#!/bin/sh
# Generated by scripts/courier.sh. Runs in a private mount namespace: lays the
# extracted packages over /usr, DIR/etc over /etc/courier and DIR/run over
# /run/courier, starts authdaemond, then becomes couriertcpd.
set -e
dir=$1
mkdir -p "$dir/ns/etc/courier" "$dir/ns/run/courier"
mount -t overlay overlay -o "lowerdir=$dir/pkg/usr:/usr" /usr
mount -t overlay overlay -o "lowerdir=$dir/ns/etc:/etc" /etc
mount -t overlay overlay -o "lowerdir=$dir/ns/run:/run" /run
mount --bind "$dir/etc" /etc/courier
mount --bind "$dir/run" /run/courier
mkdir -p /run/courier/authdaemon
chmod 750 /run/courier/authdaemon
rm -f /run/courier/authdaemon/socket*

env -i PATH=/usr/bin:/bin:/usr/sbin:/sbin \
    /usr/lib/courier/courier-authlib/authdaemond </dev/null >>"$dir/authdaemond.log" 2>&1 &
echo $! >/run/courier/authdaemond.pid

# couriertls (STARTTLS) runs as the user courier.
chown courier:courier /etc/courier/imapd.pem
rm -f /run/courier/couriersslimapcache
touch /run/courier/couriersslimapcache
chown courier:courier /run/courier/couriersslimapcache
chmod 600 /run/courier/couriersslimapcache

cd /
echo $$ >/run/courier/couriertcpd.pid
exec env -i PATH=/usr/bin:/bin:/usr/sbin:/sbin /bin/sh -c '
    set -a
    prefix=/usr
    exec_prefix=/usr
    sbindir=/usr/sbin
    bindir=/usr/bin
    . /etc/courier/imapd
    . /etc/courier/imapd-ssl
    IMAP_STARTTLS=$IMAPDSTARTTLS
    PROXY_HOSTNAME=$PROXY_HOSTNAME
    umask $IMAP_UMASK
    if test -n "$IMAP_ULIMITD"; then ulimit -v $IMAP_ULIMITD; fi
    exec /usr/sbin/couriertcpd -address=$ADDRESS \
        -maxprocs=$MAXDAEMONS -maxperip=$MAXPERIP \
        -stderr="$1/imapd.log" \
        $TCPDOPTS \
        $PORT /usr/lib/courier/courier/imaplogin /usr/bin/imapd $MAILDIRPATH
' sh "$dir" </dev/null >>"$dir/couriertcpd.log" 2>&1
EOF
    chmod 755 "$dir/namespace.sh"
}

# Runs COMMAND... with DIR/etc as /etc/courier and the packages over /usr.
in_namespace() {
    local dir=$1
    shift
    unshare --mount --propagation private -- /bin/sh -c '
        set -e
        dir=$1; shift
        mkdir -p "$dir/ns/etc/courier"
        mount -t overlay overlay -o "lowerdir=$dir/pkg/usr:/usr" /usr
        mount -t overlay overlay -o "lowerdir=$dir/ns/etc:/etc" /etc
        mount --bind "$dir/etc" /etc/courier
        exec "$@"
    ' sh "$dir" "$@"
}

# True when 127.0.0.1:PORT sends an IMAP greeting.
greets() {
    local line
    line=$( (exec 3<>"/dev/tcp/127.0.0.1/$1" && timeout 2 head -n 1 <&3) 2>/dev/null ) || return 1
    case "$line" in "* OK"*) return 0 ;; *) return 1 ;; esac
}

stop_instance() {
    local dir=$1 pid name i
    for name in couriertcpd authdaemond; do
        if pid=$(pid_of "$dir" "$name" "$name"); then
            kill -TERM "$pid" 2>/dev/null || true
            for i in $(seq 50); do
                alive "$pid" || break
                sleep 0.1
            done
            if alive "$pid"; then
                kill -KILL "$pid" 2>/dev/null || true
            fi
        fi
        rm -f "$dir/run/$name.pid"
    done
}

cmd_start() {
    [ $# -eq 2 ] || usage
    need_root
    local dir port i
    dir=$(abs_dir "$1")
    port=$2
    case "$port" in ''|*[!0-9]*) die "bad port '$port'" ;; esac
    command -v unshare >/dev/null || die "unshare not found (util-linux)"
    command -v openssl >/dev/null || die "openssl not found"
    mkdir -p "$dir/etc" "$dir/run" "$dir/mail"
    chmod 755 "$dir"
    ensure_vmail_user
    fetch_packages "$dir"
    stop_instance "$dir"
    make_tls "$dir"
    write_config "$dir" "$port"
    [ -f "$dir/etc/userdb" ] || install -m 600 /dev/null "$dir/etc/userdb"
    in_namespace "$dir" /usr/sbin/makeuserdb >/dev/null || die "makeuserdb failed"
    rm -f "$dir/run/authdaemon/socket"
    setsid unshare --mount --propagation private -- "$dir/namespace.sh" "$dir" \
        </dev/null >>"$dir/couriertcpd.log" 2>&1 &
    for i in $(seq $((WAIT_SECONDS * 10))); do
        if [ -S "$dir/run/authdaemon/socket" ] && greets "$port"; then
            pid_of "$dir" couriertcpd couriertcpd >/dev/null \
                || die "port $port answers, but not this instance's couriertcpd"
            echo "Courier-IMAP running in $dir on 127.0.0.1:$port"
            return 0
        fi
        sleep 0.1
    done
    tail -n 20 "$dir/couriertcpd.log" "$dir/authdaemond.log" >&2 2>/dev/null || true
    stop_instance "$dir"
    die "Courier-IMAP did not answer on 127.0.0.1:$port within $WAIT_SECONDS s"
}

cmd_adduser() {
    [ $# -eq 3 ] || usage
    need_root
    local dir user password uid gid home hash
    dir=$(abs_dir "$1")
    user=$2
    password=$3
    [ -f "$dir/pkg/.complete" ] || die "$dir is not set up: run start first"
    case "$user" in ''|*[[:space:]/\|]*|.*) die "bad user name '$user'" ;; esac
    ensure_vmail_user
    uid=$(id -u "$VMAIL_USER")
    gid=$(id -g "$VMAIL_USER")
    home="$dir/mail/$user"
    hash=$(printf '%s\n' "$password" | openssl passwd -6 -stdin) || die "openssl passwd failed"
    mkdir -p "$home/Maildir/cur" "$home/Maildir/new" "$home/Maildir/tmp"
    chown -R "$uid:$gid" "$home"
    chmod 700 "$home" "$home/Maildir"
    [ -f "$dir/etc/userdb" ] || install -m 600 /dev/null "$dir/etc/userdb"
    (
        flock 9
        {
            awk -F'\t' -v u="$user" '$1 != u' "$dir/etc/userdb"
            printf '%s\tuid=%s|gid=%s|home=%s|mail=%s|systempw=%s\n' \
                "$user" "$uid" "$gid" "$home" "$home/Maildir" "$hash"
        } >"$dir/etc/userdb.new"
        chmod 600 "$dir/etc/userdb.new"
        mv -f "$dir/etc/userdb.new" "$dir/etc/userdb"
        in_namespace "$dir" /usr/sbin/makeuserdb >/dev/null
    ) 9>"$dir/etc/.userdb.flock" || die "makeuserdb failed"
}

cmd_stop() {
    # --fast is accepted for symmetry with mailserver.sh: stopping is quick anyway.
    [ "${1:-}" != "--fast" ] || shift
    [ $# -eq 1 ] || usage
    need_root
    local dir
    dir=$(abs_dir "$1")
    stop_instance "$dir"
}

cmd_status() {
    [ $# -eq 1 ] || usage
    local dir
    dir=$(abs_dir "$1")
    if pid_of "$dir" couriertcpd couriertcpd >/dev/null; then
        echo "Courier-IMAP running in $dir"
        return 0
    fi
    echo "Courier-IMAP not running in $dir"
    return 3
}

[ $# -ge 1 ] || usage
command=$1
shift
case "$command" in
    fetch) need_root; unpack_packages ;;
    start) cmd_start "$@" ;;
    adduser) cmd_adduser "$@" ;;
    stop) cmd_stop "$@" ;;
    status) cmd_status "$@" ;;
    *) usage ;;
esac
