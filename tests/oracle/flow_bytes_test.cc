#include "flow_bytes.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>

namespace flowkit::oracle {
namespace {

using namespace std::string_literals;

FlowBytes make_flow(std::string a_ip, std::uint16_t a_port, std::string b_ip, std::uint16_t b_port,
                    std::string from_a, std::string from_b) {
  return FlowBytes{Endpoint{std::move(a_ip), a_port}, Endpoint{std::move(b_ip), b_port},
                   std::move(from_a), std::move(from_b)};
}

std::string written(const FlowSet& flows) {
  std::ostringstream out;
  write_flows(out, flows);
  return out.str();
}

TEST(Endpoint, ToStringBracketsIpv6) {
  EXPECT_EQ((Endpoint{"10.0.0.1", 80}.to_string()), "10.0.0.1:80");
  EXPECT_EQ((Endpoint{"2001:db8::1", 443}.to_string()), "[2001:db8::1]:443");
}

TEST(Endpoint, CanonicalIpNormalisesIpv6) {
  EXPECT_EQ(canonical_ip("2001:DB8:0:0:0::1"), "2001:db8::1");
  EXPECT_EQ(canonical_ip("::ffff:10.0.0.1"), "::ffff:10.0.0.1");
  EXPECT_EQ(canonical_ip("192.168.0.1"), "192.168.0.1");
  EXPECT_THROW((void)canonical_ip("192.168.0"), FlowFormatError);
  EXPECT_THROW((void)canonical_ip("host.example"), FlowFormatError);
  EXPECT_THROW((void)canonical_ip(""), FlowFormatError);
}

TEST(Endpoint, ParseEndpoint) {
  EXPECT_EQ(parse_endpoint("10.0.0.1:80"), (Endpoint{"10.0.0.1", 80}));
  EXPECT_EQ(parse_endpoint("[2001:618:400::5199:CC70]:35997"),
            (Endpoint{"2001:618:400::5199:cc70", 35997}));
  EXPECT_THROW((void)parse_endpoint("10.0.0.1"), FlowFormatError);
  EXPECT_THROW((void)parse_endpoint("10.0.0.1:65536"), FlowFormatError);
  EXPECT_THROW((void)parse_endpoint("[::1]80"), FlowFormatError);
  EXPECT_THROW((void)parse_endpoint(":0"), FlowFormatError);
}

TEST(Hex, RoundTripsEveryByte) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  const auto hex = to_hex(all);
  EXPECT_EQ(hex.substr(0, 8), "00010203");
  EXPECT_EQ(hex.substr(hex.size() - 4), "feff");
  EXPECT_EQ(from_hex(hex), all);
  EXPECT_EQ(from_hex("ABcd"), "\xab\xcd"s);
  EXPECT_THROW((void)from_hex("abc"), FlowFormatError);
  EXPECT_THROW((void)from_hex("zz"), FlowFormatError);
}

TEST(FlowsFormat, WritesDocumentedText) {
  const FlowSet flows{make_flow("10.0.0.1", 1234, "10.0.0.2", 80, "GET", ""),
                      make_flow("2001:db8::1", 5, "2001:db8::2", 6, "\x00\xff"s, "x")};
  EXPECT_EQ(written(flows),
            "flowkit-flows v1\n"
            "flow 10.0.0.1 1234 10.0.0.2 80 3 0\n"
            "a 474554\n"
            "b \n"
            "flow 2001:db8::1 5 2001:db8::2 6 2 1\n"
            "a 00ff\n"
            "b 78\n");
}

TEST(FlowsFormat, RoundTrip) {
  std::string binary;
  for (int i = 0; i < 1000; ++i) binary.push_back(static_cast<char>(i * 7));
  const FlowSet flows{make_flow("10.0.0.1", 1, "10.0.0.2", 65535, binary, "reply\r\n"),
                      make_flow("2001:db8::1", 5, "::1", 6, "", ""),
                      make_flow("10.0.0.1", 1, "10.0.0.2", 65535, "", "again")};
  EXPECT_EQ(parse_flows(written(flows)), flows);
  EXPECT_EQ(parse_flows(written({})), FlowSet{});
  EXPECT_EQ(parse_flows(""), FlowSet{});
}

TEST(FlowsFormat, ReaderAcceptsMissingMagicAndNormalisesIps) {
  const auto flows = parse_flows("flow 2001:DB8::0:1 1 10.0.0.2 2 1 0\na 41\nb\n");
  ASSERT_EQ(flows.size(), 1u);
  EXPECT_EQ(flows[0].a.ip, "2001:db8::1");
  EXPECT_EQ(flows[0].from_a, "A");
  EXPECT_EQ(flows[0].from_b, "");
}

TEST(FlowsFormat, RejectsMalformedInput) {
  const char* const bad[] = {
      "flowkit-flows v2\n",                            // unknown version
      "flow 10.0.0.1 1 10.0.0.2 2 0 0\n",              // missing a/b lines
      "flow 10.0.0.1 1 10.0.0.2 2 0 0\na \n",          // missing b line
      "flow 10.0.0.1 1 10.0.0.2 2 1 0\na 4142\nb \n",  // length mismatch
      "flow 10.0.0.1 1 10.0.0.2 2 1 0\na 4\nb \n",     // odd hex
      "flow 10.0.0.1 1 10.0.0.2 2 1 0\na zz\nb \n",    // bad hex
      "flow 10.0.0.1 1 10.0.0.2 2 0 0\nb \na \n",      // swapped lines
      "flow 10.0.0.1 1 10.0.0.2 2 0 0\nab\nb \n",      // tag glued to hex
      "flow 10.0.0.1 1 10.0.0.2 2 0\na \nb \n",        // too few fields
      "flow 10.0.0.1 1 10.0.0.2 2 0 0 0\na \nb \n",    // too many fields
      "flow 10.0.0.1 99999 10.0.0.2 2 0 0\na \nb \n",  // port overflow
      "flow 10.0.0.1 -1 10.0.0.2 2 0 0\na \nb \n",     // negative port
      "flow 10.0.0 1 10.0.0.2 2 0 0\na \nb \n",        // bad IP
      "flow 10.0.0.1 1 10.0.0.2 2 x 0\na \nb \n",      // bad length
      "stream 10.0.0.1 1 10.0.0.2 2 0 0\na \nb \n",    // wrong keyword
      "flowkit-flows v1\n\n",                          // blank line
  };
  for (const char* text : bad) {
    EXPECT_THROW((void)parse_flows(text), FlowFormatError) << text;
  }
}

TEST(FlowsFormat, ErrorNamesTheLine) {
  try {
    (void)parse_flows("flowkit-flows v1\nflow 10.0.0.1 1 10.0.0.2 2 1 0\na 4142\nb \n");
    FAIL() << "no exception";
  } catch (const FlowFormatError& e) {
    EXPECT_NE(std::string(e.what()).find("line 3"), std::string::npos) << e.what();
  }
}

TEST(CompareFlows, IdenticalSetsAgree) {
  const FlowSet flows{make_flow("10.0.0.1", 1, "10.0.0.2", 2, "req", "resp")};
  EXPECT_TRUE(compare_flows(flows, flows, "tshark").empty());
}

TEST(CompareFlows, OrientationDoesNotMatter) {
  const FlowSet ours{make_flow("10.0.0.1", 1, "10.0.0.2", 2, "req", "resp")};
  const FlowSet theirs{make_flow("10.0.0.2", 2, "10.0.0.1", 1, "resp", "req")};
  EXPECT_TRUE(compare_flows(ours, theirs, "tshark").empty())
      << format_differences(compare_flows(ours, theirs, "x"));
}

TEST(CompareFlows, Ipv6TextIsNormalised) {
  const FlowSet ours{make_flow("2001:db8::1", 1, "2001:db8::2", 2, "req", "")};
  const FlowSet theirs{make_flow("2001:DB8:0::2", 2, "2001:0db8::1", 1, "", "req")};
  EXPECT_TRUE(compare_flows(ours, theirs, "tshark").empty());
}

TEST(CompareFlows, ReportsFlowsOnlyInOneSet) {
  const FlowSet ours{make_flow("10.0.0.1", 1, "10.0.0.2", 2, "x", "")};
  const FlowSet theirs{make_flow("10.0.0.3", 3, "10.0.0.4", 4, "", "yy")};
  const auto diffs = compare_flows(ours, theirs, "libnids");
  ASSERT_EQ(diffs.size(), 2u) << format_differences(diffs);
  EXPECT_EQ(diffs[0].flow, "10.0.0.1:1 <-> 10.0.0.2:2");
  EXPECT_EQ(diffs[0].what, "not in libnids (ours: 1 bytes from a, 0 bytes from b)");
  EXPECT_EQ(diffs[1].flow, "10.0.0.3:3 <-> 10.0.0.4:4");
  EXPECT_EQ(diffs[1].what, "only in libnids (0 bytes from a, 2 bytes from b)");
}

TEST(CompareFlows, IgnoreEmptyDropsPayloadlessFlowsBeforeMatching) {
  // tshark lists a failed attempt (no payload) before the real connection on the same pair.
  const FlowSet ours{make_flow("10.0.0.1", 1, "10.0.0.2", 2, "req", "resp")};
  const FlowSet theirs{make_flow("10.0.0.1", 1, "10.0.0.2", 2, "", ""),
                       make_flow("10.0.0.1", 1, "10.0.0.2", 2, "req", "resp"),
                       make_flow("10.0.0.9", 9, "10.0.0.2", 2, "", "")};
  EXPECT_TRUE(compare_flows(ours, theirs, "tshark", true).empty());
  EXPECT_EQ(compare_flows(ours, theirs, "tshark", false).size(), 4u);
}

TEST(CompareFlows, IgnoreEmptyStillComparesAnEmptyFlowWithALeftover) {
  // libnids reports a connection without payload that tshark has data for (e.g. TFO data on the
  // SYN).
  const FlowSet ours{make_flow("10.0.0.1", 1, "10.0.0.2", 2, "", "")};
  const FlowSet theirs{make_flow("10.0.0.1", 1, "10.0.0.2", 2, "syn data", "")};
  const auto diffs = compare_flows(ours, theirs, "tshark", true);
  ASSERT_EQ(diffs.size(), 1u) << format_differences(diffs);
  EXPECT_EQ(diffs[0].kind, DifferenceKind::bytes);
  EXPECT_EQ(diffs[0].offset, 0u);
  EXPECT_TRUE(compare_flows(ours, {}, "tshark", true).empty());
  EXPECT_TRUE(compare_flows({}, ours, "tshark", true).empty());
}

TEST(CompareFlows, StructuredDetails) {
  const FlowSet ours{make_flow("10.0.0.5", 5, "10.0.0.6", 6, "", ""),
                     make_flow("10.0.0.1", 1, "10.0.0.2", 2, "abc", "xyz")};
  const FlowSet theirs{make_flow("10.0.0.2", 2, "10.0.0.1", 1, "xyZ", "abc"),
                       make_flow("10.0.0.3", 3, "10.0.0.4", 4, "", "")};
  const auto diffs = compare_flows(ours, theirs, "tshark");
  ASSERT_EQ(diffs.size(), 3u) << format_differences(diffs);
  EXPECT_EQ(diffs[0].kind, DifferenceKind::only_ours);
  EXPECT_EQ(diffs[0].ours_index, 0u);
  EXPECT_EQ(diffs[0].theirs_index, FlowDifference::no_index);
  EXPECT_EQ(diffs[1].kind, DifferenceKind::bytes);
  EXPECT_EQ(diffs[1].ours_index, 1u);
  EXPECT_EQ(diffs[1].theirs_index, 0u);
  EXPECT_FALSE(diffs[1].sender_is_ours_a);
  EXPECT_EQ(diffs[1].offset, 2u);
  EXPECT_EQ(diffs[2].kind, DifferenceKind::only_theirs);
  EXPECT_EQ(diffs[2].theirs_index, 1u);
}

TEST(CompareFlows, ReportsFirstDifferenceWithExcerpts) {
  const FlowSet ours{
      make_flow("10.0.0.1", 1, "10.0.0.2", 2, "GET / HTTP/1.1\r\nHost: a\r\n", "same")};
  const FlowSet theirs{
      make_flow("10.0.0.1", 1, "10.0.0.2", 2, "GET / HTTP/1.1\r\nHost: b\r\n", "same")};
  const auto diffs = compare_flows(ours, theirs, "tshark");
  ASSERT_EQ(diffs.size(), 1u);
  EXPECT_EQ(
      diffs[0].what,
      "10.0.0.1:1 -> 10.0.0.2:2: ours 25 bytes, tshark 25 bytes, first difference at offset 22: "
      "ours \"a\\r\\n\" vs tshark \"b\\r\\n\"");
}

TEST(CompareFlows, ReportsPrefixes) {
  const FlowSet ours{make_flow("10.0.0.1", 1, "10.0.0.2", 2, "abc", "\x01\x02\x03"s)};
  const FlowSet theirs{make_flow("10.0.0.1", 1, "10.0.0.2", 2, "abcdef", "\x01"s)};
  const auto diffs = compare_flows(ours, theirs, "tshark");
  ASSERT_EQ(diffs.size(), 2u) << format_differences(diffs);
  EXPECT_EQ(
      diffs[0].what,
      "10.0.0.1:1 -> 10.0.0.2:2: ours 3 bytes, tshark 6 bytes, first difference at offset 3: "
      "ours <end> vs tshark \"def\" (ours is a prefix of tshark: ours lacks 3 trailing bytes)");
  EXPECT_EQ(diffs[1].what,
            "10.0.0.2:2 -> 10.0.0.1:1: ours 3 bytes, tshark 1 bytes, first difference at offset 1: "
            "ours \"\\x02\\x03\" vs tshark <end> (tshark is a prefix of ours: tshark lacks 2 "
            "trailing bytes)");
}

TEST(CompareFlows, SamePairMatchedInOrder) {
  // Port reuse: two connections on one pair; each must be compared with its counterpart.
  const FlowSet ours{make_flow("10.0.0.1", 1, "10.0.0.2", 2, "first", ""),
                     make_flow("10.0.0.1", 1, "10.0.0.2", 2, "second", "")};
  const FlowSet theirs{make_flow("10.0.0.1", 1, "10.0.0.2", 2, "first", ""),
                       make_flow("10.0.0.2", 2, "10.0.0.1", 1, "", "secnd")};
  const auto diffs = compare_flows(ours, theirs, "tshark");
  ASSERT_EQ(diffs.size(), 1u) << format_differences(diffs);
  EXPECT_NE(diffs[0].what.find("offset 3"), std::string::npos) << diffs[0].what;
  EXPECT_EQ(compare_flows(ours, {theirs[0]}, "tshark").size(), 1u);
}

TEST(EscapeBytes, EscapesAndTruncates) {
  EXPECT_EQ(escape_bytes("a\"b\\\t\x7f"), "a\\\"b\\\\\\t\\x7f");
  EXPECT_EQ(escape_bytes("abcdef", 3), "abc...");
  EXPECT_EQ(escape_bytes(""s), "");
}

}  // namespace
}  // namespace flowkit::oracle
