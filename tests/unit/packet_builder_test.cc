#include "packet_builder.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "flowkit/pcap_writer.h"

namespace flowkit::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// --- reading crafted bytes back, independently of the builder --------------------------------

std::uint32_t u8at(const Frame& f, std::size_t at) {
  return std::to_integer<std::uint32_t>(f.bytes.at(at));
}
std::uint32_t u16at(const Frame& f, std::size_t at) {
  return (u8at(f, at) << 8) | u8at(f, at + 1);
}
std::uint32_t u32at(const Frame& f, std::size_t at) {
  return (u16at(f, at) << 16) | u16at(f, at + 2);
}
std::string text_at(const Frame& f, std::size_t at) {
  return {reinterpret_cast<const char*>(f.bytes.data() + at), f.bytes.size() - at};
}

/// The ones'-complement sum of 16-bit words, folded: 0xFFFF over data with a valid checksum.
std::uint32_t folded_sum(std::span<const std::byte> data, std::uint64_t sum = 0) {
  for (std::size_t i = 0; i < data.size(); i += 2) {
    const auto hi = std::to_integer<std::uint64_t>(data[i]);
    const auto lo = i + 1 < data.size() ? std::to_integer<std::uint64_t>(data[i + 1]) : 0;
    sum += (hi << 8) | lo;
  }
  while (sum >> 16 != 0) sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<std::uint32_t>(sum);
}

/// Offset of the IP header in an Ethernet (possibly VLAN-tagged) frame.
std::size_t ip_offset(const Frame& f) {
  std::size_t at = 12;
  while (u16at(f, at) == 0x8100 || u16at(f, at) == 0x88a8) at += 4;
  return at + 2;
}

bool ipv4_header_valid(const Frame& f, std::size_t ip) {
  const std::size_t length = (u8at(f, ip) & 0x0F) * 4;
  return folded_sum(std::span{f.bytes}.subspan(ip, length)) == 0xFFFF;
}

/// Verifies the TCP or UDP checksum of an unfragmented packet whose L4 header is at `l4`.
bool l4_checksum_valid(const Frame& f, std::size_t ip, std::size_t l4, std::uint8_t protocol) {
  const bool v6 = (u8at(f, ip) >> 4) == 6;
  const auto bytes = std::span{f.bytes};
  const std::size_t length = f.bytes.size() - l4;
  std::uint64_t pseudo = protocol + length;
  const auto addresses = v6 ? bytes.subspan(ip + 8, 32) : bytes.subspan(ip + 12, 8);
  pseudo += folded_sum(addresses);
  return folded_sum(bytes.subspan(l4), pseudo) == 0xFFFF;
}

struct Tcp {
  std::uint16_t sport = 0;
  std::uint16_t dport = 0;
  std::uint32_t seq = 0;
  std::uint32_t ack = 0;
  std::uint8_t flags = 0;
  std::uint16_t window = 0;
  std::string payload;
  bool checksum_ok = false;
};

/// Parses Ethernet/VLAN or SLL, IPv4 or IPv6 (no extension headers), TCP.
Tcp parse_tcp(const Frame& f) {
  const std::size_t ip = f.link_type == 113 ? 16 : ip_offset(f);
  const bool v6 = (u8at(f, ip) >> 4) == 6;
  const std::size_t l4 = v6 ? ip + 40 : ip + (u8at(f, ip) & 0x0F) * 4;
  Tcp t;
  t.sport = static_cast<std::uint16_t>(u16at(f, l4));
  t.dport = static_cast<std::uint16_t>(u16at(f, l4 + 2));
  t.seq = u32at(f, l4 + 4);
  t.ack = u32at(f, l4 + 8);
  t.flags = static_cast<std::uint8_t>(u8at(f, l4 + 13));
  t.window = static_cast<std::uint16_t>(u16at(f, l4 + 14));
  t.payload = text_at(f, l4 + (u8at(f, l4 + 12) >> 4) * 4);
  t.checksum_ok = l4_checksum_valid(f, ip, l4, 6) && (v6 || ipv4_header_valid(f, ip));
  return t;
}

std::vector<std::byte> raw(std::initializer_list<int> values) {
  std::vector<std::byte> out;
  for (const int v : values) out.push_back(static_cast<std::byte>(v));
  return out;
}

std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('A' + i % 23);
  return s;
}

// --- tshark ----------------------------------------------------------------------------------

bool have_tshark() {
  return ::access("/usr/bin/tshark", X_OK) == 0;
}

class TempFile {
 public:
  TempFile() {
    std::string pattern = (fs::temp_directory_path() / "flowkit-builder-XXXXXX").string();
    const int fd = ::mkstemp(pattern.data());
    if (fd < 0) throw std::runtime_error("mkstemp failed");
    ::close(fd);
    path_ = pattern;
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() { ::unlink(path_.c_str()); }
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
};

/// Writes `frames` to a pcap and returns tshark's fields, one row per frame, checksums checked.
std::vector<std::vector<std::string>> tshark(const std::vector<Frame>& frames,
                                             std::initializer_list<std::string_view> fields,
                                             std::string_view extra_options = "") {
  TempFile file;
  write_pcap(file.path(), frames.front().link_type, views(frames));
  std::string command = fmt::format(
      "/usr/bin/tshark -r {} -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE "
      "-o udp.check_checksum:TRUE {} -T fields",
      file.path(), extra_options);
  for (const auto field : fields) command += fmt::format(" -e {}", field);
  command += " 2>/dev/null";
  std::vector<std::vector<std::string>> rows;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return rows;
  std::string output;
  std::array<char, 4096> chunk{};
  std::size_t n = 0;
  while ((n = std::fread(chunk.data(), 1, chunk.size(), pipe)) > 0) output.append(chunk.data(), n);
  EXPECT_EQ(::pclose(pipe), 0) << command;
  std::istringstream lines(output);
  std::string line;
  while (std::getline(lines, line)) {
    std::vector<std::string> row;
    std::istringstream cells(line);
    std::string cell;
    while (std::getline(cells, cell, '\t')) row.push_back(cell);
    row.resize(fields.size());
    rows.push_back(std::move(row));
  }
  return rows;
}

constexpr const char* kGood = "1";  // Wireshark's checksum status values
constexpr const char* kBad = "0";

std::string hex(std::string_view text) {
  std::string out;
  for (const char c : text) out += fmt::format("{:02x}", static_cast<unsigned char>(c));
  return out;
}

// --- PacketBuilder: byte layout --------------------------------------------------------------

TEST(PacketBuilderTest, EthernetIpv4TcpLayout) {
  const auto tcp_opts = raw({2, 4, 0x05, 0xb4, 1});  // MSS 1460, NOP: padded to 8
  const Frame f = PacketBuilder()
                      .ipv4("192.0.2.1", "198.51.100.2")
                      .ttl(17)
                      .ip_id(0xBEEF)
                      .tcp(1234, 80)
                      .seq(0xDEADBEEF)
                      .ack(0x01020304)
                      .flags(tcp_flags::SYN | tcp_flags::ACK)
                      .window(4096)
                      .urgent(7)
                      .tcp_options(tcp_opts)
                      .payload("hello")
                      .time(Timestamp{42})
                      .build();
  EXPECT_EQ(f.link_type, 1);
  EXPECT_EQ(f.ts, Timestamp{42});
  ASSERT_EQ(f.bytes.size(), 14U + 20 + 28 + 5);
  EXPECT_EQ(f.view().wire_length, f.bytes.size());
  EXPECT_EQ(f.view().data.size(), f.bytes.size());
  EXPECT_EQ(u16at(f, 12), 0x0800U);
  EXPECT_EQ(u8at(f, 14), 0x45U);
  EXPECT_EQ(u16at(f, 16), 20U + 28 + 5);  // total length
  EXPECT_EQ(u16at(f, 18), 0xBEEFU);
  EXPECT_EQ(u16at(f, 20), 0U);  // no fragmentation flags
  EXPECT_EQ(u8at(f, 22), 17U);
  EXPECT_EQ(u8at(f, 23), 6U);
  EXPECT_EQ(u32at(f, 26), 0xC0000201U);
  EXPECT_EQ(u32at(f, 30), 0xC6336402U);
  EXPECT_TRUE(ipv4_header_valid(f, 14));
  EXPECT_EQ(u16at(f, 34), 1234U);
  EXPECT_EQ(u16at(f, 36), 80U);
  EXPECT_EQ(u32at(f, 38), 0xDEADBEEFU);
  EXPECT_EQ(u32at(f, 42), 0x01020304U);
  EXPECT_EQ(u8at(f, 46), 7U << 4);  // 28-byte header
  EXPECT_EQ(u8at(f, 47), 0x12U);
  EXPECT_EQ(u16at(f, 48), 4096U);
  EXPECT_EQ(u16at(f, 52), 7U);
  EXPECT_EQ(u32at(f, 54), 0x020405b4U);
  EXPECT_EQ(u32at(f, 58), 0x01000000U);  // NOP then zero padding
  EXPECT_EQ(text_at(f, 62), "hello");
  EXPECT_TRUE(l4_checksum_valid(f, 14, 34, 6));
}

TEST(PacketBuilderTest, DefaultsAreAnAckWithFullWindow) {
  const Tcp t = parse_tcp(PacketBuilder().ipv4("10.0.0.1", "10.0.0.2").tcp(1, 2).build());
  EXPECT_EQ(t.flags, tcp_flags::ACK);
  EXPECT_EQ(t.window, 65535);
  EXPECT_TRUE(t.checksum_ok);
}

TEST(PacketBuilderTest, VlanTagsOutermostFirst) {
  const Frame f = PacketBuilder()
                      .vlan(100, 0x88a8)
                      .vlan(200)
                      .ipv6("2001:db8::1", "2001:db8::2")
                      .udp(5000, 6000)
                      .payload("q")
                      .build();
  EXPECT_EQ(u16at(f, 12), 0x88a8U);
  EXPECT_EQ(u16at(f, 14), 100U);
  EXPECT_EQ(u16at(f, 16), 0x8100U);
  EXPECT_EQ(u16at(f, 18), 200U);
  EXPECT_EQ(u16at(f, 20), 0x86DDU);
  EXPECT_EQ(ip_offset(f), 22U);
  EXPECT_EQ(u8at(f, 22) >> 4, 6U);
  EXPECT_EQ(u16at(f, 22 + 4), 9U);  // payload length: UDP header + 1
  EXPECT_EQ(u8at(f, 22 + 6), 17U);
  EXPECT_EQ(u16at(f, 62 + 4), 9U);  // UDP length
  EXPECT_TRUE(l4_checksum_valid(f, 22, 62, 17));
}

TEST(PacketBuilderTest, LinkLayers) {
  auto base = [](Link link) { return PacketBuilder().link(link).tcp(1, 2).payload("x"); };
  const Frame raw4 = base(Link::Raw).ipv4("1.1.1.1", "2.2.2.2").build();
  EXPECT_EQ(raw4.link_type, 101);
  EXPECT_EQ(u8at(raw4, 0), 0x45U);
  EXPECT_EQ(raw4.bytes.size(), 20U + 20 + 1);

  const Frame null4 = base(Link::Null).ipv4("1.1.1.1", "2.2.2.2").build();
  const Frame null6 = base(Link::Null).ipv6("::1", "::2").build();
  EXPECT_EQ(null4.link_type, 0);
  EXPECT_EQ(u32at(null4, 0), 0x02000000U);  // AF_INET 2, little-endian
  EXPECT_EQ(u32at(null6, 0), 0x1E000000U);  // AF_INET6 30 (macOS), little-endian
  EXPECT_EQ(u8at(null6, 4) >> 4, 6U);

  const Frame sll = base(Link::Sll).ipv4("1.1.1.1", "2.2.2.2").build();
  EXPECT_EQ(sll.link_type, 113);
  EXPECT_EQ(u16at(sll, 2), 1U);  // ARPHRD_ETHER
  EXPECT_EQ(u16at(sll, 4), 6U);
  EXPECT_EQ(u16at(sll, 14), 0x0800U);
  EXPECT_EQ(u8at(sll, 16), 0x45U);

  const Frame sll2 = base(Link::Sll2).vlan(9).ipv6("::1", "::2").build();
  EXPECT_EQ(sll2.link_type, 276);
  EXPECT_EQ(u16at(sll2, 0), 0x8100U);  // protocol first
  EXPECT_EQ(u16at(sll2, 8), 1U);       // ARPHRD_ETHER
  EXPECT_EQ(u16at(sll2, 20), 9U);      // the tag's TCI
  EXPECT_EQ(u16at(sll2, 22), 0x86DDU);
  EXPECT_EQ(u8at(sll2, 24) >> 4, 6U);

  EXPECT_EQ(link_type_of(Link::Ethernet), 1);
  EXPECT_THROW((void)base(Link::Raw).vlan(3).ipv4("1.1.1.1", "2.2.2.2").build(),
               std::invalid_argument);
}

TEST(PacketBuilderTest, Ipv4OptionsArePaddedToFourBytes) {
  const auto option = raw({0x94, 0x04, 0x00, 0x00, 0x01});  // router alert + 1 byte
  const Frame f = PacketBuilder().ipv4("1.1.1.1", "2.2.2.2").ipv4_option(option).udp(1, 2).build();
  EXPECT_EQ(u8at(f, 14), 0x47U);  // IHL 7: 8 bytes of options
  EXPECT_EQ(u32at(f, 34), 0x94040000U);
  EXPECT_EQ(u32at(f, 38), 0x01000000U);
  EXPECT_TRUE(ipv4_header_valid(f, 14));
  EXPECT_TRUE(l4_checksum_valid(f, 14, 42, 17));
  EXPECT_THROW(PacketBuilder().ipv4_option(std::vector<std::byte>(41)), std::invalid_argument);
}

TEST(PacketBuilderTest, Ipv6ExtensionHeadersChainInOrder) {
  const Frame f = PacketBuilder()
                      .ipv6("2001:db8::1", "2001:db8::2")
                      .ipv6_ext(0)
                      .ipv6_ext(43, 24)
                      .ipv6_ext(60, 16)
                      .tcp(1, 2)
                      .payload("data")
                      .build();
  const std::size_t ip = 14;
  EXPECT_EQ(u8at(f, ip + 6), 0U);  // hop-by-hop first
  EXPECT_EQ(u16at(f, ip + 4), 8U + 24 + 16 + 20 + 4);
  EXPECT_EQ(u8at(f, ip + 40), 43U);  // -> routing
  EXPECT_EQ(u8at(f, ip + 41), 0U);   // 8 bytes
  EXPECT_EQ(u8at(f, ip + 42), 1U);   // PadN
  EXPECT_EQ(u8at(f, ip + 43), 4U);
  EXPECT_EQ(u8at(f, ip + 48), 60U);  // -> destination options
  EXPECT_EQ(u8at(f, ip + 49), 2U);   // 24 bytes
  EXPECT_EQ(u8at(f, ip + 51), 0U);   // no segments left
  EXPECT_EQ(u8at(f, ip + 72), 6U);   // -> TCP
  EXPECT_EQ(u8at(f, ip + 73), 1U);   // 16 bytes
  EXPECT_EQ(u16at(f, ip + 88), 1U);  // TCP source port
  EXPECT_TRUE(l4_checksum_valid(f, ip, ip + 88, 6));
  EXPECT_THROW(PacketBuilder().ipv6_ext(60, 12), std::invalid_argument);
}

TEST(PacketBuilderTest, BadChecksumsOnRequest) {
  const auto v4 = [] { return PacketBuilder().ipv4("10.1.1.1", "10.2.2.2"); };
  const Frame bad_ip = v4().tcp(1, 2).bad_ip_checksum().build();
  EXPECT_FALSE(ipv4_header_valid(bad_ip, 14));
  EXPECT_TRUE(l4_checksum_valid(bad_ip, 14, 34, 6));
  const Frame bad_tcp = v4().tcp(1, 2).payload("abc").bad_l4_checksum().build();
  EXPECT_TRUE(ipv4_header_valid(bad_tcp, 14));
  EXPECT_FALSE(l4_checksum_valid(bad_tcp, 14, 34, 6));
  for (int i = 0; i < 200; ++i) {
    // UDP must never get 0 ("no checksum") as its bad value.
    const Frame bad_udp = v4().udp(static_cast<std::uint16_t>(i), 9).bad_l4_checksum().build();
    EXPECT_FALSE(l4_checksum_valid(bad_udp, 14, 34, 17));
    EXPECT_NE(u16at(bad_udp, 40), 0U);
  }
}

TEST(PacketBuilderTest, InvalidRequestsThrow) {
  EXPECT_THROW((void)PacketBuilder().tcp(1, 2).build(), std::invalid_argument);
  EXPECT_THROW(PacketBuilder().ipv4("1.2.3", "1.2.3.4"), std::invalid_argument);
  EXPECT_THROW(PacketBuilder().ipv4("::1", "1.2.3.4"), std::invalid_argument);
  EXPECT_THROW(PacketBuilder().ipv6("1.2.3.4", "::1"), std::invalid_argument);
  EXPECT_THROW(PacketBuilder().tcp_options(std::vector<std::byte>(44)), std::invalid_argument);
  EXPECT_THROW((void)PacketBuilder().ipv4("1.1.1.1", "2.2.2.2").udp(1, 2).fragments(7),
               std::invalid_argument);
  EXPECT_THROW(
      (void)PacketBuilder().ipv4("1.1.1.1", "2.2.2.2").payload(std::string(70000, 'x')).build(),
      std::invalid_argument);
  EXPECT_THROW((void)ipv4_fragment("1.1.1.1", "2.2.2.2", 1, 17, 12, false, {}),
               std::invalid_argument);
}

// --- fragments -------------------------------------------------------------------------------

TEST(PacketBuilderTest, Ipv4FragmentsSplitTheIpPayload) {
  const PacketBuilder b = PacketBuilder()
                              .ipv4("10.0.0.1", "10.0.0.2")
                              .ip_id(0x4242)
                              .udp(1000, 2000)
                              .payload(pattern(2500))
                              .time(Timestamp{7});
  const Frame whole = b.build();
  const auto ip_payload = text_at(whole, 34);
  const auto parts = b.fragments(1001);  // rounded down to 1000
  ASSERT_EQ(parts.size(), 3U);
  std::string joined;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const Frame& f = parts[i];
    EXPECT_EQ(f.ts, Timestamp{7});
    EXPECT_TRUE(ipv4_header_valid(f, 14));
    EXPECT_EQ(u16at(f, 18), 0x4242U);
    const std::uint32_t frag = u16at(f, 20);
    EXPECT_EQ((frag & 0x1FFF) * 8, joined.size());
    EXPECT_EQ((frag & 0x2000) != 0, i + 1 < parts.size());
    EXPECT_EQ(u16at(f, 16), f.bytes.size() - 14);
    joined += text_at(f, 34);
  }
  EXPECT_EQ(text_at(parts[0], 34).size(), 1000U);
  EXPECT_EQ(joined, ip_payload);

  const auto single = b.fragments(4000);
  ASSERT_EQ(single.size(), 1U);
  EXPECT_EQ(single[0].bytes, whole.bytes);
}

TEST(PacketBuilderTest, Ipv6FragmentsKeepTheUnfragmentablePart) {
  const PacketBuilder b = PacketBuilder()
                              .ipv6("2001:db8::1", "2001:db8::2")
                              .ip_id(0x1234)
                              .ipv6_ext(0)
                              .ipv6_ext(60)
                              .tcp(80, 443)
                              .payload(pattern(3000));
  const Frame whole = b.build();
  const std::string fragmentable = text_at(whole, 14 + 48);  // after hop-by-hop
  const auto parts = b.fragments(1200);
  ASSERT_EQ(parts.size(), 3U);
  std::string joined;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const Frame& f = parts[i];
    const std::size_t ip = 14;
    EXPECT_EQ(u8at(f, ip + 6), 0U);    // hop-by-hop stays first
    EXPECT_EQ(u8at(f, ip + 40), 44U);  // and now leads to the fragment header
    EXPECT_EQ(u8at(f, ip + 48), 60U);  // which leads to the destination options
    const std::uint32_t offset_flags = u16at(f, ip + 50);
    EXPECT_EQ(offset_flags & ~7U, joined.size());
    EXPECT_EQ((offset_flags & 1) != 0, i + 1 < parts.size());
    EXPECT_EQ(u32at(f, ip + 52), 0x1234U);
    EXPECT_EQ(u16at(f, ip + 4), f.bytes.size() - ip - 40);
    joined += text_at(f, ip + 56);
  }
  EXPECT_EQ(joined, fragmentable);

  const auto atomic = b.fragments(8000);
  ASSERT_EQ(atomic.size(), 1U);
  EXPECT_EQ(u16at(atomic[0], 14 + 50), 0U);  // offset 0, no more fragments
}

TEST(PacketBuilderTest, ExplicitFragments) {
  const auto data = bytes_of("0123456789abcdef");
  const Frame v4 = ipv4_fragment("10.0.0.1", "10.0.0.2", 77, 17, 1480, true, data, Timestamp{5});
  EXPECT_EQ(v4.ts, Timestamp{5});
  EXPECT_TRUE(ipv4_header_valid(v4, 14));
  EXPECT_EQ(u16at(v4, 18), 77U);
  EXPECT_EQ(u16at(v4, 20), 0x2000U | 185);
  EXPECT_EQ(u8at(v4, 23), 17U);
  EXPECT_EQ(text_at(v4, 34), "0123456789abcdef");

  const Frame v6 = ipv6_fragment("2001:db8::1", "2001:db8::2", 0xA0B0C0D0, 6, 64, false, data);
  EXPECT_EQ(u16at(v6, 12), 0x86DDU);
  EXPECT_EQ(u8at(v6, 20), 44U);
  EXPECT_EQ(u16at(v6, 18), 8U + 16);
  EXPECT_EQ(u8at(v6, 54), 6U);
  EXPECT_EQ(u16at(v6, 56), 64U);  // offset 64 bytes, M clear
  EXPECT_EQ(u32at(v6, 58), 0xA0B0C0D0U);
  EXPECT_EQ(text_at(v6, 62), "0123456789abcdef");
}

// --- PacketBuilder against tshark ------------------------------------------------------------

TEST(PacketBuilderTest, TsharkDecodesFieldsAndGoodChecksums) {
  if (!have_tshark()) GTEST_SKIP() << "tshark absent";
  std::vector<Frame> frames;
  frames.push_back(PacketBuilder()
                       .ipv4("192.0.2.1", "198.51.100.2")
                       .tcp(40000, 8080)
                       .seq(123456)
                       .ack(654321)
                       .flags(tcp_flags::PSH | tcp_flags::ACK)
                       .payload("hello")
                       .build());
  frames.push_back(PacketBuilder()
                       .vlan(10, 0x88a8)
                       .vlan(20)
                       .ipv4("192.0.2.1", "198.51.100.2")
                       .ipv4_option(raw({0x94, 0x04, 0, 0}))
                       .udp(5000, 9999)
                       .payload("udp")
                       .build());
  frames.push_back(PacketBuilder()
                       .ipv6("2001:db8::1", "2001:db8::2")
                       .ipv6_ext(0)
                       .ipv6_ext(60, 24)
                       .tcp(1, 2)
                       .seq(1)
                       .flags(tcp_flags::SYN)
                       .tcp_options(raw({2, 4, 5, 0xb4}))
                       .build());
  const auto rows = tshark(
      frames, {"ip.src", "ipv6.dst", "vlan.id", "tcp.srcport", "udp.dstport", "tcp.seq_raw",
               "tcp.ack_raw", "tcp.flags", "tcp.len", "ip.checksum.status", "tcp.checksum.status",
               "udp.checksum.status", "tcp.options.mss_val", "ip.opt.ra", "ieee8021ad.id"});
  ASSERT_EQ(rows.size(), 3U);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"192.0.2.1", "", "", "40000", "", "123456", "654321",
                                               "0x0018", "5", kGood, kGood, "", "", "", ""}));
  EXPECT_EQ(rows[1], (std::vector<std::string>{"192.0.2.1", "", "20", "", "9999", "", "", "", "",
                                               kGood, "", kGood, "", "0", "10"}));
  EXPECT_EQ(rows[2], (std::vector<std::string>{"", "2001:db8::2", "", "1", "", "1", "0", "0x0002",
                                               "0", "", kGood, "", "1460", "", ""}));
}

TEST(PacketBuilderTest, TsharkDecodesEveryLinkLayer) {
  if (!have_tshark()) GTEST_SKIP() << "tshark absent";
  for (const Link link : {Link::Ethernet, Link::Raw, Link::Null, Link::Sll, Link::Sll2}) {
    SCOPED_TRACE(link_type_of(link));
    std::vector<Frame> frames;
    frames.push_back(PacketBuilder()
                         .link(link)
                         .ipv4("10.0.0.1", "10.0.0.2")
                         .tcp(40000, 40002)
                         .payload("four")
                         .build());
    frames.push_back(PacketBuilder()
                         .link(link)
                         .ipv6("fe80::1", "fe80::2")
                         .udp(40000, 40001)
                         .payload("six")
                         .build());
    const auto rows = tshark(
        frames, {"ip.dst", "ipv6.dst", "tcp.checksum.status", "udp.checksum.status", "data.data"});
    ASSERT_EQ(rows.size(), 2U);
    EXPECT_EQ(rows[0], (std::vector<std::string>{"10.0.0.2", "", kGood, "", hex("four")}));
    EXPECT_EQ(rows[1], (std::vector<std::string>{"", "fe80::2", "", kGood, hex("six")}));
  }
}

TEST(PacketBuilderTest, TsharkSeesBadChecksumsAsBad) {
  if (!have_tshark()) GTEST_SKIP() << "tshark absent";
  std::vector<Frame> frames;
  frames.push_back(
      PacketBuilder().ipv4("10.0.0.1", "10.0.0.2").tcp(1, 2).bad_ip_checksum().build());
  frames.push_back(
      PacketBuilder().ipv4("10.0.0.1", "10.0.0.2").tcp(1, 2).bad_l4_checksum().build());
  frames.push_back(
      PacketBuilder().ipv6("::1", "::2").udp(1, 2).payload("u").bad_l4_checksum().build());
  const auto rows =
      tshark(frames, {"ip.checksum.status", "tcp.checksum.status", "udp.checksum.status"});
  ASSERT_EQ(rows.size(), 3U);
  EXPECT_EQ(rows[0], (std::vector<std::string>{kBad, kGood, ""}));
  EXPECT_EQ(rows[1], (std::vector<std::string>{kGood, kBad, ""}));
  EXPECT_EQ(rows[2], (std::vector<std::string>{"", "", kBad}));
}

TEST(PacketBuilderTest, TsharkReassemblesOurFragments) {
  if (!have_tshark()) GTEST_SKIP() << "tshark absent";
  const std::string payload = pattern(3000);
  std::vector<Frame> frames = PacketBuilder()
                                  .ipv4("10.0.0.1", "10.0.0.2")
                                  .ip_id(99)
                                  .udp(40000, 40001)
                                  .payload(payload)
                                  .fragments(1000);
  const auto v6 = PacketBuilder()
                      .ipv6("2001:db8::1", "2001:db8::2")
                      .ipv6_ext(0)
                      .ip_id(100)
                      .tcp(40000, 40001)
                      .payload(payload)
                      .fragments(1400);
  frames.insert(frames.end(), v6.begin(), v6.end());
  ASSERT_EQ(frames.size(), 4U + 3U);
  const auto rows =
      tshark(frames,
             {"ip.frag_offset", "ip.flags.mf", "ipv6.fraghdr.offset", "ipv6.fraghdr.more",
              "udp.checksum.status", "tcp.checksum.status", "data.data"},
             "-o ip.defragment:TRUE -o ipv6.defragment:TRUE");
  ASSERT_EQ(rows.size(), 7U);
  // Offsets are in units of 8 bytes.
  EXPECT_EQ(rows[0][0], "0");
  EXPECT_EQ(rows[1][0], "125");
  EXPECT_EQ(rows[2][1], "1");
  EXPECT_EQ(rows[3][1], "0");
  EXPECT_EQ(rows[3][4], kGood);  // reassembled UDP datagram verifies
  EXPECT_EQ(rows[3][6], hex(payload));
  EXPECT_EQ(rows[5][2], "175");
  EXPECT_EQ(rows[6][3], "0");
  EXPECT_EQ(rows[6][5], kGood);  // reassembled TCP segment verifies
  EXPECT_EQ(rows[6][6], hex(payload));
}

// --- TcpSession ------------------------------------------------------------------------------

TEST(TcpSessionTest, HandshakeAndDataTrackSequenceNumbers) {
  TcpSession s;
  const auto hs = s.handshake();
  ASSERT_EQ(hs.size(), 3U);
  const Tcp syn = parse_tcp(hs[0]);
  EXPECT_EQ(syn.flags, tcp_flags::SYN);
  EXPECT_EQ(syn.seq, 1000U);
  EXPECT_EQ(syn.ack, 0U);
  EXPECT_EQ(syn.sport, 40000);
  EXPECT_EQ(syn.dport, 80);
  const Tcp syn_ack = parse_tcp(hs[1]);
  EXPECT_EQ(syn_ack.flags, tcp_flags::SYN | tcp_flags::ACK);
  EXPECT_EQ(syn_ack.seq, 5000U);
  EXPECT_EQ(syn_ack.ack, 1001U);
  EXPECT_EQ(syn_ack.sport, 80);
  const Tcp ack = parse_tcp(hs[2]);
  EXPECT_EQ(ack.flags, tcp_flags::ACK);
  EXPECT_EQ(ack.seq, 1001U);
  EXPECT_EQ(ack.ack, 5001U);

  const Tcp request = parse_tcp(s.client_send("GET / HTTP/1.0\r\n\r\n"));
  EXPECT_EQ(request.seq, 1001U);
  EXPECT_EQ(request.ack, 5001U);
  EXPECT_EQ(request.flags, tcp_flags::ACK | tcp_flags::PSH);
  EXPECT_EQ(request.payload, "GET / HTTP/1.0\r\n\r\n");
  EXPECT_TRUE(request.checksum_ok);
  EXPECT_EQ(s.client_next_seq(), 1001U + 18);

  const Tcp response = parse_tcp(s.server_send("HTTP/1.0 200 OK\r\n", 0));
  EXPECT_EQ(response.seq, 5001U);
  EXPECT_EQ(response.ack, 1019U);
  EXPECT_EQ(response.flags, tcp_flags::ACK);
  EXPECT_EQ(s.server_next_seq(), 5001U + 17);

  const Tcp client_ack = parse_tcp(s.client_ack());
  EXPECT_EQ(client_ack.seq, 1019U);
  EXPECT_EQ(client_ack.ack, 5018U);
  EXPECT_EQ(client_ack.payload, "");
}

TEST(TcpSessionTest, SequenceNumbersWrapAround) {
  TcpSession s({.client_isn = 0xFFFFFFF0, .server_isn = 0xFFFFFFFF});
  (void)s.handshake();
  EXPECT_EQ(s.client_next_seq(), 0xFFFFFFF1U);
  EXPECT_EQ(s.server_next_seq(), 0U);  // 0xFFFFFFFF + 1
  const Tcp data = parse_tcp(s.client_send(std::string(32, 'w')));
  EXPECT_EQ(data.seq, 0xFFFFFFF1U);
  EXPECT_EQ(data.ack, 0U);
  EXPECT_EQ(s.client_next_seq(), 0x11U);
  const Tcp reply = parse_tcp(s.server_send("r"));
  EXPECT_EQ(reply.seq, 0U);
  EXPECT_EQ(reply.ack, 0x11U);
  // Stream offsets past the wrap.
  EXPECT_EQ(parse_tcp(s.client_at(40, "late")).seq, 0x19U);
  EXPECT_EQ(parse_tcp(s.client_at(0, "again")).seq, 0xFFFFFFF1U);
  EXPECT_EQ(parse_tcp(s.server_at(1, "z")).seq, 1U);
}

TEST(TcpSessionTest, OffsetsFinRstAndAckTo) {
  TcpSession s;
  (void)s.handshake();
  (void)s.client_send("abcd");
  const Tcp at = parse_tcp(s.client_at(2, "cdef", tcp_flags::ACK));
  EXPECT_EQ(at.seq, 1003U);
  EXPECT_EQ(at.flags, tcp_flags::ACK);
  EXPECT_EQ(at.payload, "cdef");
  EXPECT_EQ(s.client_next_seq(), 1005U) << "client_at must not advance";

  const Tcp ack_to = parse_tcp(s.client_ack_to(100));
  EXPECT_EQ(ack_to.ack, 5101U);
  EXPECT_EQ(ack_to.flags, tcp_flags::ACK);
  EXPECT_EQ(parse_tcp(s.server_ack_to(3)).ack, 1004U);

  const Tcp fin = parse_tcp(s.client_fin());
  EXPECT_EQ(fin.seq, 1005U);
  EXPECT_EQ(fin.flags, tcp_flags::FIN | tcp_flags::ACK);
  EXPECT_EQ(s.client_next_seq(), 1006U);
  const Tcp server_fin = parse_tcp(s.server_fin());
  EXPECT_EQ(server_fin.ack, 1006U);
  EXPECT_EQ(s.server_next_seq(), 5002U);
  EXPECT_EQ(parse_tcp(s.client_ack()).ack, 5002U);
  EXPECT_EQ(parse_tcp(s.server_ack()).seq, 5002U);

  const Tcp rst = parse_tcp(s.client_rst());
  EXPECT_EQ(rst.seq, 1006U);
  EXPECT_EQ(rst.flags, tcp_flags::RST | tcp_flags::ACK);
  EXPECT_EQ(parse_tcp(s.client_rst(-1007)).seq, 0xFFFFFFFFU);
  EXPECT_EQ(parse_tcp(s.server_rst(1 << 20)).seq, 5002U + (1U << 20));
}

TEST(TcpSessionTest, TimestampsAdvanceByAMillisecond) {
  TcpSession::Options options;
  options.start = Timestamp{1'000'000};
  TcpSession s(options);
  const auto hs = s.handshake();
  EXPECT_EQ(hs[0].ts, Timestamp{1'000'000});
  EXPECT_EQ(hs[1].ts, Timestamp{2'000'000});
  EXPECT_EQ(hs[2].ts, Timestamp{3'000'000});
  EXPECT_EQ(s.at(Timestamp{10s}).client_send("x").ts, Timestamp{10s});
  EXPECT_EQ(s.server_ack().ts, Timestamp{10s} + 1ms);
  EXPECT_EQ(s.advance(5s).client_ack().ts, Timestamp{10s} + 2ms + 5s);
  EXPECT_EQ(s.client_packet().build().ts, Timestamp{10s} + 3ms + 5s);
}

TEST(TcpSessionTest, Ipv6VlansAndCustomPackets) {
  TcpSession s({.client = "2001:db8::1", .server = "2001:db8::2", .vlans = {5, 6}});
  const Frame syn = s.syn();
  EXPECT_EQ(u16at(syn, 12), 0x8100U);
  EXPECT_EQ(u16at(syn, 14), 5U);
  EXPECT_EQ(u16at(syn, 18), 6U);
  EXPECT_EQ(u16at(syn, 20), 0x86DDU);
  EXPECT_TRUE(parse_tcp(syn).checksum_ok);

  const Tcp custom = parse_tcp(
      s.server_packet().flags(tcp_flags::URG | tcp_flags::ACK).urgent(1).payload("!").build());
  EXPECT_EQ(custom.sport, 80);
  EXPECT_EQ(custom.dport, 40000);
  EXPECT_EQ(custom.seq, 5001U);
  EXPECT_EQ(custom.ack, 1001U);
  EXPECT_EQ(custom.flags, tcp_flags::URG | tcp_flags::ACK);

  TcpSession sll({.link = Link::Sll});
  const Frame f = sll.client_send("x");
  EXPECT_EQ(f.link_type, 113);
  EXPECT_EQ(parse_tcp(f).payload, "x");
}

TEST(TcpSessionTest, TsharkSeesACleanConversationAcrossTheWrap) {
  if (!have_tshark()) GTEST_SKIP() << "tshark absent";
  TcpSession s({.client_isn = 0xFFFFFFF0, .server_isn = 0xFFFFFF00});
  std::vector<Frame> frames = s.handshake();
  frames.push_back(s.client_send(pattern(40)));
  frames.push_back(s.server_send(pattern(300)));
  frames.push_back(s.client_send(pattern(20)));
  frames.push_back(s.server_send(pattern(30)));
  frames.push_back(s.client_fin());
  frames.push_back(s.server_fin());
  frames.push_back(s.client_ack());
  const auto rows = tshark(frames, {"tcp.seq", "tcp.ack", "tcp.len", "tcp.stream",
                                    "tcp.checksum.status", "tcp.analysis.flags"});
  ASSERT_EQ(rows.size(), frames.size());
  const std::vector<std::vector<std::string>> expected = {
      {"0", "0", "0"},    {"0", "1", "0"},     {"1", "1", "0"},     {"1", "1", "40"},
      {"1", "41", "300"}, {"41", "301", "20"}, {"301", "61", "30"}, {"61", "331", "0"},
      {"331", "62", "0"}, {"62", "332", "0"}};
  for (std::size_t i = 0; i < rows.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(std::vector<std::string>(rows[i].begin(), rows[i].begin() + 3), expected[i]);
    EXPECT_EQ(rows[i][3], "0") << "one connection";
    EXPECT_EQ(rows[i][4], kGood);
    EXPECT_EQ(rows[i][5], "") << "tshark flagged the segment (retransmission, gap, ...)";
  }
}

}  // namespace
}  // namespace flowkit::testing
