// flowgrep: grep for reassembled TCP streams. Matches regular expressions against whole
// connections (a match split across packets, reordered or retransmitted still counts), then
// logs the connection (text, JSON lines, pcap, stream files) or kills it with forged RSTs.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <optional>

#include "engine.h"
#include "flowkit/cli/capture_options.h"

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
    "Exit status: 0 something matched, 1 nothing matched, 2 error.\n\n"
    "Examples:\n"
    "  flowgrep -e 'pass(word)?=' -r capture.pcap\n"
    "  flowgrep -f rules.txt --json -w matches.pcap -r /var/captures/ 'tcp port 80'\n"
    "  flowgrep -e '\\x90{32}' --direction client --kill -i eth0\n";

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
  bool quiet = false;
  flowkit::cli::CaptureOptions capture;

  app.add_option("-e,--regexp", expressions, "A pattern (repeatable)")->group("Patterns");
  app.add_option("-f,--file", pattern_files, "Read patterns from FILE, one per line; # starts a comment")
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
  app.add_flag("-q,--quiet", quiet, "No statistics on stderr at the end")->group("Output");

  app.add_flag("--kill", engine.kill,
               "Tear matching connections down with forged RSTs to both ends (live capture "
               "only; with -r, print what would be sent)")
      ->group("Actions");
  app.add_option("--kill-rounds", engine.kill_rounds,
                 "RST rounds per connection: the first, then one per packet an end still sends")
      ->capture_default_str()
      ->check(CLI::Range(1, 100))
      ->group("Actions");
  capture.add_to(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : kExitError;
  }
  engine.sides = direction == "client"   ? flowkit::flowgrep::Sides::Client
                 : direction == "server" ? flowkit::flowgrep::Sides::Server
                                         : flowkit::flowgrep::Sides::Both;
  if (json) engine.log_every_end = true;

  try {
    std::vector<flowkit::flowgrep::Pattern> patterns;
    for (std::size_t i = 0; i < expressions.size(); ++i) {
      patterns.push_back(flowkit::flowgrep::command_line_pattern(expressions[i], i + 1, pattern_options));
    }
    for (const auto& file : pattern_files) {
      auto loaded = flowkit::flowgrep::load_pattern_file(file, pattern_options);
      patterns.insert(patterns.end(), loaded.begin(), loaded.end());
    }
    const flowkit::flowgrep::CompiledPatterns compiled(std::move(patterns), pattern_options);

    capture.split_filter_from_files();
    const auto source_options = capture.source_options();
    auto config = capture.config();
    auto source = flowkit::PacketSource::open(source_options);
    engine.dry_run = !source.live();
    std::unique_ptr<flowkit::flowgrep::RstInjector> injector;
    if (engine.kill && !engine.dry_run) injector = flowkit::flowgrep::make_libnet_injector();
    std::optional<flowkit::flowgrep::PcapLog> pcap;
    if (!engine.pcap_path.empty()) pcap.emplace(engine.pcap_path);

    // One engine per reassembly thread; they share the outputs, which are synchronised.
    flowkit::flowgrep::Report report(stdout, json, engine.log_every_end);
    std::vector<std::unique_ptr<flowkit::flowgrep::Engine>> engines;
    std::vector<flowkit::Handler*> handlers;
    for (std::size_t i = 0; i < capture.threads; ++i) {
      engines.push_back(std::make_unique<flowkit::flowgrep::Engine>(
          compiled, engine, report, pcap ? &*pcap : nullptr, injector.get()));
      handlers.push_back(engines.back().get());
    }
    flowkit::cli::stop_on_signals(source);
    const auto stats = flowkit::cli::run(source, config, handlers);
    if (pcap) pcap->close();

    flowkit::flowgrep::EngineCounters c;
    for (const auto& e : engines) c += e->counters();
    if (!quiet) {
      flowkit::cli::print_stats(stderr, stats, source);
      fmt::print(stderr, "{} matches in {} connections{}, {} killed ({} RSTs sent{})\n", c.matches,
                 c.matched_connections,
                 engine.udp ? fmt::format(" and {} UDP datagrams", c.udp_matches) : "", c.kills,
                 c.rsts_sent,
                 c.inject_errors > 0 ? fmt::format(", {} failed", c.inject_errors) : "");
    }
    return c.matches > 0 ? kExitMatched : kExitNoMatch;
  } catch (const std::exception& e) {
    fmt::print(stderr, "flowgrep: {}\n", e.what());
    return kExitError;
  }
}
