// TCP reassembly behaviour, each case crafted packet by packet. Ordering cases run from several
// initial sequence numbers, including ones that wrap 2^32 in the middle of the stream.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "flowkit/reassembler.h"
#include "packet_builder.h"
#include "recorder.h"

namespace flowkit::testing {
namespace {

constexpr auto kToServer = Direction::ToServer;
constexpr auto kToClient = Direction::ToClient;

std::vector<Frame> operator+(std::vector<Frame> a, const std::vector<Frame>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

class TcpReassembly : public ::testing::TestWithParam<std::uint32_t> {
 protected:
  TcpSession session() {
    TcpSession::Options o;
    o.client_isn = GetParam();
    o.server_isn = GetParam() ^ 0x5a5a5a5aU;
    return TcpSession(o);
  }
  Config config;
  Recorder rec;
};

INSTANTIATE_TEST_SUITE_P(InitialSequenceNumbers, TcpReassembly,
                         ::testing::Values(1000U, 0xFFFFFFF0U, 0xFFFFFFFFU, 0x7FFFFFFAU),
                         [](const auto& p) { return fmt::format("isn_{:08x}", p.param); });

TEST_P(TcpReassembly, InOrderBothDirectionsAndClose) {
  auto s = session();
  auto frames = s.handshake();
  frames.push_back(s.client_send("GET / HTTP/1.0\r\n"));
  frames.push_back(s.client_send("Host: x\r\n\r\n"));
  frames.push_back(s.server_send("HTTP/1.0 200 OK\r\n\r\nhello world, this crosses the wrap"));
  frames.push_back(s.client_fin());
  frames.push_back(s.server_fin());
  frames.push_back(s.client_ack());
  const auto stats = run_frames(config, rec, frames);
  EXPECT_EQ(rec.bytes(kToServer), "GET / HTTP/1.0\r\nHost: x\r\n\r\n");
  EXPECT_EQ(rec.bytes(kToClient), "HTTP/1.0 200 OK\r\n\r\nhello world, this crosses the wrap");
  EXPECT_EQ(rec.events,
            (std::vector<std::string>{"established 10.0.0.1:40000 -> 10.0.0.2:80", "end 1 close"}));
  EXPECT_EQ(stats.connections_opened, 1u);
  EXPECT_EQ(stats.connections_closed, 1u);
  EXPECT_EQ(stats.gaps, 0u);
}

TEST_P(TcpReassembly, OutOfOrderSegmentsAreReordered) {
  auto s = session();
  auto frames = s.handshake();
  frames.push_back(s.client_at(10, "KLMNOPQRST"));
  frames.push_back(s.client_at(20, "UVWXYZ"));
  frames.push_back(s.client_at(0, "ABCDEFGHIJ"));
  run_frames(config, rec, frames);
  EXPECT_EQ(rec.bytes(kToServer), "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
  EXPECT_TRUE(rec.events_starting("gap").empty());
}

TEST_P(TcpReassembly, RetransmissionsAreDeliveredOnce) {
  auto s = session();
  auto frames = s.handshake();
  frames.push_back(s.client_at(0, "hello "));
  frames.push_back(s.client_at(0, "hello "));
  frames.push_back(s.client_at(3, "lo world"));  // partial retransmission plus new bytes
  frames.push_back(s.client_at(6, "world"));
  const auto stats = run_frames(config, rec, frames);
  EXPECT_EQ(rec.bytes(kToServer), "hello world");
  EXPECT_EQ(stats.retransmitted_bytes, 6u + 3u + 5u);
}

TEST_P(TcpReassembly, DataBeforeEstablishmentIsHeldUntilHandshakeCompletes) {
  auto s = session();
  auto frames = std::vector<Frame>{s.syn(), s.syn_ack()};
  frames.push_back(s.client_at(5, "world"));  // reordered ahead of the handshake ACK
  frames.push_back(s.handshake_ack());
  frames.push_back(s.client_at(0, "hello"));
  run_frames(config, rec, frames);
  EXPECT_EQ(rec.bytes(kToServer), "helloworld");
}

TEST_P(TcpReassembly, HoleAckedByReceiverBecomesGapAndStreamContinues) {
  auto s = session();
  auto frames = s.handshake();
  frames.push_back(s.client_at(0, "0123456789"));
  frames.push_back(s.client_at(20, "KLMNOPQRST"));  // 10..20 never captured
  frames.push_back(s.server_ack_to(30));            // but the server got it all
  frames.push_back(s.client_at(30, "after"));
  run_frames(config, rec, frames);
  EXPECT_EQ(rec.bytes(kToServer), "0123456789KLMNOPQRSTafter");
  EXPECT_EQ(rec.events_starting("gap"),
            std::vector<std::string>{"gap 1 to-server offset 10 length 10 acked-unseen"});
}

TEST_P(TcpReassembly, HoleOpenAtEndOfInputIsReportedThenLaterDataDelivered) {
  auto s = session();
  auto frames = s.handshake();
  frames.push_back(s.client_at(0, "abc"));
  frames.push_back(s.client_at(5, "fgh"));
  run_frames(config, rec, frames);
  EXPECT_EQ(rec.bytes(kToServer), "abcfgh");
  EXPECT_EQ(rec.events_starting("gap"),
            std::vector<std::string>{"gap 1 to-server offset 3 length 2 stream-end"});
  EXPECT_EQ(rec.events.back(), "end 1 end-of-input");
}

TEST_P(TcpReassembly, BufferLimitSkipsHoleInsteadOfStalling) {
  config.tcp.stream_buffer_limit = 16;
  auto s = session();
  auto frames = s.handshake();
  frames.push_back(s.client_at(0, "start"));
  frames.push_back(s.client_at(10, "0123456789"));
  frames.push_back(s.client_at(20, "abcdefghij"));  // 20 bytes queued > 16
  frames.push_back(s.client_at(30, "tail"));
  run_frames(config, rec, frames);
  EXPECT_EQ(rec.bytes(kToServer), "start0123456789abcdefghijtail");
  EXPECT_EQ(rec.events_starting("gap"),
            std::vector<std::string>{"gap 1 to-server offset 5 length 5 buffer-limit"});
}

TEST_P(TcpReassembly, GapTimeoutSkipsStaleHole) {
  config.tcp.gap_timeout = std::chrono::seconds(5);
  auto s = session();
  auto frames = s.handshake();
  frames.push_back(s.client_at(0, "abc"));
  frames.push_back(s.client_at(6, "ghi"));
  s.advance(std::chrono::seconds(6));
  frames.push_back(s.server_send("pong"));
  run_frames(config, rec, frames);
  EXPECT_EQ(rec.events_starting("gap"),
            std::vector<std::string>{"gap 1 to-server offset 3 length 3 timeout"});
  EXPECT_EQ(rec.bytes(kToServer), "abcghi");
}

TEST_P(TcpReassembly, RstInWindowResetsConnection) {
  auto s = session();
  auto frames = s.handshake();
  frames.push_back(s.client_send("data"));
  frames.push_back(s.server_rst());
  frames.push_back(s.client_at(4, "late"));  // absorbed: the connection is over
  const auto stats = run_frames(config, rec, frames);
  EXPECT_EQ(rec.bytes(kToServer), "data");
  EXPECT_EQ(rec.events.back(), "end 1 reset");
  EXPECT_EQ(stats.connections_reset, 1u);
}

TEST_P(TcpReassembly, RstOutOfWindowIsIgnored) {
  auto s = session();
  auto frames = s.handshake();
  frames.push_back(s.client_send("before"));
  frames.push_back(s.server_rst(1'000'000));  // far outside the client's window
  frames.push_back(s.client_send(" after"));
  frames.push_back(s.client_fin());
  frames.push_back(s.server_fin());
  const auto stats = run_frames(config, rec, frames);
  EXPECT_EQ(rec.bytes(kToServer), "before after");
  EXPECT_EQ(rec.events.back(), "end 1 close");
  EXPECT_EQ(stats.dropped(DropReason::TcpRstOutOfWindow), 1u);
}

TEST_P(TcpReassembly, RstOutOfWindowAcceptedWhenCheckDisabled) {
  config.tcp.rst_requires_window = false;
  auto s = session();
  auto frames = s.handshake();
  frames.push_back(s.client_send("before"));
  frames.push_back(s.server_rst(1'000'000));
  run_frames(config, rec, frames);
  EXPECT_EQ(rec.events.back(), "end 1 reset");
}

TEST_P(TcpReassembly, FinHalfCloseThenPeerKeepsSending) {
  auto s = session();
  auto frames = s.handshake();
  frames.push_back(s.client_send("request"));
  frames.push_back(s.client_fin());
  frames.push_back(s.server_send("response part 1, "));
  frames.push_back(s.server_send("part 2"));
  frames.push_back(s.client_at(8, "beyond fin"));  // nothing exists past the FIN
  frames.push_back(s.server_fin());
  run_frames(config, rec, frames);
  EXPECT_EQ(rec.bytes(kToServer), "request");
  EXPECT_EQ(rec.bytes(kToClient), "response part 1, part 2");
  EXPECT_EQ(rec.events.back(), "end 1 close");
}

TEST_P(TcpReassembly, OverlapConflictIsReported) {
  auto s = session();
  auto frames = s.handshake();
  frames.push_back(s.client_at(4, "GOOD"));
  frames.push_back(s.client_at(4, "EVIL"));
  frames.push_back(s.client_at(0, "GET "));
  const auto stats = run_frames(config, rec, frames);
  EXPECT_EQ(rec.events_starting("conflict"),
            std::vector<std::string>{"conflict 1 to-server offset 4 length 4"});
  EXPECT_EQ(stats.tcp_overlap_conflicts, 1u);
  EXPECT_EQ(rec.bytes(kToServer), "GET GOOD");  // BSD default: same start, old wins
}

// Old segment [4,8) "OOOO" is queued behind a hole at [0,2); then a new segment arrives; then
// the hole is filled. What is delivered in [2,10) depends on the policy.
struct OverlapCase {
  OverlapPolicy policy;
  std::uint32_t new_offset;
  const char* new_data;
  const char* expected;
};

class TcpOverlapPolicy : public ::testing::TestWithParam<OverlapCase> {};

TEST_P(TcpOverlapPolicy, NewSegmentOverOldFollowsPolicy) {
  const auto& c = GetParam();
  for (std::uint32_t isn : {1000U, 0xFFFFFFFEU}) {
    TcpSession::Options o;
    o.client_isn = isn;
    TcpSession s(o);
    Config config;
    config.tcp.policy = c.policy;
    Recorder rec;
    auto frames = s.handshake();
    frames.push_back(s.client_at(4, "OOOO"));
    frames.push_back(s.client_at(c.new_offset, c.new_data));
    frames.push_back(s.client_at(0, "AB"));
    frames.push_back(s.client_at(2, "ab"));  // fills whatever the new segment did not
    frames.push_back(s.client_at(8, "cd"));
    run_frames(config, rec, frames);
    EXPECT_EQ(rec.bytes(Direction::ToServer), c.expected)
        << to_string(c.policy) << " new at " << c.new_offset << " isn " << isn;
  }
}

// new [2,10) "NNNNNNNN": starts before and ends after the old [4,8).
// new [4,10) "NNNNNN":   same start, ends after.
// new [5,7)  "NN":       inside the old one.
// new [2,8)  "NNNNNN":   starts before, ends with it.
INSTANTIATE_TEST_SUITE_P(
    Policies, TcpOverlapPolicy,
    ::testing::Values(OverlapCase{OverlapPolicy::First, 2, "NNNNNNNN", "ABNNOOOONN"},
                      OverlapCase{OverlapPolicy::Last, 2, "NNNNNNNN", "ABNNNNNNNN"},
                      OverlapCase{OverlapPolicy::Bsd, 2, "NNNNNNNN", "ABNNNNNNNN"},
                      OverlapCase{OverlapPolicy::Linux, 2, "NNNNNNNN", "ABNNNNNNNN"},
                      OverlapCase{OverlapPolicy::Windows, 2, "NNNNNNNN", "ABNNNNNNNN"},
                      OverlapCase{OverlapPolicy::Solaris, 2, "NNNNNNNN", "ABNNNNNNNN"},
                      OverlapCase{OverlapPolicy::First, 4, "NNNNNN", "ABabOOOONN"},
                      OverlapCase{OverlapPolicy::Last, 4, "NNNNNN", "ABabNNNNNN"},
                      OverlapCase{OverlapPolicy::Bsd, 4, "NNNNNN", "ABabOOOONN"},
                      OverlapCase{OverlapPolicy::Linux, 4, "NNNNNN", "ABabNNNNNN"},
                      OverlapCase{OverlapPolicy::Windows, 4, "NNNNNN", "ABabOOOONN"},
                      OverlapCase{OverlapPolicy::Solaris, 4, "NNNNNN", "ABabOOOONN"},
                      OverlapCase{OverlapPolicy::First, 5, "NN", "ABabOOOOcd"},
                      OverlapCase{OverlapPolicy::Last, 5, "NN", "ABabONNOcd"},
                      OverlapCase{OverlapPolicy::Linux, 5, "NN", "ABabOOOOcd"},
                      OverlapCase{OverlapPolicy::Windows, 2, "NNNNNN", "ABNNOOOOcd"},
                      OverlapCase{OverlapPolicy::Solaris, 2, "NNNNNN", "ABNNNNNNcd"}),
    [](const auto& p) {
      return fmt::format("{}_at{}_len{}", to_string(p.param.policy), p.param.new_offset,
                         std::string_view(p.param.new_data).size());
    });

TEST(TcpConnections, PortReuseStartsNewConnection) {
  TcpSession first;
  TcpSession::Options o;
  o.client_isn = 90000;
  o.server_isn = 70000;
  TcpSession second(o);
  second.at(std::chrono::seconds(1700000010));
  auto frames = first.handshake();
  frames.push_back(first.client_send("one"));
  frames.push_back(first.client_fin());
  frames.push_back(first.server_fin());
  frames.push_back(first.client_ack());
  frames = frames + second.handshake();
  frames.push_back(second.client_send("two"));
  Recorder rec;
  run_frames(Config{}, rec, frames);
  EXPECT_EQ(rec.bytes(kToServer, 1), "one");
  EXPECT_EQ(rec.bytes(kToServer, 2), "two");
  EXPECT_EQ(rec.events, (std::vector<std::string>{
                            "established 10.0.0.1:40000 -> 10.0.0.2:80", "end 1 close",
                            "established 10.0.0.1:40000 -> 10.0.0.2:80", "end 2 end-of-input"}));
}

TEST(TcpConnections, NewSynWithOtherIsnReplacesOpenConnection) {
  TcpSession first;
  TcpSession::Options o;
  o.client_isn = 123456;
  TcpSession second(o);
  auto frames = first.handshake();
  frames.push_back(first.client_send("abandoned"));
  frames = frames + second.handshake();
  frames.push_back(second.client_send("fresh"));
  Recorder rec;
  run_frames(Config{}, rec, frames);
  EXPECT_EQ(rec.events_starting("end"),
            (std::vector<std::string>{"end 1 port-reuse", "end 2 end-of-input"}));
  EXPECT_EQ(rec.bytes(kToServer, 2), "fresh");
}

TEST(TcpConnections, IdleTimeoutRunsOnPacketTime) {
  Config config;
  config.tcp.idle_timeout = std::chrono::seconds(60);
  TcpSession a;
  TcpSession::Options o;
  o.client_port = 40001;
  TcpSession b(o);
  auto frames = a.handshake();
  frames.push_back(a.client_send("x"));
  b.at(std::chrono::seconds(1700000000 + 120));
  frames.push_back(b.syn());  // only its time matters: two minutes later
  Recorder rec;
  const auto stats = run_frames(config, rec, frames);
  EXPECT_EQ(rec.events_starting("end"), std::vector<std::string>{"end 1 timeout"});
  EXPECT_EQ(stats.connections_timed_out, 1u);
}

TEST(TcpConnections, MidstreamOffIgnoresConnectionsWithoutHandshake) {
  TcpSession s;
  s.handshake();  // advance sequence numbers without capturing the handshake
  std::vector<Frame> frames{s.client_send("no syn seen"), s.server_send("reply")};
  Recorder rec;
  const auto stats = run_frames(Config{}, rec, frames);
  EXPECT_TRUE(rec.events.empty());
  EXPECT_EQ(stats.dropped(DropReason::TcpNoConnection), 2u);
}

TEST(TcpConnections, MidstreamOnPicksUpConnection) {
  TcpSession s;
  s.handshake();
  std::vector<Frame> frames{s.server_send("reply first"), s.client_send("then request")};
  Config config;
  config.tcp.midstream = true;
  Recorder rec;
  run_frames(config, rec, frames);
  EXPECT_EQ(rec.events.front(), "established 10.0.0.1:40000 -> 10.0.0.2:80 midstream");
  EXPECT_EQ(rec.bytes(kToClient), "reply first");
  EXPECT_EQ(rec.bytes(kToServer), "then request");
}

TEST(TcpConnections, SynAckBeforeSynStillEstablishes) {
  TcpSession s;
  const auto syn = s.syn();
  const auto syn_ack = s.syn_ack();
  std::vector<Frame> frames{syn_ack, syn, s.handshake_ack(), s.client_send("hi")};
  Recorder rec;
  run_frames(Config{}, rec, frames);
  EXPECT_EQ(rec.bytes(kToServer), "hi");
}

TEST(TcpConnections, DiscardKeepsUnconsumedBytesForNextCall) {
  struct Partial : Recorder {
    std::vector<std::string> offered;
    std::size_t on_data(Connection& c, Direction d, const StreamChunk& chunk) override {
      offered.emplace_back(reinterpret_cast<const char*>(chunk.bytes.data()), chunk.bytes.size());
      Recorder::on_data(c, d, chunk);
      return chunk.bytes.size() >= 6 ? 6 : 0;  // consume whole 6-byte records only
    }
  } rec;
  TcpSession s;
  auto frames = s.handshake();
  frames.push_back(s.client_send("abcd"));
  frames.push_back(s.client_send("efghij"));
  frames.push_back(s.client_send("kl"));
  run_frames(Config{}, rec, frames);
  EXPECT_EQ(rec.offered, (std::vector<std::string>{"abcd", "abcdefghij", "ghijkl"}));
  EXPECT_EQ(rec.bytes(kToServer), "abcdefghijkl");
}

TEST(TcpConnections, CollectFlagsChooseDirections) {
  Recorder rec;
  rec.collect_to_client = false;
  TcpSession s;
  auto frames = s.handshake();
  frames.push_back(s.client_send("req"));
  frames.push_back(s.server_send("resp"));
  const auto stats = run_frames(Config{}, rec, frames);
  EXPECT_EQ(rec.bytes(kToServer), "req");
  EXPECT_EQ(rec.bytes(kToClient), "");
  EXPECT_EQ(stats.stream_bytes_delivered, 3u);
}

TEST(TcpConnections, ConnectionLimitEvictsLeastRecentlyUsed) {
  Config config;
  config.tcp.max_connections = 2;
  std::vector<Frame> frames;
  std::vector<TcpSession> sessions;
  for (std::uint16_t i = 0; i < 3; ++i) {
    TcpSession::Options o;
    o.client_port = static_cast<std::uint16_t>(41000 + i);
    sessions.emplace_back(o);
  }
  for (auto& s : sessions) {
    frames = frames + s.handshake();
    frames.push_back(s.client_send("x"));
  }
  Recorder rec;
  const auto stats = run_frames(config, rec, frames);
  EXPECT_EQ(rec.events_starting("end 1"), std::vector<std::string>{"end 1 evicted"});
  EXPECT_EQ(stats.connections_evicted, 1u);
  EXPECT_EQ(rec.bytes(kToServer, 3), "x");
}

TEST(TcpConnections, SynFloodEvictsHalfOpenBeforeEstablished) {
  Config config;
  config.tcp.max_connections = 10;
  TcpSession real;
  auto frames = real.handshake();
  for (std::uint16_t i = 0; i < 100; ++i) {
    TcpSession::Options o;
    o.client = "192.0.2.7";
    o.client_port = static_cast<std::uint16_t>(1024 + i);
    TcpSession spoofed(o);
    frames.push_back(spoofed.syn());
  }
  frames.push_back(real.client_send("still here"));
  Recorder rec;
  const auto stats = run_frames(config, rec, frames);
  EXPECT_EQ(rec.bytes(kToServer), "still here");
  EXPECT_EQ(stats.connections_evicted, 0u);
  EXPECT_GE(stats.dropped(DropReason::ConnectionLimit), 90u);
}

TEST(TcpConnections, MemcapBoundsBufferedBytes) {
  Config config;
  config.tcp.memcap = 1000;
  TcpSession s;
  auto frames = s.handshake();
  const std::string chunk(100, 'z');
  for (std::uint32_t i = 1; i <= 30; ++i) frames.push_back(s.client_at(i * 100, chunk));
  Recorder rec;
  Reassembler r(config, rec);
  std::size_t peak = 0;
  for (const auto& f : frames) {
    r.process(f.view());
    peak = std::max(peak, r.memory_used());
  }
  EXPECT_LE(peak, 1000u + chunk.size());
  r.finish();
  EXPECT_FALSE(rec.events_starting("gap 1 to-server offset 0 length 100").empty());
}

TEST(TcpConnections, KillerSeesBothSidesSequenceState) {
  struct Watch : Recorder {
    HalfStreamState client, server;
    std::size_t on_data(Connection& c, Direction d, const StreamChunk& chunk) override {
      client = c.half(Direction::ToServer);
      server = c.half(Direction::ToClient);
      return Recorder::on_data(c, d, chunk);
    }
  } rec;
  TcpSession s;
  auto frames = s.handshake();
  frames.push_back(s.client_send("abc"));
  frames.push_back(s.server_send("defgh"));
  run_frames(Config{}, rec, frames);
  EXPECT_EQ(rec.server.next_seq, s.server_next_seq());
  EXPECT_EQ(rec.client.next_seq, s.client_next_seq());
  EXPECT_EQ(rec.server.last_ack, s.client_next_seq());
  EXPECT_TRUE(rec.server.ack_seen);
  EXPECT_EQ(rec.client.isn, 1000u);
  EXPECT_EQ(rec.server.isn, 5000u);
  EXPECT_EQ(rec.client.window, 65535u);
}

TEST(TcpConnections, IndependentReassemblersDoNotShareState) {
  TcpSession s;
  auto frames = s.handshake();
  frames.push_back(s.client_send("alpha"));
  Recorder a, b;
  Reassembler ra(Config{}, a);
  Reassembler rb(Config{}, b);
  for (const auto& f : frames) ra.process(f.view());
  rb.process(frames.back().view());  // only the data packet: no handshake in this one
  ra.finish();
  rb.finish();
  EXPECT_EQ(a.bytes(kToServer), "alpha");
  EXPECT_TRUE(b.events.empty());
  EXPECT_EQ(ra.stats().connections_opened, 1u);
  EXPECT_EQ(rb.stats().connections_opened, 0u);
}

}  // namespace
}  // namespace flowkit::testing

namespace flowkit::testing {
namespace {

TEST(TcpConnections, ResetToSynMustAcknowledgeIt) {
  TcpSession s;
  auto frames = std::vector<Frame>{s.syn()};
  // A blind reset whose ACK does not acknowledge the SYN is ignored...
  frames.push_back(
      s.server_packet().flags(tcp_flags::RST | tcp_flags::ACK).seq(0).ack(1000).build());
  frames = frames + std::vector<Frame>{s.syn_ack(), s.handshake_ack(), s.client_send("alive")};
  Recorder rec;
  const auto stats = run_frames(Config{}, rec, frames);
  EXPECT_EQ(rec.bytes(Direction::ToServer), "alive");
  EXPECT_EQ(stats.dropped(DropReason::TcpRstOutOfWindow), 1u);

  // ...while a real refusal (ACK = ISN + 1) ends the attempt: nothing is announced.
  TcpSession refused;
  std::vector<Frame> refusal{
      refused.syn(),
      refused.server_packet().flags(tcp_flags::RST | tcp_flags::ACK).seq(0).ack(1001).build()};
  Recorder rec2;
  run_frames(Config{}, rec2, refusal);
  EXPECT_TRUE(rec2.events.empty());
}

TEST(TcpConnections, TruncatedSegmentDeliversCapturedPrefix) {
  TcpSession s;
  auto frames = s.handshake();
  auto cut = s.client_send("0123456789");
  cut.bytes.resize(cut.bytes.size() - 4);  // snaplen cut: "012345" captured of 10
  frames.push_back(cut);
  frames.push_back(s.server_ack());  // the server got all ten
  frames.push_back(s.client_send("after"));
  Recorder rec;
  run_frames(Config{}, rec, frames);
  EXPECT_EQ(rec.bytes(Direction::ToServer), "012345after");
  EXPECT_EQ(rec.events_starting("gap"),
            std::vector<std::string>{"gap 1 to-server offset 6 length 4 acked-unseen"});
}

}  // namespace
}  // namespace flowkit::testing

namespace flowkit::testing {
namespace {

TEST(TcpConnections, UrgentByteIsReportedAndStaysInStream) {
  struct Urgent : Recorder {
    std::string urgent;
    void on_urgent(Connection&, Direction, std::byte value) override {
      urgent += static_cast<char>(value);
    }
  } rec;
  TcpSession s;
  auto frames = s.handshake();
  frames.push_back(
      s.client_packet().flags(tcp_flags::ACK | tcp_flags::URG).urgent(3).payload("ab!cd").build());
  run_frames(Config{}, rec, frames);
  EXPECT_EQ(rec.urgent, "!");
  EXPECT_EQ(rec.bytes(Direction::ToServer), "ab!cd");
}

}  // namespace
}  // namespace flowkit::testing

namespace flowkit::testing {
namespace {

TEST(TcpConnections, KeptBytesAreOfferedOnceMoreBeforeGapAndEnd) {
  struct Keeper : Recorder {
    std::vector<std::string> last_offers;  // offers with no new bytes
    std::size_t on_data(Connection& c, Direction d, const StreamChunk& chunk) override {
      if (chunk.new_bytes == 0) {
        last_offers.emplace_back(reinterpret_cast<const char*>(chunk.bytes.data()),
                                 chunk.bytes.size());
      }
      Recorder::on_data(c, d, chunk);
      return 0;  // never consume: wait for a newline that never comes
    }
  } rec;
  TcpSession s;
  auto frames = s.handshake();
  frames.push_back(s.client_at(0, "partial line"));
  frames.push_back(s.client_at(20, "after gap"));
  frames.push_back(s.server_ack_to(0));
  frames.push_back(s.client_ack_to(0));
  Config config;
  frames.push_back(s.server_packet().flags(tcp_flags::ACK).ack(s.client_next_seq() + 29).build());
  run_frames(config, rec, frames);
  EXPECT_EQ(rec.last_offers, (std::vector<std::string>{"partial line", "after gap"}));
}

// The per-connection slot hands back what was stored as its own type, as a base of it, and
// nothing for a type it is not (an exact type match takes a shorter way than the cast).
struct SlotBase : ConnectionData {
  int bytes = 0;
};
struct SlotDerived final : SlotBase {};
struct SlotOther final : ConnectionData {};

class SlotHandler : public Handler {
 public:
  bool derived = false;
  std::vector<std::string> seen;
  void on_established(Connection& c) override {
    if (derived) {
      c.set_data(std::make_unique<SlotDerived>());
    } else {
      c.set_data(std::make_unique<SlotBase>());
    }
  }
  std::size_t on_data(Connection& c, Direction, const StreamChunk& chunk) override {
    auto* base = c.data<SlotBase>();
    if (base != nullptr) base->bytes += static_cast<int>(chunk.new_bytes);
    seen.push_back(fmt::format("base={} derived={} other={} bytes={}", base != nullptr,
                               c.data<SlotDerived>() != nullptr, c.data<SlotOther>() != nullptr,
                               base ? base->bytes : -1));
    return chunk.bytes.size();
  }
};

TEST(ConnectionSlot, GivesBackItsOwnTypeOrABaseOfItAndNothingElse) {
  for (const bool derived : {false, true}) {
    TcpSession s;
    auto frames = s.handshake();
    frames.push_back(s.client_send("abc"));
    frames.push_back(s.client_send("de"));
    SlotHandler h;
    h.derived = derived;
    Reassembler r(Config{}, h);
    for (const auto& f : frames) r.process(f.view());
    r.finish();
    EXPECT_EQ(h.seen, (std::vector<std::string>{
                          fmt::format("base=true derived={} other=false bytes=3", derived),
                          fmt::format("base=true derived={} other=false bytes=5", derived)}));
  }
}

}  // namespace
}  // namespace flowkit::testing
