#!/bin/bash
# README command 1: install what is missing, build, and run the bundled demo
# (two SAP systems' IDoc files and a QuickBooks Online company served by the
# local emulator; SQLite; the file mail transport): one sync cycle, then a
# QuickBooks user deletes an invoice, then a second cycle. Prints what was
# synced and which discrepancies were emailed.
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

# The QuickBooks company: the emulator on a free loopback port.
REALM=4620816365254230280
exec 3< <(exec "$BUILD_DIR/tests/emulators/quickbooks/qbo_emulator" --listen 127.0.0.1:0 --realm "$REALM" \
  --access-token demo-access --refresh-token demo-refresh --client-id arsync-demo \
  --client-secret demo-secret --fixtures "$DEMO/quickbooks" 2>"$DEMO/qbo_emulator.log")
EMULATOR_PID=$!
trap 'kill "$EMULATOR_PID" 2>/dev/null || true' EXIT
read -r first <&3 || true
QBO="${first#listening on }"
if [[ "$QBO" != http://127.0.0.1:* ]]; then
  echo "the QuickBooks emulator did not start: $first (see $DEMO/qbo_emulator.log)" >&2
  exit 1
fi
sed -i "s/@QBO_PORT@/${QBO##*:}/g" "$DEMO/arsync.json"
# The secrets file: a fresh credential-store key, the app's client secret and
# the refresh token the emulator issued; readable by its owner only.
(umask 077; cat >"$DEMO/secrets.json" <<SECRETS
{"store_key": "$(openssl rand -hex 32)",
 "systems": {"qbo-us": {"client_secret": "demo-secret", "refresh_token": "demo-refresh"}}}
SECRETS
)

run_cycle() {
  echo "== running: arsyncd --config $DEMO/arsync.json --once   ($1)"
  set +e
  "$BUILD_DIR/daemon/main/arsyncd" --config "$DEMO/arsync.json" --once 2>>"$DEMO/arsyncd.log"
  rc=$?
  set -e
}
run_cycle "first cycle"
echo
# A QuickBooks user deletes invoice 90001236 (still open in SAP ECC).
python3 - "$QBO" "$REALM" <<'PY'
import json, sys, urllib.parse, urllib.request
base, realm = sys.argv[1], sys.argv[2]
def call(path, body=None):
    req = urllib.request.Request(base + "/v3/company/" + realm + path, method="POST" if body else "GET",
                                 data=json.dumps(body).encode() if body else None,
                                 headers={"Authorization": "Bearer demo-access", "Accept": "application/json",
                                          "Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(req))
q = urllib.parse.quote("select * from Invoice where DocNumber = '90001236'")
inv = call("/query?query=" + q)["QueryResponse"]["Invoice"][0]
call("/invoice?operation=delete", {"Id": inv["Id"], "SyncToken": inv["SyncToken"]})
print("== in QuickBooks, invoice 90001236 (Id %s) was deleted" % inv["Id"])
PY
echo
run_cycle "second cycle: QuickBooks' change data capture reports the deletion"
echo "(daemon log: $DEMO/arsyncd.log)"
echo
echo "== emails written ($DEMO/mail)"
ls -1 "$DEMO/mail"/*.eml 2>/dev/null | sed 's/^/  /' || echo "  none"
echo
echo "Try: $BUILD_DIR/daemon/main/arsync --config $DEMO/arsync.json discrepancies list"
# The demo plants a malformed IDoc: a non-zero exit only means a system failed.
exit $rc
