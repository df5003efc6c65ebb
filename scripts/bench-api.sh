#!/usr/bin/env bash
# `make bench`, the REST API under load (wrk, loopback, 30 s each, one run): a 50,000-slot
# simulated library served by `tapelib serve`, logged in as the superuser.
#  (a) one 100-row page of library_slots with a filter_data, by 64 connections, beside nginx
#      serving the same bytes as a static file;
#  (b) 1,000 distinct pages and filters in rotation by 8 connections, beside the catalog's own
#      rate for the same queries in process;
#  (c) (b) while two long erases run (the simulated library at 4 × real time, so they last hours)
#      and a sync of the 50,000 slots is queued every 3 s: every task row written invalidates the
#      response cache;
#  (b) again against a server started with --no-response-cache: the path through the catalog
#      every time (HTTP, auth and JSON over the catalog's own cost).
# Targets (issue 11): (a) ≥ 0.3 × nginx's req/s, p99 ≤ 20 ms; (b) ≥ 0.7 × in process, p99 ≤ 20 ms;
# (c) p99 ≤ 50 ms.
set -euo pipefail
TOOLS=${TOOLS:-.build-static/release/tapelib-tools}
BENCH=${BENCH:-.build/release/tapelib-bench}
DURATION=${DURATION:-30s}
work=$(mktemp -d)
servers=()
stop_server() { # SIGTERM, then SIGKILL if tasks in flight (the long erases) keep it past 20 s
  local pid=$1
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  for pid in "${servers[@]}"; do stop_server "$pid"; done
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
TAPELIB_BENCH_ONLY=api-profile TAPELIB_BENCH_PROFILE="$work/bench-50k.json" "$BENCH" >/dev/null

# start NAME FLAGS…: serves the profile from a fresh state directory, logs in, waits for the
# start's sync; sets base, token, csrf, server.
start() {
  local name=$1; shift
  TAPELIB_ADMIN_PASSWORD=bench-api-pw "$TOOLS" serve --sim "$work/bench-50k.json" --hostname bench-api --port 0 \
    --state-dir "$work/$name" --queue-poll 0.2 "$@" >"$work/$name.log" 2>&1 &
  server=$!
  servers+=("$server")
  local port=""
  for _ in $(seq 3000); do
    kill -0 $server 2>/dev/null || { cat "$work/$name.log" >&2; exit 1; }
    port=$(sed -n 's/.*API listening on http:\/\/[^ ]*:\([0-9][0-9]*\)$/\1/p' "$work/$name.log" | head -n1)
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { echo "bench-api: the API did not start" >&2; exit 1; }
  base=http://127.0.0.1:$port
  local login
  login=$(curl -sf -X POST "$base/api/v1/auth/login" -d '{"rubackup_user": "admin", "password": "bench-api-pw"}')
  token=$(echo "$login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["access_token"])')
  csrf=$(echo "$login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["csrf_token"])')
  auth=(-H "Authorization: Bearer $token" -H "X-CSRF-TOKEN: $csrf")
  # The start's sync fills the catalog with the 50,000 slots: wait for it (an event: the library synced).
  local synced=no
  for _ in $(seq 6000); do
    synced=$(curl -sf "${auth[@]}" "$base/api/v1/tape_libraries" | python3 -c 'import json,sys; d=json.load(sys.stdin)["data"]; print("yes" if d and d[0].get("last_sync") else "no")')
    [ "$synced" = yes ] && break
    sleep 0.2
  done
  [ "$synced" = yes ] || { echo "bench-api: the library was not synced" >&2; exit 1; }
}

start state --sim-speed 4
slots=$(curl -sf -D - -o /dev/null "${auth[@]}" "$base/api/v1/library_slots?limit=1" | sed -n 's/^[Xx]-[Tt]otal-[Cc]ount: *\([0-9]*\).*/\1/p')
echo "bench-api: $slots catalog slots, API on $base"

# 1,000 distinct pages and filters.
python3 - "$work/paths.txt" <<'PY'
import sys, urllib.parse
paths = []
filters = ['full="true"', 'kind="storage"', 'full="false"', 'kind="storage", full="true"']
for f in filters:
    for page in range(1, 251):
        q = urllib.parse.urlencode({"limit": 100, "page": page, "filter_data": f}, quote_via=urllib.parse.quote)
        paths.append("/api/v1/library_slots?" + q)
open(sys.argv[1], "w").write("\n".join(paths[:1000]) + "\n")
PY
one='/api/v1/library_slots?limit=100&page=3&filter_data=full%3D%22true%22'
curl -sf "${auth[@]}" "$base$one" -o "$work/page.json"

# nginx serving the same bytes.
nport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$work/www"
cp "$work/page.json" "$work/www/page.json"
# nginx's worker runs as an unprivileged user when started as root: let it read the file.
chmod 755 "$work" "$work/www"; chmod 644 "$work/www/page.json"
cat >"$work/nginx.conf" <<NGINX
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  server { listen 127.0.0.1:$nport; root $work/www; location / { default_type application/json; } }
}
NGINX
nginx -c "$work/nginx.conf" -p "$work"
for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$nport/page.json" && break; sleep 0.1; done

cat >"$work/rotate.lua" <<LUA
local paths = {}
for line in io.lines("$work/paths.txt") do paths[#paths + 1] = line end
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", paths[(n % #paths) + 1])
end
LUA

figures() { # req/s and p99 of a wrk --latency output; answers other than 2xx are counted, not hidden
  local rps p99 bad
  rps=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$1")
  p99=$(sed -n 's/^ *99% *\([0-9.]*[a-z]*\).*/\1/p' "$1")
  bad=$(sed -n 's/^ *Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' "$1")
  echo "$rps req/s, p99 $p99${bad:+, $bad answers not 2xx}"
}
cache_counts() { # hits and misses of the response cache so far, from /metrics
  curl -sf "$base/metrics" | python3 -c '
import sys, re
hit = miss = 0
for line in sys.stdin:
    m = re.match(r"tapelib_http_response_cache_total\{result=\"(hit|miss)\"\} ([0-9.e+]+)", line)
    if m:
        if m.group(1) == "hit": hit = float(m.group(2))
        else: miss = float(m.group(2))
print(int(hit), int(miss))'
}
cache_share() { # the share of cache hits between two cache_counts
  python3 -c 'import sys; h0,m0,h1,m1=map(int,sys.argv[1:]); t=(h1-h0)+(m1-m0); print("%d%% of %d answers from the cache" % (round(100*(h1-h0)/t) if t else 0, t))' $1 $2 $3 $4
}
H1="Authorization: Bearer $token"
H2="X-CSRF-TOKEN: $csrf"
wrk -t2 -c64 -d"$DURATION" --latency -H "$H1" -H "$H2" "$base$one" >"$work/a.txt"
wrk -t2 -c64 -d"$DURATION" --latency "http://127.0.0.1:$nport/page.json" >"$work/a-nginx.txt"
echo "api (a) one page, 64 connections: $(figures "$work/a.txt"); nginx, same bytes: $(figures "$work/a-nginx.txt")"
before=$(cache_counts)
wrk -t2 -c8 -d"$DURATION" --latency -s "$work/rotate.lua" -H "$H1" -H "$H2" "$base" >"$work/b.txt"
share=$(cache_share $before $(cache_counts))
TAPELIB_BENCH_ONLY=api-catalog TAPELIB_BENCH_STATE="$work/state" TAPELIB_BENCH_PATHS="$work/paths.txt" "$BENCH" | tail -n1 >"$work/b-catalog.txt"
echo "api (b) 1,000 pages and filters, 8 connections: $(figures "$work/b.txt") ($share); $(cat "$work/b-catalog.txt")"

# (c): two long erases, running (phase "long erase") before the measurement starts, and a sync
# queued every 3 s while it runs.
tags=$(curl -sf "${auth[@]}" "$base/api/v1/library_slots?limit=2&filter_data=full%3D%22true%22,%20kind%3D%22storage%22" \
  | python3 -c 'import json,sys; print(" ".join(s["volume_tag"] for s in json.load(sys.stdin)["data"]))')
for t in $tags; do
  curl -sf -X PATCH "${auth[@]}" "$base/api/v1/library_slots/erase_cartridge" \
    -d "{\"data\": [{\"library_id\": 1, \"volume_tag\": \"$t\", \"is_long_erase\": true}]}" >/dev/null
done
erasing() {
  curl -sf "${auth[@]}" "$base/api/v1/tl_task_queue?limit=100&filter_data=status%3D%22execution%22" \
    | python3 -c 'import json,sys; print(sum(1 for t in json.load(sys.stdin)["data"] if t["phase"] == "long erase"))'
}
for _ in $(seq 1800); do [ "$(erasing)" = 2 ] && break; sleep 0.2; done
[ "$(erasing)" = 2 ] || { echo "bench-api: the two long erases did not start" >&2; exit 1; }
( while true; do curl -sf -X POST "${auth[@]}" "$base/api/v1/tape_libraries/1/sync" >/dev/null || true; sleep 3; done ) &
syncer=$!
before=$(cache_counts)
wrk -t2 -c8 -d"$DURATION" --latency -s "$work/rotate.lua" -H "$H1" -H "$H2" "$base" >"$work/c.txt"
kill $syncer 2>/dev/null || true; wait $syncer 2>/dev/null || true
share=$(cache_share $before $(cache_counts))
syncs=$(curl -sf "${auth[@]}" "$base/api/v1/tl_task_queue?limit=1000&filter_data=type%3D%22sync%22,%20status%3D%22done%22" \
  | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["data"]))')
echo "api (c) (b) while two long erases run and a sync is queued every 3 s: $(figures "$work/c.txt") ($share; $syncs syncs done in all, $(erasing) long erases still running at the end)"
stop_server "$server"

# (b) once more, every answer through the catalog.
start uncached --no-response-cache
H1="Authorization: Bearer $token"
H2="X-CSRF-TOKEN: $csrf"
wrk -t2 -c8 -d"$DURATION" --latency -s "$work/rotate.lua" -H "$H1" -H "$H2" "$base" >"$work/b-uncached.txt"
TAPELIB_BENCH_ONLY=api-catalog TAPELIB_BENCH_STATE="$work/uncached" TAPELIB_BENCH_PATHS="$work/paths.txt" "$BENCH" | tail -n1 >"$work/b-catalog-2.txt"
echo "api (b) with --no-response-cache: $(figures "$work/b-uncached.txt"); $(cat "$work/b-catalog-2.txt")"
