#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <string>

#include "flowkit/ip_address.h"

namespace flowkit {

/// Full identity of a connection: both endpoints and the VLAN context, compared exactly.
/// (A hash is only ever used to find a bucket, never as identity.)
struct FlowKey {
  IpAddress client;
  IpAddress server;
  std::uint16_t client_port = 0;
  std::uint16_t server_port = 0;
  std::uint32_t vlan_key = 0;

  friend bool operator==(const FlowKey&, const FlowKey&) = default;

  /// Same key seen from the other side.
  [[nodiscard]] FlowKey reversed() const noexcept {
    return {server, client, server_port, client_port, vlan_key};
  }
  /// "10.0.0.1:40000 -> 10.0.0.2:80" (IPv6 in brackets).
  [[nodiscard]] std::string to_string() const;
};

/// A hash that is the same for both directions of a flow, so a flow can be found from either
/// side and sharded to one worker.
std::size_t symmetric_hash(const IpAddress& a, std::uint16_t a_port, const IpAddress& b,
                           std::uint16_t b_port, std::uint32_t vlan_key) noexcept;

/// Which of `count` shards a flow with this symmetric_hash belongs to. Uses the hash's high
/// bits: connection tables index buckets with the low ones, so a shard's flows still spread
/// over all of its table's buckets.
[[nodiscard]] constexpr std::size_t shard_of(std::size_t hash, std::size_t count) noexcept {
  return static_cast<std::size_t>(((static_cast<std::uint64_t>(hash) >> 32) * count) >> 32);
}

/// "1.2.3.4:80" or "[2001:db8::1]:80".
std::string endpoint_to_string(const IpAddress& address, std::uint16_t port);

}  // namespace flowkit
