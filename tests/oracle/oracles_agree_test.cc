// Runs both oracles (tshark follow, libnids) on the shared captures: they must
// agree on simple captures, and where they disagree elsewhere the differences
// are written to a report (FLOWKIT_ORACLE_REPORT) so we know which
// disagreements between flowkit and an oracle are the oracle's own choice.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "flow_bytes.h"
#include "subprocess.h"
#include "tshark_follow.h"

namespace flowkit::oracle {
namespace {

namespace fs = std::filesystem;

fs::path pcaps_dir() {
  if (const char* env = std::getenv("FLOWKIT_SHARED_PCAPS"); env != nullptr && *env != '\0')
    return env;
  return FLOWKIT_SHARED_PCAPS;
}

std::string nids_oracle() {
  if (const char* env = std::getenv("FLOWKIT_NIDS_ORACLE"); env != nullptr && *env != '\0')
    return env;
  return FLOWKIT_NIDS_ORACLE;
}

// Empty if everything needed is there, else why the test is skipped.
std::string missing_prerequisite(bool need_nids = true) {
  if (!fs::is_directory(pcaps_dir()))
    return fmt::format("no capture directory {}", pcaps_dir().string());
  if (!program_available("tshark")) return "tshark is not installed";
  if (!need_nids) return {};
  const auto nids = nids_oracle();
  if (nids.empty() || !program_available(nids))
    return "flowkit_nids_oracle was not built (libnids missing)";
  return {};
}

#define FLOWKIT_SKIP_UNLESS(ready)                \
  do {                                            \
    if (const auto why = (ready); !why.empty()) { \
      GTEST_SKIP() << why;                        \
    }                                             \
  } while (false)
#define FLOWKIT_SKIP_WITHOUT_ORACLES() FLOWKIT_SKIP_UNLESS(missing_prerequisite())
#define FLOWKIT_SKIP_WITHOUT_TSHARK() FLOWKIT_SKIP_UNLESS(missing_prerequisite(false))

std::vector<fs::path> all_captures() {
  std::vector<fs::path> captures;
  for (const auto& entry : fs::directory_iterator(pcaps_dir())) {
    const auto ext = entry.path().extension();
    if (entry.is_regular_file() && (ext == ".pcap" || ext == ".pcapng"))
      captures.push_back(entry.path());
  }
  std::ranges::sort(captures);
  return captures;
}

// Captures simple enough that both oracles must produce identical bytes:
// full handshakes, IPv4, no loss. Some still exercise something: duplicates
// (ssh-dups), a VLAN tag, Linux SLL, VLAN copies of one connection, and
// TSO/checksum-offloaded IP headers that flowkit_nids_oracle must repair.
const char* const simple_captures[] = {
    "pcapplusplus__three_http_streams.pcap",
    "zeek__http__get.pcap",
    "tcpdump__ssh.pcap",
    "zeek__http__pipelined-requests.pcap",
    "zeek__tcp__ssh-dups.pcap",
    "zeek__http-vlan-0.pcap",
    "pcapplusplus__sll.pcap",
    "zeek__vlan-collisions.pcap",
    "chrissanders__mail_sender_attachment.pcapng",
};

std::string test_name_for(std::string_view file) {
  std::string name(file.substr(0, file.find('.')));
  std::ranges::replace_if(
      name, [](char c) { return std::isalnum(static_cast<unsigned char>(c)) == 0; }, '_');
  return name;
}

class OraclesAgree : public ::testing::TestWithParam<const char*> {};

TEST_P(OraclesAgree, OnSimpleCapture) {
  FLOWKIT_SKIP_WITHOUT_ORACLES();
  const auto pcap = (pcaps_dir() / GetParam()).string();
  ASSERT_TRUE(fs::exists(pcap)) << pcap;
  const auto nids = run_flow_dumper(nids_oracle(), pcap);
  const auto tshark = tshark_follow(pcap);
  ASSERT_FALSE(nids.empty());
  const auto differences = compare_flows(nids, tshark, "tshark", true);
  EXPECT_TRUE(differences.empty()) << "libnids (ours) vs tshark:\n"
                                   << format_differences(differences);
}

INSTANTIATE_TEST_SUITE_P(SharedCaptures, OraclesAgree, ::testing::ValuesIn(simple_captures),
                         [](const auto& param_info) { return test_name_for(param_info.param); });

TEST(NidsOracle, UnreadableFileExitsWithTwo) {
  FLOWKIT_SKIP_WITHOUT_ORACLES();
  const std::array<std::string, 2> argv{nids_oracle(), "/nonexistent/capture.pcap"};
  const auto result = run_process(argv);
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("/nonexistent/capture.pcap"), std::string::npos) << result.err;
}

// --- Pinned oracle behaviour (see the comments in tshark_follow.h and nids_oracle.c).

fs::path capture(std::string_view name) {
  return pcaps_dir() / name;
}

TEST(TsharkBehaviour, AcknowledgedGapsBecomeMarkers) {
  FLOWKIT_SKIP_WITHOUT_TSHARK();
  // Truncated frames and lost segments, all acknowledged by the receiver.
  const auto pcap = capture("zeek__tcp__reassembly.pcap").string();
  const auto marked = run_tshark_follow(pcap);
  ASSERT_EQ(marked.flows.size(), 1u);
  ASSERT_FALSE(marked.gaps.empty());
  EXPECT_EQ(marked.gaps[0].missing, 8u);
  const auto& first = marked.gaps[0];
  EXPECT_EQ(marked.flows[0].from_a.substr(first.offset, 34),
            std::string("[8 bytes missing in capture file]\0", 34));
  TsharkOptions zero;
  zero.gaps = GapMode::zero_fill;
  // With gaps zero-filled the stream covers the whole sequence space (ISN+1 .. FIN).
  EXPECT_EQ(run_tshark_follow(pcap, zero).flows[0].from_a.size(), 33208u);
}

TEST(TsharkBehaviour, UnacknowledgedHoleDropsEverythingAfterIt) {
  FLOWKIT_SKIP_WITHOUT_TSHARK();
  // One-sided capture: nobody acknowledges the lost segment, so tshark keeps
  // the later segments queued and never prints them.
  const auto result = run_tshark_follow(
      capture("pcapplusplus__unidirectional_tcp_stream_with_missing_packet.pcap"));
  ASSERT_EQ(result.flows.size(), 1u);
  EXPECT_EQ(result.flows[0].from_a.size(), 1420u);
  EXPECT_TRUE(result.gaps.empty());
}

TEST(TsharkBehaviour, VlanCopiesOfAConnectionAreOneStream) {
  FLOWKIT_SKIP_WITHOUT_TSHARK();
  // The same connection untagged, on VLAN 42 and on QinQ 10/20: one tcp.stream,
  // the copies de-duplicated like retransmissions.
  const auto flows = tshark_follow(capture("zeek__vlan-collisions.pcap").string());
  ASSERT_EQ(flows.size(), 1u);
  EXPECT_EQ(flows[0].from_a.size(), 136u);
  EXPECT_EQ(flows[0].from_b.size(), 5007u);
}

TEST(TsharkBehaviour, FollowsIpv6) {
  FLOWKIT_SKIP_WITHOUT_TSHARK();
  const auto flows = tshark_follow(capture("pcapplusplus__four_ipv6_http_streams.pcap").string());
  ASSERT_EQ(flows.size(), 4u);
  for (const auto& f : flows) {
    EXPECT_NE(f.a.ip.find(':'), std::string::npos) << f.label();
    EXPECT_FALSE(f.empty()) << f.label();
  }
}

TEST(NidsBehaviour, StopsAtTheFirstHole) {
  FLOWKIT_SKIP_WITHOUT_ORACLES();
  const auto pcap = capture("zeek__tcp__reassembly.pcap").string();
  const auto nids = run_flow_dumper(nids_oracle(), pcap);
  ASSERT_EQ(nids.size(), 1u);
  // 274 bytes, then a frame shorter than its IP length: libnids drops it and waits forever.
  EXPECT_EQ(nids[0].from_a.size(), 274u);
  EXPECT_EQ(tshark_follow(pcap)[0].from_a.substr(0, 274), nids[0].from_a);
}

TEST(NidsBehaviour, IgnoresConnectionsWithoutHandshake) {
  FLOWKIT_SKIP_WITHOUT_ORACLES();
  const auto pcap = capture("zeek__tcp__missing-syn.pcap").string();
  EXPECT_TRUE(run_flow_dumper(nids_oracle(), pcap).empty());
  const auto tshark = tshark_follow(pcap);
  ASSERT_EQ(tshark.size(), 1u);
  EXPECT_FALSE(tshark[0].empty());
}

TEST(NidsBehaviour, RejectsUnsupportedLinkTypes) {
  FLOWKIT_SKIP_WITHOUT_ORACLES();
  const std::array<std::string, 2> argv{nids_oracle(), capture("pcapplusplus__sll2.pcap").string()};
  const auto result = run_process(argv);
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_NE(result.err.find("link type"), std::string::npos) << result.err;
}

// --- Report: where libnids and tshark disagree on every shared capture.

// What investigating each capture showed (tshark 4.0, libnids 1.26).
const std::map<std::string, std::string, std::less<>> known_causes = {
    {"chrissanders__http_espn.pcapng",
     "One lost server segment (3038 bytes) that the client acknowledged: tshark writes its gap "
     "marker and "
     "goes on, libnids waits for the hole forever."},
    {"chrissanders__http_ip4and6.pcapng", "The IPv6 connection: libnids is IPv4-only."},
    {"chrissanders__tcp_retransmissions.pcapng",
     "Only retransmissions of one segment, no handshake: libnids ignores the connection."},
    {"pcapplusplus__4KHttpRequests.pcap", "One-sided capture (requests only) without handshakes."},
    {"pcapplusplus__example.pcap",
     "One connection starts mid-stream (no SYN) at the end of the capture."},
    {"pcapplusplus__examples__frag_http_req.pcap",
     "A single IP-fragmented request without handshake (both reassemble the fragments; libnids "
     "needs a SYN)."},
    {"pcapplusplus__four_ipv6_http_streams.pcap", "IPv6."},
    {"pcapplusplus__one_http_stream_rst.pcap",
     "QinQ + PPPoE encapsulation: libnids decodes neither."},
    {"pcapplusplus__pcapng-example.pcapng",
     "X11 connections already open when the capture started (no SYN)."},
    {"pcapplusplus__sll2.pcap", "Linux SLL2 link type: libnids cannot read it."},
    {"pcapplusplus__unidirectional_tcp_stream_with_missing_packet.pcap",
     "SYN but no SYN/ACK (one-sided), so libnids never establishes; tshark prints data up to the "
     "missing "
     "segment and drops the rest (the hole is never acknowledged)."},
    {"suricata-verify__defrag__bug-6887-defrag-eth-vlan-ipv6-tcp__frag-eth-vlan-ipv6-tcp.pcap",
     "IPv6 fragments."},
    {"suricata-verify__defrag__bug-6887-defrag-ipv6-tcp__frag-ip-tcp.pcap",
     "Raw IPv6 link type (libnids cannot read it) and IPv6 fragments."},
    {"tcpdump__ipv4_tcp_http_xml_tso.pcap", "A single TSO super-segment, no handshake."},
    {"tcpdump__tfo-5c1fa7f9ae91.pcap",
     "TCP Fast Open: data on a SYN that is never answered; tshark includes SYN payload, libnids "
     "ignores it."},
    {"zeek__ftp__ipv6.pcap", "IPv6."},
    {"zeek__http-qinq-0.pcap", "QinQ (two VLAN tags): libnids decodes only one tag."},
    {"zeek__http__1000-requests-one-dropped-response.pcap", "IPv6."},
    {"zeek__http__206_example_b.pcap",
     "The server sends into a zero/exhausted receive window; libnids drops segments starting "
     "beyond "
     "ack + window and the hole is never filled, tshark has no window check."},
    {"zeek__http__bro.org.pcap",
     "One lost segment (acknowledged): tshark writes its gap marker, libnids stops at the hole."},
    {"zeek__http__connect-with-header.pcap", "IPv6."},
    {"zeek__ipv4__fragmented-4.pcap", "The data connection has no SYN in the capture."},
    {"zeek__ipv6-http-atomic-frag.pcap", "IPv6 (atomic fragments)."},
    {"zeek__linux_dlt_sll2.pcap",
     "Linux SLL2 link type: libnids cannot read it (no TCP payload anyway)."},
    {"zeek__nflog-http.pcap", "NFLOG link type: libnids cannot read it."},
    {"zeek__pppoe-over-qinq.pcap", "PPPoE over QinQ: libnids decodes neither."},
    {"zeek__smtp-attachment-msg.pcap", "IPv6."},
    {"zeek__smtp.pcap", "Three connections already open when the capture started (no SYN)."},
    {"zeek__tcp__handshake-reorder.pcap",
     "SYN/ACK captured before the SYN: libnids only creates a connection from a SYN and then "
     "ignores it."},
    {"zeek__tcp__missing-syn.pcap", "No SYN in the capture (mid-stream)."},
    {"zeek__tcp__reassembly.pcap",
     "Frames shorter than their IP total length and lost segments: libnids drops the short frames "
     "and stops "
     "at the first hole (after 274 bytes); tshark uses the captured part and writes gap markers."},
    {"zeek__tcp__rst-inject-rae.pcap",
     "A RST before the SYN/ACK: libnids frees the connection; tshark ignores RST and data after it "
     "counts."},
    {"zeek__tunnels__vxlan-encapsulated-http.pcap",
     "VXLAN tunnel: tshark decodes it, libnids sees only UDP."},
    {"zeek__vlan-qinqinq.pcap", "Three VLAN tags: libnids decodes only one."},
    {"zeek__wikipedia.pcap", "One connection already open when the capture started (no SYN)."},
};

struct CaptureResult {
  std::string name;
  std::string tshark_error;
  std::string nids_error;
  TsharkFollow tshark;
  FlowSet nids;
  std::vector<FlowDifference> differences;  // libnids is "ours", tshark "theirs"
};

CaptureResult examine(const fs::path& pcap) {
  CaptureResult result;
  result.name = pcap.filename().string();
  try {
    result.tshark = run_tshark_follow(pcap.string());
  } catch (const std::exception& e) {
    result.tshark_error = e.what();
  }
  try {
    result.nids = run_flow_dumper(nids_oracle(), pcap.string());
  } catch (const std::exception& e) {
    result.nids_error = e.what();
  }
  result.differences = compare_flows(result.nids, result.tshark.flows, "tshark", true);
  return result;
}

// Two workers: tshark dominates and runs single-threaded.
std::vector<CaptureResult> examine_all(const std::vector<fs::path>& captures) {
  std::vector<CaptureResult> results(captures.size());
  std::atomic<std::size_t> next{0};
  const auto work = [&] {
    for (auto i = next++; i < captures.size(); i = next++) results[i] = examine(captures[i]);
  };
  {
    std::jthread helper(work);
    work();
  }
  return results;
}

std::size_t count_with_payload(const FlowSet& flows) {
  return static_cast<std::size_t>(
      std::ranges::count_if(flows, [](const FlowBytes& f) { return !f.empty(); }));
}

bool gap_marker_at(std::string_view bytes, std::size_t offset) {
  const auto nul = bytes.find('\0', offset);
  return nul != std::string_view::npos && nul - offset < 64 &&
         parse_gap_marker(bytes.substr(offset, nul - offset + 1)) >= 0;
}

// A guess from the shape of the difference, for captures not investigated yet.
std::string hint(const CaptureResult& r, const FlowDifference& d) {
  switch (d.kind) {
    case DifferenceKind::only_ours:
      return "unexpected: tshark has no such stream";
    case DifferenceKind::only_theirs:
      if (!r.nids_error.empty()) return "libnids cannot read the capture";
      if (r.tshark.flows[d.theirs_index].a.ip.find(':') != std::string::npos)
        return "IPv6 (libnids is IPv4-only)";
      return "no complete handshake for libnids, or an encapsulation it cannot decode";
    case DifferenceKind::bytes:
      break;
  }
  const auto& mine = r.nids[d.ours_index];
  const auto& theirs = r.tshark.flows[d.theirs_index];
  const auto& sender = d.sender_is_ours_a ? mine.a : mine.b;
  const auto& ours_bytes = d.sender_is_ours_a ? mine.from_a : mine.from_b;
  const auto& theirs_bytes = theirs.a == sender ? theirs.from_a : theirs.from_b;
  if (gap_marker_at(theirs_bytes, d.offset))
    return "tshark wrote a gap marker here; libnids stops at a hole";
  if (d.offset == ours_bytes.size()) {
    return "libnids stopped early (hole, window check, truncated frame, RST or pruned queue)";
  }
  if (d.offset == theirs_bytes.size()) return "tshark stopped early (a hole nobody acknowledged)";
  return "different content (overlapping data, urgent byte?)";
}

// First output line of `program --version`.
std::string version_of(const std::string& program) {
  try {
    const std::array<std::string, 2> argv{program, "--version"};
    const auto out = run_process(argv).out;
    return out.substr(0, out.find('\n'));
  } catch (const std::exception& e) {
    return e.what();
  }
}

std::string report_path() {
  if (const char* env = std::getenv("FLOWKIT_ORACLE_REPORT"); env != nullptr && *env != '\0')
    return env;
  return FLOWKIT_ORACLE_REPORT;
}

void write_report(std::ostream& out, const std::vector<CaptureResult>& results) {
  out << "# libnids vs tshark follow on the shared captures\n\n"
      << fmt::format(
             "Generated by flowkit_oracle_tests (OracleReport.AllCaptures) with {} and {}.\n",
             version_of("tshark"), version_of(nids_oracle()))
      << "libnids is \"ours\", tshark \"theirs\"; flows without payload are ignored. Counts are "
         "flows with "
         "payload. `gaps` is the number of \"[N bytes missing in capture file]\" markers tshark "
         "wrote.\n\n"
      << "| capture | tshark | libnids | identical | differences | gaps | note |\n"
      << "|---|---:|---:|---:|---:|---:|---|\n";
  for (const auto& r : results) {
    std::set<std::size_t> differing;
    for (const auto& d : r.differences) {
      if (d.ours_index != FlowDifference::no_index) differing.insert(d.ours_index);
    }
    std::size_t identical = 0;
    for (std::size_t i = 0; i < r.nids.size(); ++i) {
      if (!r.nids[i].empty() && !differing.contains(i)) ++identical;
    }
    std::string note;
    if (!r.nids_error.empty()) note = "libnids cannot read it";
    if (!r.tshark_error.empty()) note = "tshark failed";
    out << fmt::format("| {} | {} | {} | {} | {} | {} | {} |\n", r.name,
                       count_with_payload(r.tshark.flows), count_with_payload(r.nids), identical,
                       r.differences.size(), r.tshark.gaps.size(), note);
  }
  out << "\n## Differences\n";
  for (const auto& r : results) {
    if (r.differences.empty() && r.tshark_error.empty()) continue;
    out << fmt::format("\n### {}\n\n", r.name);
    if (const auto it = known_causes.find(r.name); it != known_causes.end()) {
      out << fmt::format("Cause: {}\n\n", it->second);
    } else {
      out << "Cause: not investigated yet (see the hints).\n\n";
    }
    if (!r.tshark_error.empty()) out << fmt::format("- tshark error: {}\n", r.tshark_error);
    if (!r.nids_error.empty()) out << fmt::format("- libnids error: {}\n", r.nids_error);
    constexpr std::size_t max_listed = 12;
    for (std::size_t k = 0; k < r.differences.size() && k < max_listed; ++k) {
      const auto& d = r.differences[k];
      out << fmt::format("- `{}`: {} — *{}*\n", d.flow, d.what, hint(r, d));
    }
    if (r.differences.size() > max_listed) {
      out << fmt::format("- ... and {} more\n", r.differences.size() - max_listed);
    }
  }
}

TEST(OracleReport, AllCaptures) {
  FLOWKIT_SKIP_WITHOUT_ORACLES();
  const auto captures = all_captures();
  ASSERT_FALSE(captures.empty());
  const auto results = examine_all(captures);

  const auto path = report_path();
  {
    std::ofstream out(path);
    ASSERT_TRUE(out) << "cannot write " << path;
    write_report(out, results);
  }
  std::cout << "oracle disagreement report: " << path << "\n";

  for (const auto& r : results) {
    EXPECT_TRUE(r.tshark_error.empty()) << r.name << ": " << r.tshark_error;
    for (const auto& d : r.differences) {
      // Invariants seen on every capture: libnids never has payload tshark lacks,
      // and where both have a flow libnids at most stops early.
      EXPECT_NE(d.kind, DifferenceKind::only_ours) << r.name << ": " << d.flow << ": " << d.what;
      if (d.kind == DifferenceKind::bytes) {
        const auto& mine = r.nids[d.ours_index];
        EXPECT_EQ(d.offset, (d.sender_is_ours_a ? mine.from_a : mine.from_b).size())
            << r.name << ": libnids bytes are not a prefix of tshark's: " << d.what;
      }
    }
    if ((!r.differences.empty() || !r.nids_error.empty()) && !known_causes.contains(r.name)) {
      // Not a failure: the report says "not investigated yet".
      std::cout << r.name << ": disagreements not investigated yet\n";
    }
  }
}

}  // namespace
}  // namespace flowkit::oracle
