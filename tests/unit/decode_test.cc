// The decoder and IP layer seen through the Reassembler: link types, VLAN stacks, IPv6
// extension headers, IP fragments, checksums and malformed packets.
#include <gtest/gtest.h>

#include "flowkit/link_type.h"
#include "flowkit/reassembler.h"
#include "packet_builder.h"
#include "recorder.h"

namespace flowkit::testing {
namespace {

std::vector<Frame> conversation(TcpSession& s) {
  auto frames = s.handshake();
  frames.push_back(s.client_send("GET /index.html HTTP/1.1\r\n\r\n"));
  frames.push_back(s.server_send("HTTP/1.1 200 OK\r\n\r\nbody"));
  frames.push_back(s.client_fin());
  frames.push_back(s.server_fin());
  return frames;
}

struct LinkCase {
  const char* name;
  Link link;
  std::vector<std::uint16_t> vlans;
  bool v6;
};

class LinkLayers : public ::testing::TestWithParam<LinkCase> {};

TEST_P(LinkLayers, SameStreamOverEveryLinkType) {
  const auto& c = GetParam();
  TcpSession::Options o;
  o.link = c.link;
  o.vlans = c.vlans;
  if (c.v6) {
    o.client = "2001:db8::1";
    o.server = "2001:db8::2";
  }
  TcpSession s(o);
  Recorder rec;
  const auto stats = run_frames(Config{}, rec, conversation(s));
  EXPECT_EQ(rec.bytes(Direction::ToServer), "GET /index.html HTTP/1.1\r\n\r\n");
  EXPECT_EQ(rec.bytes(Direction::ToClient), "HTTP/1.1 200 OK\r\n\r\nbody");
  EXPECT_EQ(rec.events.back(), "end 1 close");
  EXPECT_EQ(stats.ipv6_packets, c.v6 ? stats.ip_packets : 0u);
}

INSTANTIATE_TEST_SUITE_P(All, LinkLayers,
                         ::testing::Values(LinkCase{"ethernet", Link::Ethernet, {}, false},
                                           LinkCase{"ethernet6", Link::Ethernet, {}, true},
                                           LinkCase{"vlan", Link::Ethernet, {42}, false},
                                           LinkCase{"qinq", Link::Ethernet, {10, 20}, false},
                                           LinkCase{"qinqinq6", Link::Ethernet, {1, 2, 3}, true},
                                           LinkCase{"sll", Link::Sll, {}, false},
                                           LinkCase{"sll6", Link::Sll, {}, true},
                                           LinkCase{"sll2", Link::Sll2, {}, false},
                                           LinkCase{"null", Link::Null, {}, false},
                                           LinkCase{"null6", Link::Null, {}, true},
                                           LinkCase{"raw", Link::Raw, {}, false},
                                           LinkCase{"raw6", Link::Raw, {}, true}),
                         [](const auto& p) { return std::string(p.param.name); });

TEST(Decode, VlanSeparatesOtherwiseIdenticalFlows) {
  std::vector<Frame> frames;
  for (std::uint16_t vlan : {0, 42}) {
    TcpSession::Options o;
    if (vlan != 0) o.vlans = {vlan};
    TcpSession s(o);
    auto part = s.handshake();
    part.push_back(s.client_send(vlan == 0 ? "untagged" : "tagged"));
    frames.insert(frames.end(), part.begin(), part.end());
  }
  Recorder rec;
  run_frames(Config{}, rec, frames);
  EXPECT_EQ(rec.bytes(Direction::ToServer, 1), "untagged");
  EXPECT_EQ(rec.bytes(Direction::ToServer, 2), "tagged");
}

TEST(Decode, Ipv6ExtensionHeadersAreWalked) {
  TcpSession::Options o;
  o.client = "2001:db8::1";
  o.server = "2001:db8::2";
  TcpSession s(o);
  auto frames = s.handshake();
  frames.push_back(s.client_packet()
                       .ipv6_ext(0)
                       .ipv6_ext(60, 16)
                       .ipv6_ext(43)
                       .flags(tcp_flags::ACK | tcp_flags::PSH)
                       .payload("through extension headers")
                       .build());
  Recorder rec;
  run_frames(Config{}, rec, frames);
  EXPECT_EQ(rec.bytes(Direction::ToServer), "through extension headers");
}

TEST(Decode, TcpInsideIpv4AndIpv6FragmentsIsReassembled) {
  for (const char* client : {"10.0.0.1", "2001:db8::1"}) {
    TcpSession::Options o;
    o.client = client;
    o.server =
        std::string_view(client).find(':') != std::string_view::npos ? "2001:db8::2" : "10.0.0.2";
    TcpSession s(o);
    auto frames = s.handshake();
    const std::string big(3000, 'q');
    auto pieces = s.client_packet().flags(tcp_flags::ACK).payload(big).ip_id(77).fragments(1000);
    ASSERT_GE(pieces.size(), 3u);
    std::reverse(pieces.begin(), pieces.end());  // arrival order must not matter
    frames.insert(frames.end(), pieces.begin(), pieces.end());
    Recorder rec;
    const auto stats = run_frames(Config{}, rec, frames);
    EXPECT_EQ(rec.bytes(Direction::ToServer), big) << client;
    EXPECT_EQ(stats.datagrams_reassembled, 1u) << client;
  }
}

TEST(Decode, UdpDatagramsReachCallbackAfterDefragmentation) {
  const std::string payload(2500, 'u');
  auto pieces = PacketBuilder()
                    .ipv4("10.1.1.1", "10.1.1.2")
                    .udp(5353, 53)
                    .payload(payload)
                    .ip_id(9)
                    .fragments(800);
  auto single =
      PacketBuilder().ipv6("2001:db8::5", "2001:db8::6").udp(1, 2).payload("small").build();
  pieces.push_back(single);
  Recorder rec;
  const auto stats = run_frames(Config{}, rec, pieces);
  EXPECT_EQ(rec.udp_payloads, (std::vector<std::string>{payload, "small"}));
  EXPECT_EQ(stats.udp_datagrams, 2u);
}

TEST(Decode, ChecksumsVerifiedOnlyWhenAsked) {
  TcpSession s;
  auto frames = s.handshake();
  frames.push_back(
      s.client_packet().flags(tcp_flags::ACK).payload("corrupt").bad_l4_checksum().build());
  frames.push_back(s.client_packet().flags(tcp_flags::ACK).payload("corrupt").build());
  Config strict;
  strict.verify_l4_checksum = true;
  Recorder lax_rec, strict_rec;
  run_frames(Config{}, lax_rec, frames);
  const auto stats = run_frames(strict, strict_rec, frames);
  EXPECT_EQ(lax_rec.bytes(Direction::ToServer), "corrupt");  // first copy wins, delivered once
  EXPECT_EQ(strict_rec.bytes(Direction::ToServer), "corrupt");
  EXPECT_EQ(stats.dropped(DropReason::BadL4Checksum), 1u);

  Config ip_strict;
  ip_strict.verify_ip_checksum = true;
  std::vector<Frame> bad_ip{
      PacketBuilder().ipv4("1.1.1.1", "2.2.2.2").udp(1, 2).payload("x").bad_ip_checksum().build()};
  Recorder rec;
  EXPECT_EQ(run_frames(ip_strict, rec, bad_ip).dropped(DropReason::BadIpChecksum), 1u);
}

TEST(Decode, TruncatedAndMalformedPacketsAreCountedNeverCrash) {
  TcpSession s;
  const auto good = s.client_send("payload").bytes;
  Recorder rec;
  Reassembler r(Config{}, rec);
  // Every prefix of a valid frame: each is dropped with a reason or decoded, never a crash.
  for (std::size_t n = 0; n < good.size(); ++n) {
    RawFrame f;
    f.data = std::span<const std::byte>(good).first(n);
    f.wire_length = static_cast<std::uint32_t>(good.size());
    r.process(f);
  }
  const auto& st = r.stats();
  EXPECT_EQ(st.packets, good.size());
  EXPECT_GT(st.dropped(DropReason::Truncated), 0u);

  // Absurd header lengths.
  const auto truncated_before = r.stats().dropped(DropReason::Truncated);
  auto bad = good;
  bad[14] = std::byte{0x4f};  // IHL 15: a 60-byte header, longer than what was captured
  RawFrame f;
  f.data = bad;
  r.process(f);
  EXPECT_EQ(r.stats().dropped(DropReason::Truncated), truncated_before + 1);
  bad = good;
  bad[14] = std::byte{0x43};  // IHL 3: shorter than the minimum
  f.data = bad;
  r.process(f);
  bad = good;
  bad[16] = std::byte{0};  // total length 10: shorter than the header
  bad[17] = std::byte{10};
  f.data = bad;
  r.process(f);
  EXPECT_EQ(r.stats().dropped(DropReason::BadIpHeader), 2u);

  // Unknown link type.
  f.data = good;
  f.link_type = 147;
  r.process(f);
  EXPECT_EQ(r.stats().dropped(DropReason::UnsupportedLinkType), 1u);
  EXPECT_FALSE(link_type_supported(147));
  EXPECT_TRUE(link_type_supported(1));
  EXPECT_NE(link_type_name(1).find("EN10MB"), std::string::npos);
}

TEST(Decode, RandomGarbageNeverCrashes) {
  Recorder rec;
  Reassembler r(Config{}, rec);
  std::uint64_t x = 0x9e3779b97f4a7c15ULL;
  std::vector<std::byte> buf(200);
  for (int i = 0; i < 20000; ++i) {
    for (auto& b : buf) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      b = static_cast<std::byte>(x);
    }
    // Make most of them look like IPv4/IPv6 so the deeper layers get exercised.
    buf[0] = std::byte{static_cast<unsigned char>(i % 3 == 0 ? 0x45 : i % 3 == 1 ? 0x60 : 0x46)};
    RawFrame f;
    f.link_type = 101;
    f.data = std::span<const std::byte>(buf).first(static_cast<std::size_t>(x % buf.size()));
    f.ts = std::chrono::seconds(i);
    r.process(f);
  }
  r.finish();
  EXPECT_EQ(r.stats().packets, 20000u);
}

}  // namespace
}  // namespace flowkit::testing
