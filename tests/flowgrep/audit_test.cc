// --syslog: the audit line of each match and kill, through a fake sink (the real one, syslog(3),
// is checked end to end in cli_test.cc).
#include <gtest/gtest.h>
#include <syslog.h>

#include <cstdio>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "audit_log.h"
#include "engine.h"
#include "flowkit/reassembler.h"
#include "packet_builder.h"

namespace flowkit::flowgrep {
namespace {

class FakeSink final : public AuditSink {
 public:
  void write(AuditSeverity severity, std::string_view line) override {
    std::lock_guard lock(mutex_);
    lines.emplace_back(severity, std::string(line));
  }
  std::vector<std::pair<AuditSeverity, std::string>> lines;

 private:
  std::mutex mutex_;
};

struct Closer {
  void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};

TEST(Audit, FacilitiesByName) {
  EXPECT_EQ(syslog_facility("user"), LOG_USER);
  EXPECT_EQ(syslog_facility("daemon"), LOG_DAEMON);
  EXPECT_EQ(syslog_facility("local0"), LOG_LOCAL0);
  EXPECT_EQ(syslog_facility("local7"), LOG_LOCAL7);
  EXPECT_EQ(syslog_facility("kern"), std::nullopt);
  EXPECT_EQ(syslog_facility("local8"), std::nullopt);
}

TEST(Audit, OneLinePerMatchAndPerKillFromTheEngine) {
  const CompiledPatterns compiled(
      {command_line_pattern("pass(word)?=\\w+", 1, {}), command_line_pattern("never there", 2, {})},
      {});
  std::unique_ptr<std::FILE, Closer> out(std::tmpfile());
  Report report(out.get(), false, false);
  FakeSink sink;
  report.audit_to(&sink, "would-kill");
  EngineOptions options;
  options.kill = true;
  options.dry_run = true;
  Engine engine(compiled, options, report, nullptr, nullptr);
  testing::TcpSession::Options where;
  where.client = "192.0.2.7";
  where.client_port = 51000;
  where.server = "192.0.2.80";
  testing::TcpSession s(where);
  {
    Reassembler r(Config{}, engine);
    for (const auto& f : s.handshake()) r.process(f.view());
    r.process(s.client_send("user=a&pass").view());
    r.process(s.client_send("word=hunter2\n").view());
    r.process(s.client_fin().view());
    r.process(s.server_fin().view());
    r.finish();
  }
  ASSERT_EQ(sink.lines.size(), 2u);
  EXPECT_EQ(sink.lines[0].first, AuditSeverity::Notice);
  EXPECT_TRUE(sink.lines[0].second.starts_with("match ts=")) << sink.lines[0].second;
  EXPECT_TRUE(sink.lines[0].second.ends_with(
      " connection=1 proto=tcp src=192.0.2.7:51000 dst=192.0.2.80:80 direction=to-server "
      "pattern_id=0 pattern=/pass(word)?=\\w+/ action=would-kill"))
      << sink.lines[0].second;
  EXPECT_EQ(sink.lines[1].first, AuditSeverity::Warning);
  EXPECT_TRUE(sink.lines[1].second.starts_with("kill ts=")) << sink.lines[1].second;
  EXPECT_TRUE(sink.lines[1].second.ends_with(
      " connection=1 proto=tcp client=192.0.2.7:51000 server=192.0.2.80:80 round=1 rst=3 "
      "action=would-kill"))
      << sink.lines[1].second;
}

TEST(Audit, KillOutcomes) {
  std::unique_ptr<std::FILE, Closer> out(std::tmpfile());
  Report report(out.get(), true, false);
  FakeSink sink;
  report.audit_to(&sink, "kill");
  KillEvent e;
  e.connection = 9;
  e.ends = {"tcp", *IpAddress::parse("2001:db8::1"), 40000, *IpAddress::parse("2001:db8::2"), 22};
  e.round = 2;
  e.packets.resize(1);
  report.kill(e);
  e.error = "cannot send RST: \"no route\"";
  report.kill(e);
  ASSERT_EQ(sink.lines.size(), 2u);
  EXPECT_EQ(sink.lines[0].first, AuditSeverity::Warning);
  EXPECT_EQ(sink.lines[0].second,
            "kill ts=1970-01-01T00:00:00.000000Z connection=9 proto=tcp client=[2001:db8::1]:40000 "
            "server=[2001:db8::2]:22 round=2 rst=1 action=rst-sent");
  EXPECT_EQ(sink.lines[1].first, AuditSeverity::Error);
  EXPECT_TRUE(sink.lines[1].second.ends_with(
      "action=rst-failed error=\"cannot send RST: \\\"no route\\\"\""))
      << sink.lines[1].second;
  // A match with a hostile pattern text stays on one printable line.
  MatchEvent m;
  m.ends = e.ends;
  m.direction = "to-client";
  m.pattern = "a\nb\x01";
  report.match(m);
  ASSERT_EQ(sink.lines.size(), 3u);
  EXPECT_EQ(sink.lines[2].second.find('\n'), std::string::npos);
  EXPECT_NE(sink.lines[2].second.find("pattern=/a\\nb\\x01/ action=kill"), std::string::npos)
      << sink.lines[2].second;
}

}  // namespace
}  // namespace flowkit::flowgrep
