#include "tshark_follow.h"

#include <gtest/gtest.h>

#include <string>

namespace flowkit::oracle {
namespace {

using namespace std::string_literals;

// Shaped like `tshark -q -z follow,tcp,raw,0 -z follow,tcp,raw,1`, which
// prints the blocks in reverse order of the -z arguments.
const std::string sample =
    "\n"
    "===================================================================\n"
    "Follow: tcp,raw\n"
    "Filter: tcp.stream eq 1\n"
    "Node 0: [2001:618:400::5199:cc70]:35997\n"
    "Node 1: [2001:618:1:8000::5]:80\n"
    "474554\n"
    "\t48545450\n"
    "2f\n"
    "===================================================================\n"
    "===================================================================\n"
    "Follow: tcp,raw\n"
    "Filter: tcp.stream eq 0\n"
    "Node 0: 10.0.0.1:61541\n"
    "Node 1: 81.218.72.15:80\n"
    "6162\n"
    // "[3 bytes missing in capture file]" and its NUL
    "5b33206279746573206d697373696e6720696e20636170747572652066696c655d00\n"
    "6364\n"
    "===================================================================\n";

TEST(ParseGapMarker, RecognisesOnlyTheExactMarker) {
  EXPECT_EQ(parse_gap_marker("[8 bytes missing in capture file]\0"s), 8);
  EXPECT_EQ(parse_gap_marker("[1448 bytes missing in capture file]\0"s), 1448);
  EXPECT_EQ(parse_gap_marker("[8 bytes missing in capture file]"s), -1);  // no NUL
  EXPECT_EQ(parse_gap_marker("[x bytes missing in capture file]\0"s), -1);
  EXPECT_EQ(parse_gap_marker("GET / HTTP/1.1\r\n"s), -1);
  EXPECT_EQ(parse_gap_marker(""s), -1);
}

TEST(ParseFollowOutput, SortsByStreamAndSplitsNodes) {
  const auto result = parse_follow_output(sample, GapMode::marker);
  ASSERT_EQ(result.flows.size(), 2u);
  EXPECT_EQ(result.stream_ids, (std::vector<std::uint32_t>{0, 1}));
  const auto& v4 = result.flows[0];
  EXPECT_EQ(v4.a, (Endpoint{"10.0.0.1", 61541}));
  EXPECT_EQ(v4.b, (Endpoint{"81.218.72.15", 80}));
  EXPECT_EQ(v4.from_a, "ab[3 bytes missing in capture file]\0cd"s);
  EXPECT_EQ(v4.from_b, "");
  const auto& v6 = result.flows[1];
  EXPECT_EQ(v6.a, (Endpoint{"2001:618:400::5199:cc70", 35997}));
  EXPECT_EQ(v6.b, (Endpoint{"2001:618:1:8000::5", 80}));
  EXPECT_EQ(v6.from_a, "GET/");
  EXPECT_EQ(v6.from_b, "HTTP");
  ASSERT_EQ(result.gaps.size(), 1u);
  EXPECT_EQ(result.gaps[0].flow, 0u);
  EXPECT_TRUE(result.gaps[0].from_a);
  EXPECT_EQ(result.gaps[0].offset, 2u);
  EXPECT_EQ(result.gaps[0].missing, 3u);
}

TEST(ParseFollowOutput, GapModes) {
  EXPECT_EQ(parse_follow_output(sample, GapMode::drop).flows[0].from_a, "abcd");
  EXPECT_EQ(parse_follow_output(sample, GapMode::zero_fill).flows[0].from_a, "ab\0\0\0cd"s);
}

TEST(ParseFollowOutput, SkipsPhantomStreams) {
  // What tshark prints for a stream index it never followed.
  const auto result = parse_follow_output(
      "=====\nFollow: tcp,raw\nFilter: tcp.stream eq 7\nNode 0: :0\nNode 1: :0\n=====\n",
      GapMode::marker);
  EXPECT_TRUE(result.flows.empty());
}

TEST(ParseFollowOutput, RejectsGarbage) {
  EXPECT_THROW((void)parse_follow_output("hello\n", GapMode::marker), TsharkError);
  EXPECT_THROW(
      (void)parse_follow_output(
          "=====\nFilter: tcp.stream eq 0\nNode 0: 1.2.3.4:1\nNode 1: 1.2.3.5:2\nxyz\n=====\n",
          GapMode::marker),
      TsharkError);
  EXPECT_THROW((void)parse_follow_output("=====\nFilter: tcp.stream eq 0\nNode 0: 1.2.3.4:1\n",
                                         GapMode::marker),
               TsharkError);
  EXPECT_THROW((void)parse_follow_output(
                   "=====\nFilter: tcp.stream eq 0\nNode 0: x\nNode 1: 1.2.3.5:2\n41\n=====\n",
                   GapMode::marker),
               TsharkError);
}

TEST(TsharkFollow, MissingFileIsAClearError) {
  try {
    (void)tshark_follow("/nonexistent/capture.pcap");
    FAIL() << "no exception";
  } catch (const TsharkError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/capture.pcap"), std::string::npos)
        << e.what();
  }
}

TEST(TsharkFollow, MissingProgramIsAClearError) {
  TsharkOptions options;
  options.program = "flowkit-no-such-tshark";
  try {
    (void)run_tshark_follow(__FILE__, options);
    FAIL() << "no exception";
  } catch (const TsharkError& e) {
    EXPECT_NE(std::string(e.what()).find("flowkit-no-such-tshark"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace flowkit::oracle
