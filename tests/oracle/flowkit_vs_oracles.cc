// flowkit's reassembly against the two oracles on every real capture in ../shared/pcaps:
// tshark's `follow,tcp,raw` and Debian's libnids. Every difference must be one of the known,
// explained behaviours of the oracle (each rule below says which and why); anything else is a
// flowkit bug and fails. A report per capture lands in <build>/tests/oracle/report/.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "flowkit_flows.h"
#include "subprocess.h"
#include "tshark_follow.h"

namespace flowkit::oracle {
namespace {

namespace fs = std::filesystem;

fs::path captures_dir() {
  if (const char* env = std::getenv("FLOWKIT_SHARED_PCAPS"); env != nullptr && *env != '\0') {
    return env;
  }
  return FLOWKIT_SHARED_PCAPS;
}

std::vector<std::string> capture_names() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(captures_dir(), ec)) {
    const auto ext = entry.path().extension().string();
    if (ext == ".pcap" || ext == ".pcapng") names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// Captures where the oracle's view differs from flowkit's by design, with the reason. These are
// whole-capture exceptions, so they are few and each is explained.
const std::map<std::string, std::string> kTsharkExceptions = {
    {"zeek__vlan-collisions.pcap",
     "tshark merges connections that differ only by VLAN into one tcp.stream; flowkit keys "
     "connections by VLAN, so it reports three"},
    {"zeek__tunnels__vxlan-encapsulated-http.pcap",
     "tshark decapsulates VXLAN; flowkit does not follow tunnels"},
    {"zeek__tcp__rst-inject-rae.pcap",
     "data sent after an in-window RST: the receiver has torn the connection down, so flowkit "
     "ends it there; tshark ignores RSTs"},
};

const std::map<std::string, std::string> kLibnidsExceptions = {
    {"zeek__tcp__reassembly.pcap",
     "libnids drops a frame whose IP total length exceeds what was captured, which makes a "
     "hole only libnids has, and then stalls at it; flowkit uses the captured part"},
    {"zeek__http__206_example_b.pcap",
     "libnids drops segments the server sent into a zero window; the client still received "
     "them (it acknowledged them), and flowkit delivers them"},
};

std::string sender_bytes(const FlowBytes& flow, bool from_a) {
  return from_a ? flow.from_a : flow.from_b;
}

// The counterpart's bytes for the direction the difference is about (their a may be our b).
std::string their_bytes(const FlowBytes& ours, const FlowBytes& theirs, bool ours_from_a) {
  const Endpoint& sender = ours_from_a ? ours.a : ours.b;
  return sender == theirs.a ? theirs.from_a : theirs.from_b;
}

struct Verdict {
  bool accepted = false;
  std::string reason;
};

// The oracle stopped early where flowkit skipped a hole and carried on.
Verdict stops_at_hole(const FlowkitFlows& ours, const FlowSet& theirs, const FlowDifference& d,
                      std::string_view oracle, std::string_view why) {
  const auto& mine = ours.flows[d.ours_index];
  const auto our_side = sender_bytes(mine, d.sender_is_ours_a);
  const auto their_side = their_bytes(mine, theirs[d.theirs_index], d.sender_is_ours_a);
  const bool prefix = their_side.size() < our_side.size() && our_side.starts_with(their_side);
  if (prefix && ours.has_gap_at(d.ours_index, d.sender_is_ours_a, their_side.size())) {
    return {true, fmt::format("{} stops at a hole {}; flowkit reports the gap at offset {} and "
                              "delivers the {} bytes after it",
                              oracle, why, their_side.size(), our_side.size() - their_side.size())};
  }
  return {};
}

void write_report(const std::string& name, const std::string& oracle,
                  const std::vector<std::pair<FlowDifference, Verdict>>& rows) {
  const fs::path dir = fs::path(FLOWKIT_ORACLE_REPORT_DIR);
  fs::create_directories(dir);
  std::ofstream out(dir / (name + "." + oracle + ".md"));
  out << "## " << name << " vs " << oracle << "\n\n";
  if (rows.empty()) out << "identical\n";
  for (const auto& [d, v] : rows) {
    out << "- " << (v.accepted ? "accepted" : "**BUG**") << ": " << d.flow << ": " << d.what;
    if (v.accepted) out << "\n  - why: " << v.reason;
    out << "\n";
  }
}

Config tshark_like() {
  Config config;
  config.tcp.midstream = true;  // tshark follows streams without handshakes
  // Overlaps: on zeek__tcp__reassembly (conflicting TCP segments) and zeek__ipv4__fragmented-4
  // (conflicting IP fragments) tshark keeps exactly what the bsd (and linux) policy keeps, and
  // differs from first, last, windows and solaris; bsd is also flowkit's default.
  config.tcp.policy = OverlapPolicy::Bsd;
  config.defrag.policy = OverlapPolicy::Bsd;
  return config;
}

Config libnids_like() {
  Config config;
  config.tcp.policy = OverlapPolicy::First;  // libnids: first delivered bytes win
  config.defrag.policy = OverlapPolicy::First;
  return config;
}

class AgainstOracles : public ::testing::TestWithParam<std::string> {
 protected:
  std::string path() const { return (captures_dir() / GetParam()).string(); }
};

TEST_P(AgainstOracles, Tshark) {
  if (!program_available("tshark")) GTEST_SKIP() << "tshark not installed";
  TsharkOptions options;
  options.gaps = GapMode::drop;  // tshark writes a text marker where bytes are missing
  const auto theirs = run_tshark_follow(path(), options);
  const auto ours = flowkit_flows(path(), tshark_like());
  std::vector<std::pair<FlowDifference, Verdict>> rows;
  const auto exception = kTsharkExceptions.find(GetParam());
  for (const auto& d : compare_flows(ours.flows, theirs.flows, "tshark", true)) {
    Verdict v;
    if (exception != kTsharkExceptions.end()) {
      v = {true, exception->second};
    } else if (d.kind == DifferenceKind::bytes) {
      v = stops_at_hole(ours, theirs.flows, d, "tshark", "nobody acknowledged");
    }
    EXPECT_TRUE(v.accepted) << GetParam() << ": " << d.flow << ": " << d.what;
    rows.emplace_back(d, v);
  }
  write_report(GetParam(), "tshark", rows);
}

TEST_P(AgainstOracles, Libnids) {
  const std::string oracle = FLOWKIT_NIDS_ORACLE;
  if (oracle.empty()) GTEST_SKIP() << "libnids oracle not built";
  const std::string args[] = {oracle, path()};
  const auto run = run_process(args);
  if (run.exit_code != 0) GTEST_SKIP() << "libnids cannot read this capture: " << run.err;
  const auto theirs = parse_flows(run.out);
  const auto ours = flowkit_flows(path(), libnids_like());
  std::vector<std::pair<FlowDifference, Verdict>> rows;
  const auto exception = kLibnidsExceptions.find(GetParam());
  for (const auto& d : compare_flows(ours.flows, theirs, "libnids", true)) {
    Verdict v;
    if (d.kind == DifferenceKind::only_ours) {
      v = {true,
           "libnids does not report it (IPv6, no complete handshake, or an encapsulation "
           "libnids cannot decode)"};
    } else if (d.kind == DifferenceKind::bytes) {
      v = stops_at_hole(ours, theirs, d, "libnids", "(any hole stalls it for good)");
      if (!v.accepted && exception != kLibnidsExceptions.end()) v = {true, exception->second};
    }
    EXPECT_TRUE(v.accepted) << GetParam() << ": " << d.flow << ": " << d.what;
    rows.emplace_back(d, v);
  }
  write_report(GetParam(), "libnids", rows);
}

INSTANTIATE_TEST_SUITE_P(SharedCaptures, AgainstOracles, ::testing::ValuesIn(capture_names()),
                         [](const auto& p) {
                           std::string name = p.param;
                           for (char& c : name) {
                             if (std::isalnum(static_cast<unsigned char>(c)) == 0) c = '_';
                           }
                           return name;
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(AgainstOracles);

TEST(SharedCaptures, PresentOrSkipped) {
  if (capture_names().empty()) GTEST_SKIP() << "no captures in " << captures_dir();
  SUCCEED();
}

}  // namespace
}  // namespace flowkit::oracle
