// ParallelReassembler must reassemble exactly what a single Reassembler does, whatever the
// number of workers: same connections, same bytes, same events, same totals.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <mutex>

#include "flowkit/packet_source.h"
#include "flowkit/parallel_reassembler.h"
#include "flowkit/reassembler.h"
#include "packet_builder.h"

namespace flowkit::testing {
namespace {

// Keyed by the flow and its start time (ids differ between single and parallel runs).
using Transcript = std::map<std::string, std::string>;

class Collector final : public Handler {
 public:
  explicit Collector(Transcript& out, std::mutex& mutex) : out_(out), mutex_(mutex) {}
  void on_established(Connection& c) override { append(c, "established;"); }
  std::size_t on_data(Connection& c, Direction d, const StreamChunk& chunk) override {
    append(c, fmt::format("{}:", d == Direction::ToServer ? '>' : '<'));
    append(c, std::string(reinterpret_cast<const char*>(chunk.bytes.data()), chunk.bytes.size()));
    return chunk.bytes.size();
  }
  void on_gap(Connection& c, Direction d, std::uint64_t offset, std::uint64_t length,
              GapReason reason) override {
    append(c, fmt::format("gap {} {} {} {};", to_string(d), offset, length, to_string(reason)));
  }
  void on_end(Connection& c, EndReason reason) override {
    append(c, fmt::format("end {};", to_string(reason)));
  }

 private:
  void append(Connection& c, const std::string& text) {
    std::lock_guard lock(mutex_);
    out_[fmt::format("{} {} {}", c.key().to_string(), c.key().vlan_key, c.first_seen().count())] += text;
  }
  Transcript& out_;
  std::mutex& mutex_;
};

std::vector<Frame> read_all(const std::string& path) {
  SourceOptions o;
  o.files = {path};
  auto source = PacketSource::open(o);
  std::vector<Frame> frames;
  while (auto f = source.next()) {
    frames.push_back({f->ts, f->link_type, std::vector<std::byte>(f->data.begin(), f->data.end()),
                      f->wire_length});
  }
  return frames;
}

std::pair<Transcript, Stats> single(const std::vector<Frame>& frames, const Config& config) {
  Transcript t;
  std::mutex m;
  Collector c(t, m);
  Reassembler r(config, c);
  for (const auto& f : frames) r.process(f.view());
  r.finish();
  return {t, r.stats()};
}

std::pair<Transcript, Stats> parallel(const std::vector<Frame>& frames, const Config& config,
                                      std::size_t n) {
  Transcript t;
  std::mutex m;
  std::vector<std::unique_ptr<Collector>> handlers;
  for (std::size_t i = 0; i < n; ++i) handlers.push_back(std::make_unique<Collector>(t, m));
  ParallelReassembler r(config, n, [&](std::size_t i) -> Handler& { return *handlers[i]; });
  for (const auto& f : frames) r.process(f.view());
  r.finish();
  return {t, r.stats()};
}

void expect_same(const std::vector<Frame>& frames, const std::string& what) {
  Config config;
  config.tcp.midstream = true;
  const auto [one, one_stats] = single(frames, config);
  for (std::size_t n : {2u, 3u}) {
    const auto [many, many_stats] = parallel(frames, config, n);
    EXPECT_EQ(many.size(), one.size()) << what << " with " << n << " workers";
    EXPECT_TRUE(many == one) << what << " with " << n << " workers";
    EXPECT_EQ(many_stats.packets, one_stats.packets) << what;
    EXPECT_EQ(many_stats.ip_packets, one_stats.ip_packets) << what;
    EXPECT_EQ(many_stats.connections_opened, one_stats.connections_opened) << what;
    EXPECT_EQ(many_stats.stream_bytes_delivered, one_stats.stream_bytes_delivered) << what;
    EXPECT_EQ(many_stats.datagrams_reassembled, one_stats.datagrams_reassembled) << what;
    EXPECT_EQ(many_stats.gaps, one_stats.gaps) << what;
  }
}

TEST(ParallelReassembler, SameAsSingleOnTheSample) {
  expect_same(read_all(std::string(FLOWKIT_SOURCE_DIR) + "/examples/sample.pcap"), "sample");
}

TEST(ParallelReassembler, FragmentedSegmentsReachTheirConnectionsWorker) {
  std::vector<Frame> frames;
  for (std::uint16_t i = 0; i < 40; ++i) {
    TcpSession::Options o;
    o.client_port = static_cast<std::uint16_t>(30000 + i);
    TcpSession s(o);
    auto part = s.handshake();
    part.push_back(s.client_send("small"));
    auto pieces = s.client_packet().flags(tcp_flags::ACK).payload(std::string(3000, 'f')).ip_id(i).fragments(1000);
    part.insert(part.end(), pieces.begin(), pieces.end());
    frames.insert(frames.end(), part.begin(), part.end());
  }
  expect_same(frames, "fragments");
}

TEST(ParallelReassembler, SameAsSingleOnSharedCaptures) {
  const std::filesystem::path dir = FLOWKIT_SHARED_PCAPS;
  if (!std::filesystem::is_directory(dir)) GTEST_SKIP() << "no shared captures";
  for (const char* name : {"chrissanders__http_espn.pcapng", "pcapplusplus__example.pcap",
                           "zeek__tcp__reassembly.pcap", "pcapplusplus__examples__frag_http_req.pcap",
                           "zeek__ipv6-http-atomic-frag.pcap", "zeek__vlan-collisions.pcap",
                           "chrissanders__synscan.pcapng"}) {
    const auto path = dir / name;
    if (std::filesystem::exists(path)) expect_same(read_all(path.string()), name);
  }
}

}  // namespace
}  // namespace flowkit::testing
