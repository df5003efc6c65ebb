#!/usr/bin/env bash
# `make test`, the web page in a real browser: Debian's chromium and chromium-driver (installed
# by the Makefile), selenium from PyPI in the test virtualenv, scripts/ui/page_test.py against
# `tapelib serve --sim midsize` and `--sim large` on free ports. Screenshots in OUT.
# `scripts/ui-test.sh bench` runs scripts/ui/bench.py instead (make bench).
set -euo pipefail
VENV=${VENV:-.build/venv}
SELENIUM_VERSION=4.40.0
export BIN=${BIN:-.build/debug/tapelib}
export OUT=${OUT:-.build/ui-screenshots}
if ! "$VENV/bin/python" -c "import selenium, sys; sys.exit(selenium.__version__ != '$SELENIUM_VERSION')" 2>/dev/null; then
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "selenium==$SELENIUM_VERSION"
fi
script=page_test.py
[ "${1:-}" = bench ] && script=bench.py
exec "$VENV/bin/python" "scripts/ui/$script"
