#!/usr/bin/env bash
# The main job on the bundled sample capture, from a fresh machine: installs what is missing,
# builds, then reassembles every TCP connection of examples/sample.pcap into one file per
# direction (tcpflow-style) under build/demo-streams/ and prints the event log.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh" --build-dir "$root/build" >/dev/null
out="$root/build/demo-streams"
rm -rf "$out"
echo "== events (print_events examples/sample.pcap)"
"$root/build/examples/print_events" "$root/examples/sample.pcap"
echo "== streams (stream_dump $out examples/sample.pcap)"
"$root/build/examples/stream_dump" "$out" "$root/examples/sample.pcap"
ls -l "$out"
echo "== the login request, reassembled from out-of-order and retransmitted segments"
cat "$out"/000005_192.168.1.102.51008-192.168.1.10.80; echo
