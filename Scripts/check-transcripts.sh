#!/usr/bin/env bash
# Replays the documentation's transcripts against a fresh built-in simulator with --check (new prompt
# ids each time), runs the example scripts and compares Docs/commands.md with `help --markdown`, so
# the docs cannot drift from what comfysh does.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${COMFYSH_BINARY:-$PWD/.build/debug/comfysh}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export XDG_STATE_HOME=$work/state XDG_CONFIG_HOME=$work/config XDG_CACHE_HOME=$work/cache

"$bin" --no-init --sim --check Docs/tutorial.comfy
# The lessons of `help tutorial`; lesson 3 uses a made-up key (the simulator takes any).
for lesson in Docs/lessons/*.comfy; do
  COMFYSH_KEY_TUTORIAL=comfyui-0123456789abcdef0123456789abcdef0123456789abcdef01234567 \
    "$bin" --no-init --sim --check "$lesson"
done
# --trace: trace lines are notices, never compared.
"$bin" --no-init --sim --comfyui 0.33 --trace --check Docs/examples/comfyui-0.33.comfy
# A sweep recorded on a pool replays on one server: which member ran what is never recorded.
(cd Docs/examples && "$bin" --no-init --sim --check pool-sweep.comfy)
for script in Docs/examples/demo.comfy Docs/examples/sweep.comfy; do
  "$bin" --no-init --sim "$script" >"$work/out.txt" 2>&1 || { cat "$work/out.txt"; echo "$script failed" >&2; exit 1; }
  echo "$script: ran"
done
if ! "$bin" --no-init -c 'help --markdown' | diff -u Docs/commands.md - >"$work/commands.diff"; then
  cat "$work/commands.diff"
  echo "Docs/commands.md is not current: comfysh -c 'help --markdown' > Docs/commands.md" >&2
  exit 1
fi
echo "Docs/commands.md: current"
