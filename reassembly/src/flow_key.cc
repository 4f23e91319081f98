#include "flowkit/flow_key.h"

#include <fmt/format.h>

#include <cstring>

namespace flowkit {

namespace {

// splitmix64 finaliser: cheap and mixes every input bit into every output bit.
constexpr std::uint64_t mix(std::uint64_t x) noexcept {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

std::uint64_t endpoint_hash(const IpAddress& a, std::uint16_t port) noexcept {
  const auto bytes = a.bytes();
  std::uint64_t lo = 0;
  std::uint64_t hi = 0;
  std::memcpy(&lo, bytes.data(), std::min<std::size_t>(8, bytes.size()));
  if (bytes.size() > 8) std::memcpy(&hi, bytes.data() + 8, 8);
  return mix(lo ^ mix(hi ^ (std::uint64_t{port} << 1 | (a.is_v6() ? 1 : 0))));
}

}  // namespace

std::size_t symmetric_hash(const IpAddress& a, std::uint16_t a_port, const IpAddress& b,
                           std::uint16_t b_port, std::uint32_t vlan_key) noexcept {
  // Addition commutes, so both directions hash alike; mixing afterwards spreads the sum.
  return static_cast<std::size_t>(
      mix(endpoint_hash(a, a_port) + endpoint_hash(b, b_port) + vlan_key));
}

std::string endpoint_to_string(const IpAddress& address, std::uint16_t port) {
  if (address.is_v6()) return fmt::format("[{}]:{}", address.to_string(), port);
  return fmt::format("{}:{}", address.to_string(), port);
}

std::string FlowKey::to_string() const {
  return fmt::format("{} -> {}", endpoint_to_string(client, client_port),
                     endpoint_to_string(server, server_port));
}

}  // namespace flowkit
