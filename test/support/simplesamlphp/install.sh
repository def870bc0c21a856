#!/usr/bin/env bash
# Installs the Debian SimpleSAMLphp IdP used by test/support/simplesamlphp/idp.ts.
# Idempotent: exits at once when everything is already present.
# Debian's simplesamlphp (1.19.x) does not depend on php-xml / php-mbstring, which it
# needs at runtime, and it pulls in apache2; a temporary policy-rc.d keeps apache2 from
# starting (and binding :80) during the install. openssl (the CLI) makes the test key pairs;
# minimal Debian images do not always have it.
set -euo pipefail

PKGS=(simplesamlphp php-cli php-xml php-mbstring openssl)

installed() {
  command -v php >/dev/null 2>&1 || return 1
  command -v openssl >/dev/null 2>&1 || return 1
  local p
  for p in "${PKGS[@]}"; do
    [[ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)" == installed ]] || return 1
  done
  # The extensions must actually be loaded by the CLI, not just installed.
  php -r 'exit(extension_loaded("dom") && extension_loaded("mbstring") ? 0 : 1);'
}

# --check: only say (by the exit status) whether everything is present; install nothing.
if [[ ${1:-} == --check ]]; then
  if installed; then exit 0; else exit 1; fi
fi

if installed; then
  exit 0
fi

if [[ $EUID -ne 0 ]]; then
  echo "install.sh: must run as root to install ${PKGS[*]}" >&2
  exit 1
fi

POLICY=/usr/sbin/policy-rc.d
created_policy=0
cleanup() {
  if [[ $created_policy -eq 1 ]]; then rm -f "$POLICY"; fi
}
trap cleanup EXIT

if [[ ! -e $POLICY ]]; then
  printf '#!/bin/sh\nexit 101\n' >"$POLICY"
  chmod 755 "$POLICY"
  created_policy=1
fi

export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${PKGS[@]}"; } >"$log" 2>&1; then
  echo "install.sh: apt-get failed:" >&2
  tail -n 40 "$log" >&2
  rm -f "$log"
  exit 1
fi
rm -f "$log"

if ! installed; then
  echo "install.sh: packages installed but php/dom/mbstring/openssl still unavailable" >&2
  exit 1
fi
