#!/usr/bin/env bash
# `make demo`, second part: the service (`tapelib serve`) against an embedded simulated library
# (hwsim's midsize profile), driven through its task queue with `tapelib task`, then stopped with
# SIGTERM as systemd would. State (catalog and simulated library) stays in $1; running it again
# carries on from there.
set -euo pipefail
BIN=${BIN:-.build/debug/tapelib}
STATE=${1:?state directory}
mkdir -p "$STATE"
cat_dir=(--state-dir "$STATE/service")
PORT=${DEMO_PORT:-5656}
"$BIN" serve --port "$PORT" --sim midsize --sim-state "$STATE/service-sim" "${cat_dir[@]}" --queue-poll 0.2 2>"$STATE/serve.log" &
server=$!
trap 'kill -TERM $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT
fail() { echo "demo: $*" >&2; echo "--- service log ($STATE/serve.log):" >&2; cat "$STATE/serve.log" >&2; exit 1; }
# The service registers the simulated library on its first start; queue a sync once it exists.
synced=no
for _ in $(seq 150); do
  kill -0 $server 2>/dev/null || fail "tapelib serve exited"
  if "$BIN" task submit sync --library 1 "${cat_dir[@]}" --wait --timeout 60 2>/dev/null; then synced=yes; break; fi
  sleep 0.2
done
[ $synced = yes ] || fail "the service did not register the simulated library"
task() { "$BIN" task submit "$@" --library 1 "${cat_dir[@]}" --wait --timeout 120; }
# A run interrupted with the cartridge in drive 1 left it there (and this marker): unload it first.
if [ -e "$STATE/.demo-drive-loaded" ]; then task unload --drive 1 || true; fi
task load --drive 1 --cartridge B00001L8
touch "$STATE/.demo-drive-loaded"
task erase --drive 1 --long
task format --drive 1 --format ltfs --volume-name demo --force
check=$("$BIN" task submit check_ltfs --library 1 --drive 1 "${cat_dir[@]}" --json | sed -n 's/^ *"id" : \([0-9]*\),$/\1/p')
"$BIN" task wait "$check" "${cat_dir[@]}" --timeout 120
task unload --drive 1
rm -f "$STATE/.demo-drive-loaded"
# Addressed by cartridge: the service picks a drive that can write it, loads it, works, and
# returns it home; the format and the check that follow share that one load (consolidation).
task erase --cartridge B00002L8
"$BIN" task submit format --library 1 --cartridge B00002L8 --format ltfs "${cat_dir[@]}" >/dev/null
task check_ltfs --cartridge B00002L8
# Task controls: an erase of the now empty drive 1 fails; restarted, it runs again as attempt 2
# (and fails again, saying why); pausing a task that has ended is refused with the reason.
failed=$("$BIN" task submit erase --library 1 --drive 1 "${cat_dir[@]}" --json | sed -n 's/^ *"id" : \([0-9]*\),$/\1/p')
"$BIN" task wait "$failed" "${cat_dir[@]}" --timeout 120 || true
"$BIN" task restart "$failed" "${cat_dir[@]}"
"$BIN" task wait "$failed" "${cat_dir[@]}" --timeout 120 || true
"$BIN" task pause "$failed" "${cat_dir[@]}" || true
# A refused request: validated before anything is queued.
"$BIN" task submit erase --library 1 --drive 99 "${cat_dir[@]}" || true
"$BIN" task list --limit 10 "${cat_dir[@]}"
"$BIN" task show "$check" "${cat_dir[@]}"
# The REST API of the same service: log in with the generated admin password, then a few calls,
# each printed with the gist of its answer.
API=http://127.0.0.1:$PORT/api/v1
PASSWORD=$(head -n1 "$STATE/service/admin-password")
gist() { python3 -c 'import json,sys
a=json.load(sys.stdin); d=a.get("data")
if a.get("is_error"): print("   ->", a.get("code"), "-", a.get("message"))
elif isinstance(d, list): print("   ->", len(d), "items;", json.dumps(d[0])[:150] if d else "")
else: print("   ->", (a.get("message") + " " if a.get("message") else "") + json.dumps(d)[:150])'; }
call() { local method=$1 path=$2; shift 2; echo "$method /api/v1/$path $*"
  curl -s -X "$method" -H "Authorization: Bearer $TOKEN" -H "X-CSRF-TOKEN: $CSRF" "$API/$path" ${1:+-d "$1"} | gist; }
echo "POST /api/v1/auth/login"
LOGIN=$(curl -s -X POST "$API/auth/login" -d "{\"rubackup_user\": \"admin\", \"password\": \"$PASSWORD\"}")
TOKEN=$(echo "$LOGIN" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["access_token"])')
CSRF=$(echo "$LOGIN" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["csrf_token"])')
echo "   -> access_token, refresh_token, csrf_token for admin"
call GET "tape_libraries"
call GET "library_slots?limit=3&filter_data=full=%22true%22"
call POST "tape_libraries/1/sync?wait=true"
call PATCH "library_slots/erase_cartridge" '{"data": [{"library_id": 1, "volume_tag": "B00003L8", "is_long_erase": false}]}'
call PATCH "library_slots/erase_cartridge" '{"data": [{"library_id": 1, "volume_tag": "NOSUCH"}]}'
call GET "tl_task_queue?limit=1&sort=id&direction=desc"
call GET "task_status"
echo "The web page of this service: http://127.0.0.1:$PORT/ — sign in as admin with the password in $STATE/service/admin-password"
echo "  (it is served while tapelib serve runs; start it again with: $BIN serve --port $PORT --sim midsize --sim-state $STATE/service-sim --state-dir $STATE/service)"
echo "Try it yourself while a service runs (tapelib serve --sim midsize --state-dir DIR; password in DIR/admin-password):"
echo "  curl -s -X POST $API/auth/login -d '{\"rubackup_user\": \"admin\", \"password\": \"PASSWORD\"}'"
echo "  curl -s -H 'Authorization: Bearer ACCESS_TOKEN' -H 'X-CSRF-TOKEN: CSRF_TOKEN' $API/tape_libraries"
echo "  curl -s -H 'Authorization: Bearer ACCESS_TOKEN' -H 'X-CSRF-TOKEN: CSRF_TOKEN' '$API/library_slots?limit=5'"
echo "  the API's document: $API/openapi.json, browsable at $API/docs"
kill -TERM $server
wait $server
trap - EXIT
echo "service log: $STATE/serve.log"
