#!/usr/bin/env bash
# The test command (README, CI): unit, conformance and integration tests (Swift Testing),
# the terminal tests in tmux, and the transcript checks; all against the built debug binary.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d ../shared/fixtures/comfyui ]; then
  echo "note: ../shared/fixtures/comfyui is missing: fixture-based tests will say so and skip"
fi

# A hung step fails with its name instead of running into CI's limit (all of it takes about two minutes).
limit() {
  local minutes=$1
  shift
  timeout --kill-after=10 "${minutes}m" "$@" || {
    local status=$?
    if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then echo "error: '$*' did not finish within $minutes minutes" >&2; fi
    exit "$status"
  }
}

swift build --build-tests
limit 20 swift test --skip-build

for check in Scripts/terminal-test.sh Scripts/terminal-keys-test.sh Scripts/check-python-client.sh Scripts/check-transcripts.sh Scripts/check-frontend.sh; do
  if [ -x "$check" ]; then
    echo "== $check"
    limit 10 "$check"
  fi
done
echo "all tests passed"
