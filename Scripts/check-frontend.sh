#!/usr/bin/env bash
# The frontend differential check (issue 11): ComfyUI's real frontend 1.27.10 (comfyui-frontend-package
# from PyPI) served by `comfysh sim --frontend`, in headless Chromium that resolves no host but
# 127.0.0.1, loads every UI workflow of ../shared/fixtures/comfyui/ui-to-api and Tests/Corpus, and
# its app.graphToPrompt() must equal comfysh's conversion of the same file (Scripts/frontend/oracle.py).
# Installs what is missing through Scripts/setup.sh; says so and fails when it still cannot run.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -f ../shared/fixtures/comfyui/object_info.json ]; then
  echo "check-frontend: skipped: ../shared/fixtures/comfyui/object_info.json (the catalog both sides use) is missing"
  exit 0
fi

have_tools() {
  command -v chromium-headless-shell >/dev/null && python3 -c 'import websocket, comfyui_frontend_package' 2>/dev/null
}
if ! have_tools; then
  echo "check-frontend: chromium-headless-shell or comfyui-frontend-package is missing; running Scripts/setup.sh"
  Scripts/setup.sh || true
fi
if ! have_tools; then
  echo "check-frontend: cannot run: it needs Debian's chromium-headless-shell and PyPI's websocket-client and" \
    "comfyui-frontend-package==1.27.10 (Scripts/setup.sh installs them; it needs root and the package registries)" >&2
  exit 1
fi

[ -x .build/debug/comfysh ] || swift build --product comfysh
COMFYSH="$PWD/.build/debug/comfysh" CATALOG="$PWD/../shared/fixtures/comfyui/object_info.json" \
  python3 Scripts/frontend/oracle.py compare ../shared/fixtures/comfyui/ui-to-api/*.ui.json Tests/Corpus/frontend-1.27.10/*.ui.json
