#pragma once

#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "flowkit/config.h"
#include "flowkit/httpgraph/http_collector.h"
#include "flowkit/httpgraph/transaction.h"
#include "packet_builder.h"

namespace flowkit::httpgraph::testing {

using flowkit::testing::Frame;
using flowkit::testing::TcpSession;

/// What one collector run produced.
struct Collected {
  std::vector<Transaction> transactions;
  CollectorStats stats;
};

/// Runs `frames` through a Reassembler and an HttpCollector.
Collected collect(std::span<const Frame> frames, Config config = {}, CollectorOptions options = {});

/// Reads every frame of capture files (PacketSource) through an HttpCollector.
Collected collect_file(const std::string& path, Config config = {});

/// Frames of several sessions merged in time order (stable).
std::vector<Frame> merge(std::vector<std::vector<Frame>> parts);

/// A plain GET with optional Referer.
std::string get(std::string_view path, std::string_view host, std::string_view referer = {});
/// A response with a Content-Length body.
std::string ok(std::string_view body, std::string_view type = "text/html", int status = 200,
               std::string_view reason = "OK");

struct CommandResult {
  int exit_code = -1;  ///< -1 when the command could not be run or did not exit normally
  std::string out;
  std::string err;
};

/// Runs `argv` (looked up in PATH) with stdin from /dev/null, capturing stdout and stderr.
/// `env` entries ("NAME=value") replace the same names of this process's environment.
CommandResult run_command(const std::vector<std::string>& argv,
                          const std::vector<std::string>& env = {});

/// A scratch directory of the running test's own (removed when the test program exits).
std::filesystem::path test_dir();

std::string read_file(const std::filesystem::path& path);
void write_file(const std::filesystem::path& path, std::string_view text);

}  // namespace flowkit::httpgraph::testing
