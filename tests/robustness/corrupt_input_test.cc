// Corrupt and hostile capture files through PacketSource and through each tool's command line:
// a clear one-line error naming the file for broken framing, counted drops for broken packets
// inside a sound file, and never a crash or a hang (every command runs under a timeout).
// (CaptureFileReader's own error messages are covered in tests/unit/capture_file_test.cc.)
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <string>
#include <vector>

#include "flowkit/packet_source.h"
#include "flowkit/pcap_writer.h"
#include "flowkit/reassembler.h"
#include "packet_builder.h"
#include "recorder.h"
#include "temp_dir.h"

namespace flowkit::testing {
namespace {

namespace fs = std::filesystem;

/// Little-endian fields of hand-made capture files.
class Bytes {
 public:
  Bytes& u16(std::uint16_t v) {
    out_ += static_cast<char>(v & 0xff);
    out_ += static_cast<char>(v >> 8);
    return *this;
  }
  Bytes& u32(std::uint32_t v) {
    return u16(static_cast<std::uint16_t>(v)).u16(static_cast<std::uint16_t>(v >> 16));
  }
  Bytes& raw(const std::string& s) {
    out_ += s;
    return *this;
  }
  [[nodiscard]] const std::string& str() const { return out_; }

 private:
  std::string out_;
};

std::string pcap_header(std::uint32_t snaplen = 65535, std::uint32_t link_type = 1) {
  return Bytes().u32(0xa1b2c3d4).u16(2).u16(4).u32(0).u32(0).u32(snaplen).u32(link_type).str();
}

std::string pcap_record(const std::string& data, std::uint32_t caplen, std::uint32_t wire) {
  return Bytes().u32(1700000000).u32(0).u32(caplen).u32(wire).raw(data).str();
}

std::string text(const Frame& f) {
  return {reinterpret_cast<const char*>(f.bytes.data()), f.bytes.size()};
}

/// A minimal pcapng: section header block only (no interface).
std::string pcapng_section_only() {
  return Bytes()
      .u32(0x0A0D0D0A)
      .u32(28)
      .u32(0x1A2B3C4D)
      .u16(1)
      .u16(0)
      .u32(0xFFFFFFFF)
      .u32(0xFFFFFFFF)
      .u32(28)
      .str();
}

/// A pcapng block: type, total length, body padded to 4 bytes, total length again.
std::string pcapng_block(std::uint32_t type, std::string body) {
  body.resize((body.size() + 3) / 4 * 4, '\0');
  const auto length = static_cast<std::uint32_t>(body.size() + 12);
  return Bytes().u32(type).u32(length).raw(body).u32(length).str();
}

std::string pcapng_interface() {
  return pcapng_block(1, Bytes().u16(1).u16(0).u32(65535).str());
}

std::string pcapng_packet(const std::string& data, std::uint32_t caplen) {
  return pcapng_block(6, Bytes().u32(0).u32(0).u32(0).u32(caplen).u32(caplen).raw(data).str());
}

/// The corrupt files every test below reads, with what each must produce.
struct CorruptFile {
  std::string name;
  std::string bytes;
  std::size_t frames_before_error;  ///< frames delivered before the error (or in all)
  std::string error;                ///< a word of the one-line error; empty: reads cleanly
};

std::vector<CorruptFile> corrupt_files() {
  TcpSession s;
  const std::string syn = text(s.syn());
  std::mt19937 rng(99);
  std::string garbage(4000, '\0');
  for (char& c : garbage) c = static_cast<char>(rng());
  return {
      {"random.pcap", garbage, 0, "not a pcap or pcapng file"},
      {"header-only.pcap", pcap_header(), 0, ""},
      {"section-only.pcapng", pcapng_section_only(), 0, ""},
      {"cut-header.pcap", pcap_header().substr(0, 13), 0, "truncated pcap file header"},
      {"record-beyond-file.pcap",
       pcap_header() + pcap_record(syn, 54, 54) + pcap_record(syn, 5000, 5000), 1,
       "truncated packet record"},
      {"cut-record-header.pcap",
       pcap_header() + pcap_record(syn, 54, 54) + pcap_record(syn, 54, 54).substr(0, 9), 1,
       "truncated record header"},
      {"absurd-caplen.pcap", pcap_header() + pcap_record(syn, 0xFFFFFFF0U, 60), 0, "absurd"},
      {"absurd-snaplen.pcap", pcap_header(0xFFFFFFFFU) + pcap_record(syn, 54, 54), 1, ""},
      {"caplen-over-snaplen.pcap", pcap_header(20) + pcap_record(syn, 54, 54), 1, ""},
      {"wire-below-caplen.pcap", pcap_header() + pcap_record(syn, 54, 10), 1, ""},
      {"cut-block.pcapng",
       pcapng_section_only() + pcapng_interface() + pcapng_packet(syn, 54) +
           pcapng_packet(syn, 54).substr(0, 40),
       1, "truncated block"},
      {"bad-block-length.pcapng",
       pcapng_section_only() + pcapng_interface() + Bytes().u32(6).u32(13).u32(0).u32(13).str(), 0,
       "bad block length"},
      {"caplen-beyond-block.pcapng",
       pcapng_section_only() + pcapng_interface() + pcapng_packet(syn, 5000), 0, "exceeds"},
      {"garbage-after-section.pcapng", pcapng_section_only() + garbage.substr(0, 64), 0, "block"},
  };
}

std::string capture_error(const std::string& path, std::size_t& frames) {
  frames = 0;
  try {
    SourceOptions options;
    options.files = {path};
    auto source = PacketSource::open(options);
    while (auto frame = source.next()) {
      EXPECT_GE(frame->wire_length, frame->data.size());
      ++frames;
    }
  } catch (const CaptureError& e) {
    return e.what();
  }
  return {};
}

TEST(CorruptInput, PacketSourceGivesOneLineErrorsAfterTheGoodFrames) {
  TempDir dir;
  for (const CorruptFile& c : corrupt_files()) {
    const std::string path = dir.write(c.name, c.bytes);
    std::size_t frames = 0;
    const std::string error = capture_error(path, frames);
    EXPECT_EQ(frames, c.frames_before_error) << c.name;
    if (c.error.empty()) {
      EXPECT_EQ(error, "") << c.name;
    } else {
      EXPECT_NE(error.find(c.error), std::string::npos) << c.name << ": " << error;
      EXPECT_NE(error.find(path), std::string::npos) << c.name << ": " << error;
      EXPECT_EQ(error.find('\n'), std::string::npos) << c.name << ": " << error;
    }
  }
}

/// Frames whose headers lie, each in its own way, plus one sound connection that must survive.
std::vector<Frame> hostile_frames() {
  std::vector<Frame> frames;
  TcpSession s;
  for (auto& f : s.handshake()) frames.push_back(f);
  const Frame data = s.client_send("still reassembled");
  const auto with = [&](std::size_t at, unsigned value) {
    Frame f = data;
    f.bytes[at] = static_cast<std::byte>(value);
    return f;
  };
  const auto cut = [&](std::size_t size) {
    Frame f = data;
    f.bytes.resize(size);
    return f;
  };
  frames.push_back(cut(5));                    // shorter than the Ethernet header
  frames.push_back(cut(14 + 12));              // IP header cut
  frames.push_back(cut(14 + 20 + 9));          // TCP header cut
  frames.push_back(with(14, 0x4f));            // IHL 15: 60-byte IP header in a 20-byte one
  frames.push_back(with(14, 0x43));            // IHL 3: shorter than the minimum
  frames.push_back(with(14 + 20 + 12, 0xf0));  // TCP data offset 15: past the packet
  frames.push_back(with(14 + 20 + 12, 0x20));  // TCP data offset 2: shorter than the minimum
  // IPv6 with a chain of 20 hop-by-hop-like headers (destination options), longer than any real
  // one.
  PacketBuilder chain;
  chain.ipv6("2001:db8::1", "2001:db8::2");
  for (int i = 0; i < 20; ++i) chain.ipv6_ext(60);
  frames.push_back(chain.tcp(1, 2).build());
  // An extension header whose length runs past the packet.
  Frame runaway =
      PacketBuilder().ipv6("2001:db8::1", "2001:db8::2").ipv6_ext(60, 8).tcp(1, 2).build();
  runaway.bytes[14 + 40 + 1] = std::byte{0xff};
  frames.push_back(runaway);
  frames.push_back(data);
  return frames;
}

TEST(CorruptInput, LyingHeadersInASoundFileAreCountedDrops) {
  TempDir dir;
  const auto frames = hostile_frames();
  const std::string path = dir.file("hostile.pcap");
  write_pcap(path, 1, views(frames));
  SourceOptions options;
  options.files = {path};
  auto source = PacketSource::open(options);
  Recorder rec;
  Reassembler r(Config{}, rec);
  reassemble(source, r);
  const Stats& st = r.stats();
  EXPECT_EQ(rec.bytes(Direction::ToServer), "still reassembled");
  EXPECT_EQ(st.dropped(DropReason::Truncated), 6U);    // 3 cuts, IHL 15, offset 15, runaway
  EXPECT_EQ(st.dropped(DropReason::BadIpHeader), 2U);  // IHL 3, the 20-header chain
  EXPECT_EQ(st.dropped(DropReason::BadL4Header), 1U);  // offset 2
  EXPECT_EQ(st.packets, frames.size());
}

// --- the tools' command lines ---------------------------------------------------------------

struct Outcome {
  int status = -1;  ///< exit status; -1: killed by a signal
  std::string out;
  std::string err;
};

/// Runs argv under a 30-second timeout (exit status 124 means it hung).
Outcome run_tool(std::vector<std::string> argv) {
  argv.insert(argv.begin(), {"timeout", "30"});
  TempDir dir;
  const std::string out_path = dir.file("out");
  const std::string err_path = dir.file("err");
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    if (!std::freopen("/dev/null", "r", stdin) || !std::freopen(out_path.c_str(), "w", stdout) ||
        !std::freopen(err_path.c_str(), "w", stderr)) {
      ::_exit(126);
    }
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  Outcome o;
  o.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream out(out_path), err(err_path);
  o.out.assign(std::istreambuf_iterator<char>(out), std::istreambuf_iterator<char>());
  o.err.assign(std::istreambuf_iterator<char>(err), std::istreambuf_iterator<char>());
  return o;
}

struct Tool {
  std::string name;
  std::string binary;
  std::vector<std::string> args;  ///< before "-r FILE"
};

std::vector<Tool> tools() {
  std::vector<Tool> out;
#ifdef FLOWGREP_BINARY
  out.push_back({"flowgrep", FLOWGREP_BINARY, {"-e", "reassembled"}});
#endif
#ifdef VERSIONDETECT_BINARY
  out.push_back({"versiondetect", VERSIONDETECT_BINARY, {}});
#endif
#ifdef HTTPGRAPH_BINARY
  out.push_back({"httpgraph", HTTPGRAPH_BINARY, {}});
#endif
  return out;
}

TEST(CorruptInput, EveryToolFailsCleanlyOnBrokenFiles) {
  if (tools().empty()) GTEST_SKIP() << "no tool built";
  TempDir dir;
  for (const CorruptFile& c : corrupt_files()) {
    const std::string path = dir.write(c.name, c.bytes);
    for (const Tool& tool : tools()) {
      auto argv = tool.args;
      argv.insert(argv.begin(), tool.binary);
      argv.insert(argv.end(), {"-r", path});
      const Outcome o = run_tool(argv);
      const std::string what = tool.name + " " + c.name;
      ASSERT_NE(o.status, 124) << what << ": hung";
      ASSERT_NE(o.status, -1) << what << ": crashed\n" << o.err;
      if (c.error.empty()) {
        EXPECT_TRUE(o.status == 0 || o.status == 1) << what << ": " << o.status << " " << o.err;
      } else {
        EXPECT_EQ(o.status, 2) << what << ": " << o.err;
        // The error is one line naming the tool and the file (statistics may follow it).
        const std::string first = o.err.substr(0, o.err.find('\n'));
        EXPECT_EQ(first.rfind(tool.name + ": " + path + ": ", 0), 0U) << what << ": " << o.err;
        EXPECT_NE(first.find(c.error), std::string::npos) << what << ": " << o.err;
      }
    }
  }
}

TEST(CorruptInput, EveryToolCountsLyingHeadersAsDrops) {
  if (tools().empty()) GTEST_SKIP() << "no tool built";
  TempDir dir;
  const auto frames = hostile_frames();
  const std::string path = dir.file("hostile.pcap");
  write_pcap(path, 1, views(frames));
  // And random frames of every supported link type, in one pcapng-free run per link type.
  std::mt19937 rng(5);
  std::vector<std::string> random_files;
  for (const int link : {0, 1, 101, 113, 239, 276}) {
    std::string file = pcap_header(65535, static_cast<std::uint32_t>(link));
    for (int i = 0; i < 300; ++i) {
      std::string data(rng() % 200, '\0');
      for (char& ch : data) ch = static_cast<char>(rng());
      if (!data.empty() && link == 101) data[0] = static_cast<char>(i % 2 == 0 ? 0x45 : 0x60);
      file += pcap_record(data, static_cast<std::uint32_t>(data.size()),
                          static_cast<std::uint32_t>(data.size()));
    }
    random_files.push_back(dir.write(fmt::format("random-{}.pcap", link), file));
  }
  for (const Tool& tool : tools()) {
    auto argv = tool.args;
    argv.insert(argv.begin(), tool.binary);
    argv.insert(argv.end(), {"-r", path});
    const Outcome o = run_tool(argv);
    ASSERT_NE(o.status, 124) << tool.name << ": hung";
    EXPECT_TRUE(o.status == 0 || o.status == 1) << tool.name << ": " << o.status << " " << o.err;
    // The statistics report the drops.
    std::smatch m;
    ASSERT_TRUE(std::regex_search(o.err, m, std::regex("([0-9]+) dropped")))
        << tool.name << ": " << o.err;
    EXPECT_EQ(m[1], "9") << tool.name << ": " << o.err;
    for (const auto& random_file : random_files) {
      auto random_argv = tool.args;
      random_argv.insert(random_argv.begin(), tool.binary);
      random_argv.insert(random_argv.end(), {"-r", random_file});
      const Outcome r = run_tool(random_argv);
      EXPECT_TRUE(r.status == 0 || r.status == 1)
          << tool.name << " " << random_file << ": " << r.status << " " << r.err;
    }
  }
  // flowgrep still finds its pattern in the one sound connection.
#ifdef FLOWGREP_BINARY
  EXPECT_EQ(run_tool({FLOWGREP_BINARY, "-q", "-e", "still reassembled", "-r", path}).status, 0);
#endif
}

}  // namespace
}  // namespace flowkit::testing
