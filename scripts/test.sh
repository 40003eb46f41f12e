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

# Screenshots of the browser tests land here.
export FACTEUR_SCREENSHOT_DIR="${FACTEUR_SCREENSHOT_DIR:-$PWD/target/screenshots}"
export RUST_BACKTRACE="${RUST_BACKTRACE:-0}"
cargo test --locked --lib --bins
echo "== integration tests on SQLite"
FACTEUR_TEST_DATABASE=sqlite cargo test --locked --test it "$@"
echo "== integration tests on PostgreSQL"
FACTEUR_TEST_DATABASE=postgres FACTEUR_SCREENSHOT_DIR="$FACTEUR_SCREENSHOT_DIR/postgres" cargo test --locked --test it "$@"
