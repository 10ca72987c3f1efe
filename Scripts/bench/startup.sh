#!/usr/bin/env bash
# Start-up and editing figures for Docs/performance.md, side by side with `python3 -c pass` in one run:
# - `comfysh -c quit` (start to exit),
# - start-up to a usable interactive prompt (in a pseudo-terminal),
# - load, edit and save a generated 2,000-node workflow.
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build -c release --static-swift-stdlib --product comfysh >/dev/null
bin=$PWD/.build/release/comfysh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 Scripts/bench/gen_workflow.py 2000 "$work/big.json"
export XDG_STATE_HOME=$work/state XDG_CONFIG_HOME=$work/config
echo "# $(date -u +%F) $(nproc) cores; binary $(du -h "$bin" | cut -f1)"
python3 Scripts/bench/timecmd.py -n "${RUNS:-40}" \
  "python3 -c pass=python3 -c pass" \
  "comfysh -c quit=$bin --no-init -c quit" \
  "comfysh load 2000 nodes=$bin --no-init -c 'load $work/big.json'" \
  "comfysh load+edit+save 2000 nodes=$bin --no-init -c 'load $work/big.json; set 1.width 1024; set 2000.filename_prefix edited; link 2000.images 1998:0; save -f $work/out.json'"
python3 Scripts/bench/prompt_latency.py "$bin" "${RUNS:-40}"
