#!/usr/bin/env bash
# Writes Scripts/release/symbol-order.txt, the order in which the release link lays out functions:
# those a session runs, in the order they first run, so that their code sits on few pages. It runs the
# release binary under valgrind's callgrind (which lists every function executed) through the usual
# sessions: start and quit, one job and a sweep against a simulator serving the recorded 496-class
# catalog, editing and saving a 2,000-node workflow, validating it with --catalog (the cache made and
# then opened), converting a UI file with subgraphs. Functions added since the file was made are laid
# out after the listed ones, so it only needs making again when memory figures drift.
#
#   Scripts/release/order-functions.sh      # needs valgrind (apt-get install valgrind)
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v valgrind >/dev/null || { echo "order-functions: needs valgrind (apt-get install valgrind)" >&2; exit 1; }
catalog=../shared/fixtures/comfyui/object_info.json
[ -f "$catalog" ] || { echo "order-functions: needs the recorded catalog at $catalog" >&2; exit 1; }

Scripts/build-release.sh comfysh
bin="$(Scripts/build-release.sh --show-bin-path)/comfysh"
work=$(mktemp -d)
sim=""
trap '[ -z "$sim" ] || kill "$sim" 2>/dev/null; rm -rf "$work"' EXIT
# valgrind 3.19 cannot read the toolchain's DWARF 5; the symbol table is all it needs.
cp "$bin" "$work/comfysh"
strip -g "$work/comfysh"
export XDG_CONFIG_HOME=$work/config XDG_STATE_HOME=$work/state XDG_CACHE_HOME=$work/cache

workflow=Docs/examples/txt2img.json
python3 - "$catalog" "$workflow" "$work/object_info.json" <<'PY'
import json, sys
info = json.load(open(sys.argv[1]))
for node in json.load(open(sys.argv[2])).values():
    if node["class_type"] == "CheckpointLoaderSimple":
        info["CheckpointLoaderSimple"]["input"]["required"]["ckpt_name"][0] = [node["inputs"]["ckpt_name"]]
json.dump(info, open(sys.argv[3], "w"))
PY
python3 Scripts/bench/gen_workflow.py 2000 "$work/big.json"
port=${PORT:-18189}
"$bin" sim --port "$port" --catalog "$work/object_info.json" > "$work/sim.log" 2>&1 &
sim=$!
server=http://127.0.0.1:$port
for _ in $(seq 1 100); do
  python3 -c "import urllib.request; urllib.request.urlopen('$server/system_stats')" 2>/dev/null && break
  sleep 0.05
done

sessions=(
  "-c quit"
  "-c 'echo hi'"
  "--server $server -c 'load $workflow; seed 3.seed randomize; run; watch'"
  "--server $server -c 'load $workflow; for s in 1 2 3 { set 3.seed \$s; run; watch }'"
  "-c 'load $work/big.json; set 1.width 1024; set 2000.filename_prefix edited; link 2000.images 1998:0; save -f $work/out.json'"
  "--catalog $work/object_info.json -c 'load $work/big.json; validate'"
  "--catalog $work/object_info.json -c 'load $work/big.json; validate'"
  "--catalog $work/object_info.json -c 'load Tests/Corpus/frontend-1.27.10/subgraph-showcase.ui.json; nodes; show 9:9:9:5'"
)
i=0
for session in "${sessions[@]}"; do
  i=$((i + 1))
  eval "valgrind --tool=callgrind --demangle=no --callgrind-out-file=$work/run$i.out $work/comfysh --no-init $session" \
    > "$work/run$i.log" 2>&1 || { echo "order-functions: session $i failed: $session" >&2; tail -5 "$work/run$i.log" >&2; exit 1; }
done

# Names in the order they first appear (callgrind names a function where it is first met, as caller
# or callee), kept only if the executable defines them.
nm --defined-only "$bin" | awk '{print $3}' | sort -u > "$work/defined.txt"
for n in $(seq 1 "$i"); do grep -E '^c?fn=\([0-9]+\) ' "$work/run$n.out" | sed -E 's/^c?fn=\([0-9]+\) //'; done \
  | awk '!seen[$0]++' | grep -Fxf "$work/defined.txt" > Scripts/release/symbol-order.txt
echo "order-functions: $(wc -l < Scripts/release/symbol-order.txt) functions in Scripts/release/symbol-order.txt"
