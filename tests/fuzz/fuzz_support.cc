#include "fuzz_support.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "packet_builder.h"

namespace flowkit::fuzz {

void fail(std::string_view what) {
  std::fprintf(stderr, "fuzz invariant broken: %.*s\n", static_cast<int>(what.size()), what.data());
  std::abort();
}

// --- bytes -------------------------------------------------------------------------------------

ByteReader::ByteReader(const std::uint8_t* data, std::size_t size) noexcept
    : data_(reinterpret_cast<const std::byte*>(data), size) {}

std::uint8_t ByteReader::u8() noexcept {
  if (empty()) return 0;
  return std::to_integer<std::uint8_t>(data_[at_++]);
}

std::uint16_t ByteReader::u16() noexcept {
  const unsigned hi = u8();
  return static_cast<std::uint16_t>(hi << 8 | u8());
}

std::uint32_t ByteReader::u32() noexcept {
  const std::uint32_t hi = u16();
  return hi << 16 | u16();
}

std::span<const std::byte> ByteReader::bytes(std::size_t n) noexcept {
  const std::size_t take = std::min(n, remaining());
  const auto out = data_.subspan(at_, take);
  at_ += take;
  return out;
}

ByteWriter& ByteWriter::u8(std::uint8_t v) {
  out_.push_back(std::byte{v});
  return *this;
}

ByteWriter& ByteWriter::u16(std::uint16_t v) {
  return u8(static_cast<std::uint8_t>(v >> 8)).u8(static_cast<std::uint8_t>(v));
}

ByteWriter& ByteWriter::u32(std::uint32_t v) {
  return u16(static_cast<std::uint16_t>(v >> 16)).u16(static_cast<std::uint16_t>(v));
}

ByteWriter& ByteWriter::bytes(std::span<const std::byte> b) {
  out_.insert(out_.end(), b.begin(), b.end());
  return *this;
}

ByteWriter& ByteWriter::text(std::string_view t) {
  for (const char c : t) u8(static_cast<std::uint8_t>(c));
  return *this;
}

namespace {
volatile std::uint32_t g_sink = 0;  // NOLINT: the one place reads must land
}  // namespace

void touch(std::span<const std::byte> bytes) noexcept {
  std::uint32_t h = 0;
  for (const std::byte b : bytes) h = h * 31 + std::to_integer<std::uint32_t>(b);
  g_sink = g_sink + h;
}

void touch_text(std::string_view text) noexcept {
  touch(std::as_bytes(std::span(text.data(), text.size())));
}

// --- the checking handler ------------------------------------------------------------------------

HandlerMode handler_mode(std::uint8_t bits) noexcept {
  HandlerMode mode;
  mode.consume = bits & 3U;
  mode.collect_to_client = (bits & 4U) == 0;
  mode.end_on_bang = (bits & 8U) != 0;
  return mode;
}

CheckingHandler::Open& CheckingHandler::open(const Connection& c, std::string_view callback) {
  if (ended_.contains(c.id()))
    fail(fmt::format("{} after on_end (connection {})", callback, c.id()));
  const auto it = open_.find(c.id());
  if (it == open_.end()) {
    fail(fmt::format("{} before on_established (connection {})", callback, c.id()));
  }
  return it->second;
}

void CheckingHandler::touch_packet(const PacketInfo& pkt) noexcept {
  touch(pkt.frame);
  touch(pkt.ip);
  touch(pkt.l4);
  touch(pkt.payload);
}

void CheckingHandler::on_established(Connection& c) {
  if (open_.contains(c.id()) || ended_.contains(c.id())) {
    fail(fmt::format("connection {} established twice", c.id()));
  }
  open_.emplace(c.id(), Open{});
  touch_text(c.key().to_string());
  if (inner_ != nullptr) {
    inner_->on_established(c);
  } else {
    c.collect(Direction::ToClient, mode_.collect_to_client);
  }
}

std::size_t CheckingHandler::on_data(Connection& c, Direction d, const StreamChunk& chunk) {
  Half& half = open(c, "on_data").halves[static_cast<std::size_t>(d)];
  if (!c.half(d).collect) fail("on_data for a direction that is not collected");
  if (chunk.new_bytes > chunk.bytes.size()) fail("new_bytes larger than the chunk");
  if (chunk.bytes.size() - chunk.new_bytes != half.kept) {
    fail(fmt::format("chunk starts with {} old bytes, {} were kept",
                     chunk.bytes.size() - chunk.new_bytes, half.kept));
  }
  if (chunk.offset + chunk.bytes.size() - chunk.new_bytes != half.next) {
    fail(fmt::format("new bytes at offset {}, expected {}",
                     chunk.offset + chunk.bytes.size() - chunk.new_bytes, half.next));
  }
  half.next = chunk.offset + chunk.bytes.size();
  touch(chunk.bytes);

  const std::size_t size = chunk.bytes.size();
  std::size_t consumed = size;
  if (inner_ != nullptr) {
    consumed = std::min(inner_->on_data(c, d, chunk), size);
  } else {
    switch (mode_.consume) {
      case 1:
        consumed = size - std::min<std::size_t>(size, chunk.offset % 8);
        break;
      case 2:
        consumed = size - size % 16;
        break;
      case 3:
        consumed = size < 32 ? 0 : size;
        break;
      default:
        break;
    }
  }
  // A last offer (no new bytes) is the final chance: whatever is returned is dropped.
  const std::size_t kept = chunk.new_bytes == 0 ? 0 : size - consumed;
  kept_total_ = kept_total_ - half.kept + kept;
  half.kept = kept;

  if (mode_.end_on_bang && reassembler_ != nullptr &&
      std::ranges::find(chunk.bytes, std::byte{'!'}) != chunk.bytes.end()) {
    reassembler_->end_connection(c, EndReason::Reset);
  }
  return consumed;
}

void CheckingHandler::on_gap(Connection& c, Direction d, std::uint64_t offset, std::uint64_t length,
                             GapReason reason) {
  Half& half = open(c, "on_gap").halves[static_cast<std::size_t>(d)];
  if (half.kept != 0) fail("gap reported while kept bytes were not offered a last time");
  if (offset != half.next) fail(fmt::format("gap at {}, expected {}", offset, half.next));
  if (length == 0) fail("empty gap");
  half.next = offset + length;
  if (inner_ != nullptr) inner_->on_gap(c, d, offset, length, reason);
}

void CheckingHandler::on_overlap_conflict(Connection& c, Direction d, std::uint64_t offset,
                                          std::uint64_t length) {
  open(c, "on_overlap_conflict");
  if (length == 0) fail("empty overlap conflict");
  if (inner_ != nullptr) inner_->on_overlap_conflict(c, d, offset, length);
}

void CheckingHandler::on_urgent(Connection& c, Direction d, std::byte value) {
  // Urgent data may arrive before the handshake completes: only "not after the end" holds.
  if (ended_.contains(c.id())) fail("on_urgent after on_end");
  touch(std::span(&value, 1));
  if (inner_ != nullptr) inner_->on_urgent(c, d, value);
}

void CheckingHandler::on_segment(Connection& c, Direction d, const PacketInfo& pkt) {
  if (ended_.contains(c.id())) fail("on_segment after on_end");
  touch_packet(pkt);
  if (inner_ != nullptr) inner_->on_segment(c, d, pkt);
}

void CheckingHandler::on_end(Connection& c, EndReason reason) {
  Open& state = open(c, "on_end");
  for (const Half& half : state.halves) kept_total_ -= half.kept;
  open_.erase(c.id());
  ended_.insert(c.id());
  if (inner_ != nullptr) inner_->on_end(c, reason);
}

void CheckingHandler::on_udp(const PacketInfo& pkt) {
  touch_packet(pkt);
  if (inner_ != nullptr) inner_->on_udp(pkt);
}

void CheckingHandler::on_ip(const PacketInfo& pkt) {
  touch_packet(pkt);
  if (inner_ != nullptr) inner_->on_ip(pkt);
}

void CheckingHandler::check_finished(const Reassembler& reassembler) const {
  if (!open_.empty()) fail(fmt::format("{} connection(s) never ended", open_.size()));
  if (reassembler.connection_count() != 0) fail("connections left after finish()");
  // Streams hold nothing after finish(); only fragments of incomplete datagrams may remain.
  const auto& defrag = reassembler.config().defrag;
  if (reassembler.memory_used() > (defrag.enabled ? defrag.memcap : 0)) {
    fail(fmt::format("{} bytes still held after finish()", reassembler.memory_used()));
  }
  const Stats& s = reassembler.stats();
  const std::uint64_t ends =
      s.connections_closed + s.connections_reset + s.connections_timed_out + s.connections_evicted;
  if (s.connections_opened != ended_.size() || ends != s.connections_opened) {
    fail(fmt::format("opened {} announced {} ended {} (closed {} reset {} timeout {} evicted {})",
                     s.connections_opened, ended_.size(), ends, s.connections_closed,
                     s.connections_reset, s.connections_timed_out, s.connections_evicted));
  }
}

void check_memory(const Reassembler& reassembler, const Config& config,
                  const CheckingHandler& handler) {
  // Defragmentation never passes its cap; streams may pass theirs only by what the handler
  // keeps (its choice, not the reassembler's).
  const std::size_t bound =
      (config.defrag.enabled ? config.defrag.memcap : 0) + config.tcp.memcap + handler.kept_bytes();
  if (reassembler.memory_used() > bound) {
    fail(fmt::format("memory {} over the caps ({})", reassembler.memory_used(), bound));
  }
}

// --- tcp script ----------------------------------------------------------------------------------

TcpScript TcpScript::decode(ByteReader& in) {
  TcpScript s;
  s.policy = in.u8();
  s.options = in.u8();
  s.limits = in.u8();
  s.handler = in.u8();
  s.client_isn = in.u32();
  s.server_isn = in.u32();
  while (!in.empty()) {
    TcpRecord r;
    const std::uint8_t control = in.u8();
    r.from_server = (control & 1U) != 0;
    r.client_port = (control >> 1) & 3U;
    r.time_step = (control >> 3) & 3U;
    r.patch = (control & 0x20U) != 0;
    r.flags = in.u8();
    r.offset = in.u16();
    r.ack = in.u16();
    r.window = in.u8();
    r.urgent = in.u8();
    const auto payload = in.bytes(in.u8());
    r.payload.assign(payload.begin(), payload.end());
    if (r.patch) {
      r.patch_at = in.u8();
      r.patch_xor = in.u8();
    }
    s.records.push_back(std::move(r));
  }
  return s;
}

std::vector<std::byte> TcpScript::encode() const {
  ByteWriter w;
  w.u8(policy).u8(options).u8(limits).u8(handler).u32(client_isn).u32(server_isn);
  for (const TcpRecord& r : records) {
    const auto control =
        static_cast<std::uint8_t>((r.from_server ? 1U : 0U) | (r.client_port & 3U) << 1 |
                                  (r.time_step & 3U) << 3 | (r.patch ? 0x20U : 0U));
    w.u8(control).u8(r.flags).u16(r.offset).u16(r.ack).u8(r.window).u8(r.urgent);
    const std::size_t n = std::min<std::size_t>(r.payload.size(), 255);
    w.u8(static_cast<std::uint8_t>(n)).bytes(std::span(r.payload).first(n));
    if (r.patch) w.u8(r.patch_at).u8(r.patch_xor);
  }
  return w.data();
}

Config TcpScript::config() const {
  Config c;
  constexpr std::array kPolicies{OverlapPolicy::First,   OverlapPolicy::Last,
                                 OverlapPolicy::Bsd,     OverlapPolicy::Linux,
                                 OverlapPolicy::Windows, OverlapPolicy::Solaris};
  c.tcp.policy = kPolicies[policy % kPolicies.size()];
  c.defrag.policy = c.tcp.policy;
  c.tcp.midstream = (options & 1U) != 0;
  c.tcp.rst_requires_window = (options & 2U) == 0;
  c.tcp.urgent_inline = (options & 16U) == 0;
  c.verify_ip_checksum = c.verify_l4_checksum = (options & 32U) != 0;
  constexpr std::array<std::size_t, 4> kMemcaps{200, 4096, 65536, 512U << 20};
  constexpr std::array<std::size_t, 4> kBufferLimits{100, 1000, 30000, 1U << 20};
  constexpr std::array<std::size_t, 4> kMaxConnections{1, 2, 3, 1U << 20};
  c.tcp.memcap = kMemcaps[limits & 3U];
  c.tcp.stream_buffer_limit = kBufferLimits[(limits >> 2) & 3U];
  c.tcp.max_connections = kMaxConnections[(limits >> 4) & 3U];
  c.tcp.gap_timeout = (limits & 0x40U) != 0 ? std::chrono::seconds(2) : std::chrono::seconds(30);
  c.tcp.embryonic_timeout = std::chrono::seconds(30);
  c.tcp.idle_timeout = (limits & 0x80U) != 0 ? std::chrono::seconds(60) : std::chrono::seconds(600);
  // No fragments here (the defrag target has them): then every byte held must be given back.
  c.defrag.enabled = false;
  return c;
}

// --- stream script -------------------------------------------------------------------------------

StreamScript StreamScript::decode(ByteReader& in) {
  StreamScript s;
  s.server_port = in.u16();
  s.options = in.u8();
  while (!in.empty()) {
    Chunk chunk;
    const std::uint8_t control = in.u8();
    chunk.from_server = (control & 0x80U) != 0;
    chunk.hole_before = (control & 0x40U) != 0;
    // Lengths 0..63 directly; 63 means a long chunk whose length follows in 16 bits.
    std::size_t length = control & 0x3FU;
    if (length == 0x3F) length = in.u16();
    const auto bytes = in.bytes(length);
    chunk.bytes.assign(bytes.begin(), bytes.end());
    s.chunks.push_back(std::move(chunk));
  }
  return s;
}

std::vector<std::byte> StreamScript::encode() const {
  ByteWriter w;
  w.u16(server_port).u8(options);
  for (const Chunk& chunk : chunks) {
    const std::size_t n = std::min<std::size_t>(chunk.bytes.size(), 0xFFFF);
    const auto flags =
        static_cast<unsigned>((chunk.from_server ? 0x80U : 0U) | (chunk.hole_before ? 0x40U : 0U));
    if (n < 0x3F) {
      w.u8(static_cast<std::uint8_t>(flags | n));
    } else {
      w.u8(static_cast<std::uint8_t>(flags | 0x3FU)).u16(static_cast<std::uint16_t>(n));
    }
    w.bytes(std::span(chunk.bytes).first(n));
  }
  return w.data();
}

void run_stream_script(const StreamScript& script, Handler& tool) {
  using testing::TcpSession;
  TcpSession::Options o;
  const bool v6 = (script.options & 4U) != 0;
  o.client = v6 ? "2001:db8::1" : "192.0.2.1";
  o.server = v6 ? "2001:db8::2" : "192.0.2.2";
  o.client_port = 50000;
  o.server_port = script.server_port;
  TcpSession session(o);
  Config config;
  config.tcp.midstream = (script.options & 1U) != 0;
  CheckingHandler handler({}, &tool);
  Reassembler reassembler(config, handler);
  const auto feed = [&](const testing::Frame& f) { reassembler.process(f.view()); };
  if (config.tcp.midstream) {
    session.handshake();  // sequence numbers advance, nothing captured
  } else {
    for (const auto& f : session.handshake()) feed(f);
  }
  std::uint32_t sent[2] = {0, 0};  // stream offsets, client then server
  for (const auto& chunk : script.chunks) {
    const std::size_t side = chunk.from_server ? 1 : 0;
    if (chunk.hole_before) sent[side] += 1 + static_cast<std::uint32_t>(chunk.bytes.size() % 16);
    const std::string_view text(reinterpret_cast<const char*>(chunk.bytes.data()),
                                chunk.bytes.size());
    // Segments of at most 1400 bytes, as a real sender cuts them.
    for (std::size_t at = 0; at < text.size() || (text.empty() && at == 0); at += 1400) {
      const auto piece = text.substr(at, 1400);
      feed(chunk.from_server ? session.server_at(sent[side], piece)
                             : session.client_at(sent[side], piece));
      sent[side] += static_cast<std::uint32_t>(piece.size());
      if (text.empty()) break;
    }
  }
  if ((script.options & 2U) != 0) {
    // Each side acknowledges what was sent (holes included), then both close.
    feed(session.client_ack_to(sent[1]));
    feed(session.server_ack_to(sent[0]));
    feed(session.client_packet()
             .flags(testing::tcp_flags::FIN | testing::tcp_flags::ACK)
             .seq(o.client_isn + 1 + sent[0])
             .ack(o.server_isn + 1 + sent[1])
             .build());
    feed(session.server_packet()
             .flags(testing::tcp_flags::FIN | testing::tcp_flags::ACK)
             .seq(o.server_isn + 1 + sent[1])
             .ack(o.client_isn + 2 + sent[0])
             .build());
  }
  reassembler.finish();
  handler.check_finished(reassembler);
}

}  // namespace flowkit::fuzz
