#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include "flow_recorder.h"
#include "flowkit/handler.h"
#include "pattern_set.h"
#include "report.h"
#include "rst_injector.h"
#include "stream_matcher.h"

namespace flowkit::flowgrep {

enum class Sides : std::uint8_t { Client, Server, Both };

struct EngineOptions {
  Sides sides = Sides::Both;          ///< which directions are matched (client = what it sends)
  std::size_t context = 32;           ///< -A: bytes of context shown around a match
  bool udp = false;                   ///< also match UDP datagrams, each on its own
  std::string pcap_path;              ///< -w
  std::size_t pcap_buffer = 1 << 20;  ///< bytes of frames held per connection before a verdict
  std::string dump_dir;               ///< --dump-dir
  std::size_t dump_buffer = 1 << 20;  ///< stream bytes held per direction before a verdict
  bool kill = false;                  ///< --kill
  bool dry_run = false;               ///< report kills without sending (reading files)
  int kill_rounds = 4;                ///< RST rounds per connection: the first plus answers to
                                      ///< challenge ACKs (RFC 5961)
  bool log_every_end = false;         ///< an end event for every connection, matched or not
};

struct EngineCounters {
  std::uint64_t matches = 0;
  std::uint64_t matched_connections = 0;
  std::uint64_t udp_matches = 0;
  std::uint64_t kills = 0;  ///< connections killed (or that would be, in a dry run)
  std::uint64_t rsts_sent = 0;
  std::uint64_t inject_errors = 0;
  EngineCounters& operator+=(const EngineCounters& o) noexcept;
};

/// flowgrep's Handler: matches reassembled streams with Hyperscan and runs the actions.
class Engine final : public Handler {
 public:
  /// `pcap` (for -w) and `injector` (for --kill outside a dry run) may be null; they, like the
  /// report, may be shared by the engines of several threads.
  Engine(const CompiledPatterns& patterns, EngineOptions options, Report& report, PcapLog* pcap,
         RstInjector* injector);

  void on_established(Connection& conn) override;
  std::size_t on_data(Connection& conn, Direction dir, const StreamChunk& chunk) override;
  void on_gap(Connection& conn, Direction dir, std::uint64_t offset, std::uint64_t length,
              GapReason reason) override;
  void on_segment(Connection& conn, Direction dir, const PacketInfo& pkt) override;
  void on_end(Connection& conn, EndReason reason) override;
  void on_udp(const PacketInfo& pkt) override;

  [[nodiscard]] const EngineCounters& counters() const noexcept { return counters_; }

 private:
  struct State;
  State& state(Connection& conn);
  [[nodiscard]] bool scans(Direction dir) const noexcept;
  void report_hits(Connection& conn, State& s, Direction dir, std::uint64_t chunk_offset,
                   std::span<const std::byte> chunk, std::vector<Hit>& hits);
  void on_verdict(Connection& conn, State& s);
  void kill(Connection& conn, State& s, Timestamp ts, std::vector<RstPacket> packets);
  [[nodiscard]] static FlowEnds client_to_server(const Connection& conn);

  const CompiledPatterns& patterns_;
  EngineOptions options_;
  Report& report_;
  PcapLog* pcap_;
  RstInjector* injector_;
  StreamMatcher matcher_;
  std::vector<Hit> hits_;  ///< reused between scans
  EngineCounters counters_;
};

}  // namespace flowkit::flowgrep
