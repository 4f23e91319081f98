// Running the oracle programs (tshark, flowkit_nids_oracle, ...) without a shell.
#pragma once

#include <span>
#include <stdexcept>
#include <string>

#include "flow_bytes.h"

namespace flowkit::oracle {

struct ProcessResult {
  int exit_code = 0;  // exit status, or 128 + signal number if killed by a signal
  std::string out;
  std::string err;
};

/// The program could not be started at all (typically: not installed).
class SpawnError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Runs argv[0] (looked up in PATH) with the given arguments, collecting
/// stdout and stderr. No shell is involved, so paths need no quoting.
/// Throws SpawnError if the program cannot be started.
[[nodiscard]] ProcessResult run_process(std::span<const std::string> argv);

/// True if `program` can be started (found in PATH or an existing path).
[[nodiscard]] bool program_available(const std::string& program);

/// Runs `program <pcap>`, which must print "flowkit-flows v1" on stdout and
/// exit 0 (e.g. flowkit_nids_oracle). Throws std::runtime_error carrying the
/// program's stderr otherwise.
[[nodiscard]] FlowSet run_flow_dumper(const std::string& program, const std::string& pcap_path);

}  // namespace flowkit::oracle
