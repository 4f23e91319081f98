#include "defrag/defragmenter.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <numeric>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace flowkit::detail {
namespace {

using namespace std::chrono_literals;

constexpr std::uint8_t kUdp = 17;
constexpr std::uint8_t kHopByHop = 0;
constexpr std::uint8_t kRouting = 43;
constexpr std::uint8_t kFragmentHeader = 44;
constexpr std::uint8_t kAuthentication = 51;
constexpr std::uint8_t kDestinationOptions = 60;
constexpr std::size_t kBlock = 8;  // fragment offsets count in 8-octet blocks

std::byte b(unsigned value) {
  return static_cast<std::byte>(value);
}

std::uint16_t be16(std::span<const std::byte> bytes, std::size_t at) {
  return static_cast<std::uint16_t>((std::to_integer<unsigned>(bytes[at]) << 8) |
                                    std::to_integer<unsigned>(bytes[at + 1]));
}

void put16(std::vector<std::byte>& bytes, std::size_t at, std::size_t value) {
  bytes[at] = b((value >> 8) & 0xFF);
  bytes[at + 1] = b(value & 0xFF);
}

std::string text_of(std::span<const std::byte> bytes) {
  std::string text(bytes.size(), '\0');
  std::ranges::transform(bytes, text.begin(), [](std::byte c) {
    return static_cast<char>(std::to_integer<unsigned>(c));
  });
  return text;
}

// "ABB" -> eight 'A' then sixteen 'B': one letter per 8-octet block.
std::string blocks(std::string_view letters) {
  std::string text;
  for (const char letter : letters) text.append(kBlock, letter);
  return text;
}

// The payload read back as one letter per block, '?' for a block that is not uniform.
std::string block_letters(std::string_view payload) {
  std::string letters;
  for (std::size_t at = 0; at < payload.size(); at += kBlock) {
    const auto block = payload.substr(at, kBlock);
    const bool uniform = block.size() == kBlock && block.find_first_not_of(block[0]) == block.npos;
    letters.push_back(uniform ? block[0] : '?');
  }
  return letters;
}

// One's complement sum over a header that includes its checksum: 0xFFFF when it is valid.
bool ipv4_checksum_ok(std::span<const std::byte> header) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i + 1 < header.size(); i += 2) sum += be16(header, i);
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return sum == 0xFFFF;
}

void set_ipv4_checksum(std::vector<std::byte>& header) {
  put16(header, 10, 0);
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i + 1 < header.size(); i += 2) sum += be16(header, i);
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  put16(header, 10, ~sum & 0xFFFF);
}

/// How the test fragments of one datagram look, apart from offset and data.
struct Shape {
  bool v6 = false;
  std::uint32_t id = 0x4242;
  std::uint32_t vlan_key = 0;
  Timestamp ts{};
  std::uint8_t ttl = 64;
  std::size_t ipv4_option_words = 0;          ///< IPv4 options, in 4-octet words of NOP
  std::vector<std::uint8_t> ipv6_extensions;  ///< extension headers before the fragment header
};

/// A fragment and the bytes its spans point to.
struct TestFragment {
  Fragment meta;
  std::vector<std::byte> header;
  std::vector<std::byte> payload;

  [[nodiscard]] Fragment get() const {
    Fragment fragment = meta;
    fragment.header = header;
    fragment.payload = payload;
    return fragment;
  }
};

std::size_t extension_size(std::uint8_t type) {
  return type == kDestinationOptions ? 16 : 8;
}

// The IPv4 header as the fragment carried it: length and offset describe the fragment alone.
std::vector<std::byte> ipv4_header(const Shape& shape, std::uint32_t offset, bool more,
                                   std::size_t payload_size) {
  const std::size_t size = 20 + 4 * shape.ipv4_option_words;
  std::vector<std::byte> header(size, b(1));  // 1 is NOP, filling the options
  header[0] = b(0x40 | (size / 4));
  header[1] = b(0);
  put16(header, 2, size + payload_size);
  put16(header, 4, shape.id & 0xFFFF);
  put16(header, 6, (more ? 0x2000 : 0) | (offset / kBlock));
  header[8] = b(shape.ttl);
  header[9] = b(kUdp);
  const std::array<unsigned, 8> addresses{192, 0, 2, 1, 192, 0, 2, 2};
  std::ranges::transform(addresses, header.begin() + 12, b);
  set_ipv4_checksum(header);
  return header;
}

// The IPv6 unfragmentable part: fixed header plus the extension headers that precede the
// fragment header, the last of them naming the fragment header as next.
std::vector<std::byte> ipv6_part(const Shape& shape, std::size_t payload_size) {
  std::vector<std::byte> part(40, b(0));
  part[0] = b(0x60);
  part[7] = b(shape.ttl);  // hop limit
  for (std::size_t i = 0; i < 16; ++i) {
    part[8 + i] = i == 0 ? b(0x20) : i == 1 ? b(0x01) : i == 2 ? b(0x0d) : i == 3 ? b(0xb8) : b(0);
    part[24 + i] = part[8 + i];
  }
  part[23] = b(1);
  part[39] = b(2);
  std::size_t next_header_at = 6;
  for (const std::uint8_t type : shape.ipv6_extensions) {
    part[next_header_at] = b(type);
    next_header_at = part.size();
    const std::size_t size = extension_size(type);
    part.resize(part.size() + size, b(0));
    // AH counts its length in 4-octet units less 2, the others in 8-octet units less 1.
    part[next_header_at + 1] = b(type == kAuthentication ? size / 4 - 2 : size / 8 - 1);
    part[next_header_at + 2] = b(1);  // PadN over the rest
    part[next_header_at + 3] = b(size - 4);
  }
  part[next_header_at] = b(kFragmentHeader);
  put16(part, 4, part.size() - 40 + 8 + payload_size);
  return part;
}

TestFragment make_fragment(const Shape& shape, std::uint32_t offset, std::string_view data,
                           bool more) {
  TestFragment f;
  f.meta.ts = shape.ts;
  f.meta.v6 = shape.v6;
  f.meta.id = shape.id;
  f.meta.protocol = kUdp;
  f.meta.vlan_key = shape.vlan_key;
  f.meta.offset = offset;
  f.meta.more_fragments = more;
  if (shape.v6) {
    const std::array<std::byte, 16> src{b(0x20), b(0x01), b(0x0d), b(0xb8), {}, {}, {}, {},
                                        {},      {},      {},      {},      {}, {}, {}, b(1)};
    std::array<std::byte, 16> dst = src;
    dst[15] = b(2);
    f.meta.src = IpAddress::v6(src);
    f.meta.dst = IpAddress::v6(dst);
    f.header = ipv6_part(shape, data.size());
  } else {
    f.meta.src = IpAddress::v4(std::array{b(192), b(0), b(2), b(1)});
    f.meta.dst = IpAddress::v4(std::array{b(192), b(0), b(2), b(2)});
    f.header = ipv4_header(shape, offset, more, data.size());
  }
  f.payload.resize(data.size());
  std::ranges::transform(data, f.payload.begin(), [](char c) { return static_cast<std::byte>(c); });
  return f;
}

// Block-based shorthand: `count` blocks of `letter` starting at block `first`.
TestFragment block_fragment(const Shape& shape, std::uint32_t first, std::size_t count, char letter,
                            bool more = true) {
  return make_fragment(shape, first * kBlock, std::string(count * kBlock, letter), more);
}

// Where the rebuilt IPv6 packet must name the upper-layer protocol.
std::size_t ipv6_next_header_index(const Shape& shape) {
  std::size_t index = 6;
  std::size_t pos = 40;
  for (const std::uint8_t type : shape.ipv6_extensions) {
    index = pos;
    pos += extension_size(type);
  }
  return index;
}

// Checks the rebuilt IPv4 packet against the first fragment's header; returns its payload.
std::string ipv4_payload(std::span<const std::byte> packet, std::span<const std::byte> first) {
  if (packet.size() < first.size()) {
    ADD_FAILURE() << "packet shorter than its header";
    return {};
  }
  const auto header = packet.first(first.size());
  EXPECT_EQ(be16(packet, 2), packet.size()) << "total length";
  EXPECT_EQ(be16(packet, 6), 0) << "flags and offset: MF and offset cleared";
  EXPECT_TRUE(ipv4_checksum_ok(header));
  for (const std::size_t i : {0, 1, 4, 5, 8, 9, 12, 13, 14, 15, 16, 17, 18, 19}) {
    EXPECT_EQ(header[i], first[i]) << "header byte " << i;
  }
  EXPECT_TRUE(std::ranges::equal(header.subspan(20), first.subspan(20))) << "options kept";
  return text_of(packet.subspan(first.size()));
}

// Checks the rebuilt IPv6 packet against the first fragment's unfragmentable part; returns its
// payload. A fragment header left behind would show as 8 extra bytes in the payload.
std::string ipv6_payload(std::span<const std::byte> packet, std::span<const std::byte> part,
                         std::size_t next_header_at) {
  if (packet.size() < part.size()) {
    ADD_FAILURE() << "packet shorter than its unfragmentable part";
    return {};
  }
  EXPECT_EQ(be16(packet, 4), packet.size() - 40) << "payload length";
  EXPECT_EQ(packet[next_header_at], b(kUdp)) << "next header patched";
  for (std::size_t i = 0; i < part.size(); ++i) {
    if (i == 4 || i == 5 || i == next_header_at) continue;
    EXPECT_EQ(packet[i], part[i]) << "unfragmentable byte " << i;
  }
  return text_of(packet.subspan(part.size()));
}

class DefragTest : public ::testing::Test {
 protected:
  // Feeds fragments in order; expects exactly the last one to complete the datagram.
  std::vector<std::byte> feed(std::span<const TestFragment> fragments) {
    std::vector<std::byte> packet;
    for (std::size_t i = 0; i < fragments.size(); ++i) {
      const auto result = defrag_.add(fragments[i].get());
      if (i + 1 < fragments.size()) {
        EXPECT_FALSE(result.has_value()) << "completed early, at fragment " << i;
      } else if (result) {
        packet.assign(result->begin(), result->end());
      } else {
        ADD_FAILURE() << "the last fragment did not complete the datagram";
      }
    }
    return packet;
  }

  DefragConfig config_;
  Stats stats_;
  Defragmenter defrag_{config_, stats_};
};

// --- Plain reassembly -----------------------------------------------------------------------

std::vector<TestFragment> three_ipv4_fragments(const Shape& shape = {}) {
  return {make_fragment(shape, 0, std::string(16, 'a'), true),
          make_fragment(shape, 16, std::string(16, 'b'), true),
          make_fragment(shape, 32, "ccccc", false)};
}

TEST_F(DefragTest, Ipv4InOrder) {
  const auto fragments = three_ipv4_fragments();
  const auto packet = feed(fragments);
  ASSERT_EQ(packet.size(), 20u + 37u);
  EXPECT_EQ(ipv4_payload(packet, fragments[0].header),
            std::string(16, 'a') + std::string(16, 'b') + "ccccc");
  EXPECT_EQ(stats_.fragments, 3u);
  EXPECT_EQ(stats_.datagrams_reassembled, 1u);
  EXPECT_EQ(stats_.fragment_overlaps, 0u);
  EXPECT_EQ(defrag_.pending_datagrams(), 0u);
  EXPECT_EQ(defrag_.memory_used(), 0u);
}

TEST_F(DefragTest, Ipv4ReverseOrder) {
  auto fragments = three_ipv4_fragments();
  std::ranges::reverse(fragments);
  const auto packet = feed(fragments);
  EXPECT_EQ(ipv4_payload(packet, fragments.back().header),
            std::string(16, 'a') + std::string(16, 'b') + "ccccc");
  EXPECT_EQ(stats_.datagrams_reassembled, 1u);
  EXPECT_EQ(defrag_.pending_datagrams(), 0u);
}

TEST_F(DefragTest, Ipv4EveryArrivalOrder) {
  const Shape shape;
  std::vector<TestFragment> fragments;
  std::string expected;
  for (std::uint32_t i = 0; i < 5; ++i) {
    const std::string data(kBlock * (i + 1), static_cast<char>('a' + i));
    fragments.push_back(
        make_fragment(shape, static_cast<std::uint32_t>(expected.size()), data, i != 4));
    expected += data;
  }
  std::vector<std::size_t> order(fragments.size());
  std::iota(order.begin(), order.end(), 0);
  int orders = 0;
  do {
    std::vector<TestFragment> shuffled;
    for (const std::size_t i : order) shuffled.push_back(fragments[i]);
    const auto packet = feed(shuffled);
    EXPECT_EQ(ipv4_payload(packet, fragments[0].header), expected);
    ++orders;
  } while (std::ranges::next_permutation(order).found);
  EXPECT_EQ(stats_.datagrams_reassembled, static_cast<std::uint64_t>(orders));
  EXPECT_EQ(defrag_.pending_datagrams(), 0u);
  EXPECT_EQ(defrag_.memory_used(), 0u);
}

TEST_F(DefragTest, Ipv4KeepsTheFirstFragmentsOptions) {
  Shape first_shape;
  first_shape.ipv4_option_words = 2;  // options are not copied into later fragments
  const std::vector fragments{make_fragment(first_shape, 0, std::string(8, 'x'), true),
                              make_fragment(Shape{}, 8, "yy", false)};
  const auto packet = feed(fragments);
  ASSERT_EQ(packet.size(), 28u + 10u);
  EXPECT_EQ(std::to_integer<unsigned>(packet[0]), 0x47u);
  EXPECT_EQ(ipv4_payload(packet, fragments[0].header), "xxxxxxxxyy");
}

TEST_F(DefragTest, Ipv6RebuildsWithoutTheFragmentHeader) {
  const std::vector<std::vector<std::uint8_t>> chains{{},
                                                      {kHopByHop},
                                                      {kHopByHop, kDestinationOptions},
                                                      {kHopByHop, kRouting},
                                                      {kRouting, kAuthentication}};
  for (const auto& chain : chains) {
    SCOPED_TRACE(::testing::Message() << "extension headers: " << chain.size());
    Shape shape;
    shape.v6 = true;
    shape.ipv6_extensions = chain;
    std::vector fragments{make_fragment(shape, 0, std::string(24, 'p'), true),
                          make_fragment(shape, 24, std::string(16, 'q'), true),
                          make_fragment(shape, 40, "rrr", false)};
    std::ranges::rotate(fragments, fragments.begin() + 1);  // first fragment arrives last
    const auto packet = feed(fragments);
    const auto& part = fragments.back().header;
    ASSERT_EQ(packet.size(), part.size() + 43u);
    EXPECT_EQ(ipv6_payload(packet, part, ipv6_next_header_index(shape)),
              std::string(24, 'p') + std::string(16, 'q') + "rrr");
  }
  EXPECT_EQ(stats_.datagrams_reassembled, chains.size());
  EXPECT_EQ(defrag_.memory_used(), 0u);
}

TEST_F(DefragTest, MemoryUsedCountsPayloadAndTheKeptHeader) {
  const Shape shape;
  ASSERT_FALSE(defrag_.add(make_fragment(shape, 16, std::string(8, 'b'), true).get()));
  // Bytes, the first fragment's header once it came, and each piece's bookkeeping.
  constexpr std::size_t kPiece = Defragmenter::kPieceOverhead;
  EXPECT_EQ(defrag_.memory_used(), 8u + kPiece);  // only the first fragment's header is kept
  ASSERT_FALSE(defrag_.add(make_fragment(shape, 0, std::string(16, 'a'), true).get()));
  EXPECT_EQ(defrag_.memory_used(), 8u + 16u + 20u + 2 * kPiece);
  EXPECT_EQ(defrag_.pending_datagrams(), 1u);
}

// --- Overlaps -------------------------------------------------------------------------------

// A target-based test in the spirit of Novak's "Target-Based Fragmentation Reassembly": each
// later fragment overlaps exactly one earlier fragment in a different way, so every policy
// leaves its own fingerprint in the payload. Offsets and lengths are in 8-octet blocks.
//
//   block        0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24
//   first round  A A . B B C C . D D E  E  .  .  F  .  .  G  G  N  N  N  P  P
//   second round     H H   I I I J      K  K  L  L  L  M  M  M     O     Q  Q
//   last                                                                       R
//
//   case  old      new      how the new fragment lies against the old one
//   1     B [3,5)  H [2,4)  starts before, ends inside
//   2     C [5,7)  I [5,8)  same start, ends after
//   3     D [8,10) J [8,9)  same start, ends before
//   4     E [10,12) K [11,13) starts inside, ends after
//   5     F [14,15) L [13,16) starts before, ends after (covers it)
//   6     G [17,19) M [16,19) starts before, ends with it
//   7     N [19,22) O [20,21) strictly inside
//   8     P [22,24) Q [22,24) the same range, other bytes
//
// Blocks only one fragment covers (2, 7, 12, 13, 15, 16) always come from it. Per case, the
// blocks the new data wins or loses, from the rules in overlap_policy.h:
//   First   - old always wins:                 HBB CCI DD EEK LFL MGG NNN PP
//   Last    - new always wins:                 HHB III JD EKK LLL MMM NON QQ
//   Bsd     - new wins when it starts before (1, 5, 6):
//                                              HHB CCI DD EEK LLL MMM NNN PP
//   Linux   - as Bsd, plus same start and ends after (2):
//                                              HHB III DD EEK LLL MMM NNN PP
//   Windows - new wins only when it starts before and ends after (5):
//                                              HBB CCI DD EEK LLL MGG NNN PP
//   Solaris - as Windows, and ending with the old one is enough (5, 6):
//                                              HBB CCI DD EEK LLL MMM NNN PP
struct TargetCase {
  OverlapPolicy policy;
  std::string_view expected;  // one letter per block
};

constexpr std::array kTargetCases{
    TargetCase{OverlapPolicy::First, "AAHBBCCIDDEEKLFLMGGNNNPPR"},
    TargetCase{OverlapPolicy::Last, "AAHHBIIIJDEKKLLLMMMNONQQR"},
    TargetCase{OverlapPolicy::Bsd, "AAHHBCCIDDEEKLLLMMMNNNPPR"},
    TargetCase{OverlapPolicy::Linux, "AAHHBIIIDDEEKLLLMMMNNNPPR"},
    TargetCase{OverlapPolicy::Windows, "AAHBBCCIDDEEKLLLMGGNNNPPR"},
    TargetCase{OverlapPolicy::Solaris, "AAHBBCCIDDEEKLLLMMMNNNPPR"},
};

std::vector<TestFragment> target_based_fragments(const Shape& shape) {
  return {// First round: disjoint.
          block_fragment(shape, 0, 2, 'A'), block_fragment(shape, 3, 2, 'B'),
          block_fragment(shape, 5, 2, 'C'), block_fragment(shape, 8, 2, 'D'),
          block_fragment(shape, 10, 2, 'E'), block_fragment(shape, 14, 1, 'F'),
          block_fragment(shape, 17, 2, 'G'), block_fragment(shape, 19, 3, 'N'),
          block_fragment(shape, 22, 2, 'P'),
          // Second round: each overlaps one fragment of the first.
          block_fragment(shape, 2, 2, 'H'), block_fragment(shape, 5, 3, 'I'),
          block_fragment(shape, 8, 1, 'J'), block_fragment(shape, 11, 2, 'K'),
          block_fragment(shape, 13, 3, 'L'), block_fragment(shape, 16, 3, 'M'),
          block_fragment(shape, 20, 1, 'O'), block_fragment(shape, 22, 2, 'Q'),
          // The end, so nothing completes before every overlap was seen.
          block_fragment(shape, 24, 1, 'R', false)};
}

class DefragOverlapTest : public ::testing::TestWithParam<bool> {};  // parameter: IPv6

TEST_P(DefragOverlapTest, TargetBasedPolicies) {
  Shape shape;
  shape.v6 = GetParam();
  if (shape.v6) shape.ipv6_extensions = {kHopByHop};
  const auto fragments = target_based_fragments(shape);
  for (const TargetCase& c : kTargetCases) {
    SCOPED_TRACE(to_string(c.policy));
    DefragConfig config;
    config.policy = c.policy;
    Stats stats;
    Defragmenter defrag(config, stats);
    std::optional<std::vector<std::byte>> packet;
    for (const TestFragment& fragment : fragments) {
      ASSERT_FALSE(packet.has_value()) << "completed early";
      if (const auto result = defrag.add(fragment.get()))
        packet.emplace(result->begin(), result->end());
    }
    ASSERT_TRUE(packet.has_value());
    const auto& first = fragments.front().header;
    const std::string payload = shape.v6
                                    ? ipv6_payload(*packet, first, ipv6_next_header_index(shape))
                                    : ipv4_payload(*packet, first);
    EXPECT_EQ(block_letters(payload), c.expected);
    EXPECT_EQ(stats.fragment_overlaps, 8u);
    EXPECT_EQ(stats.fragment_overlap_conflicts, 8u);
    EXPECT_EQ(stats.fragments, fragments.size());
    EXPECT_EQ(defrag.memory_used(), 0u);
  }
}

// A new fragment over two old ones is judged against each separately: Z starts after X (X keeps
// its bytes under Bsd) but before Y (Z wins there).
TEST_P(DefragOverlapTest, EachOldFragmentIsJudgedOnItsOwn) {
  Shape shape;
  shape.v6 = GetParam();
  const std::array<std::pair<OverlapPolicy, std::string_view>, 4> cases{{
      {OverlapPolicy::Bsd, "XXXXZZZZZZ"},
      {OverlapPolicy::First, "XXXXZZYYZZ"},
      {OverlapPolicy::Windows, "XXXXZZZZZZ"},  // Z starts before and ends after Y
      {OverlapPolicy::Last, "XXZZZZZZZZ"},
  }};
  for (const auto& [policy, expected] : cases) {
    SCOPED_TRACE(to_string(policy));
    DefragConfig config;
    config.policy = policy;
    Stats stats;
    Defragmenter defrag(config, stats);
    const auto x = block_fragment(shape, 0, 4, 'X');
    EXPECT_FALSE(defrag.add(x.get()));
    EXPECT_FALSE(defrag.add(block_fragment(shape, 6, 2, 'Y').get()));
    const auto packet = defrag.add(block_fragment(shape, 2, 8, 'Z', false).get());
    ASSERT_TRUE(packet.has_value());
    const std::string payload =
        shape.v6 ? ipv6_payload(*packet, x.header, 6) : ipv4_payload(*packet, x.header);
    EXPECT_EQ(block_letters(payload), expected);
    EXPECT_EQ(stats.fragment_overlaps, 2u);
    EXPECT_EQ(stats.fragment_overlap_conflicts, 2u);
  }
}

// Prefixed so that --gtest_filter='Defrag*' selects these too.
INSTANTIATE_TEST_SUITE_P(DefragIp, DefragOverlapTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& param_info) {
                           return param_info.param ? "Ipv6" : "Ipv4";
                         });

// Under Last, O splits N in two; P then overlaps both halves of N and all of O: two fragments,
// so two overlaps, not three.
TEST_F(DefragTest, AnOldFragmentSplitInPiecesIsOneOverlap) {
  DefragConfig config;
  config.policy = OverlapPolicy::Last;
  Stats stats;
  Defragmenter defrag(config, stats);
  const Shape shape;
  const auto n = block_fragment(shape, 0, 6, 'N');
  EXPECT_FALSE(defrag.add(n.get()));
  EXPECT_FALSE(defrag.add(block_fragment(shape, 2, 1, 'O').get()));
  EXPECT_EQ(stats.fragment_overlaps, 1u);
  EXPECT_FALSE(defrag.add(block_fragment(shape, 1, 4, 'P').get()));
  EXPECT_EQ(stats.fragment_overlaps, 3u);
  EXPECT_EQ(stats.fragment_overlap_conflicts, 3u);
  // Overlaps never hold bytes twice: N [0,1), P [1,5) and N [5,6) are left.
  EXPECT_EQ(defrag.memory_used(), 20u + 6 * kBlock + 3 * Defragmenter::kPieceOverhead);
  const auto packet = defrag.add(block_fragment(shape, 6, 1, 'R', false).get());
  ASSERT_TRUE(packet.has_value());
  EXPECT_EQ(ipv4_payload(*packet, n.header), blocks("NPPPPNR"));
}

TEST_F(DefragTest, ExactDuplicatesAreOverlapsWithoutConflict) {
  const auto fragments = three_ipv4_fragments();
  // The last fragment twice first (a repeated end is consistent), then the middle one twice.
  EXPECT_FALSE(defrag_.add(fragments[2].get()));
  EXPECT_FALSE(defrag_.add(fragments[2].get()));
  EXPECT_FALSE(defrag_.add(fragments[1].get()));
  EXPECT_FALSE(defrag_.add(fragments[1].get()));
  EXPECT_EQ(defrag_.memory_used(), 21u + 2 * Defragmenter::kPieceOverhead);
  const auto packet = defrag_.add(fragments[0].get());
  ASSERT_TRUE(packet.has_value());
  EXPECT_EQ(ipv4_payload(*packet, fragments[0].header),
            std::string(16, 'a') + std::string(16, 'b') + "ccccc");
  EXPECT_EQ(stats_.fragment_overlaps, 2u);
  EXPECT_EQ(stats_.fragment_overlap_conflicts, 0u);
  EXPECT_EQ(stats_.fragments, 5u);
}

TEST_F(DefragTest, ConflictIsCountedOnlyWhenOverlappingBytesDiffer) {
  const Shape shape;
  const std::string data = "0123456789abcdefghijklmnopqrstuv";  // 32 bytes
  EXPECT_FALSE(defrag_.add(make_fragment(shape, 0, data.substr(0, 16), true).get()));
  // Same bytes at [8, 24): an overlap, not a conflict.
  EXPECT_FALSE(defrag_.add(make_fragment(shape, 8, data.substr(8, 16), true).get()));
  EXPECT_EQ(stats_.fragment_overlaps, 1u);
  EXPECT_EQ(stats_.fragment_overlap_conflicts, 0u);
  // One byte different in [16, 32), where it overlaps [8, 24): a conflict.
  std::string changed = data.substr(16, 16);
  changed[3] = '!';
  EXPECT_FALSE(defrag_.add(make_fragment(shape, 16, changed, true).get()));
  EXPECT_EQ(stats_.fragment_overlaps, 2u);
  EXPECT_EQ(stats_.fragment_overlap_conflicts, 1u);
  // Differing bytes outside the overlap do not count: [24, 32) vs. new [32, 40) does not overlap.
  const auto packet = defrag_.add(make_fragment(shape, 32, "end", false).get());
  ASSERT_TRUE(packet.has_value());
  EXPECT_EQ(stats_.fragment_overlaps, 2u);
  // Bsd keeps the old bytes at [16, 24); [24, 32) only came from the new fragment.
  EXPECT_EQ(text_of(packet->subspan(20)), data.substr(0, 24) + changed.substr(8) + "end");
}

// The rebuilt header is the one that came with the winning data at offset 0.
TEST_F(DefragTest, HeaderComesWithTheDataAtOffsetZero) {
  for (const auto& [policy, expected_ttl, expected_data] :
       {std::tuple{OverlapPolicy::First, 64u, 'a'}, std::tuple{OverlapPolicy::Last, 99u, 'b'}}) {
    SCOPED_TRACE(to_string(policy));
    DefragConfig config;
    config.policy = policy;
    Stats stats;
    Defragmenter defrag(config, stats);
    Shape first;
    Shape second;
    second.ttl = 99;
    EXPECT_FALSE(defrag.add(make_fragment(first, 0, std::string(8, 'a'), true).get()));
    EXPECT_FALSE(defrag.add(make_fragment(second, 0, std::string(8, 'b'), true).get()));
    EXPECT_EQ(defrag.memory_used(), 28u + Defragmenter::kPieceOverhead);
    const auto packet = defrag.add(make_fragment(first, 8, "z", false).get());
    ASSERT_TRUE(packet.has_value());
    EXPECT_EQ(std::to_integer<unsigned>((*packet)[8]), expected_ttl);
    EXPECT_TRUE(ipv4_checksum_ok(packet->first(20)));
    EXPECT_EQ(text_of(packet->subspan(20)), std::string(8, expected_data) + "z");
  }
}

// --- Keys -----------------------------------------------------------------------------------

TEST_F(DefragTest, VlansKeepDatagramsApart) {
  Shape vlan1;
  vlan1.vlan_key = 1;
  Shape vlan2;
  vlan2.vlan_key = 2;
  EXPECT_FALSE(defrag_.add(make_fragment(vlan1, 0, std::string(8, '1'), true).get()));
  EXPECT_FALSE(defrag_.add(make_fragment(vlan2, 0, std::string(8, '2'), true).get()));
  EXPECT_EQ(defrag_.pending_datagrams(), 2u);
  const auto one = defrag_.add(make_fragment(vlan1, 8, "one", false).get());
  ASSERT_TRUE(one.has_value());
  EXPECT_EQ(text_of(one->subspan(20)), "11111111one");
  const auto two = defrag_.add(make_fragment(vlan2, 8, "two", false).get());
  ASSERT_TRUE(two.has_value());
  EXPECT_EQ(text_of(two->subspan(20)), "22222222two");
  EXPECT_EQ(stats_.fragment_overlaps, 0u);
}

TEST_F(DefragTest, IdentificationAndProtocolKeepIpv4DatagramsApart) {
  Shape other_id;
  other_id.id = 7;
  auto other_protocol = make_fragment(Shape{}, 8, "proto", false);
  other_protocol.meta.protocol = 6;
  EXPECT_FALSE(defrag_.add(make_fragment(Shape{}, 0, std::string(8, 'a'), true).get()));
  EXPECT_FALSE(defrag_.add(make_fragment(other_id, 8, "other id", false).get()));
  EXPECT_FALSE(defrag_.add(other_protocol.get()));
  EXPECT_EQ(defrag_.pending_datagrams(), 3u);
}

TEST_F(DefragTest, Ipv6AtomicFragmentCompletesAtOnce) {
  Shape shape;
  shape.v6 = true;
  shape.ipv6_extensions = {kHopByHop};
  // A pending datagram with the same identification must neither absorb nor lose anything.
  const auto pending = make_fragment(shape, 0, std::string(8, 'x'), true);
  EXPECT_FALSE(defrag_.add(pending.get()));
  const auto atomic = make_fragment(shape, 0, "atomic", false);
  const auto packet = defrag_.add(atomic.get());
  ASSERT_TRUE(packet.has_value());
  ASSERT_EQ(packet->size(), atomic.header.size() + 6);
  EXPECT_EQ(ipv6_payload(*packet, atomic.header, ipv6_next_header_index(shape)), "atomic");
  EXPECT_EQ(stats_.datagrams_reassembled, 1u);
  EXPECT_EQ(defrag_.pending_datagrams(), 1u);
  const auto rest = defrag_.add(make_fragment(shape, 8, "y", false).get());
  ASSERT_TRUE(rest.has_value());
  EXPECT_EQ(ipv6_payload(*rest, pending.header, ipv6_next_header_index(shape)), "xxxxxxxxy");
  EXPECT_EQ(stats_.fragment_overlaps, 0u);
}

// A tunnelled fragment is decoded out of the packet rebuilt last; it must survive out_ reuse.
TEST_F(DefragTest, AFragmentMayLieInThePreviousResult) {
  Shape shape;
  shape.v6 = true;
  const auto outer = make_fragment(shape, 0, std::string(300, 'o'), false);
  const auto first = defrag_.add(outer.get());
  ASSERT_TRUE(first.has_value());
  // The inner fragment's data is the previous result itself.
  Fragment inner = outer.get();
  inner.payload = *first;
  const std::vector<std::byte> expected_payload(first->begin(), first->end());
  const auto second = defrag_.add(inner);
  ASSERT_TRUE(second.has_value());
  EXPECT_TRUE(std::ranges::equal(second->subspan(40), expected_payload));
  EXPECT_EQ(be16(*second, 4), 340u);
}

// --- Limits ---------------------------------------------------------------------------------

TEST_F(DefragTest, ExpiresAfterTheTimeout) {
  Shape early;
  early.ts = 10s;
  EXPECT_FALSE(defrag_.add(make_fragment(early, 0, std::string(8, 'a'), true).get()));
  defrag_.expire(10s + config_.timeout);  // exactly the timeout is not more than it
  EXPECT_EQ(defrag_.pending_datagrams(), 1u);
  defrag_.expire(10s + config_.timeout + 1ns);
  EXPECT_EQ(defrag_.pending_datagrams(), 0u);
  EXPECT_EQ(defrag_.memory_used(), 0u);
  EXPECT_EQ(stats_.dropped(DropReason::FragmentTimeout), 1u);
}

TEST_F(DefragTest, AddExpiresOldDatagramsToo) {
  Shape first;
  first.ts = 0s;
  Shape second;
  second.id = 2;
  second.ts = 30s;
  Shape third;
  third.id = 3;
  third.ts = 61s;
  EXPECT_FALSE(defrag_.add(make_fragment(first, 0, std::string(8, 'a'), true).get()));
  EXPECT_FALSE(defrag_.add(make_fragment(second, 0, std::string(8, 'b'), true).get()));
  EXPECT_FALSE(defrag_.add(make_fragment(third, 0, std::string(8, 'c'), true).get()));
  EXPECT_EQ(defrag_.pending_datagrams(), 2u);
  EXPECT_EQ(stats_.dropped(DropReason::FragmentTimeout), 1u);
  // The rest of the expired datagram starts over and cannot complete alone.
  first.ts = 62s;
  EXPECT_FALSE(defrag_.add(make_fragment(first, 8, "late", false).get()));
  EXPECT_EQ(defrag_.pending_datagrams(), 3u);
}

TEST(DefragLimitsTest, MemcapEvictsTheOldestDatagramsFirst) {
  DefragConfig config;
  // Two datagrams of 20 + 40 bytes in one piece each fit, with room for one more small piece;
  // three do not.
  constexpr std::size_t kPiece = Defragmenter::kPieceOverhead;
  config.memcap = 132 + 3 * kPiece;
  Stats stats;
  Defragmenter defrag(config, stats);
  std::array<Shape, 3> shapes;
  for (std::uint32_t i = 0; i < shapes.size(); ++i) {
    shapes[i].id = i + 1;
    shapes[i].ts = std::chrono::seconds(i);
  }
  EXPECT_FALSE(defrag.add(make_fragment(shapes[0], 0, std::string(40, 'a'), true).get()));
  EXPECT_FALSE(defrag.add(make_fragment(shapes[1], 0, std::string(40, 'b'), true).get()));
  EXPECT_EQ(defrag.memory_used(), 120u + 2 * kPiece);
  EXPECT_FALSE(defrag.add(make_fragment(shapes[2], 0, std::string(40, 'c'), true).get()));
  EXPECT_EQ(defrag.pending_datagrams(), 2u);
  EXPECT_EQ(defrag.memory_used(), 120u + 2 * kPiece);
  EXPECT_EQ(stats.dropped(DropReason::FragmentMemcap), 1u);
  // The second is still whole, the first is gone.
  const auto second = defrag.add(make_fragment(shapes[1], 40, "2nd", false).get());
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(text_of(second->subspan(20)), std::string(40, 'b') + "2nd");
  EXPECT_FALSE(defrag.add(make_fragment(shapes[0], 40, "1st", false).get()));
  // The datagram being added to is not evicted for its own sake while others can go: the third
  // (now the oldest) grows and the restarted first one makes room.
  EXPECT_EQ(defrag.memory_used(), 63u + 2 * kPiece);
  EXPECT_FALSE(defrag.add(make_fragment(shapes[2], 40, std::string(72, 'c'), true).get()));
  EXPECT_EQ(stats.dropped(DropReason::FragmentMemcap), 2u);
  EXPECT_EQ(defrag.pending_datagrams(), 1u);
  EXPECT_EQ(defrag.memory_used(), 132u + 2 * kPiece);
  EXPECT_LE(defrag.memory_used(), config.memcap);
}

TEST(DefragLimitsTest, AFragmentLargerThanTheMemcapIsDropped) {
  DefragConfig config;
  config.memcap = 100;
  Stats stats;
  Defragmenter defrag(config, stats);
  EXPECT_FALSE(defrag.add(make_fragment(Shape{}, 0, std::string(200, 'a'), true).get()));
  EXPECT_EQ(defrag.pending_datagrams(), 0u);
  EXPECT_EQ(defrag.memory_used(), 0u);
  EXPECT_EQ(stats.dropped(DropReason::FragmentMemcap), 1u);
}

TEST(DefragLimitsTest, MaxDatagramsEvictsTheOldest) {
  DefragConfig config;
  config.max_datagrams = 2;
  Stats stats;
  Defragmenter defrag(config, stats);
  for (std::uint32_t id = 1; id <= 3; ++id) {
    Shape shape;
    shape.id = id;
    EXPECT_FALSE(defrag.add(make_fragment(shape, 8, "tail", false).get()));
  }
  EXPECT_EQ(defrag.pending_datagrams(), 2u);
  EXPECT_EQ(stats.dropped(DropReason::FragmentMemcap), 1u);
  Shape first;
  first.id = 1;
  EXPECT_FALSE(defrag.add(make_fragment(first, 0, std::string(8, 'h'), true).get()))
      << "datagram 1 was evicted, its tail is gone";
  Shape third;
  third.id = 3;
  EXPECT_TRUE(defrag.add(make_fragment(third, 0, std::string(8, 'h'), true).get()));
}

TEST(DefragLimitsTest, TooManyFragmentsDropsTheDatagram) {
  DefragConfig config;
  config.max_fragments_per_datagram = 4;
  Stats stats;
  Defragmenter defrag(config, stats);
  const Shape shape;
  for (std::uint32_t i = 0; i < 4; ++i) {
    EXPECT_FALSE(defrag.add(block_fragment(shape, i, 1, 'a').get()));
  }
  EXPECT_EQ(defrag.pending_datagrams(), 1u);
  EXPECT_FALSE(defrag.add(block_fragment(shape, 4, 1, 'a').get()));
  EXPECT_EQ(defrag.pending_datagrams(), 0u);
  EXPECT_EQ(defrag.memory_used(), 0u);
  EXPECT_EQ(stats.dropped(DropReason::FragmentTooMany), 1u);

  // Exactly the limit is fine.
  Shape other;
  other.id = 9;
  for (std::uint32_t i = 0; i < 3; ++i) {
    EXPECT_FALSE(defrag.add(block_fragment(other, i, 1, 'b').get()));
  }
  EXPECT_TRUE(defrag.add(block_fragment(other, 3, 1, 'b', false).get()));
}

TEST_F(DefragTest, Ipv4DatagramOverMaximumLengthIsDropped) {
  EXPECT_FALSE(defrag_.add(make_fragment(Shape{}, 0, std::string(8, 'a'), true).get()));
  // 20 + 65528 + 8 > 65535: ping of death. The whole datagram goes.
  EXPECT_FALSE(defrag_.add(make_fragment(Shape{}, 65528, std::string(8, 'z'), false).get()));
  EXPECT_EQ(defrag_.pending_datagrams(), 0u);
  EXPECT_EQ(defrag_.memory_used(), 0u);
  EXPECT_EQ(stats_.dropped(DropReason::BadIpHeader), 1u);
}

TEST_F(DefragTest, Ipv4DatagramOfExactlyMaximumLengthIsRebuilt) {
  const std::size_t first_size = 65512;  // a multiple of 8
  const auto head = make_fragment(Shape{}, 0, std::string(first_size, 'a'), true);
  EXPECT_FALSE(defrag_.add(head.get()));
  const auto packet = defrag_.add(make_fragment(Shape{}, first_size, "xyz", false).get());
  ASSERT_TRUE(packet.has_value());
  EXPECT_EQ(packet->size(), 65535u);
  EXPECT_EQ(ipv4_payload(*packet, head.header), std::string(first_size, 'a') + "xyz");
}

TEST_F(DefragTest, Ipv6PayloadOverMaximumLengthIsDropped) {
  Shape plain;
  plain.v6 = true;
  EXPECT_FALSE(defrag_.add(make_fragment(plain, 65528, std::string(8, 'z'), false).get()));
  Shape with_options = plain;
  with_options.id = 2;
  with_options.ipv6_extensions = {kHopByHop};
  // 8 bytes of hop-by-hop count towards the payload length too: 8 + 65520 + 8 > 65535.
  EXPECT_FALSE(defrag_.add(make_fragment(with_options, 65520, std::string(8, 'z'), false).get()));
  EXPECT_EQ(defrag_.pending_datagrams(), 0u);
  EXPECT_EQ(stats_.dropped(DropReason::BadIpHeader), 2u);
}

TEST_F(DefragTest, DisagreeingEndsDropTheDatagram) {
  const Shape shape;
  // A second last fragment ending elsewhere.
  EXPECT_FALSE(defrag_.add(block_fragment(shape, 2, 1, 'a', false).get()));
  EXPECT_FALSE(defrag_.add(block_fragment(shape, 3, 1, 'b', false).get()));
  EXPECT_EQ(defrag_.pending_datagrams(), 0u);
  EXPECT_EQ(stats_.dropped(DropReason::BadIpHeader), 1u);
  // Data beyond the known end.
  EXPECT_FALSE(defrag_.add(block_fragment(shape, 2, 1, 'a', false).get()));
  EXPECT_FALSE(defrag_.add(block_fragment(shape, 2, 2, 'b').get()));
  EXPECT_EQ(defrag_.pending_datagrams(), 0u);
  EXPECT_EQ(stats_.dropped(DropReason::BadIpHeader), 2u);
  // A last fragment ending before data already seen.
  EXPECT_FALSE(defrag_.add(block_fragment(shape, 2, 2, 'a').get()));
  EXPECT_FALSE(defrag_.add(block_fragment(shape, 1, 2, 'b', false).get()));
  EXPECT_EQ(defrag_.pending_datagrams(), 0u);
  EXPECT_EQ(stats_.dropped(DropReason::BadIpHeader), 3u);
  EXPECT_EQ(defrag_.memory_used(), 0u);
}

TEST_F(DefragTest, MalformedFirstFragmentHeaderIsRefused) {
  Shape shape;
  shape.v6 = true;
  shape.ipv6_extensions = {kHopByHop};
  auto fragment = make_fragment(shape, 0, std::string(8, 'a'), true);
  fragment.header[41] = b(1);  // hop-by-hop claims 16 bytes, only 8 are there
  EXPECT_FALSE(defrag_.add(fragment.get()));
  auto no_fragment_header = make_fragment(shape, 0, std::string(8, 'a'), true);
  no_fragment_header.header[40] = b(kRouting);  // the chain must end naming the fragment header
  EXPECT_FALSE(defrag_.add(no_fragment_header.get()));
  auto short_ipv4 = make_fragment(Shape{}, 0, std::string(8, 'a'), true);
  short_ipv4.header[0] = b(0x46);  // IHL says 24 bytes, the header has 20
  EXPECT_FALSE(defrag_.add(short_ipv4.get()));
  EXPECT_EQ(stats_.dropped(DropReason::BadIpHeader), 3u);
  EXPECT_EQ(defrag_.memory_used(), 0u);
}

}  // namespace
}  // namespace flowkit::detail
