// bench_make_capture: writes a large, realistic, deterministic TCP capture for the benchmarks,
// crafted with the project's own packet builder and pcap writer.
//
//   bench_make_capture --size-mb 1100 --connections 20000 --seed 1 -o big.pcap
//
// Model: a closed-loop discrete-event simulation. K connection slots are always busy: when a
// connection ends, a new one takes its slot. Each connection follows a script of messages
// (web keep-alive exchanges, small RPCs, downloads, uploads, bulk transfers) separated by think
// times; a message is sent in flights of at most one congestion window (slow start from 10 to
// 44 segments, so a flight never exceeds the 64 KiB receive window), paced at the connection's
// bottleneck rate, with the receiver ACKing every second segment (and at once when a segment
// arrives out of order). Packets of all flights are merged by timestamp, so consecutive packets
// in the file belong to different connections, as on a busy link.
//
// Damage, per data segment: lost (missing, retransmitted after a few more segments, dup-ACKs
// in between), lost from the capture only (never seen but ACKed: a real gap), swapped with the
// next segment, or duplicated (spurious retransmission a few packets later).
//
// Needles "FLOWKIT-NEEDLE-nnnnnn-END" are planted at most once per connection, either entirely
// inside one captured segment or split across two consecutive ones (never in a segment the
// capture loses). Written next to the capture: FILE.json (sizes, counts) and FILE.needles (one
// "ID inside|split" per line).
//
// Only the frames of flights in progress are held in memory; the capture streams to disk.
#include <fmt/format.h>
#include <fmt/os.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "flowkit/pcap_writer.h"
#include "packet_builder.h"

namespace {

namespace ft = flowkit::testing;
using flowkit::Duration;
using flowkit::Timestamp;
using namespace std::chrono_literals;

constexpr std::string_view kNeedlePrefix = "FLOWKIT-NEEDLE-";
constexpr std::size_t kNeedleLength = 25;         // prefix, 6 digits, "-END"
constexpr std::uint32_t kMaxFlightSegments = 44;  // 44 * 1460 < 65535: inside the window
constexpr std::uint32_t kInitialWindow = 10;      // RFC 6928 initial window
constexpr std::size_t kPoolSize = 4 << 20;

struct Options {
  double size_mb = 1100;
  std::uint32_t connections = 20000;
  std::uint64_t seed = 1;
  std::string output;
  double ipv6_share = 0.2;
  double loss = 0.002;
  double gap_share = 0.15;  // of the losses: gone from the capture only, ACKed, never resent
  double reorder = 0.01;
  double retransmit = 0.01;
  double needle_rate = 0.02;  // per connection, for each kind (inside, split)
};

/// xoshiro256**, seeded by splitmix64: the same stream on every platform (<random>'s
/// distributions are implementation-defined, and the capture must be reproducible).
class Rng {
 public:
  explicit Rng(std::uint64_t seed) {
    for (auto& word : state_) {
      seed += 0x9E3779B97F4A7C15ULL;
      std::uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
      word = z ^ (z >> 31);
    }
  }
  std::uint64_t next() noexcept {
    const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }
  /// Uniform in [0, 1).
  double uniform() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  bool chance(double p) noexcept { return uniform() < p; }
  /// Uniform integer in [lo, hi].
  std::uint64_t between(std::uint64_t lo, std::uint64_t hi) noexcept {
    return lo + static_cast<std::uint64_t>(uniform() * static_cast<double>(hi - lo + 1));
  }
  /// Log-uniform in [lo, hi]: as many small values per decade as large ones.
  std::uint64_t log_between(double lo, double hi) noexcept {
    return static_cast<std::uint64_t>(lo * std::pow(hi / lo, uniform()));
  }
  Duration exponential(Duration mean) noexcept {
    const double x = -std::log(1.0 - uniform());
    return Duration{static_cast<std::int64_t>(x * static_cast<double>(mean.count()))};
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }
  std::array<std::uint64_t, 4> state_{};
};

enum class Side : std::uint8_t { Client, Server };
enum class Kind : std::uint8_t { Web, Rpc, Download, Upload, Bulk, Short };
enum class Fate : std::uint8_t { Normal, Lost, CaptureLost, Swapped, Duplicated };
enum class NeedleKind : std::uint8_t { None, Inside, Split };
enum class Close : std::uint8_t { ClientFin, ServerFin, Reset };

constexpr std::string_view kind_name(Kind k) {
  switch (k) {
    case Kind::Web:
      return "web";
    case Kind::Rpc:
      return "rpc";
    case Kind::Download:
      return "download";
    case Kind::Upload:
      return "upload";
    case Kind::Bulk:
      return "bulk";
    case Kind::Short:
      return "short";
  }
  return "?";
}

struct Message {
  Side from = Side::Client;
  std::uint64_t size = 0;
  Duration think{};  // idle time before it starts
  bool text = true;
};

/// Body bytes: slices of two pools (text-like and random), so generation costs a memcpy.
struct ContentPools {
  std::vector<char> text;
  std::vector<char> binary;

  explicit ContentPools(Rng& rng) : text(kPoolSize), binary(kPoolSize) {
    static constexpr std::array<std::string_view, 24> kWords = {
        "the ",     "stream ",     "<div class=\"item\">",
        "</div>\n", "value",       "\"id\": ",
        "42, ",     "function(",   ") { return ",
        "; }\n",    "GET ",        "Accept-Encoding: gzip\r\n",
        "lorem ",   "ipsum ",      "dolor ",
        "sit ",     "amet, ",      "<a href=\"/index.html\">",
        "</a> ",    "{\"name\": ", "\"flowkit\"",
        "}, ",      "\r\n",        "0123456789 "};
    std::size_t at = 0;
    while (at < text.size()) {
      const auto word = kWords[rng.between(0, kWords.size() - 1)];
      const std::size_t n = std::min(word.size(), text.size() - at);
      std::copy_n(word.begin(), n, text.begin() + static_cast<std::ptrdiff_t>(at));
      at += n;
    }
    for (char& c : binary) c = static_cast<char>(rng.next() & 0xFF);
  }
};

struct Needle {
  std::uint32_t id = 0;
  NeedleKind kind = NeedleKind::None;
};

/// One TCP connection of the simulation.
struct SimConnection {
  ft::TcpSession session;
  std::uint64_t id = 0;
  Kind kind = Kind::Web;
  bool v6 = false;
  Duration rtt{};
  double rate_bps = 0;  // bottleneck: paces the segments of a flight
  std::uint16_t mss = 1448;
  std::vector<Message> script;
  std::size_t message = 0;         // index of the message in progress
  std::uint64_t message_sent = 0;  // its bytes already sent
  std::string header;              // its protocol header (the first bytes of the message)
  std::uint64_t body_base = 0;     // where its body starts in the content pool
  std::array<std::uint32_t, 2> cwnd{kInitialWindow, kInitialWindow};  // per sender
  std::array<std::uint32_t, 2> sent{0, 0};  // stream offset of each side's next new byte
  bool established = false;
  bool closed = false;
  Close close = Close::ClientFin;
  NeedleKind needle = NeedleKind::None;

  explicit SimConnection(ft::TcpSession::Options o) : session(std::move(o)) {}
};

struct Counters {
  std::uint64_t packets = 0;
  std::uint64_t frame_bytes = 0;  // captured bytes of all frames
  std::uint64_t file_bytes = 24;  // pcap file header
  std::uint64_t data_segments = 0;
  std::uint64_t payload_bytes = 0;
  std::uint64_t connections = 0;
  std::uint64_t ipv6_connections = 0;
  std::uint64_t closed = 0;
  std::uint64_t resets = 0;
  std::array<std::uint64_t, 6> by_kind{};
  std::uint64_t lost = 0;
  std::uint64_t capture_lost = 0;
  std::uint64_t swapped = 0;
  std::uint64_t duplicated = 0;
  std::uint64_t max_pending = 0;
};

struct Event {
  Timestamp at{};
  std::uint32_t slot = 0;
  friend bool operator>(const Event& a, const Event& b) {
    return a.at != b.at ? a.at > b.at : a.slot > b.slot;
  }
};

struct PendingFrame {
  Timestamp ts{};
  std::uint64_t order = 0;  // tie-break: emission order
  ft::Frame frame;
  friend bool operator>(const PendingFrame& a, const PendingFrame& b) {
    return a.ts != b.ts ? a.ts > b.ts : a.order > b.order;
  }
};

class CaptureGenerator {
 public:
  explicit CaptureGenerator(const Options& options)
      : options_(options),
        rng_(options.seed),
        pools_(rng_),
        writer_(options.output, ft::link_type_of(ft::Link::Ethernet)),
        target_bytes_(static_cast<std::uint64_t>(options.size_mb * 1e6)) {}

  void run() {
    slots_.resize(options_.connections);
    // Slots open their first connection spread over the first 200 ms, not all at once.
    for (std::uint32_t slot = 0; slot < options_.connections; ++slot) {
      schedule(slot, start_ + Duration{static_cast<std::int64_t>(rng_.uniform() * 200e6)});
    }
    while (!events_.empty() && counters_.file_bytes < target_bytes_) {
      const Event e = events_.front();
      std::pop_heap(events_.begin(), events_.end(), std::greater<>{});
      events_.pop_back();
      write_before(e.at);
      step(e.slot, e.at);
    }
    // Finish every flight already generated, so every planted needle is in the file.
    write_before(Timestamp::max());
    writer_.close();
    open_at_end_ = 0;
    for (const auto& c : slots_) {
      if (c && c->established && !c->closed) ++open_at_end_;
    }
  }

  void report(std::FILE* out) const {
    const auto& c = counters_;
    const double span = std::chrono::duration<double>(last_ts_ - start_).count();
    fmt::print(out,
               "{}: {} packets, {} frame bytes ({} file bytes), {:.1f} s of traffic\n"
               "  {} connections ({} IPv6; web {} rpc {} download {} upload {} bulk {} short {}), "
               "{} closed, {} reset, {} open at the end, {} concurrent slots\n"
               "  {} data segments ({} payload bytes): {} lost and retransmitted, {} lost from "
               "the capture only, {} swapped, {} duplicated\n"
               "  needles: {} inside one segment, {} split across two; at most {} frames "
               "buffered\n",
               options_.output, c.packets, c.frame_bytes, c.file_bytes, span, c.connections,
               c.ipv6_connections, c.by_kind[0], c.by_kind[1], c.by_kind[2], c.by_kind[3],
               c.by_kind[4], c.by_kind[5], c.closed, c.resets, open_at_end_, options_.connections,
               c.data_segments, c.payload_bytes, c.lost, c.capture_lost, c.swapped, c.duplicated,
               needles_inside_, needles_split_, c.max_pending);
  }

  void write_sidecars() const {
    const auto& c = counters_;
    const double span = std::chrono::duration<double>(last_ts_ - start_).count();
    auto json = fmt::output_file(options_.output + ".json");
    json.print(
        "{{\n  \"file\": \"{}\",\n  \"seed\": {},\n  \"packets\": {},\n  \"frame_bytes\": {},\n"
        "  \"file_bytes\": {},\n  \"span_seconds\": {:.3f},\n  \"concurrent_slots\": {},\n"
        "  \"connections\": {},\n  \"ipv6_connections\": {},\n  \"open_at_end\": {},\n"
        "  \"data_segments\": {},\n  \"payload_bytes\": {},\n  \"lost_retransmitted\": {},\n"
        "  \"lost_from_capture\": {},\n  \"swapped\": {},\n  \"duplicated\": {},\n"
        "  \"needles_inside\": {},\n  \"needles_split\": {},\n"
        "  \"needle_regex\": \"FLOWKIT-NEEDLE-[0-9]{{6}}-END\"\n}}\n",
        options_.output, options_.seed, c.packets, c.frame_bytes, c.file_bytes, span,
        options_.connections, c.connections, c.ipv6_connections, open_at_end_, c.data_segments,
        c.payload_bytes, c.lost, c.capture_lost, c.swapped, c.duplicated, needles_inside_,
        needles_split_);
    auto list = fmt::output_file(options_.output + ".needles");
    for (const Needle& n : needles_) {
      list.print("{:06} {}\n", n.id, n.kind == NeedleKind::Inside ? "inside" : "split");
    }
  }

 private:
  // --- scheduling -----------------------------------------------------------------------------

  void schedule(std::uint32_t slot, Timestamp at) {
    events_.push_back(Event{at, slot});
    std::push_heap(events_.begin(), events_.end(), std::greater<>{});
  }

  void emit(ft::Frame frame, Timestamp ts) {
    frame.ts = ts;
    pending_.push_back(PendingFrame{ts, next_order_++, std::move(frame)});
    std::push_heap(pending_.begin(), pending_.end(), std::greater<>{});
    counters_.max_pending = std::max<std::uint64_t>(counters_.max_pending, pending_.size());
  }

  /// Writes every generated frame older than `limit`, in timestamp order.
  void write_before(Timestamp limit) {
    while (!pending_.empty() && pending_.front().ts < limit) {
      std::pop_heap(pending_.begin(), pending_.end(), std::greater<>{});
      const ft::Frame& f = pending_.back().frame;
      writer_.write(f.view());
      ++counters_.packets;
      counters_.frame_bytes += f.bytes.size();
      counters_.file_bytes += 16 + f.bytes.size();
      last_ts_ = std::max(last_ts_, f.ts);
      pending_.pop_back();
    }
  }

  /// Runs the next step of the connection in `slot` (a new one if the slot is free).
  void step(std::uint32_t slot, Timestamp now) {
    auto& c = slots_[slot];
    if (!c || c->closed) {
      const bool first_generation = !c;
      c = new_connection(now);
      Timestamp next = emit_handshake(*c, now);
      // The first connections of the capture are staggered so they do not all talk at once:
      // the capture starts close to its steady state.
      if (first_generation) next += Duration{static_cast<std::int64_t>(rng_.uniform() * 2e9)};
      schedule(slot, next);
      return;
    }
    if (c->message >= c->script.size()) {
      const Timestamp done = emit_close(*c, now);
      // The slot is reused shortly after: concurrency stays at K.
      schedule(slot, done + Duration{static_cast<std::int64_t>(rng_.uniform() * 20e6)});
      return;
    }
    const Timestamp last = emit_flight(*c, now);
    Timestamp next = std::max(now + c->rtt, last + 10us);
    if (c->message < c->script.size() && c->message_sent == 0) {
      next = last + c->rtt / 2 + c->script[c->message].think;  // the peer reacts to a message
    } else if (c->message >= c->script.size()) {
      next = last + idle_before_close(*c);
    }
    schedule(slot, next);
  }

  // --- connections ----------------------------------------------------------------------------

  std::unique_ptr<SimConnection> new_connection(Timestamp now) {
    const std::uint64_t id = counters_.connections++;
    ft::TcpSession::Options o;
    const bool v6 = rng_.chance(options_.ipv6_share);
    // Client hosts and ports from the connection number: 5-tuples are never reused.
    const std::uint64_t host = id % 20011;
    const std::uint64_t server = rng_.between(0, 499);
    if (v6) {
      o.client = fmt::format("fd00:1::{:x}:{:x}", host >> 16, host & 0xFFFF);
      o.server = fmt::format("2001:db8:5::{:x}", server + 1);
    } else {
      o.client = fmt::format("10.{}.{}.{}", 1 + host / 65536, (host / 256) % 256, host % 256);
      o.server = fmt::format("172.16.{}.{}", server / 200, 1 + server % 200);
    }
    o.client_port = static_cast<std::uint16_t>(1024 + (id / 20011) % 64000);
    o.client_isn = static_cast<std::uint32_t>(rng_.next());
    o.server_isn = static_cast<std::uint32_t>(rng_.next());
    o.start = now;

    const double pick = rng_.uniform();
    Kind kind = Kind::Web;
    if (pick < 0.20) {
      kind = Kind::Short;
    } else if (pick < 0.70) {
      kind = Kind::Web;
    } else if (pick < 0.957) {
      kind = Kind::Rpc;
    } else if (pick < 0.987) {
      kind = Kind::Download;
    } else if (pick < 0.997) {
      kind = Kind::Upload;
    } else {
      kind = Kind::Bulk;
    }
    static constexpr std::array<std::uint16_t, 6> kPorts = {443, 8443, 80, 22, 873, 8080};
    o.server_port = kPorts[static_cast<std::size_t>(kind)];

    auto c = std::make_unique<SimConnection>(std::move(o));
    c->id = id;
    c->kind = kind;
    c->v6 = v6;
    static constexpr std::array<std::int64_t, 6> kRttUs = {1000, 5000, 15000, 40000, 90000, 200000};
    c->rtt = Duration{std::chrono::microseconds{kRttUs[rng_.between(0, kRttUs.size() - 1)]}};
    static constexpr std::array<double, 4> kRates = {1e9, 200e6, 50e6, 10e6};
    c->rate_bps = kRates[rng_.between(0, kRates.size() - 1)];
    if (v6) {
      c->mss = rng_.chance(0.7) ? 1440 : 1428;
    } else {
      c->mss = rng_.chance(0.7) ? 1448 : 1460;
    }
    c->script = make_script(kind);
    const double close_pick = rng_.uniform();
    c->close = close_pick < 0.5   ? Close::ClientFin
               : close_pick < 0.9 ? Close::ServerFin
                                  : Close::Reset;
    if (rng_.chance(options_.needle_rate)) {
      c->needle = NeedleKind::Inside;
    } else if (rng_.chance(options_.needle_rate / (1 - options_.needle_rate))) {
      c->needle = NeedleKind::Split;
    }
    ++counters_.by_kind[static_cast<std::size_t>(kind)];
    if (v6) ++counters_.ipv6_connections;
    start_message(*c);
    return c;
  }

  std::vector<Message> make_script(Kind kind) {
    std::vector<Message> script;
    auto exchange = [&](std::uint64_t request, std::uint64_t response, Duration think, bool text) {
      script.push_back(Message{Side::Client, request, think, true});
      script.push_back(Message{Side::Server, response, Duration{}, text});
    };
    switch (kind) {
      case Kind::Web: {
        const std::uint64_t n = 1 + std::min<std::uint64_t>(geometric(0.45), 11);
        for (std::uint64_t i = 0; i < n; ++i) {
          const double p = rng_.uniform();
          const std::uint64_t response = p < 0.45   ? rng_.log_between(300, 4000)
                                         : p < 0.80 ? rng_.log_between(4000, 32000)
                                         : p < 0.97 ? rng_.log_between(32000, 200000)
                                                    : rng_.log_between(200000, 600000);
          exchange(rng_.log_between(300, 1200), response,
                   i == 0 ? Duration{} : rng_.exponential(2s), rng_.chance(0.5));
        }
        break;
      }
      case Kind::Rpc: {
        const std::uint64_t n = rng_.between(2, 20);
        for (std::uint64_t i = 0; i < n; ++i) {
          exchange(rng_.log_between(60, 800), rng_.log_between(60, 4000),
                   i == 0 ? Duration{} : rng_.exponential(300ms), rng_.chance(0.3));
        }
        break;
      }
      case Kind::Download:
        exchange(rng_.log_between(300, 700), rng_.log_between(150000, 1500000), Duration{},
                 rng_.chance(0.2));
        break;
      case Kind::Upload:
        script.push_back(
            Message{Side::Client, rng_.log_between(200000, 2000000), Duration{}, false});
        script.push_back(Message{Side::Server, rng_.log_between(200, 600), Duration{}, true});
        break;
      case Kind::Bulk:
        exchange(rng_.log_between(100, 300), rng_.log_between(2000000, 8000000), Duration{}, false);
        break;
      case Kind::Short:  // health checks, one-shot API calls: setup and teardown dominate
        exchange(rng_.log_between(50, 400), rng_.log_between(50, 1500), Duration{}, true);
        break;
    }
    return script;
  }

  std::uint64_t geometric(double p) {
    std::uint64_t n = 0;
    while (!rng_.chance(p)) ++n;
    return n;
  }

  Duration idle_before_close(SimConnection& c) {
    return c.kind == Kind::Web || c.kind == Kind::Rpc ? rng_.exponential(1s) : c.rtt / 2;
  }

  void start_message(SimConnection& c) {
    c.message_sent = 0;
    if (c.message >= c.script.size()) return;
    const Message& m = c.script[c.message];
    c.body_base = rng_.between(0, kPoolSize - 1);
    const std::uint64_t body = m.size;
    if (c.kind == Kind::Rpc) {
      c.header = fmt::format("RPC/2 {} call={} len={}\n", m.from == Side::Client ? "REQ" : "RES",
                             c.message / 2, body);
    } else if (m.from == Side::Client) {
      c.header = m.size > 4000 ? fmt::format(
                                     "PUT /upload/{:x} HTTP/1.1\r\nHost: files.example\r\n"
                                     "Content-Length: {}\r\n\r\n",
                                     c.id, body)
                               : fmt::format(
                                     "GET /{}/{:x}/{}.html HTTP/1.1\r\nHost: www{}.example\r\n"
                                     "User-Agent: flowkit-bench/1.0\r\nAccept: */*\r\n"
                                     "Cookie: session={:016x}\r\n\r\n",
                                     kind_name(c.kind), c.id, c.message / 2, c.id % 97,
                                     c.body_base * 2654435761ULL);
    } else {
      c.header = fmt::format(
          "HTTP/1.1 200 OK\r\nServer: bench\r\nContent-Type: {}\r\n"
          "Content-Length: {}\r\n\r\n",
          m.text ? "text/html" : "application/octet-stream", body);
    }
    if (c.header.size() > m.size) c.header.resize(m.size);
  }

  /// Copies bytes [offset, offset + out.size()) of the current message into `out`.
  void message_bytes(const SimConnection& c, std::uint64_t offset, std::span<char> out) const {
    const Message& m = c.script[c.message];
    const auto& pool = m.text ? pools_.text : pools_.binary;
    std::size_t done = 0;
    while (done < out.size()) {
      const std::uint64_t at = offset + done;
      if (at < c.header.size()) {
        const std::size_t n = std::min<std::size_t>(c.header.size() - at, out.size() - done);
        std::copy_n(c.header.data() + at, n, out.data() + done);
        done += n;
        continue;
      }
      const std::size_t pos = (c.body_base + at - c.header.size()) % pool.size();
      const std::size_t n = std::min(pool.size() - pos, out.size() - done);
      std::copy_n(pool.data() + pos, n, out.data() + done);
      done += n;
    }
  }

  Timestamp emit_handshake(SimConnection& c, Timestamp t) {
    emit(c.session.syn(), t);
    emit(c.session.syn_ack(), t + c.rtt / 2);
    emit(c.session.handshake_ack(), t + c.rtt);
    c.established = true;
    return t + c.rtt + 20us;
  }

  Timestamp emit_close(SimConnection& c, Timestamp t) {
    c.closed = true;
    ++counters_.closed;
    switch (c.close) {
      case Close::ClientFin:
        emit(c.session.client_fin(), t);
        emit(c.session.server_fin(), t + c.rtt / 2);
        emit(c.session.client_ack(), t + c.rtt);
        return t + c.rtt;
      case Close::ServerFin:
        emit(c.session.server_fin(), t);
        emit(c.session.client_fin(), t + c.rtt / 2);
        emit(c.session.server_ack(), t + c.rtt);
        return t + c.rtt;
      case Close::Reset:
        ++counters_.resets;
        emit(c.session.client_rst(), t);
        return t;
    }
    return t;
  }

  // --- flights --------------------------------------------------------------------------------

  struct Segment {
    std::uint32_t offset = 0;  // within the flight's bytes
    std::uint32_t length = 0;
    Fate fate = Fate::Normal;
  };

  Fate draw_fate() {
    const double r = rng_.uniform();
    if (r < options_.loss) {
      return rng_.chance(options_.gap_share) ? Fate::CaptureLost : Fate::Lost;
    }
    if (r < options_.loss + options_.reorder) return Fate::Swapped;
    if (r < options_.loss + options_.reorder + options_.retransmit) return Fate::Duplicated;
    return Fate::Normal;
  }

  /// Overwrites part of the flight's bytes with a needle, if this connection gets one and the
  /// flight has a place for it.
  void plant_needle(SimConnection& c, std::span<const Segment> segments, std::string& bytes) {
    if (c.needle == NeedleKind::None) return;
    std::vector<std::size_t> candidates;
    for (std::size_t i = 0; i < segments.size(); ++i) {
      const Segment& s = segments[i];
      if (s.fate == Fate::CaptureLost) continue;
      if (c.needle == NeedleKind::Inside && s.length >= kNeedleLength) candidates.push_back(i);
      if (c.needle == NeedleKind::Split && i + 1 < segments.size() &&
          segments[i + 1].fate != Fate::CaptureLost && s.length >= kNeedleLength &&
          segments[i + 1].length >= kNeedleLength) {
        candidates.push_back(i);
      }
    }
    if (candidates.empty()) return;
    const Segment& s = segments[candidates[rng_.between(0, candidates.size() - 1)]];
    std::size_t at = 0;
    if (c.needle == NeedleKind::Inside) {
      at = s.offset + rng_.between(0, s.length - kNeedleLength);
    } else {
      const std::size_t first_part = rng_.between(1, kNeedleLength - 1);  // bytes before the cut
      at = s.offset + s.length - first_part;
    }
    const auto id = static_cast<std::uint32_t>(needles_.size() + 1);
    const std::string text = fmt::format("{}{:06}-END", kNeedlePrefix, id);
    bytes.replace(at, text.size(), text);
    needles_.push_back(Needle{id, c.needle});
    (c.needle == NeedleKind::Inside ? needles_inside_ : needles_split_)++;
    c.needle = NeedleKind::None;
  }

  /// Sends the next flight of the current message starting at `t`; returns the last frame time.
  Timestamp emit_flight(SimConnection& c, Timestamp t) {
    const Message& m = c.script[c.message];
    const auto sender = static_cast<std::size_t>(m.from);
    const bool client = m.from == Side::Client;
    const std::uint64_t remaining = m.size - c.message_sent;
    const std::uint32_t window = c.cwnd[sender];

    std::vector<Segment> segments;
    std::uint32_t bytes_total = 0;
    while (segments.size() < window && c.message_sent + bytes_total < m.size) {
      const auto n =
          static_cast<std::uint32_t>(std::min<std::uint64_t>(c.mss, remaining - bytes_total));
      segments.push_back(Segment{bytes_total, n, draw_fate()});
      bytes_total += n;
    }
    std::string bytes(bytes_total, '\0');
    message_bytes(c, c.message_sent, bytes);
    plant_needle(c, segments, bytes);

    const std::uint32_t flight_start = c.sent[sender];
    std::vector<ft::Frame> frames;
    frames.reserve(segments.size());
    for (std::size_t i = 0; i < segments.size(); ++i) {
      const Segment& s = segments[i];
      const std::string_view data = std::string_view(bytes).substr(s.offset, s.length);
      const bool last = c.message_sent + s.offset + s.length == m.size;
      const std::uint8_t push = last ? ft::tcp_flags::PSH : 0;
      frames.push_back(client ? c.session.client_send(data, push)
                              : c.session.server_send(data, push));
      ++counters_.data_segments;
      counters_.payload_bytes += s.length;
    }
    c.sent[sender] += bytes_total;

    // Order in which segments reach the capture point (and the receiver).
    struct Arrival {
      std::size_t segment;
      bool captured;
    };
    std::vector<Arrival> arrivals;
    std::vector<std::pair<std::size_t, std::size_t>> later;  // (due position, segment)
    auto flush_due = [&](bool all) {
      for (auto it = later.begin(); it != later.end();) {
        if (all || it->first <= arrivals.size()) {
          arrivals.push_back(Arrival{it->second, true});
          it = later.erase(it);
        } else {
          ++it;
        }
      }
    };
    for (std::size_t i = 0; i < segments.size(); ++i) {
      switch (segments[i].fate) {
        case Fate::Lost:
          ++counters_.lost;
          later.emplace_back(arrivals.size() + rng_.between(2, 5), i);
          break;
        case Fate::CaptureLost:
          ++counters_.capture_lost;
          arrivals.push_back(Arrival{i, false});
          break;
        case Fate::Swapped:
          if (i + 1 < segments.size() && segments[i + 1].fate == Fate::Normal) {
            ++counters_.swapped;
            arrivals.push_back(Arrival{i + 1, true});
            arrivals.push_back(Arrival{i, true});
            ++i;
          } else {
            arrivals.push_back(Arrival{i, true});
          }
          break;
        case Fate::Duplicated:
          ++counters_.duplicated;
          arrivals.push_back(Arrival{i, true});
          later.emplace_back(arrivals.size() + rng_.between(1, 4), i);
          break;
        case Fate::Normal:
          arrivals.push_back(Arrival{i, true});
          break;
      }
      flush_due(false);
    }
    flush_due(true);

    // Pace the segments at the bottleneck; the receiver ACKs every second segment, and at once
    // when one arrives above a hole (duplicate ACKs).
    std::vector<bool> received(segments.size(), false);
    std::size_t contiguous = 0;  // segments received in order from the flight's start
    std::size_t unacked = 0;
    Timestamp ts = t;
    const auto ack_delay = Duration{static_cast<std::int64_t>(rng_.between(20, 200)) * 1000};
    auto send_ack = [&](Timestamp when) {
      std::uint32_t to = flight_start;
      for (std::size_t k = 0; k < contiguous; ++k) to += segments[k].length;
      emit(client ? c.session.server_ack_to(to) : c.session.client_ack_to(to), when);
      unacked = 0;
    };
    for (const Arrival& a : arrivals) {
      const Segment& s = segments[a.segment];
      const auto wire = static_cast<double>(s.length + 80);
      ts += Duration{static_cast<std::int64_t>(wire * 8e9 / c.rate_bps)};
      if (a.captured) emit(frames[a.segment], ts);
      const bool was_new = !received[a.segment];
      received[a.segment] = true;
      const std::size_t before = contiguous;
      while (contiguous < segments.size() && received[contiguous]) ++contiguous;
      ++unacked;
      const bool out_of_order = was_new && contiguous == before;
      if (unacked >= 2 || out_of_order) send_ack(ts + ack_delay);
    }
    const bool message_done = c.message_sent + bytes_total == m.size;
    // A reply acknowledges the request itself; otherwise the delayed ACK goes out.
    const bool reply_follows = message_done && c.message + 1 < c.script.size() &&
                               c.script[c.message + 1].from != m.from &&
                               c.script[c.message + 1].think == Duration{};
    if (unacked > 0 && !reply_follows) send_ack(ts + ack_delay);

    c.cwnd[sender] = std::min(c.cwnd[sender] * 2, kMaxFlightSegments);
    c.message_sent += bytes_total;
    if (message_done) {
      ++c.message;
      start_message(c);
    }
    return ts + ack_delay;
  }

  Options options_;
  Rng rng_;
  ContentPools pools_;
  flowkit::PcapWriter writer_;
  std::uint64_t target_bytes_;
  Timestamp start_ = std::chrono::seconds(1700000000);
  Timestamp last_ts_ = start_;
  std::vector<std::unique_ptr<SimConnection>> slots_;
  std::vector<Event> events_;
  std::vector<PendingFrame> pending_;
  std::uint64_t next_order_ = 0;
  Counters counters_;
  std::vector<Needle> needles_;
  std::uint64_t needles_inside_ = 0;
  std::uint64_t needles_split_ = 0;
  std::uint64_t open_at_end_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bench_make_capture: a large, realistic, seeded TCP capture for the benchmarks",
               "bench_make_capture"};
  Options o;
  app.add_option("--size-mb", o.size_mb, "Stop once the file reaches this size (10^6 bytes)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--connections", o.connections, "Concurrent connections (slots)")
      ->capture_default_str()
      ->check(CLI::Range(1U, 1000000U));
  app.add_option("--seed", o.seed, "Random seed: the same seed writes the same file")
      ->capture_default_str();
  app.add_option("-o,--output", o.output, "The pcap file to write")->required();
  app.add_option("--ipv6-share", o.ipv6_share, "Share of IPv6 connections")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--loss", o.loss, "Per data segment: lost (and retransmitted, or a gap)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 0.2));
  app.add_option("--gap-share", o.gap_share,
                 "Of the losses: missing from the capture only, ACKed, never retransmitted")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--reorder", o.reorder, "Per data segment: swapped with the next one")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 0.2));
  app.add_option("--retransmit", o.retransmit, "Per data segment: sent twice")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 0.2));
  app.add_option("--needle-rate", o.needle_rate,
                 "Per connection, for each kind: chance of a needle inside a segment / split")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 0.5));
  CLI11_PARSE(app, argc, argv);

  try {
    const auto started = std::chrono::steady_clock::now();
    CaptureGenerator generator(o);
    generator.run();
    generator.write_sidecars();
    generator.report(stdout);
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
    fmt::print("  generated in {:.1f} s\n", took.count());
  } catch (const std::exception& e) {
    fmt::print(stderr, "bench_make_capture: {}\n", e.what());
    return 2;
  }
  return 0;
}
