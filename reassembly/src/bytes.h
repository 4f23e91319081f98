#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace flowkit::detail {

// Network-order loads from spans whose length the caller has already checked.
[[nodiscard]] inline std::uint8_t load8(std::span<const std::byte> b, std::size_t at) noexcept {
  return static_cast<std::uint8_t>(b[at]);
}
[[nodiscard]] inline std::uint16_t load16(std::span<const std::byte> b, std::size_t at) noexcept {
  return static_cast<std::uint16_t>(load8(b, at) << 8 | load8(b, at + 1));
}
[[nodiscard]] inline std::uint32_t load32(std::span<const std::byte> b, std::size_t at) noexcept {
  return std::uint32_t{load16(b, at)} << 16 | load16(b, at + 2);
}
[[nodiscard]] inline std::uint16_t load16_le(std::span<const std::byte> b,
                                             std::size_t at) noexcept {
  return static_cast<std::uint16_t>(load8(b, at) | load8(b, at + 1) << 8);
}
[[nodiscard]] inline std::uint32_t load32_le(std::span<const std::byte> b,
                                             std::size_t at) noexcept {
  return std::uint32_t{load16_le(b, at)} | std::uint32_t{load16_le(b, at + 2)} << 16;
}

}  // namespace flowkit::detail
