#include "flowkit/capture_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "flowkit/pcap_writer.h"
#include "packet_builder.h"
#include "pcapng_crafting.h"
#include "temp_dir.h"

namespace flowkit {
namespace {

using testing::block;
using testing::Encoder;
using testing::enhanced_packet;
using testing::interface_block;
using testing::obsolete_packet;
using testing::section_header;
using testing::simple_packet;
using testing::TempDir;

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const fs::path kSharedPcaps{FLOWKIT_SHARED_PCAPS};

/// A frame read back, owning its bytes.
struct ReadFrame {
  Timestamp ts{};
  int link_type = 0;
  std::string data;
  std::uint32_t wire_length = 0;
};

std::vector<ReadFrame> read_all(const std::string& path) {
  auto reader = CaptureFileReader::open(path);
  std::vector<ReadFrame> out;
  while (auto frame = reader.next()) {
    out.push_back(ReadFrame{
        frame->ts, frame->link_type,
        std::string(reinterpret_cast<const char*>(frame->data.data()), frame->data.size()),
        frame->wire_length});
  }
  return out;
}

/// The CaptureError message reading `path` to the end produces; empty when there is none.
std::string error_of(const std::string& path) {
  try {
    auto reader = CaptureFileReader::open(path);
    while (reader.next()) {
    }
  } catch (const CaptureError& e) {
    return e.what();
  }
  return {};
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (const char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

/// Standard output of a shell command, or nullopt when it exits unsuccessfully.
std::optional<std::string> run(const std::string& command) {
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return std::nullopt;
  std::string out;
  std::array<char, 65536> chunk{};
  std::size_t n = 0;
  while ((n = std::fread(chunk.data(), 1, chunk.size(), pipe)) > 0) out.append(chunk.data(), n);
  if (::pclose(pipe) != 0) return std::nullopt;
  return out;
}

bool have_tool(const char* path) {
  return ::access(path, X_OK) == 0;
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(text);
  while (std::getline(in, item, separator)) out.push_back(item);
  return out;
}

/// "1422527998.578402281" as nanoseconds modulo 2^64 (tshark prints huge times unsigned).
std::uint64_t parse_epoch(const std::string& text) {
  const auto dot = text.find('.');
  const std::uint64_t seconds = std::stoull(text.substr(0, dot));
  std::string fraction = dot == std::string::npos ? "" : text.substr(dot + 1);
  fraction.resize(9, '0');
  return seconds * 1'000'000'000ULL + std::stoull(fraction);
}

std::vector<fs::path> shared_captures() {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(kSharedPcaps)) {
    const auto ext = entry.path().extension();
    if (entry.is_regular_file() && (ext == ".pcap" || ext == ".pcapng")) {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// --- classic pcap crafting -------------------------------------------------------------------

std::string pcap_header(bool big, std::uint32_t magic, int link_type, std::uint32_t snaplen = 65535,
                        std::uint16_t major = 2) {
  return Encoder(big)
      .u32(magic)
      .u16(major)
      .u16(4)
      .u32(0)
      .u32(0)
      .u32(snaplen)
      .u32(static_cast<std::uint32_t>(link_type))
      .str();
}

std::string pcap_record(bool big, std::uint32_t sec, std::uint32_t frac, std::string_view data,
                        std::uint32_t wire, bool kuznetzov = false) {
  Encoder e(big);
  e.u32(sec).u32(frac).u32(static_cast<std::uint32_t>(data.size())).u32(wire);
  if (kuznetzov) e.u32(7).u16(0x0800).u8(0).u8(0);  // ifindex, protocol, packet type, pad
  return e.raw(data).str();
}

constexpr std::int64_t kSecond = 1'000'000'000;

// --- shared captures -------------------------------------------------------------------------

TEST(CaptureFileTest, ReadsEverySharedCaptureToTheEndWithCapinfosCounts) {
  if (!fs::is_directory(kSharedPcaps)) GTEST_SKIP() << kSharedPcaps << " is absent";
  const auto files = shared_captures();
  ASSERT_FALSE(files.empty());

  std::map<std::string, std::uint64_t> ours;
  for (const auto& file : files) {
    SCOPED_TRACE(file.string());
    std::uint64_t count = 0;
    try {
      auto reader = CaptureFileReader::open(file.string());
      EXPECT_GE(reader.link_type(), 0);
      std::uint64_t last_offset = reader.bytes_read();
      while (auto frame = reader.next()) {
        ++count;
        EXPECT_LE(frame->data.size(), frame->wire_length);
        EXPECT_GE(frame->link_type, 0);
        EXPECT_GT(reader.bytes_read(), last_offset);
        last_offset = reader.bytes_read();
      }
      ASSERT_TRUE(reader.size().has_value());
      EXPECT_EQ(reader.bytes_read(), *reader.size());
      EXPECT_FALSE(reader.next().has_value()) << "end of file must be sticky";
    } catch (const CaptureError& e) {
      ADD_FAILURE() << e.what();
    }
    ours[file.string()] = count;
  }

  if (!have_tool("/usr/bin/capinfos")) {
    EXPECT_EQ(ours[(kSharedPcaps / "pcapplusplus__pcapng-example.pcapng").string()], 159U);
    GTEST_SKIP() << "capinfos absent: counts not compared";
  }
  std::string command = "/usr/bin/capinfos -c -M -T -r";
  for (const auto& file : files) command += " " + shell_quote(file.string());
  const auto output = run(command + " 2>/dev/null");
  ASSERT_TRUE(output.has_value()) << command;
  std::size_t compared = 0;
  for (const auto& line : split(*output, '\n')) {
    const auto fields = split(line, '\t');
    if (fields.size() != 2 || !ours.contains(fields[0])) continue;
    EXPECT_EQ(ours[fields[0]], std::stoull(fields[1])) << fields[0];
    ++compared;
  }
  EXPECT_EQ(compared, files.size());
}

TEST(CaptureFileTest, TimestampsAndLengthsMatchTshark) {
  if (!fs::is_directory(kSharedPcaps)) GTEST_SKIP() << kSharedPcaps << " is absent";
  if (!have_tool("/usr/bin/tshark")) GTEST_SKIP() << "tshark absent";
  // Microsecond and nanosecond pcap, pcapng with per-interface resolutions, SLL2.
  for (const char* name :
       {"pcapplusplus__pcapng-example.pcapng", "tcpdump__tcp-handshake-nano.pcap",
        "zeek__http__get-to-ssh-server.pcap", "chrissanders__http_ip4and6.pcapng",
        "pcapplusplus__sll2.pcap", "zeek__tcp__rst-inject-rae.pcap"}) {
    const fs::path file = kSharedPcaps / name;
    if (!fs::exists(file)) continue;
    SCOPED_TRACE(name);
    const auto frames = read_all(file.string());
    const auto output = run(fmt::format(
        "/usr/bin/tshark -r {} -T fields -e frame.time_epoch -e frame.len -e frame.cap_len "
        "2>/dev/null",
        shell_quote(file.string())));
    ASSERT_TRUE(output.has_value());
    const auto lines = split(*output, '\n');
    ASSERT_EQ(lines.size(), frames.size());
    for (std::size_t i = 0; i < frames.size(); ++i) {
      const auto fields = split(lines[i], '\t');
      ASSERT_EQ(fields.size(), 3U) << lines[i];
      EXPECT_EQ(static_cast<std::uint64_t>(frames[i].ts.count()), parse_epoch(fields[0]))
          << "frame " << i + 1 << ": tshark says " << fields[0];
      EXPECT_EQ(frames[i].wire_length, std::stoul(fields[1])) << "frame " << i + 1;
      EXPECT_EQ(frames[i].data.size(), std::stoul(fields[2])) << "frame " << i + 1;
    }
  }
}

TEST(CaptureFileTest, PcapngInterfacesCarryTheirOwnLinkTypes) {
  const fs::path file = kSharedPcaps / "pcapplusplus__pcapng-example.pcapng";
  if (!fs::exists(file)) GTEST_SKIP() << file << " is absent";
  auto reader = CaptureFileReader::open(file.string());
  EXPECT_EQ(reader.link_type(), 1);
  EXPECT_EQ(reader.snaplen(), 262144U);
  std::vector<int> link_types;
  std::vector<ReadFrame> frames;
  while (auto frame = reader.next()) {
    link_types.push_back(frame->link_type);
    frames.push_back({frame->ts, frame->link_type, {}, frame->wire_length});
    frames.back().data.assign(reinterpret_cast<const char*>(frame->data.data()),
                              frame->data.size());
  }
  ASSERT_EQ(link_types.size(), 159U);
  // Interface 0 (Ethernet, nanoseconds) holds the first 59 packets, interface 1 (Linux cooked,
  // microseconds, snaplen 128) the other 100.
  EXPECT_EQ(std::count(link_types.begin(), link_types.begin() + 59, 1), 59);
  EXPECT_EQ(std::count(link_types.begin() + 59, link_types.end(), 113), 100);
  EXPECT_EQ(frames[0].ts, Timestamp{1422527998578402281});
  EXPECT_EQ(frames[0].data.size(), 74U);
  EXPECT_EQ(frames[60].data.size(), 128U);
  EXPECT_EQ(frames[60].wire_length, 1444U);
  // Interface 1's timestamps are garbage near 2^64 microseconds; they wrap instead of being UB.
  // tshark prints 18446744073204.126329 s; modulo 2^64 ns that is -505.425287 s.
  EXPECT_EQ(frames[59].ts, Timestamp{-505425287000});
}

TEST(CaptureFileTest, NanosecondPcapKeepsNanoseconds) {
  const fs::path file = kSharedPcaps / "tcpdump__tcp-handshake-nano.pcap";
  if (!fs::exists(file)) GTEST_SKIP() << file << " is absent";
  const auto frames = read_all(file.string());
  ASSERT_EQ(frames.size(), 3U);
  // As printed by `tcpdump -tt --nano -r`.
  EXPECT_EQ(frames[0].ts, Timestamp{1418145369924505488});
  EXPECT_EQ(frames[1].ts, Timestamp{1418145370052027262});
  EXPECT_EQ(frames[0].link_type, 113);
}

// --- hand-crafted format variants ------------------------------------------------------------

TEST(CaptureFileTest, ClassicPcapVariantsInBothByteOrders) {
  TempDir dir;
  struct Variant {
    const char* name;
    std::uint32_t magic;
    bool big;
    std::int64_t fraction_scale;  // nanoseconds per fraction unit
    bool kuznetzov;
  };
  for (const Variant v :
       {Variant{"le-us", 0xa1b2c3d4, false, 1000, false},
        Variant{"be-us", 0xa1b2c3d4, true, 1000, false},
        Variant{"le-ns", 0xa1b23c4d, false, 1, false}, Variant{"be-ns", 0xa1b23c4d, true, 1, false},
        Variant{"le-kuznetzov", 0xa1b2cd34, false, 1000, true},
        Variant{"be-kuznetzov", 0xa1b2cd34, true, 1000, true}}) {
    SCOPED_TRACE(v.name);
    std::string bytes = pcap_header(v.big, v.magic, 228, 4096);
    bytes += pcap_record(v.big, 1700000000, 123456, "first", 60, v.kuznetzov);
    bytes += pcap_record(v.big, 1700000001, 999, "", 0, v.kuznetzov);
    bytes += pcap_record(v.big, 4000000000U, 1, std::string(3000, 'x'), 3000, v.kuznetzov);
    const auto path = dir.write(std::string(v.name) + ".pcap", bytes);

    auto reader = CaptureFileReader::open(path);
    EXPECT_EQ(reader.link_type(), 228);
    EXPECT_EQ(reader.snaplen(), 4096U);
    EXPECT_EQ(reader.path(), path);
    const auto frames = read_all(path);
    ASSERT_EQ(frames.size(), 3U);
    EXPECT_EQ(frames[0].ts, Timestamp{1700000000 * kSecond + 123456 * v.fraction_scale});
    EXPECT_EQ(frames[0].data, "first");
    EXPECT_EQ(frames[0].wire_length, 60U);
    EXPECT_EQ(frames[0].link_type, 228);
    EXPECT_EQ(frames[1].data, "");
    EXPECT_EQ(frames[1].wire_length, 0U);
    // Seconds are unsigned: 2096 is after 2038, not before 1970.
    EXPECT_EQ(frames[2].ts, Timestamp{4000000000LL * kSecond + v.fraction_scale});
    EXPECT_EQ(frames[2].data, std::string(3000, 'x'));
  }
}

TEST(CaptureFileTest, PcapLinkTypeIgnoresFcsBits) {
  TempDir dir;
  // Bits 28..31 give an FCS length and bit 26 says it is present; the link type is below.
  const auto path = dir.write(
      "fcs.pcap", pcap_header(false, 0xa1b2c3d4, 0x14000001) + pcap_record(false, 1, 0, "abc", 3));
  EXPECT_EQ(CaptureFileReader::open(path).link_type(), 1);
}

std::string mixed_pcapng(bool big, bool second_big) {
  std::string bytes = section_header(big);
  bytes += block(big, 0x0BAD, "unknown block type, skipped");
  bytes += interface_block(big, 1, 64);                      // microseconds
  bytes += interface_block(big, 113, 0, 9);                  // nanoseconds
  bytes += interface_block(big, 101, 0, 0x80 | 10, 100);     // 2^-10 s, +100 s
  bytes += block(big, 4, Encoder(big).u16(0).u16(0).str());  // name resolution
  bytes += enhanced_packet(big, 0, 1700000000123456ULL, "eth", 60);
  bytes += enhanced_packet(big, 1, 1700000000123456789ULL, "sll", 3);
  bytes += enhanced_packet(big, 2, (1700000000ULL << 10) | 512, "raw", 3);
  bytes += simple_packet(big, std::string(100, 's'), 100);  // cut to interface 0's 64
  bytes += obsolete_packet(big, 1, 42, "old", 10);
  bytes += block(big, 5, Encoder(big).u32(0).u32(0).u32(0).str());  // interface statistics
  // A new section forgets the interfaces of the previous one.
  bytes += section_header(second_big);
  bytes += interface_block(second_big, 228, 0, 3);  // milliseconds
  bytes += enhanced_packet(second_big, 0, 1700000000500ULL, "v4", 2);
  return bytes;
}

TEST(CaptureFileTest, PcapngSectionsInterfacesAndBlockKinds) {
  TempDir dir;
  for (const auto& [big, second_big] : {std::pair{false, false}, std::pair{true, true},
                                        std::pair{false, true}, std::pair{true, false}}) {
    SCOPED_TRACE(fmt::format("big {} then {}", big, second_big));
    const auto path = dir.write("mixed.pcapng", mixed_pcapng(big, second_big));
    auto reader = CaptureFileReader::open(path);
    EXPECT_EQ(reader.link_type(), 1);
    EXPECT_EQ(reader.snaplen(), 64U);
    const auto frames = read_all(path);
    ASSERT_EQ(frames.size(), 6U);

    EXPECT_EQ(frames[0].link_type, 1);
    EXPECT_EQ(frames[0].ts, Timestamp{1700000000123456000});
    EXPECT_EQ(frames[0].data, "eth");
    EXPECT_EQ(frames[0].wire_length, 60U);

    EXPECT_EQ(frames[1].link_type, 113);
    EXPECT_EQ(frames[1].ts, Timestamp{1700000000123456789});
    EXPECT_EQ(frames[1].data, "sll");

    EXPECT_EQ(frames[2].link_type, 101);
    EXPECT_EQ(frames[2].ts, Timestamp{1700000100 * kSecond + kSecond / 2});
    EXPECT_EQ(frames[2].data, "raw");

    EXPECT_EQ(frames[3].link_type, 1);  // simple packet blocks belong to interface 0
    EXPECT_EQ(frames[3].ts, Timestamp{0});
    EXPECT_EQ(frames[3].data, std::string(64, 's'));
    EXPECT_EQ(frames[3].wire_length, 100U);

    EXPECT_EQ(frames[4].link_type, 113);
    EXPECT_EQ(frames[4].ts, Timestamp{42});
    EXPECT_EQ(frames[4].data, "old");
    EXPECT_EQ(frames[4].wire_length, 10U);

    EXPECT_EQ(frames[5].link_type, 228);
    EXPECT_EQ(frames[5].ts, Timestamp{1700000000500 * 1'000'000});
    EXPECT_EQ(frames[5].data, "v4");
  }
}

TEST(CaptureFileTest, PcapngWithoutInterfacesIsEmpty) {
  TempDir dir;
  const auto path = dir.write("bare.pcapng", section_header(false));
  auto reader = CaptureFileReader::open(path);
  EXPECT_EQ(reader.link_type(), -1);
  EXPECT_FALSE(reader.next().has_value());
}

TEST(CaptureFileTest, LargeRecordsAcrossBufferBoundaries) {
  TempDir dir;
  const auto path = dir.file("big.pcap");
  std::mt19937 rng(7);
  std::vector<std::string> payloads;
  for (int i = 0; i < 3000; ++i) {
    payloads.emplace_back(std::uniform_int_distribution<std::size_t>(0, 2000)(rng),
                          static_cast<char>('a' + i % 26));
    if (i == 1500) payloads.emplace_back(std::size_t{5} << 20, 'Z');  // far beyond the buffer
  }
  {
    PcapWriter writer(path, 1, 0);
    std::int64_t n = 0;
    for (const auto& p : payloads) {
      writer.write(RawFrame{Timestamp{++n * 1000}, 1, std::as_bytes(std::span{p.data(), p.size()}),
                            static_cast<std::uint32_t>(p.size())});
    }
    writer.close();
  }
  const auto frames = read_all(path);
  ASSERT_EQ(frames.size(), payloads.size());
  for (std::size_t i = 0; i < frames.size(); ++i) {
    ASSERT_EQ(frames[i].data, payloads[i]) << "frame " << i;
    ASSERT_EQ(frames[i].ts, Timestamp{static_cast<std::int64_t>(i + 1) * 1000});
  }
}

TEST(CaptureFileTest, MovedReaderContinuesWhereItWas) {
  TempDir dir;
  std::string bytes = pcap_header(false, 0xa1b2c3d4, 1);
  for (int i = 0; i < 5; ++i) bytes += pcap_record(false, 1, i, std::string(1, 'a' + i), 1);
  const auto path = dir.write("move.pcap", bytes);
  auto first = CaptureFileReader::open(path);
  ASSERT_TRUE(first.next().has_value());
  ASSERT_TRUE(first.next().has_value());
  CaptureFileReader second = std::move(first);
  auto frame = second.next();
  ASSERT_TRUE(frame.has_value());
  EXPECT_EQ(static_cast<char>(frame->data[0]), 'c');
  CaptureFileReader third = CaptureFileReader::open(path);
  third = std::move(second);
  EXPECT_TRUE(third.next().has_value());
  EXPECT_TRUE(third.next().has_value());
  EXPECT_FALSE(third.next().has_value());
  EXPECT_EQ(third.bytes_read(), bytes.size());
}

/// Runs `body` with standard input fed from a pipe by a thread writing `bytes` in small pieces.
template <typename Body>
void with_stdin_pipe(const std::string& bytes, Body body) {
  // -1 when standard input is closed, as it may be under CI; then the pipe may land on fd 0.
  const int saved = ::dup(STDIN_FILENO);
  std::array<int, 2> fds{};
  ASSERT_EQ(::pipe(fds.data()), 0);
  if (fds[0] != STDIN_FILENO) {
    ASSERT_GE(::dup2(fds[0], STDIN_FILENO), 0);
    ::close(fds[0]);
  }
  std::thread writer([&bytes, fd = fds[1]] {
    for (std::size_t done = 0; done < bytes.size();) {
      const auto n =
          ::write(fd, bytes.data() + done, std::min<std::size_t>(999, bytes.size() - done));
      if (n <= 0) break;
      done += static_cast<std::size_t>(n);
    }
    ::close(fd);
  });
  body();
  std::array<char, 4096> sink{};
  while (::read(STDIN_FILENO, sink.data(), sink.size()) > 0) {
  }
  writer.join();
  if (saved >= 0) {
    ::dup2(saved, STDIN_FILENO);
    ::close(saved);
  } else {
    ::close(STDIN_FILENO);
  }
}

TEST(CaptureFileTest, ReadsStandardInputThroughAPipe) {
  std::string bytes = section_header(false) + interface_block(false, 1, 0);
  for (int i = 0; i < 200; ++i) {
    bytes += enhanced_packet(false, 0, static_cast<std::uint64_t>(i), std::string(700, 'p'), 700);
  }
  with_stdin_pipe(bytes, [&] {
    auto reader = CaptureFileReader::open("-");
    EXPECT_EQ(reader.path(), "-");
    EXPECT_FALSE(reader.size().has_value());
    int count = 0;
    while (auto frame = reader.next()) {
      EXPECT_EQ(frame->data.size(), 700U);
      EXPECT_EQ(frame->ts, Timestamp{count * 1000});
      ++count;
    }
    EXPECT_EQ(count, 200);
    EXPECT_EQ(reader.bytes_read(), bytes.size());
  });
  with_stdin_pipe("hello world", [] {
    const auto message = error_of("-");
    EXPECT_NE(message.find("<stdin>: not a pcap or pcapng file"), std::string::npos) << message;
  });
}

// --- errors ----------------------------------------------------------------------------------

void expect_error(const std::string& path, std::initializer_list<std::string_view> parts) {
  const std::string message = error_of(path);
  ASSERT_FALSE(message.empty()) << path << " read without error";
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  EXPECT_EQ(message.rfind(path + ": ", 0), 0U) << "message must start with the path: " << message;
  for (const auto part : parts) {
    EXPECT_NE(message.find(part), std::string::npos) << "'" << part << "' not in: " << message;
  }
}

TEST(CaptureFileTest, OpenErrorsNameTheFileAndTheCause) {
  TempDir dir;
  expect_error(dir.file("missing.pcap"), {"cannot open", "No such file or directory"});
  expect_error(dir.file(""), {"is a directory"});
  expect_error(dir.write("empty.pcap", ""), {"empty file"});
  expect_error(dir.write("short.pcap", "\xd4\xc3"), {"too short", "d4 c3"});
  expect_error(dir.write("page.html", "<!DOCTYPE html><html></html>"),
               {"not a pcap or pcapng file", "3c 21 44 4f 43 54 59 50", "\"<!DOCTYP\""});
  expect_error(dir.write("trace.pcap.gz", std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00", 8)),
               {"not a pcap or pcapng file", "gzip", "decompress"});
  expect_error(dir.write("header.pcap", pcap_header(false, 0xa1b2c3d4, 1).substr(0, 10)),
               {"truncated pcap file header", "24 bytes needed, 10 present"});
  expect_error(dir.write("version.pcap", pcap_header(false, 0xa1b2c3d4, 1, 65535, 3)),
               {"unsupported pcap version 3.4"});
  if (::geteuid() != 0) {
    const auto path = dir.write("secret.pcap", pcap_header(false, 0xa1b2c3d4, 1));
    fs::permissions(path, fs::perms::none);
    expect_error(path, {"cannot open", "Permission denied"});
  }
}

TEST(CaptureFileTest, TruncatedAndCorruptPcapRecords) {
  TempDir dir;
  const std::string header = pcap_header(false, 0xa1b2c3d4, 1);
  const std::string good = pcap_record(false, 1, 0, std::string(100, 'g'), 100);

  const auto record_header = dir.write("rh.pcap", header + good + good.substr(0, 7));
  expect_error(record_header, {"truncated record header at byte 140", "16 bytes needed, 7 remain"});

  const std::string big = pcap_record(false, 1, 0, std::string(1514, 'b'), 1514);
  const auto record = dir.write("r.pcap", header + big.substr(0, 16 + 200));
  const std::string message = error_of(record);
  EXPECT_EQ(message, record +
                         ": truncated packet record at byte 24 (header says 1514 bytes, 200 "
                         "remain)");

  std::string absurd = header + good + Encoder(false).u32(1).u32(0).u32(0x7FFFFFFF).u32(60).str();
  expect_error(dir.write("absurd.pcap", absurd),
               {"at byte 140", "captured length 2147483647", "absurd"});

  // Frames before the damage are still delivered.
  auto reader = CaptureFileReader::open(record_header);
  EXPECT_TRUE(reader.next().has_value());
  EXPECT_THROW(reader.next(), CaptureError);
}

TEST(CaptureFileTest, CorruptPcapngBlocks) {
  TempDir dir;
  const std::string shb = section_header(false);  // 28 bytes
  const std::string idb = interface_block(false, 1, 0);
  const std::string epb = enhanced_packet(false, 0, 1, "data", 4);

  expect_error(dir.write("len13.pcapng", shb + Encoder(false).u32(1).u32(13).u32(0).u32(13).str()),
               {"bad block length 13 at byte 28", "multiple of 4"});
  expect_error(dir.write("len8.pcapng", shb + Encoder(false).u32(1).u32(8).u32(0).str()),
               {"bad block length 8 at byte 28"});
  expect_error(dir.write("huge.pcapng", shb + Encoder(false).u32(6).u32(0xFFFFFFF0).str()),
               {"at byte 28", "absurd"});
  std::string mismatch = shb + idb;
  mismatch[mismatch.size() - 4] = '\x7c';
  expect_error(dir.write("trailing.pcapng", mismatch),
               {"block at byte 28: trailing length 124 does not match"});
  expect_error(dir.write("cut.pcapng", shb + idb + epb.substr(0, epb.size() - 5)),
               {"truncated block at byte", "remain"});
  expect_error(dir.write("cuthdr.pcapng", shb + idb + epb.substr(0, 6)),
               {"truncated block header", "8 bytes needed, 6 remain"});
  expect_error(dir.write("iface.pcapng", shb + idb + enhanced_packet(false, 3, 1, "x", 1)),
               {"refers to interface 3", "declares 1 interface"});
  expect_error(dir.write("noiface.pcapng", shb + epb), {"refers to interface 0", "declares 0"});
  expect_error(dir.write("caplen.pcapng", shb + idb + enhanced_packet(false, 0, 1, "x", 1, 5000)),
               {"captured length 5000 exceeds"});
  std::string bom = shb;
  bom[8] = 'X';
  expect_error(dir.write("bom.pcapng", bom), {"bad byte-order magic"});
  expect_error(dir.write("v2.pcapng", section_header(false, 2) + idb),
               {"unsupported pcapng version 2.0"});
  expect_error(dir.write("idb.pcapng", shb + block(false, 1, "abcd")),
               {"interface description block at byte 28 is too short"});
  expect_error(
      dir.write(
          "opt.pcapng",
          shb + block(false, 1, Encoder(false).u16(1).u16(0).u32(0).u16(9).u16(200).u32(0).str())),
      {"option 9 runs past the block"});
}

TEST(CaptureFileTest, EveryTruncationOfARealFileFailsCleanly) {
  const fs::path file = kSharedPcaps / "tcpdump__tcp-handshake-nano.pcap";
  if (!fs::exists(file)) GTEST_SKIP() << file << " is absent";
  TempDir dir;
  const std::string bytes = slurp(file);
  std::vector<std::uint64_t> boundaries;
  {
    auto reader = CaptureFileReader::open(file.string());
    boundaries.push_back(reader.bytes_read());
    while (reader.next()) boundaries.push_back(reader.bytes_read());
  }
  for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
    const auto path = dir.write("cut.pcap", bytes.substr(0, cut));
    const std::string message = error_of(path);
    const auto boundary = std::find(boundaries.begin(), boundaries.end(), cut);
    if (boundary != boundaries.end()) {
      EXPECT_EQ(message, "") << "clean cut at " << cut;
      EXPECT_EQ(read_all(path).size(), static_cast<std::size_t>(boundary - boundaries.begin()));
    } else {
      EXPECT_FALSE(message.empty()) << "cut at " << cut;
      const bool explained = message.find("truncated") != std::string::npos ||
                             message.find("too short") != std::string::npos ||
                             message.find("empty") != std::string::npos;
      EXPECT_TRUE(explained) << message;
    }
  }
}

TEST(CaptureFileTest, TruncatedPcapngFailsCleanly) {
  const fs::path file = kSharedPcaps / "pcapplusplus__pcapng-example.pcapng";
  if (!fs::exists(file)) GTEST_SKIP() << file << " is absent";
  TempDir dir;
  const std::string bytes = slurp(file);
  for (std::size_t cut = 0; cut < bytes.size(); cut += 53) {
    const std::string message = error_of(dir.write("cut.pcapng", bytes.substr(0, cut)));
    if (message.empty()) continue;  // cut on a block boundary
    const bool explained = message.find("truncated") != std::string::npos ||
                           message.find("too short") != std::string::npos ||
                           message.find("empty") != std::string::npos;
    EXPECT_TRUE(explained) << "cut at " << cut << ": " << message;
  }
}

TEST(CaptureFileTest, RandomCorruptionNeverCrashes) {
  TempDir dir;
  std::vector<std::string> seeds;
  seeds.push_back(mixed_pcapng(false, true));
  std::string pcap = pcap_header(true, 0xa1b23c4d, 1);
  for (int i = 0; i < 20; ++i) pcap += pcap_record(true, 1, i, std::string(40 + i, 'q'), 99);
  seeds.push_back(pcap);
  for (const char* name :
       {"pcapplusplus__pcapng-example.pcapng", "tcpdump__tcp-handshake-nano.pcap"}) {
    if (fs::exists(kSharedPcaps / name)) seeds.push_back(slurp(kSharedPcaps / name));
  }
  std::mt19937 rng(12345);
  int errors = 0;
  for (const auto& seed : seeds) {
    for (int round = 0; round < 300; ++round) {
      std::string mutated = seed;
      const int flips = std::uniform_int_distribution<int>(1, 6)(rng);
      for (int i = 0; i < flips; ++i) {
        // Headers and lengths live near the start of blocks; bias mutations towards the front.
        const std::size_t limit =
            round % 2 == 0 ? std::min<std::size_t>(mutated.size(), 256) : mutated.size();
        const auto at = std::uniform_int_distribution<std::size_t>(0, limit - 1)(rng);
        mutated[at] = static_cast<char>(std::uniform_int_distribution<int>(0, 255)(rng));
      }
      if (round % 3 == 0) {
        mutated.resize(std::uniform_int_distribution<std::size_t>(0, mutated.size())(rng));
      }
      const auto path = dir.write("fuzz.bin", mutated);
      try {
        auto reader = CaptureFileReader::open(path);
        while (auto frame = reader.next()) {
          ASSERT_LE(frame->data.size(), frame->wire_length);
        }
      } catch (const CaptureError&) {
        ++errors;
      }
    }
  }
  EXPECT_GT(errors, 0);
}

}  // namespace
}  // namespace flowkit
