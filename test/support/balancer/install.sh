#!/usr/bin/env bash
# HAProxy from Debian, the load balancer of the two-instance failure test and of deploy/haproxy.cfg. Idempotent.
set -euo pipefail

installed() { [[ -x /usr/sbin/haproxy ]]; }

if [[ ${1:-} == --check ]]; then
  if installed; then exit 0; else exit 1; fi
fi
if installed; then exit 0; fi
if [[ $EUID -ne 0 ]]; then
  echo "balancer/install.sh: must run as root to install haproxy" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
trap 'rm -f "$log"' EXIT
install() { apt-get install -y -qq --no-install-recommends haproxy >"$log" 2>&1; }
if ! install && ! { apt-get update -qq >"$log" 2>&1 && install; }; then
  echo "balancer/install.sh: apt-get install failed:" >&2
  tail -n 40 "$log" >&2
  exit 1
fi
installed || { echo "balancer/install.sh: haproxy installed but /usr/sbin/haproxy is missing" >&2; exit 1; }
