// Writes seed inputs for the fuzz targets.
//   fuzz_seeds crafted OUT_DIR          small crafted inputs (committed in tests/fuzz/corpus)
//   fuzz_seeds pcaps PCAP_DIR OUT_DIR   inputs taken from real captures (scripts/fuzz.sh puts
//                                       them in the build directory's corpus copy)
// OUT_DIR gets one sub-directory per target; file names are content hashes, so running twice
// adds nothing.
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "flowkit/capture_file.h"
#include "flowkit/pcap_writer.h"
#include "flowkit/reassembler.h"
#include "fuzz_support.h"
#include "packet_builder.h"

namespace {

using namespace flowkit;
using fuzz::ByteWriter;
using fuzz::StreamScript;
using fuzz::TcpRecord;
using fuzz::TcpScript;
using testing::Frame;
using testing::PacketBuilder;
using testing::TcpSession;
namespace fs = std::filesystem;
namespace tf = testing::tcp_flags;

std::vector<std::byte> bytes_of(std::string_view text) {
  return testing::bytes_of(text);
}

class SeedWriter {
 public:
  explicit SeedWriter(fs::path root) : root_(std::move(root)) {}

  void add(const std::string& target, std::span<const std::byte> input) {
    std::uint64_t h = 1469598103934665603ULL;  // FNV-1a: stable names, duplicates collapse
    for (const std::byte b : input) h = (h ^ std::to_integer<std::uint64_t>(b)) * 1099511628211ULL;
    const fs::path dir = root_ / target;
    fs::create_directories(dir);
    std::ofstream(dir / fmt::format("{:016x}", h), std::ios::binary)
        .write(reinterpret_cast<const char*>(input.data()),
               static_cast<std::streamsize>(input.size()));
    ++counts_[target];
  }
  void report() const {
    for (const auto& [target, n] : counts_) std::printf("%s: %zu seed(s)\n", target.c_str(), n);
  }

 private:
  fs::path root_;
  std::map<std::string, std::size_t> counts_;
};

std::uint8_t link_index(int link_type) {
  const auto it = std::ranges::find(fuzz::kFrameLinkTypes, link_type);
  return static_cast<std::uint8_t>(it - fuzz::kFrameLinkTypes.begin());
}

void add_frame(SeedWriter& out, int link_type, std::span<const std::byte> frame,
               std::uint8_t options = 0) {
  if (std::ranges::find(fuzz::kFrameLinkTypes, link_type) == fuzz::kFrameLinkTypes.end()) return;
  out.add("frame", ByteWriter().u8(link_index(link_type)).u8(options).u8(0).bytes(frame).data());
}

// --- crafted ---------------------------------------------------------------------------------

void crafted_frames(SeedWriter& out) {
  using testing::Link;
  for (const Link link : {Link::Ethernet, Link::Raw, Link::Null, Link::Sll, Link::Sll2}) {
    for (const bool v6 : {false, true}) {
      TcpSession::Options o;
      o.link = link;
      if (v6) {
        o.client = "2001:db8::1";
        o.server = "2001:db8::2";
      }
      TcpSession s(o);
      const auto hs = s.handshake();
      const Frame data = s.client_send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
      for (const Frame* f : {&hs[0], &data}) add_frame(out, f->link_type, f->bytes);
      const Frame udp = PacketBuilder()
                            .link(link)
                            .ipv4("10.0.0.1", "10.0.0.2")
                            .udp(53, 53)
                            .payload("dns")
                            .build();
      add_frame(out, udp.link_type, udp.bytes);
    }
  }
  const Frame vlan = PacketBuilder()
                         .vlan(10)
                         .vlan(20, 0x88a8)
                         .ipv4("10.0.0.1", "10.0.0.2")
                         .tcp(1, 2)
                         .payload("x")
                         .build();
  add_frame(out, vlan.link_type, vlan.bytes);
  const Frame ext = PacketBuilder()
                        .ipv6("2001:db8::1", "2001:db8::2")
                        .ipv6_ext(0)
                        .ipv6_ext(43)
                        .ipv6_ext(60, 16)
                        .ipv6_ext(44)
                        .tcp(1, 2)
                        .flags(tf::SYN)
                        .build();
  add_frame(out, ext.link_type, ext.bytes);
  const std::byte options[] = {std::byte{7}, std::byte{3}, std::byte{4}};
  const Frame opts = PacketBuilder()
                         .ipv4("10.0.0.1", "10.0.0.2")
                         .ipv4_option(options)
                         .tcp(1, 2)
                         .tcp_options(options)
                         .flags(tf::SYN)
                         .build();
  add_frame(out, opts.link_type, opts.bytes, 0x06);  // checksums verified
  const auto first = PacketBuilder()
                         .ipv4("10.0.0.1", "10.0.0.2")
                         .udp(1, 2)
                         .payload(std::string(40, 'f'))
                         .fragments(16);
  add_frame(out, first.front().link_type, first.front().bytes);
  // An atomic IPv6 fragment completes by itself.
  const Frame atomic = PacketBuilder()
                           .ipv6("2001:db8::1", "2001:db8::2")
                           .ipv6_ext(44)
                           .udp(1, 2)
                           .payload("a")
                           .build();
  add_frame(out, atomic.link_type, atomic.bytes);
}

void crafted_defrag(SeedWriter& out) {
  const auto d = [](std::string_view t) { return bytes_of(t); };
  // IPv4 UDP datagram (8-byte header + 16 bytes) in three fragments, then one overlapping.
  ByteWriter v4;
  v4.u8(2).u8(0xFF);  // bsd, generous limits
  const std::string udp_header("\x00\x35\x00\x35\x00\x18\x00\x00", 8);
  const auto record = [](ByteWriter& w, std::uint8_t control, std::uint16_t block,
                         std::span<const std::byte> bytes) {
    w.u8(control).u16(block).u16(static_cast<std::uint16_t>(bytes.size())).bytes(bytes);
  };
  record(v4, 0x02, 0, d(udp_header));
  record(v4, 0x02, 1, d("AAAAAAAA"));
  record(v4, 0x02, 1, d("BBBBBBBB"));  // overlap with different bytes
  record(v4, 0x00, 2, d("CCCCCCCC"));
  out.add("defrag", v4.data());
  // The same over IPv6, TCP inside, out of order.
  ByteWriter v6;
  v6.u8(3).u8(0xFF);
  const std::string tcp_header(
      "\x9c\x40\x00\x50\x00\x00\x03\xe9\x00\x00\x00\x00\x50\x18\xff\xff\x00\x00\x00\x00", 20);
  record(v6, 0x11 | 0x02, 3, d("tail-of-it"));  // not a multiple of 8 yet: ends the datagram badly
  record(v6, 0x11, 3, d("last"));
  record(v6, 0x11 | 0x02, 0, d(tcp_header + "0123"));
  out.add("defrag", v6.data());
  // Tiny limits: every policy, many fragments of two datagrams interleaved.
  for (std::uint8_t policy = 0; policy < 6; ++policy) {
    ByteWriter w;
    w.u8(policy).u8(0x25);
    for (std::uint16_t i = 0; i < 6; ++i) {
      record(w, static_cast<std::uint8_t>(0x02 | (i % 2) << 2), i,
             d(std::string(8, static_cast<char>('a' + i))));
    }
    record(w, 0x00, 6, d("end"));
    out.add("defrag", w.data());
  }
}

TcpRecord segment(bool from_server, std::uint8_t flags, std::uint16_t offset, std::uint16_t ack,
                  std::string_view data = {}) {
  TcpRecord r;
  r.from_server = from_server;
  r.flags = flags;
  r.offset = offset;
  r.ack = ack;
  r.window = 0xFF;
  r.time_step = 1;
  r.payload = bytes_of(data);
  return r;
}

void crafted_tcp(SeedWriter& out) {
  const auto handshake = [](TcpScript& s) {
    s.records.push_back(segment(false, tf::SYN, 0, 0));
    s.records.push_back(segment(true, tf::SYN | tf::ACK, 0, 0));
    s.records.push_back(segment(false, tf::ACK, 0, 0));
  };
  for (const std::uint32_t isn : {1000U, 0xFFFFFFF0U}) {
    TcpScript s;
    s.client_isn = isn;
    s.server_isn = isn ^ 0x5a5a5a5aU;
    handshake(s);
    s.records.push_back(segment(false, tf::ACK | tf::PSH, 0, 0, "GET / HTTP/1.0\r\n\r\n"));
    s.records.push_back(segment(true, tf::ACK | tf::PSH, 0, 18, "HTTP/1.0 200 OK\r\n\r\nhello"));
    s.records.push_back(segment(false, tf::FIN | tf::ACK, 18, 24));
    s.records.push_back(segment(true, tf::FIN | tf::ACK, 24, 19));
    s.records.push_back(segment(false, tf::ACK, 19, 25));
    out.add("tcp", s.encode());
  }
  for (std::uint8_t policy = 0; policy < 6; ++policy) {
    TcpScript s;
    s.policy = policy;
    s.client_isn = 0xFFFFFF00U;
    s.server_isn = 7;
    handshake(s);
    // Out of order, overlapping with different bytes, a hole, an urgent byte, a RST in window.
    s.records.push_back(segment(false, tf::ACK, 4, 0, "OOOO"));
    s.records.push_back(segment(false, tf::ACK, 2, 0, "NNNNNNNN"));
    s.records.push_back(segment(false, tf::ACK, 0, 0, "AB"));
    s.records.push_back(segment(false, tf::ACK, 30, 0, "after a hole"));
    auto urgent = segment(false, tf::ACK | tf::URG, 10, 0, "urgent!");
    urgent.urgent = 3;
    s.records.push_back(urgent);
    s.records.push_back(segment(true, tf::ACK, 0, 42));
    s.records.push_back(segment(true, tf::RST | tf::ACK, 0, 0));
    out.add("tcp", s.encode());
  }
  {
    // Tiny caps: memcap, buffer limit and one connection slot; several ports; timeouts.
    TcpScript s;
    s.limits = 0x10 | 0x40;
    s.handler = 3;
    s.client_isn = 1;
    s.server_isn = 2;
    handshake(s);
    for (std::uint16_t i = 1; i < 12; ++i)
      s.records.push_back(
          segment(false, tf::ACK, static_cast<std::uint16_t>(i * 20), 0, "xxxxxxxxxx"));
    auto other = segment(false, tf::SYN, 0, 0);
    other.client_port = 1;
    s.records.push_back(other);
    auto late = segment(false, tf::ACK, 0, 0, "late!");
    late.time_step = 3;
    s.records.push_back(late);
    out.add("tcp", s.encode());
  }
  {
    // Mid-stream pick-up, IPv6 with a VLAN tag, data after FIN, SYN carrying data.
    TcpScript s;
    s.options = 1 | 4 | 8;
    s.handler = 0x0A;
    s.records.push_back(segment(true, tf::ACK | tf::PSH, 0, 0, "220 banner\r\n"));
    s.records.push_back(segment(false, tf::ACK | tf::FIN, 0, 12, "QUIT\r\n"));
    s.records.push_back(segment(false, tf::ACK, 6, 12, "after fin"));
    auto syn = segment(false, tf::SYN, 0, 0, "syn data");
    syn.client_port = 2;
    s.records.push_back(syn);
    out.add("tcp", s.encode());
  }
}

void add_pcapng(std::vector<std::byte>& file, std::uint32_t type, std::span<const std::byte> body) {
  const auto length = static_cast<std::uint32_t>(12 + (body.size() + 3) / 4 * 4);
  ByteWriter w;
  const auto le32 = [&w](std::uint32_t v) {
    for (int i = 0; i < 4; ++i) w.u8(static_cast<std::uint8_t>(v >> (8 * i)));
  };
  le32(type);
  le32(length);
  w.bytes(body);
  for (std::size_t pad = body.size(); pad % 4 != 0; ++pad) w.u8(0);
  le32(length);
  file.insert(file.end(), w.data().begin(), w.data().end());
}

std::vector<std::byte> le(std::initializer_list<std::uint32_t> words, std::size_t width = 4) {
  std::vector<std::byte> out;
  for (const std::uint32_t v : words) {
    for (std::size_t i = 0; i < width; ++i) out.push_back(static_cast<std::byte>(v >> (8 * i)));
  }
  return out;
}

void crafted_captures(SeedWriter& out, const fs::path& scratch) {
  TcpSession s;
  auto frames = s.handshake();
  frames.push_back(s.client_send("hello"));
  const auto views = testing::views(frames);
  const fs::path pcap = scratch / "seed.pcap";
  write_pcap(pcap.string(), 1, views);
  std::ifstream in(pcap, std::ios::binary);
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  out.add("capture", std::as_bytes(std::span(text)));
  write_pcap(pcap.string(), 1, views, true);
  std::ifstream in_ns(pcap, std::ios::binary);
  const std::string text_ns{std::istreambuf_iterator<char>(in_ns),
                            std::istreambuf_iterator<char>()};
  out.add("capture", std::as_bytes(std::span(text_ns)));

  // Several 4 KiB chunks for the record index, with payloads that imitate record headers (the
  // capture fuzzer walks them from guesses).
  TcpSession imitation;
  auto chained = imitation.handshake();
  std::string fake(16, '\0');
  const std::uint32_t fake_words[4] = {1700000000, 0, 8, 8};
  std::memcpy(fake.data(), fake_words, sizeof fake_words);
  std::string payload;
  while (payload.size() < 600) payload += fake + std::string(8, 'x');
  for (int i = 0; i < 12; ++i) chained.push_back(imitation.client_send(payload));
  write_pcap(pcap.string(), 1, testing::views(chained));
  std::ifstream in_chained(pcap, std::ios::binary);
  const std::string text_chained{std::istreambuf_iterator<char>(in_chained),
                                 std::istreambuf_iterator<char>()};
  out.add("capture", std::as_bytes(std::span(text_chained)));

  // pcapng: a section, two interfaces of different link types (one with if_tsresol), packets.
  std::vector<std::byte> ng;
  auto shb = le({0x1A2B3C4D});
  const auto version = le({1, 0}, 2);
  shb.insert(shb.end(), version.begin(), version.end());
  const auto section_length = le({0xFFFFFFFF, 0xFFFFFFFF});
  shb.insert(shb.end(), section_length.begin(), section_length.end());
  add_pcapng(ng, 0x0A0D0D0A, shb);
  auto idb = le({1, 0}, 2);
  const auto snap = le({65535});
  idb.insert(idb.end(), snap.begin(), snap.end());
  const auto tsresol = le({9, 1}, 2);
  idb.insert(idb.end(), tsresol.begin(), tsresol.end());
  idb.insert(idb.end(), {std::byte{9}, std::byte{0}, std::byte{0}, std::byte{0}});
  add_pcapng(ng, 1, idb);
  auto idb_raw = le({101, 0}, 2);
  idb_raw.insert(idb_raw.end(), snap.begin(), snap.end());
  add_pcapng(ng, 1, idb_raw);
  for (const auto& f : frames) {
    auto epb = le({0, 0, 1000, static_cast<std::uint32_t>(f.bytes.size()),
                   static_cast<std::uint32_t>(f.bytes.size())});
    epb.insert(epb.end(), f.bytes.begin(), f.bytes.end());
    add_pcapng(ng, 6, epb);
  }
  const Frame raw = PacketBuilder()
                        .link(testing::Link::Raw)
                        .ipv4("10.0.0.1", "10.0.0.2")
                        .udp(1, 2)
                        .payload("raw")
                        .build();
  auto epb = le({1, 0, 5, static_cast<std::uint32_t>(raw.bytes.size()), 100});
  epb.insert(epb.end(), raw.bytes.begin(), raw.bytes.end());
  add_pcapng(ng, 6, epb);
  auto spb = le({static_cast<std::uint32_t>(frames[0].bytes.size())});
  spb.insert(spb.end(), frames[0].bytes.begin(), frames[0].bytes.end());
  add_pcapng(ng, 3, spb);
  out.add("capture", ng);
}

StreamScript conversation(std::uint16_t port,
                          std::initializer_list<std::pair<bool, std::string_view>> chunks,
                          std::uint8_t options = 2) {
  StreamScript s;
  s.server_port = port;
  s.options = options;
  for (const auto& [from_server, text] : chunks) {
    s.chunks.push_back(StreamScript::Chunk{from_server, false, bytes_of(text)});
  }
  return s;
}

void crafted_streams(SeedWriter& out) {
  const std::vector<StreamScript> banners{
      conversation(22, {{true, "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u1\r\n"},
                        {false, "SSH-2.0-PuTTY_Release_0.78\r\n"}}),
      conversation(
          2222, {{true, "Welcome\r\nSSH-1.99-Cisco-1.25\n"}, {false, "SSH-2.0-libssh_0.10.4\r\n"}},
          0),
      conversation(
          80, {{false,
                "GET / HTTP/1.1\r\nHost: example.org\r\nUser-Agent: Mozilla/5.0 (X11; Linux "
                "x86_64; rv:109.0) Gecko/20100101 Firefox/115.0\r\n\r\n"},
               {true,
                "HTTP/1.1 200 OK\r\nServer: Apache/2.4.57 (Debian)\r\nX-Powered-By: "
                "PHP/8.2.7\r\nContent-Length: 5\r\n\r\nhello"},
               {false, "HEAD /x HTTP/1.1\r\nHost: example.org\r\nUser-Agent: curl/7.88.1\r\n\r\n"},
               {true,
                "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nTransfer-Encoding: chunked\r\n\r\n"}}),
      conversation(
          25, {{true, "220 mail.example.org ESMTP Postfix (Debian/GNU)\r\n"},
               {false, "EHLO client.example.org\r\n"},
               {true, "250-mail.example.org\r\n250 PIPELINING\r\n"},
               {false, "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n"},
               {false, "X-Mailer: Microsoft Outlook 16.0\r\nSubject: hi\r\n\r\nbody\r\n.\r\n"}}),
      conversation(21, {{true, "220 (vsFTPd 3.0.3)\r\n"}, {false, "USER anonymous\r\n"}}),
      conversation(110, {{true, "+OK Dovecot ready.\r\n"}}),
      conversation(143, {{true, "* OK [CAPABILITY IMAP4rev1] Dovecot ready.\r\n"}}),
  };
  for (const auto& s : banners) out.add("versiondetect", s.encode());

  const std::vector<StreamScript> http{
      conversation(
          80,
          {{false, "GET /index.html HTTP/1.1\r\nHost: www.example.org\r\nCookie: a=b\r\n\r\n"},
           {true, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 4\r\n\r\nbody"},
           {false,
            "GET /style.css?v=2 HTTP/1.1\r\nHost: www.example.org\r\nReferer: "
            "http://www.example.org/index.html\r\n\r\n"
            "GET /app.js HTTP/1.1\r\nHost: www.example.org\r\nReferer: "
            "http://www.example.org/index.html\r\n\r\n"},
           {true,
            "HTTP/1.1 304 Not Modified\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: "
            "chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n"}}),
      conversation(
          8080,
          {{false, "POST /form HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\na=b"},
           {true, "HTTP/1.1 302 Found\r\nLocation: /\r\nContent-Length: 0\r\n\r\n"},
           {false,
            "CONNECT secure.example.org:443 HTTP/1.1\r\nHost: secure.example.org:443\r\n\r\n"},
           {true, "HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x01"}}),
      conversation(
          80,
          {{true, "HTTP/1.0 200 OK\r\n\r\nresponse first"},
           {false,
            "ET /lost-start HTTP/1.1\r\nHost: h\r\n\r\nGET /next HTTP/1.1\r\nHost: h\r\n\r\n"}},
          1),
  };
  for (const auto& s : http) {
    auto input = ByteWriter().u8(0).data();
    const auto script = s.encode();
    input.insert(input.end(), script.begin(), script.end());
    out.add("httpgraph", input);
  }
}

// --- from real captures
// ---------------------------------------------------------------------------

/// Records, per connection, the in-order chunks of each direction and the raw TCP segments.
class ConversationRecorder : public Handler {
 public:
  struct Conversation {
    StreamScript script;
    TcpScript tcp;
    std::size_t bytes = 0;
    bool syn_seen = false;
  };
  std::map<std::uint64_t, Conversation> conversations;

  void on_established(Connection& c) override {
    auto& conv = conversations[c.id()];
    conv.script.server_port = c.key().server_port;
    conv.script.options = static_cast<std::uint8_t>((c.midstream() ? 1U : 0U) | 2U |
                                                    (c.key().client.is_v6() ? 4U : 0U));
  }
  std::size_t on_data(Connection& c, Direction d, const StreamChunk& chunk) override {
    auto& conv = conversations[c.id()];
    if (conv.bytes < 4096) {
      const auto fresh = chunk.bytes.last(chunk.new_bytes);
      conv.script.chunks.push_back({d == Direction::ToClient,
                                    pending_hole_[c.id()][static_cast<int>(d)],
                                    {fresh.begin(), fresh.end()}});
      pending_hole_[c.id()][static_cast<int>(d)] = false;
      conv.bytes += fresh.size();
    }
    return chunk.bytes.size();
  }
  void on_gap(Connection& c, Direction d, std::uint64_t, std::uint64_t, GapReason) override {
    pending_hole_[c.id()][static_cast<int>(d)] = true;
  }
  void on_segment(Connection& c, Direction d, const PacketInfo& pkt) override {
    auto& conv = conversations[c.id()];
    auto& t = conv.tcp;
    const bool from_server = d == Direction::ToClient;
    if (pkt.tcp.has(tf::SYN)) {
      (from_server ? t.server_isn : t.client_isn) = pkt.tcp.seq;
      if (pkt.tcp.has(tf::ACK) && from_server) t.client_isn = pkt.tcp.ack - 1;
    }
    if (t.records.size() >= 48) return;
    TcpRecord r;
    r.from_server = from_server;
    r.flags = pkt.tcp.flags;
    const std::uint32_t own = from_server ? t.server_isn : t.client_isn;
    const std::uint32_t peer = from_server ? t.client_isn : t.server_isn;
    r.offset = static_cast<std::uint16_t>(pkt.tcp.seq - own - (pkt.tcp.has(tf::SYN) ? 0U : 1U));
    r.ack = static_cast<std::uint16_t>(pkt.tcp.ack - peer - 1U);
    r.window = static_cast<std::uint8_t>(pkt.tcp.window >> 8);
    r.urgent = static_cast<std::uint8_t>(pkt.tcp.urgent);
    r.time_step = 1;
    const auto payload = pkt.payload.first(std::min<std::size_t>(pkt.payload.size(), 255));
    r.payload.assign(payload.begin(), payload.end());
    t.records.push_back(std::move(r));
  }

 private:
  std::map<std::uint64_t, std::array<bool, 2>> pending_hole_;
};

void from_capture(SeedWriter& out, const fs::path& file) {
  const auto size = fs::file_size(file);
  std::ifstream in(file, std::ios::binary);
  std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  // Whole small files; the start of big ones (the reader reports the cut, which is fine too).
  if (text.size() > 65536) text.resize(65536);
  out.add("capture", std::as_bytes(std::span(text)));

  ConversationRecorder recorder;
  Config config;
  config.tcp.midstream = true;
  Reassembler reassembler(config, recorder);
  std::size_t frames = 0;
  try {
    auto reader = CaptureFileReader::open(file.string());
    while (auto frame = reader.next()) {
      if (frames++ % std::max<std::uint64_t>(1, size / 400000) == 0 && frames < 400) {
        add_frame(out, frame->link_type, frame->data);
      }
      reassembler.process(*frame);
    }
  } catch (const CaptureError& e) {
    std::fprintf(stderr, "%s\n", e.what());
  }
  reassembler.finish();
  std::size_t taken = 0;
  for (auto& [id, conv] : recorder.conversations) {
    if (taken++ >= 8) break;
    if (conv.script.chunks.empty()) continue;
    out.add("versiondetect", conv.script.encode());
    auto input = ByteWriter().u8(0).data();
    const auto script = conv.script.encode();
    input.insert(input.end(), script.begin(), script.end());
    out.add("httpgraph", input);
    if (!conv.tcp.records.empty()) out.add("tcp", conv.tcp.encode());
  }
}

int usage() {
  std::fprintf(stderr, "usage: fuzz_seeds crafted OUT_DIR | fuzz_seeds pcaps PCAP_DIR OUT_DIR\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 2 && args[0] == "crafted") {
    SeedWriter out(args[1]);
    crafted_frames(out);
    crafted_defrag(out);
    crafted_tcp(out);
    crafted_captures(out, fs::temp_directory_path());
    crafted_streams(out);
    // The project's sample capture: whole, and frame by frame.
    const fs::path sample = fs::path(FLOWKIT_SOURCE_DIR) / "examples" / "sample.pcap";
    if (fs::exists(sample)) from_capture(out, sample);
    out.report();
    return 0;
  }
  if (args.size() == 3 && args[0] == "pcaps") {
    SeedWriter out(args[2]);
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(args[1])) {
      const auto ext = entry.path().extension();
      if (entry.is_regular_file() && (ext == ".pcap" || ext == ".pcapng"))
        files.push_back(entry.path());
    }
    std::ranges::sort(files);
    for (const auto& file : files) from_capture(out, file);
    out.report();
    return 0;
  }
  return usage();
}
