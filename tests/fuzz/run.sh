#!/usr/bin/env bash
# Builds the libFuzzer targets (preset `fuzz`: clang with AddressSanitizer and
# UndefinedBehaviorSanitizer) and runs each one for SECONDS (default 60) on a working copy of
# its seed corpus. Crashes, leaks and timeouts are kept in build/fuzz/findings/<target>/; the
# script prints, per target, how long it ran, how many inputs it tried and what it found, and
# exits 1 when anything was found. Needs clang and libclang-rt-14-dev (libFuzzer).
# Usage: tests/fuzz/run.sh [SECONDS] [TARGET...]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${1:-60}
shift || true
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(fuzz_image_facts fuzz_image_path fuzz_tensor_archive fuzz_safetensors fuzz_case_database)

cd "$root"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j"$(nproc)" --target "${targets[@]}"

declare -A seeds=([fuzz_image_facts]="tests/fuzz/seeds/image/*" [fuzz_image_path]="tests/fuzz/seeds/image/*"
                  [fuzz_tensor_archive]="tests/data/reference-tiny/rine_tiny_head.pth tests/data/rine_tiny_head_b.pth"
                  [fuzz_safetensors]="tests/fuzz/seeds/safetensors/*"
                  [fuzz_case_database]="tests/fuzz/seeds/case/*")
found=0
for target in "${targets[@]}"; do
    corpus=build/fuzz/corpus/$target
    findings=build/fuzz/findings/$target
    mkdir -p "$corpus" "$findings"
    # shellcheck disable=SC2086 # the seed lists are globs
    cp -n ${seeds[$target]} "$corpus/" 2>/dev/null || true
    log=build/fuzz/$target.log
    status=0
    # -rss_limit_mb: a decoder that allocates more than this is a finding too; -timeout: a
    # single input that takes longer than 10 s is a hang.
    ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 \
        "build/fuzz/tests/fuzz/$target" "$corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=3072 \
        -artifact_prefix="$findings/" -print_final_stats=1 >"$log" 2>&1 || status=$?
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
    artifacts=$(find "$findings" -type f | wc -l)
    echo "$target: ${seconds}s, ${runs} inputs, corpus $(ls "$corpus" | wc -l) files, exit ${status}, findings ${artifacts}"
    if [[ $status -ne 0 || $artifacts -gt 0 ]]; then
        found=1
        grep -m 5 -E "ERROR|runtime error|SUMMARY" "$log" || true
    fi
done
rm -f /tmp/fuzz-case-*.sqlite* # fuzz_case_database's working files
exit $found
