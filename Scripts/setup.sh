#!/usr/bin/env bash
# Installs what comfysh needs on a Debian machine with Swift, when it is missing:
# libedit-dev and pkg-config (line editing), tmux (terminal tests), xvfb, xterm and imagemagick (a
# sixel picture drawn by a real terminal and screenshotted), python3 websocket-client (sim check).
# Needs root (or sudo) only when something is missing.
set -euo pipefail

missing=()
for package in libedit-dev pkg-config tmux xvfb xterm imagemagick; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
command -v python3 >/dev/null || missing+=(python3 python3-pip)

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

command -v swift >/dev/null || { echo "setup: swift is not on PATH; install Swift 6.3 first" >&2; exit 1; }
echo "setup: ready"
