#pragma once

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "flowkit/connection.h"
#include "flowkit/ip_address.h"
#include "flowkit/timestamp.h"

namespace flowkit::flowgrep {

class AuditSink;

/// Who sent the matching bytes to whom.
struct FlowEnds {
  std::string protocol = "tcp";
  IpAddress src;
  std::uint16_t src_port = 0;
  IpAddress dst;
  std::uint16_t dst_port = 0;
};

struct MatchEvent {
  Timestamp ts{};
  std::uint64_t connection = 0;  ///< Connection::id(); 0 for UDP
  FlowEnds ends;
  std::string direction;  ///< "to-server", "to-client" or "udp"
  unsigned pattern_id = 0;
  std::string pattern;
  std::uint64_t start = 0;  ///< stream offset of the first matching byte (if known)
  std::uint64_t end = 0;    ///< stream offset just past the match
  bool start_known = true;
  std::string excerpt;  ///< raw bytes around the match
};

struct RstPacket {
  IpAddress src;
  std::uint16_t src_port = 0;
  IpAddress dst;
  std::uint16_t dst_port = 0;
  std::uint32_t seq = 0;
  std::uint32_t ack = 0;
};

struct KillEvent {
  Timestamp ts{};
  std::uint64_t connection = 0;
  FlowEnds ends;  ///< client -> server
  bool dry_run = false;
  int round = 1;  ///< 1 = on the match; later rounds answer challenge ACKs
  std::vector<RstPacket> packets;
  std::string error;  ///< injection failure, if any
};

struct EndEvent {
  Timestamp ts{};
  std::uint64_t connection = 0;
  FlowEnds ends;  ///< client -> server
  EndReason reason = EndReason::Close;
  std::uint64_t matches = 0;
  std::uint64_t bytes_to_server = 0;
  std::uint64_t bytes_to_client = 0;
  std::uint64_t packets = 0;
  bool killed = false;
  std::uint64_t pcap_frames_lost = 0;  ///< frames that did not fit the pre-match buffer
};

/// Writes flowgrep's events as text lines or JSON lines (see the README for the fields).
/// Every event is flushed at once, so a killed or interrupted run loses nothing.
class Report {
 public:
  Report(std::FILE* out, bool json, bool log_every_end) noexcept
      : out_(out), json_(json), log_every_end_(log_every_end) {}

  /// Also sends each match and each kill to `sink` (--syslog), one line each; `match_action`
  /// says what is done about a match: log, kill or would-kill. Call before any event.
  void audit_to(AuditSink* sink, std::string match_action);

  void match(const MatchEvent& e);
  void kill(const KillEvent& e);
  void end(const EndEvent& e);
  /// A warning that belongs with the results (e.g. a lost pcap buffer).
  void note(Timestamp ts, std::uint64_t connection, const std::string& text);

  /// errno of the first line that could not be written (0: none), e.g. ENOSPC or EPIPE.
  [[nodiscard]] int write_error() const noexcept { return write_error_.load(); }

 private:
  void line(const std::string& text);
  std::FILE* out_;
  bool json_;
  bool log_every_end_;
  AuditSink* audit_ = nullptr;
  std::string match_action_ = "log";
  std::atomic<int> write_error_{0};
};

}  // namespace flowkit::flowgrep
