#!/usr/bin/env bash
# The test command (README, CI): formatting, unit, conformance and integration tests (Swift Testing),
# the terminal tests in tmux, and the transcript checks; all against the built debug binary.
#
# Tests that need the recorded ComfyUI fixtures (../shared/fixtures) are reported as skipped when they
# are missing, and a check script that lacks a tool says "skip: …". When the fixtures are there, a
# skipped test fails the run; with COMFYSH_STRICT=1 (CI, where everything is installed) any skip
# does: a test that did not run did not pass.
set -euo pipefail
cd "$(dirname "$0")/.."

strict=${COMFYSH_STRICT:-0}
fixture_sets=(comfyui comfyui-0.33)
missing=()
for set in "${fixture_sets[@]}"; do
  [ -d "../shared/fixtures/$set" ] || missing+=("$set")
done
if ((${#missing[@]})); then
  if [ "$strict" = 1 ]; then
    echo "error: COMFYSH_STRICT=1 but ../shared/fixtures lacks: ${missing[*]}" >&2
    exit 1
  fi
  echo "note: ../shared/fixtures lacks ${missing[*]}: the tests that need them are reported as skipped"
fi

# A hung step fails with its name instead of running into CI's limit (all of it takes a few minutes).
limit() {
  local minutes=$1
  shift
  timeout --kill-after=10 "${minutes}m" "$@" || {
    local status=$?
    if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then echo "error: '$*' did not finish within $minutes minutes" >&2; fi
    exit "$status"
  }
}

echo "== Scripts/format.sh --check"
Scripts/format.sh --check

swift build --build-tests
log=$(mktemp)
trap 'rm -f "$log"' EXIT
limit 20 swift test --skip-build 2>&1 | tee "$log"
skipped=$(grep -E '^(➜|↳)? ?(Test|Suite) .* skipped' "$log" || true)
if [ -n "$skipped" ]; then
  count=$(printf '%s\n' "$skipped" | wc -l)
  if ((${#missing[@]} == 0)); then
    echo "error: the fixtures are here, yet $count tests or suites were skipped:" >&2
    printf '%s\n' "$skipped" >&2
    exit 1
  fi
  echo "note: $count tests or suites were skipped (listed above with their reasons)"
fi

for check in Scripts/terminal-test.sh Scripts/terminal-keys-test.sh Scripts/terminal-image-test.sh \
  Scripts/check-python-client.sh Scripts/check-transcripts.sh Scripts/check-render.sh Scripts/check-frontend.sh; do
  if [ ! -x "$check" ]; then
    echo "error: $check is missing or not executable" >&2
    exit 1
  fi
  echo "== $check"
  limit 10 "$check" 2>&1 | tee "$log"
  # A check that cannot run here says "skip: …"; where everything must run (CI), that is a failure.
  if [ "$strict" = 1 ] && grep -q '^skip:' "$log"; then
    echo "error: $check skipped, but COMFYSH_STRICT=1 says every check must run" >&2
    exit 1
  fi
done
echo "all tests passed"
