// The versiondetect program end to end on the project's sample capture: output formats, input
// options shared with the other tools, help, and errors.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "support/command.h"

namespace flowkit::versiondetect {
namespace {

using testing::run_command;
using testing::split_lines;
using Lines = std::vector<std::string>;

const std::string kBinary = VERSIONDETECT_BINARY;
const std::string kSample = std::string(FLOWKIT_SOURCE_DIR) + "/examples/sample.pcap";

testing::CommandResult versiondetect(std::vector<std::string> args) {
  args.insert(args.begin(), kBinary);
  return run_command(args);
}

const Lines kSampleSightings{
    "192.168.1.101 80 Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
    "198.51.100.80 80 Apache/2.4.57 (Debian)",
    "2001:db8::101 8080 Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
    "2001:db8::80 8080 Apache/2.4.57 (Debian)",
    "192.168.1.7 2222 SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u1",
    "192.168.1.101 2222 SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.4",
    "203.0.113.25 25 220 mail.example.org ESMTP Postfix (Debian/GNU)",
    "192.168.1.101 25 EHLO laptop.example.org",
    "192.168.1.101 25 Thunderbird 115.6.0",
};

TEST(Cli, SampleCaptureDefaultOutput) {
  const auto r = versiondetect({"-r", kSample});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(split_lines(r.out), kSampleSightings);
  // Run statistics on standard error.
  EXPECT_TRUE(r.err.starts_with("63 packets")) << r.err;
}

TEST(Cli, AllPrintsEverySighting) {
  const auto r = versiondetect({"-r", kSample, "--all", "--quiet"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(split_lines(r.out).size(), 6u + 6u + 2u + 3u);  // 6 requests, 6 responses
  EXPECT_EQ(r.err, "");
}

TEST(Cli, JsonLines) {
  const auto r = versiondetect({"-r", kSample, "--json", "-q"});
  ASSERT_EQ(r.exit_code, 0);
  const auto lines = split_lines(r.out);
  ASSERT_EQ(lines.size(), kSampleSightings.size());
  const auto ssh = nlohmann::json::parse(lines[4]);
  EXPECT_EQ(ssh["type"], "sighting");
  EXPECT_EQ(ssh["host"], "192.168.1.7");
  EXPECT_EQ(ssh["port"], 2222);
  EXPECT_EQ(ssh["role"], "server");
  EXPECT_EQ(ssh["protocol"], "ssh");
  EXPECT_EQ(ssh["software"], "OpenSSH");
  EXPECT_EQ(ssh["version"]["major"], 9);
  EXPECT_EQ(ssh["version"]["minor"], 2);
  EXPECT_EQ(ssh["version"]["addl"], "p1");
  EXPECT_EQ(ssh["banner"], "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u1");
  const auto mailer = nlohmann::json::parse(lines[8]);
  EXPECT_EQ(mailer["role"], "client");
  EXPECT_EQ(mailer["protocol"], "smtp");
  EXPECT_EQ(mailer["field"], "x-mailer");
  EXPECT_EQ(mailer["software"], "Thunderbird");
  for (const auto& line : lines) EXPECT_TRUE(nlohmann::json::accept(line)) << line;
}

TEST(Cli, SummaryTableAtTheEnd) {
  const auto r = versiondetect({"-r", kSample, "--summary", "-q"});
  ASSERT_EQ(r.exit_code, 0);
  const auto lines = split_lines(r.out);
  ASSERT_EQ(lines.size(), kSampleSightings.size() + 1 + 7);
  EXPECT_TRUE(lines[9].starts_with("SOFTWARE")) << lines[9];
  EXPECT_EQ(lines[10],
            "Apache                   2.4.57-Debian  server  http          2     6  "
            "2023-11-14 22:13:20  2023-11-14 22:13:21");
  EXPECT_TRUE(lines[13].starts_with("OpenSSH                  8.9-p1         client  ssh"));
}

TEST(Cli, BpfFilterAndDirectoryInput) {
  const auto r = versiondetect({"-r", kSample, "-q", "tcp", "port", "2222"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(split_lines(r.out), (Lines{kSampleSightings[4], kSampleSightings[5]}));

  const auto dir =
      std::filesystem::temp_directory_path() /
      ("versiondetect-cli-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()));
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(kSample, dir / "a.pcap",
                             std::filesystem::copy_options::overwrite_existing);
  const auto from_dir = versiondetect({"-r", dir.string(), "-q", "--midstream"});
  std::filesystem::remove_all(dir);
  EXPECT_EQ(from_dir.exit_code, 0) << from_dir.err;
  EXPECT_EQ(split_lines(from_dir.out), kSampleSightings);
}

TEST(Cli, FilterWordsRightAfterTheFiles) {
  const auto r = versiondetect({"-q", "-r", kSample, "tcp", "port", "2222"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(split_lines(r.out), (Lines{kSampleSightings[4], kSampleSightings[5]}));
}

TEST(Cli, ThreadsChangeNothingButOrder) {
  const auto one = versiondetect({"-r", kSample, "-q", "--all", "--json"});
  const auto two = versiondetect({"-r", kSample, "-q", "--all", "--json", "--threads", "3"});
  ASSERT_EQ(two.exit_code, 0) << two.err;
  auto a = split_lines(one.out);
  auto b = split_lines(two.out);
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  EXPECT_EQ(a, b);
  const auto summary_one = versiondetect({"-r", kSample, "-q", "--summary"});
  const auto summary_two = versiondetect({"-r", kSample, "-q", "--summary", "-t", "2"});
  const auto tail = [](const std::string& out) {
    auto lines = split_lines(out);
    return std::vector<std::string>(lines.end() - 8, lines.end());  // header and 7 rows
  };
  EXPECT_EQ(tail(summary_one.out), tail(summary_two.out));
}

TEST(Cli, StandardInput) {
  const auto r = run_command({"/bin/sh", "-c", "\"$0\" -r - -q < \"$1\"", kBinary, kSample});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(split_lines(r.out), kSampleSightings);
}

TEST(Cli, HelpAndVersion) {
  const auto help = versiondetect({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  for (const char* expected :
       {"IP PORT BANNER", "--json", "--all", "--summary", "--quiet", "--read", "--interface",
        "--midstream", "EXPRESSION", "Exit status", "0  the capture was read",
        "2  error:", "--progress", "--stats-json", "--relinquish-privileges"}) {
    EXPECT_NE(help.out.find(expected), std::string::npos) << expected;
  }
  const auto version = versiondetect({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_TRUE(version.out.starts_with("versiondetect (flowkit) ")) << version.out;
}

TEST(Cli, ErrorsExitWithTwoAndOneLine) {
  const std::vector<std::vector<std::string>> bad{
      {"-r", "/nonexistent/capture.pcap"},
      {},  // no input
      {"--no-such-option", "-r", kSample},
      {"-r", kSample, "--overlap-policy", "sideways"},
      {"-r", kSample, "this is not bpf ((("},
      {"-r", std::string(FLOWKIT_SOURCE_DIR) + "/README.md"},  // not a capture
      {"-i", "no-such-interface0"},
      {"-r", kSample, "-Z", "no-such-user-flowkit"},
      {"-r", kSample, "--stats-json", "/nonexistent/dir/stats.json"},
      {"-r", kSample, "--quiet", "--progress"},
  };
  for (const auto& args : bad) {
    const auto r = versiondetect(args);
    const auto what =
        args.empty() ? std::string("(no arguments)") : args.front() + " " + args.back();
    EXPECT_EQ(r.exit_code, 2) << what << ": " << r.err;
    EXPECT_TRUE(r.err.starts_with("versiondetect: ")) << what << ": " << r.err;
    EXPECT_EQ(split_lines(r.err).size(), 1u) << what << ": " << r.err;
    EXPECT_EQ(r.out, "") << what;
  }
}

}  // namespace
}  // namespace flowkit::versiondetect
