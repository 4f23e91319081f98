#pragma once

#include <string>
#include <vector>

#include "process.h"

namespace flowkit::versiondetect::testing {

using flowkit::testing::CommandResult;

/// Runs `argv` (no shell, standard input from /dev/null), capturing standard output and
/// standard error.
inline CommandResult run_command(const std::vector<std::string>& argv) {
  return flowkit::testing::run(argv);
}

/// Splits text into lines (without the LF).
std::vector<std::string> split_lines(const std::string& text);

}  // namespace flowkit::versiondetect::testing
