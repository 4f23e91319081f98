#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <string>

#include "flowkit/cli/progress.h"
#include "flowkit/packet_source.h"

namespace flowkit::cli {

/// What a tool says about its run on standard error, the same way in every tool: the progress
/// line while files are read, the statistics at the end, and --stats-json.
struct StatusOptions {
  bool quiet = false;      ///< -q: neither progress nor statistics
  bool progress = false;   ///< --progress: the progress line even when stderr is no terminal
  std::string stats_json;  ///< --stats-json FILE

  void add_to(CLI::App& app);

  /// The progress line for reading `source`, or nullptr. Shown when reading files (not a live
  /// interface), not --quiet, and either --progress or standard error is a terminal that the
  /// results do not go to as well (`results_on_stdout` and stdout is that same terminal: the
  /// results would be written into the middle of the line).
  [[nodiscard]] std::unique_ptr<Progress> make_progress(const PacketSource& source,
                                                        bool results_on_stdout) const;
};

}  // namespace flowkit::cli
