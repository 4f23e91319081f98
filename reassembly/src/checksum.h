#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace flowkit::detail {

/// Adds bytes to a running one's-complement sum (RFC 1071); `odd` tracks a dangling byte so
/// pieces can be summed separately (pseudo header, then segment).
class InternetChecksum {
 public:
  void add(std::span<const std::byte> bytes) noexcept {
    for (std::byte b : bytes) {
      const auto v = static_cast<std::uint32_t>(b);
      sum_ += odd_ ? v : v << 8;
      odd_ = !odd_;
    }
  }
  void add16(std::uint16_t v) noexcept {
    // Only valid on an even boundary, which is where pseudo-header fields sit.
    sum_ += v;
  }
  [[nodiscard]] std::uint16_t finish() const noexcept {
    std::uint64_t s = sum_;
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    return static_cast<std::uint16_t>(~s & 0xffff);
  }

 private:
  std::uint64_t sum_ = 0;
  bool odd_ = false;
};

inline std::uint16_t internet_checksum(std::span<const std::byte> bytes) noexcept {
  InternetChecksum c;
  c.add(bytes);
  return c.finish();
}

}  // namespace flowkit::detail
