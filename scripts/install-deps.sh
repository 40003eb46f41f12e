#!/usr/bin/env bash
# Installs the system packages Facteur's demo and tests need, from Debian/Ubuntu packages:
# Dovecot (IMAP + LMTP, and the fts-xapian full-text index), Postfix (submission), OpenSSL
# (test certificates), Chromium and ChromeDriver (browser tests), npm (to fetch axe-core, the
# accessibility checker the browser tests inject, at the version tests/axe/package-lock.json
# pins), PostgreSQL (the scale-out backend), dnsmasq (a DNS server for the SRV discovery test)
# and curl (the release self-containment check).
# Installing does not start the system-wide services (ports 25, 143, 993 stay free) and leaves
# Postfix unconfigured: Facteur's scripts run private instances.
#
#   scripts/install-deps.sh           everything
#   scripts/install-deps.sh --mail    only what the demo needs
set -euo pipefail

packages=(dovecot-imapd dovecot-lmtpd dovecot-fts-xapian dovecot-sieve dovecot-managesieved postfix openssl ca-certificates python3)
if [ "${1:-}" != "--mail" ]; then
    # libgdbm6, libgnutls30, libglib2.0-0: what Courier-IMAP (scripts/courier.sh) links to.
    packages+=(chromium chromium-driver fonts-noto-cjk postgresql dnsmasq-base curl libgdbm6 libgnutls30 libglib2.0-0)
fi

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Debian's npm, unless an npm is there already (Node.js packages of nodejs.org ship their own).
if [ "${1:-}" != "--mail" ] && ! command -v npm >/dev/null; then
    missing+=(npm)
fi
# A real Courier-IMAP for the tests, beside Dovecot: downloaded, never installed.
fetch_courier() {
    if [ "${1:-}" != "--mail" ]; then
        # Package lists may have been cleaned since the last install.
        if [ ! -f "${FACTEUR_COURIER_CACHE:-/var/cache/facteur-courier}/pkg/.complete" ] && [ "${updated:-0}" = 0 ]; then
            $SUDO apt-get update -q
        fi
        $SUDO bash "$(dirname "$0")/courier.sh" fetch
    fi
}
# axe-core for the accessibility tests, checked against the lock file's hash.
fetch_axe() {
    if [ "${1:-}" != "--mail" ] && [ ! -f "$(dirname "$0")/../tests/axe/node_modules/axe-core/axe.min.js" ]; then
        (cd "$(dirname "$0")/../tests/axe" && npm ci --no-audit --no-fund --loglevel=error)
    fi
}
if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: all packages present"
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
    fetch_courier "${1:-}"
    fetch_axe "${1:-}"
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "install-deps: run as root or install sudo" >&2; exit 1; }
    SUDO=sudo
fi

echo "install-deps: installing ${missing[*]}"
# Keep package installation from starting system services (ports 25/143/993/5432 stay free).
created_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod 755 /usr/sbin/policy-rc.d
    created_policy=1
fi
cleanup() { if [ "$created_policy" = 1 ]; then $SUDO rm -f /usr/sbin/policy-rc.d; fi; }
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
# Postfix asks no questions and writes no system-wide main.cf ("No configuration").
$SUDO debconf-set-selections <<'EOF'
postfix postfix/main_mailer_type select No configuration
postfix postfix/mailname string facteur.test
EOF
$SUDO apt-get update -q
updated=1
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fetch_courier "${1:-}"
fetch_axe "${1:-}"
