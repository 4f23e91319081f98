#include "flowkit/reassembler.h"

#include "bytes.h"
#include "decode/decoder.h"
#include "defrag/defragmenter.h"
#include "flowkit/flow_key.h"
#include "tcp/tcp_tracker.h"

namespace flowkit {

// A cache line of its own: shards' Impls are allocated one after the other, and the clock at
// the end of one would share a line with the start of the next, which another core reads.
struct alignas(64) Reassembler::Impl {
  Impl(Config c, Handler& h)
      : config(std::move(c)),
        handler(h),
        lead(config.shard.index == 0),
        sharded(config.shard.count > 1),
        defrag(config.defrag, lead ? stats : shadow_stats),
        tcp(config.tcp, handler, stats) {}

  void process(const RawFrame& frame, detail::KnownFlow known = {});
  /// `flow_hash`: the packet's symmetric_hash if known already, else 0.
  void dispatch(PacketInfo& pkt, std::size_t flow_hash);
  void run_timers(Timestamp now);
  /// The hash a shard is chosen by, for a decoded IP packet.
  [[nodiscard]] static std::size_t flow_hash_of(const PacketInfo& pkt) noexcept;
  [[nodiscard]] bool mine(std::size_t flow_hash) const noexcept {
    return shard_of(flow_hash, config.shard.count) == config.shard.index;
  }
  void count(const RawFrame& frame) noexcept {
    ++stats.packets;
    stats.bytes += std::max<std::uint64_t>(frame.wire_length, frame.data.size());
  }

  Config config;
  Handler& handler;
  Stats stats;
  // Every shard reassembles every fragment (it cannot know the flow before), but only the lead
  // shard's counts are kept; the others count into this.
  Stats shadow_stats;
  bool lead;
  bool sharded;
  detail::Defragmenter defrag;
  detail::TcpTracker tcp;
  Timestamp now{};
  Timestamp last_sweep{};
};

std::size_t Reassembler::Impl::flow_hash_of(const PacketInfo& pkt) noexcept {
  std::uint16_t src_port = 0;
  std::uint16_t dst_port = 0;
  // The ports, read before the transport header is checked, as the connection table will see
  // them; a header too short to hold them belongs to the port-less flow of its addresses.
  if ((pkt.protocol == kProtoTcp || pkt.protocol == kProtoUdp) && pkt.l4.size() >= 4) {
    src_port = detail::load16(pkt.l4, 0);
    dst_port = detail::load16(pkt.l4, 2);
  }
  return symmetric_hash(pkt.src, src_port, pkt.dst, dst_port, pkt.vlan_key);
}

void Reassembler::Impl::process(const RawFrame& frame, detail::KnownFlow known) {
  // A datagram reassembled by a ParallelReassembler was counted there, fragment by fragment.
  // Sharded, a frame is counted by the shard that owns its flow; frames of no flow yet
  // (undecodable ones, fragments) by the lead shard.
  const bool counted_elsewhere = frame.link_type == detail::kLinkTypeReassembledIp;
  run_timers(frame.ts);
  // Sharded, most frames can be told apart without decoding them; the shard a peeked frame
  // belongs to counts whatever becomes of it.
  bool peeked_mine = known.placed && sharded && !counted_elsewhere;
  // Hashed once: the connection table looks the flow up by the same hash.
  std::size_t flow_hash = known.hash;
  if (sharded && !counted_elsewhere && !known.placed) {
    if (const auto hash = detail::peek_flow_hash(frame.link_type, frame.data)) {
      if (!mine(*hash)) return;
      peeked_mine = true;
      flow_hash = *hash;
    }
  }
  const bool count_unowned = !counted_elsewhere && (lead || peeked_mine);

  detail::LinkView link;
  if (auto failure = detail::decode_link(frame.link_type, frame.data, link)) {
    if (lead || peeked_mine) {
      if (count_unowned) count(frame);
      stats.drop(*failure);
    }
    return;
  }
  PacketInfo pkt;
  pkt.ts = frame.ts;
  pkt.frame = frame.data;
  pkt.link_type = frame.link_type;
  pkt.wire_length =
      std::max<std::uint32_t>(frame.wire_length, static_cast<std::uint32_t>(frame.data.size()));
  pkt.vlan_key = link.vlan_key;
  detail::FragmentView fragment;
  if (auto failure = detail::decode_ip(link.l3, config.verify_ip_checksum, pkt, fragment)) {
    if (lead || peeked_mine) {
      if (count_unowned) count(frame);
      stats.drop(*failure);
    }
    return;
  }

  if (!fragment.is_fragment) {
    if (sharded && !peeked_mine) {
      flow_hash = flow_hash_of(pkt);
      if (!mine(flow_hash)) return;
    }
    if (!counted_elsewhere) {
      count(frame);
      ++stats.ip_packets;
      if (pkt.src.is_v6()) ++stats.ipv6_packets;
    }
    dispatch(pkt, flow_hash);
    return;
  }
  if (count_unowned) {
    count(frame);
    ++stats.ip_packets;
    if (pkt.src.is_v6()) ++stats.ipv6_packets;
  }
  if (!config.defrag.enabled) return;
  const auto whole = defrag.add(detail::fragment_of(pkt, fragment));
  if (!whole) return;
  detail::FragmentView again;
  if (auto failure = detail::decode_ip(*whole, config.verify_ip_checksum, pkt, again)) {
    if (lead) stats.drop(*failure);
    return;
  }
  if (again.is_fragment) {  // a reassembled packet cannot be a fragment itself
    if (lead) stats.drop(DropReason::BadIpHeader);
    return;
  }
  const std::size_t whole_hash = sharded ? flow_hash_of(pkt) : 0;
  if (sharded && !mine(whole_hash)) return;
  pkt.reassembled = true;
  dispatch(pkt, whole_hash);
}

void Reassembler::Impl::dispatch(PacketInfo& pkt, std::size_t flow_hash) {
  if (auto failure = detail::decode_transport(pkt, config.verify_l4_checksum)) {
    stats.drop(*failure);
    return;
  }
  handler.on_ip(pkt);
  if (pkt.protocol == kProtoTcp) {
    tcp.process(pkt, flow_hash);
  } else if (pkt.protocol == kProtoUdp) {
    ++stats.udp_datagrams;
    handler.on_udp(pkt);
  }
}

void Reassembler::Impl::run_timers(Timestamp ts) {
  if (ts > now) now = ts;
  if (now - last_sweep < config.timer_granularity) return;
  last_sweep = now;
  defrag.expire(now);
  tcp.expire(now);
}

Reassembler::Reassembler(Config config, Handler& handler)
    : impl_(std::make_unique<Impl>(std::move(config), handler)) {}
Reassembler::~Reassembler() = default;
Reassembler::Reassembler(Reassembler&&) noexcept = default;
Reassembler& Reassembler::operator=(Reassembler&&) noexcept = default;

void Reassembler::process(const RawFrame& frame) {
  impl_->process(frame);
}

detail::ConnectionTable& detail::connection_table(Reassembler& reassembler) noexcept {
  return reassembler.impl_->tcp.table();
}

void detail::process_known(Reassembler& reassembler, const RawFrame& frame, KnownFlow known) {
  reassembler.impl_->process(frame, known);
}

void reassemble(PacketSource& source, Reassembler& reassembler,
                const std::function<void()>& between) {
  // Frames are read in place (read_ready): a live capture's are not copied out of the ring.
  while (source.read_ready([&](const RawFrame& frame) {
    reassembler.process(frame);
    if (between) between();
  })) {
  }
  reassembler.finish();
}
void Reassembler::advance_time(Timestamp now) {
  impl_->run_timers(now);
}
void Reassembler::finish() {
  impl_->tcp.finish();
}
void Reassembler::end_connection(Connection& conn, EndReason reason) {
  impl_->tcp.end_connection(conn, reason);
}
void Reassembler::for_each_connection(const std::function<void(Connection&)>& visit) {
  impl_->tcp.for_each_connection(visit);
}
const Stats& Reassembler::stats() const noexcept {
  return impl_->stats;
}
const Config& Reassembler::config() const noexcept {
  return impl_->config;
}
std::size_t Reassembler::connection_count() const noexcept {
  return impl_->tcp.connection_count();
}
std::size_t Reassembler::memory_used() const noexcept {
  return impl_->tcp.memory_used() + impl_->defrag.memory_used();
}

}  // namespace flowkit
