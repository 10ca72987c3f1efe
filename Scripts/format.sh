#!/usr/bin/env bash
# Formats every Swift file of the package in place with the toolchain's swift-format.
# `Scripts/format.sh --check` only reports files that would change (exit 1 if any).
set -euo pipefail
cd "$(dirname "$0")/.."
files=$(git ls-files -co --exclude-standard -- 'Package.swift' 'Sources/*.swift' 'Tests/*.swift')
if [ "${1:-}" = "--check" ]; then
  swift format lint --strict --configuration .swift-format $files
else
  swift format format --in-place --configuration .swift-format $files
fi
