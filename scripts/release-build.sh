#!/bin/sh
# Release build of Facteur, and a smoke check that the binary serves on its own.
# POSIX sh: runs on Debian (CI) and in the Alpine builder of the Dockerfile.
#
#   scripts/release-build.sh [OUT_DIR]         build, report, then check the result
#   scripts/release-build.sh build [OUT_DIR]   build and report only
#   scripts/release-build.sh check BIN         check BIN only
#
# build    runs `cargo build --release --locked --bin facteur` for the host
#          target (Debian: the gnu target; Alpine: musl, a static binary),
#          copies the binary to OUT_DIR (else $DIST_DIR, else
#          target/release-dist/), prints its size and, on Linux, whether it is
#          statically linked (with readelf, file or ldd, whichever exists; none
#          is required). With REQUIRE_STATIC=1, a binary found to be
#          dynamically linked is an error.
# check    proves the binary serves from an empty directory with environment
#          configuration alone: from an empty temporary working directory, it
#          starts `BIN serve` with only FACTEUR_* variables (a data directory
#          that does not exist yet, 127.0.0.1 and a free port, plain-HTTP
#          cookies, an IMAP server that is never contacted), waits for
#          `BIN healthcheck` (same environment) to succeed, fetches /login
#          (200, referencing a /static/...css stylesheet that answers 200),
#          checks that the data directory got its database and secret key and
#          that nothing was written to the working directory, then sends
#          SIGTERM and expects exit status 0 within 10 s. Needs curl. It logs
#          in nowhere: the integration tests cover that against Dovecot.
#
# Environment: DIST_DIR (output directory), REQUIRE_STATIC=1, CHECK_TIMEOUT
# (seconds to wait for the health check, default 20), CARGO_TARGET_DIR and
# CARGO_BUILD_TARGET (where cargo puts the binary).

set -eu

me=release-build.sh
die() { echo "$me: error: $*" >&2; exit 1; }
say() { echo "$me: $*"; }

start_dir=$(pwd)
root=$(cd "$(dirname "$0")/.." && pwd)

# An absolute path for $1, relative to the directory the script was run from.
absolute() {
    case "$1" in
        /*) printf '%s\n' "$1" ;;
        *) printf '%s/%s\n' "$start_dir" "$1" ;;
    esac
}

# ---------------------------------------------------------------------------
# build

# Prints how BIN is linked: "static", "dynamic (...)" or "unknown (...)".
linkage() {
    bin=$1
    if command -v readelf >/dev/null 2>&1 && readelf -h "$bin" >/dev/null 2>&1; then
        interp=$(readelf -lW "$bin" 2>/dev/null \
            | sed -n 's/.*Requesting program interpreter: *\([^]]*\)].*/\1/p')
        needed=$(readelf -dW "$bin" 2>/dev/null \
            | sed -n 's/.*(NEEDED).*\[\(.*\)\].*/\1/p' | tr '\n' ' ' | sed 's/ *$//')
        if [ -z "$interp" ] && [ -z "$needed" ]; then
            echo "static"
        else
            echo "dynamic (interpreter: ${interp:-none}; libraries: ${needed:-none})"
        fi
        return 0
    fi
    if command -v file >/dev/null 2>&1; then
        desc=$(file -b "$bin" 2>/dev/null || true)
        case "$desc" in
            *"statically linked"*|*"static-pie linked"*) echo "static"; return 0 ;;
            *"dynamically linked"*) echo "dynamic ($desc)"; return 0 ;;
        esac
    fi
    if command -v ldd >/dev/null 2>&1; then
        out=$(ldd "$bin" 2>&1 || true)
        case "$out" in
            *"not a dynamic executable"*|*"statically linked"*) echo "static"; return 0 ;;
            *"=>"*) echo "dynamic ($(printf '%s' "$out" | tr '\n\t' '  '))"; return 0 ;;
        esac
        echo "unknown (ldd says: $(printf '%s' "$out" | head -n 3 | tr '\n\t' '  '))"
        return 0
    fi
    echo "unknown (no readelf, file or ldd to tell)"
}

cmd_build() {
    out=$(absolute "${1:-${DIST_DIR:-$root/target/release-dist}}")
    command -v cargo >/dev/null 2>&1 || die "cargo not found (Rust 1.95 or newer: https://rustup.rs)"
    cd "$root"

    host=$(rustc -vV 2>/dev/null | sed -n 's/^host: //p' || true)
    say "cargo build --release --locked --bin facteur (host ${host:-unknown}${CARGO_BUILD_TARGET:+, target $CARGO_BUILD_TARGET})"
    cargo build --release --locked --bin facteur || die "cargo build failed"

    target_dir=$(absolute_from_root "${CARGO_TARGET_DIR:-target}")
    if [ -n "${CARGO_BUILD_TARGET:-}" ]; then
        built="$target_dir/$CARGO_BUILD_TARGET/release/facteur"
    else
        built="$target_dir/release/facteur"
    fi
    [ -f "$built" ] || die "cargo reported success but $built does not exist"

    mkdir -p "$out" || die "cannot create $out"
    cp "$built" "$out/.facteur.tmp" || die "cannot copy $built to $out"
    chmod 0755 "$out/.facteur.tmp"
    mv -f "$out/.facteur.tmp" "$out/facteur"
    bin="$out/facteur"

    size=$(wc -c <"$bin" | tr -d ' ')
    say "binary: $bin"
    say "size: $size bytes ($(awk -v b="$size" 'BEGIN { printf "%.1f MiB", b / 1048576 }'))"
    if version=$("$bin" --version 2>/dev/null); then
        say "version: $version"
    else
        die "$bin does not run on this machine (--version failed)"
    fi
    if command -v sha256sum >/dev/null 2>&1; then
        say "sha256: $(sha256sum "$bin" | cut -d' ' -f1)"
    fi
    if [ "$(uname -s)" = Linux ]; then
        link=$(linkage "$bin")
        say "linkage: $link"
        if [ "${REQUIRE_STATIC:-0}" = 1 ]; then
            case "$link" in
                static) ;;
                dynamic*) die "REQUIRE_STATIC=1 but $bin is dynamically linked" ;;
                *) echo "$me: warning: REQUIRE_STATIC=1 but the linkage could not be determined" >&2 ;;
            esac
        fi
    fi
    BUILT_BIN=$bin
}

# CARGO_TARGET_DIR is relative to the project root (cargo's working directory).
absolute_from_root() {
    case "$1" in
        /*) printf '%s\n' "$1" ;;
        *) printf '%s/%s\n' "$root" "$1" ;;
    esac
}

# ---------------------------------------------------------------------------
# check

tmp=
server_pid=
cleanup() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill -KILL "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    if [ -n "$tmp" ]; then rm -rf "$tmp"; fi
}

fail() {
    echo "$me: check FAILED: $*" >&2
    if [ -n "$tmp" ] && [ -s "$tmp/facteur.log" ]; then
        echo "--- output of facteur serve (last 40 lines)" >&2
        tail -n 40 "$tmp/facteur.log" >&2
        echo "---" >&2
    fi
    exit 1
}

now() { date +%s; }

# A short pause; whole seconds where sleep takes no fractions.
pause() { sleep "$1" 2>/dev/null || sleep 1; }

# True when something listens on TCP port $1 (Linux: /proc/net/tcp*; elsewhere
# nothing is known and a busy port shows up as a failed start).
port_busy() {
    hex=$(printf '%04X' "$1")
    for f in /proc/net/tcp /proc/net/tcp6; do
        [ -r "$f" ] || continue
        if awk -v p=":$hex" 'NR > 1 && $4 == "0A" && substr($2, length($2) - 4) == p { found = 1 } END { exit !found }' "$f"; then
            return 0
        fi
    done
    return 1
}

pick_port() {
    n=0
    while :; do
        port=$(awk -v s="$$" -v a="$1" -v n="$n" \
            'BEGIN { srand(); print 20000 + (int(rand() * 40000) + s * 7 + a * 7919 + n * 104729) % 40000 }')
        port_busy "$port" || { echo "$port"; return 0; }
        n=$((n + 1))
        [ $n -lt 50 ] || return 1
    done
}

# Replaces the calling (sub)shell with `BIN ARGS...`, run from the empty
# working directory with the check's FACTEUR_* variables and nothing else.
# $limit: an optional `timeout N` prefix.
exec_bin() {
    cd "$tmp/cwd" || exit 1
    # shellcheck disable=SC2086 # $limit is empty or "timeout N"
    exec $limit env -i \
        FACTEUR_LISTEN="$addr" \
        FACTEUR_DATA_DIR="$tmp/data" \
        FACTEUR_COOKIE_SECURE=false \
        FACTEUR_IMAP_HOST=127.0.0.1 \
        FACTEUR_IMAP_PORT=1 \
        FACTEUR_IMAP_SECURITY=plain \
        "$bin" "$@"
}

# GET URL into FILE; prints "HTTP_CODE CONTENT_TYPE".
fetch() {
    curl -sS --max-time 10 -o "$2" -w '%{http_code} %{content_type}' "$1"
}

cmd_check() {
    [ $# -eq 1 ] || die "usage: $me check BIN"
    bin=$(absolute "$1")
    [ -f "$bin" ] || die "no such file: $bin"
    [ -x "$bin" ] || die "not executable: $bin"
    command -v curl >/dev/null 2>&1 || die "the check needs curl"
    timeout=${CHECK_TIMEOUT:-20}
    # One health check must not hang the loop (facteur's own bound is 3+3 s).
    limit=
    if command -v timeout >/dev/null 2>&1; then limit="timeout 10"; fi

    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/facteur-check.XXXXXX") || die "mktemp failed"
    mkdir "$tmp/cwd" "$tmp/http"
    say "check: $bin from an empty directory, data directory $tmp/data (not created beforehand)"

    # Start it; retry on another port if the chosen one was taken meanwhile.
    attempt=1
    while :; do
        port=$(pick_port "$attempt") || fail "found no free TCP port"
        addr="127.0.0.1:$port"
        # exec: the subshell's pid becomes the server's.
        (limit=''; exec_bin serve) >"$tmp/facteur.log" 2>&1 &
        server_pid=$!

        deadline=$(($(now) + timeout))
        healthy=0
        while [ "$(now)" -le "$deadline" ]; do
            if ! kill -0 "$server_pid" 2>/dev/null; then
                break
            fi
            if (exec_bin healthcheck) >/dev/null 2>&1; then
                healthy=1
                break
            fi
            pause 0.2
        done
        if [ $healthy = 1 ] && kill -0 "$server_pid" 2>/dev/null; then
            break
        fi
        if ! kill -0 "$server_pid" 2>/dev/null; then
            rc=0
            wait "$server_pid" || rc=$?
            server_pid=
            if [ $attempt -lt 3 ] && grep -qi 'in use' "$tmp/facteur.log"; then
                say "port of $addr taken, trying another"
                attempt=$((attempt + 1))
                continue
            fi
            fail "facteur serve exited with status $rc before answering the health check on $addr"
        fi
        fail "facteur healthcheck did not succeed within ${timeout}s on $addr"
    done
    say "check: healthcheck OK on $addr (pid $server_pid)"

    # The login page and its stylesheet.
    result=$(fetch "http://$addr/login" "$tmp/http/login.html") || fail "curl could not GET /login"
    # shellcheck disable=SC2086 # split "CODE TYPE"
    set -- $result
    [ "${1:-}" = 200 ] || fail "GET /login answered ${1:-nothing}, expected 200"
    css=$(grep -o '/static/[^"'\''<> ]*\.css' "$tmp/http/login.html" | head -n 1 || true)
    [ -n "$css" ] || fail "GET /login references no /static/...css stylesheet"
    result=$(fetch "http://$addr$css" "$tmp/http/style.css") || fail "curl could not GET $css"
    # shellcheck disable=SC2086
    set -- $result
    [ "${1:-}" = 200 ] || fail "GET $css answered ${1:-nothing}, expected 200"
    case "${2:-}" in
        text/css*) ;;
        *) fail "GET $css has Content-Type '${2:-}', expected text/css" ;;
    esac
    [ -s "$tmp/http/style.css" ] || fail "GET $css returned an empty body"
    say "check: GET /login 200, stylesheet $css 200 ($(wc -c <"$tmp/http/style.css" | tr -d ' ') bytes)"

    # What it wrote: its data directory, and nothing else.
    [ -s "$tmp/data/secret.key" ] || fail "no secret.key in the data directory"
    [ -f "$tmp/data/facteur.db" ] || fail "no facteur.db in the data directory"
    if [ -n "$(ls -A "$tmp/cwd")" ]; then
        fail "files appeared in the working directory: $(ls -A "$tmp/cwd" | tr '\n' ' ')"
    fi

    # Graceful stop.
    kill -TERM "$server_pid" || fail "could not send SIGTERM to $server_pid"
    stopped_at=$(now)
    (
        while kill -0 "$server_pid" 2>/dev/null; do
            if [ "$(now)" -ge $((stopped_at + 10)) ]; then
                : >"$tmp/killed"
                kill -KILL "$server_pid" 2>/dev/null || true
                exit 0
            fi
            pause 0.1
        done
    ) &
    watchdog=$!
    rc=0
    wait "$server_pid" || rc=$?
    server_pid=
    kill "$watchdog" 2>/dev/null || true
    wait "$watchdog" 2>/dev/null || true
    if [ -e "$tmp/killed" ]; then
        fail "facteur did not exit within 10 s of SIGTERM (killed)"
    fi
    [ $rc = 0 ] || fail "facteur exited with status $rc after SIGTERM, expected 0"
    say "check: stopped by SIGTERM with status 0 in $(($(now) - stopped_at)) s"
    say "check passed"
}

# ---------------------------------------------------------------------------

case "${1:-}" in
    check)
        shift
        cmd_check "$@"
        ;;
    build)
        shift
        [ $# -le 1 ] || die "usage: $me build [OUT_DIR]"
        cmd_build "${1:-}"
        ;;
    -h|--help|help)
        awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"
        ;;
    -*)
        die "unknown option $1 (see $me --help)"
        ;;
    *)
        [ $# -le 1 ] || die "usage: $me [OUT_DIR] | build [OUT_DIR] | check BIN"
        cmd_build "${1:-}"
        cmd_check "$BUILT_BIN"
        ;;
esac
