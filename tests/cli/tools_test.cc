// What every tool does the same way through flowkit::cli, checked on all three: the progress
// line, --quiet, --stats-json, exit codes, -Z, and output files that refuse symlinks.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "command.h"

namespace flowkit::cli::testing {
namespace {

namespace fs = std::filesystem;
using Args = std::vector<std::string>;

const std::string kSample = std::string(FLOWKIT_SOURCE_DIR) + "/examples/sample.pcap";

struct Tool {
  std::string name;
  std::string binary;
  Args args;                 ///< what a run needs besides its input (flowgrep: a pattern)
  int success = 0;           ///< exit status of a successful run on the sample capture
  std::string result_text;   ///< found on stdout after a run on the sample capture
  std::string summary_text;  ///< the tool's own line of statistics on stderr
};

void PrintTo(const Tool& tool, std::ostream* os) {
  *os << tool.name;
}

std::vector<Tool> tools() {
  std::vector<Tool> all;
#ifdef FLOWGREP_BINARY
  all.push_back({"flowgrep",
                 FLOWGREP_BINARY,
                 {"-e", "hunter2"},
                 0,
                 "match #0 /hunter2/",
                 "1 matches in 1 connections"});
#endif
#ifdef VERSIONDETECT_BINARY
  all.push_back({"versiondetect",
                 VERSIONDETECT_BINARY,
                 {},
                 0,
                 "SSH-2.0-OpenSSH_9.2p1",
                 "17 software sightings, 9 printed"});
#endif
#ifdef HTTPGRAPH_BINARY
  all.push_back({"httpgraph",
                 HTTPGRAPH_BINARY,
                 {},
                 0,
                 "digraph httpgraph",
                 "8 HTTP requests (7 with a response)"});
#endif
  return all;
}

class Tools : public ::testing::TestWithParam<Tool> {
 protected:
  [[nodiscard]] Args command(Args extra) const {
    Args argv{GetParam().binary};
    argv.insert(argv.end(), GetParam().args.begin(), GetParam().args.end());
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
  }
  [[nodiscard]] std::string shell(const Args& extra) const {
    std::string line;
    for (const auto& word : command(extra)) line += shell_quote(word) + " ";
    return line;
  }
};

constexpr const char* kStats = "63 packets (8887 bytes), 6 TCP connections (5 closed, 1 reset";

TEST_P(Tools, ProgressLineOnATerminalThatTheResultsDoNotGoTo) {
  if (!have("script")) GTEST_SKIP() << "script(1) is needed for a pseudo-terminal";
  TempDir dir;
  const auto results = dir / "results";
  const auto r = run_in_terminal(shell({"-r", kSample}) + " > " + shell_quote(results.string()));
  ASSERT_EQ(r.exit_code, GetParam().success) << r.out << r.err;
  // Drawn with \r, ended before the statistics (the terminal turns \n into \r\n).
  const auto at = r.out.find("\rfile 1/1  100.0%  63 packets  ");
  ASSERT_NE(at, std::string::npos) << r.out;
  const auto end = r.out.find(" elapsed", at);
  ASSERT_NE(end, std::string::npos) << r.out;
  const auto stats = r.out.find(kStats);
  ASSERT_NE(stats, std::string::npos) << r.out;
  EXPECT_LT(end, stats);
  EXPECT_NE(r.out.substr(end, stats - end).find('\n'), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(GetParam().summary_text), std::string::npos) << r.out;
  // Never on standard output.
  const auto written = read_file(results);
  EXPECT_NE(written.find(GetParam().result_text), std::string::npos) << written;
  EXPECT_EQ(written.find("file 1/1"), std::string::npos) << written;
}

TEST_P(Tools, NoProgressLineInTheMiddleOfResultsOnTheSameTerminal) {
  if (!have("script")) GTEST_SKIP() << "script(1) is needed for a pseudo-terminal";
  const auto r = run_in_terminal(shell({"-r", kSample}));
  EXPECT_EQ(r.exit_code, GetParam().success) << r.out;
  EXPECT_NE(r.out.find(GetParam().result_text), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(kStats), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("file 1/1"), std::string::npos) << r.out;
}

TEST_P(Tools, NoProgressLineWhenStandardErrorIsNotATerminal) {
  const auto r = run(command({"-r", kSample}));
  EXPECT_EQ(r.exit_code, GetParam().success) << r.err;
  EXPECT_TRUE(r.err.starts_with(kStats)) << r.err;
  EXPECT_EQ(r.err.find("file 1/1"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find('\r'), std::string::npos) << r.err;
}

TEST_P(Tools, ProgressFlagForcesTheLine) {
  const auto r = run(command({"-r", kSample, "--progress"}));
  EXPECT_EQ(r.exit_code, GetParam().success) << r.err;
  EXPECT_TRUE(r.err.starts_with("\rfile 1/1  100.0%  63 packets  ")) << r.err;
  const auto newline = r.err.find('\n');
  ASSERT_NE(newline, std::string::npos);
  EXPECT_TRUE(r.err.substr(0, newline).ends_with(" elapsed")) << r.err;
  EXPECT_TRUE(r.err.substr(newline + 1).starts_with(kStats)) << r.err;
  EXPECT_EQ(r.out.find("file 1/1"), std::string::npos);
  // Also with several reassembly threads (the line is drawn by the reading thread).
  const auto threads = run(command({"-r", kSample, kSample, "--progress", "--threads", "2"}));
  EXPECT_EQ(threads.exit_code, GetParam().success) << threads.err;
  EXPECT_TRUE(threads.err.starts_with("\rfile 2/2  100.0%  126 packets  ")) << threads.err;
  // One file with several threads: read through its record index, not by the source itself.
  const auto indexed = run(command({"-r", kSample, "--progress", "--threads", "2"}));
  EXPECT_EQ(indexed.exit_code, GetParam().success) << indexed.err;
  EXPECT_TRUE(indexed.err.starts_with("\rfile 1/1  100.0%  63 packets  ")) << indexed.err;
}

TEST_P(Tools, QuietSilencesProgressAndStatistics) {
  const auto r = run(command({"-r", kSample, "--quiet"}));
  EXPECT_EQ(r.exit_code, GetParam().success);
  EXPECT_EQ(r.err, "");
  EXPECT_NE(r.out.find(GetParam().result_text), std::string::npos) << r.out;
  if (have("script")) {
    TempDir dir;
    const auto t =
        run_in_terminal(shell({"-r", kSample, "-q"}) + " > " + shell_quote((dir / "out").string()));
    EXPECT_EQ(t.exit_code, GetParam().success);
    EXPECT_EQ(t.out, "");  // nothing at all on the terminal
  }
  const auto both = run(command({"-r", kSample, "--quiet", "--progress"}));
  EXPECT_EQ(both.exit_code, 2) << both.err;
  EXPECT_NE(both.err.find("excludes"), std::string::npos) << both.err;
}

TEST_P(Tools, StatsJsonHasTheRunStatistics) {
  TempDir dir;
  const auto path = dir / "stats.json";
  const auto r = run(command({"-r", kSample, "-q", "--stats-json", path.string()}));
  ASSERT_EQ(r.exit_code, GetParam().success) << r.err;
  EXPECT_EQ(r.err, "");  // --quiet does not stop the file
  const auto j = nlohmann::json::parse(read_file(path));
  EXPECT_EQ(j["tool"], GetParam().name);
  EXPECT_EQ(j["packets"], 63);
  EXPECT_EQ(j["bytes"], 8887);
  EXPECT_EQ(j["connections"]["opened"], 6);
  EXPECT_EQ(j["connections"]["closed"], 5);
  EXPECT_EQ(j["connections"]["reset"], 1);
  EXPECT_EQ(j["connections"]["timed_out"], 0);
  EXPECT_EQ(j["connections"]["evicted"], 0);
  EXPECT_EQ(j["gaps"], 0);
  EXPECT_EQ(j["dropped"], 0);
  EXPECT_EQ(j["drops"]["truncated"], 0);
  EXPECT_EQ(j["drops"]["tcp-out-of-window"], 0);
  EXPECT_EQ(j["interrupted"], false);
  EXPECT_FALSE(j.contains("kernel_drops"));
  const auto& own = j[GetParam().name];
  if (GetParam().name == "flowgrep") {
    EXPECT_EQ(own["matches"], 1);
    EXPECT_EQ(own["matched_connections"], 1);
    EXPECT_EQ(own["kills"], 0);
    EXPECT_EQ(own["rsts_sent"], 0);
  } else if (GetParam().name == "versiondetect") {
    EXPECT_EQ(own["sightings"], 17);
    EXPECT_EQ(own["printed"], 9);
  } else {
    EXPECT_EQ(own["requests"], 8);
    EXPECT_EQ(own["answered"], 7);
    EXPECT_EQ(own["http_connections"], 4);
    EXPECT_EQ(own["graph"]["edges"], 4);
    EXPECT_EQ(own["graph"]["nodes"], 8);
  }
}

TEST_P(Tools, StatsJsonRefusesASymlinkButOverwritesAFile) {
  TempDir dir;
  write_file(dir / "target", "precious");
  fs::create_symlink(dir / "target", dir / "stats.json");
  const auto refused = run(command({"-r", kSample, "--stats-json", (dir / "stats.json").string()}));
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_EQ(refused.err, GetParam().name + ": refusing to write through symlink " +
                             (dir / "stats.json").string() + "\n");
  EXPECT_EQ(refused.out, "");  // refused before anything was read
  EXPECT_EQ(read_file(dir / "target"), "precious");

  write_file(dir / "plain.json", std::string(10000, 'x'));
  const auto r = run(command({"-r", kSample, "-q", "--stats-json", (dir / "plain.json").string()}));
  EXPECT_EQ(r.exit_code, GetParam().success) << r.err;
  EXPECT_TRUE(nlohmann::json::accept(read_file(dir / "plain.json")));
}

TEST_P(Tools, ExitStatusTwoOnErrors) {
  const std::vector<Args> bad = {
      {"-r", "/nonexistent/capture.pcap"},
      {"-r", kSample, "--no-such-option"},
      {"-r", kSample, "-Z", "flowkit-no-such-user"},
      {"-r", kSample, "--", "tcp port banana"},
      {"-i", "flowkit-none0"},
      {"-r", kSample, "--stats-json", "/nonexistent/dir/stats.json"},
  };
  for (const auto& args : bad) {
    const auto r = run(command(args));
    EXPECT_EQ(r.exit_code, 2) << args[2 % args.size()] << ": " << r.err;
    EXPECT_TRUE(r.err.starts_with(GetParam().name + ": ")) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  EXPECT_EQ(run(command({"-r", kSample, "-Z", "flowkit-no-such-user"})).err,
            GetParam().name + ": -Z flowkit-no-such-user: no such user\n");
  const auto help = run({GetParam().binary, "--help"});
  EXPECT_EQ(help.exit_code, 0);
  for (const char* text : {"Exit status", "--progress", "--quiet", "--stats-json",
                           "--relinquish-privileges", "symlink"}) {
    EXPECT_NE(help.out.find(text), std::string::npos) << text;
  }
}

TEST_P(Tools, WriteErrorOnStandardOutputIsExitStatusTwo) {
  const auto r = run({"sh", "-c", shell({"-r", kSample, "-q"}) + " > /dev/full"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("No space left on device"), std::string::npos) << r.err;
}

// Live capture on the loopback interface as root, -Z nobody: once the interface is open the
// process runs as nobody, with nobody's group only and no capabilities left.
TEST_P(Tools, DropsRootAfterOpeningTheInterface) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  Background job(command({"-i", "lo", "-Z", "nobody", "--stats-json", "/dev/null"}));
  std::string uid;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    uid = proc_status(job.pid(), "Uid");
    if (uid == "65534\t65534\t65534\t65534") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(uid, "65534\t65534\t65534\t65534");
  EXPECT_EQ(proc_status(job.pid(), "Gid"), "65534\t65534\t65534\t65534");
  EXPECT_EQ(proc_status(job.pid(), "Groups"), "65534");
  EXPECT_EQ(proc_status(job.pid(), "CapEff"), "0000000000000000");
  const auto r = job.stop(SIGINT);
  // Stopped cleanly: the statistics are printed (nothing matched: flowgrep says 1).
  EXPECT_EQ(r.exit_code, GetParam().name == "flowgrep" ? 1 : 0) << r.err;
  EXPECT_NE(r.err.find("dropped by the kernel"), std::string::npos) << r.err;
}

TEST_P(Tools, FanoutNeedsAnInterfaceAndThreads) {
  const std::string why =
      GetParam().name + ": --fanout needs -i INTERFACE and --threads N with N of 2 or more\n";
  const auto files = run(command({"-r", kSample, "--threads", "2", "--fanout"}));
  EXPECT_EQ(files.exit_code, 2);
  EXPECT_EQ(files.err, why);
  if (::geteuid() != 0) return;  // the rest opens an interface
  const auto one = run(command({"-i", "lo", "--fanout"}));
  EXPECT_EQ(one.exit_code, 2);
  EXPECT_EQ(one.err, why);
}

TEST_P(Tools, ZWithoutRootIsAnError) {
  if (::geteuid() != 0 || !have("setpriv")) GTEST_SKIP() << "needs root and setpriv";
  Args argv{"setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"};
  const auto tool = command({"-r", kSample, "-q", "-Z", "root"});
  argv.insert(argv.end(), tool.begin(), tool.end());
  const auto r = run(argv);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, GetParam().name + ": -Z root: cannot switch user: not running as root\n");
  argv.back() = "nobody";  // already nobody: fine
  EXPECT_EQ(run(argv).exit_code, GetParam().success);
}

INSTANTIATE_TEST_SUITE_P(All, Tools, ::testing::ValuesIn(tools()),
                         [](const auto& test) { return test.param.name; });

}  // namespace
}  // namespace flowkit::cli::testing
