#pragma once

#include <array>
#include <bit>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace flowkit {

/// An IPv4 or IPv6 address held by value. IPv4 lives in the first 4 bytes, the rest are zero.
class IpAddress {
 public:
  constexpr IpAddress() = default;
  static IpAddress v4(std::span<const std::byte, 4> bytes) noexcept;
  static IpAddress v6(std::span<const std::byte, 16> bytes) noexcept;
  /// Parses dotted-quad or RFC 5952 text; nullopt when it is neither.
  static std::optional<IpAddress> parse(std::string_view text) noexcept;

  [[nodiscard]] bool is_v6() const noexcept { return v6_; }
  [[nodiscard]] std::span<const std::byte> bytes() const noexcept {
    return {bytes_.data(), v6_ ? 16u : 4u};
  }
  [[nodiscard]] std::string to_string() const;

  friend constexpr bool operator==(const IpAddress& a, const IpAddress& b) noexcept {
    // Two words each, where the defaulted form compares byte by byte (GCC 12 does not fold
    // std::byte arrays into one compare): the connection lookup compares four addresses a packet.
    using Words = std::array<std::uint64_t, 2>;
    const auto x = std::bit_cast<Words>(a.bytes_);
    const auto y = std::bit_cast<Words>(b.bytes_);
    return ((x[0] ^ y[0]) | (x[1] ^ y[1])) == 0 && a.v6_ == b.v6_;
  }
  friend constexpr auto operator<=>(const IpAddress&, const IpAddress&) = default;

 private:
  std::array<std::byte, 16> bytes_{};
  bool v6_ = false;
};

}  // namespace flowkit
