#!/usr/bin/env bash
# Profiles the reassembly hot path (run bench/run.sh --keep first: it builds the benches and
# leaves the captures in build-bench/captures/).
#
#   bench/profile.sh [CAPTURE]
#
# - perf record (cpu-clock sampling; works in VMs without hardware counters) of bench_flowkit,
#   bench_libnids and flowgrep on CAPTURE (default: the largest capture there);
# - callgrind (instruction counts, exact and repeatable under load) of bench_flowkit on a
#   200 MB capture with the same concurrency, generated if missing.
# Reports go to build-bench/profile/*.txt; BENCHMARKS.md summarises them.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/build-bench"
build="$out/build"
dir="$out/profile"
mkdir -p "$dir"
find_bin() { find "$build" -type f -perm -u+x -name "$1" | head -1; }
bench_flowkit=$(find_bin bench_flowkit)
bench_libnids=$(find_bin bench_libnids)
flowgrep=$(find_bin flowgrep)
make_capture=$(find_bin bench_make_capture)
[ -n "$bench_flowkit" ] || { echo "profile.sh: run bench/run.sh --keep first" >&2; exit 1; }

capture=${1:-}
if [ -z "$capture" ]; then  # the largest main capture (not the IPv4-only one)
  for f in "$out"/captures/bench-*.pcap; do
    case "$f" in *-v4-*) continue ;; esac
    [ -s "$f" ] || continue
    if [ -z "$capture" ] || [ "$(stat -c %s "$f")" -gt "$(stat -c %s "$capture")" ]; then capture=$f; fi
  done
fi
[ -s "$capture" ] || { echo "profile.sh: no capture (run bench/run.sh --keep first)" >&2; exit 1; }
regex=$(sed -n 's/^ *"needle_regex": "\(.*\)"$/\1/p' "$capture.json")
connections=$(sed -n 's/^ *"concurrent_slots": \([0-9]*\),$/\1/p' "$capture.json")

if perf record -o /dev/null -- true >/dev/null 2>&1; then
  cat "$capture" >/dev/null
  profile() {  # profile NAME COMMAND...
    local name=$1
    shift
    perf record -F 4000 -o "$dir/$name.perf" -- "$@" >/dev/null 2>&1
    # awk, not head: an early exit would fail the pipeline under pipefail
    perf report -i "$dir/$name.perf" --no-children --stdio --sort dso,symbol 2>/dev/null |
      awk '/^ +[0-9]/ && n++ < 40 { print substr($0, 1, 140) }' >"$dir/perf-$name.txt"
    echo "== $name: $dir/perf-$name.txt" >&2
    sed -n 1,15p "$dir/perf-$name.txt" >&2
  }
  profile flowkit "$bench_flowkit" "$capture"
  profile libnids "$bench_libnids" --streams $((2 * connections)) "$capture"
  profile flowgrep "$flowgrep" -q -e "$regex" -r "$capture"
else
  echo "profile.sh: perf cannot record here; skipping the sampling profiles" >&2
fi

if command -v valgrind >/dev/null; then
  small="$out/captures/profile-200mb-${connections}c.pcap"
  [ -s "$small" ] || "$make_capture" --size-mb 200 --connections "$connections" -o "$small" >/dev/null
  valgrind --tool=callgrind --callgrind-out-file="$dir/callgrind.flowkit" "$bench_flowkit" "$small" \
    >/dev/null 2>"$dir/callgrind.log"

  echo "== callgrind: $dir/callgrind-self.txt, $dir/callgrind-inclusive.txt" >&2
  grep -m1 'refs' "$dir/callgrind.log" >&2 || true
else
  echo "profile.sh: valgrind missing (apt-get install valgrind); skipping callgrind" >&2
fi
