#include "packet_builder.h"

#include <arpa/inet.h>

#include <algorithm>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

namespace flowkit::testing {
namespace {

constexpr std::uint16_t kEtherTypeIpv4 = 0x0800;
constexpr std::uint16_t kEtherTypeIpv6 = 0x86DD;
constexpr std::uint8_t kProtoTcp = 6;
constexpr std::uint8_t kProtoUdp = 17;
constexpr std::uint8_t kExtHopByHop = 0;
constexpr std::uint8_t kExtRouting = 43;
constexpr std::uint8_t kExtFragment = 44;
constexpr std::uint8_t kExtDestination = 60;
constexpr std::size_t kIpv4HeaderSize = 20;
constexpr std::size_t kIpv6HeaderSize = 40;
constexpr std::size_t kTcpHeaderSize = 20;
constexpr std::size_t kUdpHeaderSize = 8;
constexpr std::size_t kMaxOptionBytes = 40;
constexpr std::uint16_t kMaxIpLength = 65535;
constexpr std::uint32_t kBsdAfInet = 2;
constexpr std::uint32_t kBsdAfInet6 = 30;  // macOS; the other BSDs use 24 or 28
// Flipping these bits changes a ones'-complement checksum to a value that never verifies
// (unlike 0x0000 <-> 0xFFFF, which are the same number).
constexpr std::uint16_t kChecksumSpoiler = 0x5A5A;

using Bytes = std::vector<std::byte>;

void put8(Bytes& out, std::uint32_t v) {
  out.push_back(static_cast<std::byte>(v & 0xFFU));
}
void put16(Bytes& out, std::uint32_t v) {
  put8(out, v >> 8);
  put8(out, v);
}
void put32(Bytes& out, std::uint32_t v) {
  put16(out, v >> 16);
  put16(out, v);
}
void set16(Bytes& out, std::size_t at, std::uint32_t v) {
  out[at] = static_cast<std::byte>((v >> 8) & 0xFFU);
  out[at + 1] = static_cast<std::byte>(v & 0xFFU);
}
void append(Bytes& out, std::span<const std::byte> data) {
  out.insert(out.end(), data.begin(), data.end());
}
void pad_to_4(Bytes& out) {
  while (out.size() % 4 != 0) out.push_back(std::byte{0});
}

/// The Internet checksum (RFC 1071). Only the last piece added may have an odd length.
class Checksum {
 public:
  void add(std::span<const std::byte> data) noexcept {
    for (std::size_t i = 0; i + 1 < data.size(); i += 2) {
      sum_ += (std::to_integer<std::uint32_t>(data[i]) << 8) |
              std::to_integer<std::uint32_t>(data[i + 1]);
    }
    if (data.size() % 2 != 0) sum_ += std::to_integer<std::uint32_t>(data.back()) << 8;
  }
  void add16(std::uint32_t v) noexcept { sum_ += v & 0xFFFFU; }
  void add32(std::uint32_t v) noexcept {
    add16(v >> 16);
    add16(v);
  }
  [[nodiscard]] std::uint16_t finish() const noexcept {
    std::uint64_t s = sum_;
    while (s >> 16 != 0) s = (s & 0xFFFFU) + (s >> 16);
    return static_cast<std::uint16_t>(~s & 0xFFFFU);
  }

 private:
  std::uint64_t sum_ = 0;
};

std::array<std::byte, 16> parse_address(std::string_view text, bool v6) {
  const std::string copy(text);
  std::array<std::byte, 16> out{};
  if (inet_pton(v6 ? AF_INET6 : AF_INET, copy.c_str(), out.data()) != 1) {
    throw std::invalid_argument(
        fmt::format("PacketBuilder: '{}' is not an {} address", text, v6 ? "IPv6" : "IPv4"));
  }
  return out;
}

bool is_v6_text(std::string_view address) {
  return address.find(':') != std::string_view::npos;
}

/// Ethertype chain as it follows the MAC addresses: each tag's TPID and TCI, then the ethertype.
Bytes tag_chain(std::span<const std::pair<std::uint16_t, std::uint16_t>> vlans,
                std::uint16_t ethertype) {
  Bytes chain;
  for (const auto& [id, tpid] : vlans) {
    put16(chain, tpid);
    put16(chain, id & 0x0FFFU);
  }
  put16(chain, ethertype);
  return chain;
}

Frame wrap(Link link, std::span<const std::byte> chain, std::span<const std::byte> ip_packet,
           Timestamp ts) {
  Frame frame;
  frame.ts = ts;
  frame.link_type = link_type_of(link);
  Bytes& out = frame.bytes;
  const bool tagged = chain.size() > 2;
  const bool v6 = !ip_packet.empty() && (std::to_integer<unsigned>(ip_packet[0]) >> 4) == 6;
  switch (link) {
    case Link::Ethernet:
      for (const int b : {0x02, 0, 0, 0, 0, 0x02}) put8(out, static_cast<std::uint32_t>(b));
      for (const int b : {0x02, 0, 0, 0, 0, 0x01}) put8(out, static_cast<std::uint32_t>(b));
      append(out, chain);
      break;
    case Link::Sll:
      put16(out, 0);  // packet type: addressed to this host
      put16(out, 1);  // ARPHRD_ETHER
      put16(out, 6);  // address length
      for (const int b : {0x02, 0, 0, 0, 0, 0x01, 0, 0}) put8(out, static_cast<std::uint32_t>(b));
      append(out, chain);  // its first two bytes are the protocol field
      break;
    case Link::Sll2:
      append(out, chain.first(2));  // protocol comes first in SLL2
      put16(out, 0);                // reserved
      put32(out, 1);                // interface index
      put16(out, 1);                // ARPHRD_ETHER
      put8(out, 0);                 // packet type: addressed to this host
      put8(out, 6);                 // address length
      for (const int b : {0x02, 0, 0, 0, 0, 0x01, 0, 0}) put8(out, static_cast<std::uint32_t>(b));
      append(out, chain.subspan(2));
      break;
    case Link::Null:
    case Link::Raw:
      if (tagged)
        throw std::invalid_argument("PacketBuilder: VLAN tags need an Ethernet or SLL link");
      if (link == Link::Null) {
        // Host byte order of the capturing machine; our pcap files are little-endian.
        const std::uint32_t family = v6 ? kBsdAfInet6 : kBsdAfInet;
        for (int shift = 0; shift < 32; shift += 8) put8(out, family >> shift);
      }
      break;
  }
  append(out, ip_packet);
  frame.wire_length = static_cast<std::uint32_t>(out.size());
  return frame;
}

Bytes ipv4_header(std::span<const std::byte, 16> src, std::span<const std::byte, 16> dst,
                  std::span<const std::byte> options, std::uint16_t id, std::uint16_t frag_field,
                  std::uint8_t ttl, std::uint8_t protocol, std::size_t payload_length) {
  const std::size_t header_length = kIpv4HeaderSize + options.size();
  if (header_length + payload_length > kMaxIpLength) {
    throw std::invalid_argument("PacketBuilder: IPv4 packet longer than 65535 bytes");
  }
  Bytes h;
  put8(h, 0x40U | static_cast<std::uint32_t>(header_length / 4));
  put8(h, 0);  // DSCP/ECN
  put16(h, static_cast<std::uint32_t>(header_length + payload_length));
  put16(h, id);
  put16(h, frag_field);
  put8(h, ttl);
  put8(h, protocol);
  put16(h, 0);  // checksum, below
  append(h, src.first(4));
  append(h, dst.first(4));
  append(h, options);
  return h;
}

void fill_ipv4_checksum(Bytes& header, bool spoil) {
  set16(header, 10, 0);
  Checksum sum;
  sum.add(header);
  const std::uint16_t value = sum.finish();
  set16(header, 10, spoil ? value ^ kChecksumSpoiler : value);
}

Bytes ipv6_header(std::span<const std::byte, 16> src, std::span<const std::byte, 16> dst,
                  std::uint8_t next_header, std::uint8_t hop_limit, std::size_t payload_length) {
  if (payload_length > kMaxIpLength) {
    throw std::invalid_argument("PacketBuilder: IPv6 payload longer than 65535 bytes");
  }
  Bytes h;
  put32(h, 0x60000000U);  // version 6, no traffic class, no flow label
  put16(h, static_cast<std::uint32_t>(payload_length));
  put8(h, next_header);
  put8(h, hop_limit);
  append(h, src);
  append(h, dst);
  return h;
}

Bytes fragment_header(std::uint8_t next_header, std::uint32_t offset, bool more, std::uint32_t id) {
  Bytes h;
  put8(h, next_header);
  put8(h, 0);
  put16(h, offset | (more ? 1U : 0U));  // offset is in bytes and a multiple of 8: already << 3
  put32(h, id);
  return h;
}

}  // namespace

int link_type_of(Link link) noexcept {
  switch (link) {
    case Link::Ethernet:
      return 1;
    case Link::Raw:
      return 101;
    case Link::Null:
      return 0;
    case Link::Sll:
      return 113;
    case Link::Sll2:
      return 276;
  }
  return 1;
}

RawFrame Frame::view() const noexcept {
  const auto size = static_cast<std::uint32_t>(bytes.size());
  return RawFrame{ts, link_type, bytes, std::max(wire_length, size)};
}

std::vector<RawFrame> views(std::span<const Frame> frames) {
  std::vector<RawFrame> out;
  out.reserve(frames.size());
  for (const Frame& f : frames) out.push_back(f.view());
  return out;
}

std::vector<std::byte> bytes_of(std::string_view text) {
  std::vector<std::byte> out(text.size());
  std::transform(text.begin(), text.end(), out.begin(),
                 [](char c) { return static_cast<std::byte>(c); });
  return out;
}

// --- PacketBuilder ---------------------------------------------------------------------------

struct PacketBuilder::IpPacket {
  Bytes bytes;
  std::size_t header_length = 0;   // everything before the L4 header
  std::size_t unfragmentable = 0;  // IPv6: fixed header plus per-fragment extension headers
  std::size_t next_header_at = 0;  // IPv6: the byte naming the first fragmentable header
};

PacketBuilder& PacketBuilder::link(Link l) {
  link_ = l;
  return *this;
}

PacketBuilder& PacketBuilder::vlan(std::uint16_t id, std::uint16_t tpid) {
  vlans_.push_back(Vlan{id, tpid});
  return *this;
}

PacketBuilder& PacketBuilder::ipv4(std::string_view src, std::string_view dst) {
  src_ = parse_address(src, false);
  dst_ = parse_address(dst, false);
  ip_ = Ip::V4;
  return *this;
}

PacketBuilder& PacketBuilder::ipv6(std::string_view src, std::string_view dst) {
  src_ = parse_address(src, true);
  dst_ = parse_address(dst, true);
  ip_ = Ip::V6;
  return *this;
}

PacketBuilder& PacketBuilder::ttl(std::uint8_t ttl) {
  ttl_ = ttl;
  return *this;
}

PacketBuilder& PacketBuilder::ip_id(std::uint16_t id) {
  ip_id_ = id;
  return *this;
}

PacketBuilder& PacketBuilder::ipv4_option(std::span<const std::byte> options) {
  Bytes padded(ipv4_options_);
  append(padded, options);
  pad_to_4(padded);
  if (padded.size() > kMaxOptionBytes) {
    throw std::invalid_argument("PacketBuilder: IPv4 options longer than 40 bytes");
  }
  ipv4_options_ = std::move(padded);
  return *this;
}

PacketBuilder& PacketBuilder::ipv6_ext(std::uint8_t type, std::size_t length) {
  if (type == kExtFragment) length = 8;
  if (length < 8 || length % 8 != 0 || length > 2048) {
    throw std::invalid_argument(fmt::format(
        "PacketBuilder: IPv6 extension header length {} is not a multiple of 8 in 8..2048",
        length));
  }
  extensions_.push_back(Extension{type, length});
  return *this;
}

PacketBuilder& PacketBuilder::ip_protocol(std::uint8_t protocol) {
  ip_protocol_ = protocol;
  return *this;
}

PacketBuilder& PacketBuilder::tcp(std::uint16_t sport, std::uint16_t dport) {
  l4_ = L4::Tcp;
  sport_ = sport;
  dport_ = dport;
  return *this;
}

PacketBuilder& PacketBuilder::seq(std::uint32_t seq) {
  seq_ = seq;
  return *this;
}

PacketBuilder& PacketBuilder::ack(std::uint32_t ack) {
  ack_ = ack;
  return *this;
}

PacketBuilder& PacketBuilder::flags(std::uint8_t flags) {
  flags_ = flags;
  return *this;
}

PacketBuilder& PacketBuilder::window(std::uint16_t window) {
  window_ = window;
  return *this;
}

PacketBuilder& PacketBuilder::urgent(std::uint16_t pointer) {
  urgent_ = pointer;
  return *this;
}

PacketBuilder& PacketBuilder::tcp_options(std::span<const std::byte> options) {
  Bytes padded(options.begin(), options.end());
  pad_to_4(padded);
  if (padded.size() > kMaxOptionBytes) {
    throw std::invalid_argument("PacketBuilder: TCP options longer than 40 bytes");
  }
  tcp_options_ = std::move(padded);
  return *this;
}

PacketBuilder& PacketBuilder::udp(std::uint16_t sport, std::uint16_t dport) {
  l4_ = L4::Udp;
  sport_ = sport;
  dport_ = dport;
  return *this;
}

PacketBuilder& PacketBuilder::payload(std::string_view text) {
  return payload(bytes_of(text));
}

PacketBuilder& PacketBuilder::payload(std::span<const std::byte> bytes) {
  payload_.assign(bytes.begin(), bytes.end());
  return *this;
}

PacketBuilder& PacketBuilder::bad_ip_checksum() {
  bad_ip_checksum_ = true;
  return *this;
}

PacketBuilder& PacketBuilder::bad_l4_checksum() {
  bad_l4_checksum_ = true;
  return *this;
}

PacketBuilder& PacketBuilder::time(Timestamp ts) {
  ts_ = ts;
  return *this;
}

std::vector<std::byte> PacketBuilder::build_l4() const {
  Bytes out;
  std::uint8_t protocol = ip_protocol_;
  if (l4_ == L4::Tcp) {
    protocol = kProtoTcp;
    const std::size_t header_length = kTcpHeaderSize + tcp_options_.size();
    put16(out, sport_);
    put16(out, dport_);
    put32(out, seq_);
    put32(out, ack_);
    put8(out, static_cast<std::uint32_t>(header_length / 4) << 4);
    put8(out, flags_);
    put16(out, window_);
    put16(out, 0);  // checksum, below
    put16(out, urgent_);
    append(out, tcp_options_);
  } else if (l4_ == L4::Udp) {
    protocol = kProtoUdp;
    put16(out, sport_);
    put16(out, dport_);
    put16(out, static_cast<std::uint32_t>(kUdpHeaderSize + payload_.size()));
    put16(out, 0);  // checksum, below
  }
  append(out, payload_);
  if (l4_ == L4::None) return out;

  // Pseudo-header: addresses, protocol and upper-layer length (RFC 793 / RFC 8200 8.1).
  Checksum sum;
  const bool v6 = ip_ == Ip::V6;
  sum.add(std::span<const std::byte>{src_}.first(v6 ? 16 : 4));
  sum.add(std::span<const std::byte>{dst_}.first(v6 ? 16 : 4));
  sum.add32(static_cast<std::uint32_t>(out.size()));
  sum.add16(protocol);
  sum.add(out);
  std::uint16_t value = sum.finish();
  if (l4_ == L4::Udp && value == 0) value = 0xFFFF;  // 0 would mean "no checksum"
  if (bad_l4_checksum_) {
    value ^= kChecksumSpoiler;
    if (l4_ == L4::Udp && value == 0) value = 0x1234;
  }
  set16(out, l4_ == L4::Tcp ? 16 : 6, value);
  return out;
}

PacketBuilder::IpPacket PacketBuilder::build_ip() const {
  if (ip_ == Ip::None) {
    throw std::invalid_argument("PacketBuilder: call ipv4() or ipv6() before build()");
  }
  const std::uint8_t protocol =
      l4_ == L4::Tcp ? kProtoTcp : (l4_ == L4::Udp ? kProtoUdp : ip_protocol_);
  IpPacket ip;
  const Bytes l4 = build_l4();
  if (ip_ == Ip::V4) {
    ip.bytes = ipv4_header(src_, dst_, ipv4_options_, ip_id_, 0, ttl_, protocol, l4.size());
    fill_ipv4_checksum(ip.bytes, bad_ip_checksum_);
    ip.header_length = ip.unfragmentable = ip.bytes.size();
    append(ip.bytes, l4);
    return ip;
  }

  std::size_t ext_total = 0;
  for (const Extension& e : extensions_) ext_total += e.length;
  const std::uint8_t first = extensions_.empty() ? protocol : extensions_.front().type;
  ip.bytes = ipv6_header(src_, dst_, first, ttl_, ext_total + l4.size());
  ip.next_header_at = 6;
  ip.unfragmentable = kIpv6HeaderSize;
  for (std::size_t i = 0; i < extensions_.size(); ++i) {
    const Extension& e = extensions_[i];
    const std::uint8_t next = i + 1 < extensions_.size() ? extensions_[i + 1].type : protocol;
    const std::size_t start = ip.bytes.size();
    if (e.type == kExtFragment) {
      append(ip.bytes, fragment_header(next, 0, false, ip_id_));
    } else {
      put8(ip.bytes, next);
      put8(ip.bytes, static_cast<std::uint32_t>(e.length / 8 - 1));
      std::size_t room = e.length - 2;
      if (e.type == kExtHopByHop || e.type == kExtDestination) {
        // PadN options (at most 255 bytes each) then Pad1, so parsers see valid TLVs.
        while (room >= 2) {
          const std::size_t n = std::min<std::size_t>(room - 2, 255);
          put8(ip.bytes, 1);
          put8(ip.bytes, static_cast<std::uint32_t>(n));
          ip.bytes.insert(ip.bytes.end(), n, std::byte{0});
          room -= n + 2;
        }
        if (room == 1) put8(ip.bytes, 0);
      } else {
        // Routing type 0 with no segments left (ignored by every node) or an opaque header.
        ip.bytes.insert(ip.bytes.end(), room, std::byte{0});
      }
    }
    // Hop-by-hop and routing headers (and whatever precedes the last routing header) are
    // repeated in every fragment.
    if (e.type == kExtHopByHop || e.type == kExtRouting) {
      ip.unfragmentable = ip.bytes.size();
      ip.next_header_at = start;
    }
  }
  ip.header_length = ip.bytes.size();
  append(ip.bytes, l4);
  return ip;
}

Frame PacketBuilder::frame(std::span<const std::byte> ip_packet) const {
  std::vector<std::pair<std::uint16_t, std::uint16_t>> tags;
  for (const Vlan& v : vlans_) tags.emplace_back(v.id, v.tpid);
  const bool v6 = ip_ == Ip::V6;
  const Bytes chain = tag_chain(tags, v6 ? kEtherTypeIpv6 : kEtherTypeIpv4);
  return wrap(link_, chain, ip_packet, ts_);
}

Frame PacketBuilder::build() const {
  return frame(build_ip().bytes);
}

std::vector<Frame> PacketBuilder::fragments(std::size_t max_payload) const {
  const std::size_t chunk = max_payload & ~std::size_t{7};
  if (chunk == 0) throw std::invalid_argument("PacketBuilder: fragments need max_payload >= 8");
  const IpPacket ip = build_ip();
  std::vector<Frame> out;

  if (ip_ == Ip::V4) {
    const std::span<const std::byte> header{ip.bytes.data(), ip.header_length};
    const std::span<const std::byte> payload = std::span{ip.bytes}.subspan(ip.header_length);
    if (payload.size() <= chunk) {
      out.push_back(frame(ip.bytes));
      return out;
    }
    for (std::size_t offset = 0; offset < payload.size(); offset += chunk) {
      const std::size_t n = std::min(chunk, payload.size() - offset);
      const bool more = offset + n < payload.size();
      Bytes packet(header.begin(), header.end());
      set16(packet, 2, static_cast<std::uint32_t>(header.size() + n));
      set16(packet, 6, (more ? 0x2000U : 0U) | static_cast<std::uint32_t>(offset / 8));
      fill_ipv4_checksum(packet, bad_ip_checksum_);
      append(packet, payload.subspan(offset, n));
      out.push_back(frame(packet));
    }
    return out;
  }

  Bytes unfragmentable(ip.bytes.begin(),
                       ip.bytes.begin() + static_cast<std::ptrdiff_t>(ip.unfragmentable));
  const auto next_header = std::to_integer<std::uint8_t>(unfragmentable[ip.next_header_at]);
  unfragmentable[ip.next_header_at] = std::byte{kExtFragment};
  const std::span<const std::byte> rest = std::span{ip.bytes}.subspan(ip.unfragmentable);
  std::size_t offset = 0;
  do {
    const std::size_t n = std::min(chunk, rest.size() - offset);
    const bool more = offset + n < rest.size();
    Bytes packet = unfragmentable;
    append(packet, fragment_header(next_header, static_cast<std::uint32_t>(offset), more, ip_id_));
    append(packet, rest.subspan(offset, n));
    set16(packet, 4, static_cast<std::uint32_t>(packet.size() - kIpv6HeaderSize));
    out.push_back(frame(packet));
    offset += n;
  } while (offset < rest.size());
  return out;
}

// --- explicit fragments ----------------------------------------------------------------------

Frame ipv4_fragment(std::string_view src, std::string_view dst, std::uint16_t id,
                    std::uint8_t protocol, std::uint32_t offset, bool more,
                    std::span<const std::byte> data, Timestamp ts) {
  if (offset % 8 != 0 || offset / 8 > 0x1FFF) {
    throw std::invalid_argument(fmt::format("ipv4_fragment: bad offset {}", offset));
  }
  const auto s = parse_address(src, false);
  const auto d = parse_address(dst, false);
  Bytes packet =
      ipv4_header(s, d, {}, id, (more ? 0x2000U : 0U) | (offset / 8), 64, protocol, data.size());
  fill_ipv4_checksum(packet, false);
  append(packet, data);
  return wrap(Link::Ethernet, tag_chain({}, kEtherTypeIpv4), packet, ts);
}

Frame ipv6_fragment(std::string_view src, std::string_view dst, std::uint32_t id,
                    std::uint8_t next_header, std::uint32_t offset, bool more,
                    std::span<const std::byte> data, Timestamp ts) {
  if (offset % 8 != 0 || offset > 0xFFF8) {
    throw std::invalid_argument(fmt::format("ipv6_fragment: bad offset {}", offset));
  }
  const auto s = parse_address(src, true);
  const auto d = parse_address(dst, true);
  Bytes packet = ipv6_header(s, d, kExtFragment, 64, 8 + data.size());
  append(packet, fragment_header(next_header, offset, more, id));
  append(packet, data);
  return wrap(Link::Ethernet, tag_chain({}, kEtherTypeIpv6), packet, ts);
}

// --- TcpSession ------------------------------------------------------------------------------

TcpSession::TcpSession() : TcpSession(Options{}) {}

TcpSession::TcpSession(Options options)
    : options_(std::move(options)),
      client_next_(options_.client_isn + 1),
      server_next_(options_.server_isn + 1),
      now_(options_.start) {}

PacketBuilder TcpSession::packet(Side side) const {
  PacketBuilder b;
  b.link(options_.link);
  for (const std::uint16_t id : options_.vlans) b.vlan(id);
  const bool client = side == Side::Client;
  const std::string& src = client ? options_.client : options_.server;
  const std::string& dst = client ? options_.server : options_.client;
  if (is_v6_text(options_.client)) {
    b.ipv6(src, dst);
  } else {
    b.ipv4(src, dst);
  }
  if (client) {
    b.tcp(options_.client_port, options_.server_port).seq(client_next_).ack(server_next_);
  } else {
    b.tcp(options_.server_port, options_.client_port).seq(server_next_).ack(client_next_);
  }
  b.flags(tcp_flags::ACK).window(options_.window).time(now_);
  return b;
}

PacketBuilder TcpSession::client_packet() const {
  return packet(Side::Client);
}
PacketBuilder TcpSession::server_packet() const {
  return packet(Side::Server);
}

Frame TcpSession::emit(Side side, std::uint32_t seq, std::uint32_t ack, std::uint8_t flags,
                       std::string_view data) {
  std::uint16_t& ip_id = side == Side::Client ? client_ip_id_ : server_ip_id_;
  PacketBuilder b = packet(side);
  b.seq(seq).ack((flags & tcp_flags::ACK) != 0 ? ack : 0).flags(flags).payload(data).ip_id(ip_id++);
  Frame f = b.build();
  now_ += std::chrono::milliseconds(1);
  return f;
}

std::vector<Frame> TcpSession::handshake() {
  std::vector<Frame> out;
  out.push_back(syn());
  out.push_back(syn_ack());
  out.push_back(handshake_ack());
  return out;
}

Frame TcpSession::syn() {
  return emit(Side::Client, options_.client_isn, 0, tcp_flags::SYN, {});
}

Frame TcpSession::syn_ack() {
  return emit(Side::Server, options_.server_isn, options_.client_isn + 1,
              tcp_flags::SYN | tcp_flags::ACK, {});
}

Frame TcpSession::handshake_ack() {
  return emit(Side::Client, options_.client_isn + 1, options_.server_isn + 1, tcp_flags::ACK, {});
}

Frame TcpSession::client_send(std::string_view data, std::uint8_t extra_flags) {
  Frame f = emit(Side::Client, client_next_, server_next_, tcp_flags::ACK | extra_flags, data);
  client_next_ += static_cast<std::uint32_t>(data.size());
  return f;
}

Frame TcpSession::server_send(std::string_view data, std::uint8_t extra_flags) {
  Frame f = emit(Side::Server, server_next_, client_next_, tcp_flags::ACK | extra_flags, data);
  server_next_ += static_cast<std::uint32_t>(data.size());
  return f;
}

Frame TcpSession::client_at(std::uint32_t offset, std::string_view data, std::uint8_t flags) {
  return emit(Side::Client, options_.client_isn + 1 + offset, server_next_, flags, data);
}

Frame TcpSession::server_at(std::uint32_t offset, std::string_view data, std::uint8_t flags) {
  return emit(Side::Server, options_.server_isn + 1 + offset, client_next_, flags, data);
}

Frame TcpSession::client_fin() {
  Frame f = emit(Side::Client, client_next_, server_next_, tcp_flags::FIN | tcp_flags::ACK, {});
  ++client_next_;
  return f;
}

Frame TcpSession::server_fin() {
  Frame f = emit(Side::Server, server_next_, client_next_, tcp_flags::FIN | tcp_flags::ACK, {});
  ++server_next_;
  return f;
}

Frame TcpSession::client_ack() {
  return emit(Side::Client, client_next_, server_next_, tcp_flags::ACK, {});
}

Frame TcpSession::server_ack() {
  return emit(Side::Server, server_next_, client_next_, tcp_flags::ACK, {});
}

Frame TcpSession::client_rst(std::int64_t seq_delta) {
  return emit(Side::Client, client_next_ + static_cast<std::uint32_t>(seq_delta), server_next_,
              tcp_flags::RST | tcp_flags::ACK, {});
}

Frame TcpSession::server_rst(std::int64_t seq_delta) {
  return emit(Side::Server, server_next_ + static_cast<std::uint32_t>(seq_delta), client_next_,
              tcp_flags::RST | tcp_flags::ACK, {});
}

Frame TcpSession::client_ack_to(std::uint32_t server_offset) {
  return emit(Side::Client, client_next_, options_.server_isn + 1 + server_offset, tcp_flags::ACK,
              {});
}

Frame TcpSession::server_ack_to(std::uint32_t client_offset) {
  return emit(Side::Server, server_next_, options_.client_isn + 1 + client_offset, tcp_flags::ACK,
              {});
}

TcpSession& TcpSession::at(Timestamp t) {
  now_ = t;
  return *this;
}

TcpSession& TcpSession::advance(Duration d) {
  now_ += d;
  return *this;
}

}  // namespace flowkit::testing
