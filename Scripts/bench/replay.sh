#!/usr/bin/env bash
# Replaying a 10,000-command editing script on a 2,000-node workflow, for Docs/performance.md:
# plain replay (`comfysh SCRIPT`), recording it (`--record`), and checking the recording (`--check`).
set -euo pipefail
cd "$(dirname "$0")/../.."
Scripts/build-release.sh comfysh
bin=$PWD/.build/release/comfysh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 Scripts/bench/gen_workflow.py 2000 "$work/big.json"
python3 Scripts/bench/gen_script.py big.json "${COMMANDS:-10000}" > "$work/edits.comfy"
export XDG_STATE_HOME=$work/state XDG_CONFIG_HOME=$work/config
"$bin" --no-init --record "$work/recorded.comfy" "$work/edits.comfy" >/dev/null
echo "# $(wc -l < "$work/edits.comfy") commands; recording $(wc -l < "$work/recorded.comfy") lines"
python3 Scripts/bench/timecmd.py -n "${RUNS:-10}" -w 1 \
  "python3 -c pass=python3 -c pass" \
  "replay 10k commands=$bin --no-init $work/edits.comfy" \
  "replay + record=rm -f $work/r2.comfy; $bin --no-init --record $work/r2.comfy $work/edits.comfy" \
  "--check the recording=$bin --no-init --check $work/recorded.comfy"
