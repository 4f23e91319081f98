#include "io/pcapng_block.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace flowkit::detail {
namespace {

constexpr std::uint32_t kByteOrderMagic = 0x1A2B3C4D;
constexpr std::size_t kMinSectionHeaderSize = 28;
constexpr std::size_t kSimplePacketHeaderBytes = 4;
constexpr std::uint16_t kOptionEnd = 0;
constexpr std::uint16_t kOptionTsResolution = 9;
constexpr std::uint16_t kOptionTsOffset = 14;

// 10^0 .. 10^19: every power of ten that fits in 64 bits.
constexpr auto kPow10 = [] {
  std::array<std::uint64_t, 20> table{};
  std::uint64_t value = 1;
  for (auto& entry : table) {
    entry = value;
    value *= 10;  // wraps harmlessly after the last entry
  }
  return table;
}();

[[noreturn]] void fail(const std::string& what) {
  throw PcapngError(what);
}

}  // namespace

// All arithmetic is modulo 2^64 and the result is read as signed: only times beyond +-292 years
// of 1970 (which appear in fuzzed and broken files) wrap instead of being undefined.
std::uint64_t ticks_to_nanoseconds(std::uint64_t ticks, TimeScale scale) noexcept {
  unsigned e = scale.exponent;
  std::uint64_t seconds = 0;
  std::uint64_t fraction_ns = 0;
  if (scale.power_of_two) {
    seconds = e >= 64 ? 0 : ticks >> e;
    std::uint64_t fraction = e >= 64 ? ticks : ticks & ((std::uint64_t{1} << e) - 1);
    // fraction * 10^9 must fit in 64 bits: drop precision finer than 2^-34 s (~58 ps).
    if (e > 34) {
      const unsigned drop = e - 34;
      fraction = drop >= 64 ? 0 : fraction >> drop;
      e = 34;
    }
    fraction_ns = (fraction * kNanosPerSecond) >> e;
  } else if (e < kPow10.size()) {
    const std::uint64_t unit = kPow10[e];
    seconds = ticks / unit;
    const std::uint64_t fraction = ticks % unit;
    fraction_ns = e <= 9 ? fraction * kPow10[9 - e] : fraction / kPow10[e - 9];
  } else {
    // Ticks finer than 10^-19 s: no 64-bit count reaches a whole second.
    fraction_ns = e - 9 < kPow10.size() ? ticks / kPow10[e - 9] : 0;
  }
  return seconds * kNanosPerSecond + fraction_ns;
}

std::optional<PcapngBlock> PcapngSection::frame(std::span<const std::byte> bytes, std::uint64_t at,
                                                bool to_end, std::size_t& need) {
  const auto wait_for = [&](std::size_t n) {
    need = n;
    return bytes.size() < n && !to_end;
  };
  if (bytes.size() < 8) {
    if (wait_for(8)) return std::nullopt;
    fail(fmt::format("truncated block header at byte {} (8 bytes needed, {} remain)", at,
                     bytes.size()));
  }
  const std::byte* p = bytes.data();
  PcapngBlock block{order_.u32(p), 0, at};  // the section header's type reads alike both ways
  if (block.type == kSectionHeaderBlock) {
    if (bytes.size() < 12) {
      if (wait_for(12)) return std::nullopt;
      fail(fmt::format("truncated section header block at byte {} ({} bytes remain)", at,
                       bytes.size()));
    }
    if (ByteOrder{false}.u32(p + 8) == kByteOrderMagic) {
      order_ = ByteOrder{false};
    } else if (ByteOrder{true}.u32(p + 8) == kByteOrderMagic) {
      order_ = ByteOrder{true};
    } else {
      fail(fmt::format("section header block at byte {} has a bad byte-order magic ({})", at,
                       describe_bytes({p + 8, 4})));
    }
  }
  const std::uint32_t length = order_.u32(p + 4);
  if (length < kPcapngBlockOverhead || length % 4 != 0) {
    fail(
        fmt::format("bad block length {} at byte {} (a block is at least 12 bytes and a "
                    "multiple of 4)",
                    length, at));
  }
  if (length > kMaxPcapngBlockBytes) {
    fail(fmt::format("corrupt block at byte {}: length {} is absurd (limit {})", at, length,
                     kMaxPcapngBlockBytes));
  }
  if (block.type == kSectionHeaderBlock && length < kMinSectionHeaderSize) {
    fail(fmt::format("bad section header block length {} at byte {} (at least {})", length, at,
                     kMinSectionHeaderSize));
  }
  if (bytes.size() < length) {
    if (wait_for(length)) return std::nullopt;
    fail(fmt::format("truncated block at byte {} (block length says {} bytes, {} remain)", at,
                     length, bytes.size()));
  }
  const std::uint32_t trailing = order_.u32(p + length - 4);
  if (trailing != length) {
    fail(fmt::format("block at byte {}: trailing length {} does not match leading length {}", at,
                     trailing, length));
  }
  block.length = length;
  return block;
}

std::optional<PcapngSection::Packet> PcapngSection::read(const std::byte* start,
                                                         const PcapngBlock& block) {
  const std::span<const std::byte> body{start + kPcapngBodyAt, block.length - kPcapngBlockOverhead};
  std::size_t iface = 0;
  switch (block.type) {
    case kSectionHeaderBlock:
      read_section_header(block, body);
      return std::nullopt;
    case kInterfaceDescriptionBlock:
      read_interface(block, body);
      return std::nullopt;
    case kEnhancedPacketBlock:
      if (body.size() < kPcapngPacketHeaderBytes) {
        fail(fmt::format("enhanced packet block at byte {} is too short ({} bytes)", block.offset,
                         block.length));
      }
      iface = interface_for(block, order_.u32(body.data()));
      check_packet(block, body, kPcapngPacketHeaderBytes,
                   order_.u32(body.data() + kPcapngCapturedLengthAt));
      break;
    case kSimplePacketBlock:
      if (body.size() < kSimplePacketHeaderBytes) {
        fail(fmt::format("simple packet block at byte {} is too short ({} bytes)", block.offset,
                         block.length));
      }
      iface = interface_for(block, 0);
      break;
    case kObsoletePacketBlock:
      if (body.size() < kPcapngPacketHeaderBytes) {
        fail(fmt::format("packet block at byte {} is too short ({} bytes)", block.offset,
                         block.length));
      }
      iface = interface_for(block, order_.u16(body.data()));
      check_packet(block, body, kPcapngPacketHeaderBytes,
                   order_.u32(body.data() + kPcapngCapturedLengthAt));
      break;
    default:
      return std::nullopt;  // statistics, name resolution, secrets, custom blocks: nothing for us
  }
  return Packet{packet_frame(start, interfaces_[iface]), iface};
}

RawFrame PcapngSection::packet_frame(const std::byte* start,
                                     const PcapngInterface& iface) noexcept {
  const ByteOrder order = iface.order;
  const std::uint32_t type = order.u32(start);
  const std::byte* body = start + kPcapngBodyAt;
  if (type == kSimplePacketBlock) {
    // No captured length field: the data is the original packet cut to snaplen and the block.
    // No timestamp either.
    const std::uint32_t wire_length = order.u32(body);
    const std::size_t room = order.u32(start + 4) - kPcapngBlockOverhead - kSimplePacketHeaderBytes;
    std::size_t caplen = std::min<std::size_t>(wire_length, room);
    if (iface.snaplen != 0) caplen = std::min<std::size_t>(caplen, iface.snaplen);
    return RawFrame{Timestamp{0},
                    iface.link_type,
                    {body + kSimplePacketHeaderBytes, caplen},
                    std::max<std::uint32_t>(wire_length, static_cast<std::uint32_t>(caplen))};
  }
  // Enhanced and obsolete packet blocks lay out the timestamp and lengths alike.
  const std::uint64_t ticks = (std::uint64_t{order.u32(body + 4)} << 32) | order.u32(body + 8);
  const std::uint32_t caplen = order.u32(body + kPcapngCapturedLengthAt);
  const std::uint32_t wire_length = order.u32(body + 16);
  const std::uint64_t ns = ticks_to_nanoseconds(ticks, iface.scale) + iface.offset_ns;
  return RawFrame{Timestamp{static_cast<std::int64_t>(ns)},
                  iface.link_type,
                  {body + kPcapngPacketHeaderBytes, caplen},
                  std::max(wire_length, caplen)};
}

void PcapngSection::read_section_header(const PcapngBlock& block, std::span<const std::byte> body) {
  const std::uint16_t major = order_.u16(body.data() + 4);
  const std::uint16_t minor = order_.u16(body.data() + 6);
  if (major != 1) {
    fail(fmt::format("section header block at byte {}: unsupported pcapng version {}.{}",
                     block.offset, major, minor));
  }
  interfaces_.clear();  // interface ids are numbered per section
}

void PcapngSection::read_interface(const PcapngBlock& block, std::span<const std::byte> body) {
  if (body.size() < 8) {
    fail(fmt::format("interface description block at byte {} is too short ({} bytes)", block.offset,
                     block.length));
  }
  PcapngInterface iface;
  iface.order = order_;
  iface.link_type = order_.u16(body.data());
  iface.snaplen = order_.u32(body.data() + 4);
  auto options = body.subspan(8);
  while (options.size() >= 4) {
    const std::uint16_t code = order_.u16(options.data());
    const std::size_t length = order_.u16(options.data() + 2);
    if (code == kOptionEnd) break;
    const std::size_t padded = (length + 3) & ~std::size_t{3};
    if (options.size() - 4 < padded) {
      fail(fmt::format("interface description block at byte {}: option {} runs past the block",
                       block.offset, code));
    }
    const std::byte* value = options.data() + 4;
    if (code == kOptionTsResolution && length >= 1) {
      const auto raw = std::to_integer<unsigned>(value[0]);
      iface.scale = TimeScale{(raw & 0x80U) != 0, raw & 0x7FU};
    } else if (code == kOptionTsOffset && length == 8) {
      iface.offset_ns = order_.u64(value) * kNanosPerSecond;
    }
    options = options.subspan(4 + padded);
  }
  interfaces_.push_back(iface);
}

std::size_t PcapngSection::interface_for(const PcapngBlock& block, std::uint32_t id) const {
  if (id >= interfaces_.size()) {
    fail(
        fmt::format("packet block at byte {} refers to interface {}, but its section declares "
                    "{} interface(s)",
                    block.offset, id, interfaces_.size()));
  }
  return id;
}

void PcapngSection::check_packet(const PcapngBlock& block, std::span<const std::byte> body,
                                 std::size_t header_bytes, std::uint32_t caplen) const {
  const std::size_t room = body.size() - header_bytes;
  if (caplen > room) {
    fail(
        fmt::format("packet block at byte {}: captured length {} exceeds the {} bytes the "
                    "block holds",
                    block.offset, caplen, room));
  }
}

}  // namespace flowkit::detail
