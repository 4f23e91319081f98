// Link layers: Ethernet (+802.1Q/802.1ad stacks, PPPoE, MPLS), Linux cooked v1/v2, BSD
// loopback, raw IP and NFLOG. Each strips its header and hands back the IP packet.
#include "decode/decoder.h"

#include <algorithm>
#include <cstring>

#include "bytes.h"
#include "flowkit/link_type.h"

namespace flowkit::detail {

namespace {

// Link types, as pcap files (LINKTYPE_*) and live captures (DLT_*) number them.
constexpr int kNull = 0;
constexpr int kEthernet = 1;
constexpr int kRawDlt12 = 12;  // DLT_RAW on most systems
constexpr int kRawDlt14 = 14;  // DLT_RAW on OpenBSD
constexpr int kRaw = 101;      // LINKTYPE_RAW
constexpr int kLoop = 108;     // like NULL, network byte order
constexpr int kSll = 113;
constexpr int kIpv4 = 228;
constexpr int kIpv6 = 229;
constexpr int kNflog = 239;
constexpr int kSll2 = 276;

constexpr std::uint16_t kEtherIpv4 = 0x0800;
constexpr std::uint16_t kEtherIpv6 = 0x86dd;
constexpr std::uint16_t kEtherPppoeSession = 0x8864;
constexpr std::uint16_t kEtherMpls = 0x8847;

constexpr bool is_vlan_tpid(std::uint16_t type) noexcept {
  return type == 0x8100 || type == 0x88a8 || type == 0x9100 || type == 0x9200;
}

DecodeFailure by_ip_version(std::span<const std::byte> l3, LinkView& out) noexcept {
  if (l3.empty()) return DropReason::Truncated;
  const auto version = load8(l3, 0) >> 4;
  if (version != 4 && version != 6) return DropReason::NotIp;
  out.l3 = l3;
  return std::nullopt;
}

// Follows an ethertype through VLAN tags, PPPoE and MPLS to the IP packet.
DecodeFailure by_ethertype(std::uint16_t type, std::span<const std::byte> rest,
                           LinkView& out) noexcept {
  for (int depth = 0; depth < 8; ++depth) {
    if (is_vlan_tpid(type)) {
      if (rest.size() < 4) return DropReason::Truncated;
      const std::uint16_t id = load16(rest, 0) & 0x0fff;
      out.vlan_key = out.vlan_key << 12 ^ id;
      type = load16(rest, 2);
      rest = rest.subspan(4);
      continue;
    }
    switch (type) {
      case kEtherIpv4:
      case kEtherIpv6: {
        const auto failure = by_ip_version(rest, out);
        if (!failure && (load8(rest, 0) >> 4) != (type == kEtherIpv4 ? 4 : 6)) {
          return DropReason::BadIpHeader;
        }
        return failure;
      }
      case kEtherPppoeSession: {
        if (rest.size() < 8) return DropReason::Truncated;
        const std::uint16_t ppp = load16(rest, 6);
        if (ppp != 0x0021 && ppp != 0x0057) return DropReason::NotIp;
        // The PPPoE length (PPP protocol field included) bounds the packet: what follows is
        // Ethernet padding, even when the IP header claims otherwise.
        const std::size_t length = load16(rest, 4);
        if (length < 2) return DropReason::BadLinkHeader;
        rest = rest.subspan(8);
        return by_ip_version(rest.first(std::min(rest.size(), length - 2)), out);
      }
      case kEtherMpls: {
        // Pop labels until bottom of stack; the payload's version nibble tells IPv4 from IPv6.
        while (true) {
          if (rest.size() < 4) return DropReason::Truncated;
          const bool bottom = (load8(rest, 2) & 0x01) != 0;
          rest = rest.subspan(4);
          if (bottom) break;
        }
        return by_ip_version(rest, out);
      }
      default:
        return DropReason::NotIp;
    }
  }
  return DropReason::BadLinkHeader;
}

DecodeFailure by_address_family(std::uint32_t family, std::span<const std::byte> rest,
                                LinkView& out) noexcept {
  // AF_INET is 2 everywhere; AF_INET6 is 10 (Linux), 24 (NetBSD/OpenBSD), 28 (FreeBSD), 30 (macOS).
  switch (family) {
    case 2:
    case 10:
    case 24:
    case 28:
    case 30:
      return by_ip_version(rest, out);
    default:
      return DropReason::NotIp;
  }
}

DecodeFailure decode_nflog(std::span<const std::byte> frame, LinkView& out) noexcept {
  if (frame.size() < 4) return DropReason::Truncated;
  const auto family = load8(frame, 0);
  auto tlvs = frame.subspan(4);
  // TLV lengths and types are in the capturing host's byte order (little-endian in practice).
  while (tlvs.size() >= 4) {
    const std::uint16_t length = load16_le(tlvs, 0);
    const std::uint16_t type = load16_le(tlvs, 2) & 0x7fff;
    if (length < 4 || length > tlvs.size()) return DropReason::BadLinkHeader;
    if (type == 9) {  // NFULA_PAYLOAD
      return by_address_family(family, tlvs.subspan(4, length - 4), out);
    }
    const std::size_t padded = (std::size_t{length} + 3) & ~std::size_t{3};
    if (padded >= tlvs.size()) break;
    tlvs = tlvs.subspan(padded);
  }
  return DropReason::NotIp;
}

}  // namespace

DecodeFailure decode_link(int link_type, std::span<const std::byte> frame, LinkView& out) noexcept {
  out.vlan_key = 0;
  switch (link_type) {
    case kEthernet: {
      if (frame.size() < 14) return DropReason::Truncated;
      const std::uint16_t type = load16(frame, 12);
      if (type < 0x0600) return DropReason::NotIp;  // 802.3 length field: LLC/SNAP, not IP here
      return by_ethertype(type, frame.subspan(14), out);
    }
    case kSll: {
      if (frame.size() < 16) return DropReason::Truncated;
      return by_ethertype(load16(frame, 14), frame.subspan(16), out);
    }
    case kSll2: {
      if (frame.size() < 20) return DropReason::Truncated;
      return by_ethertype(load16(frame, 0), frame.subspan(20), out);
    }
    case kNull: {
      if (frame.size() < 4) return DropReason::Truncated;
      // Host byte order of the capturing machine: accept either.
      const std::uint32_t le = load32_le(frame, 0);
      const std::uint32_t family = le < 256 ? le : load32(frame, 0);
      return by_address_family(family, frame.subspan(4), out);
    }
    case kLoop: {
      if (frame.size() < 4) return DropReason::Truncated;
      return by_address_family(load32(frame, 0), frame.subspan(4), out);
    }
    case kRaw:
    case kRawDlt12:
    case kRawDlt14:
    case kIpv4:
    case kIpv6:
      return by_ip_version(frame, out);
    case kNflog:
      return decode_nflog(frame, out);
    case kLinkTypeReassembledIp: {
      if (frame.size() < 4) return DropReason::Truncated;
      std::uint32_t key = 0;
      std::memcpy(&key, frame.data(), 4);
      out.vlan_key = key;
      return by_ip_version(frame.subspan(4), out);
    }
    default:
      return DropReason::UnsupportedLinkType;
  }
}

}  // namespace flowkit::detail

namespace flowkit {

bool link_type_supported(int link_type) noexcept {
  using namespace detail;
  switch (link_type) {
    case kNull:
    case kEthernet:
    case kRawDlt12:
    case kRawDlt14:
    case kRaw:
    case kLoop:
    case kSll:
    case kIpv4:
    case kIpv6:
    case kNflog:
    case kSll2:
      return true;
    default:
      return false;
  }
}

}  // namespace flowkit
