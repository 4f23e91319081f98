// flowgrep: grep for reassembled TCP streams. Matches regular expressions against whole
// connections (a match split across packets, reordered or retransmitted still counts), then
// logs the connection (text, JSON lines, pcap, stream files) or kills it with forged RSTs.
#include <fmt/format.h>

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>

#include "audit_log.h"
#include "engine.h"
#include "flowkit/cli/capture_options.h"
#include "flowkit/cli/stats_json.h"
#include "flowkit/cli/status_options.h"

namespace {

constexpr int kExitMatched = 0;
constexpr int kExitNoMatch = 1;
constexpr int kExitError = 2;

constexpr const char* kDescription =
    "flowgrep: match regular expressions against reassembled TCP streams (and UDP datagrams)\n"
    "and log or kill the connections that match.\n\n"
    "Patterns are Hyperscan regular expressions ('.' matches newlines). A match may span any\n"
    "number of packets, out of order or retransmitted; it never spans bytes missing from the\n"
    "capture. Each pattern is reported at most once per direction of a connection.\n\n"
    "Exit status: 0 something matched, 1 nothing matched, 2 error (bad option or pattern,\n"
    "unreadable input, unusable output, failed -Z, results that could not be written).\n\n"
    "Output files (-w, --dump-dir, --stats-json) are never written through a symlink; they are\n"
    "opened before -Z drops privileges, except the stream files of --dump-dir, which are\n"
    "created in the directory as the -Z user (flowgrep gives it the directory if it created\n"
    "it). Standard error carries a progress line while files are read (on a terminal that the\n"
    "results are redirected away from, or with --progress) and the statistics at the end; -q\n"
    "silences both.\n\n"
    "Examples:\n"
    "  flowgrep -e 'pass(word)?=' -r capture.pcap\n"
    "  flowgrep -f rules.txt --json -w matches.pcap -r /var/captures/ 'tcp port 80'\n"
    "  flowgrep -e '\\x90{32}' --direction client --kill --syslog -Z nobody -i eth0\n";

std::string match_action(const flowkit::flowgrep::EngineOptions& engine) {
  if (!engine.kill) return "log";
  return engine.dry_run ? "would-kill" : "kill";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{kDescription, "flowgrep"};
  app.set_version_flag("-V,--version", "flowgrep (flowkit) 0.1.0");
  app.get_formatter()->column_width(34);

  std::vector<std::string> expressions;
  std::vector<std::string> pattern_files;
  flowkit::flowgrep::PatternOptions pattern_options;
  std::string direction = "both";
  flowkit::flowgrep::EngineOptions engine;
  bool json = false;
  bool use_syslog = false;
  std::string syslog_facility = "user";
  std::string syslog_tag = "flowgrep";
  flowkit::cli::StatusOptions status;
  flowkit::cli::CaptureOptions capture;

  app.add_option("-e,--regexp", expressions, "A pattern (repeatable)")->group("Patterns");
  app.add_option("-f,--file", pattern_files,
                 "Read patterns from FILE, one per line; # starts a comment")
      ->group("Patterns");
  app.add_flag("-I,--ignore-case", pattern_options.caseless, "Match case-insensitively")
      ->group("Patterns");
  app.add_flag("--hex", pattern_options.hex, "Patterns are hex byte strings, e.g. 'de ad be ef'")
      ->group("Patterns");
  app.add_option("--direction", direction,
                 "Which side's bytes to match: client (what the client sends), server, both")
      ->check(CLI::IsMember({"client", "server", "both"}))
      ->capture_default_str()
      ->group("Patterns");
  app.add_flag("--udp", engine.udp, "Also match UDP datagrams, each on its own")->group("Patterns");

  app.add_option("-A,--context", engine.context, "Bytes of context shown around a match")
      ->capture_default_str()
      ->group("Output");
  app.add_flag("--json", json, "JSON lines: one object per match, kill and connection end")
      ->group("Output");
  app.add_flag("--all-ends", engine.log_every_end,
               "Also log the end of connections that did not match (default with --json)")
      ->group("Output");
  app.add_option("-w,--write", engine.pcap_path,
                 "Write every packet of each matching connection to this pcap file")
      ->group("Output");
  app.add_option("--pcap-buffer", engine.pcap_buffer,
                 "Bytes of packets held per connection until it matches (more are not saved, "
                 "and the end event says how many)")
      ->capture_default_str()
      ->group("Output");
  app.add_option("--dump-dir", engine.dump_dir,
                 "Write the reassembled bytes of each matching connection here, one file per "
                 "direction")
      ->group("Output");
  app.add_option("--dump-buffer", engine.dump_buffer,
                 "Stream bytes held per direction until the connection matches")
      ->capture_default_str()
      ->group("Output");
  app.add_flag("--syslog", use_syslog,
               "Also send each match and each kill to syslog, one audit line each (time, "
               "endpoints, pattern, action)")
      ->group("Output");
  app.add_option("--syslog-facility", syslog_facility,
                 "Syslog facility: user, daemon, local0 ... local7")
      ->check(CLI::IsMember({"user", "daemon", "local0", "local1", "local2", "local3", "local4",
                             "local5", "local6", "local7"}))
      ->capture_default_str()
      ->group("Output");
  app.add_option("--syslog-tag", syslog_tag, "Syslog tag (program name) of the audit lines")
      ->capture_default_str()
      ->group("Output");
  status.add_to(app);

  app.add_flag("--kill", engine.kill,
               "Tear matching connections down with forged RSTs to both ends (live capture "
               "only; with -r, print what would be sent). Live packets are then read within "
               "a millisecond of arriving (--block-timeout 1 unless given)")
      ->group("Actions");
  app.add_option("--kill-rounds", engine.kill_rounds,
                 "RST rounds per connection: the first, then one per packet an end still sends")
      ->capture_default_str()
      ->check(CLI::Range(1, 100))
      ->group("Actions");
  capture.add_to(app);

  try {
    app.parse(argc, argv);
    // A kill races the connection: read what arrives within a millisecond, not ten.
    if (engine.kill && app.count("--block-timeout") == 0) capture.block_timeout_ms = 1;
  } catch (const CLI::ParseError& e) {
    return flowkit::cli::exit_for_parse_error(app, e);
  }
  engine.sides = direction == "client"   ? flowkit::flowgrep::Sides::Client
                 : direction == "server" ? flowkit::flowgrep::Sides::Server
                                         : flowkit::flowgrep::Sides::Both;
  if (json) engine.log_every_end = true;

  try {
    std::vector<flowkit::flowgrep::Pattern> patterns;
    for (std::size_t i = 0; i < expressions.size(); ++i) {
      patterns.push_back(
          flowkit::flowgrep::command_line_pattern(expressions[i], i + 1, pattern_options));
    }
    for (const auto& file : pattern_files) {
      auto loaded = flowkit::flowgrep::load_pattern_file(file, pattern_options);
      patterns.insert(patterns.end(), loaded.begin(), loaded.end());
    }
    const flowkit::flowgrep::CompiledPatterns compiled(std::move(patterns), pattern_options);

    const auto config = capture.config();
    const auto user = capture.run_as_user();
    std::unique_ptr<flowkit::flowgrep::RstInjector> injector;
    std::optional<flowkit::flowgrep::PcapLog> pcap;
    std::optional<flowkit::cli::StatsJsonFile> stats_file;
    std::unique_ptr<flowkit::flowgrep::SyslogSink> audit;
    auto source = capture.open_source([&](const flowkit::PacketSource& opened) {
      // Everything that needs root, and every output, before -Z drops privileges.
      engine.dry_run = !opened.live();
      if (engine.kill && !engine.dry_run) injector = flowkit::flowgrep::make_libnet_injector();
      if (!engine.pcap_path.empty()) pcap.emplace(engine.pcap_path);
      if (!engine.dump_dir.empty()) {
        const bool created = flowkit::flowgrep::prepare_dump_dir(engine.dump_dir);
        if (created && user) {
          flowkit::flowgrep::give_dump_dir_to(engine.dump_dir, user->uid, user->gid);
        }
      }
      stats_file.emplace(status.stats_json);
      if (use_syslog) {
        audit = std::make_unique<flowkit::flowgrep::SyslogSink>(
            syslog_tag, *flowkit::flowgrep::syslog_facility(syslog_facility));
      }
    });
    if (user && !engine.dump_dir.empty() && ::access(engine.dump_dir.c_str(), W_OK | X_OK) != 0) {
      throw flowkit::CaptureError(fmt::format(
          "--dump-dir {}: user {} cannot create files there ({}); stream files are created "
          "after -Z drops privileges",
          engine.dump_dir, user->name, std::strerror(errno)));
    }

    // One engine per reassembly thread; they share the outputs, which are synchronised.
    flowkit::flowgrep::Report report(stdout, json, engine.log_every_end);
    if (audit) report.audit_to(audit.get(), match_action(engine));
    std::vector<std::unique_ptr<flowkit::flowgrep::Engine>> engines;
    std::vector<flowkit::Handler*> handlers;
    for (std::size_t i = 0; i < capture.threads; ++i) {
      engines.push_back(std::make_unique<flowkit::flowgrep::Engine>(
          compiled, engine, report, pcap ? &*pcap : nullptr, injector.get()));
      handlers.push_back(engines.back().get());
    }
    flowkit::cli::stop_on_signals(source);
    const auto progress = status.make_progress(source, true);
    const auto stats = flowkit::cli::run(source, config, handlers, progress.get());
    if (pcap) pcap->close();

    flowkit::flowgrep::EngineCounters c;
    for (const auto& e : engines) c += e->counters();
    if (!status.quiet) {
      flowkit::cli::print_stats(stderr, stats, source);
      fmt::print(stderr, "{} matches in {} connections{}, {} killed ({} RSTs sent{})\n", c.matches,
                 c.matched_connections,
                 engine.udp ? fmt::format(" and {} UDP datagrams", c.udp_matches) : "", c.kills,
                 c.rsts_sent,
                 c.inject_errors > 0 ? fmt::format(", {} failed", c.inject_errors) : "");
    }
    if (stats_file->enabled()) {
      auto j = flowkit::cli::stats_to_json("flowgrep", stats, source);
      j["flowgrep"] = {
          {"matches", c.matches},         {"matched_connections", c.matched_connections},
          {"udp_matches", c.udp_matches}, {"kills", c.kills},
          {"rsts_sent", c.rsts_sent},     {"inject_errors", c.inject_errors}};
      stats_file->write(j);
    }
    // Like grep: results that could not be written are an error (a reader that went away is
    // not: flowgrep ... | head).
    const int write_error = std::fflush(stdout) != 0 ? errno : report.write_error();
    if (write_error != 0 && write_error != EPIPE) {
      fmt::print(stderr, "flowgrep: cannot write standard output: {}\n",
                 std::strerror(write_error));
      return kExitError;
    }
    return c.matches > 0 ? kExitMatched : kExitNoMatch;
  } catch (const std::exception& e) {
    fmt::print(stderr, "flowgrep: {}\n", e.what());
    return kExitError;
  }
}
