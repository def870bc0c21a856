#!/usr/bin/env bash
# The real parts the test suite drives, from Debian's packages; each script is idempotent and fast when done.
set -euo pipefail
here="$(dirname "$0")"
bash "$here/simplesamlphp/install.sh"
bash "$here/browser/install.sh"
