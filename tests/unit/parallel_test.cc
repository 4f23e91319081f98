// ParallelReassembler and ShardedReassembler must reassemble exactly what a single Reassembler
// does, whatever the number of threads: same connections, same bytes, same events, same totals.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <mutex>
#include <stdexcept>

#include "decode/decoder.h"
#include "flowkit/capture_file.h"
#include "flowkit/flow_key.h"
#include "flowkit/packet_source.h"
#include "flowkit/parallel_reassembler.h"
#include "flowkit/pcap_writer.h"
#include "flowkit/reassembler.h"
#include "flowkit/sharded_reassembler.h"
#include "packet_builder.h"
#include "pcapng_crafting.h"
#include "temp_dir.h"

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
    out_[fmt::format("{} {} {}", c.key().to_string(), c.key().vlan_key, c.first_seen().count())] +=
        text;
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

// Shards without threads: each Reassembler sees every frame and keeps its share.
std::pair<Transcript, Stats> shards_in_turn(const std::vector<Frame>& frames, Config config,
                                            std::size_t n) {
  Transcript t;
  std::mutex m;
  Stats total;
  for (std::size_t i = 0; i < n; ++i) {
    Collector c(t, m);
    config.shard = {i, n};
    Reassembler r(config, c);
    for (const auto& f : frames) r.process(f.view());
    r.finish();
    total += r.stats();
  }
  return {t, total};
}

// The real thing: threads that each read the capture file, or (chunk_bytes > 0) share the
// work of finding its records (run_indexed: one pcap or pcapng file).
std::pair<Transcript, Stats> sharded(const std::string& path, const Config& config, std::size_t n,
                                     std::size_t chunk_bytes = 0, const std::string& filter = {}) {
  Transcript t;
  std::mutex m;
  std::vector<std::unique_ptr<Collector>> handlers;
  for (std::size_t i = 0; i < n; ++i) handlers.push_back(std::make_unique<Collector>(t, m));
  ShardedReassembler r(config, n, [&](std::size_t i) -> Handler& { return *handlers[i]; });
  SourceOptions options;
  options.files = {path};
  options.filter = filter;
  auto source = PacketSource::open(options);
  if (chunk_bytes > 0) {
    EXPECT_TRUE(r.run_indexed(source, {}, chunk_bytes)) << path;
    EXPECT_EQ(source.progress().bytes_done, std::filesystem::file_size(path));
    return {t, r.stats()};
  }
  auto others = ShardedReassembler::open_readers(options, n - 1);
  r.run(source, others);
  return {t, r.stats()};
}

// What run_indexed takes: a pcap or pcapng file whose (first) link type is Ethernet.
bool indexable(const std::string& path) {
  return CaptureFileReader::open(path).link_type() == 1 &&
         (path.ends_with(".pcap") || path.ends_with(".pcapng"));
}

void expect_equal(const std::pair<Transcript, Stats>& many, const std::pair<Transcript, Stats>& one,
                  const std::string& what) {
  EXPECT_EQ(many.first.size(), one.first.size()) << what;
  EXPECT_TRUE(many.first == one.first) << what;
  const Stats& a = many.second;
  const Stats& b = one.second;
  EXPECT_EQ(a.packets, b.packets) << what;
  EXPECT_EQ(a.bytes, b.bytes) << what;
  EXPECT_EQ(a.ip_packets, b.ip_packets) << what;
  EXPECT_EQ(a.ipv6_packets, b.ipv6_packets) << what;
  EXPECT_EQ(a.connections_opened, b.connections_opened) << what;
  EXPECT_EQ(a.stream_bytes_delivered, b.stream_bytes_delivered) << what;
  EXPECT_EQ(a.datagrams_reassembled, b.datagrams_reassembled) << what;
  EXPECT_EQ(a.gaps, b.gaps) << what;
  EXPECT_TRUE(a.drops == b.drops) << what;
}

Config midstream_config() {
  Config config;
  config.tcp.midstream = true;
  return config;
}

void expect_same(const std::vector<Frame>& frames, const std::string& what,
                 Config config = midstream_config()) {
  const auto one = single(frames, config);
  for (std::size_t n : {2u, 3u, 5u}) {
    expect_equal(parallel(frames, config, n), one, fmt::format("{}, {} workers", what, n));
    expect_equal(shards_in_turn(frames, config, n), one, fmt::format("{}, {} shards", what, n));
  }
}

void expect_same_sharded(const std::string& path, const std::string& what) {
  const Config config = midstream_config();
  const auto one = single(read_all(path), config);
  for (std::size_t n : {2u, 3u}) {
    expect_equal(sharded(path, config, n), one, fmt::format("{}, {} sharded threads", what, n));
    if (!indexable(path)) continue;
    for (std::size_t chunk : {std::size_t{4096}, std::size_t{1} << 20}) {
      expect_equal(
          sharded(path, config, n, chunk), one,
          fmt::format("{}, {} threads sharing an index of {}-byte chunks", what, n, chunk));
    }
  }
}

TEST(ParallelReassembler, SameAsSingleOnTheSample) {
  expect_same(read_all(std::string(FLOWKIT_SOURCE_DIR) + "/examples/sample.pcap"), "sample");
  expect_same_sharded(std::string(FLOWKIT_SOURCE_DIR) + "/examples/sample.pcap", "sample");
}

TEST(ParallelReassembler, FragmentedSegmentsReachTheirConnectionsWorker) {
  std::vector<Frame> frames;
  for (std::uint16_t i = 0; i < 40; ++i) {
    TcpSession::Options o;
    o.client_port = static_cast<std::uint16_t>(30000 + i);
    TcpSession s(o);
    auto part = s.handshake();
    part.push_back(s.client_send("small"));
    auto pieces = s.client_packet()
                      .flags(tcp_flags::ACK)
                      .payload(std::string(3000, 'f'))
                      .ip_id(i)
                      .fragments(1000);
    part.insert(part.end(), pieces.begin(), pieces.end());
    frames.insert(frames.end(), part.begin(), part.end());
  }
  expect_same(frames, "fragments");
  // The same frames from a file, read by sharded threads.
  const TempDir dir;
  const auto path = dir.file("fragments.pcap");
  write_pcap(path, frames.front().link_type, views(frames));
  expect_same_sharded(path, "fragments from a file");
  // And from a pcapng file, where interfaces decide each frame's link type and time.
  const auto v = views(frames);
  const auto pcapng =
      dir.write("fragments.pcapng", section_header(false) + interface_block(false, 1, 0, 9) +
                                        enhanced_packets(false, 0, v));
  expect_same_sharded(pcapng, "fragments from a pcapng file");
}

TEST(ParallelReassembler, BrokenFramesAreCountedOnceWhateverTheShard) {
  // Shards see every frame; each broken one must be counted by exactly one of them, whether
  // it is told apart by the quick look at its headers or only by the full decode.
  std::vector<Frame> frames;
  for (std::uint16_t i = 0; i < 24; ++i) {
    TcpSession::Options o;
    o.client_port = static_cast<std::uint16_t>(40000 + i);
    o.client = i % 2 == 0 ? "10.0.0.1" : "2001:db8::1";
    o.server = i % 2 == 0 ? "10.0.0.2" : "2001:db8::2";
    TcpSession s(o);
    auto part = s.handshake();
    part.push_back(s.client_send("hello"));
    Frame broken = s.client_send("world");
    switch (i % 6) {
      case 0:  // cut inside the IP header
        broken.bytes.resize(20);
        break;
      case 1:  // IPv4 header length below 20 / IPv6 version nibble wrong
        broken.bytes[14] = i % 2 == 0 ? std::byte{0x44} : std::byte{0x46};
        break;
      case 2:  // TCP header cut to two bytes: no ports to read
        if (i % 2 == 0) {
          broken.bytes[16] = std::byte{0};
          broken.bytes[17] = std::byte{22};
        } else {
          broken.bytes[18] = std::byte{0};
          broken.bytes[19] = std::byte{2};
        }
        break;
      case 3:  // a bad TCP checksum (dropped: checksums are verified here)
        broken.bytes.back() ^= std::byte{0x5a};
        break;
      case 4:  // not IP at all
        broken.bytes[12] = std::byte{0x08};
        broken.bytes[13] = std::byte{0x06};
        break;
      default:  // TCP data offset beyond the segment
        broken.bytes[14 + (i % 2 == 0 ? 20 : 40) + 12] = std::byte{0xf0};
        break;
    }
    part.push_back(broken);
    part.push_back(s.client_send("!"));
    frames.insert(frames.end(), part.begin(), part.end());
  }
  Config config = midstream_config();
  config.verify_ip_checksum = true;
  config.verify_l4_checksum = true;
  const auto one = single(frames, config);
  std::uint64_t dropped = 0;
  for (auto d : one.second.drops) dropped += d;
  EXPECT_EQ(dropped, 24u);
  expect_same(frames, "broken frames", config);
}

TEST(ShardedReassembler, QuickLookAgreesWithTheFullDecode) {
  // Frames that peek_flow_hash recognises must hash exactly as the full decode's flow does, or
  // a flow's packets would be split between shards.
  std::vector<std::string> paths = {std::string(FLOWKIT_SOURCE_DIR) + "/examples/sample.pcap"};
  const std::filesystem::path dir = FLOWKIT_SHARED_PCAPS;
  for (const char* name : {"chrissanders__http_espn.pcapng", "zeek__ipv6-http-atomic-frag.pcap",
                           "zeek__tcp__reassembly.pcap", "chrissanders__synscan.pcapng"}) {
    if (std::filesystem::exists(dir / name)) paths.push_back((dir / name).string());
  }
  std::size_t peeked = 0;
  for (const auto& path : paths) {
    for (const auto& f : read_all(path)) {
      const auto quick = detail::peek_flow_hash(f.link_type, f.bytes);
      if (!quick) continue;
      ++peeked;
      detail::LinkView link;
      PacketInfo pkt;
      detail::FragmentView fragment;
      ASSERT_FALSE(detail::decode_link(f.link_type, f.bytes, link)) << path;
      ASSERT_FALSE(detail::decode_ip(link.l3, false, pkt, fragment)) << path;
      ASSERT_FALSE(fragment.is_fragment) << path;
      ASSERT_FALSE(detail::decode_transport(pkt, false)) << path;
      EXPECT_EQ(*quick, symmetric_hash(pkt.src, pkt.src_port, pkt.dst, pkt.dst_port, link.vlan_key))
          << path;
    }
  }
  EXPECT_GT(peeked, 20u);
}

TEST(ShardedReassembler, ReadsFilesNotStandardInput) {
  SourceOptions options;
  EXPECT_FALSE(ShardedReassembler::can_read(options));  // live
  options.files = {"a.pcap", "-"};
  EXPECT_FALSE(ShardedReassembler::can_read(options));
  options.files = {"a.pcap", "b.pcap"};
  EXPECT_TRUE(ShardedReassembler::can_read(options));
}

TEST(ShardedReassembler, ShardsSpreadFlowsAndKeepTablesBalanced) {
  // shard_of uses the hash's high bits: the flows of one shard still cover both values of
  // the low bit that a power-of-two table indexes buckets with.
  std::size_t per_shard[2] = {0, 0};
  std::size_t low_bit_in_shard0[2] = {0, 0};
  for (std::uint32_t i = 0; i < 4000; ++i) {
    const auto a = *IpAddress::parse(fmt::format("10.0.{}.{}", i / 256, i % 256));
    const auto b = *IpAddress::parse("10.128.0.1");
    const auto h = symmetric_hash(a, static_cast<std::uint16_t>(1024 + i), b, 80, 0);
    EXPECT_EQ(h, symmetric_hash(b, 80, a, static_cast<std::uint16_t>(1024 + i), 0));
    const auto s = shard_of(h, 2);
    ASSERT_LT(s, 2u);
    ++per_shard[s];
    if (s == 0) ++low_bit_in_shard0[h & 1];
  }
  EXPECT_GT(per_shard[0], 1800u);
  EXPECT_GT(per_shard[1], 1800u);
  EXPECT_GT(low_bit_in_shard0[0], 800u);
  EXPECT_GT(low_bit_in_shard0[1], 800u);
}

TEST(ShardedReassembler, IndexedRunAppliesTheFilter) {
  const std::string path = std::string(FLOWKIT_SOURCE_DIR) + "/examples/sample.pcap";
  const Config config = midstream_config();
  SourceOptions options;
  options.files = {path};
  options.filter = "tcp port 80";
  auto source = PacketSource::open(options);
  std::vector<Frame> frames;
  while (auto f = source.next()) {
    frames.push_back({f->ts, f->link_type, std::vector<std::byte>(f->data.begin(), f->data.end()),
                      f->wire_length});
  }
  const auto one = single(frames, config);
  ASSERT_GT(one.first.size(), 0u);
  ASSERT_LT(one.second.packets, read_all(path).size()) << "the filter must drop something";
  expect_equal(sharded(path, config, 2, 4096, "tcp port 80"), one, "filtered, indexed");
  // The source counts what the index's filter skipped, as if it had read the file itself.
  ShardedReassembler r(config, 2, [](std::size_t) -> Handler& {
    static Handler nothing;
    return nothing;
  });
  auto indexed = PacketSource::open(options);
  ASSERT_TRUE(r.run_indexed(indexed, {}, 4096));
  EXPECT_EQ(indexed.filtered_out(), read_all(path).size() - one.second.packets);
}

TEST(ShardedReassembler, IndexedRunLeavesOtherInputsToRun) {
  ShardedReassembler r(Config{}, 2, [](std::size_t) -> Handler& {
    static Handler nothing;
    return nothing;
  });
  const auto refused = [&](std::vector<std::string> files) {
    SourceOptions options;
    options.files = std::move(files);
    auto source = PacketSource::open(options);
    return !r.run_indexed(source);
  };
  const std::string sample = std::string(FLOWKIT_SOURCE_DIR) + "/examples/sample.pcap";
  EXPECT_TRUE(refused({sample, sample}));
  // A pcapng file whose first interface is not Ethernet: the index could place none of its
  // frames.
  const TempDir dir;
  const auto frames = read_all(sample);
  std::vector<Frame> raw;
  for (const auto& f : frames) {
    raw.push_back({f.ts, 101, std::vector<std::byte>(f.bytes.begin() + 14, f.bytes.end()), 0});
  }
  const auto v = views(raw);
  EXPECT_TRUE(
      refused({dir.write("raw.pcapng", section_header(false) + interface_block(false, 101, 0, 9) +
                                           enhanced_packets(false, 0, v))}));
  EXPECT_EQ(r.stats().packets, 0u);
}

TEST(ShardedReassembler, DamageIsReportedLikeASingleReaderOnceAllThreadsEnd) {
  const TempDir dir;
  const auto path = dir.file("cut.pcap");
  const auto frames = read_all(std::string(FLOWKIT_SOURCE_DIR) + "/examples/sample.pcap");
  write_pcap(path, frames.front().link_type, views(frames));
  std::filesystem::resize_file(path, std::filesystem::file_size(path) - 7);  // cut a record short
  std::string expected;
  std::size_t readable = 0;
  {
    auto reader = CaptureFileReader::open(path);
    try {
      while (reader.next()) ++readable;
    } catch (const CaptureError& e) {
      expected = e.what();
    }
  }
  ASSERT_FALSE(expected.empty());
  for (const bool indexed : {false, true}) {
    const char* how = indexed ? "sharing an index" : "each thread reading";
    Transcript transcript;
    std::mutex m;
    Collector a(transcript, m);
    Collector b(transcript, m);
    ShardedReassembler r(Config{}, 2, [&](std::size_t i) -> Handler& { return i == 0 ? a : b; });
    SourceOptions options;
    options.files = {path};
    auto source = PacketSource::open(options);
    try {
      if (indexed) {
        r.run_indexed(source, {}, 4096);
      } else {
        auto others = ShardedReassembler::open_readers(options, 1);
        r.run(source, others);
      }
      ADD_FAILURE() << how << ": no error";
    } catch (const CaptureError& e) {
      EXPECT_EQ(std::string(e.what()), expected) << how;
    }
    EXPECT_EQ(r.stats().packets, readable) << how << ": every record before the damage is read";
  }
}

// A handler that fails on its third piece of data, as a tool's output might (disk full).
class FailingHandler final : public Handler {
 public:
  std::size_t on_data(Connection& /*c*/, Direction /*d*/, const StreamChunk& chunk) override {
    if (++calls_ == 3) throw std::runtime_error("handler failed");
    return chunk.bytes.size();
  }

 private:
  int calls_ = 0;
};

TEST(ParallelReassembler, AHandlersExceptionReachesTheCallerNotTerminate) {
  const std::string path = std::string(FLOWKIT_SOURCE_DIR) + "/examples/sample.pcap";
  const auto frames = read_all(path);
  std::vector<FailingHandler> handlers(2);
  const auto handler_for = [&](std::size_t i) -> Handler& { return handlers[i]; };
  {
    ParallelReassembler r(midstream_config(), 2, handler_for);
    EXPECT_THROW(
        {
          for (int round = 0; round < 100; ++round) {  // enough frames for process() to notice
            for (const auto& f : frames) r.process(f.view());
          }
          r.finish();
        },
        std::runtime_error);
  }  // and the destructor, after the failure, neither hangs nor throws
  std::vector<FailingHandler> sharded_handlers(2);
  ShardedReassembler s(midstream_config(), 2,
                       [&](std::size_t i) -> Handler& { return sharded_handlers[i]; });
  SourceOptions options;
  options.files = {path};
  auto source = PacketSource::open(options);
  EXPECT_THROW(s.run_indexed(source, {}, 4096), std::runtime_error);
}

// The first worker runs on the caller's thread, the others on their own: a failure in any one
// of them reaches the caller, and the others stop without hanging.
TEST(ParallelReassembler, OneWorkersExceptionReachesTheCallerWhicheverThreadItRunsOn) {
  std::vector<Frame> frames;  // 60 connections: every worker gets some
  for (std::uint16_t i = 0; i < 60; ++i) {
    TcpSession::Options o;
    o.client_port = static_cast<std::uint16_t>(20000 + i);
    TcpSession s(o);
    auto part = s.handshake();
    for (int n = 0; n < 4; ++n) part.push_back(s.client_send(fmt::format("data {}", n)));
    frames.insert(frames.end(), part.begin(), part.end());
  }
  for (const std::size_t workers : {2, 3}) {
    for (std::size_t failing = 0; failing < workers; ++failing) {
      Transcript transcript;
      std::mutex mutex;
      Collector fine(transcript, mutex);  // shared by the workers that do not fail
      FailingHandler failing_handler;
      const auto handler_for = [&](std::size_t i) -> Handler& {
        return i == failing ? static_cast<Handler&>(failing_handler) : fine;
      };
      ParallelReassembler r(Config{}, workers, handler_for);
      EXPECT_THROW(
          {
            for (const auto& f : frames) r.process(f.view());
            r.finish();
          },
          std::runtime_error)
          << "worker " << failing << " of " << workers;
    }
  }
}

TEST(ParallelReassembler, SameAsSingleOnSharedCaptures) {
  const std::filesystem::path dir = FLOWKIT_SHARED_PCAPS;
  if (!std::filesystem::is_directory(dir)) GTEST_SKIP() << "no shared captures";
  for (const char* name :
       {"chrissanders__http_espn.pcapng", "pcapplusplus__example.pcap",
        "zeek__tcp__reassembly.pcap", "pcapplusplus__examples__frag_http_req.pcap",
        "zeek__ipv6-http-atomic-frag.pcap", "zeek__vlan-collisions.pcap",
        "chrissanders__synscan.pcapng"}) {
    const auto path = dir / name;
    if (!std::filesystem::exists(path)) continue;
    expect_same(read_all(path.string()), name);
    expect_same_sharded(path.string(), name);
  }
}

}  // namespace
}  // namespace flowkit::testing
