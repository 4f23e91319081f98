#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>

#include "flowkit/raw_frame.h"

namespace flowkit::detail {

/// Integers as a file section stores them; files may come from a machine of either byte order.
class ByteOrder {
 public:
  constexpr explicit ByteOrder(bool big_endian = false) noexcept
      : big_(big_endian), swap_(big_endian != (std::endian::native == std::endian::big)) {}

  [[nodiscard]] std::uint16_t u16(const std::byte* p) const noexcept {
    std::uint16_t v = 0;
    std::memcpy(&v, p, sizeof v);
    return swap_ ? __builtin_bswap16(v) : v;
  }
  [[nodiscard]] std::uint32_t u32(const std::byte* p) const noexcept {
    std::uint32_t v = 0;
    std::memcpy(&v, p, sizeof v);
    return swap_ ? __builtin_bswap32(v) : v;
  }
  [[nodiscard]] std::uint64_t u64(const std::byte* p) const noexcept {
    const std::uint64_t first = u32(p);
    const std::uint64_t second = u32(p + 4);
    return big_ ? (first << 32) | second : (second << 32) | first;
  }

 private:
  bool big_;
  bool swap_;  // the file's order is not this machine's
};

inline constexpr std::uint32_t kPcapMicro = 0xa1b2c3d4;
inline constexpr std::uint32_t kPcapNano = 0xa1b23c4d;
inline constexpr std::uint32_t kPcapKuznetzov = 0xa1b2cd34;  // microseconds, 8 more bytes/record
inline constexpr std::size_t kPcapFileHeaderSize = 24;
inline constexpr std::size_t kPcapRecordHeaderSize = 16;
inline constexpr std::uint32_t kPcapLinkTypeMask = 0x03FFFFFF;  // upper bits: FCS information
inline constexpr std::uint64_t kNanosPerSecond = 1'000'000'000;
// No link layer produces frames this large; a record claiming more is corruption, and the bound
// keeps a corrupt length from making us allocate gigabytes.
inline constexpr std::uint32_t kMaxRecordBytes = std::uint32_t{256} << 20;

/// The fixed part of a classic pcap record.
struct PcapRecordHeader {
  std::uint32_t seconds = 0;
  std::uint32_t fraction = 0;  ///< microseconds or nanoseconds, as the file's magic says
  std::uint32_t caplen = 0;
  std::uint32_t wire_length = 0;

  static PcapRecordHeader read(ByteOrder order, const std::byte* p) noexcept {
    return {order.u32(p), order.u32(p + 4), order.u32(p + 8), order.u32(p + 12)};
  }
  [[nodiscard]] Timestamp timestamp(bool nanosecond) const noexcept {
    const std::uint64_t ns = std::uint64_t{seconds} * kNanosPerSecond +
                             std::uint64_t{fraction} * (nanosecond ? 1 : 1000);
    return Timestamp{static_cast<std::int64_t>(ns)};
  }
  /// The frame whose captured bytes start at `data`.
  [[nodiscard]] RawFrame frame(const std::byte* data, int link_type,
                               bool nanosecond) const noexcept {
    return RawFrame{timestamp(nanosecond),
                    link_type,
                    {data, caplen},
                    caplen > wire_length ? caplen : wire_length};
  }
};

// The words of the errors a damaged classic pcap file gets, whichever reader finds it.
std::string truncated_record_header_error(std::uint64_t at, std::size_t needed, std::size_t remain);
std::string absurd_record_error(std::uint64_t at, std::uint32_t caplen);
std::string truncated_record_error(std::uint64_t at, std::uint32_t caplen, std::size_t remain);
/// "3c 21 44 4f \"<!DO\"": what a file that is not a capture starts with.
std::string describe_bytes(std::span<const std::byte> bytes);

}  // namespace flowkit::detail
