#pragma once
// The pieces of symmetric_hash, inline so that the decoders can hash raw header bytes without
// building IpAddress values first (see decode/flow_peek.cc). Both must give the same result.
#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace flowkit::detail {

// splitmix64 finaliser: cheap and mixes every input bit into every output bit.
constexpr std::uint64_t mix64(std::uint64_t x) noexcept {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

// One 64-bit word per endpoint, comparable so that the pair can be put in a fixed order.
// Exact for IPv4 (address and port side by side); IPv6 addresses are folded.
inline std::uint64_t endpoint_word_v4(const std::byte* address, std::uint16_t port) noexcept {
  std::uint32_t v4 = 0;
  std::memcpy(&v4, address, sizeof v4);
  return std::uint64_t{v4} | std::uint64_t{port} << 32;
}

inline std::uint64_t endpoint_word_v6(const std::byte* address, std::uint16_t port) noexcept {
  std::uint64_t lo = 0;
  std::uint64_t hi = 0;
  std::memcpy(&lo, address, 8);
  std::memcpy(&hi, address + 8, 8);
  return (lo ^ std::rotl(hi * 0x9e3779b97f4a7c15ULL, 29)) + (std::uint64_t{port} << 48) + 1;
}

// Ordering the two endpoints makes both directions hash alike; one mix spreads the result.
inline std::size_t combine_endpoints(std::uint64_t x, std::uint64_t y,
                                     std::uint32_t vlan_key) noexcept {
  const std::uint64_t low = std::min(x, y);
  const std::uint64_t high = std::max(x, y);
  return static_cast<std::size_t>(
      mix64(low * 0xff51afd7ed558ccdULL ^ std::rotl(high, 23) ^ (std::uint64_t{vlan_key} << 40)));
}

}  // namespace flowkit::detail
