#include "engine.h"

#include <fmt/format.h>

#include <algorithm>

#include "excerpt.h"

namespace flowkit::flowgrep {

namespace {

constexpr std::size_t index(Direction d) noexcept {
  return static_cast<std::size_t>(d);
}

std::vector<std::uint32_t> distinct(std::initializer_list<std::uint32_t> values) {
  std::vector<std::uint32_t> out;
  for (auto v : values) {
    if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
  }
  return out;
}

}  // namespace

struct Engine::State final : ConnectionData {
  explicit State(std::size_t context)
      : recent{RecentBytes(context + 256), RecentBytes(context + 256)} {}
  DirectionStream streams[2];
  RecentBytes recent[2];
  std::uint64_t matches = 0;
  bool matched = false;
  HeldFrames frames;
  std::string held_bytes[2];  // stream bytes before the verdict (--dump-dir)
  std::uint64_t held_lost[2] = {0, 0};
  std::unique_ptr<StreamFiles> files;
  int kill_rounds = 0;
};

EngineCounters& EngineCounters::operator+=(const EngineCounters& o) noexcept {
  matches += o.matches;
  matched_connections += o.matched_connections;
  udp_matches += o.udp_matches;
  kills += o.kills;
  rsts_sent += o.rsts_sent;
  inject_errors += o.inject_errors;
  return *this;
}

Engine::Engine(const CompiledPatterns& patterns, EngineOptions options, Report& report,
               PcapLog* pcap, RstInjector* injector)
    : patterns_(patterns),
      options_(std::move(options)),
      report_(report),
      pcap_(pcap),
      injector_(injector),
      matcher_(patterns) {
  if (!options_.dump_dir.empty()) prepare_dump_dir(options_.dump_dir);
}

bool Engine::scans(Direction dir) const noexcept {
  switch (options_.sides) {
    case Sides::Client:
      return dir == Direction::ToServer;
    case Sides::Server:
      return dir == Direction::ToClient;
    case Sides::Both:
      return true;
  }
  return true;
}

Engine::State& Engine::state(Connection& conn) {
  if (auto* s = conn.data<State>()) return *s;
  auto fresh = std::make_unique<State>(options_.context);
  auto& ref = *fresh;
  conn.set_data(std::move(fresh));
  return ref;
}

FlowEnds Engine::client_to_server(const Connection& conn) {
  const auto& k = conn.key();
  return {"tcp", k.client, k.client_port, k.server, k.server_port};
}

void Engine::on_established(Connection& conn) {
  state(conn);
  // Only what is matched or dumped needs to be reassembled.
  const bool dump = !options_.dump_dir.empty();
  conn.collect(Direction::ToServer, dump || scans(Direction::ToServer));
  conn.collect(Direction::ToClient, dump || scans(Direction::ToClient));
}

void Engine::on_segment(Connection& conn, Direction dir, const PacketInfo& pkt) {
  if (pcap_ == nullptr && !options_.kill) return;  // only -w and --kill look at packets
  auto& s = state(conn);
  if (pcap_ != nullptr) {
    if (s.matched) {
      pcap_->write(pkt);
    } else {
      s.frames.hold(pkt, options_.pcap_buffer);
    }
  }
  // After a kill, every packet the endpoint still sends carries in its ACK field exactly the
  // sequence number it expects next (a challenge ACK, if it saw an inexact RST): aim there.
  if (s.kill_rounds > 0 && s.kill_rounds < options_.kill_rounds && !options_.dry_run &&
      !pkt.tcp.has(tcp_flag::kRst) && pkt.tcp.has(tcp_flag::kAck)) {
    RstPacket rst{pkt.dst, pkt.dst_port, pkt.src, pkt.src_port, pkt.tcp.ack, pkt.tcp.seq};
    (void)dir;
    kill(conn, s, pkt.ts, {rst});
  }
}

std::size_t Engine::on_data(Connection& conn, Direction dir, const StreamChunk& chunk) {
  auto& s = state(conn);
  const auto fresh = chunk.bytes.last(chunk.new_bytes);
  const std::uint64_t offset = chunk.offset + (chunk.bytes.size() - chunk.new_bytes);
  if (!options_.dump_dir.empty()) {
    if (s.files) {
      s.files->append(dir, fresh);
    } else {
      auto& held = s.held_bytes[index(dir)];
      const std::size_t room = options_.dump_buffer - std::min(options_.dump_buffer, held.size());
      const std::size_t take = std::min(room, fresh.size());
      held.append(reinterpret_cast<const char*>(fresh.data()), take);
      s.held_lost[index(dir)] += fresh.size() - take;
    }
  }
  if (scans(dir)) {
    hits_.clear();
    matcher_.scan(s.streams[index(dir)], offset, fresh, hits_);
    if (!hits_.empty()) report_hits(conn, s, dir, offset, fresh, hits_);
    s.recent[index(dir)].append(offset, fresh);
  }
  return chunk.bytes.size();
}

void Engine::on_gap(Connection& conn, Direction dir, std::uint64_t offset, std::uint64_t length,
                    GapReason) {
  auto& s = state(conn);
  if (scans(dir)) {
    // A match must not be stitched together across bytes that were never seen.
    hits_.clear();
    matcher_.restart(s.streams[index(dir)], offset + length, hits_);
    if (!hits_.empty()) report_hits(conn, s, dir, offset, {}, hits_);
    s.recent[index(dir)].reset(offset + length);
  }
}

void Engine::report_hits(Connection& conn, State& s, Direction dir, std::uint64_t chunk_offset,
                         std::span<const std::byte> chunk, std::vector<Hit>& hits) {
  const std::uint64_t context = options_.context;
  for (const auto& hit : hits) {
    const bool start_known = patterns_.reports_start(hit.pattern);
    const std::uint64_t start = start_known ? hit.start : hit.end;
    MatchEvent e;
    e.ts = conn.last_seen();  // the packet being processed (or the last one, at the end)
    e.connection = conn.id();
    const auto& k = conn.key();
    e.ends = dir == Direction::ToServer
                 ? FlowEnds{"tcp", k.client, k.client_port, k.server, k.server_port}
                 : FlowEnds{"tcp", k.server, k.server_port, k.client, k.client_port};
    e.direction = std::string(to_string(dir));
    e.pattern_id = hit.pattern;
    e.pattern = patterns_.pattern(hit.pattern).text;
    e.start = hit.start;
    e.end = hit.end;
    e.start_known = start_known;
    e.excerpt = s.recent[index(dir)].slice(start > context ? start - context : 0, hit.end + context,
                                           chunk_offset, chunk);
    report_.match(e);
    ++counters_.matches;
    ++s.matches;
  }
  if (!s.matched) on_verdict(conn, s);
}

void Engine::on_verdict(Connection& conn, State& s) {
  s.matched = true;
  ++counters_.matched_connections;
  if (pcap_ != nullptr) s.frames.replay(*pcap_);
  if (!options_.dump_dir.empty()) {
    s.files = std::make_unique<StreamFiles>(options_.dump_dir, conn);
    for (Direction d : {Direction::ToServer, Direction::ToClient}) {
      auto& held = s.held_bytes[index(d)];
      s.files->append(d, std::as_bytes(std::span(held)));
      held.clear();
      held.shrink_to_fit();
      if (s.held_lost[index(d)] > 0) {
        report_.note(conn.last_seen(), conn.id(),
                     fmt::format("--dump-dir: {} {} bytes before the match did not fit the buffer",
                                 s.held_lost[index(d)], to_string(d)));
      }
    }
  }
  if (options_.kill) {
    // Aim each RST at the receiver's RCV.NXT: the last ACK it sent (what it expects next), and
    // the sender's own next sequence in case the capture saw data the ACK has not covered yet.
    const auto& client = conn.half(Direction::ToServer);
    const auto& server = conn.half(Direction::ToClient);
    const auto& k = conn.key();
    std::vector<RstPacket> packets;
    for (auto seq :
         distinct({server.ack_seen ? server.last_ack : client.next_seq, client.highest_seq})) {
      packets.push_back(
          {k.client, k.client_port, k.server, k.server_port, seq, server.highest_seq});
    }
    for (auto seq :
         distinct({client.ack_seen ? client.last_ack : server.next_seq, server.highest_seq})) {
      packets.push_back(
          {k.server, k.server_port, k.client, k.client_port, seq, client.highest_seq});
    }
    ++counters_.kills;
    kill(conn, s, conn.last_seen(), std::move(packets));
  }
}

void Engine::kill(Connection& conn, State& s, Timestamp ts, std::vector<RstPacket> packets) {
  ++s.kill_rounds;
  KillEvent e;
  e.ts = ts;
  e.connection = conn.id();
  e.ends = client_to_server(conn);
  e.dry_run = options_.dry_run;
  e.round = s.kill_rounds;
  e.packets = std::move(packets);
  if (!options_.dry_run && injector_ != nullptr) {
    for (const auto& p : e.packets) {
      try {
        injector_->send(p);
        ++counters_.rsts_sent;
      } catch (const InjectError& err) {
        ++counters_.inject_errors;
        e.error = err.what();
      }
    }
  }
  report_.kill(e);
}

void Engine::on_end(Connection& conn, EndReason reason) {
  auto& s = state(conn);
  for (Direction d : {Direction::ToServer, Direction::ToClient}) {
    if (!scans(d)) continue;
    hits_.clear();
    matcher_.close(s.streams[index(d)], hits_);  // end-anchored patterns report here
    if (!hits_.empty()) report_hits(conn, s, d, conn.half(d).delivered, {}, hits_);
  }
  EndEvent e;
  e.ts = conn.last_seen();
  e.connection = conn.id();
  e.ends = client_to_server(conn);
  e.reason = reason;
  e.matches = s.matches;
  e.bytes_to_server = conn.half(Direction::ToServer).delivered;
  e.bytes_to_client = conn.half(Direction::ToClient).delivered;
  e.packets = conn.half(Direction::ToServer).packets + conn.half(Direction::ToClient).packets;
  e.killed = s.kill_rounds > 0;
  e.pcap_frames_lost = pcap_ != nullptr && s.matched ? s.frames.lost() : 0;
  report_.end(e);
}

void Engine::on_udp(const PacketInfo& pkt) {
  if (!options_.udp) return;
  DirectionStream stream;
  hits_.clear();
  matcher_.scan(stream, 0, pkt.payload, hits_);
  matcher_.close(stream, hits_);
  for (const auto& hit : hits_) {
    MatchEvent e;
    e.ts = pkt.ts;
    e.ends = {"udp", pkt.src, pkt.src_port, pkt.dst, pkt.dst_port};
    e.direction = "udp";
    e.pattern_id = hit.pattern;
    e.pattern = patterns_.pattern(hit.pattern).text;
    e.start = hit.start;
    e.end = hit.end;
    e.start_known = patterns_.reports_start(hit.pattern);
    const std::uint64_t from = (e.start_known ? hit.start : hit.end);
    const std::uint64_t lo = from > options_.context ? from - options_.context : 0;
    const std::uint64_t hi =
        std::min<std::uint64_t>(hit.end + options_.context, pkt.payload.size());
    e.excerpt.assign(reinterpret_cast<const char*>(pkt.payload.data()) + lo, hi - lo);
    report_.match(e);
    ++counters_.matches;
    ++counters_.udp_matches;
  }
  if (pcap_ != nullptr && !hits_.empty()) pcap_->write(pkt);
}

}  // namespace flowkit::flowgrep
