#pragma once

#include <pcap/pcap.h>

#include <cstdint>
#include <string>

namespace flowkit::detail {

/// Puts the live capture socket behind `pcap` into an AF_PACKET fanout group that spreads
/// packets by a symmetric flow hash (both directions of a connection reach the same socket),
/// IPv4 fragments reassembled by the kernel first so that a datagram's pieces go where its
/// flow goes. `group` 0 makes a new group with an id no other group has; returns the group's
/// id, for the other members to join. Throws CaptureError naming `interface` when the kernel
/// refuses (not Linux, not an AF_PACKET socket, too old a kernel).
std::uint16_t join_fanout(pcap_t* pcap, const std::string& interface, std::uint16_t group);

}  // namespace flowkit::detail
