#pragma once

#include <string>
#include <vector>

namespace flowkit::versiondetect::testing {

/// The outcome of running a program.
struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

/// Runs `argv` (no shell), capturing standard output and standard error.
CommandResult run_command(const std::vector<std::string>& argv);

/// Splits text into lines (without the LF).
std::vector<std::string> split_lines(const std::string& text);

}  // namespace flowkit::versiondetect::testing
