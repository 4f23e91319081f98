// Oracle: TCP payload as Wireshark's "Follow TCP Stream" reassembles it
// (`tshark -q -z follow,tcp,raw,N`).
//
// How tshark 4.0 follow treats the hard cases (verified on the shared
// captures; it is a per-stream tap, independent of the TCP dissector's
// desegmentation and analysis preferences):
//  * Node 0 / `a` is the source of the first packet of the tcp.stream that
//    tshark saw (any packet, data or not), not necessarily the SYN sender.
//  * Start: each direction starts at the sequence number of its first packet
//    (SYN counts as one), so streams picked up mid-way (no SYN) are followed
//    normally; data on a SYN (TCP Fast Open) is included.
//  * Retransmissions / overlaps: first-seen wins. A segment starting before the
//    next expected sequence number only contributes its bytes beyond it, so a
//    retransmission with different content never replaces what was delivered.
//  * Out of order: segments beyond the expected sequence number are queued and
//    delivered once the hole is filled (again only the new bytes of a queued
//    segment are used).
//  * Gaps: when a later segment is queued behind a hole and the *peer's ACK*
//    covers it, the bytes were evidently lost by the capture only, and tshark
//    inserts the literal text "[N bytes missing in capture file]" plus a NUL
//    byte instead of the N bytes (so the marker's length is not N!). Queued
//    data behind a hole that is never acknowledged (one-sided captures,
//    pcapplusplus__unidirectional_tcp_stream_with_missing_packet.pcap) is
//    never printed: the output silently ends at the hole. A hole at the very
//    end (nothing queued behind it) leaves no trace either.
//  * Short frames: a frame truncated by the snap length contributes only its
//    captured bytes, but the sequence number advances by the full segment
//    length, so the missing tail vanishes silently (no marker). A frame
//    shorter than its IP total length (zeek__tcp__reassembly.pcap) counts as
//    a shorter segment; the rest becomes a gap (marker once acknowledged).
//  * FIN and RST are ignored: data after them is still used
//    (zeek__tcp__rst-inject-rae.pcap).
//  * Checksums are not verified (tshark default), an IPv4 total length of 0
//    (TSO super-segments captured on the sender) means "the captured length",
//    IP fragments are reassembled first, IPv6 works ("[addr]:port" in the header), and VLAN/QinQ
//    tags are not part of the conversation key: copies of one connection on different VLANs
//    (zeek__vlan-collisions.pcap) are one tcp.stream and the copies are
//    de-duplicated like retransmissions.
//  * A new tcp.stream starts when a SYN reuses the 4-tuple of a closed
//    connection (port reuse); streams with no payload (SYN scans) are listed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "flow_bytes.h"

namespace flowkit::oracle {

/// tshark is missing, failed, or printed something unexpected.
class TsharkError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// What to do with tshark's "[N bytes missing in capture file]\0" markers.
enum class GapMode {
  marker,     // keep tshark's text verbatim (what `follow` really prints)
  drop,       // remove it: the bytes around the gap are concatenated
  zero_fill,  // replace it by N zero bytes, keeping later offsets aligned
};

struct TsharkOptions {
  std::string program = "tshark";
  GapMode gaps = GapMode::marker;
  std::size_t streams_per_run = 250;  // -z follow arguments per tshark invocation
};

struct TsharkGap {
  std::size_t flow = 0;     // index into TsharkFollow::flows
  bool from_a = true;       // direction of the gap
  std::size_t offset = 0;   // where in the output bytes the gap (or its marker) is
  std::size_t missing = 0;  // N as reported by tshark
};

struct TsharkFollow {
  FlowSet flows;                          // ordered by tcp.stream
  std::vector<std::uint32_t> stream_ids;  // tcp.stream of each flow
  std::vector<TsharkGap> gaps;
};

/// Follows every tcp.stream of the capture. Throws TsharkError.
[[nodiscard]] TsharkFollow run_tshark_follow(const std::string& pcap_path,
                                             const TsharkOptions& options = {});

/// Convenience: flows only, gaps kept as tshark's markers.
[[nodiscard]] FlowSet tshark_follow(const std::string& pcap_path);

/// Parses the output of one `tshark -q -z follow,tcp,raw,N ...` run (blocks may
/// come in any order; they are sorted by stream id). Exposed for unit tests.
[[nodiscard]] TsharkFollow parse_follow_output(std::string_view text, GapMode gaps);

/// Recognises one of tshark's gap markers; returns N or -1.
[[nodiscard]] long parse_gap_marker(std::string_view chunk);

}  // namespace flowkit::oracle
