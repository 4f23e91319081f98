#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "flowkit/packet.h"
#include "flowkit/stats.h"

namespace flowkit::detail {

/// A decode step either succeeds (nullopt) or says why the packet is dropped.
using DecodeFailure = std::optional<DropReason>;

/// flowkit-internal link type of an IP packet reassembled before dispatch to a worker: a 4-byte
/// VLAN key (host order) followed by the IP packet. Negative, so no capture file can use it.
inline constexpr int kLinkTypeReassembledIp = -2;

/// Where the link layer says the network layer starts.
struct LinkView {
  std::span<const std::byte> l3;
  std::uint32_t vlan_key = 0;
};

/// Strips the link layer (and VLAN, PPPoE, MPLS shims) of a frame of `link_type`.
DecodeFailure decode_link(int link_type, std::span<const std::byte> frame, LinkView& out) noexcept;

/// Fragment details, filled when decode_ip finds a non-atomic fragment.
struct FragmentView {
  bool is_fragment = false;
  std::uint32_t id = 0;
  std::uint32_t offset = 0;
  bool more = false;
  std::uint8_t protocol = 0;
  std::span<const std::byte> header;   ///< IPv4 header / IPv6 unfragmentable part
  std::span<const std::byte> payload;  ///< fragment data
};

/// Validates an IPv4 or IPv6 packet at `l3` and fills the IP fields of `pkt` (src, dst,
/// protocol, ttl, ip, l4). Walks IPv6 extension headers.
DecodeFailure decode_ip(std::span<const std::byte> l3, bool verify_checksum, PacketInfo& pkt,
                        FragmentView& fragment) noexcept;

/// Decodes the TCP or UDP header at pkt.l4; other protocols are left alone.
DecodeFailure decode_transport(PacketInfo& pkt, bool verify_checksum) noexcept;

/// The flow's symmetric_hash read straight off the most common frames (untagged Ethernet, IPv4
/// or IPv6 without extension headers, not a fragment), as the full decode would compute it;
/// nullopt for anything else. Lets a shard pass over other shards' frames cheaply.
std::optional<std::size_t> peek_flow_hash(int link_type, std::span<const std::byte> frame) noexcept;

}  // namespace flowkit::detail
