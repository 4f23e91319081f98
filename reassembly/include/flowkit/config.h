#pragma once

#include <cstddef>
#include <cstdint>

#include "flowkit/overlap_policy.h"
#include "flowkit/timestamp.h"

namespace flowkit {

using namespace std::chrono_literals;

/// IPv4 and IPv6 defragmentation.
struct DefragConfig {
  bool enabled = true;
  OverlapPolicy policy = OverlapPolicy::Bsd;
  Duration timeout = 60s;                 ///< an incomplete datagram is dropped after this
  std::size_t memcap = 64 * 1024 * 1024;  ///< bytes buffered across all datagrams
  std::size_t max_fragments_per_datagram = 512;
  std::size_t max_datagrams = 65536;  ///< concurrent incomplete datagrams
};

/// TCP stream reassembly.
struct TcpConfig {
  OverlapPolicy policy = OverlapPolicy::Bsd;
  bool midstream = false;           ///< pick up connections whose handshake was not seen
  bool rst_requires_window = true;  ///< ignore RSTs whose sequence is outside the window
  bool urgent_inline = true;        ///< deliver urgent bytes in the stream (libnids' default)
  bool collect_by_default = true;   ///< both directions collected unless on_established says no
  std::size_t max_connections = 1 << 20;   ///< beyond this the least recently used one is evicted
  std::size_t memcap = 512 * 1024 * 1024;  ///< out-of-order and kept bytes across all streams
  std::size_t stream_buffer_limit = 1
                                    << 20;  ///< out-of-order bytes held above a hole per direction
  Duration idle_timeout = 600s;             ///< an established connection idle this long times out
  Duration embryonic_timeout = 30s;         ///< a connection still in handshake idle this long
  Duration closing_timeout = 30s;           ///< after the end, how long late segments are absorbed
  Duration gap_timeout = 30s;               ///< a hole still open after this long is skipped
  /// Connection ids are first_id, first_id + id_stride, ... (so parallel workers never collide).
  std::uint64_t first_id = 1;
  std::uint64_t id_stride = 1;
};

/// A share of the flows, for reading one capture with several Reassemblers at once (see
/// ShardedReassembler): this one keeps the flows whose shard_of(symmetric_hash) is `index`, and
/// only shard 0 counts what belongs to no flow yet (undecodable frames, IP fragments).
struct ShardConfig {
  std::size_t index = 0;
  std::size_t count = 1;
};

/// Everything a Reassembler needs. Plain values with safe defaults; no global state.
struct Config {
  DefragConfig defrag;
  TcpConfig tcp;
  bool verify_ip_checksum = false;  ///< off by default: live captures see offloaded checksums
  bool verify_l4_checksum = false;  ///< TCP and UDP checksums, likewise
  Duration timer_granularity = 1s;  ///< how often idle timers are swept, in packet time
  ShardConfig shard;                ///< all flows unless set
};

}  // namespace flowkit
