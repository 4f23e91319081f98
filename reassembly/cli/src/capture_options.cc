#include "flowkit/cli/capture_options.h"

#include <fmt/format.h>

#include <csignal>
#include <filesystem>
#include <numeric>

#include "flowkit/parallel_reassembler.h"
#include "flowkit/sharded_reassembler.h"

namespace flowkit::cli {

namespace {

std::atomic<PacketSource*> g_watched{nullptr};
std::atomic<bool> g_interrupted{false};

extern "C" void on_stop_signal(int) {
  g_interrupted.store(true);
  if (PacketSource* source = g_watched.load()) source->stop();
}

}  // namespace

void CaptureOptions::add_to(CLI::App& app, bool bpf_positional) {
  app.add_option("-r,--read", read,
                 "Read packets from capture files (pcap or pcapng), directories of rotated "
                 "captures (merged in timestamp order), or - for standard input")
      ->type_name("FILE|DIR")
      ->group("Input");
  app.add_option("-i,--interface", interface, "Capture live from this interface")
      ->type_name("IFACE")
      ->group("Input");
  app.add_option("-s,--snaplen", snaplen, "Live capture: bytes to capture per packet")
      ->check(CLI::Range(64, 262144))
      ->capture_default_str()
      ->group("Input");
  app.add_flag("-p,--no-promiscuous-mode", no_promiscuous,
               "Live capture: do not put the interface into promiscuous mode")
      ->group("Input");
  app.add_option("-B,--buffer-size", buffer_size,
                 "Live capture: kernel buffer size in bytes, per capture socket (0: libpcap's "
                 "2 MiB). Packets are packed into it, about 40,000 full-size frames in the "
                 "default; with --immediate-mode each takes a slot of the largest frame's size "
                 "(64-128 KiB where segmentation offloads are on), 512 in the default")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str()
      ->group("Input");
  app.add_option("--block-timeout", block_timeout_ms,
                 "Live capture: the kernel hands packets over in blocks, each when it is full "
                 "or this many milliseconds after it was opened, so on a quiet link a packet "
                 "waits at most this long")
      ->type_name("MS")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str()
      ->group("Input");
  app.add_flag("--immediate-mode", immediate,
               "Live capture: hand each packet over the moment it arrives, not in blocks: no "
               "wait, but every packet costs a wake-up and a ring slot of the largest frame's "
               "size, so a busy link takes about twice the CPU and overflows the ring sooner")
      ->group("Input");
  if (bpf_positional) {
    app.add_option("filter", filter_words,
                   "BPF filter expression (tcpdump syntax), e.g. 'tcp port 80'")
        ->type_name("EXPRESSION")
        ->group("Input");
  }
  app.add_flag("--midstream", midstream, "Also follow connections whose handshake was not captured")
      ->group("Reassembly");
  app.add_option("--overlap-policy", policy,
                 "How overlapping segments and fragments resolve, as the target OS would: "
                 "first, last, bsd, linux, windows, solaris")
      ->capture_default_str()
      ->check([](const std::string& v) {
        return parse_overlap_policy(v) ? std::string() : "unknown overlap policy '" + v + "'";
      })
      ->group("Reassembly");
  app.add_flag("--verify-checksums", verify_checksums,
               "Drop packets with bad IP/TCP/UDP checksums (off: offloading makes them common)")
      ->group("Reassembly");
  app.add_option("--max-connections", max_connections,
                 "Connections tracked at once; beyond it the least recently used is evicted")
      ->capture_default_str()
      ->check(CLI::PositiveNumber)
      ->group("Reassembly");
  app.add_option("--memcap", memcap_mb, "Megabytes of out-of-order data held across all streams")
      ->capture_default_str()
      ->check(CLI::PositiveNumber)
      ->group("Reassembly");
  app.add_option("-t,--threads", threads,
                 "Reassembly threads: packets are spread over them by a symmetric flow hash, so "
                 "both directions of a connection stay on one thread")
      ->capture_default_str()
      ->check(CLI::Range(1, 256))
      ->group("Reassembly");
  app.add_flag("--fanout", fanout,
               "With -i and --threads N: N capture sockets in an AF_PACKET fanout group, the "
               "kernel spreading packets over them by a symmetric flow hash (IPv4 fragments "
               "reassembled by the kernel first), each read by its own thread; without it one "
               "thread reads and hands packets to the others")
      ->group("Input");
  app.add_option("-Z,--relinquish-privileges", run_as,
                 "Once the input (and the outputs) are open, switch to USER (its uid, gid and "
                 "groups) for the rest of the run, as tcpdump -Z does; needs root")
      ->type_name("USER")
      ->group("Input");
  app.add_option("--idle-timeout", idle_timeout_s,
                 "Seconds of silence before a connection times out")
      ->capture_default_str()
      ->check(CLI::PositiveNumber)
      ->group("Reassembly");
}

void CaptureOptions::split_filter_from_files() {
  namespace fs = std::filesystem;
  for (std::size_t i = 0; i < read.size(); ++i) {
    const std::string& word = read[i];
    std::error_code ec;
    if (word == "-" || fs::exists(word, ec)) continue;
    const bool looks_like_path = word.find('/') != std::string::npos || word.ends_with(".pcap") ||
                                 word.ends_with(".pcapng") || word.ends_with(".cap");
    if (looks_like_path || i == 0) {
      throw CaptureError(fmt::format("{}: no such file or directory", word));
    }
    filter_words.insert(filter_words.begin(), read.begin() + static_cast<std::ptrdiff_t>(i),
                        read.end());
    read.resize(i);
    return;
  }
}

std::string CaptureOptions::filter() const {
  std::string out;
  for (const auto& word : filter_words) {
    if (!out.empty()) out += ' ';
    out += word;
  }
  return out;
}

SourceOptions CaptureOptions::source_options() const {
  if (read.empty() && interface.empty()) {
    throw CaptureError("no input: give -r FILE (or -r - for standard input) or -i INTERFACE");
  }
  if (!read.empty() && !interface.empty()) {
    throw CaptureError("give either -r or -i, not both");
  }
  SourceOptions s;
  s.files = read;
  s.interface = interface;
  s.snaplen = snaplen;
  s.promiscuous = !no_promiscuous;
  s.buffer_size = buffer_size;
  s.timeout_ms = block_timeout_ms;
  s.immediate = immediate;
  s.filter = filter();
  if (fanout) {
    if (interface.empty() || threads < 2) {
      throw CaptureError("--fanout needs -i INTERFACE and --threads N with N of 2 or more");
    }
    s.fanout = threads;
  }
  return s;
}

std::optional<UserIds> CaptureOptions::run_as_user() const {
  if (run_as.empty()) return std::nullopt;
  return lookup_user(run_as);
}

PacketSource CaptureOptions::open_source(
    const std::function<void(const PacketSource&)>& before_drop) {
  split_filter_from_files();
  const auto user = run_as_user();  // an unknown user fails before anything is opened
  auto source = PacketSource::open(source_options());
  if (before_drop) before_drop(source);
  // The input is open: a live interface needed root (or CAP_NET_RAW) for that, nothing later
  // does. Reading files as well: decoding hostile packets is what should not run as root.
  if (user) drop_privileges(*user);
  return source;
}

Config CaptureOptions::config(Config base) const {
  const auto parsed = parse_overlap_policy(policy);
  if (!parsed) throw CLI::ValidationError("--overlap-policy", "unknown policy " + policy);
  base.tcp.policy = *parsed;
  base.defrag.policy = *parsed;
  base.tcp.midstream = midstream;
  base.verify_ip_checksum = verify_checksums;
  base.verify_l4_checksum = verify_checksums;
  base.tcp.max_connections = max_connections;
  base.tcp.memcap = memcap_mb << 20;
  base.tcp.idle_timeout =
      std::chrono::duration_cast<Duration>(std::chrono::duration<double>(idle_timeout_s));
  return base;
}

int exit_for_parse_error(const CLI::App& app, const CLI::ParseError& error) {
  if (error.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(error);
  fmt::print(stderr, "{}: {} (see --help)\n", app.get_name(), error.what());
  return 2;
}

void stop_on_signals(PacketSource& source) {
  g_watched.store(&source);
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

bool interrupted() noexcept {
  return g_interrupted.load();
}

namespace {

// Reads every frame into `process`, keeping `progress` (if any) up to date from this thread.
template <typename Process, typename Open>
void feed(PacketSource& source, Progress* progress, Process&& process, Open&& open) {
  std::uint64_t packets = 0;
  const auto snapshot = [&] { return ProgressSnapshot{source.progress(), packets, open()}; };
  // In place (read_ready): a live capture's frames are not copied out of the ring first.
  while (source.read_ready([&](const RawFrame& frame) {
    process(frame);
    if (++packets % Progress::kCheckEvery == 0 && progress != nullptr) {
      progress->update(snapshot());
    }
  })) {
  }
  if (progress != nullptr) progress->finish(snapshot());
}

}  // namespace

Stats run(PacketSource& source, const Config& config, std::span<Handler* const> handlers,
          Progress* progress) {
  const auto handler_for = [&](std::size_t i) -> Handler& { return *handlers[i]; };
  // A live fanout group: each thread reads a socket of its own, the kernel having split the
  // packets by flow already. (A member left unread would lose its share: run() refuses a
  // handler count other than one per socket.)
  if (!source.fanout_members().empty()) {
    ShardedReassembler sharded(config, handlers.size(), handler_for,
                               ShardedReassembler::Split::Upstream);
    sharded.run(source, source.fanout_members());
    return sharded.stats();
  }
  // One pcap or pcapng file: the threads share finding its records and each reads only its own
  // flows' frames (measured faster than one thread dispatching to the others). One thread
  // reads it that way too: the list of a chunk's records lets it ask for each frame's
  // connection a few frames ahead (measured 10-15 % faster than the plain reader).
  if (!source.live()) {
    ShardedReassembler sharded(config, handlers.size(), handler_for);
    std::uint64_t calls = 0;
    const auto snapshot = [&] {
      return ProgressSnapshot{source.progress(), sharded.frames_read(), sharded.open_connections()};
    };
    const bool indexed = sharded.run_indexed(source, [&] {
      if (++calls % Progress::kCheckEvery == 0 && progress != nullptr) progress->update(snapshot());
    });
    if (indexed) {
      if (progress != nullptr) progress->finish(snapshot());
      return sharded.stats();
    }
  }
  if (handlers.size() <= 1) {
    Reassembler reassembler(config, *handlers.front());
    feed(
        source, progress, [&](const RawFrame& frame) { reassembler.process(frame); },
        [&] { return reassembler.stats().open_connections(); });
    reassembler.finish();
    return reassembler.stats();
  }
  ParallelReassembler parallel(config, handlers.size(), handler_for);
  feed(
      source, progress, [&](const RawFrame& frame) { parallel.process(frame); },
      [&] { return parallel.open_connections(); });
  parallel.finish();
  return parallel.stats();
}

void print_stats(std::FILE* out, const Stats& s, const PacketSource& source) {
  std::uint64_t dropped = 0;
  for (auto d : s.drops) dropped += d;
  fmt::print(out,
             "{} packets ({} bytes), {} TCP connections ({} closed, {} reset, {} timed out, "
             "{} evicted), {} gaps, {} dropped",
             s.packets, s.bytes, s.connections_opened, s.connections_closed, s.connections_reset,
             s.connections_timed_out, s.connections_evicted, s.gaps, dropped);
  if (source.live()) fmt::print(out, ", {} dropped by the kernel", source.kernel_drops());
  fmt::print(out, "\n");
  for (std::size_t i = 0; i < s.drops.size(); ++i) {
    if (s.drops[i] == 0) continue;
    const auto reason = static_cast<DropReason>(i);
    if (reason == DropReason::NotIp) continue;  // ARP and friends are no news
    fmt::print(out, "  dropped {}: {}\n", to_string(reason), s.drops[i]);
  }
}

}  // namespace flowkit::cli
