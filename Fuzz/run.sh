#!/usr/bin/env bash
# `make fuzz [FUZZ_SECONDS=N] [FUZZ_RUNS=N] [FUZZ_TARGET=name]`: builds `astro-fuzz` with libFuzzer and AddressSanitizer (in
# .build-fuzz) and runs each target for FUZZ_SECONDS, printing one line per target:
#   fuzz <name>: <executions> executions, <crashes> crashes
# Exits non-zero when any target crashed; the crashing inputs are in .build-fuzz/crashes/ (replay one with
# `.build/release/astro-fuzz TARGET FILE` or the fuzzing build itself).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-30}
# FUZZ_RUNS=N: run each target for N executions instead (FUZZ_SECONDS then only bounds a target's time).
runs=${FUZZ_RUNS:--1}
only=${FUZZ_TARGET:-}
scratch=.build-fuzz

# libFuzzer without its own main: the driver calls LLVMFuzzerRunDriver, which it finds at run time (a normal build
# of the same executable replays files instead).
swiftc_path=$(readlink -f "$(command -v swiftc)")
runtime=$(ls "$(dirname "$swiftc_path")"/../lib/clang/*/lib/linux/libclang_rt.fuzzer_no_main-x86_64.a 2>/dev/null | head -1)
[ -n "$runtime" ] || { echo "fuzz: libclang_rt.fuzzer_no_main not found next to $swiftc_path" >&2; exit 2; }

# The Swift code (every parser is Swift) is instrumented for coverage and AddressSanitizer; the C++ kernels are
# not (they parse nothing, ASan makes their compile take many minutes, and `make test-asan` covers them).
swift build -c release --product astro-fuzz --scratch-path "$scratch" \
  -Xswiftc -sanitize=address -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp \
  -Xlinker "$runtime" -Xlinker -lstdc++ \
  -Xlinker -u -Xlinker LLVMFuzzerRunDriver -Xlinker --export-dynamic-symbol=LLVMFuzzerRunDriver
binary=$scratch/release/astro-fuzz

# Extra seed folders: the real files in the repository (the generated small seeds are in Fuzz/Corpus/<target>).
# libFuzzer takes folders only, so the real manifests are gathered into one.
mkdir -p "$scratch/seeds/manifest"
cp Datasets/*/*.manifest.json "$scratch/seeds/manifest/"
extra_seeds() {
  case $1 in
    avro|alert|triplet) echo Datasets/ztf-alerts ;;
    manifest) echo "$scratch/seeds/manifest" ;;
  esac
}

failed=0
mkdir -p "$scratch/crashes" "$scratch/logs"
for target in $("$binary" list | awk '/^  [^ ]/ {print $1}'); do
  [ -z "$only" ] || [ "$only" = "$target" ] || continue
  corpus=$scratch/corpus/$target
  mkdir -p "$corpus"
  seeds=()
  [ -d "Fuzz/Corpus/$target" ] && seeds+=("Fuzz/Corpus/$target")
  [ -d "Tests/FuzzRegressions/$target" ] && seeds+=("Tests/FuzzRegressions/$target")
  for s in $(extra_seeds "$target"); do [ -e "$s" ] && seeds+=("$s"); done
  dict=()
  [ -f "Fuzz/Dictionaries/$target.dict" ] && dict=("-dict=Fuzz/Dictionaries/$target.dict")
  log=$scratch/logs/$target.log
  rm -f "$scratch/crashes/$target-"*
  count_crashes() { find "$scratch/crashes" -name "$target-*" | wc -l; }
  # Leak detection is off: the Swift runtime's metadata caches are allocated once and never freed by design.
  ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=0 "$binary" "$target" "${dict[@]}" \
    -max_total_time="$seconds" -runs="$runs" -timeout=10 -rss_limit_mb=2560 -malloc_limit_mb=1024 -detect_leaks=0 \
    -print_final_stats=1 -artifact_prefix="$scratch/crashes/$target-" "$corpus" "${seeds[@]}" >"$log" 2>&1 || true
  executions=$(awk '/stat::number_of_executed_units:/ {print $2}' "$log" | tail -1)
  crashes=$(count_crashes)
  if [ -z "$executions" ]; then
    # No final statistics: the run died before libFuzzer could write them (or never started).
    executions=0
    [ "$crashes" -gt 0 ] || crashes=1
    tail -20 "$log" >&2
  fi
  echo "fuzz $target: $executions executions, $crashes crashes"
  if [ "$crashes" -gt 0 ]; then
    failed=1
    grep -m3 -E "ERROR: |Fatal error|SUMMARY" "$log" >&2 || true
  fi
done
exit $failed
