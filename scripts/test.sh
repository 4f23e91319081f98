#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what is missing, builds, runs every test,
# then builds and runs the tests again under AddressSanitizer + UndefinedBehaviorSanitizer
# (all but the oracle comparisons, which ran in the first pass), then fuzzes for a bounded time.
#   scripts/test.sh [--quick]     (--quick skips the sanitizer and fuzzing passes)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
quick=0
[ "${1:-}" = "--quick" ] && quick=1
jobs=$(nproc 2>/dev/null || echo 2)

"$root/scripts/setup.sh" --build-dir "$root/build"
echo "== tests (RelWithDebInfo)"
ctest --test-dir "$root/build" --output-on-failure -j"$jobs"

if [ "$quick" -eq 0 ]; then
  "$root/scripts/setup.sh" --build-dir "$root/build-asan" --sanitize
  # The oracle-labelled tests (flowkit's output against tshark's and libnids' on the shared
  # captures) ran above; here the same captures still go through every reader and reassembler
  # path (CaptureFile, PcapChunkIndex, ParallelReassembler and the tools' shared-capture
  # tests), so the sanitizers see that code without waiting on tshark again.
  echo "== tests under ASan+UBSan (oracle comparisons ran above)"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir "$root/build-asan" --output-on-failure -j"$jobs" -LE '^oracle$'
  # libFuzzer targets for a bounded time each (FLOWKIT_FUZZ_SECONDS, default 20): any crash fails.
  echo "== fuzzing (${FLOWKIT_FUZZ_SECONDS:-20} s per target)"
  "$root/scripts/fuzz.sh"
fi
