#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "flowkit/raw_frame.h"
#include "flowkit/timestamp.h"

namespace flowkit::testing {

/// Link layers the builder can frame packets in, with the link type each gets in RawFrame and in
/// pcap files: Ethernet 1, Raw 101 (LINKTYPE_RAW, not the platform's DLT_RAW), Null 0 (BSD
/// loopback, 4-byte address family in little-endian host order: AF_INET 2, AF_INET6 30 as
/// macOS writes it; 24 and 28 are the other BSDs' values), Sll 113, Sll2 276.
enum class Link { Ethernet, Raw, Null, Sll, Sll2 };

[[nodiscard]] int link_type_of(Link link) noexcept;

namespace tcp_flags {
constexpr std::uint8_t FIN = 0x01;
constexpr std::uint8_t SYN = 0x02;
constexpr std::uint8_t RST = 0x04;
constexpr std::uint8_t PSH = 0x08;
constexpr std::uint8_t ACK = 0x10;
constexpr std::uint8_t URG = 0x20;
constexpr std::uint8_t ECE = 0x40;
constexpr std::uint8_t CWR = 0x80;
}  // namespace tcp_flags

/// A crafted frame that owns its bytes; view() lends them out as the library sees frames.
struct Frame {
  Timestamp ts{};
  int link_type = 1;
  std::vector<std::byte> bytes{};
  std::uint32_t wire_length = 0;  ///< 0: the same as bytes.size()

  [[nodiscard]] RawFrame view() const noexcept;
};

/// Views of many frames, e.g. to pass to write_pcap.
[[nodiscard]] std::vector<RawFrame> views(std::span<const Frame> frames);

/// Crafts one packet layer by layer. Every length and checksum is filled in correctly unless a
/// bad_*() call asks otherwise. Invalid requests (unparsable address, oversized options, build()
/// without an IP layer) throw std::invalid_argument.
class PacketBuilder {
 public:
  PacketBuilder& link(Link l);
  /// Adds an 802.1Q tag (0x88a8 for an 802.1ad service tag); repeatable, outermost first.
  /// Ethernet, Sll and Sll2 only.
  PacketBuilder& vlan(std::uint16_t id, std::uint16_t tpid = 0x8100);
  PacketBuilder& ipv4(std::string_view src, std::string_view dst);
  PacketBuilder& ipv6(std::string_view src, std::string_view dst);
  PacketBuilder& ttl(std::uint8_t ttl);    ///< IPv4 TTL or IPv6 hop limit (default 64)
  PacketBuilder& ip_id(std::uint16_t id);  ///< IPv4 identification; IPv6 fragment id
  /// Raw IPv4 options, zero-padded (end-of-options) to a multiple of 4, at most 40 bytes.
  PacketBuilder& ipv4_option(std::span<const std::byte> options);
  /// Adds an IPv6 extension header of `length` bytes (a multiple of 8): hop-by-hop 0 and
  /// destination options 60 are filled with padding options, routing 43 is type 0 with no
  /// segments left, fragment 44 (always 8 bytes) is an atomic fragment; others are zero-filled.
  PacketBuilder& ipv6_ext(std::uint8_t type, std::size_t length = 8);
  /// The IP protocol / next header when there is no TCP or UDP layer (default 253, "testing").
  PacketBuilder& ip_protocol(std::uint8_t protocol);
  PacketBuilder& tcp(std::uint16_t sport, std::uint16_t dport);
  PacketBuilder& seq(std::uint32_t seq);
  PacketBuilder& ack(std::uint32_t ack);
  PacketBuilder& flags(std::uint8_t flags);     ///< default ACK
  PacketBuilder& window(std::uint16_t window);  ///< default 65535
  PacketBuilder& urgent(std::uint16_t pointer);
  /// Raw TCP options, zero-padded to a multiple of 4, at most 40 bytes.
  PacketBuilder& tcp_options(std::span<const std::byte> options);
  PacketBuilder& udp(std::uint16_t sport, std::uint16_t dport);
  PacketBuilder& payload(std::string_view text);
  PacketBuilder& payload(std::span<const std::byte> bytes);
  PacketBuilder& bad_ip_checksum();
  PacketBuilder& bad_l4_checksum();
  PacketBuilder& time(Timestamp ts);

  [[nodiscard]] Frame build() const;

  /// IP-fragments the built packet: each fragment carries at most `max_payload` bytes of the IP
  /// payload (rounded down to a multiple of 8, except the last). IPv4 sets MF and the offset
  /// and copies all options into every fragment; IPv6 inserts a fragment header (id = ip_id)
  /// after the unfragmentable part (hop-by-hop, and everything up to the last routing header).
  /// A payload that fits yields one frame: the plain packet for IPv4, an atomic fragment for
  /// IPv6.
  [[nodiscard]] std::vector<Frame> fragments(std::size_t max_payload) const;

 private:
  enum class Ip : unsigned char { None, V4, V6 };
  enum class L4 : unsigned char { None, Tcp, Udp };
  struct Vlan {
    std::uint16_t id;
    std::uint16_t tpid;
  };
  struct Extension {
    std::uint8_t type;
    std::size_t length;
  };
  struct IpPacket;

  [[nodiscard]] IpPacket build_ip() const;
  [[nodiscard]] std::vector<std::byte> build_l4() const;
  [[nodiscard]] Frame frame(std::span<const std::byte> ip_packet) const;

  Link link_ = Link::Ethernet;
  std::vector<Vlan> vlans_;
  Ip ip_ = Ip::None;
  std::array<std::byte, 16> src_{};
  std::array<std::byte, 16> dst_{};
  std::uint8_t ttl_ = 64;
  std::uint16_t ip_id_ = 1;
  std::vector<std::byte> ipv4_options_;
  std::vector<Extension> extensions_;
  std::uint8_t ip_protocol_ = 253;
  L4 l4_ = L4::None;
  std::uint16_t sport_ = 0;
  std::uint16_t dport_ = 0;
  std::uint32_t seq_ = 0;
  std::uint32_t ack_ = 0;
  std::uint8_t flags_ = tcp_flags::ACK;
  std::uint16_t window_ = 65535;
  std::uint16_t urgent_ = 0;
  std::vector<std::byte> tcp_options_;
  std::vector<std::byte> payload_;
  bool bad_ip_checksum_ = false;
  bool bad_l4_checksum_ = false;
  Timestamp ts_{};
};

/// An IPv4 fragment with an explicit offset (bytes, a multiple of 8) and data, in Ethernet, for
/// overlap tests; `protocol` is e.g. 6 or 17.
[[nodiscard]] Frame ipv4_fragment(std::string_view src, std::string_view dst, std::uint16_t id,
                                  std::uint8_t protocol, std::uint32_t offset, bool more,
                                  std::span<const std::byte> data, Timestamp ts = {});
/// The IPv6 equivalent: fixed header plus a fragment header.
[[nodiscard]] Frame ipv6_fragment(std::string_view src, std::string_view dst, std::uint32_t id,
                                  std::uint8_t next_header, std::uint32_t offset, bool more,
                                  std::span<const std::byte> data, Timestamp ts = {});

[[nodiscard]] std::vector<std::byte> bytes_of(std::string_view text);

/// Simulates both ends of one TCP connection, tracking sequence numbers (modulo 2^32), so tests
/// read like a conversation. Stream offset 0 is the first byte after the SYN. Each frame's ts
/// advances by 1 ms unless set with at(). Addresses containing ':' make an IPv6 session.
class TcpSession {
 public:
  struct Options {
    std::string client = "10.0.0.1";
    std::uint16_t client_port = 40000;
    std::string server = "10.0.0.2";
    std::uint16_t server_port = 80;
    std::uint32_t client_isn = 1000;
    std::uint32_t server_isn = 5000;
    Link link = Link::Ethernet;
    std::vector<std::uint16_t> vlans{};  // outermost first; {} keeps designated initializers quiet
    Timestamp start = std::chrono::seconds(1700000000);
    std::uint16_t window = 65535;
  };

  TcpSession();
  explicit TcpSession(Options options);

  std::vector<Frame> handshake();  ///< syn(), syn_ack(), handshake_ack()
  Frame syn();
  Frame syn_ack();
  Frame handshake_ack();

  /// Data at the next sequence number, ACKing everything the peer sent; advances the sender.
  Frame client_send(std::string_view data, std::uint8_t extra_flags = tcp_flags::PSH);
  Frame server_send(std::string_view data, std::uint8_t extra_flags = tcp_flags::PSH);
  /// Data at an explicit stream offset, advancing nothing: retransmissions, overlaps, reordering.
  Frame client_at(std::uint32_t offset, std::string_view data,
                  std::uint8_t flags = tcp_flags::ACK | tcp_flags::PSH);
  Frame server_at(std::uint32_t offset, std::string_view data,
                  std::uint8_t flags = tcp_flags::ACK | tcp_flags::PSH);
  Frame client_fin();  ///< FIN|ACK; consumes one sequence number
  Frame server_fin();
  Frame client_ack();  ///< pure ACK of everything the peer sent
  Frame server_ack();
  /// RST|ACK with seq = next seq + delta (a delta moves it out of the window).
  Frame client_rst(std::int64_t seq_delta = 0);
  Frame server_rst(std::int64_t seq_delta = 0);
  /// Pure ACK acknowledging the server's stream up to `server_offset` (may be unseen data).
  Frame client_ack_to(std::uint32_t server_offset);
  Frame server_ack_to(std::uint32_t client_offset);

  TcpSession& at(Timestamp t);  ///< the next frame's time
  TcpSession& advance(Duration d);

  [[nodiscard]] std::uint32_t client_next_seq() const noexcept { return client_next_; }
  [[nodiscard]] std::uint32_t server_next_seq() const noexcept { return server_next_; }
  [[nodiscard]] const Options& options() const noexcept { return options_; }
  /// Builders with addressing, ports, next seq/ack and the current time filled in.
  [[nodiscard]] PacketBuilder client_packet() const;
  [[nodiscard]] PacketBuilder server_packet() const;

 private:
  enum class Side : unsigned char { Client, Server };
  [[nodiscard]] PacketBuilder packet(Side side) const;
  Frame emit(Side side, std::uint32_t seq, std::uint32_t ack, std::uint8_t flags,
             std::string_view data);

  Options options_;
  std::uint32_t client_next_;
  std::uint32_t server_next_;
  Timestamp now_;
  std::uint16_t client_ip_id_ = 1;
  std::uint16_t server_ip_id_ = 1;
};

}  // namespace flowkit::testing
