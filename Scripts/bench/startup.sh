#!/usr/bin/env bash
# Start-up and editing figures for Docs/performance.md, side by side with `python3 -c pass` in one run:
# - `comfysh -c quit` (start to exit),
# - start-up to a usable interactive prompt (in a pseudo-terminal),
# - load, edit and save a generated 2,000-node workflow;
# - load and validate it against the recorded 496-class catalog (--catalog, its cache made by a first run).
# BASE_BIN=/path/to/older/comfysh adds the same commands for another build, interleaved in the same run.
set -euo pipefail
cd "$(dirname "$0")/../.."
Scripts/build-release.sh comfysh
bin="$(Scripts/build-release.sh --show-bin-path)/comfysh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 Scripts/bench/gen_workflow.py 2000 "$work/big.json"
export XDG_STATE_HOME=$work/state XDG_CONFIG_HOME=$work/config XDG_CACHE_HOME=$work/cache
catalog=${CATALOG:-../shared/fixtures/comfyui/object_info.json}
cp "$catalog" "$work/object_info.json"
echo "# $(date -u +%F) $(nproc) cores; binary $(du -h "$bin" | cut -f1)"
commands=("python3 -c pass=python3 -c pass")
for build in comfysh ${BASE_BIN:+base}; do
  b=$bin
  [ "$build" = base ] && b=$BASE_BIN
  "$b" --no-init --catalog "$work/object_info.json" -c "load $work/big.json; validate" > /dev/null
  commands+=(
    "$build -c quit=$b --no-init -c quit"
    "$build load 2000 nodes=$b --no-init -c 'load $work/big.json'"
    "$build load+edit+save 2000 nodes=$b --no-init -c 'load $work/big.json; set 1.width 1024; set 2000.filename_prefix edited; link 2000.images 1998:0; save -f $work/out.json'"
    "$build load+validate 2000 nodes, --catalog=$b --no-init --catalog $work/object_info.json -c 'load $work/big.json; validate'"
  )
done
python3 Scripts/bench/timecmd.py -n "${RUNS:-40}" "${commands[@]}"
python3 Scripts/bench/prompt_latency.py "$bin" "${RUNS:-40}"
