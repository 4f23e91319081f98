// A shortcut past the full decoders for frames that belong to another shard. It must agree
// with them and with symmetric_hash: same addresses, same ports (read only when the IP packet
// holds four bytes of upper layer), VLAN key 0; anything it is unsure of goes the long way.
#include <algorithm>

#include "bytes.h"
#include "decode/decoder.h"
#include "flow_hash.h"

namespace flowkit::detail {

namespace {

constexpr int kEthernet = 1;
constexpr std::size_t kEthernetHeader = 14;
constexpr std::uint16_t kEtherIpv4 = 0x0800;
constexpr std::uint16_t kEtherIpv6 = 0x86dd;
constexpr std::uint8_t kTcp = 6;
constexpr std::uint8_t kUdp = 17;

struct Ports {
  std::uint16_t src = 0;
  std::uint16_t dst = 0;
};

Ports ports_of(std::uint8_t protocol, std::span<const std::byte> l4) noexcept {
  if ((protocol != kTcp && protocol != kUdp) || l4.size() < 4) return {};
  return {load16(l4, 0), load16(l4, 2)};
}

std::optional<std::size_t> peek_ipv4(std::span<const std::byte> l3) noexcept {
  if (l3.size() < 20 || (load8(l3, 0) >> 4) != 4) return std::nullopt;
  const std::size_t header_length = std::size_t{load8(l3, 0) & 0x0fu} * 4;
  if (header_length < 20 || header_length > l3.size()) return std::nullopt;
  std::size_t total_length = load16(l3, 2);
  if (total_length == 0) total_length = l3.size();
  if (total_length < header_length) return std::nullopt;
  if ((load16(l3, 6) & 0x3fff) != 0) return std::nullopt;  // a fragment
  const auto ip = l3.first(std::min(total_length, l3.size()));
  const Ports ports = ports_of(load8(ip, 9), ip.subspan(header_length));
  return combine_endpoints(endpoint_word_v4(ip.data() + 12, ports.src),
                           endpoint_word_v4(ip.data() + 16, ports.dst), 0);
}

std::optional<std::size_t> peek_ipv6(std::span<const std::byte> l3) noexcept {
  if (l3.size() < 40 || (load8(l3, 0) >> 4) != 6) return std::nullopt;
  const std::uint8_t next = load8(l3, 6);
  if (next != kTcp && next != kUdp) return std::nullopt;  // extension headers: the long way
  std::size_t payload_length = load16(l3, 4);
  if (payload_length == 0) payload_length = l3.size() - 40;
  const auto ip = l3.first(std::min(40 + payload_length, l3.size()));
  const Ports ports = ports_of(next, ip.subspan(40));
  return combine_endpoints(endpoint_word_v6(ip.data() + 8, ports.src),
                           endpoint_word_v6(ip.data() + 24, ports.dst), 0);
}

}  // namespace

std::optional<std::size_t> peek_flow_hash(int link_type,
                                          std::span<const std::byte> frame) noexcept {
  if (link_type != kEthernet || frame.size() < kEthernetHeader) return std::nullopt;
  const std::uint16_t type = load16(frame, 12);
  const auto l3 = frame.subspan(kEthernetHeader);
  if (type == kEtherIpv4) return peek_ipv4(l3);
  if (type == kEtherIpv6) return peek_ipv6(l3);
  return std::nullopt;
}

}  // namespace flowkit::detail
