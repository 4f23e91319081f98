// Printable names of the public enums, kept in one place so logs and tests agree.
#include "flowkit/connection.h"
#include "flowkit/stats.h"

namespace flowkit {

std::string_view to_string(Direction d) noexcept {
  return d == Direction::ToServer ? "to-server" : "to-client";
}

std::string_view to_string(EndReason reason) noexcept {
  switch (reason) {
    case EndReason::Close:
      return "close";
    case EndReason::Reset:
      return "reset";
    case EndReason::Timeout:
      return "timeout";
    case EndReason::Evicted:
      return "evicted";
    case EndReason::PortReuse:
      return "port-reuse";
    case EndReason::EndOfInput:
      return "end-of-input";
  }
  return "?";
}

std::string_view to_string(ConnectionState state) noexcept {
  switch (state) {
    case ConnectionState::SynSent:
      return "syn-sent";
    case ConnectionState::SynReceived:
      return "syn-received";
    case ConnectionState::Established:
      return "established";
    case ConnectionState::Closing:
      return "closing";
    case ConnectionState::Closed:
      return "closed";
  }
  return "?";
}

std::string_view to_string(GapReason reason) noexcept {
  switch (reason) {
    case GapReason::AckedUnseen:
      return "acked-unseen";
    case GapReason::BufferLimit:
      return "buffer-limit";
    case GapReason::Timeout:
      return "timeout";
    case GapReason::StreamEnd:
      return "stream-end";
  }
  return "?";
}

std::string_view to_string(DropReason reason) noexcept {
  switch (reason) {
    case DropReason::Truncated:
      return "truncated";
    case DropReason::BadLinkHeader:
      return "bad-link-header";
    case DropReason::UnsupportedLinkType:
      return "unsupported-link-type";
    case DropReason::BadIpHeader:
      return "bad-ip-header";
    case DropReason::BadIpChecksum:
      return "bad-ip-checksum";
    case DropReason::BadL4Header:
      return "bad-l4-header";
    case DropReason::BadL4Checksum:
      return "bad-l4-checksum";
    case DropReason::FragmentOverlapDropped:
      return "fragment-overlap";
    case DropReason::FragmentTimeout:
      return "fragment-timeout";
    case DropReason::FragmentMemcap:
      return "fragment-memcap";
    case DropReason::FragmentTooMany:
      return "fragment-too-many";
    case DropReason::TcpNoConnection:
      return "tcp-no-connection";
    case DropReason::TcpOutOfWindow:
      return "tcp-out-of-window";
    case DropReason::TcpRstOutOfWindow:
      return "tcp-rst-out-of-window";
    case DropReason::TcpStreamMemcap:
      return "tcp-stream-memcap";
    case DropReason::TcpOld:
      return "tcp-old-data";
    case DropReason::ConnectionLimit:
      return "connection-limit";
    case DropReason::NotIp:
      return "not-ip";
    case DropReason::kCount:
      break;
  }
  return "?";
}

}  // namespace flowkit

namespace flowkit {

Stats& Stats::operator+=(const Stats& o) noexcept {
  packets += o.packets;
  bytes += o.bytes;
  ip_packets += o.ip_packets;
  ipv6_packets += o.ipv6_packets;
  fragments += o.fragments;
  datagrams_reassembled += o.datagrams_reassembled;
  fragment_overlaps += o.fragment_overlaps;
  fragment_overlap_conflicts += o.fragment_overlap_conflicts;
  tcp_segments += o.tcp_segments;
  udp_datagrams += o.udp_datagrams;
  connections_opened += o.connections_opened;
  connections_closed += o.connections_closed;
  connections_reset += o.connections_reset;
  connections_timed_out += o.connections_timed_out;
  connections_evicted += o.connections_evicted;
  stream_bytes_delivered += o.stream_bytes_delivered;
  retransmitted_bytes += o.retransmitted_bytes;
  tcp_overlaps += o.tcp_overlaps;
  tcp_overlap_conflicts += o.tcp_overlap_conflicts;
  gaps += o.gaps;
  gap_bytes += o.gap_bytes;
  for (std::size_t i = 0; i < drops.size(); ++i) drops[i] += o.drops[i];
  return *this;
}

}  // namespace flowkit
