#!/bin/bash
# README command 1: install what is missing, build, run one sync cycle on the
# bundled demo (two SAP systems' IDoc files, SQLite, file mail transport) and
# print what was synced and which discrepancies were emailed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/packaging/setup.sh"

# A fresh copy each run, so the demo can be repeated: the connector moves the
# files it reads (inbound -> archive) and the store remembers what it saw.
DEMO="$BUILD_DIR/demo"
rm -rf "$DEMO"
mkdir -p "$DEMO"
cp -r "$ROOT/packaging/demo/." "$DEMO/"
rm -f "$DEMO/make_demo_idocs.py"
ln -sfn "$ROOT/mappings" "$DEMO/mappings"

echo "== running: arsyncd --config $DEMO/arsync.json --once"
set +e
"$BUILD_DIR/daemon/main/arsyncd" --config "$DEMO/arsync.json" --once 2>"$DEMO/arsyncd.log"
rc=$?
set -e
echo "(daemon log: $DEMO/arsyncd.log)"
echo
echo "== emails written ($DEMO/mail)"
ls -1 "$DEMO/mail"/*.eml 2>/dev/null | sed 's/^/  /' || echo "  none"
echo
echo "Try: $BUILD_DIR/daemon/main/arsync --config $DEMO/arsync.json discrepancies list"
# The demo plants a malformed IDoc: a non-zero exit only means a system failed.
exit $rc
