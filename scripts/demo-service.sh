#!/usr/bin/env bash
# `make demo`, second part: the service (`tapelib serve`) against an embedded simulated library
# (hwsim's midsize profile), driven through its task queue with `tapelib task`, then stopped with
# SIGTERM as systemd would. State (catalog and simulated library) stays in $1.
set -euo pipefail
BIN=${BIN:-.build/debug/tapelib}
STATE=${1:?state directory}
mkdir -p "$STATE"
cat_dir=(--state-dir "$STATE/service")
"$BIN" serve --sim midsize --sim-state "$STATE/service-sim" "${cat_dir[@]}" --hostname demo-media --queue-poll 0.2 \
  2>"$STATE/serve.log" &
server=$!
trap 'kill -TERM $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT
# The service registers the simulated library on its first start; queue a sync once it exists.
for _ in $(seq 100); do
  "$BIN" task submit sync --library 1 "${cat_dir[@]}" --wait 2>/dev/null && break
  sleep 0.2
done
"$BIN" task submit load --library 1 --drive 1 --cartridge B00001L8 "${cat_dir[@]}" --wait
"$BIN" task submit erase --library 1 --drive 1 --long "${cat_dir[@]}" --wait
"$BIN" task submit format --library 1 --drive 1 --format ltfs --volume-name demo --force "${cat_dir[@]}" --wait
"$BIN" task submit check_ltfs --library 1 --drive 1 "${cat_dir[@]}" --wait
"$BIN" task submit unload --library 1 --drive 1 "${cat_dir[@]}" --wait
# A refused request: validated before anything is queued.
"$BIN" task submit erase --library 1 --drive 99 "${cat_dir[@]}" || true
"$BIN" task list "${cat_dir[@]}"
"$BIN" task show 6 "${cat_dir[@]}"
kill -TERM $server
wait $server
trap - EXIT
echo "service log: $STATE/serve.log"
