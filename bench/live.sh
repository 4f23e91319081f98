#!/usr/bin/env bash
# Live capture: replays the benchmark's main capture over a veth pair between two network
# namespaces of its own, and captures it at the other end with flowgrep (one thread, reading
# the kernel's blocks or, with --immediate-mode, each packet as it arrives; two threads on an
# AF_PACKET fanout group; two threads with one reading and dispatching), ngrep and tcpdump
# (capture alone, for the baseline). Needs root.
#
#   bench/live.sh [--rates "R1 R2 ..."] [--repeat N] [--capture FILE] [--no-install]
#
#   --rates LIST     replay rates in Mbit/s; 0 is as fast as tcpreplay sends (default "1000 0")
#   --repeat N       rounds, each running every tool once at every rate; medians count (default 3)
#   --capture FILE   a capture written by bench_make_capture (with its .json and .needles);
#                    default: bench/run.sh's main one, built and generated if missing
#   --no-install     do not install missing Debian packages
#
# For every tool and rate it reports what tcpreplay sent, the share of those packets the tool
# got (the rest the kernel dropped: the tool did not keep up), its CPU time, and how many of the
# capture's needles it found. Writes everything to build-bench/live-results.txt.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/common.sh
source "$root/bench/common.sh"
rates="1000 0"
repeat=3
capture=""
install=1
while [ $# -gt 0 ]; do
  case "$1" in
    --rates) rates=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --capture) capture=$2; shift 2 ;;
    --no-install) install=0; shift ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "live.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
say() { echo "== $*" >&2; }
if [ "$(id -u)" -ne 0 ]; then
  echo "live.sh: needs root (network namespaces, live capture)" >&2
  exit 1
fi

prepare=(--prepare-only)
[ "$install" -eq 0 ] && prepare+=(--no-install)
declare -A prepared
while IFS='=' read -r key value; do prepared[$key]=$value; done \
  < <("$root/bench/run.sh" "${prepare[@]}")
flowgrep=${prepared[flowgrep]}
regex=${prepared[regex]}
[ -n "$capture" ] || capture=${prepared[big]}
for f in "$capture" "$capture.json" "$capture.needles"; do
  [ -s "$f" ] || { echo "live.sh: $f is missing" >&2; exit 1; }
done
if [ "$install" -eq 1 ]; then
  for p in tcpreplay tcpdump ngrep time iproute2; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || {
      say "installing $p"
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$p" >/dev/null
    }
  done
fi
for tool in tcpreplay tcpdump ngrep /usr/bin/time ip; do
  command -v "$tool" >/dev/null || { echo "live.sh: $tool is missing" >&2; exit 1; }
done

out="$root/build-bench"
logs="$out/live-logs"
results="$out/live-results.txt"
mkdir -p "$logs"
rx=flowkit-live-rx.$$
tx=flowkit-live-tx.$$
cleanup() {
  ip netns del "$rx" 2>/dev/null || true
  ip netns del "$tx" 2>/dev/null || true
}
trap cleanup EXIT
# Frames of the capture reach 1534 bytes (IPv6 with a 1460-byte segment): a larger MTU lets
# every one through as it was captured.
ip netns add "$rx"
ip netns add "$tx"
rx_if=fklr$$
tx_if=fklt$$
ip link add "$rx_if" type veth peer name "$tx_if"
ip link set "$rx_if" netns "$rx"
ip link set "$tx_if" netns "$tx"
ip -n "$rx" link set "$rx_if" mtu 9000 up
ip -n "$tx" link set "$tx_if" mtu 9000 up

packets=$(json "$capture" packets)
n_inside=$(json "$capture" needles_inside)
n_split=$(json "$capture" needles_split)


# The tools, as they capture on the receiving end. STATS becomes the statistics file.
declare -A cmds
tools=(tcpdump ngrep flowgrep flowgrep-immediate flowgrep-2threads-fanout flowgrep-2threads)
cmds[tcpdump]="tcpdump -B 65536 -s 262144 -i $rx_if -w /dev/null"
cmds[ngrep]="ngrep -q -W single -d $rx_if $regex"
cmds[flowgrep]="$flowgrep -q --stats-json STATS -e $regex -i $rx_if"
cmds[flowgrep-immediate]="$flowgrep -q --stats-json STATS --immediate-mode -e $regex -i $rx_if"
cmds[flowgrep-2threads-fanout]="$flowgrep -q --stats-json STATS --threads 2 --fanout -e $regex -i $rx_if"
cmds[flowgrep-2threads]="$flowgrep -q --stats-json STATS --threads 2 -e $regex -i $rx_if"

# run_one TOOL RATE ROUND: one replay; appends a line to the runs log.
runs_log="$logs/runs.txt"
: >"$runs_log"
run_one() {
  local tool=$1 rate=$2 round=$3 base="$logs/$1-$2"
  local words=() args=() w
  read -r -a words <<<"${cmds[$tool]}"
  for w in "${words[@]}"; do args+=("${w//STATS/$base.json}"); done
  rm -f "$base.json"
  /usr/bin/time -f '%U %S' -o "$base.time" ip netns exec "$rx" "${args[@]}" \
    >"$base.out" 2>"$base.err" &
  local timer=$!
  # Each capture socket's ring takes the kernel 0.1-0.5 s to set up (it zeroes 64 MiB), and
  # a fanout group has two: the replay starts once they are surely in place.
  sleep 2
  local pace=(--topspeed)
  [ "$rate" != 0 ] && pace=(--mbps="$rate")
  ip netns exec "$tx" tcpreplay -q -K "${pace[@]}" -i "$tx_if" "$capture" >"$base.replay" 2>&1
  sleep 3  # what the tool still has in its kernel buffer
  pkill -INT -P "$timer" || true
  wait "$timer" || true
  local sent mbps got drops cpu inside split
  sent=$(sed -n 's/^Actual: \([0-9]*\) packets.*/\1/p' "$base.replay")
  mbps=$(sed -n 's/^Rated: .*, \([0-9.]*\) Mbps.*/\1/p' "$base.replay")
  case "$tool" in
    tcpdump)
      got=$(sed -n 's/^\([0-9]*\) packets captured.*/\1/p' "$base.err")
      drops=$(sed -n 's/^\([0-9]*\) packets dropped by kernel.*/\1/p' "$base.err") ;;
    ngrep) got=- drops=- ;;  # ngrep reports neither
    *)
      got=$(json "$base" packets)
      drops=$(json "$base" kernel_drops) ;;
  esac
  cpu=$(awk '{ printf "%.2f", $1 + $2 }' "$base.time")
  read -r inside split <<<"$(needles "$base.out" "$capture" "$regex")"
  echo "$tool rate=$rate round=$round sent=$sent mbps=$mbps got=$got drops=$drops cpu=$cpu inside=$inside split=$split" |
    tee -a "$runs_log" >&2
}

say "replaying $(basename "$capture") ($packets packets) at ${rates// /, } Mbit/s (0: top speed), $repeat rounds"
for round in $(seq 1 "$repeat"); do
  for rate in $rates; do
    for tool in "${tools[@]}"; do run_one "$tool" "$rate" "$round"; done
  done
done

field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }
median() { sed '/^-$/d' | sort -n | awk '{ v[NR] = $1 } END {
  if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
{
  echo "flowkit live capture benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "host: $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1), $(nproc) CPUs; kernel $(uname -r)"
  echo "capture: $(basename "$capture"), $packets packets, $n_inside needles inside a segment and $n_split split across segments"
  echo "sender: tcpreplay -K over a veth pair (MTU 9000) into another network namespace; $repeat rounds, medians"
  echo
  echo "| rate asked | tool                       | sent Mbit/s | got % of sent | kernel drops | CPU s | needles in/split |"
  echo "|------------|----------------------------|-------------|---------------|--------------|-------|------------------|"
  for rate in $rates; do
    for tool in "${tools[@]}"; do
      lines=$(grep "^$tool rate=$rate " "$runs_log")
      sent=$(field sent <<<"$lines" | median)
      mbps=$(field mbps <<<"$lines" | median)
      got=$(field got <<<"$lines" | median)
      drops=$(field drops <<<"$lines" | median)
      cpu=$(field cpu <<<"$lines" | median)
      inside=$(field inside <<<"$lines" | median)
      split=$(field split <<<"$lines" | median)
      share="-"
      [ "$got" != "-" ] && share=$(awk -v g="$got" -v s="$sent" 'BEGIN { printf "%.2f", 100 * g / s }')
      label=$rate
      [ "$rate" = 0 ] && label="top speed"
      printf "| %-10s | %-26s | %11.0f | %13s | %12s | %5.2f | %7s |\n" "$label" "$tool" "$mbps" \
        "$share" "$drops" "$cpu" "$inside/$n_inside $split/$n_split"
    done
  done
  echo
  echo "Every run:"
  cat "$runs_log"
} | tee "$results"
