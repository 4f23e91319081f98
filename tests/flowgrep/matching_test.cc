// flowgrep's engine on crafted connections: matches across segment boundaries, reordering,
// retransmissions with other bytes, the sequence wrap, both directions, and never across a gap.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <string>

#include "engine.h"
#include "flowkit/reassembler.h"
#include "packet_builder.h"

namespace flowkit::flowgrep {
namespace {

using testing::Frame;
using testing::TcpSession;

// Captures the report in memory.
class Capture {
 public:
  Capture() : file_(std::tmpfile()) {}
  ~Capture() { std::fclose(file_); }
  Capture(const Capture&) = delete;
  Capture& operator=(const Capture&) = delete;
  std::FILE* file() { return file_; }
  std::string text() {
    std::fflush(file_);
    std::rewind(file_);
    std::string out;
    char buf[4096];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, file_)) out.append(buf, n);
    return out;
  }

 private:
  std::FILE* file_;
};

struct Run {
  EngineCounters counters;
  std::string output;
};

Run grep(const std::vector<std::string>& expressions, const std::vector<Frame>& frames,
         EngineOptions options = {}, Config config = {}, bool json = false) {
  std::vector<Pattern> patterns;
  for (std::size_t i = 0; i < expressions.size(); ++i) {
    patterns.push_back(command_line_pattern(expressions[i], i + 1, {}));
  }
  const CompiledPatterns compiled(std::move(patterns), {});
  Capture out;
  Report report(out.file(), json, options.log_every_end);
  options.dry_run = true;
  Engine engine(compiled, options, report, nullptr, nullptr);
  {
    Reassembler r(config, engine);
    for (const auto& f : frames) r.process(f.view());
    r.finish();
  }

  return {engine.counters(), out.text()};
}

class FlowgrepMatching : public ::testing::TestWithParam<std::uint32_t> {
 protected:
  TcpSession session() {
    TcpSession::Options o;
    o.client_isn = GetParam();
    return TcpSession(o);
  }
};

INSTANTIATE_TEST_SUITE_P(Isn, FlowgrepMatching, ::testing::Values(1000U, 0xFFFFFFF8U, 0xFFFFFFFFU));

TEST_P(FlowgrepMatching, MatchSplitAcrossTwoSegments) {
  auto s = session();
  auto f = s.handshake();
  f.push_back(s.client_send("GET /?q=pass"));
  f.push_back(s.client_send("word HTTP/1.0\r\n\r\n"));
  const auto run = grep({"password"}, f);
  EXPECT_EQ(run.counters.matches, 1u);
  EXPECT_NE(run.output.find("to-server match #0 /password/ at 8-16"), std::string::npos)
      << run.output;
}

TEST_P(FlowgrepMatching, MatchSplitAcrossThreeSegmentsOutOfOrder) {
  auto s = session();
  auto f = s.handshake();
  f.push_back(s.client_at(6, "OR"));
  f.push_back(s.client_at(8, "D!"));
  f.push_back(s.client_at(0, "SECRET"));  // "SECRETORD!" arrives as 2, 3, 1
  const auto run = grep({"TORD"}, f);
  EXPECT_EQ(run.counters.matches, 1u) << run.output;
}

TEST_P(FlowgrepMatching, RetransmissionWithOtherBytesFollowsPolicy) {
  // Queued "EVIL" at [4,8) then a copy "GOOD" starting earlier: bsd lets the later segment that
  // starts first win; first keeps the original.
  auto s = session();
  auto f = s.handshake();
  f.push_back(s.client_at(4, "EVIL"));
  f.push_back(s.client_at(2, "xxGOOD"));
  f.push_back(s.client_at(0, "ab"));
  Config bsd;
  Config first;
  first.tcp.policy = OverlapPolicy::First;
  EXPECT_EQ(grep({"EVIL"}, f, {}, bsd).counters.matches, 0u);
  EXPECT_EQ(grep({"GOOD"}, f, {}, bsd).counters.matches, 1u);
  EXPECT_EQ(grep({"EVIL"}, f, {}, first).counters.matches, 1u);
  EXPECT_EQ(grep({"GOOD"}, f, {}, first).counters.matches, 0u);
}

TEST_P(FlowgrepMatching, MatchInEachDirectionAndDirectionFilter) {
  auto s = session();
  auto f = s.handshake();
  f.push_back(s.client_send("USER root\r\n"));
  f.push_back(s.server_send("331 need password for root\r\n"));
  EXPECT_EQ(grep({"root"}, f).counters.matches, 2u);
  EngineOptions client_only;
  client_only.sides = Sides::Client;
  const auto run = grep({"root"}, f, client_only);
  EXPECT_EQ(run.counters.matches, 1u);
  EXPECT_NE(run.output.find("to-server"), std::string::npos);
  EngineOptions server_only;
  server_only.sides = Sides::Server;
  EXPECT_NE(grep({"root"}, f, server_only).output.find("to-client"), std::string::npos);
}

TEST_P(FlowgrepMatching, NoMatchAcrossAGap) {
  auto s = session();
  auto f = s.handshake();
  f.push_back(s.client_at(0, "pass"));
  f.push_back(s.client_at(8, "word"));  // 4 bytes never captured in between
  f.push_back(s.server_ack_to(12));     // and the server acknowledged them
  const auto run = grep({"password", "pass.*word"}, f);
  EXPECT_EQ(run.counters.matches, 0u) << run.output;
  // Control: the same bytes without the hole match both.
  auto t = session();
  auto g = t.handshake();
  g.push_back(t.client_send("password"));
  EXPECT_EQ(grep({"password", "pass.*word"}, g).counters.matches, 2u);
}

TEST_P(FlowgrepMatching, EachPatternOncePerDirection) {
  auto s = session();
  auto f = s.handshake();
  for (int i = 0; i < 5; ++i) f.push_back(s.client_send("ping ping\n"));
  const auto run = grep({"ping"}, f);
  EXPECT_EQ(run.counters.matches, 1u);
  EXPECT_EQ(run.counters.matched_connections, 1u);
}

TEST(Flowgrep, EndAnchoredPatternReportsAtStreamEnd) {
  TcpSession s;
  auto f = s.handshake();
  f.push_back(s.client_send("bye"));
  f.push_back(s.client_fin());
  f.push_back(s.server_fin());
  EXPECT_EQ(grep({"bye$"}, f).counters.matches, 1u);
}

TEST(Flowgrep, UdpDatagramsOnlyWithFlag) {
  std::vector<Frame> f{testing::PacketBuilder()
                           .ipv4("10.0.0.1", "10.0.0.2")
                           .udp(5000, 53)
                           .payload("attack.example")
                           .build()};
  EXPECT_EQ(grep({"attack"}, f).counters.matches, 0u);
  EngineOptions udp;
  udp.udp = true;
  const auto run = grep({"attack"}, f, udp);
  EXPECT_EQ(run.counters.udp_matches, 1u);
  EXPECT_NE(run.output.find("udp 10.0.0.1:5000 > 10.0.0.2:53 udp match"), std::string::npos)
      << run.output;
}

TEST(Flowgrep, JsonLinesAreValidAndEscaped) {
  TcpSession s;
  auto f = s.handshake();
  f.push_back(s.client_send(std::string("evil\"\\\n\x01\xff", 9)));
  f.push_back(s.client_fin());
  f.push_back(s.server_fin());
  EngineOptions o;
  o.log_every_end = true;
  const auto run = grep({"evil"}, f, o, {}, true);
  const auto first = run.output.substr(0, run.output.find('\n'));
  EXPECT_NE(first.find(R"("type":"match")"), std::string::npos) << first;
  EXPECT_NE(first.find(R"("excerpt":"evil\\\"\\\\\\n\\x01\\xff")"), std::string::npos) << first;
  EXPECT_NE(run.output.find(R"("type":"end")"), std::string::npos);
  EXPECT_NE(run.output.find(R"("reason":"close")"), std::string::npos);
}

TEST(Flowgrep, DryRunKillAimsAtEachReceiversNextSequence) {
  TcpSession s;
  auto f = s.handshake();
  f.push_back(s.client_send("hello"));
  f.push_back(s.server_send("hi"));
  f.push_back(s.client_send("DROP TABLE"));
  EngineOptions o;
  o.kill = true;
  const auto run = grep({"DROP TABLE"}, f, o, {}, true);
  EXPECT_EQ(run.counters.kills, 1u);
  // The server expects the client's next byte, the client expects the server's next byte.
  EXPECT_NE(run.output.find(fmt::format(R"("seq":{})", s.client_next_seq())), std::string::npos)
      << run.output;
  EXPECT_NE(run.output.find(fmt::format(R"("seq":{})", s.server_next_seq())), std::string::npos)
      << run.output;
  EXPECT_NE(run.output.find(R"("type":"would-kill")"), std::string::npos);
}

TEST(Flowgrep, BadPatternsNameThePatternAndWhy) {
  const auto error = [](const std::string& text, PatternOptions o = {}) {
    try {
      std::vector<Pattern> p{command_line_pattern(text, 3, o)};
      CompiledPatterns c(std::move(p), o);
    } catch (const PatternError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_EQ(error("(a)\\1"),
            "pattern -e #3 ('(a)\\1') is rejected: Back-references are unsupported.");
  EXPECT_NE(error("a(b").find("pattern -e #3 ('a(b') is rejected: Missing close parenthesis"),
            std::string::npos);
  PatternOptions hex;
  hex.hex = true;
  EXPECT_NE(error("zz", hex).find("not a hex digit"), std::string::npos);
  EXPECT_EQ(error("de ad be ef", hex), "accepted");
}

TEST(Flowgrep, HexPatternsMatchBytes) {
  TcpSession s;
  auto f = s.handshake();
  f.push_back(s.client_send(std::string("\x00\x90\x90\x90\xcc", 5)));
  std::vector<Pattern> p{command_line_pattern("90 90 90 cc", 1, {.caseless = false, .hex = true})};
  const CompiledPatterns compiled(std::move(p), {});
  std::FILE* out = std::tmpfile();
  Report report(out, false, false);
  Engine engine(compiled, {}, report, nullptr, nullptr);
  Reassembler r(Config{}, engine);
  for (const auto& frame : f) r.process(frame.view());
  r.finish();
  std::fclose(out);
  EXPECT_EQ(engine.counters().matches, 1u);
}

}  // namespace
}  // namespace flowkit::flowgrep
