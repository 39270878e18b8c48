#!/usr/bin/env bash
# Runs the suite: every test of the Release build, then under ASan+UBSan the unit
# tests, the end-to-end API-access, egress and thumbnail suites (an ASan `shot serve`) and
# the RabbitMQ queue (its threads against a real broker),
# then each fuzz target for SHOT_FUZZ_SECONDS (default 20).
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
asan=${2:-build-asan}
fuzz=${3:-build-fuzz}
jobs=$(nproc)

status=0
echo "== tests (Release) =="
ctest --test-dir "$build" --output-on-failure -j "$jobs" --timeout 600 || status=1
echo "== unit tests (ASan+UBSan) =="
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir "$asan" --output-on-failure -j "$jobs" -L unit --timeout 600 || status=1
echo "== API access, egress and thumbnails end to end, RabbitMQ queue (ASan+UBSan) =="
# Leak checks stay with the unit tests: these stop servers with signals mid-work.
ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir "$asan" --output-on-failure -R '^(access_test|egress_test|thumbnail_test|amqp_test)$' --timeout 600 || status=1
export SHOT_FUZZ_SECONDS=${SHOT_FUZZ_SECONDS:-20}
echo "== fuzz targets (libFuzzer, ASan+UBSan, ${SHOT_FUZZ_SECONDS} s each; crashes in $fuzz/tests/fuzz/fuzz-crashes) =="
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir "$fuzz" --output-on-failure -j "$jobs" -L fuzz \
  --timeout $((SHOT_FUZZ_SECONDS + 120)) || status=1
exit $status
