#pragma once

#include <cstdint>

namespace flowkit::detail {

/// Signed distance from `b` to `a` in 32-bit sequence space (RFC 1982 style): correct across
/// the 2^32 wrap as long as the two are less than 2^31 apart.
[[nodiscard]] constexpr std::int32_t seq_diff(std::uint32_t a, std::uint32_t b) noexcept {
  return static_cast<std::int32_t>(a - b);
}

/// Maps a 32-bit sequence number to a 64-bit stream offset. `base_seq` is the sequence number of
/// stream offset 0 (ISN + 1); `near` is an offset known to be close (what was delivered), which
/// picks the right 4 GiB epoch. Result may be negative: data before the stream start.
[[nodiscard]] constexpr std::int64_t seq_to_offset(std::uint32_t seq, std::uint32_t base_seq,
                                                   std::uint64_t near) noexcept {
  const auto relative = static_cast<std::uint32_t>(seq - base_seq);
  const auto near32 = static_cast<std::uint32_t>(near);
  return static_cast<std::int64_t>(near) + seq_diff(relative, near32);
}

/// The sequence number of stream offset `offset`.
[[nodiscard]] constexpr std::uint32_t offset_to_seq(std::uint64_t offset,
                                                    std::uint32_t base_seq) noexcept {
  return static_cast<std::uint32_t>(base_seq + offset);
}

}  // namespace flowkit::detail
