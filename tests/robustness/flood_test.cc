// Floods against the caps: a million spoofed SYNs with half-open handshakes, and millions of
// one-byte out-of-order segments with holes. Each flood runs in a forked child whose peak
// resident memory is measured, while the behaviour (caps hold, the real connection is
// reassembled byte-exact, drops are counted by reason) is checked from what the child reports.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "flowkit/reassembler.h"
#include "packet_builder.h"
#include "recorder.h"
#include "tcp/connection_node.h"

namespace flowkit::testing {
namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAsan = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kAsan = true;
#else
constexpr bool kAsan = false;
#endif
#else
constexpr bool kAsan = false;
#endif

// Under ASan (built -O1, every allocation padded and quarantined) the floods are 4x smaller so
// the suite stays tolerable; the behaviour checks are the same, the memory check is skipped
// because ASan's own shadow memory and quarantine dwarf what is measured.
constexpr std::size_t kScale = kAsan ? 4 : 1;

/// A kB value from /proc/self/status ("VmRSS", "VmHWM").
long status_kb(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const std::string prefix = std::string(field) + ":";
  while (std::getline(in, line)) {
    if (line.starts_with(prefix)) return std::stol(line.substr(prefix.size()));
  }
  return -1;
}

/// What a flood child reports back through a pipe: plain numbers, so it can be copied as bytes.
struct FloodReport {
  long rss_before_kb = 0;  ///< resident memory when the flood started
  long peak_kb = 0;        ///< VmHWM when it ended
  std::uint64_t packets = 0;
  std::size_t max_connections_seen = 0;
  std::size_t max_memory_seen = 0;
  std::uint64_t connection_limit_drops = 0;
  std::uint64_t memcap_drops = 0;
  std::uint64_t evicted = 0;
  std::uint64_t opened = 0;
  std::uint64_t gaps = 0;
  std::uint64_t gap_bytes = 0;
  bool real_exact = false;   ///< the real connection's bytes arrived exactly
  bool real_closed = false;  ///< and it ended with a clean close
  bool tails_arrived = false;
  char note[256] = {};
};

/// Runs `body` in a forked child and returns its report; the child's crash fails the test.
template <class Body>
FloodReport in_child(Body body) {
  std::array<int, 2> fds{};
  EXPECT_EQ(::pipe(fds.data()), 0);
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    FloodReport report;
    report.rss_before_kb = status_kb("VmRSS");
    body(report);
    report.peak_kb = status_kb("VmHWM");
    const auto written = ::write(fds[1], &report, sizeof report);
    ::_exit(written == static_cast<ssize_t>(sizeof report) ? 0 : 3);
  }
  ::close(fds[1]);
  FloodReport report;
  const auto got = ::read(fds[0], &report, sizeof report);
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "flood child died, status " << status;
  EXPECT_EQ(got, static_cast<ssize_t>(sizeof report));
  std::printf("flood child: %llu packets, peak %ld kB resident, %ld kB before the flood\n",
              static_cast<unsigned long long>(report.packets), report.peak_kb,
              report.rss_before_kb);
  return report;
}

/// Keeps the bytes of one chosen connection and counts how the others ended.
class FloodHandler : public Handler {
 public:
  explicit FloodHandler(FlowKey real) : real_(std::move(real)) {}
  std::size_t on_data(Connection& c, Direction d, const StreamChunk& chunk) override {
    if (c.key() == real_) {
      (d == Direction::ToServer ? to_server : to_client)
          .append(reinterpret_cast<const char*>(chunk.bytes.data()), chunk.bytes.size());
    } else {
      tail_bytes += chunk.bytes.size();
    }
    return chunk.bytes.size();
  }
  void on_end(Connection& c, EndReason reason) override {
    if (c.key() == real_) real_end = reason;
  }
  std::string to_server;
  std::string to_client;
  std::uint64_t tail_bytes = 0;
  std::optional<EndReason> real_end;

 private:
  FlowKey real_;
};

/// A raw IPv4 TCP frame (LINKTYPE_RAW) to patch in place: addresses, ports, seq and flags.
class RawSegment {
 public:
  explicit RawSegment(const Frame& frame) : frame_(frame) {}
  void source(std::uint32_t address, std::uint16_t port) {
    put32(12, address);
    put16(20, port);
  }
  void destination(std::uint32_t address, std::uint16_t port) {
    put32(16, address);
    put16(22, port);
  }
  void seq(std::uint32_t seq) { put32(24, seq); }
  void ack(std::uint32_t ack) { put32(28, ack); }
  void payload_byte(std::byte b) { frame_.bytes.back() = b; }
  [[nodiscard]] RawFrame view(Timestamp ts) const {
    RawFrame f = frame_.view();
    f.ts = ts;
    return f;
  }

 private:
  void put16(std::size_t at, std::uint16_t v) {
    frame_.bytes[at] = static_cast<std::byte>(v >> 8);
    frame_.bytes[at + 1] = static_cast<std::byte>(v);
  }
  void put32(std::size_t at, std::uint32_t v) {
    put16(at, static_cast<std::uint16_t>(v >> 16));
    put16(at + 2, static_cast<std::uint16_t>(v));
  }
  Frame frame_;
};

TEST(Flood, MillionSpoofedSynsDoNotPushOutARealConnection) {
  constexpr std::size_t kMaxConnections = 20000;
  constexpr std::size_t kMemcap = 1 << 20;
  const std::size_t flood = 1'000'000 / kScale;
  const FloodReport r = in_child([&](FloodReport& report) {
    Config config;
    config.tcp.max_connections = kMaxConnections;
    config.tcp.memcap = kMemcap;
    TcpSession::Options o;
    o.link = Link::Raw;
    o.client = "198.51.100.7";
    o.server = "203.0.113.80";
    o.client_port = 51000;
    TcpSession real(o);
    FloodHandler handler(FlowKey{IpAddress::parse(o.client).value(),
                                 IpAddress::parse(o.server).value(), o.client_port, o.server_port,
                                 0});
    Reassembler reassembler(config, handler);
    const auto feed = [&](const Frame& f) { reassembler.process(f.view()); };
    for (const auto& f : real.handshake()) feed(f);

    // Spoofed SYNs to the same server; every fourth is answered by a SYN/ACK (a half-open
    // connection in SynReceived), as a server under a SYN flood does.
    RawSegment syn(PacketBuilder()
                       .link(Link::Raw)
                       .ipv4("192.0.2.1", o.server)
                       .tcp(1, o.server_port)
                       .flags(tcp_flags::SYN)
                       .build());
    RawSegment syn_ack(PacketBuilder()
                           .link(Link::Raw)
                           .ipv4(o.server, "192.0.2.1")
                           .tcp(o.server_port, 1)
                           .flags(tcp_flags::SYN | tcp_flags::ACK)
                           .build());
    std::mt19937_64 rng(7);
    std::string sent;
    Timestamp now = o.start;
    for (std::size_t i = 0; i < flood; ++i) {
      now += std::chrono::microseconds(5);  // 5 s of packet time: less than the SYN timeout
      const auto address = static_cast<std::uint32_t>(rng());
      const auto port = static_cast<std::uint16_t>(1024 + rng() % 60000);
      const auto isn = static_cast<std::uint32_t>(rng());
      syn.source(address, port);
      syn.seq(isn);
      reassembler.process(syn.view(now));
      if (i % 4 == 0) {
        syn_ack.destination(address, port);
        syn_ack.seq(static_cast<std::uint32_t>(rng()));
        syn_ack.ack(isn + 1);
        reassembler.process(syn_ack.view(now));
      }
      if (i % 5000 == 0) {
        // The real client keeps talking through the flood.
        const std::string line = "line " + std::to_string(i) + "\n";
        sent += line;
        real.at(now);
        feed(real.client_send(line));
        real.at(now);
        feed(real.server_ack());
      }
      if (i % 1000 == 0) {
        report.max_connections_seen =
            std::max(report.max_connections_seen, reassembler.connection_count());
        report.max_memory_seen = std::max(report.max_memory_seen, reassembler.memory_used());
      }
    }
    real.at(now);
    feed(real.client_fin());
    real.at(now);
    feed(real.server_fin());
    real.at(now);
    feed(real.client_ack());
    reassembler.finish();
    const Stats& s = reassembler.stats();
    report.packets = s.packets;
    report.connection_limit_drops = s.dropped(DropReason::ConnectionLimit);
    report.evicted = s.connections_evicted;
    report.opened = s.connections_opened;
    report.real_exact = handler.to_server == sent;
    report.real_closed = handler.real_end == EndReason::Close;
  });

  EXPECT_TRUE(r.real_exact);
  EXPECT_TRUE(r.real_closed);
  EXPECT_LE(r.max_connections_seen, kMaxConnections);
  EXPECT_LE(r.max_memory_seen, kMemcap);
  // Every SYN beyond the table's room pushed out the oldest half-open attempt, counted by reason;
  // no announced connection was evicted, and only the real one was ever announced.
  EXPECT_GE(r.connection_limit_drops, flood - kMaxConnections);
  EXPECT_EQ(r.evicted, 0U);
  EXPECT_EQ(r.opened, 1U);
  if (!kAsan) {
    // The table holds at most kMaxConnections nodes; each costs its ConnectionNode plus the
    // allocator's header and a hash bucket (2 pointers). 32 MiB covers the allocator keeping
    // freed nodes of the churn, the table's bucket array and the harness's buffers.
    const long bound_kb = static_cast<long>(
        (kMaxConnections * (sizeof(detail::ConnectionNode) + 64) + kMemcap) / 1024 + 32 * 1024);
    EXPECT_LE(r.peak_kb - r.rss_before_kb, bound_kb)
        << "peak " << r.peak_kb << " kB, " << r.rss_before_kb << " kB before the flood";
  }
}

TEST(Flood, MillionsOfTinyOutOfOrderSegmentsStayUnderTheMemcap) {
  constexpr std::size_t kMemcap = 4 << 20;
  constexpr std::size_t kConnections = 4;
  const std::size_t segments = 2'000'000 / kScale;
  const FloodReport r = in_child([&](FloodReport& report) {
    Config config;
    config.tcp.memcap = kMemcap;
    config.tcp.stream_buffer_limit = 64 << 20;  // the memory cap is what must bind
    std::vector<TcpSession> sessions;
    for (std::size_t i = 0; i <= kConnections; ++i) {
      TcpSession::Options o;
      o.link = Link::Raw;
      o.client_port = static_cast<std::uint16_t>(42000 + i);
      o.client_isn = 0xFFFF0000U + static_cast<std::uint32_t>(i);  // the flood wraps 2^32
      sessions.emplace_back(o);
    }
    TcpSession& real = sessions.back();  // a connection that talks normally meanwhile
    const auto& ro = real.options();
    FloodHandler handler(FlowKey{IpAddress::parse(ro.client).value(),
                                 IpAddress::parse(ro.server).value(), ro.client_port,
                                 ro.server_port, 0});
    Reassembler reassembler(config, handler);
    const auto feed = [&](const Frame& f) { reassembler.process(f.view()); };
    for (auto& s : sessions) {
      for (const auto& f : s.handshake()) feed(f);
    }
    // One template per connection; each segment is one byte at an odd offset, so every even
    // byte is a hole and no two segments ever merge.
    std::vector<RawSegment> templates;
    for (std::size_t i = 0; i < kConnections; ++i) {
      templates.emplace_back(sessions[i].client_packet().payload("x").build());
    }
    std::string sent;
    Timestamp now = ro.start;
    const std::size_t per_connection = segments / kConnections;
    for (std::size_t n = 0; n < per_connection; ++n) {
      now += std::chrono::microseconds(1);  // 2 s in all: no gap timeout
      for (std::size_t i = 0; i < kConnections; ++i) {
        auto& t = templates[i];
        t.seq(sessions[i].client_next_seq() + 1 + 2 * static_cast<std::uint32_t>(n));
        t.payload_byte(static_cast<std::byte>('a' + n % 26));
        reassembler.process(t.view(now));
      }
      if (n % 20000 == 0) {
        const std::string line = "real " + std::to_string(n) + "\n";
        sent += line;
        real.at(now);
        feed(real.client_send(line));
      }
      if (n % 1000 == 0)
        report.max_memory_seen = std::max(report.max_memory_seen, reassembler.memory_used());
    }
    // Each flooded receiver acknowledges everything the flood covered, then real data follows.
    const auto flood_end = static_cast<std::uint32_t>(2 * per_connection);
    const std::uint64_t tails_before = handler.tail_bytes;
    for (std::size_t i = 0; i < kConnections; ++i) {
      sessions[i].at(now);
      feed(sessions[i].server_ack_to(flood_end));
      feed(sessions[i].client_at(flood_end, "tail"));
    }
    report.tails_arrived = handler.tail_bytes - tails_before >= 4 * kConnections;
    reassembler.finish();
    const Stats& s = reassembler.stats();
    report.packets = s.packets;
    report.gaps = s.gaps;
    report.gap_bytes = s.gap_bytes;
    report.evicted = s.connections_evicted;
    report.memcap_drops = s.dropped(DropReason::TcpStreamMemcap);
    report.real_exact = handler.to_server == sent;
  });

  EXPECT_TRUE(r.real_exact);
  EXPECT_TRUE(r.tails_arrived);
  EXPECT_LE(r.max_memory_seen, kMemcap + 1);
  // Holes were skipped as the cap was reached instead of growing or stalling: one gap per hole
  // ahead of each skipped byte.
  EXPECT_GT(r.gaps, segments / 2);
  EXPECT_EQ(r.evicted, 0U);
  if (!kAsan) {
    // What is measured must be the memcap plus a fixed overhead: the accounting charges each
    // queued piece for its bookkeeping, so the cap bounds real memory, not only payload. 32 MiB
    // covers the allocator's slack and the harness.
    const long bound_kb = static_cast<long>(kMemcap / 1024 + 32 * 1024);
    EXPECT_LE(r.peak_kb - r.rss_before_kb, bound_kb)
        << "peak " << r.peak_kb << " kB, " << r.rss_before_kb << " kB before the flood";
  }
}

// IP fragments that never complete: one byte every 8, 512 per datagram, thousands of
// datagrams. Each held piece is charged its bookkeeping (Defragmenter::kPieceOverhead), so the
// memory cap bounds real memory; without that, 2 M such fragments held 146 MB under a 4 MiB cap.
TEST(Flood, TinyFragmentsThatNeverCompleteStayUnderTheMemcap) {
  constexpr std::size_t kMemcap = 4 << 20;
  const std::size_t datagrams = 4000 / kScale;
  const FloodReport r = in_child([&](FloodReport& report) {
    Config config;
    config.defrag.memcap = kMemcap;
    Recorder rec;
    Reassembler reassembler(config, rec);
    const std::byte one[] = {std::byte{'x'}};
    Frame fragment = ipv4_fragment("192.0.2.1", "192.0.2.2", 0, 17, 0, true, one);
    Timestamp now = std::chrono::seconds(1700000000);
    for (std::size_t d = 0; d < datagrams; ++d) {
      fragment.bytes[14 + 4] = static_cast<std::byte>(d >> 8);
      fragment.bytes[14 + 5] = static_cast<std::byte>(d);
      for (std::uint16_t block = 0; block < 512; ++block) {
        // MF set, one byte every 8: 512 pieces with holes between them, never complete.
        fragment.bytes[14 + 6] = static_cast<std::byte>(0x20 | block >> 8);
        fragment.bytes[14 + 7] = static_cast<std::byte>(block);
        RawFrame f = fragment.view();
        f.ts = now;
        reassembler.process(f);
      }
      report.max_memory_seen = std::max(report.max_memory_seen, reassembler.memory_used());
    }
    // A real fragmented datagram after the flood is still rebuilt.
    const auto real = PacketBuilder()
                          .ipv4("198.51.100.1", "198.51.100.2")
                          .udp(5353, 53)
                          .payload(std::string(100, 'r'))
                          .time(now)
                          .fragments(32);
    for (const auto& f : real) reassembler.process(f.view());
    report.tails_arrived = rec.udp_payloads == std::vector<std::string>{std::string(100, 'r')};
    report.packets = reassembler.stats().packets;
    report.memcap_drops = reassembler.stats().dropped(DropReason::FragmentMemcap);
  });
  EXPECT_TRUE(r.tails_arrived);
  // The oldest incomplete datagrams made room, each counted by reason.
  EXPECT_GT(r.memcap_drops, datagrams / 2);
  EXPECT_LE(r.max_memory_seen, kMemcap);
  if (!kAsan) {
    const long bound_kb = static_cast<long>(kMemcap / 1024 + 32 * 1024);
    EXPECT_LE(r.peak_kb - r.rss_before_kb, bound_kb)
        << "peak " << r.peak_kb << " kB, " << r.rss_before_kb << " kB before the flood, "
        << r.packets << " fragments";
  }
}

}  // namespace
}  // namespace flowkit::testing
