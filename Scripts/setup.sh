#!/usr/bin/env bash
# Installs what comfysh needs on a Debian machine with Swift, when it is missing:
# libedit-dev and pkg-config (line editing), tmux (terminal tests), xvfb, xterm and imagemagick (a
# sixel picture drawn by a real terminal and screenshotted), python3 websocket-client (sim check and
# the exported Python programs), nodejs 20.10 or later (the exported JS programs),
# chromium-headless-shell and comfyui-frontend-package 1.27.10 (the frontend differential check, the
# real ComfyUI page as an oracle; the product never uses them).
# Needs root (or sudo) only when something is missing.
set -euo pipefail

missing=()
for package in libedit-dev pkg-config tmux xvfb xterm imagemagick chromium-headless-shell; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
command -v python3 >/dev/null || missing+=(python3 python3-pip)
command -v node >/dev/null || missing+=(nodejs)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "setup: need root to run: $*" >&2
    exit 1
  fi
}

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! python3 -c 'import websocket' 2>/dev/null; then
  echo "setup: installing websocket-client (PyPI)"
  python3 -m pip install --quiet --disable-pip-version-check websocket-client \
    || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages websocket-client
fi

# The frontend ComfyUI 0.3.64 pins (its requirements.txt): static files only, for Scripts/check-frontend.sh.
if ! python3 -c 'import comfyui_frontend_package, importlib.metadata as m; assert m.version("comfyui-frontend-package") == "1.27.10"' 2>/dev/null; then
  echo "setup: installing comfyui-frontend-package==1.27.10 (PyPI)"
  python3 -m pip install --quiet --disable-pip-version-check --no-deps comfyui-frontend-package==1.27.10 \
    || python3 -m pip install --quiet --disable-pip-version-check --no-deps --break-system-packages comfyui-frontend-package==1.27.10
fi

# `export js` programs need WebSocket, which Node has from 20.10 (behind --experimental-websocket).
if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 10) ? 0 : 1)'; then
  echo "setup: node $(node --version) is older than 20.10; install Node 20.10 or later (e.g. from nodesource)" >&2
  exit 1
fi

command -v swift >/dev/null || { echo "setup: swift is not on PATH; install Swift 6.3 first" >&2; exit 1; }
echo "setup: ready"
