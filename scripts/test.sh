#!/usr/bin/env bash
# Runs Facteur's whole test suite on a fresh Debian/Ubuntu machine: installs Dovecot, Postfix,
# PostgreSQL, dnsmasq and Chromium if needed, then runs the unit tests, then the integration
# and browser tests twice: on SQLite (the default) and with every instance on a private
# PostgreSQL. The harness starts its own Dovecot, Postfix and PostgreSQL on 127.0.0.1.
# Extra arguments go to both `cargo test` runs of the integration tests.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v cargo >/dev/null || { echo "test.sh: Rust (cargo, 1.95 or newer) is needed: https://rustup.rs" >&2; exit 1; }
bash scripts/install-deps.sh
# Dovecot hands a hibernated connection's mailbox watch (an inotify instance of the mail user)
# to imap-hibernate; the kernel's default of 128 per user runs out when tests run side by side,
# and then nothing is hibernated.
if [ "$(cat /proc/sys/fs/inotify/max_user_instances 2>/dev/null || echo 0)" -lt 1024 ]; then
    if [ "$(id -u)" = 0 ]; then sysctl -q -w fs.inotify.max_user_instances=1024; else sudo sysctl -q -w fs.inotify.max_user_instances=1024; fi \
        || echo "test.sh: could not raise fs.inotify.max_user_instances; hibernation tests may fail" >&2
fi

# Screenshots of the browser tests land here.
export FACTEUR_SCREENSHOT_DIR="${FACTEUR_SCREENSHOT_DIR:-$PWD/target/screenshots}"
export RUST_BACKTRACE="${RUST_BACKTRACE:-0}"
cargo test --locked --lib --bins
echo "== integration tests on SQLite"
FACTEUR_TEST_DATABASE=sqlite cargo test --locked --test it "$@"
echo "== integration tests on PostgreSQL"
FACTEUR_TEST_DATABASE=postgres FACTEUR_SCREENSHOT_DIR="$FACTEUR_SCREENSHOT_DIR/postgres" cargo test --locked --test it "$@"
