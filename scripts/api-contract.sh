#!/usr/bin/env bash
# `make test`, the API's contract: schemathesis (PyPI, in a virtualenv under the build folder)
# against a live `tapelib serve --sim midsize` on a free port, over the OpenAPI document the
# server serves, logged in as the superuser. Checks: no 5xx, documented status codes, content
# types and response schemas. Operations the document marks x-not-built (they answer 501 on
# purpose) and logout (it would revoke the session under test) are left out and listed.
# Prints the number of generated cases; fails below ST_MIN_CASES (2000).
set -euo pipefail
BIN=${BIN:-.build/debug/tapelib-tools}
VENV=${VENV:-.build/venv}
ST_EXAMPLES=${ST_EXAMPLES:-25}
ST_MIN_CASES=${ST_MIN_CASES:-2000}
SCHEMATHESIS_VERSION=4.32.5
if ! "$VENV/bin/st" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "schemathesis==$SCHEMATHESIS_VERSION"
fi
work=$(mktemp -d)
trap 'kill -TERM $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$work"' EXIT
TAPELIB_ADMIN_PASSWORD=contract-test-pw "$BIN" serve --sim midsize --state-dir "$work/state" --port 0 --queue-poll 0.2 \
  >"$work/serve.log" 2>&1 &
server=$!
# Waits for the event (the server saying where it listens), with a generous bound.
port=""
for _ in $(seq 1200); do
  kill -0 $server 2>/dev/null || { cat "$work/serve.log" >&2; echo "api-contract: tapelib serve exited" >&2; exit 1; }
  port=$(sed -n 's/.*API listening on http:\/\/[^ ]*:\([0-9][0-9]*\)$/\1/p' "$work/serve.log" | head -n1)
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { cat "$work/serve.log" >&2; echo "api-contract: the API did not start" >&2; exit 1; }
base=http://127.0.0.1:$port
login=$(curl -sf -X POST "$base/api/v1/auth/login" -d '{"rubackup_user": "admin", "password": "contract-test-pw"}')
token=$(echo "$login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["access_token"])')
csrf=$(echo "$login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["csrf_token"])')
curl -sf "$base/api/v1/openapi.json" -o "$work/openapi.json"
excluded=$(python3 - "$work/openapi.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
ids = [o["operationId"] for p, ops in d["paths"].items() for m, o in ops.items()
       if isinstance(o, dict) and (o.get("x-not-built") or p == "/api/v1/auth/logout")]
print(" ".join(sorted(ids)))
PY
)
echo "api-contract: left out: $excluded"
args=()
for id in $excluded; do args+=(--exclude-operation-id "$id"); done
set +e
"$VENV/bin/st" run "$work/openapi.json" --url "$base" --no-color \
  -H "Authorization: Bearer $token" -H "X-CSRF-TOKEN: $csrf" \
  --phases examples,coverage,fuzzing -n "$ST_EXAMPLES" --seed 20261204 --workers 1 \
  -c not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --warnings off "${args[@]}" >"$work/st.txt" 2>&1
status=$?
set -e
cases=$(sed -n 's/^ *\([0-9][0-9]*\) generated.*/\1/p' "$work/st.txt" | tail -n1)
tail -n 25 "$work/st.txt"
echo "api-contract: ${cases:-0} generated cases; schemathesis exit $status"
if [ $status -ne 0 ]; then cp "$work/st.txt" "${ST_REPORT:-.build/schemathesis.txt}"; echo "full report: ${ST_REPORT:-.build/schemathesis.txt}"; exit 1; fi
[ "${cases:-0}" -ge "$ST_MIN_CASES" ] || { echo "api-contract: fewer than $ST_MIN_CASES cases" >&2; exit 1; }
