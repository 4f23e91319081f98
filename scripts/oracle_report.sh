#!/usr/bin/env bash
# Regenerates the report of where the two reassembly oracles (libnids, tshark follow) disagree on
# the shared captures, and prints it. Usage: scripts/oracle_report.sh [build-dir]
# Needs tshark and libnids (Debian: tshark libnids-dev libnet1-dev libpcap-dev libglib2.0-dev).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
[ -f "$build/CMakeCache.txt" ] || cmake -S "$root" -B "$build" >/dev/null
cmake --build "$build" -j2 --target flowkit_oracle_tests  # pulls in flowkit_nids_oracle if libnids is there
report="$build/tests/oracle/oracle_disagreements.md"
FLOWKIT_ORACLE_REPORT="$report" "$build/tests/oracle/flowkit_oracle_tests" \
  --gtest_filter='OracleReport.*' --gtest_brief=1
cat "$report"
