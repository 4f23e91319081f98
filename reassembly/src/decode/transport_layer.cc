// TCP and UDP headers, options that matter for reassembly, optional checksum verification.
#include "bytes.h"
#include "checksum.h"
#include "decode/decoder.h"

namespace flowkit::detail {

namespace {

// Checksum over the IPv4/IPv6 pseudo header plus the upper-layer bytes; 0 means valid.
std::uint16_t transport_checksum(const PacketInfo& pkt, std::span<const std::byte> l4) noexcept {
  InternetChecksum sum;
  sum.add(pkt.src.bytes());
  sum.add(pkt.dst.bytes());
  const auto length = static_cast<std::uint32_t>(l4.size());
  sum.add16(static_cast<std::uint16_t>(length >> 16));
  sum.add16(static_cast<std::uint16_t>(length & 0xffff));
  sum.add16(pkt.protocol);
  sum.add(l4);
  return sum.finish();
}

void parse_tcp_options(std::span<const std::byte> options, TcpHeader& tcp) noexcept {
  std::size_t at = 0;
  while (at < options.size()) {
    const std::uint8_t kind = load8(options, at);
    if (kind == 0) break;  // end of options
    if (kind == 1) {       // no-op
      ++at;
      continue;
    }
    if (at + 2 > options.size()) break;
    const std::uint8_t length = load8(options, at + 1);
    if (length < 2 || at + length > options.size()) break;
    if (kind == 2 && length == 4) tcp.mss = load16(options, at + 2);
    if (kind == 3 && length == 3) tcp.window_scale = load8(options, at + 2);
    at += length;
  }
}

DecodeFailure decode_tcp(PacketInfo& pkt, bool verify_checksum) noexcept {
  const auto l4 = pkt.l4;
  if (l4.size() < 20) return DropReason::Truncated;
  const std::size_t header_length = static_cast<std::size_t>(load8(l4, 12) >> 4) * 4;
  if (header_length < 20) return DropReason::BadL4Header;
  if (header_length > l4.size()) return DropReason::Truncated;
  if (verify_checksum && !pkt.truncated && transport_checksum(pkt, l4) != 0) {
    return DropReason::BadL4Checksum;
  }
  pkt.src_port = load16(l4, 0);
  pkt.dst_port = load16(l4, 2);
  auto& tcp = pkt.tcp;
  tcp = TcpHeader{};
  tcp.seq = load32(l4, 4);
  tcp.ack = load32(l4, 8);
  tcp.flags = load8(l4, 13);
  tcp.window = load16(l4, 14);
  tcp.urgent = load16(l4, 18);
  parse_tcp_options(l4.subspan(20, header_length - 20), tcp);
  pkt.payload = l4.subspan(header_length);
  return std::nullopt;
}

DecodeFailure decode_udp(PacketInfo& pkt, bool verify_checksum) noexcept {
  const auto l4 = pkt.l4;
  if (pkt.truncated) return DropReason::Truncated;  // a datagram is only useful whole
  if (l4.size() < 8) return DropReason::Truncated;
  std::size_t length = load16(l4, 4);
  if (length == 0) length = l4.size();  // jumbogram
  if (length < 8) return DropReason::BadL4Header;
  if (length > l4.size()) return DropReason::Truncated;
  // A zero UDP checksum over IPv4 means "not computed".
  if (verify_checksum && load16(l4, 6) != 0 && transport_checksum(pkt, l4.first(length)) != 0) {
    return DropReason::BadL4Checksum;
  }
  pkt.src_port = load16(l4, 0);
  pkt.dst_port = load16(l4, 2);
  pkt.payload = l4.subspan(8, length - 8);
  return std::nullopt;
}

}  // namespace

DecodeFailure decode_transport(PacketInfo& pkt, bool verify_checksum) noexcept {
  switch (pkt.protocol) {
    case kProtoTcp:
      return decode_tcp(pkt, verify_checksum);
    case kProtoUdp:
      return decode_udp(pkt, verify_checksum);
    default:
      return std::nullopt;
  }
}

}  // namespace flowkit::detail
