#!/usr/bin/env bash
# Builds the libFuzzer targets of Fuzz/ (with address sanitizer, in .build-fuzz, apart from the normal
# build) and runs each for a bounded time on a corpus seeded from the recorded fixtures in ../shared.
#
#   Scripts/fuzz.sh [--seconds N] [--no-build] [TARGET…]      (default: every target, 60 s each)
#
# Each run's figures (executions, coverage, crashes) go to .build-fuzz/results/TARGET.txt and one line
# per target to standard output, for Docs/reliability.md. A crash, leak or timeout leaves its input in
# .build-fuzz/artifacts/TARGET/ and makes the script exit 1; it then becomes a regression test.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
shared=${COMFYSH_SHARED:-$root/../shared}
fixtures=$shared/fixtures
scratch=$root/.build-fuzz
seconds=60
all_targets=(FuzzJSON FuzzPNG FuzzUIConversion FuzzCommandLanguage FuzzWebSocket FuzzTranscript FuzzObjectInfo)
targets=()
while [ $# -gt 0 ]; do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --no-build) no_build=1; shift ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) targets+=("$1"); shift ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")
[ -d "$fixtures/comfyui" ] || { echo "error: $fixtures/comfyui is missing: the corpora are seeded from it" >&2; exit 1; }

# lld: gold fails on these sanitized links (an internal error in its DWARF reader).
# FUZZ_CONFIG=debug builds faster (no whole-module optimisation) and runs slower.
config=${FUZZ_CONFIG:-release}
flags=(-c "$config" -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld)
if [ -z "${no_build:-}" ]; then
  swift build --package-path Fuzz --scratch-path "$scratch" "${flags[@]}"
fi
bin=$scratch/$config

# Seeds are made anew from the fixtures each run (never copied into the repository).
seed() {
  local target=$1 dir=$scratch/seeds/$1
  rm -rf "$dir"
  mkdir -p "$dir"
  case $target in
    FuzzJSON | FuzzUIConversion)
      # Both fixture sets hold files of the same names: each seed is named by its path.
      find "$fixtures" Docs/examples -name '*.json' -size -64k | while read -r f; do cp "$f" "$dir/${f//\//_}"; done ;;
    FuzzPNG)
      find "$fixtures" -name '*.png' | while read -r png; do tail -c +9 "$png" >"$dir/${png//\//_}"; done ;;
    FuzzCommandLanguage | FuzzTranscript)
      find Docs -name '*.comfy' -exec cp -t "$dir" {} +
      printf 'for a in 1 2 { for b in $a "x y" { set 3.seed $b; echo ${a}-$b } }\n' >"$dir/loops.comfy"
      printf 'let v = [1, "a]"]\nadd SaveImage images=["9",0] \\\n  title="q;#"\n# c\necho '"'"'$x'"'"' \\$y "\\u00e9"\n' >"$dir/words.comfy" ;;
    FuzzWebSocket)
      python3 - "$fixtures" "$dir" <<'PY'
import json, pathlib, sys
fixtures, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
n = 0
for log in fixtures.rglob("*.ws.jsonl"):
    for line in log.read_text().splitlines():
        entry = json.loads(line)
        if entry.get("kind") == "text" and "msg" in entry:
            (out / f"text-{n}").write_bytes(b"\x00" + json.dumps(entry["msg"]).encode())
            n += 1
for frame in fixtures.rglob("*.bin"):
    (out / f"binary-{frame.name}").write_bytes(b"\x01" + frame.read_bytes())
PY
      ;;
    FuzzObjectInfo)
      for f in $(find "$fixtures" -name 'object_info.s*.json'); do cp "$f" "$dir/$(basename "$(dirname "$f")")-$(basename "$f")"; done ;;
  esac
}

max_len() {
  case $1 in
    FuzzObjectInfo) echo 65536 ;;
    FuzzJSON | FuzzUIConversion | FuzzPNG) echo 65536 ;;
    *) echo 16384 ;;
  esac
}

# FuzzUIConversion keeps the fixture catalog in a global for the whole run, which LeakSanitizer
# reports at exit as a leak; leak checking stays on for every other target.
extra_flags() {
  case $1 in
    FuzzUIConversion) echo -detect_leaks=0 ;;
  esac
}

export COMFYSH_FUZZ_CATALOG=$fixtures/comfyui/object_info.json
# Swift's own backtracer would run under address sanitizer after a crash and report itself.
export SWIFT_BACKTRACE=enable=no
mkdir -p "$scratch/results"
status=0
for target in "${targets[@]}"; do
  seed "$target"
  corpus=$scratch/corpus/$target
  artifacts=$scratch/artifacts/$target
  mkdir -p "$corpus" "$artifacts"
  log=$scratch/results/$target.log
  set +e
  started=$SECONDS
  "$bin/$target" "$corpus" "$scratch/seeds/$target" -max_total_time="$seconds" -max_len="$(max_len "$target")" \
    -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix="$artifacts/" $(extra_flags "$target") >"$log" 2>&1
  code=$?
  set -e
  elapsed=$((SECONDS - started))
  executions=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | awk '{print $2}' | tail -1)
  coverage=$(grep -oE '(DONE|pulse|NEW|REDUCE|INITED) +cov: [0-9]+ ft: [0-9]+' "$log" | tail -1 | sed -E 's/.*cov: ([0-9]+) ft: ([0-9]+)/\1 edges, \2 features/')
  mkdir -p "$artifacts"
  found=$(find "$artifacts" -type f | wc -l)
  line="$target: ${executions:-?} executions in ${elapsed} s, ${coverage:-? coverage}, corpus $(find "$corpus" -type f | wc -l) inputs, artifacts $found, exit $code"
  echo "$line" | tee "$scratch/results/$target.txt"
  if [ "$code" -ne 0 ] || [ "$found" -gt 0 ]; then
    status=1
    grep -E 'ERROR|SUMMARY|property failed|Test unit written' "$log" | head -5 || true
  fi
done
exit $status
