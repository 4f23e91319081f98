#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>

#include "flow/connection_table.h"
#include "flowkit/config.h"
#include "flowkit/handler.h"
#include "flowkit/stats.h"

namespace flowkit::detail {

/// Follows TCP connections and reassembles their streams: handshake, sequence tracking across
/// the wrap, out-of-order buffering with target-based overlap resolution, gaps that never stall,
/// FIN/RST/timeouts, port reuse, memory and connection caps.
class TcpTracker {
 public:
  TcpTracker(const TcpConfig& config, Handler& handler, Stats& stats);
  ConnectionTable& table() noexcept { return table_; }
  TcpTracker(const TcpTracker&) = delete;
  TcpTracker& operator=(const TcpTracker&) = delete;

  /// A decoded TCP segment; `flow_hash` is its symmetric_hash if already known, else 0.
  void process(const PacketInfo& pkt, std::size_t flow_hash = 0);
  /// Runs idle timers at packet time `now`.
  void expire(Timestamp now);
  /// Ends every connection with EndOfInput and empties the table.
  void finish();
  /// Ends `conn` now, or right after the current callback returns.
  void end_connection(Connection& conn, EndReason reason);
  void for_each_connection(const std::function<void(Connection&)>& visit);

  [[nodiscard]] std::size_t connection_count() const noexcept { return table_.size(); }
  [[nodiscard]] std::size_t memory_used() const noexcept { return memory_; }

 private:
  ConnectionNode* create(const PacketInfo& pkt);
  void make_room();
  void establish(ConnectionNode& c);
  void track_sender(ConnectionNode& c, Direction dir, const PacketInfo& pkt);
  void handle_handshake(ConnectionNode& c, Direction dir, const PacketInfo& pkt);
  void handle_rst(ConnectionNode& c, Direction dir, const PacketInfo& pkt);
  void handle_data(ConnectionNode& c, Direction dir, const PacketInfo& pkt);
  void handle_ack(ConnectionNode& c, Direction dir, std::uint32_t ack);
  bool rst_in_window(ConnectionNode& c, Direction dir, std::uint32_t seq) const;
  void deliver(ConnectionNode& c, Direction dir, std::span<const std::byte> bytes);
  void drain(ConnectionNode& c, Direction dir);
  void skip_hole(ConnectionNode& c, Direction dir, GapReason reason, std::uint64_t limit);
  void report_gap(ConnectionNode& c, Direction dir, std::uint64_t offset, std::uint64_t length,
                  GapReason reason);
  void flush(ConnectionNode& c, Direction dir);
  void offer_kept(ConnectionNode& c, Direction dir);
  void enforce_limits(ConnectionNode& c, Direction dir);
  void after_packet(ConnectionNode& c);
  bool finished(ConnectionNode& c, Direction dir);
  void end(ConnectionNode& c, EndReason reason);
  void release_buffers(ConnectionNode& c) noexcept;
  void set_timer(ConnectionNode& c) noexcept;

  TcpConfig config_;
  Handler& handler_;
  Stats& stats_;
  ConnectionTable table_;
  std::size_t memory_ = 0;
  std::uint64_t next_id_ = 0;
  Timestamp now_{};
  int in_callback_ = 0;  ///< >0 while user code runs: ending is deferred to after_packet()
};

}  // namespace flowkit::detail
