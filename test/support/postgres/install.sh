#!/usr/bin/env bash
# PostgreSQL for the tests: the machine's server on 127.0.0.1:5432 (trust auth, user postgres). Idempotent:
# exits at once when it answers; otherwise installs Debian's postgresql when it is absent and starts the cluster.
# The HA failure test also uses the server binaries (initdb, pg_ctl) for a throwaway cluster of its own.
set -euo pipefail

answers() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
binaries() { compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; }

if [[ ${1:-} == --check ]]; then
  if binaries && answers; then exit 0; else exit 1; fi
fi

if binaries && answers; then
  exit 0
fi

if [[ $EUID -ne 0 ]]; then
  echo "postgres/install.sh: must run as root to install or start PostgreSQL" >&2
  exit 1
fi

if ! binaries; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends postgresql >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq --no-install-recommends postgresql; }
fi
if ! answers; then
  version=$(basename "$(dirname "$(dirname "$(compgen -G '/usr/lib/postgresql/*/bin/initdb' | sort -V | tail -n 1)")")")
  pg_ctlcluster --skip-systemctl-redirect "$version" main start
fi
for _ in $(seq 1 50); do answers && exit 0; sleep 0.2; done
echo "postgres/install.sh: PostgreSQL does not answer on 127.0.0.1:5432" >&2
exit 1
