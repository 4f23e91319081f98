#include "flowkit/flow_key.h"

#include <fmt/format.h>

#include "flow_hash.h"

namespace flowkit {

namespace {

std::uint64_t endpoint_word(const IpAddress& a, std::uint16_t port) noexcept {
  return a.is_v6() ? detail::endpoint_word_v6(a.bytes().data(), port)
                   : detail::endpoint_word_v4(a.bytes().data(), port);
}

}  // namespace

std::size_t symmetric_hash(const IpAddress& a, std::uint16_t a_port, const IpAddress& b,
                           std::uint16_t b_port, std::uint32_t vlan_key) noexcept {
  return detail::combine_endpoints(endpoint_word(a, a_port), endpoint_word(b, b_port), vlan_key);
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
