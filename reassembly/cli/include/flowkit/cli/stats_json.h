#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

#include "flowkit/output_file.h"
#include "flowkit/packet_source.h"
#include "flowkit/stats.h"

namespace flowkit::cli {

/// The statistics print_stats() shows, as one JSON object: tool, interrupted (Ctrl-C or
/// SIGTERM ended the input), packets, bytes, connections {opened, closed, reset, timed_out,
/// evicted}, stream_bytes, gaps, gap_bytes, dropped and drops {reason: count} for every reason,
/// filtered_out, and kernel_drops for a live capture. Tools add their own counters under their
/// name.
[[nodiscard]] nlohmann::json stats_to_json(std::string_view tool, const Stats& stats,
                                           const PacketSource& source);

/// --stats-json FILE. The file is created when this is constructed, so that a bad path fails
/// before the capture is read (and before privileges are dropped); the statistics are written
/// at the end.
class StatsJsonFile {
 public:
  /// An empty path: no file, write() does nothing. Throws OutputFileError.
  explicit StatsJsonFile(const std::string& path);

  [[nodiscard]] bool enabled() const noexcept { return file_ != nullptr; }
  /// Writes `stats` (one object, pretty-printed) and closes the file. Throws CaptureError.
  void write(const nlohmann::json& stats);

 private:
  std::string path_;
  OutputFile file_;
};

}  // namespace flowkit::cli
