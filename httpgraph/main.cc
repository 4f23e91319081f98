// httpgraph: the browsing graph (Graphviz dot) or an httpry-style request log of the HTTP
// traffic in capture files or on a live interface. Option parsing and wiring only; the work is
// done by the flowkit_httpgraph library.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "flowkit/cli/capture_options.h"
#include "flowkit/cli/stats_json.h"
#include "flowkit/cli/status_options.h"
#include "flowkit/httpgraph/browse_graph.h"
#include "flowkit/httpgraph/dot_writer.h"
#include "flowkit/httpgraph/graphviz.h"
#include "flowkit/httpgraph/http_collector.h"
#include "flowkit/httpgraph/log_fields.h"
#include "flowkit/httpgraph/request_log.h"
#include "flowkit/output_file.h"
#include "flowkit/packet_source.h"
#include "flowkit/reassembler.h"

namespace {

using namespace flowkit::httpgraph;

constexpr int kExitError = 2;

struct Options {
  std::string output;
  bool keep_query = false;
  bool hosts = false;
  std::string client;
  std::size_t hub_threshold = DotOptions{}.hub_threshold;
  std::string render;
  std::string layout;
  bool log = false;
  bool json = false;
  std::string fields;
  flowkit::cli::StatusOptions status;
};

/// A usage mistake, reported like CLI11's own errors.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Where text output goes: standard output or a file created for it (never through a
/// symlink).
class Output {
 public:
  explicit Output(const std::string& path) {
    if (path.empty() || path == "-") {
      stream_ = stdout;
      return;
    }
    owned_ = flowkit::open_output_file(path);
    stream_ = owned_.get();
  }

  void write(std::string_view text) {
    if (failed_) return;
    try {
      fmt::print(stream_, "{}", text);
    } catch (const std::system_error& e) {
      failed_ = true;
      error_ = e.code().value();
    }
  }
  void flush() {
    if (!failed_ && std::fflush(stream_) != 0) {
      failed_ = true;
      error_ = errno;
    }
  }
  [[nodiscard]] bool failed() const noexcept { return failed_; }
  /// Flushes and closes; throws when anything could not be written.
  void close(const std::string& name) {
    flush();
    if (owned_ && std::fclose(owned_.release()) != 0 && !failed_) {
      failed_ = true;
      error_ = errno;
    }
    // A reader that went away (httpgraph --log | head) is not an error worth a message.
    if (failed_ && error_ != EPIPE) {
      throw std::runtime_error(fmt::format("cannot write {}: {}", name, std::strerror(error_)));
    }
  }

 private:
  flowkit::OutputFile owned_;
  std::FILE* stream_ = nullptr;
  bool failed_ = false;
  int error_ = 0;
};

std::string help_footer() {
  std::string fields;
  for (const auto& f : builtin_fields()) {
    fields += fmt::format("  {:<14} {}\n", f.name, f.description);
  }
  return fmt::format(
      "\nLog fields (-F, comma separated; any other name is a request header, e.g. cookie):\n"
      "{}"
      "\nExamples:\n"
      "  httpgraph -r capture.pcap -o browsing.dot\n"
      "  httpgraph -r capture.pcap --render svg -o browsing.svg\n"
      "  httpgraph -r capture.pcap --hosts --render png --layout sfdp -o hosts.png\n"
      "  httpgraph -r capture.pcap --client 192.168.1.101 --keep-query -o one.dot\n"
      "  httpgraph -r capture.pcap --log -F timestamp,source-ip,host,request-uri,status-code\n"
      "  httpgraph -r capture.pcap --midstream -- 'tcp port 80 or tcp port 8080'\n"
      "  httpgraph -i eth0 --json 'tcp port 80'\n"
      "\nAfter -r FILE..., the words that are not files are the BPF filter.\n"
      "Captures that start in the middle of connections need --midstream.\n"
      "\nStandard error: a progress line while files are read on a terminal that the graph or\n"
      "log is not written to (--progress forces it), then the run statistics (packets, bytes,\n"
      "connections, drops by reason, requests, graph size); --quiet prints neither.\n"
      "--stats-json FILE writes the statistics as one JSON object. -o and --stats-json files\n"
      "are never written through a symlink, and are opened before -Z drops privileges.\n"
      "\nExit status:\n"
      "  0  the capture was read to its end (or until Ctrl-C/SIGTERM) and the output written\n"
      "  2  error: bad option, unreadable capture, unknown interface or missing privileges,\n"
      "     bad filter, unknown -Z user, Graphviz missing or failing, output that cannot be\n"
      "     created or written (e.g. a symlink, a full disk)\n",
      fields);
}

void add_options(CLI::App& app, Options& o) {
  app.add_option("-o,--output", o.output,
                 "Write the graph (or log) to FILE instead of standard output; with --render, "
                 "the rendered picture")
      ->type_name("FILE")
      ->group("Output");
  app.add_option("--render", o.render,
                 "Render the graph with Graphviz into -o FILE in this format: svg, pdf or png")
      ->type_name("FORMAT")
      ->check(CLI::IsMember({"svg", "pdf", "png"}))
      ->group("Output");
  app.add_option("--layout", o.layout,
                 "Graphviz layout engine: dot (default, layered), neato or sfdp (large graphs); "
                 "without --render it is written into the dot file")
      ->type_name("ENGINE")
      ->check(CLI::IsMember({"dot", "neato", "sfdp"}))
      ->group("Output");
  app.add_flag("--log", o.log,
               "Write an httpry-style log instead of the graph: one tab-separated line per "
               "request with its response's status")
      ->group("Output");
  app.add_flag("--json", o.json, "Write the log as JSON, one object per request and line")
      ->group("Output");
  app.add_option("-F,--fields", o.fields,
                 "Log fields to write, in order (implies --log); see the list below")
      ->type_name("LIST")
      ->group("Output");
  o.status.add_to(app);

  app.add_flag("--keep-query", o.keep_query,
               "Keep query strings in URLs, so /search?q=a and /search?q=b are distinct nodes")
      ->group("Graph");
  app.add_flag("--hosts", o.hosts,
               "One node per host instead of per URL, edges weighted by request count")
      ->group("Graph");
  app.add_option("--client", o.client,
                 "Only requests from this client address (by default every client is drawn as "
                 "its own cluster)")
      ->type_name("IP")
      ->group("Graph");
  app.add_option("--hub-threshold", o.hub_threshold,
                 "Highlight pages referred to by at least this many other pages")
      ->capture_default_str()
      ->check(CLI::PositiveNumber)
      ->group("Graph");
}

int run(flowkit::cli::CaptureOptions capture, Options o) {
  if (o.json || !o.fields.empty()) o.log = true;
  if (!o.render.empty() && o.log) {
    throw UsageError("--render draws the graph; it cannot be used with --log or --json");
  }
  if (!o.render.empty() && (o.output.empty() || o.output == "-")) {
    throw UsageError("--render needs the file to write: -o FILE");
  }
  if (!o.render.empty() && !program_in_path(RenderOptions{}.program)) {
    throw RenderError(graphviz_missing(RenderOptions{}.program));
  }
  std::optional<flowkit::IpAddress> client;
  if (!o.client.empty()) {
    client = flowkit::IpAddress::parse(o.client);
    if (!client) throw UsageError(fmt::format("--client: '{}' is not an IP address", o.client));
  }
  std::vector<LogField> fields;
  if (o.log) {
    try {
      fields = !o.fields.empty() ? parse_fields(o.fields)
               : o.json          ? all_builtin_fields()
                                 : default_log_fields();
    } catch (const std::invalid_argument& e) {
      throw UsageError(fmt::format("-F: {}", e.what()));
    }
  }
  const auto config = capture.config();
  // Render mode hands the dot text to Graphviz; every other mode writes to -o or stdout. Both
  // are opened before -Z drops privileges.
  std::optional<Output> out;
  flowkit::OutputFd picture;
  std::optional<flowkit::cli::StatsJsonFile> stats_file;
  auto source = capture.open_source([&](const flowkit::PacketSource&) {
    if (o.render.empty()) {
      out.emplace(o.output);
    } else {
      picture = flowkit::open_output_fd(o.output);
    }
    stats_file.emplace(o.status.stats_json);
  });
  const std::string out_name = o.output.empty() ? "standard output" : o.output;

  const RequestLog log(o.json ? RequestLog::Format::Json : RequestLog::Format::Text, fields);
  GraphOptions graph_options;
  graph_options.keep_query = o.keep_query;
  graph_options.hosts = o.hosts;
  graph_options.client = client;
  BrowseGraph graph(graph_options);

  if (o.log) out->write(log.header());
  const bool live = source.live();
  CollectorOptions collector_options;
  collector_options.capture_headers = header_fields(fields);
  // With --threads, one collector per reassembly thread; the graph and the log are shared.
  std::mutex sink_mutex;
  const HttpCollector::Sink sink = [&](const Transaction& t) {
    if (client && t.flow.client != *client) return;
    std::lock_guard lock(sink_mutex);
    if (!o.log) {
      graph.add(t);
      return;
    }
    out->write(log.line(t));
    if (live) out->flush();
    if (out->failed()) source.stop();  // e.g. the reader of a pipe went away
  };
  std::vector<std::unique_ptr<HttpCollector>> collectors;
  std::vector<flowkit::Handler*> handlers;
  for (std::size_t i = 0; i < capture.threads; ++i) {
    collectors.push_back(std::make_unique<HttpCollector>(collector_options, sink));
    handlers.push_back(collectors.back().get());
  }
  flowkit::cli::stop_on_signals(source);
  const bool results_on_stdout = o.render.empty() && (o.output.empty() || o.output == "-");
  const auto progress = o.status.make_progress(source, results_on_stdout);
  const auto stats = flowkit::cli::run(source, config, handlers, progress.get());
  CollectorStats s;
  for (const auto& c : collectors) s += c->stats();

  if (!o.log) {
    DotOptions dot_options;
    dot_options.hub_threshold = o.hub_threshold;
    if (o.render.empty()) dot_options.layout = o.layout;
    const std::string dot = write_dot(graph, dot_options);
    if (o.render.empty()) {
      out->write(dot);
    } else {
      RenderOptions render_options;
      render_options.format = o.render;
      render_options.layout = o.layout.empty() ? "dot" : o.layout;
      render_options.output = o.output;
      render_options.output_fd = picture.get();
      render(dot, render_options);
    }
  }
  if (out) out->close(out_name);

  if (!o.status.quiet) {
    flowkit::cli::print_stats(stderr, stats, source);
    fmt::print(stderr,
               "{} HTTP requests ({} with a response) in {} connections, {} responses unmatched, "
               "{} resyncs, {} oversized heads, {} tunnels or upgrades\n",
               s.requests, s.answered, s.http_connections, s.unmatched_responses, s.resyncs,
               s.oversized_heads, s.switched);
    if (!o.log) {
      fmt::print(stderr, "graph: {} clients, {} nodes, {} edges", graph.client_count(),
                 graph.node_count(), graph.edge_count());
      if (graph.over_limit() > 0) {
        fmt::print(stderr, " ({} requests left out: node limit reached)", graph.over_limit());
      }
      fmt::print(stderr, "\n");
    }
  }
  if (stats_file->enabled()) {
    auto j = flowkit::cli::stats_to_json("httpgraph", stats, source);
    j["httpgraph"] = {{"requests", s.requests},
                      {"answered", s.answered},
                      {"http_connections", s.http_connections},
                      {"unmatched_responses", s.unmatched_responses},
                      {"resyncs", s.resyncs},
                      {"oversized_heads", s.oversized_heads},
                      {"tunnels", s.switched}};
    if (!o.log) {
      j["httpgraph"]["graph"] = {{"clients", graph.client_count()},
                                 {"nodes", graph.node_count()},
                                 {"edges", graph.edge_count()},
                                 {"left_out", graph.over_limit()}};
    }
    stats_file->write(j);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app(
      "httpgraph: the browsing graph of the HTTP traffic in captures or on a live interface. "
      "Every HTTP/1.x request is found in the reassembled TCP streams (any port: HTTP is "
      "recognised by its request line) and paired with its response; each becomes an edge from "
      "the page its Referer names to the page requested, drawn with Graphviz (one cluster per "
      "client). --log writes one line per request instead.",
      "httpgraph");
  flowkit::cli::CaptureOptions capture;
  Options options;
  capture.add_to(app);
  add_options(app, options);
  app.set_version_flag("--version", fmt::format("httpgraph (flowkit) {}", FLOWKIT_VERSION));
  app.footer(help_footer());
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return flowkit::cli::exit_for_parse_error(app, e);
  }
  try {
    return run(capture, options);
  } catch (const flowkit::CaptureError& e) {
    fmt::print(stderr, "httpgraph: {}\n", e.what());
  } catch (const RenderError& e) {
    fmt::print(stderr, "httpgraph: {}\n", e.what());
  } catch (const UsageError& e) {
    fmt::print(stderr, "httpgraph: {} (see --help)\n", e.what());
  } catch (const CLI::Error& e) {
    fmt::print(stderr, "httpgraph: {}\n", e.what());
  } catch (const std::exception& e) {
    fmt::print(stderr, "httpgraph: {}\n", e.what());
  }
  return kExitError;
}
