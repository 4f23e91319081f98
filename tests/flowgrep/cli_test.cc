// The flowgrep command as users run it: outputs, files it writes, exit codes and errors.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace {

namespace fs = std::filesystem;

const std::string kFlowgrep = FLOWGREP_BINARY;
const std::string kSample = std::string(FLOWKIT_SOURCE_DIR) + "/examples/sample.pcap";

struct Result {
  int status = -1;
  std::string out;
};

// Runs a shell command line, capturing stdout and stderr together.
Result run(const std::string& command) {
  Result r;
  std::FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  std::array<char, 4096> buf{};
  while (std::size_t n = std::fread(buf.data(), 1, buf.size(), p)) r.out.append(buf.data(), n);
  const int raw = ::pclose(p);
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  return r;
}

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class TempDir {
 public:
  TempDir() : path_(fs::temp_directory_path() / fmt::format("flowgrep-cli-{}-{}", ::getpid(), counter_++)) {
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

bool have(const char* program) {
  return run(fmt::format("command -v {} >/dev/null", program)).status == 0;
}

TEST(FlowgrepCli, ExitCodesLikeGrep) {
  EXPECT_EQ(run(fmt::format("{} -q -e hunter2 -r {}", kFlowgrep, kSample)).status, 0);
  EXPECT_EQ(run(fmt::format("{} -q -e 'not in there' -r {}", kFlowgrep, kSample)).status, 1);
  EXPECT_EQ(run(fmt::format("{} -q -e x -r /nonexistent.pcap", kFlowgrep)).status, 2);
}

TEST(FlowgrepCli, ClearOneLineErrors) {
  const auto bad_regex = run(fmt::format("{} -e 'ok' -e '(x)\\1' -r {}", kFlowgrep, kSample));
  EXPECT_EQ(bad_regex.status, 2);
  EXPECT_EQ(bad_regex.out, "flowgrep: pattern -e #2 ('(x)\\1') is rejected: Back-references are unsupported.\n");
  const auto missing = run(fmt::format("{} -e x -r /no/such.pcap", kFlowgrep));
  EXPECT_EQ(missing.out, "flowgrep: /no/such.pcap: no such file or directory\n");
  const auto iface = run(fmt::format("{} -e x -i flowkit-none0", kFlowgrep));
  EXPECT_EQ(iface.status, 2);
  EXPECT_EQ(iface.out, "flowgrep: flowkit-none0: cannot capture: no such interface\n");
  const auto no_pattern_file = run(fmt::format("{} -f /no/rules.txt -r {}", kFlowgrep, kSample));
  EXPECT_EQ(no_pattern_file.out, "flowgrep: /no/rules.txt: cannot read pattern file\n");
  const auto no_input = run(fmt::format("{} -e x", kFlowgrep));
  EXPECT_EQ(no_input.status, 2);
  EXPECT_NE(no_input.out.find("no input"), std::string::npos);
  const auto bad_filter = run(fmt::format("{} -e x -r {} tcp port banana", kFlowgrep, kSample));
  EXPECT_EQ(bad_filter.status, 2);
  EXPECT_NE(bad_filter.out.find("bad filter 'tcp port banana'"), std::string::npos) << bad_filter.out;
}

TEST(FlowgrepCli, LiveCaptureWithoutPrivilegesIsAClearError) {
  if (::geteuid() != 0 || !have("setpriv")) GTEST_SKIP() << "needs root to drop to nobody";
  const auto r = run(fmt::format("setpriv --reuid=nobody --regid=nogroup --clear-groups {} -e x -i lo",
                                 kFlowgrep));
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.out.find("flowgrep: lo: cannot capture: permission denied"), std::string::npos) << r.out;
}

TEST(FlowgrepCli, PatternFileWithComments) {
  TempDir dir;
  std::ofstream(dir / "rules.txt") << "# credentials\n\npassword=\\w+\n  # indented comment\nOpenSSH_[0-9.]+\n";
  const auto r = run(fmt::format("{} -q -f {} -r {}", kFlowgrep, (dir / "rules.txt").string(), kSample));
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("match #0 /password=\\w+/"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("match #1 /OpenSSH_[0-9.]+/"), std::string::npos) << r.out;
}

TEST(FlowgrepCli, PcapOfMatchingConnectionIncludesPacketsBeforeTheMatch) {
  TempDir dir;
  const auto pcap = (dir / "out.pcap").string();
  const auto r = run(fmt::format("{} -q -e hunter2 -w {} -r {}", kFlowgrep, pcap, kSample));
  ASSERT_EQ(r.status, 0) << r.out;
  if (!have("tshark")) GTEST_SKIP() << "tshark not installed";
  // Every packet of the login connection (handshake, out-of-order data, retransmission, FINs),
  // and nothing else.
  const auto all = run(fmt::format("tshark -r {} -T fields -e tcp.srcport -e tcp.dstport", pcap));
  EXPECT_EQ(all.status, 0) << all.out;
  const auto expected = run(fmt::format(
      "tshark -r {} -Y 'tcp.port == 51008' -T fields -e tcp.srcport -e tcp.dstport", kSample));
  EXPECT_EQ(all.out, expected.out);
  EXPECT_GE(std::count(all.out.begin(), all.out.end(), '\n'), 10);
}

TEST(FlowgrepCli, PcapBufferOverflowIsReported) {
  TempDir dir;
  const auto r = run(fmt::format("{} -q -e hunter2 --pcap-buffer 200 -w {} -r {}", kFlowgrep,
                                 (dir / "out.pcap").string(), kSample));
  EXPECT_NE(r.out.find("frames before the match did not fit the buffer"), std::string::npos) << r.out;
}

TEST(FlowgrepCli, DumpDirHoldsReassembledDirections) {
  TempDir dir;
  const auto out = dir / "streams";
  const auto r = run(fmt::format("{} -q -e hunter2 --dump-dir {} -r {}", kFlowgrep, out.string(), kSample));
  ASSERT_EQ(r.status, 0) << r.out;
  const auto request = slurp(out / "000005_192.168.1.102.51008-192.168.1.10.80");
  const auto response = slurp(out / "000005_192.168.1.10.80-192.168.1.102.51008");
  EXPECT_EQ(request.rfind("POST /login HTTP/1.1\r\n", 0), 0u);
  EXPECT_NE(request.find("user=admin&password=hunter2"), std::string::npos);
  EXPECT_EQ(response.rfind("HTTP/1.1 302 Found", 0), 0u);
  EXPECT_EQ(std::distance(fs::directory_iterator(out), fs::directory_iterator()), 2);
}

TEST(FlowgrepCli, KillOnAFileIsADryRun) {
  const auto r = run(fmt::format("{} --kill -e hunter2 -r {}", kFlowgrep, kSample));
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("WOULD KILL round 1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("1 killed (0 RSTs sent)"), std::string::npos) << r.out;
}

TEST(FlowgrepCli, HelpAndVersion) {
  const auto help = run(fmt::format("{} --help", kFlowgrep));
  EXPECT_EQ(help.status, 0);
  for (const char* option : {"--regexp", "--file", "--ignore-case", "--hex", "--direction", "--udp",
                             "--context", "--json", "--write", "--dump-dir", "--kill", "--read",
                             "--interface", "--midstream", "--overlap-policy"}) {
    EXPECT_NE(help.out.find(option), std::string::npos) << option;
  }
  EXPECT_EQ(run(fmt::format("{} --version", kFlowgrep)).status, 0);
}

}  // namespace

namespace {

TEST(FlowgrepCli, ThreadsChangeNothingButConnectionIds) {
  const auto strip_ids = [](std::string text) {
    std::string out;
    std::size_t at = 0;
    while (true) {
      const auto found = text.find("\"connection\":", at);
      out += text.substr(at, found == std::string::npos ? std::string::npos : found - at);
      if (found == std::string::npos) break;
      at = text.find(',', found) + 1;
    }
    std::vector<std::string> lines;
    std::size_t start = 0;
    for (std::size_t nl; (nl = out.find('\n', start)) != std::string::npos; start = nl + 1) {
      lines.push_back(out.substr(start, nl - start));
    }
    std::sort(lines.begin(), lines.end());
    return lines;
  };
  const auto one = run(fmt::format("{} -q --json -t 1 -e 'password|OpenSSH|Mozilla' -r {}", kFlowgrep, kSample));
  const auto two = run(fmt::format("{} -q --json -t 2 -e 'password|OpenSSH|Mozilla' -r {}", kFlowgrep, kSample));
  ASSERT_EQ(one.status, 0);
  ASSERT_EQ(two.status, 0);
  EXPECT_EQ(strip_ids(one.out), strip_ids(two.out));
  EXPECT_GE(strip_ids(one.out).size(), 6u);
}

}  // namespace
