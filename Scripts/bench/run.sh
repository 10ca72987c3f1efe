#!/usr/bin/env bash
# Run and watch (Docs/performance.md): comfysh against a Python client in the style of ComfyUI's
# websockets_api_example.py, side by side in one run against the same simulator.
#
#   Scripts/bench/run.sh            # builds the release binary, starts `comfysh sim`, measures, stops it
#   PORT=18188 RUNS=30 Scripts/bench/run.sh
#   BASE_BIN=/path/to/older/comfysh Scripts/bench/run.sh   # the same figures for another build, side by side
#
# The simulator serves the recorded ComfyUI 0.3.64 catalog (496 classes, half a megabyte, as a real
# server does) with the example's checkpoint added, so the catalog costs what it costs against a real
# ComfyUI; CATALOG=none uses the simulator's small built-in one.
#
# Needs hyperfine (Debian package) and websocket-client (PyPI): `apt-get install hyperfine`,
# `pip install websocket-client` (Scripts/setup.sh installs the latter).
set -euo pipefail
cd "$(dirname "$0")/../.."

PORT=${PORT:-18188}
RUNS=${RUNS:-30}
SWEEP=${SWEEP:-20}
WORKFLOW=${WORKFLOW:-Docs/examples/txt2img.json}
SEED_NODE=${SEED_NODE:-3}
OUT=${OUT:-/tmp/comfysh-bench}
mkdir -p "$OUT"

echo "== building (release, static Swift runtime)"
Scripts/build-release.sh comfysh comfysh-bench
BIN=$(Scripts/build-release.sh --show-bin-path)/comfysh
BENCH=$(Scripts/build-release.sh --show-bin-path)/comfysh-bench

# Private config and cache folders: no init script, no saved servers, no catalog from earlier runs.
export XDG_CONFIG_HOME="$OUT/config" XDG_CACHE_HOME="$OUT/cache"
rm -rf "$XDG_CACHE_HOME"
mkdir -p "$XDG_CONFIG_HOME"

CATALOG=${CATALOG:-../shared/fixtures/comfyui/object_info.json}
SIM_ARGS=()
if [ "$CATALOG" != none ]; then
  python3 - "$CATALOG" "$WORKFLOW" "$OUT/object_info.json" <<'PY'
# The recorded server had no model files: offer the workflow's checkpoint so it validates and runs.
import json, sys
info = json.load(open(sys.argv[1]))
workflow = json.load(open(sys.argv[2]))
for node in workflow.values():
    if node["class_type"] == "CheckpointLoaderSimple":
        info["CheckpointLoaderSimple"]["input"]["required"]["ckpt_name"][0] = [node["inputs"]["ckpt_name"]]
json.dump(info, open(sys.argv[3], "w"))
PY
  SIM_ARGS=(--catalog "$OUT/object_info.json")
fi

echo "== simulator on 127.0.0.1:$PORT (catalog: $CATALOG)"
"$BIN" sim --port "$PORT" "${SIM_ARGS[@]}" > "$OUT/sim.log" 2>&1 &
SIM=$!
trap 'kill "$SIM" 2>/dev/null; wait "$SIM" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  if python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$PORT/system_stats')" 2>/dev/null; then
    break
  fi
  sleep 0.05
done
cat "$OUT/sim.log"

SERVER="http://127.0.0.1:$PORT"
ONE_SWIFT="$BIN --no-init --server $SERVER -c 'load $WORKFLOW; seed $SEED_NODE.seed randomize; run; watch'"
ONE_PYTHON="python3 Scripts/python/bench_client.py --server 127.0.0.1:$PORT --workflow $WORKFLOW --seed-node $SEED_NODE"
SEEDS=$(seq -s ' ' 1 "$SWEEP")
SWEEP_SWIFT="$BIN --no-init --server $SERVER -c 'load $WORKFLOW; for s in $SEEDS { set $SEED_NODE.seed \$s; run; watch }'"
SWEEP_PYTHON="$ONE_PYTHON --sweep $SWEEP"
ONE=(-n comfysh "$ONE_SWIFT")
SWEEPS=(-n comfysh "$SWEEP_SWIFT")
if [ -n "${BASE_BIN:-}" ]; then
  ONE+=(-n base "${ONE_SWIFT/#$BIN/$BASE_BIN}")
  SWEEPS+=(-n base "${SWEEP_SWIFT/#$BIN/$BASE_BIN}")
  "$BASE_BIN" --no-init --server "$SERVER" -c 'catalog' | sed 's/^/  base: /'
fi
"$BIN" --no-init --server "$SERVER" -c 'catalog' | sed 's/^/  comfysh: /'

echo "== one job: load, run, watch to the end (one process each)"
eval "$ONE_SWIFT" | tail -2
eval "$ONE_PYTHON"
hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$OUT/one.json" "${ONE[@]}" -n python "$ONE_PYTHON"

echo "== sweep: $SWEEP runs in one session / over one connection"
hyperfine -N --warmup 1 --runs $(( RUNS / 3 > 3 ? RUNS / 3 : 3 )) --export-json "$OUT/sweep.json" \
  "${SWEEPS[@]}" -n python "$SWEEP_PYTHON"
python3 - "$OUT/sweep.json" "$SWEEP" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
for r in results:
    print(f"  {r['command']:8s} {int(sys.argv[2]) / r['mean']:.1f} prompts/s (whole process, mean {r['mean']:.3f} s)")
PY
echo "  python's own count, without its start-up:"
eval "$SWEEP_PYTHON" 2>&1 | sed 's/^/    /'

echo "== peak memory (maximum resident set size)"
/usr/bin/time -v "$BIN" --no-init -c 'echo hi' > /dev/null 2> "$OUT/time-baseline.txt"
echo "  comfysh without a server (echo hi): $(grep 'Maximum resident' "$OUT/time-baseline.txt" | awk '{print $6}') KB"
peak() { # label command: the median of five runs' peak resident set
  local label=$1 cmd=$2 values=()
  for _ in 1 2 3 4 5; do
    /usr/bin/time -v bash -c "exec $cmd" > /dev/null 2> "$OUT/time.txt"
    values+=("$(grep 'Maximum resident' "$OUT/time.txt" | awk '{print $6}')")
  done
  echo "  $label: $(printf '%s\n' "${values[@]}" | sort -n | sed -n 3p) KB (of ${values[*]})"
}
peak "comfysh one job" "$ONE_SWIFT"
[ -z "${BASE_BIN:-}" ] || peak "base one job" "${ONE_SWIFT/#$BIN/$BASE_BIN}"
peak "python one job" "$ONE_PYTHON"
peak "comfysh sweep of $SWEEP" "$SWEEP_SWIFT"
[ -z "${BASE_BIN:-}" ] || peak "base sweep of $SWEEP" "${SWEEP_SWIFT/#$BIN/$BASE_BIN}"

echo "== WebSocket messages decoded per second (comfysh-bench ws-decode)"
"$BENCH" ws-decode 2000
"$BENCH" ws-decode --dump > "$OUT/frames.jsonl"
python3 - "$OUT/frames.jsonl" <<'PY'
# The same stream decoded by Python's json.loads (what the example client does per message), for scale.
import json, sys, time
frames = open(sys.argv[1]).read().splitlines()
rounds, best = 500, float("inf")
for _ in range(5):
    start = time.perf_counter()
    for _ in range(rounds):
        for frame in frames:
            json.loads(frame)
    best = min(best, time.perf_counter() - start)
print(f"python json.loads\t{int(len(frames) * rounds / best)} messages/s")
PY
echo "binary size: $(du -h "$BIN" | cut -f1)"
