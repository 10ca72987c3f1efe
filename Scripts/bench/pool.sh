#!/usr/bin/env bash
# Pool sweeps (Docs/performance.md, "Pools"): a 300-prompt sweep over 1, 2 and 4 simulator members with a
# fixed delay in its one sampler node (STEPS steps of DELAY_MS each), throughput against the sum of the members' own rates (each measured alone in the
# same run), then a fault test: one member of three is killed (SIGKILL) mid-sweep, and every prompt must
# end exactly once.
#
#   Scripts/bench/pool.sh                       # debug build; BIN=… for another binary
#   PROMPTS=300 DELAY_MS=50 Scripts/bench/pool.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

BIN=${BIN:-$PWD/.build/debug/comfysh}
PROMPTS=${PROMPTS:-300}
SOLO=${SOLO:-100}
DELAY_MS=${DELAY_MS:-50}
STEPS=${STEPS:-4}
WORKFLOW=${WORKFLOW:-$PWD/Docs/examples/txt2img.json}
PORT=${PORT:-18300}
OUT=${OUT:-/tmp/comfysh-pool-bench}
rm -rf "$OUT"
mkdir -p "$OUT"
export XDG_CONFIG_HOME="$OUT/config" XDG_CACHE_HOME="$OUT/cache" XDG_STATE_HOME="$OUT/state"

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

start_sim() { # PORT
  "$BIN" sim --port "$1" --step-delay "$DELAY_MS" >"$OUT/sim-$1.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$1/system_stats" >/dev/null && return 0
    sleep 0.1
  done
  echo "simulator on $1 did not start" >&2
  exit 1
}


# sweep NAME COUNT OFFSET URL… : runs a sweep on a pool of the URLs, prints the sweep's JSON object.
sweep() {
  local name=$1 count=$2 offset=$3
  shift 3
  "$BIN" --no-init --json -c "pool $name $*; pool use $name; load $WORKFLOW; set 3.steps $STEPS; set 3.seed $offset; seed 3.seed increment; run --count $count; watch" \
    >"$OUT/$name.jsonl" 2>"$OUT/$name.err" || true
  grep '"type":"sweep"' "$OUT/$name.jsonl"
}

rate() { python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); print(d["prompts"]/d["seconds"])'; }

urls=()
for i in 0 1 2 3; do
  start_sim $((PORT + i))
  urls+=("http://127.0.0.1:$((PORT + i))")
done

echo "== each member alone ($SOLO prompts, KSampler $STEPS steps × ${DELAY_MS} ms)"
solo=()
for i in 0 1 2 3; do
  r=$(sweep "solo$i" "$SOLO" $((100000 * (i + 1))) "${urls[$i]}" | rate)
  solo+=("$r")
  printf '  member %d: %.2f prompts/s\n' "$i" "$r"
done

echo "== $PROMPTS-prompt sweeps"
printf '| members | prompts | wall time | prompts/s | sum of own rates | %% of ideal |\n|---|---|---|---|---|---|\n'
for k in 1 2 4; do
  line=$(sweep "pool$k" "$PROMPTS" $((1000000 * k)) "${urls[@]:0:$k}")
  ideal=$(python3 -c "print(sum(float(x) for x in '${solo[*]:0:$k}'.split()))")
  python3 - "$line" "$ideal" "$k" <<'PY'
import json, sys
d = json.loads(sys.argv[1]); ideal = float(sys.argv[2]); k = sys.argv[3]
rate = d["prompts"] / d["seconds"]
print(f"| {k} | {d['prompts']} | {d['seconds']:.1f} s | {rate:.2f} | {ideal:.2f} | {100 * rate / ideal:.0f}% |")
PY
done

echo "== fault test: 3 members, $PROMPTS prompts, the second killed mid-sweep"
fault=()
for i in 4 5 6; do
  start_sim $((PORT + i))
  fault+=("http://127.0.0.1:$((PORT + i))")
done
victim=${pids[5]}
( sweep fault "$PROMPTS" 5000000 "${fault[@]}" >"$OUT/fault-sweep.json" ) &
runner=$!
# About a third of the way through: kill the middle member.
third=$(python3 -c "print(max(1.0, $PROMPTS * $STEPS * $DELAY_MS / 1000 / 3 / 3))")
sleep "$third"
kill -9 "$victim"
killed_at=$(date +%s.%N)
echo "  killed ${fault[1]} (pid $victim) ${third} s into the sweep"
wait "$runner" || true
python3 - "$OUT/fault-sweep.json" "${fault[0]}" "${fault[2]}" "${fault[1]}" <<'PY'
import json, sys, urllib.request
d = json.loads(open(sys.argv[1]).read())
survivors, killed = sys.argv[2:4], sys.argv[4]
jobs = d["jobs"]
print(f"  sweep: {d['prompts']} prompts, {d['succeeded']} succeeded in {d['seconds']:.1f} s; {len(d['moves'])} moved from {killed}")
success = {}
for url in survivors:
    history = json.load(urllib.request.urlopen(url + "/history"))
    for pid, entry in history.items():
        if entry.get("status", {}).get("status_str") == "success":
            success.setdefault(pid, []).append(url)
once = 0
for job in jobs:
    if job["member"] == killed:
        # Its history died with it: the success its socket reported before the kill is the one entry.
        once += job["status"] == "success"
    else:
        once += len(success.get(job["prompt_id"], [])) == 1
ids = [j["prompt_id"] for j in jobs]
strays = [pid for pid in success if pid not in set(ids)]
print(f"  prompts with exactly one successful entry: {once} of {len(jobs)}; successful entries of no prompt: {len(strays)}")
print(f"  on the killed member before it died: {sum(1 for j in jobs if j['member'] == killed and j['status'] == 'success')}")
for url in d["members"]:
    print(f"  {url['name']}: {url['succeeded']} succeeded, {'up' if url['up'] else 'down'}")
sys.exit(0 if once == len(jobs) == d["succeeded"] and not strays else 1)
PY
