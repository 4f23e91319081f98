// IPv4 and IPv6: header validation, optional IPv4 header checksum, IPv6 extension header walk.
#include <algorithm>

#include "bytes.h"
#include "checksum.h"
#include "decode/decoder.h"

namespace flowkit::detail {

namespace {

constexpr std::uint8_t kHopByHop = 0;
constexpr std::uint8_t kRouting = 43;
constexpr std::uint8_t kFragmentHeader = 44;
constexpr std::uint8_t kEsp = 50;
constexpr std::uint8_t kAuthHeader = 51;
constexpr std::uint8_t kNoNextHeader = 59;
constexpr std::uint8_t kDestinationOptions = 60;
constexpr std::uint8_t kMobility = 135;
constexpr std::uint8_t kHip = 139;
constexpr std::uint8_t kShim6 = 140;
constexpr int kMaxExtensionHeaders = 16;  // bounds the walk on hostile chains

DecodeFailure decode_ipv4(std::span<const std::byte> l3, bool verify_checksum, PacketInfo& pkt,
                          FragmentView& fragment) noexcept {
  if (l3.size() < 20) return DropReason::Truncated;
  const std::size_t header_length = std::size_t{load8(l3, 0) & 0x0fu} * 4;
  if (header_length < 20) return DropReason::BadIpHeader;
  if (header_length > l3.size()) return DropReason::Truncated;
  std::size_t total_length = load16(l3, 2);
  // Zero total length: a TSO/GSO super-packet captured before segmentation; trust the capture.
  if (total_length == 0) total_length = l3.size();
  if (total_length < header_length) return DropReason::BadIpHeader;
  // Cut short by the capture: keep what is there; TCP can use a prefix of a segment.
  pkt.truncated = total_length > l3.size();
  const auto ip = l3.first(std::min(total_length, l3.size()));
  if (verify_checksum && internet_checksum(ip.first(header_length)) != 0) {
    return DropReason::BadIpChecksum;
  }
  pkt.ip = ip;
  pkt.src = IpAddress::v4(ip.subspan<12, 4>());
  pkt.dst = IpAddress::v4(ip.subspan<16, 4>());
  pkt.ttl = load8(ip, 8);
  pkt.protocol = load8(ip, 9);
  pkt.l4 = ip.subspan(header_length);

  const std::uint16_t flags_offset = load16(ip, 6);
  const bool more = (flags_offset & 0x2000) != 0;
  const std::uint32_t offset = std::uint32_t{flags_offset & 0x1fffu} * 8;
  if ((more || offset != 0) && pkt.truncated) return DropReason::Truncated;
  if (more || offset != 0) {
    fragment.is_fragment = true;
    fragment.id = load16(ip, 4);
    fragment.offset = offset;
    fragment.more = more;
    fragment.protocol = pkt.protocol;
    fragment.header = ip.first(header_length);
    fragment.payload = pkt.l4;
  }
  return std::nullopt;
}

DecodeFailure decode_ipv6(std::span<const std::byte> l3, PacketInfo& pkt,
                          FragmentView& fragment) noexcept {
  if (l3.size() < 40) return DropReason::Truncated;
  std::size_t payload_length = load16(l3, 4);
  // Zero payload length: a jumbogram or an unsegmented GSO packet; trust the capture.
  if (payload_length == 0) payload_length = l3.size() - 40;
  pkt.truncated = 40 + payload_length > l3.size();
  const auto ip = l3.first(std::min(40 + payload_length, l3.size()));
  pkt.ip = ip;
  pkt.src = IpAddress::v6(ip.subspan<8, 16>());
  pkt.dst = IpAddress::v6(ip.subspan<24, 16>());
  pkt.ttl = load8(ip, 7);

  std::uint8_t next = load8(ip, 6);
  std::size_t at = 40;
  for (int walked = 0;; ++walked) {
    if (walked > kMaxExtensionHeaders) return DropReason::BadIpHeader;
    switch (next) {
      case kHopByHop:
      case kRouting:
      case kDestinationOptions:
      case kMobility:
      case kHip:
      case kShim6:
      case kAuthHeader: {
        if (at + 2 > ip.size()) return DropReason::Truncated;
        const std::size_t length = next == kAuthHeader ? (std::size_t{load8(ip, at + 1)} + 2) * 4
                                                       : (std::size_t{load8(ip, at + 1)} + 1) * 8;
        if (at + length > ip.size()) return DropReason::Truncated;
        next = load8(ip, at);
        at += length;
        continue;
      }
      case kFragmentHeader: {
        if (at + 8 > ip.size()) return DropReason::Truncated;
        const std::uint16_t offset_flags = load16(ip, at + 2);
        const std::uint32_t offset = offset_flags & 0xfff8u;
        const bool more = (offset_flags & 1u) != 0;
        const std::uint8_t inner = load8(ip, at);
        if (offset == 0 && !more) {
          // Atomic fragment (RFC 6946): nothing to reassemble, keep walking.
          next = inner;
          at += 8;
          continue;
        }
        if (pkt.truncated) return DropReason::Truncated;
        fragment.is_fragment = true;
        fragment.id = load32(ip, at + 4);
        fragment.offset = offset;
        fragment.more = more;
        fragment.protocol = inner;
        fragment.header = ip.first(at);
        fragment.payload = ip.subspan(at + 8);
        pkt.protocol = kFragmentHeader;
        pkt.l4 = fragment.payload;
        return std::nullopt;
      }
      case kEsp:
      case kNoNextHeader:
      default:
        pkt.protocol = next;
        pkt.l4 = ip.subspan(at);
        return std::nullopt;
    }
  }
}

}  // namespace

DecodeFailure decode_ip(std::span<const std::byte> l3, bool verify_checksum, PacketInfo& pkt,
                        FragmentView& fragment) noexcept {
  fragment = FragmentView{};
  pkt.truncated = false;
  if (l3.empty()) return DropReason::Truncated;
  switch (load8(l3, 0) >> 4) {
    case 4:
      return decode_ipv4(l3, verify_checksum, pkt, fragment);
    case 6:
      return decode_ipv6(l3, pkt, fragment);
    default:
      return DropReason::BadIpHeader;
  }
}

}  // namespace flowkit::detail
