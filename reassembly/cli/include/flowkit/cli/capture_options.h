#pragma once

#include <CLI/CLI.hpp>

#include <atomic>
#include <cstdio>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "flowkit/cli/privileges.h"
#include "flowkit/cli/progress.h"
#include "flowkit/config.h"
#include "flowkit/packet_source.h"
#include "flowkit/reassembler.h"

namespace flowkit::cli {

/// The input and reassembly options every flowkit tool shares, bound to a CLI11 app, so that
/// flowgrep, versiondetect and httpgraph read packets the same way.
struct CaptureOptions {
  std::vector<std::string> read;          ///< -r: files, directories, "-"
  std::string interface;                  ///< -i
  std::vector<std::string> filter_words;  ///< trailing BPF expression, tcpdump-style
  int snaplen = 262144;
  bool no_promiscuous = false;
  int buffer_size = kDefaultLiveBufferBytes;
  int block_timeout_ms = kDefaultLiveBlockTimeoutMs;  ///< --block-timeout
  bool immediate = false;                             ///< --immediate-mode
  bool midstream = false;
  std::string policy = "bsd";
  bool verify_checksums = false;
  std::size_t max_connections = TcpConfig{}.max_connections;
  std::size_t memcap_mb = TcpConfig{}.memcap >> 20;
  double idle_timeout_s = 600;
  std::size_t threads = 1;  ///< reassembly workers (--threads)
  bool fanout = false;      ///< --fanout: with -i, the kernel splits packets by flow
  std::string run_as;       ///< -Z: the user to become once the inputs are open

  /// Adds the options to `app` (the BPF words become its trailing positional arguments).
  void add_to(CLI::App& app, bool bpf_positional = true);
  /// `-r a.pcap b.pcap tcp port 80`: -r takes several files (so shell globs work), and the
  /// words after the last existing path are the BPF filter. Call once after parsing. A word
  /// that looks like a capture file (a '/' or a capture extension) but does not exist is
  /// reported as a missing file instead. Throws CaptureError.
  void split_filter_from_files();
  /// The SourceOptions these options describe. Throws CaptureError when neither -r nor -i.
  [[nodiscard]] SourceOptions source_options() const;
  /// A Config with the reassembly options applied on top of `base`. Throws CLI::ValidationError.
  [[nodiscard]] Config config(Config base = {}) const;
  [[nodiscard]] std::string filter() const;
  /// The -Z user, looked up (nullopt without -Z). Throws PrivilegeError for an unknown user.
  [[nodiscard]] std::optional<UserIds> run_as_user() const;

  /// Opens the input (after split_filter_from_files()), then calls `before_drop` (where a tool
  /// opens what needs root: raw sockets, and its output files, so they are created as the
  /// invoking user and fail before the capture starts), then with -Z becomes that user for the
  /// rest of the run. Every tool opens its input here. Throws CaptureError, PrivilegeError and
  /// whatever `before_drop` throws.
  [[nodiscard]] PacketSource open_source(
      const std::function<void(const PacketSource&)>& before_drop = {});
};

/// What every tool does with a command-line error: --help and --version print and exit 0;
/// anything else is one line on stderr, "<app name>: <error> (see --help)", and exit status 2.
[[nodiscard]] int exit_for_parse_error(const CLI::App& app, const CLI::ParseError& error);

/// Stops `source` on SIGINT/SIGTERM (and SIGPIPE ignored), so tools can flush and print totals.
/// Only one source can be watched at a time.
void stop_on_signals(PacketSource& source);

/// True once SIGINT or SIGTERM arrived (after stop_on_signals).
[[nodiscard]] bool interrupted() noexcept;

/// Runs `source` through a ShardedReassembler with one shard per handler over the index of a
/// single pcap or pcapng file of Ethernet frames (run_indexed), or over the members of a live
/// AF_PACKET fanout group (SourceOptions::fanout, one per handler: each thread reads its own
/// socket); any other input through one Reassembler when there is one handler, or else a
/// ParallelReassembler with one worker per handler. Either way each handler is called from
/// its own thread. Returns the totals. `progress` (optional) is updated from this thread
/// and finished when the input ends (sharded: once the connections still open are flushed).
Stats run(PacketSource& source, const Config& config, std::span<Handler* const> handlers,
          Progress* progress = nullptr);

/// One-line-per-counter statistics of a run, for stderr at exit.
void print_stats(std::FILE* out, const Stats& stats, const PacketSource& source);

}  // namespace flowkit::cli
