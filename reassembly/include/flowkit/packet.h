#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "flowkit/ip_address.h"
#include "flowkit/timestamp.h"

namespace flowkit {

namespace tcp_flag {
inline constexpr std::uint8_t kFin = 0x01;
inline constexpr std::uint8_t kSyn = 0x02;
inline constexpr std::uint8_t kRst = 0x04;
inline constexpr std::uint8_t kPsh = 0x08;
inline constexpr std::uint8_t kAck = 0x10;
inline constexpr std::uint8_t kUrg = 0x20;
}  // namespace tcp_flag

inline constexpr std::uint8_t kProtoTcp = 6;
inline constexpr std::uint8_t kProtoUdp = 17;

/// TCP header fields the reassembler and its users care about.
struct TcpHeader {
  std::uint32_t seq = 0;
  std::uint32_t ack = 0;
  std::uint16_t window = 0;  ///< as on the wire, not scaled
  std::uint16_t urgent = 0;
  std::uint8_t flags = 0;
  std::uint8_t window_scale = 0xff;  ///< from the window scale option; 0xff when absent
  std::uint16_t mss = 0;             ///< from the MSS option; 0 when absent

  [[nodiscard]] bool has(std::uint8_t flag) const noexcept { return (flags & flag) != 0; }
};

/// A decoded IP packet (after defragmentation), as handed to callbacks. Spans are borrowed and
/// valid only during the callback.
struct PacketInfo {
  Timestamp ts{};
  std::uint32_t vlan_key = 0;  ///< VLAN ids folded together (0 = untagged)
  IpAddress src;
  IpAddress dst;
  std::uint8_t protocol = 0;  ///< final upper-layer protocol after IPv6 extension headers
  std::uint8_t ttl = 0;       ///< TTL or hop limit
  bool reassembled = false;   ///< built from IP fragments
  /// The capture holds less than the IP header claims (snaplen, or a bad length): `ip`, `l4`
  /// and `payload` are prefixes of the real ones.
  bool truncated = false;
  std::span<const std::byte> frame;  ///< the whole captured frame (last fragment's, if reassembled)
  int link_type = 1;                 ///< link type of `frame`
  std::uint32_t wire_length = 0;     ///< original length of `frame` on the wire
  std::span<const std::byte> ip;     ///< the IP packet, header included, trimmed to its length
  std::span<const std::byte> l4;     ///< the upper-layer header and payload
  std::uint16_t src_port = 0;        ///< TCP and UDP
  std::uint16_t dst_port = 0;
  TcpHeader tcp;                       ///< valid when protocol == kProtoTcp
  std::span<const std::byte> payload;  ///< TCP or UDP payload
};

}  // namespace flowkit
