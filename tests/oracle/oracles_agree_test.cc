// Runs both oracles (tshark follow, libnids) on the shared captures: they must
// agree on simple captures, and where they disagree elsewhere the differences
// are written to a report (FLOWKIT_ORACLE_REPORT) so we know which
// disagreements between flowkit and an oracle are the oracle's own choice.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "flow_bytes.h"
#include "subprocess.h"
#include "tshark_follow.h"

namespace flowkit::oracle {
namespace {

namespace fs = std::filesystem;

fs::path pcaps_dir() {
  if (const char* env = std::getenv("FLOWKIT_SHARED_PCAPS"); env != nullptr && *env != '\0') return env;
  return FLOWKIT_SHARED_PCAPS;
}

std::string nids_oracle() {
  if (const char* env = std::getenv("FLOWKIT_NIDS_ORACLE"); env != nullptr && *env != '\0') return env;
  return FLOWKIT_NIDS_ORACLE;
}

// Empty if everything needed is there, else why the test is skipped.
std::string missing_prerequisite() {
  if (!fs::is_directory(pcaps_dir())) return fmt::format("no capture directory {}", pcaps_dir().string());
  if (!program_available("tshark")) return "tshark is not installed";
  const auto nids = nids_oracle();
  if (nids.empty() || !program_available(nids)) return "flowkit_nids_oracle was not built (libnids missing)";
  return {};
}

#define FLOWKIT_SKIP_WITHOUT_ORACLES()                                  \
  do {                                                                  \
    if (const auto why = missing_prerequisite(); !why.empty()) {        \
      GTEST_SKIP() << why;                                              \
    }                                                                   \
  } while (false)

std::vector<fs::path> all_captures() {
  std::vector<fs::path> captures;
  for (const auto& entry : fs::directory_iterator(pcaps_dir())) {
    const auto ext = entry.path().extension();
    if (entry.is_regular_file() && (ext == ".pcap" || ext == ".pcapng")) captures.push_back(entry.path());
  }
  std::ranges::sort(captures);
  return captures;
}

// Captures simple enough that both oracles must produce identical bytes:
// full handshakes, IPv4, Ethernet, no loss.
const char* const simple_captures[] = {
    "pcapplusplus__three_http_streams.pcap",
    "zeek__http__get.pcap",
    "tcpdump__ssh.pcap",
};

class OraclesAgree : public ::testing::TestWithParam<const char*> {};

TEST_P(OraclesAgree, OnSimpleCapture) {
  FLOWKIT_SKIP_WITHOUT_ORACLES();
  const auto pcap = (pcaps_dir() / GetParam()).string();
  ASSERT_TRUE(fs::exists(pcap)) << pcap;
  const auto nids = run_flow_dumper(nids_oracle(), pcap);
  const auto tshark = tshark_follow(pcap);
  ASSERT_FALSE(nids.empty());
  const auto differences = compare_flows(nids, tshark, "tshark", true);
  EXPECT_TRUE(differences.empty()) << "libnids (ours) vs tshark:\n" << format_differences(differences);
}

INSTANTIATE_TEST_SUITE_P(SharedCaptures, OraclesAgree, ::testing::ValuesIn(simple_captures),
                         [](const auto& param_info) {
                           std::string name = param_info.param;
                           name = name.substr(0, name.find('.'));
                           std::ranges::replace_if(name, [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
                           return name;
                         });

TEST(NidsOracle, UnreadableFileExitsWithTwo) {
  FLOWKIT_SKIP_WITHOUT_ORACLES();
  const std::array<std::string, 2> argv{nids_oracle(), "/nonexistent/capture.pcap"};
  const auto result = run_process(argv);
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("/nonexistent/capture.pcap"), std::string::npos) << result.err;
}

}  // namespace
}  // namespace flowkit::oracle
