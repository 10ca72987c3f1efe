#!/usr/bin/env bash
# The main job: installs what is missing, builds comfysh (release), and runs the demo script
# against the built-in ComfyUI simulator.
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/setup.sh
Scripts/build-release.sh comfysh
exec "$(Scripts/build-release.sh --show-bin-path)/comfysh" --no-init --sim Docs/examples/demo.comfy
