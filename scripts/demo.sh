#!/usr/bin/env bash
# The main job on the bundled sample capture, from a fresh machine: installs what is missing,
# builds, then runs flowgrep over examples/sample.pcap. The sample was crafted with flowkit's own
# packet builder (examples/make_sample_capture.cc); its login request is split across segments
# that arrive out of order, with a retransmission, so "password=" exists only in the stream.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh" --build-dir "$root/build" >/dev/null
flowgrep="$root/build/flowgrep/flowgrep"
sample="$root/examples/sample.pcap"
out="$root/build/demo"
rm -rf "$out" && mkdir -p "$out"

echo "== flowgrep -e 'password=\\w+' -e 'OpenSSH_[0-9.]+' -r examples/sample.pcap"
"$flowgrep" -e 'password=\w+' -e 'OpenSSH_[0-9.]+' -r "$sample"
echo
echo "== the same as JSON lines, keeping each matching connection in a pcap and as stream files"
"$flowgrep" -q --json -e 'password=\w+' -w "$out/matches.pcap" --dump-dir "$out/streams" -r "$sample" \
  | grep '"type":"match"'
ls -l "$out/matches.pcap" "$out/streams"
echo
echo "== what --kill would send (a dry run, since this reads a file)"
"$flowgrep" -q --kill -e 'DROP|admin' -r "$sample"
