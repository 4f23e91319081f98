// The flowgrep command as users run it: outputs, files it writes, exit codes and errors.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "temp_dir.h"

namespace {

namespace fs = std::filesystem;
using flowkit::testing::TempDir;

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
  EXPECT_EQ(bad_regex.out,
            "flowgrep: pattern -e #2 ('(x)\\1') is rejected: Back-references are unsupported.\n");
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
  EXPECT_NE(bad_filter.out.find("bad filter 'tcp port banana'"), std::string::npos)
      << bad_filter.out;
}

TEST(FlowgrepCli, LiveCaptureWithoutPrivilegesIsAClearError) {
  if (::geteuid() != 0 || !have("setpriv")) GTEST_SKIP() << "needs root to drop to nobody";
  const auto r = run(fmt::format(
      "setpriv --reuid=nobody --regid=nogroup --clear-groups {} -e x -i lo", kFlowgrep));
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.out.find("flowgrep: lo: cannot capture: permission denied"), std::string::npos)
      << r.out;
}

TEST(FlowgrepCli, PatternFileWithComments) {
  TempDir dir;
  std::ofstream(dir / "rules.txt")
      << "# credentials\n\npassword=\\w+\n  # indented comment\nOpenSSH_[0-9.]+\n";
  const auto r =
      run(fmt::format("{} -q -f {} -r {}", kFlowgrep, (dir / "rules.txt").string(), kSample));
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
  EXPECT_NE(r.out.find("frames before the match did not fit the buffer"), std::string::npos)
      << r.out;
}

TEST(FlowgrepCli, DumpDirHoldsReassembledDirections) {
  TempDir dir;
  const auto out = dir / "streams";
  const auto r =
      run(fmt::format("{} -q -e hunter2 --dump-dir {} -r {}", kFlowgrep, out.string(), kSample));
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
  const auto one =
      run(fmt::format("{} -q --json -t 1 -e 'password|OpenSSH|Mozilla' -r {}", kFlowgrep, kSample));
  const auto two =
      run(fmt::format("{} -q --json -t 2 -e 'password|OpenSSH|Mozilla' -r {}", kFlowgrep, kSample));
  ASSERT_EQ(one.status, 0);
  ASSERT_EQ(two.status, 0);
  EXPECT_EQ(strip_ids(one.out), strip_ids(two.out));
  EXPECT_GE(strip_ids(one.out).size(), 6u);
}

}  // namespace

// Output files never go through a symlink the tool did not create, --syslog, -Z with files.
namespace {

std::string quoted(const std::string& text) {
  return "'" + text + "'";
}

TEST(FlowgrepCli, WriteRefusesASymlinkButOverwritesAFile) {
  TempDir dir;
  std::ofstream(dir / "target") << "precious";
  fs::create_symlink(dir / "target", dir / "out.pcap");
  const auto r = run(fmt::format("{} -q -e hunter2 -w {} -r {}", kFlowgrep,
                                 quoted((dir / "out.pcap").string()), kSample));
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.out,
            "flowgrep: refusing to write through symlink " + (dir / "out.pcap").string() + "\n");
  EXPECT_EQ(slurp(dir / "target"), "precious");
  EXPECT_TRUE(fs::is_symlink(dir / "out.pcap"));

  std::ofstream(dir / "old.pcap") << std::string(100000, 'x');
  const auto ok = run(fmt::format("{} -q -e hunter2 -w {} -r {}", kFlowgrep,
                                  quoted((dir / "old.pcap").string()), kSample));
  EXPECT_EQ(ok.status, 0) << ok.out;
  const auto pcap = slurp(dir / "old.pcap");
  EXPECT_EQ(pcap.substr(0, 4), std::string("\xd4\xc3\xb2\xa1", 4));  // a pcap file now
  EXPECT_LT(pcap.size(), 100000u);
}

TEST(FlowgrepCli, WriteWithoutMatchesIsAnEmptyCapture) {
  TempDir dir;
  const auto r = run(fmt::format("{} -q -e 'not in there' -w {} -r {}", kFlowgrep,
                                 quoted((dir / "none.pcap").string()), kSample));
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_EQ(fs::file_size(dir / "none.pcap"), 24u);  // the header alone
}

TEST(FlowgrepCli, DumpDirRefusesASymlinkedDirectory) {
  TempDir dir;
  fs::create_directories(dir / "real");
  fs::create_directory_symlink(dir / "real", dir / "streams");
  const auto r = run(fmt::format("{} -q -e hunter2 --dump-dir {} -r {}", kFlowgrep,
                                 quoted((dir / "streams").string()), kSample));
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.out,
            "flowgrep: refusing to write through symlink " + (dir / "streams").string() + "\n");
  EXPECT_TRUE(fs::is_empty(dir / "real"));
  // Nor a file where the directory should be.
  std::ofstream(dir / "file") << "x";
  const auto file = run(fmt::format("{} -q -e hunter2 --dump-dir {} -r {}", kFlowgrep,
                                    quoted((dir / "file").string()), kSample));
  EXPECT_EQ(file.status, 2);
  EXPECT_EQ(file.out, "flowgrep: " + (dir / "file").string() + ": not a directory\n");
}

TEST(FlowgrepCli, DumpDirRefusesASymlinkAtAStreamFile) {
  TempDir dir;
  const auto streams = dir / "streams";
  fs::create_directories(streams);
  std::ofstream(dir / "target") << "precious";
  fs::create_symlink(dir / "target", streams / "000005_192.168.1.102.51008-192.168.1.10.80");
  const auto r = run(fmt::format("{} -q -e hunter2 --dump-dir {} -r {}", kFlowgrep,
                                 quoted(streams.string()), kSample));
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.out.find("flowgrep: refusing to write through symlink " + streams.string() +
                       "/000005_192.168.1.102.51008-192.168.1.10.80\n"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(slurp(dir / "target"), "precious");
}

TEST(FlowgrepCli, SyslogOptionsAreChecked) {
  const auto r =
      run(fmt::format("{} --syslog --syslog-facility kern -e x -r {}", kFlowgrep, kSample));
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.out.find("--syslog-facility"), std::string::npos) << r.out;
  const auto help = run(fmt::format("{} --help", kFlowgrep));
  for (const char* option : {"--syslog", "--syslog-facility", "--syslog-tag", "--stats-json",
                             "--progress", "--relinquish-privileges"}) {
    EXPECT_NE(help.out.find(option), std::string::npos) << option;
  }
}

// syslog(3) writes to /dev/log, a fixed path: flowgrep runs in a private mount namespace where
// /dev is a directory holding our own socket as "log".
TEST(FlowgrepCli, SyslogGetsOneAuditLinePerMatchAndKill) {
  if (::geteuid() != 0 || !have("unshare")) GTEST_SKIP() << "needs root and unshare(1)";
  if (run("unshare -m true").status != 0) GTEST_SKIP() << "mount namespaces unavailable here";
  TempDir dir;
  const fs::path dev = dir / "dev";
  fs::create_directories(dev);
  const int sock = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(sock, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string log_path = (dev / "log").string();
  ASSERT_LT(log_path.size(), sizeof addr.sun_path);
  std::copy(log_path.begin(), log_path.end(), addr.sun_path);
  ASSERT_EQ(::bind(sock, reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 0);
  std::ofstream(dev / "null");
  const auto r = run(fmt::format(
      "unshare -m sh -c 'mount --bind /dev/null {0}/null && mount --rbind {0} /dev && exec {1} "
      "--syslog --syslog-facility local3 --syslog-tag fgtest --kill -e hunter2 -r {2}'",
      dev.string(), kFlowgrep, kSample));
  EXPECT_EQ(r.status, 0) << r.out;
  std::vector<std::string> messages;
  char buffer[2048];
  ssize_t n = 0;
  while ((n = ::recv(sock, buffer, sizeof buffer, MSG_DONTWAIT)) > 0) {
    messages.emplace_back(buffer, static_cast<std::size_t>(n));
  }
  ::close(sock);
  ASSERT_EQ(messages.size(), 2u) << r.out;
  // <facility * 8 + severity>: local3 is 19; notice 5 for the match, warning 4 for the kill.
  EXPECT_TRUE(messages[0].starts_with("<157>")) << messages[0];
  EXPECT_NE(messages[0].find(" fgtest["), std::string::npos) << messages[0];
  EXPECT_NE(messages[0].find("]: match ts=2023-11-14T22:13:24.006000Z connection=5 proto=tcp "
                             "src=192.168.1.102:51008 dst=192.168.1.10:80 direction=to-server "
                             "pattern_id=0 pattern=/hunter2/ action=would-kill"),
            std::string::npos)
      << messages[0];
  EXPECT_TRUE(messages[1].starts_with("<156>")) << messages[1];
  EXPECT_NE(messages[1].find("]: kill ts=2023-11-14T22:13:24.006000Z connection=5 proto=tcp "
                             "client=192.168.1.102:51008 server=192.168.1.10:80 round=1"),
            std::string::npos)
      << messages[1];
  EXPECT_NE(messages[1].find("action=would-kill"), std::string::npos) << messages[1];
}

// -Z with files: outputs are created before privileges go (owned by root), the stream files of
// --dump-dir after (by nobody, in the directory flowgrep created and handed over).
TEST(FlowgrepCli, DropsPrivilegesAfterOpeningFilesAndOutputs) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  TempDir dir;
  fs::permissions(dir / "", fs::perms::all);  // nobody could not even look in, otherwise
  const auto streams = dir / "streams";
  const auto r =
      run(fmt::format("{} -q -e hunter2 -Z nobody -w {} --dump-dir {} --stats-json {} -r {}",
                      kFlowgrep, quoted((dir / "hits.pcap").string()), quoted(streams.string()),
                      quoted((dir / "stats.json").string()), kSample));
  ASSERT_EQ(r.status, 0) << r.out;
  const auto owner = [](const fs::path& p) {
    struct stat st {};
    return ::lstat(p.c_str(), &st) == 0 ? static_cast<long>(st.st_uid) : -1L;
  };
  EXPECT_EQ(owner(dir / "hits.pcap"), 0);
  EXPECT_EQ(owner(dir / "stats.json"), 0);
  EXPECT_EQ(owner(streams), 65534);
  EXPECT_EQ(owner(streams / "000005_192.168.1.102.51008-192.168.1.10.80"), 65534);
  EXPECT_GT(fs::file_size(dir / "hits.pcap"), 24u);

  // A directory that exists and nobody cannot write to: said at once.
  fs::create_directories(dir / "rootonly");
  fs::permissions(dir / "rootonly", fs::perms::owner_all);
  const auto denied = run(fmt::format("{} -q -e hunter2 -Z nobody --dump-dir {} -r {}", kFlowgrep,
                                      quoted((dir / "rootonly").string()), kSample));
  EXPECT_EQ(denied.status, 2);
  EXPECT_NE(denied.out.find("user nobody cannot create files there"), std::string::npos)
      << denied.out;
}

TEST(FlowgrepCli, ResultsThatCannotBeWrittenAreAnError) {
  const auto r = run(fmt::format("({} -e hunter2 -r {} > /dev/full)", kFlowgrep, kSample));
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.out.find("flowgrep: cannot write standard output: No space left on device"),
            std::string::npos)
      << r.out;
}

}  // namespace
