#include "tcp/tcp_tracker.h"

#include <algorithm>
#include <vector>

#include "elapsed.h"
#include "tcp/sequence.h"

namespace flowkit::detail {

namespace {

constexpr std::size_t index(Direction d) noexcept {
  return static_cast<std::size_t>(d);
}

// Marks the span in which user callbacks run, so that end_connection() from inside one is
// deferred instead of freeing the node under our feet.
class CallbackScope {
 public:
  explicit CallbackScope(int& depth) noexcept : depth_(depth) { ++depth_; }
  ~CallbackScope() { --depth_; }
  CallbackScope(const CallbackScope&) = delete;
  CallbackScope& operator=(const CallbackScope&) = delete;

 private:
  int& depth_;
};

// The largest window a receiver can advertise (65535 << 14) bounds how far ahead of what was
// acknowledged a sender may write; anything beyond is out of window for every stack.
constexpr std::uint64_t kMaxWindow = std::uint64_t{65535} << 14;

constexpr Duration kRelinkInterval = std::chrono::seconds(1);

}  // namespace

TcpTracker::TcpTracker(const TcpConfig& config, Handler& handler, Stats& stats)
    : config_(config), handler_(handler), stats_(stats) {}

void TcpTracker::process(const PacketInfo& pkt, std::size_t flow_hash) {
  now_ = std::max(now_, pkt.ts);
  ++stats_.tcp_segments;
  const auto& tcp = pkt.tcp;
  const bool syn = tcp.has(tcp_flag::kSyn);
  const bool ack = tcp.has(tcp_flag::kAck);

  auto [c, dir] = table_.find(pkt, flow_hash);
  if (c != nullptr && syn && !ack) {
    // A SYN on a known tuple: a retransmission of the opening SYN, or a new connection reusing
    // the ports once the old one is over (or abandoned with another ISN).
    const auto& rx = c->rx(dir);
    const bool same_syn = c->state_ == ConnectionState::SynSent && dir == Direction::ToServer &&
                          rx.base_known && tcp.seq + 1 == rx.base_seq;
    const bool same_isn = rx.base_known && tcp.seq + 1 == rx.base_seq;
    if (!same_syn && (c->ended || !same_isn)) {
      if (!c->ended) end(*c, EndReason::PortReuse);
      if (table_.find(pkt, flow_hash).node != nullptr) table_.erase(*c);
      c = nullptr;
    }
  }
  if (c == nullptr) {
    c = create(pkt);
    if (c == nullptr) {
      stats_.drop(DropReason::TcpNoConnection);
      return;
    }
    dir = pkt.src == c->key_.client && pkt.src_port == c->key_.client_port ? Direction::ToServer
                                                                           : Direction::ToClient;
  }

  c->last_seen_ = pkt.ts;
  ++c->mutable_half(dir).packets;
  if (c->ended) {
    table_.touch(*c, TimerClass::Ended);
    return;  // late segments of a finished connection are absorbed quietly
  }
  {
    CallbackScope scope(in_callback_);
    handler_.on_segment(*c, dir, pkt);
  }

  if (tcp.has(tcp_flag::kRst)) {
    handle_rst(*c, dir, pkt);
  } else {
    handle_handshake(*c, dir, pkt);
    track_sender(*c, dir, pkt);
    if (!pkt.payload.empty() || tcp.has(tcp_flag::kFin)) handle_data(*c, dir, pkt);
    if (ack) handle_ack(*c, dir, tcp.ack);
    for (Direction d : {Direction::ToServer, Direction::ToClient}) {
      auto& rx = c->rx(d);
      if (c->announced && !rx.queue.empty() && now_ - c->hole_since(d) >= config_.gap_timeout) {
        skip_hole(*c, d, GapReason::Timeout, rx.queue.front_offset());
      }
    }
  }
  after_packet(*c);
}

ConnectionNode* TcpTracker::create(const PacketInfo& pkt) {
  const auto& tcp = pkt.tcp;
  const bool syn = tcp.has(tcp_flag::kSyn);
  const bool ack = tcp.has(tcp_flag::kAck);
  if (tcp.has(tcp_flag::kRst)) return nullptr;
  if (!syn && !config_.midstream) return nullptr;

  auto node = table_.make_node();
  // Who is the client: the SYN's sender, the SYN/ACK's receiver, or (mid-stream) the side with
  // the higher port, since servers mostly listen on low ports.
  bool src_is_client = true;
  if (syn) {
    src_is_client = !ack;
  } else {
    src_is_client =
        pkt.src_port > pkt.dst_port || (pkt.src_port == pkt.dst_port && pkt.src < pkt.dst);
  }
  auto& key = node->key_;
  key.vlan_key = pkt.vlan_key;
  key.client = src_is_client ? pkt.src : pkt.dst;
  key.server = src_is_client ? pkt.dst : pkt.src;
  key.client_port = src_is_client ? pkt.src_port : pkt.dst_port;
  key.server_port = src_is_client ? pkt.dst_port : pkt.src_port;
  const Direction sender = src_is_client ? Direction::ToServer : Direction::ToClient;
  auto& own = node->rx(sender);
  auto& peer = node->rx(opposite(sender));

  if (syn) {
    own.base_known = true;
    own.base_seq = tcp.seq + 1;
    own.syn_window_scale = tcp.window_scale;
    node->mutable_half(sender).isn = tcp.seq;
    if (ack) {  // the SYN/ACK came first: the client's ISN follows from the ACK
      peer.base_known = true;
      peer.base_seq = tcp.ack;
      node->mutable_half(opposite(sender)).isn = tcp.ack - 1;
      node->state_ = ConnectionState::SynReceived;
    } else {
      node->state_ = ConnectionState::SynSent;
    }
  } else {
    own.base_known = true;
    own.base_seq = tcp.seq;
    node->mutable_half(sender).isn = tcp.seq - 1;
    if (ack) {
      peer.base_known = true;
      peer.base_seq = tcp.ack;
      node->mutable_half(opposite(sender)).isn = tcp.ack - 1;
    }
    node->midstream_ = true;
    node->state_ = ConnectionState::Established;
  }
  for (Direction d : {Direction::ToServer, Direction::ToClient}) {
    auto& half = node->mutable_half(d);
    half.next_seq = node->rx(d).base_seq;
    half.highest_seq = half.next_seq;
    half.collect = config_.collect_by_default;
  }
  node->first_seen_ = pkt.ts;
  node->last_seen_ = pkt.ts;
  node->id_ = config_.first_id + next_id_++ * config_.id_stride;
  node->timer = TimerClass::Embryonic;

  make_room();
  auto& c = table_.insert(std::move(node));
  if (c.state_ == ConnectionState::Established) establish(c);
  return &c;
}

void TcpTracker::make_room() {
  while (table_.size() >= config_.max_connections) {
    if (auto* ended = table_.oldest(TimerClass::Ended)) {
      table_.erase(*ended);
    } else if (auto* embryonic = table_.oldest(TimerClass::Embryonic)) {
      // Half-open connections go first: a SYN flood must not push out real connections.
      stats_.drop(DropReason::ConnectionLimit);
      release_buffers(*embryonic);  // data queued before its handshake completed
      table_.erase(*embryonic);
    } else if (auto* active = table_.oldest(TimerClass::Active)) {
      end(*active, EndReason::Evicted);
    } else {
      return;
    }
  }
}

void TcpTracker::establish(ConnectionNode& c) {
  c.state_ = ConnectionState::Established;
  c.announced = true;
  ++stats_.connections_opened;
  set_timer(c);
  {
    CallbackScope scope(in_callback_);
    handler_.on_established(c);
  }
  // Data that came with or before the handshake's end (TCP Fast Open, reordering) is queued.
  drain(c, Direction::ToServer);
  drain(c, Direction::ToClient);
}

void TcpTracker::handle_handshake(ConnectionNode& c, Direction dir, const PacketInfo& pkt) {
  const auto& tcp = pkt.tcp;
  const bool syn = tcp.has(tcp_flag::kSyn);
  const bool ack = tcp.has(tcp_flag::kAck);
  auto& client = c.rx(Direction::ToServer);
  auto& server = c.rx(Direction::ToClient);
  switch (c.state_) {
    case ConnectionState::SynSent:
      if (syn && ack && dir == Direction::ToClient) {
        if (client.base_known && tcp.ack != client.base_seq) return;  // not for this SYN
        server.base_known = true;
        server.base_seq = tcp.seq + 1;
        server.syn_window_scale = tcp.window_scale;
        c.mutable_half(Direction::ToClient).isn = tcp.seq;
        c.mutable_half(Direction::ToClient).next_seq = server.base_seq;
        c.mutable_half(Direction::ToClient).highest_seq = server.base_seq;
        // Window scaling is in force only when both SYNs carried the option (RFC 7323).
        if (client.syn_window_scale != 0xff && server.syn_window_scale != 0xff) {
          c.mutable_half(Direction::ToServer).window_scale =
              std::min<std::uint8_t>(client.syn_window_scale, 14);
          c.mutable_half(Direction::ToClient).window_scale =
              std::min<std::uint8_t>(server.syn_window_scale, 14);
        }
        c.state_ = ConnectionState::SynReceived;
      } else if (!syn && ack && dir == Direction::ToServer) {
        // The SYN/ACK was not captured, but the client's ACK tells the server's ISN.
        server.base_known = true;
        server.base_seq = tcp.ack;
        c.mutable_half(Direction::ToClient).isn = tcp.ack - 1;
        c.mutable_half(Direction::ToClient).next_seq = tcp.ack;
        c.mutable_half(Direction::ToClient).highest_seq = tcp.ack;
        establish(c);
      }
      break;
    case ConnectionState::SynReceived:
      if (!syn && ack) establish(c);
      break;
    default:
      break;
  }
}

void TcpTracker::track_sender(ConnectionNode& c, Direction dir, const PacketInfo& pkt) {
  const auto& tcp = pkt.tcp;
  auto& half = c.mutable_half(dir);
  if (tcp.has(tcp_flag::kAck)) {
    half.last_ack = tcp.ack;
    half.ack_seen = true;
  }
  // Windows in SYN segments are never scaled.
  half.window = tcp.has(tcp_flag::kSyn)
                    ? tcp.window
                    : static_cast<std::uint32_t>(tcp.window) << half.window_scale;
  const std::uint32_t end = tcp.seq + static_cast<std::uint32_t>(pkt.payload.size()) +
                            (tcp.has(tcp_flag::kSyn) ? 1 : 0) + (tcp.has(tcp_flag::kFin) ? 1 : 0);
  if (seq_diff(end, half.highest_seq) > 0) half.highest_seq = end;
}

bool TcpTracker::rst_in_window(ConnectionNode& c, Direction dir, std::uint32_t seq) const {
  const auto& rx = c.rx_[index(dir)];
  if (!rx.base_known) return true;
  const auto& sender = c.half(dir);
  const auto& receiver = c.half(opposite(dir));
  const std::uint32_t window = std::max<std::uint32_t>(receiver.window, 1);
  // Accept around any of the plausible receive points: what we delivered, what the receiver
  // acknowledged, and the sender's highest sequence (our view may lag the endpoints').
  std::uint32_t candidates[3] = {sender.next_seq, sender.highest_seq, sender.next_seq};
  if (receiver.ack_seen) candidates[2] = receiver.last_ack;
  return std::any_of(std::begin(candidates), std::end(candidates), [&](std::uint32_t point) {
    const std::int32_t d = seq_diff(seq, point);
    return d >= -1 && static_cast<std::int64_t>(d) < static_cast<std::int64_t>(window);
  });
}

void TcpTracker::handle_rst(ConnectionNode& c, Direction dir, const PacketInfo& pkt) {
  if (!c.announced) {
    // Refused or aborted before the handshake completed: nothing was announced, nothing to end.
    // An answer to a bare SYN is believable only if it acknowledges exactly that SYN (RFC 793),
    // which blind injected resets get wrong.
    const auto& client = c.rx(Direction::ToServer);
    const bool answers_syn =
        pkt.tcp.has(tcp_flag::kAck) && client.base_known && pkt.tcp.ack == client.base_seq;
    const bool valid = c.state_ == ConnectionState::SynSent && dir == Direction::ToClient
                           ? answers_syn
                           : rst_in_window(c, dir, pkt.tcp.seq);
    if (!config_.rst_requires_window || valid) {
      c.ended = true;
      c.state_ = ConnectionState::Closed;
      release_buffers(c);  // data queued before the handshake: never to be delivered
      set_timer(c);
    } else {
      stats_.drop(DropReason::TcpRstOutOfWindow);
    }
    return;
  }
  if (config_.rst_requires_window && !rst_in_window(c, dir, pkt.tcp.seq)) {
    stats_.drop(DropReason::TcpRstOutOfWindow);
    return;
  }
  end(c, EndReason::Reset);
}

void TcpTracker::handle_data(ConnectionNode& c, Direction dir, const PacketInfo& pkt) {
  const auto& tcp = pkt.tcp;
  auto& rx = c.rx(dir);
  auto& half = c.mutable_half(dir);
  if (!rx.base_known) {
    // First word from this side of a mid-stream connection: its stream starts here.
    rx.base_known = true;
    rx.base_seq = tcp.seq;
    half.isn = tcp.seq - 1;
    half.next_seq = tcp.seq;
  }
  const std::uint32_t data_seq = tcp.seq + (tcp.has(tcp_flag::kSyn) ? 1 : 0);
  std::int64_t offset = seq_to_offset(data_seq, rx.base_seq, half.delivered);
  auto payload = pkt.payload;

  // A truncated segment's FIN sits after bytes we do not have: leave it to the retransmission.
  if (tcp.has(tcp_flag::kFin) && !rx.fin_known && !pkt.truncated) {
    const std::int64_t fin = offset + static_cast<std::int64_t>(payload.size());
    if (fin >= static_cast<std::int64_t>(half.delivered)) {
      rx.fin_known = true;
      rx.fin_offset = static_cast<std::uint64_t>(fin);
      half.fin_seen = true;
      const std::size_t held = rx.queue.memory();
      rx.queue.truncate(rx.fin_offset);
      memory_ -= held - rx.queue.memory();
      half.buffered = rx.queue.bytes();
      if (c.state_ == ConnectionState::Established) c.state_ = ConnectionState::Closing;
    }
  }
  if (rx.fin_known) {  // nothing exists past the FIN
    const auto limit = static_cast<std::int64_t>(rx.fin_offset);
    if (offset >= limit) return;
    if (offset + static_cast<std::int64_t>(payload.size()) > limit) {
      payload = payload.first(static_cast<std::size_t>(limit - offset));
    }
  }
  if (payload.empty()) return;

  const auto delivered = static_cast<std::int64_t>(half.delivered);
  const auto end = offset + static_cast<std::int64_t>(payload.size());
  if (end <= delivered) {
    stats_.retransmitted_bytes += payload.size();
    return;
  }
  if (offset < delivered) {
    const auto cut = static_cast<std::size_t>(delivered - offset);
    stats_.retransmitted_bytes += cut;
    payload = payload.subspan(cut);
    offset = delivered;
  }
  const auto start = static_cast<std::uint64_t>(offset);

  // Out of window: beyond anything the receiver could have allowed, even with maximal scaling.
  const std::uint64_t horizon = std::max(half.delivered, rx.acked_known ? rx.acked : 0);
  if (start > horizon + kMaxWindow) {
    stats_.drop(DropReason::TcpOutOfWindow);
    return;
  }

  if (tcp.has(tcp_flag::kUrg) && tcp.urgent > 0 && tcp.urgent <= pkt.payload.size()) {
    CallbackScope scope(in_callback_);
    handler_.on_urgent(c, dir, pkt.payload[tcp.urgent - 1]);
  }

  if (c.announced && start == half.delivered && rx.queue.empty()) {
    deliver(c, dir, payload);  // the common case: in order, nothing queued, no copy
    return;
  }
  const bool had_hole = !rx.queue.empty();
  const std::size_t held = rx.queue.memory();
  const auto result =
      rx.queue.insert(start, payload, config_.policy, [&](std::uint64_t at, std::uint64_t length) {
        ++stats_.tcp_overlap_conflicts;
        // Handlers hear of a connection first through on_established; before it, only counted.
        if (!c.announced) return;
        CallbackScope scope(in_callback_);
        handler_.on_overlap_conflict(c, dir, at, length);
      });
  if (result.overlapped > 0) ++stats_.tcp_overlaps;
  stats_.retransmitted_bytes += result.overlapped;
  memory_ += rx.queue.memory() - held;
  half.buffered = rx.queue.bytes();
  if (!had_hole) c.hole_since(dir) = now_;
  drain(c, dir);
  // The receiver already acknowledged bytes of the holes: they will never be retransmitted.
  while (c.announced && rx.acked_known && rx.acked > half.delivered && !rx.queue.empty()) {
    skip_hole(c, dir, GapReason::AckedUnseen, rx.acked);
  }
  enforce_limits(c, dir);
}

void TcpTracker::handle_ack(ConnectionNode& c, Direction dir, std::uint32_t ack) {
  // An ACK from `dir`'s sender acknowledges the other direction's bytes.
  const Direction data_dir = opposite(dir);
  auto& rx = c.rx(data_dir);
  if (!rx.base_known) return;
  const auto& half = c.half(data_dir);
  std::int64_t acked = seq_to_offset(ack, rx.base_seq, half.delivered);
  if (acked <= 0) return;
  if (rx.fin_known) acked = std::min<std::int64_t>(acked, static_cast<std::int64_t>(rx.fin_offset));
  const auto acked_offset = static_cast<std::uint64_t>(acked);
  if (!rx.acked_known || acked_offset > rx.acked) {
    rx.acked = acked_offset;
    rx.acked_known = true;
  }
  // The receiver has bytes the capture lost: waiting for them would stall the stream forever.
  // Every hole below the ACK goes, not only the first.
  while (c.announced && !rx.queue.empty() && rx.acked > half.delivered) {
    skip_hole(c, data_dir, GapReason::AckedUnseen, rx.acked);
  }
}

void TcpTracker::deliver(ConnectionNode& c, Direction dir, std::span<const std::byte> bytes) {
  auto& half = c.mutable_half(dir);
  auto& rx = c.rx(dir);
  const std::uint64_t offset = half.delivered;
  half.delivered += bytes.size();
  half.next_seq = offset_to_seq(half.delivered, rx.base_seq);
  if (!half.collect || c.ended) return;
  stats_.stream_bytes_delivered += bytes.size();
  std::size_t consumed = 0;
  if (rx.kept.empty()) {
    CallbackScope scope(in_callback_);
    consumed = handler_.on_data(c, dir, StreamChunk{bytes, bytes.size(), offset});
    consumed = std::min(consumed, bytes.size());
    if (consumed < bytes.size()) {
      rx.kept.append(bytes.subspan(consumed));
      memory_ += rx.kept.size();
    }
    return;
  }
  const std::size_t before = rx.kept.size();
  rx.kept.append(bytes);
  {
    CallbackScope scope(in_callback_);
    consumed = handler_.on_data(c, dir, StreamChunk{rx.kept.view(), bytes.size(), offset - before});
  }
  rx.kept.consume(consumed);
  memory_ = memory_ + rx.kept.size() - before;
}

void TcpTracker::drain(ConnectionNode& c, Direction dir) {
  if (!c.announced) return;
  auto& rx = c.rx(dir);
  auto& half = c.mutable_half(dir);
  bool delivered_any = false;
  while (!rx.queue.empty() && rx.queue.front_offset() <= half.delivered) {
    std::uint64_t offset = 0;
    const std::size_t held = rx.queue.memory();
    auto bytes = rx.queue.pop_front(offset);
    memory_ -= held - rx.queue.memory();
    // Queued ranges are disjoint and start at or above what was delivered when queued; a gap
    // skip may since have moved past part of one.
    const std::uint64_t skip = half.delivered - offset;
    if (skip < bytes.size()) {
      deliver(c, dir, std::span<const std::byte>(bytes).subspan(static_cast<std::size_t>(skip)));
    }
    delivered_any = true;
  }
  half.buffered = rx.queue.bytes();
  if (delivered_any && !rx.queue.empty()) c.hole_since(dir) = now_;
}

void TcpTracker::report_gap(ConnectionNode& c, Direction dir, std::uint64_t offset,
                            std::uint64_t length, GapReason reason) {
  auto& half = c.mutable_half(dir);
  auto& rx = c.rx(dir);
  ++stats_.gaps;
  stats_.gap_bytes += length;
  half.gap_bytes += length;
  // Kept bytes can never be continued contiguously now.
  offer_kept(c, dir);
  memory_ -= rx.kept.size();
  rx.kept.clear();
  if (half.collect && !c.ended) {
    CallbackScope scope(in_callback_);
    handler_.on_gap(c, dir, offset, length, reason);
  }
}

void TcpTracker::offer_kept(ConnectionNode& c, Direction dir) {
  auto& rx = c.rx(dir);
  const auto& half = c.half(dir);
  if (rx.kept.empty() || !half.collect || c.ended) return;
  CallbackScope scope(in_callback_);
  handler_.on_data(c, dir, StreamChunk{rx.kept.view(), 0, half.delivered - rx.kept.size()});
}

void TcpTracker::skip_hole(ConnectionNode& c, Direction dir, GapReason reason,
                           std::uint64_t limit) {
  auto& half = c.mutable_half(dir);
  auto& rx = c.rx(dir);
  std::uint64_t target = limit;
  if (!rx.queue.empty()) target = std::min(target, rx.queue.front_offset());
  if (target <= half.delivered) return;
  report_gap(c, dir, half.delivered, target - half.delivered, reason);
  half.delivered = target;
  half.next_seq = offset_to_seq(half.delivered, rx.base_seq);
  drain(c, dir);
}

void TcpTracker::flush(ConnectionNode& c, Direction dir) {
  auto& rx = c.rx(dir);
  while (!rx.queue.empty()) skip_hole(c, dir, GapReason::StreamEnd, rx.queue.front_offset());
  const auto& half = c.half(dir);
  // Bytes the receiver acknowledged but the capture never carried, at the very end.
  const std::uint64_t end = rx.fin_known ? std::min(rx.acked, rx.fin_offset) : rx.acked;
  if (rx.acked_known && end > half.delivered) {
    report_gap(c, dir, half.delivered, end - half.delivered, GapReason::AckedUnseen);
    c.mutable_half(dir).delivered = end;
  }
}

void TcpTracker::enforce_limits(ConnectionNode& c, Direction dir) {
  auto& rx = c.rx(dir);
  if (!c.announced) {
    // Before the handshake completes nothing can be delivered nor reported as a gap, so
    // skipping holes cannot make room (it would loop forever): what is queued is dropped.
    if (!rx.queue.empty() &&
        (rx.queue.bytes() > config_.stream_buffer_limit || memory_ > config_.memcap)) {
      stats_.drop(DropReason::TcpStreamMemcap);
      memory_ -= rx.queue.memory();
      rx.queue.clear();
      c.mutable_half(dir).buffered = 0;
    }
  }
  while (!rx.queue.empty() && rx.queue.bytes() > config_.stream_buffer_limit) {
    skip_hole(c, dir, GapReason::BufferLimit, rx.queue.front_offset());
  }
  while (!rx.queue.empty() && memory_ > config_.memcap) {
    skip_hole(c, dir, GapReason::BufferLimit, rx.queue.front_offset());
  }
  // Still over the cap (other connections hold the memory): evict the least recently used.
  while (memory_ > config_.memcap) {
    ConnectionNode* victim = table_.oldest(TimerClass::Active);
    if (victim == nullptr || victim == &c) victim = table_.oldest(TimerClass::Embryonic);
    if (victim == nullptr || victim == &c) break;
    stats_.drop(DropReason::TcpStreamMemcap);
    if (victim->announced) {
      end(*victim, EndReason::Evicted);
    } else {
      release_buffers(*victim);
      table_.erase(*victim);
    }
  }
}

bool TcpTracker::finished(ConnectionNode& c, Direction dir) {
  const auto& rx = c.rx(dir);
  return rx.fin_known && c.half(dir).delivered >= rx.fin_offset;
}

void TcpTracker::after_packet(ConnectionNode& c) {
  if (c.end_request && !c.ended) {
    const EndReason reason = *c.end_request;
    c.end_request.reset();
    end(c, reason);
    return;
  }
  if (!c.ended && c.announced && finished(c, Direction::ToServer) &&
      finished(c, Direction::ToClient)) {
    end(c, EndReason::Close);
    return;
  }
  if (!c.ended) set_timer(c);
}

void TcpTracker::end(ConnectionNode& c, EndReason reason) {
  if (c.ended) return;
  if (in_callback_ > 0) {
    c.end_request = reason;
    return;
  }
  if (c.announced) {
    flush(c, Direction::ToServer);
    flush(c, Direction::ToClient);
    offer_kept(c, Direction::ToServer);
    offer_kept(c, Direction::ToClient);
    switch (reason) {
      case EndReason::Close:
        ++stats_.connections_closed;
        break;
      case EndReason::Reset:
        ++stats_.connections_reset;
        break;
      case EndReason::Timeout:
        ++stats_.connections_timed_out;
        break;
      case EndReason::Evicted:
        ++stats_.connections_evicted;
        break;
      case EndReason::PortReuse:
      case EndReason::EndOfInput:
        ++stats_.connections_closed;
        break;
    }
    c.ended = true;
    c.state_ = ConnectionState::Closed;
    CallbackScope scope(in_callback_);
    handler_.on_end(c, reason);
  }
  c.ended = true;
  c.state_ = ConnectionState::Closed;
  release_buffers(c);
  c.user_.reset();
  // Closed and reset connections linger to absorb late segments; the rest go now.
  if (reason == EndReason::Close || reason == EndReason::Reset) {
    set_timer(c);
  } else {
    table_.erase(c);
  }
}

void TcpTracker::release_buffers(ConnectionNode& c) noexcept {
  for (auto& rx : c.rx_) {
    memory_ -= rx.queue.memory() + rx.kept.size();
    rx.queue.clear();
    rx.kept.release();
  }
  c.mutable_half(Direction::ToServer).buffered = 0;
  c.mutable_half(Direction::ToClient).buffered = 0;
}

void TcpTracker::set_timer(ConnectionNode& c) noexcept {
  TimerClass timer = TimerClass::Active;
  if (c.ended) {
    timer = TimerClass::Ended;
  } else if (!c.announced) {
    timer = TimerClass::Embryonic;
  }
  // Relinking on every packet costs cache misses on the hot path; once per second of packet
  // time keeps the lists in LRU order to within a second, which is all the timeouts need.
  if (timer == c.timer && elapsed(c.last_seen_, c.relinked) < kRelinkInterval) return;
  c.relinked = c.last_seen_;
  table_.touch(c, timer);
}

void TcpTracker::expire(Timestamp now) {
  now_ = std::max(now_, now);
  const Duration timeouts[kTimerClasses] = {config_.embryonic_timeout, config_.idle_timeout,
                                            config_.closing_timeout};
  for (std::size_t i = 0; i < kTimerClasses; ++i) {
    const auto timer = static_cast<TimerClass>(i);
    while (ConnectionNode* c = table_.oldest(timer)) {
      if (elapsed(now_, c->last_seen_) < timeouts[i]) break;
      if (c->announced && !c->ended) {
        end(*c, EndReason::Timeout);
      } else {
        release_buffers(*c);
        table_.erase(*c);
      }
    }
  }
}

void TcpTracker::finish() {
  std::vector<ConnectionNode*> all;
  all.reserve(table_.size());
  table_.for_each([&](ConnectionNode& c) { all.push_back(&c); });
  // Oldest first, so end-of-input events come in the order connections began.
  std::sort(all.begin(), all.end(),
            [](const ConnectionNode* a, const ConnectionNode* b) { return a->id_ < b->id_; });
  for (ConnectionNode* c : all) {
    if (c->announced && !c->ended) {
      end(*c, EndReason::EndOfInput);  // erases it
    } else {
      release_buffers(*c);
      table_.erase(*c);
    }
  }
}

void TcpTracker::end_connection(Connection& conn, EndReason reason) {
  end(static_cast<ConnectionNode&>(conn), reason);
}

void TcpTracker::for_each_connection(const std::function<void(Connection&)>& visit) {
  std::vector<ConnectionNode*> all;
  table_.for_each([&](ConnectionNode& c) {
    if (c.announced && !c.ended) all.push_back(&c);
  });
  for (ConnectionNode* c : all) {
    CallbackScope scope(in_callback_);
    visit(*c);
  }
  for (ConnectionNode* c : all) {
    if (c->end_request) after_packet(*c);
  }
}

}  // namespace flowkit::detail
