#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace flowkit {

/// Why a packet (or part of one) was not used. Every drop is counted under exactly one reason.
enum class DropReason : unsigned char {
  Truncated,  ///< captured bytes end before a header or the length it claims
  BadLinkHeader,
  UnsupportedLinkType,
  BadIpHeader,  ///< version, header length or total length impossible
  BadIpChecksum,
  BadL4Header,
  BadL4Checksum,
  FragmentOverlapDropped,
  FragmentTimeout,
  FragmentMemcap,
  FragmentTooMany,
  TcpNoConnection,  ///< a segment for no known connection (and midstream is off)
  TcpOutOfWindow,
  TcpRstOutOfWindow,
  TcpStreamMemcap,  ///< buffered data dropped because a memory cap was reached
  TcpOld,           ///< data entirely before what was already delivered
  ConnectionLimit,
  NotIp,  ///< ARP, LLDP and the like: counted, not an error
  kCount
};

std::string_view to_string(DropReason reason) noexcept;

/// Counters kept by one Reassembler. Plain integers: read them any time from the owning thread.
struct Stats {
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;  ///< wire bytes of all packets seen
  std::uint64_t ip_packets = 0;
  std::uint64_t ipv6_packets = 0;
  std::uint64_t fragments = 0;
  std::uint64_t datagrams_reassembled = 0;
  std::uint64_t fragment_overlaps = 0;
  std::uint64_t fragment_overlap_conflicts = 0;  ///< overlapping fragment bytes that differed
  std::uint64_t tcp_segments = 0;
  std::uint64_t udp_datagrams = 0;
  std::uint64_t connections_opened = 0;
  std::uint64_t connections_closed = 0;
  std::uint64_t connections_reset = 0;
  std::uint64_t connections_timed_out = 0;
  std::uint64_t connections_evicted = 0;
  std::uint64_t stream_bytes_delivered = 0;
  std::uint64_t retransmitted_bytes = 0;
  std::uint64_t tcp_overlaps = 0;
  std::uint64_t tcp_overlap_conflicts = 0;  ///< overlapping segment bytes that differed
  std::uint64_t gaps = 0;
  std::uint64_t gap_bytes = 0;
  std::array<std::uint64_t, static_cast<std::size_t>(DropReason::kCount)> drops{};

  void drop(DropReason reason) noexcept { ++drops[static_cast<std::size_t>(reason)]; }
  /// Adds another set of counters (e.g. of another worker).
  Stats& operator+=(const Stats& other) noexcept;
  [[nodiscard]] std::uint64_t dropped(DropReason reason) const noexcept {
    return drops[static_cast<std::size_t>(reason)];
  }
  /// Connections announced (on_established) and not ended yet.
  [[nodiscard]] std::uint64_t open_connections() const noexcept {
    return connections_opened - connections_closed - connections_reset - connections_timed_out -
           connections_evicted;
  }
};

}  // namespace flowkit
