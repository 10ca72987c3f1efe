#!/usr/bin/env bash
# Catalog parsing and prompt validation (comfysh-bench catalog), next to Python's json.loads of the
# same object_info text, in one run on the same machine. Medians of 21 runs after 3 warm-ups.
# Usage: Scripts/bench/catalog.sh [OBJECT_INFO.json] [NODES]
set -euo pipefail
cd "$(dirname "$0")/../.."
file="${1:-../shared/fixtures/comfyui/object_info.json}"
nodes="${2:-2000}"
Scripts/build-release.sh comfysh-bench
bin="$(Scripts/build-release.sh --show-bin-path)/comfysh-bench"
echo "== comfysh-bench catalog ($(uname -m), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
"$bin" catalog "$file" "$nodes"
echo "== Python"
python3 - "$file" <<'PY'
import json, sys, time
raw = open(sys.argv[1], 'rb').read()
data = json.loads(raw)
wire = json.dumps(data).encode()                         # what aiohttp sends: ", " and ": "
compact = json.dumps(data, separators=(',', ':')).encode()

def medians_ms(text):
    for _ in range(3):
        json.loads(text)
    wall, cpu = [], []
    for _ in range(21):
        start, start_cpu = time.perf_counter(), time.thread_time()
        json.loads(text)
        cpu.append((time.thread_time() - start_cpu) * 1000)
        wall.append((time.perf_counter() - start) * 1000)
    wall.sort(); cpu.sort()
    return wall[10], cpu[10]

print(f"python {sys.version.split()[0]}")
for label, text in (("indented", raw), ("wire", wire), ("compact", compact)):
    wall, cpu = medians_ms(text)
    print(f"json.loads ({label}, {len(text)} bytes)\t{wall:.3f} ms wall\t{cpu:.3f} ms cpu")
PY
