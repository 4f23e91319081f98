// Limits at their edges, as the fuzzers and floods found them: data queued before the handshake
// completes, and an ACK that covers many holes at once.
#include <gtest/gtest.h>

#include <limits>

#include "flowkit/reassembler.h"
#include "packet_builder.h"
#include "recorder.h"

namespace flowkit::testing {
namespace {

TEST(Limits, DataQueuedBeforeTheHandshakeOverTheLimitIsDropped) {
  // Until the handshake completes nothing can be delivered or reported, so queued data over the
  // per-stream limit cannot be skipped: it is dropped (this used to loop forever). The segments
  // carry no ACK: any ACK would complete the handshake as far as a passive observer can tell.
  Config config;
  config.tcp.stream_buffer_limit = 16;
  TcpSession s;
  std::vector<Frame> frames{s.syn()};
  frames.push_back(s.client_at(0, "aaaaaaaaaa", tcp_flags::PSH));
  frames.push_back(s.client_at(10, "bbbbbbbbbb", tcp_flags::PSH));  // 20 queued > 16: dropped
  frames.push_back(s.client_at(20, "cccccccccc", tcp_flags::PSH));
  frames.push_back(s.syn_ack());
  frames.push_back(s.handshake_ack());
  frames.push_back(s.client_at(30, "tail"));
  Recorder rec;
  const Stats stats = run_frames(config, rec, frames);
  EXPECT_EQ(stats.dropped(DropReason::TcpStreamMemcap), 1U);
  EXPECT_EQ(rec.bytes(Direction::ToServer), "cccccccccctail");
  EXPECT_EQ(rec.events, (std::vector<std::string>{"established 10.0.0.1:40000 -> 10.0.0.2:80",
                                                  "gap 1 to-server offset 0 length 20 stream-end",
                                                  "end 1 end-of-input"}));
}

TEST(Limits, MemcapReachedBeforeTheHandshakeDropsTheQueue) {
  Config config;
  config.tcp.memcap = 100;
  TcpSession s;
  std::vector<Frame> frames{s.syn()};
  for (std::uint32_t i = 0; i < 8; ++i)
    frames.push_back(s.client_at(2 * i + 1, "x", tcp_flags::PSH));
  Recorder rec;
  Reassembler r(config, rec);
  for (const auto& f : frames) {
    r.process(f.view());
    // A queued byte is charged with its bookkeeping, so the cap holds in real memory.
    EXPECT_LE(r.memory_used(), config.tcp.memcap);
  }
  r.finish();
  EXPECT_GE(r.stats().dropped(DropReason::TcpStreamMemcap), 1U);
  EXPECT_TRUE(rec.events.empty());  // never established: nothing announced, nothing reported
}

TEST(Limits, ConflictsBeforeTheHandshakeAreCountedNotReported) {
  // A handler first hears of a connection in on_established; overlaps that differ while the
  // handshake is incomplete are counted in Stats only.
  TcpSession s;
  std::vector<Frame> frames{s.syn()};
  frames.push_back(s.client_at(4, "GOOD", tcp_flags::PSH));
  frames.push_back(s.client_at(4, "EVIL", tcp_flags::PSH));
  for (auto& f : std::vector<Frame>{s.syn_ack(), s.handshake_ack(), s.client_at(0, "GET ")}) {
    frames.push_back(f);
  }
  Recorder rec;
  const Stats stats = run_frames(Config{}, rec, frames);
  EXPECT_EQ(stats.tcp_overlap_conflicts, 1U);
  EXPECT_EQ(rec.events, (std::vector<std::string>{"established 10.0.0.1:40000 -> 10.0.0.2:80",
                                                  "end 1 end-of-input"}));
  EXPECT_EQ(rec.bytes(Direction::ToServer), "GET GOOD");
}

TEST(Limits, EvictedHalfOpenConnectionGivesBackItsQueuedData) {
  // A half-open connection pushed out at max_connections used to be erased with its queued
  // bytes still counted, so the memory cap filled up for good (found by the defrag fuzzer).
  Config config;
  config.tcp.max_connections = 1;
  TcpSession first;
  std::vector<Frame> frames{first.syn(), first.client_at(1, "queued", tcp_flags::PSH)};
  TcpSession::Options o;
  o.client_port = 40001;
  TcpSession second(o);
  frames.push_back(second.syn());
  Recorder rec;
  Reassembler r(config, rec);
  for (const auto& f : frames) r.process(f.view());
  EXPECT_EQ(r.stats().dropped(DropReason::ConnectionLimit), 1U);
  EXPECT_EQ(r.memory_used(), 0U);
  r.finish();
  EXPECT_EQ(r.memory_used(), 0U);
}

TEST(Limits, ResetBeforeTheHandshakeGivesBackQueuedData) {
  // Refused before its handshake completed, a connection lingers to absorb late segments; what
  // it had queued is released at once (it used to stay counted after the node was reused).
  TcpSession s;
  std::vector<Frame> frames{
      s.syn(), s.client_at(1, "queued", tcp_flags::PSH),
      s.server_packet().flags(tcp_flags::RST | tcp_flags::ACK).seq(0).ack(1001).build()};
  TcpSession::Options o;
  o.client_isn = 777;
  TcpSession again(o);
  frames.push_back(again.syn());  // reuses the ports
  Recorder rec;
  Reassembler r(Config{}, rec);
  for (const auto& f : frames) r.process(f.view());
  EXPECT_EQ(r.memory_used(), 0U);
  r.finish();
  EXPECT_EQ(r.memory_used(), 0U);
}

TEST(Limits, AnAckCoveringManyHolesSkipsThemAll) {
  TcpSession s;
  auto frames = s.handshake();
  frames.push_back(s.client_at(1, "a"));
  frames.push_back(s.client_at(3, "b"));
  frames.push_back(s.client_at(5, "c"));
  frames.push_back(s.client_at(7, "d"));
  frames.push_back(s.server_ack_to(8));  // the server got all eight bytes
  Recorder rec;
  run_frames(Config{}, rec, frames);
  EXPECT_EQ(rec.bytes(Direction::ToServer), "abcd");
  EXPECT_EQ(rec.events_starting("gap"),
            (std::vector<std::string>{"gap 1 to-server offset 0 length 1 acked-unseen",
                                      "gap 1 to-server offset 2 length 1 acked-unseen",
                                      "gap 1 to-server offset 4 length 1 acked-unseen",
                                      "gap 1 to-server offset 6 length 1 acked-unseen"}));
}

TEST(Limits, TimesAtBothEndsOfTheRangeDoNotOverflowTheTimers) {
  // Broken capture files carry any 64-bit time; timers compare differences of such times, which
  // saturate instead of overflowing (UBSan caught `now - last_seen` going past 2^63).
  constexpr Timestamp kLow{std::numeric_limits<Timestamp::rep>::min() + 5};
  // (TcpSession adds 1 ms per frame: leave it room below the top.)
  constexpr Timestamp kHigh{std::numeric_limits<Timestamp::rep>::max() - 1'000'000'000'000};
  TcpSession::Options o;
  o.start = kLow;
  TcpSession s(o);
  auto frames = s.handshake();
  frames.push_back(s.client_send("early"));
  // An incomplete fragmented datagram at the same low time, for the defragmenter's timer.
  frames.push_back(PacketBuilder()
                       .ipv4("10.9.9.1", "10.9.9.2")
                       .udp(1, 2)
                       .payload(std::string(64, 'f'))
                       .time(kLow)
                       .fragments(16)
                       .front());
  s.at(kHigh);
  frames.push_back(s.client_send("late"));
  Recorder rec;
  const Stats stats = run_frames(Config{}, rec, frames);
  // The jump forward is longer than every timeout: the connection timed out, the datagram too.
  EXPECT_EQ(rec.events_starting("end"), std::vector<std::string>{"end 1 timeout"});
  EXPECT_EQ(stats.dropped(DropReason::FragmentTimeout), 1U);
  EXPECT_EQ(rec.bytes(Direction::ToServer, 1), "early");
}

}  // namespace
}  // namespace flowkit::testing
