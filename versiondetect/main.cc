// versiondetect: a passive inventory of the server and client software talking on the network,
// from SSH, HTTP, SMTP, FTP, POP3 and IMAP banners. CLI parsing and wiring only; the detection
// lives in the flowkit_versiondetect library.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <optional>
#include <vector>

#include "flowkit/capture_file.h"
#include "flowkit/cli/capture_options.h"
#include "flowkit/cli/stats_json.h"
#include "flowkit/cli/status_options.h"
#include "flowkit/reassembler.h"
#include "flowkit/versiondetect/detector.h"
#include "flowkit/versiondetect/printer.h"

namespace {

constexpr int kExitError = 2;

constexpr const char* kDescription =
    "versiondetect: a passive inventory of the software that talks on the network. It follows "
    "TCP connections and reports the banners that name software: SSH identification strings "
    "(client and server), HTTP Server, X-Powered-By and User-Agent headers (every message of "
    "keep-alive and pipelined connections), the SMTP greeting, EHLO/HELO name and the "
    "X-Mailer/User-Agent of the first message, FTP greetings and CLNT, POP3 and IMAP "
    "greetings. Protocols are recognised by content, on any port; only the first bytes of each "
    "direction that matter are read.";

constexpr const char* kFooter = R"(Output:
  By default one line per new sighting, as the original VersionDetect printed them:
    IP PORT BANNER
  For a server: its address and port. For a client: its address and the service port it
  talked to. Examples:
    192.168.1.7 2222 SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u1
    192.168.1.101 80 Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0
  A sighting is new when no earlier one had the same host, port, role, protocol, field and
  banner; --all prints every one. Bytes outside printable ASCII are shown as \xHH and a
  backslash as \\; a banner longer than 512 bytes is cut and ends in "...".
  --json prints one object per line instead: type, ts, host, port, peer, role, protocol,
  field, software, version {major, minor, minor2, minor3, addl}, version_string, banner,
  truncated. --summary ends with an inventory table (JSON rows of type "inventory" with --json).
  Standard error: a progress line while files are read on a terminal (--progress forces it),
  then the run statistics (packets, bytes, connections, drops by reason, sightings); --quiet
  prints neither. --stats-json FILE writes the statistics as one JSON object. Output files are
  never written through a symlink, and are opened before -Z drops privileges.

Examples:
  versiondetect -r capture.pcapng
  versiondetect -r /var/captures/ --json --all
  versiondetect -i eth0 --summary tcp port 22 or tcp port 25

Exit status:
  0  the capture was read to its end (or until Ctrl-C/SIGTERM), whatever was found
  2  error: bad option, unreadable capture, unknown interface or missing privileges, bad
     filter, unknown -Z user, output that cannot be created or written (e.g. a symlink, a
     full disk))";

/// Counts the sightings on their way to the printer (from every reassembly thread).
class CountingSink final : public flowkit::versiondetect::SightingSink {
 public:
  explicit CountingSink(flowkit::versiondetect::SightingSink& next) noexcept : next_(next) {}
  void on_sighting(const flowkit::versiondetect::Sighting& s) override {
    sightings_.fetch_add(1, std::memory_order_relaxed);
    next_.on_sighting(s);
  }
  [[nodiscard]] std::uint64_t sightings() const noexcept { return sightings_.load(); }

 private:
  flowkit::versiondetect::SightingSink& next_;
  std::atomic<std::uint64_t> sightings_{0};
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{kDescription, "versiondetect"};
  app.footer(kFooter);
  app.set_version_flag("-V,--version", fmt::format("versiondetect (flowkit) {}", FLOWKIT_VERSION));

  flowkit::cli::CaptureOptions capture;
  capture.add_to(app);
  flowkit::versiondetect::PrintOptions print;
  bool summary = false;
  flowkit::cli::StatusOptions status;
  app.add_flag("--json", print.json, "Print JSON lines instead of 'IP PORT BANNER'")
      ->group("Output");
  app.add_flag("-a,--all", print.all, "Print every sighting, not only new ones")->group("Output");
  app.add_flag("--summary", summary,
               "At the end, print the inventory: software, version, role, protocol, hosts, "
               "sightings, first and last seen")
      ->group("Output");
  status.add_to(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return flowkit::cli::exit_for_parse_error(app, e);
  }

  try {
    const auto config = capture.config();
    std::optional<flowkit::cli::StatsJsonFile> stats_file;
    auto source = capture.open_source([&](const flowkit::PacketSource&) {
      stats_file.emplace(status.stats_json);  // before -Z drops privileges
    });
    print.flush_each = source.live();
    // One detector per reassembly thread (--threads); they share the printer, which locks.
    flowkit::versiondetect::Printer printer(stdout, print);
    CountingSink counter(printer);
    std::vector<std::unique_ptr<flowkit::versiondetect::Detector>> detectors;
    std::vector<flowkit::Handler*> handlers;
    for (std::size_t i = 0; i < capture.threads; ++i) {
      detectors.push_back(std::make_unique<flowkit::versiondetect::Detector>(counter));
      handlers.push_back(detectors.back().get());
    }
    flowkit::cli::stop_on_signals(source);
    const auto progress = status.make_progress(source, true);
    const auto stats = flowkit::cli::run(source, config, handlers, progress.get());
    if (summary) printer.print_summary();
    const bool written = std::fflush(stdout) == 0 && std::ferror(stdout) == 0;
    const int write_error = written ? 0 : (errno != 0 ? errno : EIO);
    if (!status.quiet) {
      flowkit::cli::print_stats(stderr, stats, source);
      fmt::print(stderr, "{} software sightings, {} printed\n", counter.sightings(),
                 printer.printed());
    }
    if (stats_file->enabled()) {
      auto j = flowkit::cli::stats_to_json("versiondetect", stats, source);
      j["versiondetect"] = {{"sightings", counter.sightings()}, {"printed", printer.printed()}};
      stats_file->write(j);
    }
    // A reader that went away (versiondetect ... | head) is not an error worth a message.
    if (!written && write_error != EPIPE) {
      fmt::print(stderr, "versiondetect: cannot write standard output: {}\n",
                 std::strerror(write_error));
      return kExitError;
    }
  } catch (const flowkit::CaptureError& e) {
    fmt::print(stderr, "versiondetect: {}\n", e.what());
    return kExitError;
  } catch (const CLI::Error& e) {
    fmt::print(stderr, "versiondetect: {}\n", e.what());
    return kExitError;
  } catch (const std::exception& e) {
    // Anything else (e.g. out of memory) still ends with one line and the error status.
    fmt::print(stderr, "versiondetect: {}\n", e.what());
    return kExitError;
  }
  return 0;
}
