#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "flowkit/packet_source.h"

namespace flowkit::cli {

/// Where a run stands, for the progress line.
struct ProgressSnapshot {
  SourceProgress source;
  std::uint64_t packets = 0;  ///< frames read so far
  std::uint64_t open_connections = 0;
};

/// The text of one progress line, e.g.
///   file 2/5  43.1%  1.2M packets  351k packets/s  1234 open connections  ETA 1:05
/// Without a known total size (standard input) there is no percentage nor ETA; `final` shows
/// the elapsed time instead of the ETA.
[[nodiscard]] std::string format_progress(const ProgressSnapshot& now, double packets_per_second,
                                          double elapsed_seconds, bool final);

/// A live progress line on standard error while capture files are read: redrawn in place (\r)
/// at most four times a second, ended with a newline (showing the totals and the elapsed time)
/// before anything else is printed at the end. Used from the thread that reads the packets.
class Progress {
 public:
  using Clock = std::chrono::steady_clock;
  /// The clock is looked at once per this many packets, which keeps the cost per packet to a
  /// counter test.
  static constexpr std::uint64_t kCheckEvery = 4096;
  static constexpr Clock::duration kInterval = std::chrono::milliseconds(250);

  /// `terminal`: `out` is a terminal, so lines are cut to its width.
  Progress(std::FILE* out, bool terminal, Clock::time_point start = Clock::now());
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  /// A line left unfinished (the run failed) is ended, so an error message starts a line.
  ~Progress();

  /// Redraws the line if kInterval has passed since the last time.
  void update(const ProgressSnapshot& now, Clock::time_point time = Clock::now());
  /// Draws the final line and ends it with a newline. Once.
  void finish(const ProgressSnapshot& now, Clock::time_point time = Clock::now());

  [[nodiscard]] std::size_t lines_drawn() const noexcept { return draws_; }

 private:
  void draw(const ProgressSnapshot& now, Clock::time_point time, bool final);

  std::FILE* out_;
  bool terminal_;
  Clock::time_point start_;
  Clock::time_point last_draw_;
  std::uint64_t last_packets_ = 0;
  std::size_t last_width_ = 0;
  std::size_t draws_ = 0;
  bool finished_ = false;
};

}  // namespace flowkit::cli
