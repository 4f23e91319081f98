#pragma once

#include <pcap/pcap.h>

#include <cstdint>
#include <string>

namespace flowkit::detail {

// AF_PACKET fanout groups spread packets by the kernel's symmetric flow hash (both directions
// of a connection reach the same socket), IPv4 fragments reassembled by the kernel first so
// that a datagram's pieces go where its flow goes. Both calls throw CaptureError naming
// `interface` when the kernel refuses (not Linux, not an AF_PACKET socket, too old a kernel).

/// Puts the live capture socket behind `pcap` into a new group, with an id no other group has,
/// and returns that id for the other members. Any id can come back, 0 included: the kernel's
/// first unique id after boot is 0.
std::uint16_t start_fanout_group(pcap_t* pcap, const std::string& interface);

/// Puts the socket behind `pcap` into the existing group `group`.
void join_fanout_group(pcap_t* pcap, const std::string& interface, std::uint16_t group);

}  // namespace flowkit::detail
