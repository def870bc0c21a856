#!/usr/bin/env bash
# Installs Debian's chromium for the real-browser tests (driven by playwright-core at /usr/bin/chromium),
# with a font so that screenshots show text. Idempotent: exits at once when both are present.
# Runs `apt-get update` only when the package lists do not know chromium yet, or are too old to install it.
set -euo pipefail

PKGS=(chromium fonts-dejavu-core)

installed() {
  [[ -x /usr/bin/chromium ]] || return 1
  local p
  for p in "${PKGS[@]}"; do
    [[ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)" == installed ]] || return 1
  done
}

# --check: only say (by the exit status) whether everything is present; install nothing.
if [[ ${1:-} == --check ]]; then
  if installed; then exit 0; else exit 1; fi
fi

if installed; then
  exit 0
fi

if [[ $EUID -ne 0 ]]; then
  echo "browser/install.sh: must run as root to install ${PKGS[*]}" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
trap 'rm -f "$log"' EXIT
install() { apt-get install -y -qq --no-install-recommends "${PKGS[@]}" >"$log" 2>&1; }

if ! apt-cache show chromium >/dev/null 2>&1; then
  apt-get update -qq >"$log" 2>&1 || { echo "browser/install.sh: apt-get update failed:" >&2; tail -n 40 "$log" >&2; exit 1; }
fi
# Stale lists name package versions the mirror no longer has: refresh them once and retry.
if ! install && ! { apt-get update -qq >"$log" 2>&1 && install; }; then
  echo "browser/install.sh: apt-get install failed:" >&2
  tail -n 40 "$log" >&2
  exit 1
fi

if ! installed; then
  echo "browser/install.sh: packages installed but /usr/bin/chromium is still missing" >&2
  exit 1
fi
