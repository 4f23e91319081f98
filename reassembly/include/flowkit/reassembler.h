#pragma once

#include <cstddef>
#include <functional>
#include <memory>

#include "flowkit/config.h"
#include "flowkit/connection.h"
#include "flowkit/handler.h"
#include "flowkit/packet_source.h"
#include "flowkit/raw_frame.h"
#include "flowkit/stats.h"

namespace flowkit {

class Reassembler;
namespace detail {
class ConnectionTable;
/// What the caller of process_known() already knows of a frame's flow.
struct KnownFlow {
  /// The frame was placed on this shard by its flow hash (PcapChunkIndex): the shard's own
  /// look at the frame is skipped.
  bool placed = false;
  /// The flow's symmetric_hash, taken from the frame's headers (0: not known). It must be what
  /// the decoded tuple hashes to; the connection lookup uses it instead of hashing again.
  std::size_t hash = 0;
};
void process_known(Reassembler& reassembler, const RawFrame& frame, KnownFlow known);
/// The reassembler's TCP connection table, for cache hints ahead of frames already placed.
ConnectionTable& connection_table(Reassembler& reassembler) noexcept;
}  // namespace detail

/// A userland TCP/IP stack: decodes frames, defragments IP, reassembles TCP streams and calls
/// the Handler. No global state: any number of Reassemblers can live in one process, each used
/// from one thread at a time.
class Reassembler {
 public:
  Reassembler(Config config, Handler& handler);
  ~Reassembler();
  Reassembler(const Reassembler&) = delete;
  Reassembler& operator=(const Reassembler&) = delete;
  Reassembler(Reassembler&&) noexcept;
  Reassembler& operator=(Reassembler&&) noexcept;

  /// Feeds one captured frame. Never throws on bad packets: they are counted in stats().drops.
  void process(const RawFrame& frame);

  /// Moves packet time forward without a packet (e.g. a quiet live interface), running timers.
  void advance_time(Timestamp now);

  /// Ends every open connection with EndReason::EndOfInput, delivering what is still buffered
  /// (reporting holes as gaps). Call at the end of a capture.
  void finish();

  /// Ends the connection now (e.g. after killing it); on_end is called with `reason`.
  void end_connection(Connection& conn, EndReason reason);

  /// Calls `visit` for every open connection.
  void for_each_connection(const std::function<void(Connection&)>& visit);

  [[nodiscard]] const Stats& stats() const noexcept;
  [[nodiscard]] const Config& config() const noexcept;
  [[nodiscard]] std::size_t connection_count() const noexcept;
  /// Bytes currently held for out-of-order segments, kept data and fragments.
  [[nodiscard]] std::size_t memory_used() const noexcept;

 private:
  friend void detail::process_known(Reassembler& reassembler, const RawFrame& frame,
                                    detail::KnownFlow known);
  friend detail::ConnectionTable& detail::connection_table(Reassembler& reassembler) noexcept;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Feeds every frame of `source` to `reassembler`, calling `between` (if any) after each frame
/// (e.g. for a progress line); then finish().
void reassemble(PacketSource& source, Reassembler& reassembler,
                const std::function<void()>& between = {});

}  // namespace flowkit
