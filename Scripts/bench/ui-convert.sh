#!/usr/bin/env bash
# UI→API conversion (comfysh-bench ui-convert): a generated 500-node UI workflow of nested subgraph
# instances, and the frontend-made workflow with one node of every class; then, when the frontend
# oracle can run (Scripts/check-frontend.sh's tools), the real frontend's loadGraphData +
# graphToPrompt on the same generated file, in the same run. Medians.
# Usage: Scripts/bench/ui-convert.sh [OBJECT_INFO.json]
set -euo pipefail
cd "$(dirname "$0")/../.."
file="${1:-../shared/fixtures/comfyui/object_info.json}"
Scripts/build-release.sh comfysh-bench
bin="$(Scripts/build-release.sh --show-bin-path)/comfysh-bench"
generated="$(mktemp --suffix=.ui.json)"
trap 'rm -f "$generated"' EXIT
echo "== comfysh-bench ui-convert ($(uname -m), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
"$bin" ui-convert "$file" Tests/Corpus/frontend-1.27.10 "$generated"
if python3 -c 'import websocket, comfyui_frontend_package' 2>/dev/null && command -v chromium-headless-shell >/dev/null \
  && [ -x .build/debug/comfysh ]; then
  echo "== the frontend 1.27.10 in headless Chromium (loadGraphData + graphToPrompt, same file)"
  CATALOG="$file" python3 - "$generated" <<'PY'
import json, sys
sys.path.insert(0, "Scripts/frontend")
import oracle
text = open(sys.argv[1]).read()
page = oracle.Page()
try:
    timings = page.cdp.evaluate("""(async () => {
      const app = window.comfyAPI.app.app, text = %s, times = []
      for (let i = 0; i < 7; i++) {
        const start = performance.now()
        await app.loadGraphData(JSON.parse(text), true, false, null, {showMissingNodesDialog: false, showMissingModelsDialog: false})
        const middle = performance.now()
        const out = (await app.graphToPrompt()).output
        times.push([middle - start, performance.now() - middle, Object.keys(out).length])
      }
      return times })()""" % json.dumps(text))
finally:
    page.close()
load = sorted(t[0] for t in timings)[len(timings) // 2]
convert = sorted(t[1] for t in timings)[len(timings) // 2]
print(f"frontend loadGraphData\t{load:.3f} ms\nfrontend graphToPrompt\t{convert:.3f} ms ({timings[0][2]} API nodes)")
PY
else
  echo "(the frontend side needs Scripts/setup.sh's chromium-headless-shell and comfyui-frontend-package, and a debug build)"
fi
