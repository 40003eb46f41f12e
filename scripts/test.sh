#!/usr/bin/env bash
# Runs Facteur's whole test suite on a fresh Debian/Ubuntu machine: installs Dovecot and
# Chromium if needed, then runs unit, integration (real Dovecot on 127.0.0.1) and browser
# (headless Chromium) tests. Extra arguments go to `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v cargo >/dev/null || { echo "test.sh: Rust (cargo, 1.95 or newer) is needed: https://rustup.rs" >&2; exit 1; }
bash scripts/install-deps.sh

# Screenshots of the browser tests land here.
export FACTEUR_SCREENSHOT_DIR="${FACTEUR_SCREENSHOT_DIR:-$PWD/target/screenshots}"
export RUST_BACKTRACE="${RUST_BACKTRACE:-0}"
cargo test --locked --lib --bins --tests "$@"
