#!/usr/bin/env bash
# Runs Scripts/python/sim_client.py (a client written like ComfyUI's websockets_api_example.py)
# against `comfysh sim` on a free loopback port, then stops the simulator.
#
#   Scripts/check-python-client.sh            uses .build/debug/comfysh, building it if missing
#   COMFYSH_BIN=path/to/comfysh Scripts/check-python-client.sh
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${COMFYSH_BIN:-.build/debug/comfysh}
if [ ! -x "$bin" ]; then
  echo "building comfysh…" >&2
  swift build --product comfysh >&2
fi

if ! python3 -c 'import websocket' 2>/dev/null; then
  echo "installing websocket-client…" >&2
  python3 -m pip install --quiet websocket-client >&2
fi

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
log=$(mktemp)
"$bin" sim --port "$port" >"$log" 2>&1 &
pid=$!
cleanup() {
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -f "$log"
}
trap cleanup EXIT

for _ in $(seq 1 200); do
  if grep -q "simulator at" "$log"; then break; fi
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "comfysh sim exited early:" >&2
    cat "$log" >&2
    exit 1
  fi
  sleep 0.05
done
if ! grep -q "simulator at" "$log"; then
  echo "comfysh sim did not start listening:" >&2
  cat "$log" >&2
  exit 1
fi
head -n 1 "$log"

python3 Scripts/python/sim_client.py "127.0.0.1:$port"
