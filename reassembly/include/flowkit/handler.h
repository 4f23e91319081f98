#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "flowkit/connection.h"
#include "flowkit/packet.h"

namespace flowkit {

/// Bytes offered to on_data. `bytes` starts with whatever the previous call left unconsumed,
/// followed by the new bytes; `offset` is the stream offset of bytes[0].
struct StreamChunk {
  std::span<const std::byte> bytes;
  std::size_t new_bytes = 0;
  std::uint64_t offset = 0;
};

/// Receives everything a Reassembler finds. Override what you need; every method has a no-op
/// default. Callbacks run synchronously inside Reassembler::process/finish.
class Handler {
 public:
  virtual ~Handler() = default;

  /// Handshake complete (or connection picked up mid-stream). Set collect flags and user data here.
  virtual void on_established(Connection& /*conn*/) {}

  /// New in-order bytes of one direction. Return how many leading bytes of `chunk.bytes` are
  /// consumed; the rest is kept and offered again in front of the next new bytes (libnids'
  /// nids_discard). Returning chunk.bytes.size() (the default) keeps nothing. Kept bytes that
  /// can never be continued (a gap follows, or the connection ends) are offered one last time
  /// with new_bytes == 0 before they are dropped.
  virtual std::size_t on_data(Connection& /*conn*/, Direction /*dir*/, const StreamChunk& chunk) {
    return chunk.bytes.size();
  }

  /// Bytes [offset, offset+length) of direction `dir` will never be delivered.
  virtual void on_gap(Connection& /*conn*/, Direction /*dir*/, std::uint64_t /*offset*/,
                      std::uint64_t /*length*/, GapReason /*reason*/) {}

  /// Overlapping copies of [offset, offset+length) carried different bytes: an evasion sign.
  virtual void on_overlap_conflict(Connection& /*conn*/, Direction /*dir*/,
                                   std::uint64_t /*offset*/, std::uint64_t /*length*/) {}

  /// A segment with the URG flag: the urgent byte (it also stays in the stream).
  virtual void on_urgent(Connection& /*conn*/, Direction /*dir*/, std::byte /*value*/) {}

  /// Every TCP segment of a tracked connection, before it is reassembled (for packet logging and
  /// for following sequence numbers, e.g. to kill the connection).
  virtual void on_segment(Connection& /*conn*/, Direction /*dir*/, const PacketInfo& /*pkt*/) {}

  /// The connection ended; this is the last callback for it.
  virtual void on_end(Connection& /*conn*/, EndReason /*reason*/) {}

  /// Every UDP datagram (after defragmentation).
  virtual void on_udp(const PacketInfo& /*pkt*/) {}

  /// Every IP packet (after defragmentation), before TCP or UDP processing.
  virtual void on_ip(const PacketInfo& /*pkt*/) {}
};

}  // namespace flowkit
