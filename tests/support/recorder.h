#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "flowkit/reassembler.h"
#include "packet_builder.h"

namespace flowkit::testing {

/// A Handler that writes every event as a stable text line and keeps each connection's bytes,
/// so tests can assert on exact transcripts.
class Recorder : public Handler {
 public:
  struct Streams {
    std::string to_server;
    std::string to_client;
    [[nodiscard]] std::string& of(Direction d) {
      return d == Direction::ToServer ? to_server : to_client;
    }
  };

  std::vector<std::string> events;
  std::map<std::uint64_t, Streams> streams;  ///< by Connection::id()
  /// When set, on_data consumes at most this many bytes per call (to test kept data).
  std::size_t consume_limit = SIZE_MAX;
  /// Directions switched off in on_established.
  bool collect_to_server = true;
  bool collect_to_client = true;

  void on_established(Connection& c) override;
  std::size_t on_data(Connection& c, Direction d, const StreamChunk& chunk) override;
  void on_gap(Connection& c, Direction d, std::uint64_t offset, std::uint64_t length,
              GapReason reason) override;
  void on_overlap_conflict(Connection& c, Direction d, std::uint64_t offset,
                           std::uint64_t length) override;
  void on_end(Connection& c, EndReason reason) override;
  void on_udp(const PacketInfo& pkt) override;

  /// Bytes of connection `id` (1 = the first one) in direction `d`.
  [[nodiscard]] std::string bytes(Direction d, std::uint64_t id = 1) const;
  /// Events that start with `prefix`.
  [[nodiscard]] std::vector<std::string> events_starting(std::string_view prefix) const;
  std::vector<std::string> udp_payloads;
};

/// Feeds frames to a fresh Reassembler with `config`, then finish(); returns the stats.
Stats run_frames(const Config& config, Recorder& recorder, std::span<const Frame> frames);

}  // namespace flowkit::testing
