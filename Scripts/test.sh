#!/usr/bin/env bash
# The test command (README, CI): unit, conformance and integration tests (Swift Testing),
# the terminal tests in tmux, and the transcript checks; all against the built debug binary.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d ../shared/fixtures/comfyui ]; then
  echo "note: ../shared/fixtures/comfyui is missing: fixture-based tests will say so and skip"
fi

swift build --build-tests
swift test --skip-build

for check in Scripts/terminal-test.sh Scripts/terminal-keys-test.sh Scripts/check-python-client.sh Scripts/check-transcripts.sh; do
  if [ -x "$check" ]; then
    echo "== $check"
    "$check"
  fi
done
echo "all tests passed"
