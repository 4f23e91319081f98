#include "flowkit/reassembler.h"

#include "decode/decoder.h"
#include "defrag/defragmenter.h"
#include "tcp/tcp_tracker.h"

namespace flowkit {

struct Reassembler::Impl {
  Impl(Config c, Handler& h)
      : config(std::move(c)),
        handler(h),
        defrag(config.defrag, stats),
        tcp(config.tcp, handler, stats) {}

  void process(const RawFrame& frame);
  void dispatch(PacketInfo& pkt);
  void run_timers(Timestamp now);

  Config config;
  Handler& handler;
  Stats stats;
  detail::Defragmenter defrag;
  detail::TcpTracker tcp;
  Timestamp now{};
  Timestamp last_sweep{};
};

void Reassembler::Impl::process(const RawFrame& frame) {
  // A datagram reassembled by a ParallelReassembler was counted there, fragment by fragment.
  const bool count = frame.link_type != detail::kLinkTypeReassembledIp;
  if (count) {
    ++stats.packets;
    stats.bytes += std::max<std::uint64_t>(frame.wire_length, frame.data.size());
  }
  run_timers(frame.ts);

  detail::LinkView link;
  if (auto failure = detail::decode_link(frame.link_type, frame.data, link)) {
    stats.drop(*failure);
    return;
  }
  PacketInfo pkt;
  pkt.ts = frame.ts;
  pkt.frame = frame.data;
  pkt.link_type = frame.link_type;
  pkt.wire_length = std::max<std::uint32_t>(frame.wire_length,
                                            static_cast<std::uint32_t>(frame.data.size()));
  pkt.vlan_key = link.vlan_key;
  detail::FragmentView fragment;
  if (auto failure = detail::decode_ip(link.l3, config.verify_ip_checksum, pkt, fragment)) {
    stats.drop(*failure);
    return;
  }
  if (count) {
    ++stats.ip_packets;
    if (pkt.src.is_v6()) ++stats.ipv6_packets;
  }

  if (fragment.is_fragment) {
    if (!config.defrag.enabled) return;
    const auto whole = defrag.add(detail::fragment_of(pkt, fragment));
    if (!whole) return;
    detail::FragmentView again;
    if (auto failure = detail::decode_ip(*whole, config.verify_ip_checksum, pkt, again)) {
      stats.drop(*failure);
      return;
    }
    if (again.is_fragment) {  // a reassembled packet cannot be a fragment itself
      stats.drop(DropReason::BadIpHeader);
      return;
    }
    pkt.reassembled = true;
  }
  dispatch(pkt);
}

void Reassembler::Impl::dispatch(PacketInfo& pkt) {
  if (auto failure = detail::decode_transport(pkt, config.verify_l4_checksum)) {
    stats.drop(*failure);
    return;
  }
  handler.on_ip(pkt);
  if (pkt.protocol == kProtoTcp) {
    tcp.process(pkt);
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

void Reassembler::process(const RawFrame& frame) { impl_->process(frame); }
void Reassembler::advance_time(Timestamp now) { impl_->run_timers(now); }
void Reassembler::finish() { impl_->tcp.finish(); }
void Reassembler::end_connection(Connection& conn, EndReason reason) {
  impl_->tcp.end_connection(conn, reason);
}
void Reassembler::for_each_connection(const std::function<void(Connection&)>& visit) {
  impl_->tcp.for_each_connection(visit);
}
const Stats& Reassembler::stats() const noexcept { return impl_->stats; }
const Config& Reassembler::config() const noexcept { return impl_->config; }
std::size_t Reassembler::connection_count() const noexcept { return impl_->tcp.connection_count(); }
std::size_t Reassembler::memory_used() const noexcept {
  return impl_->tcp.memory_used() + impl_->defrag.memory_used();
}

}  // namespace flowkit
