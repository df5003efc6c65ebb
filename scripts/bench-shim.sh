#!/usr/bin/env bash
# On the `large` profile (10,000 slots, 40 mail slots, 24 drives) served by tapelib-hwsim,
# through the sg shim, in one run against one server:
# - `mtx status`, the reference (a whole process, median of RUNS);
# - issue 10: the engine's sync of the library (tapelib-bench, TAPELIB_BENCH_ONLY=engine-shim:
#   a LibraryTaskEngine whose changer is SGTransport on /dev/hwsim/sg0, reached through the
#   shim as mtx reaches it), its inventory / reconcile phases, and the ratio of its inventory
#   phase to mtx's whole run (target ≤ 1.0: the service has no process start-up);
# - `tapelib changer status --json` as a whole process, and its ratio to mtx (target ≤ 3,
#   issue 10's restatement of issue 4's start-up target: argument-parser stays), and tapelib's
#   start-up alone (`changer status --help`).
# Each process figure is the median of RUNS fresh processes (page cache warm: "cold" = no
# resident service).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/release}
TAPELIB=${TAPELIB:-$BIN/tapelib}
BENCH=${BENCH:-$BIN/tapelib-bench}
RUNS=${RUNS:-9}
SHIM=$(make -s shim | tail -1)
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
"$BIN/tapelib-hwsim" serve --profile large --socket "$work/hwsim.sock" --state "$work/state" >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 100); do [ -S "$work/hwsim.sock" ] && break; sleep 0.1; done
export LD_PRELOAD=$SHIM TAPELIB_HWSIM_SOCKET=$work/hwsim.sock
# The first command after power-on sees UNIT ATTENTION; mtx does not retry it.
sg_turs /dev/hwsim/sg0 >/dev/null 2>&1 || true
sg_turs /dev/hwsim/sg0 >/dev/null 2>&1 || true

median_ms() { # command...
  local times=()
  for _ in $(seq "$RUNS"); do
    local start end
    start=$(date +%s%N)
    "$@" >/dev/null
    end=$(date +%s%N)
    times+=($(( (end - start) / 1000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]/1000}'
}

mtx_lines=$(mtx -f /dev/hwsim/sg0 status | grep -c 'Storage Element')
tapelib_slots=$("$TAPELIB" changer status --json --device /dev/hwsim/sg0 | grep -cE '"kind": ?"(storage|import_export)"')
mtx_ms=$(median_ms mtx -f /dev/hwsim/sg0 status)
echo "shim.large.mtx_status: ${mtx_ms} ms median of $RUNS (${mtx_lines} slots listed)"

# The engine's sync, between the mtx figure and the CLI figures (same server, same minute).
TAPELIB_BENCH_ONLY=engine-shim TAPELIB_BENCH_MTX_MS=$mtx_ms "$BENCH" | grep -v '^tapelib benchmarks'

tapelib_ms=$(median_ms "$TAPELIB" changer status --json --device /dev/hwsim/sg0)
# Start-up alone (argument parsing, no device): how much of the figure above is process start.
startup_ms=$(median_ms "$TAPELIB" changer status --help)
mtx_again_ms=$(median_ms mtx -f /dev/hwsim/sg0 status)
ratio=$(awk -v t="$tapelib_ms" -v m="$mtx_again_ms" 'BEGIN {printf "%.2f", t/m}')
met=$(awk -v r="$ratio" 'BEGIN {print (r <= 3 ? "met" : "MISSED")}')
echo "shim.large.tapelib_changer_status_json: ${tapelib_ms} ms median of $RUNS (${tapelib_slots} slots listed)"
echo "shim.large.tapelib_startup_help: ${startup_ms} ms median of $RUNS (tapelib changer status --help)"
echo "shim.large.mtx_status_again: ${mtx_again_ms} ms median of $RUNS (measured again next to tapelib's figure)"
echo "shim.large.ratio_tapelib_over_mtx: ${ratio} (whole processes; target ≤ 3: ${met})"
