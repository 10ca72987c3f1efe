#!/usr/bin/env bash
# The release build every script uses (the demo, the benchmarks): the static Swift runtime, and every
# function in a section of its own, so the linker can put the functions a session runs next to each
# other (Scripts/release/symbol-order.txt, Docs/performance.md "Memory"). All release builds go
# through here: SwiftPM rebuilds everything when the flags of two builds differ.
#
#   Scripts/build-release.sh [PRODUCT ...]     # default: comfysh; prints nothing but errors
#   Scripts/build-release.sh --show-bin-path
set -euo pipefail
cd "$(dirname "$0")/.."
flags=(-c release --static-swift-stdlib -Xswiftc -Xfrontend -Xswiftc -function-sections)
if [ "${1:-}" = --show-bin-path ]; then
  exec swift build "${flags[@]}" --show-bin-path
fi
# SwiftPM does not know the link reads the order file: link again when it is newer than the program.
bin=$(swift build "${flags[@]}" --show-bin-path)
if [ -e "$bin/comfysh" ] && [ Scripts/release/symbol-order.txt -nt "$bin/comfysh" ]; then rm -f "$bin/comfysh"; fi
products=("$@")
((${#products[@]})) || products=(comfysh)
for product in "${products[@]}"; do
  log=$(mktemp)
  swift build "${flags[@]}" --product "$product" > "$log" 2>&1 || { cat "$log" >&2; rm -f "$log"; exit 1; }
  rm -f "$log"
done
