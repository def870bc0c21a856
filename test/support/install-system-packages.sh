#!/usr/bin/env bash
# The real parts the test suite drives, from Debian's packages (and PostgreSQL started when it is not running); each script is idempotent and fast when done.
# --check installs nothing: it prints each missing part on its own line and exits 1 when one is missing
# (`npm test` runs it first, through test/support/system-packages.ts).
set -euo pipefail
here="$(dirname "$0")"
if [[ ${1:-} == --check ]]; then
  missing=0
  "$BASH" "$here/simplesamlphp/install.sh" --check || { echo "SimpleSAMLphp IdP (simplesamlphp php-cli php-xml php-mbstring openssl)"; missing=1; }
  "$BASH" "$here/browser/install.sh" --check || { echo "Chromium (chromium fonts-dejavu-core)"; missing=1; }
  "$BASH" "$here/postgres/install.sh" --check || { echo "PostgreSQL running on 127.0.0.1:5432 (postgresql)"; missing=1; }
  "$BASH" "$here/balancer/install.sh" --check || { echo "HAProxy (haproxy)"; missing=1; }
  exit $missing
fi
"$BASH" "$here/simplesamlphp/install.sh"
"$BASH" "$here/browser/install.sh"
"$BASH" "$here/postgres/install.sh"
"$BASH" "$here/balancer/install.sh"
