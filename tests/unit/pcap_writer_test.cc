#include "flowkit/pcap_writer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include <fmt/format.h>

#include "flowkit/capture_file.h"
#include "temp_dir.h"

namespace flowkit {
namespace {

using testing::TempDir;

namespace fs = std::filesystem;

static_assert(!std::is_copy_constructible_v<PcapWriter>);
static_assert(std::is_nothrow_move_constructible_v<PcapWriter>);
static_assert(std::is_nothrow_move_assignable_v<PcapWriter>);
static_assert(!std::is_copy_constructible_v<CaptureFileReader>);
static_assert(std::is_nothrow_move_constructible_v<CaptureFileReader>);

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

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

/// A frame that owns its bytes, so tests can keep many.
struct Owned {
  Timestamp ts{};
  int link_type = 1;
  std::string data;
  std::uint32_t wire_length = 0;

  [[nodiscard]] RawFrame view() const {
    return RawFrame{ts, link_type, std::as_bytes(std::span{data.data(), data.size()}), wire_length};
  }
};

std::vector<Owned> read_back(const std::string& path) {
  auto reader = CaptureFileReader::open(path);
  std::vector<Owned> out;
  while (auto f = reader.next()) {
    out.push_back(Owned{f->ts, f->link_type,
                        std::string(reinterpret_cast<const char*>(f->data.data()), f->data.size()),
                        f->wire_length});
  }
  return out;
}

std::vector<Owned> sample_frames(std::size_t count, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<Owned> frames;
  std::int64_t ns = 1'700'000'000'123'456'789;
  for (std::size_t i = 0; i < count; ++i) {
    Owned f;
    ns += std::uniform_int_distribution<std::int64_t>(0, 3'000'000'000)(rng);
    f.ts = Timestamp{ns};
    f.data.resize(std::uniform_int_distribution<std::size_t>(0, 3000)(rng));
    for (char& c : f.data) c = static_cast<char>(rng());
    f.wire_length = static_cast<std::uint32_t>(f.data.size()) +
                    (i % 3 == 0 ? std::uniform_int_distribution<std::uint32_t>(0, 500)(rng) : 0);
    frames.push_back(std::move(f));
  }
  return frames;
}

void write_all(const std::string& path, const std::vector<Owned>& frames, bool nanosecond) {
  PcapWriter writer(path, 1, PcapWriter::kDefaultSnaplen, nanosecond);
  for (const auto& f : frames) writer.write(f.view());
  EXPECT_EQ(writer.frames_written(), frames.size());
  writer.close();
}

TEST(PcapWriterTest, MicrosecondRoundTripIsByteExact) {
  TempDir dir;
  const auto path = dir.file("us.pcap");
  // Enough data to cross the writer's and the reader's buffers several times.
  const auto frames = sample_frames(5000, 1);
  write_all(path, frames, false);
  const auto back = read_back(path);
  ASSERT_EQ(back.size(), frames.size());
  for (std::size_t i = 0; i < frames.size(); ++i) {
    ASSERT_EQ(back[i].data, frames[i].data) << "frame " << i;
    EXPECT_EQ(back[i].wire_length, frames[i].wire_length) << "frame " << i;
    EXPECT_EQ(back[i].link_type, 1);
    // Microseconds keep the time down to the microsecond, truncated.
    EXPECT_EQ(back[i].ts.count(), frames[i].ts.count() / 1000 * 1000) << "frame " << i;
  }
}

TEST(PcapWriterTest, NanosecondRoundTripKeepsNanoseconds) {
  TempDir dir;
  const auto path = dir.file("ns.pcap");
  const auto frames = sample_frames(500, 2);
  write_all(path, frames, true);
  const auto back = read_back(path);
  ASSERT_EQ(back.size(), frames.size());
  for (std::size_t i = 0; i < frames.size(); ++i) {
    EXPECT_EQ(back[i].data, frames[i].data);
    EXPECT_EQ(back[i].ts, frames[i].ts);
    EXPECT_EQ(back[i].wire_length, frames[i].wire_length);
  }
}

TEST(PcapWriterTest, FileHeaderIsStandardLittleEndianPcap) {
  TempDir dir;
  const auto us = dir.file("us.pcap");
  const auto ns = dir.file("ns.pcap");
  PcapWriter(us, 113, 1234).close();
  PcapWriter(ns, 276, 65535, true).close();
  const std::string expected_us(
      "\xd4\xc3\xb2\xa1\x02\x00\x04\x00\0\0\0\0\0\0\0\0\xd2\x04\0\0\x71\0\0\0", 24);
  const std::string expected_ns(
      "\x4d\x3c\xb2\xa1\x02\x00\x04\x00\0\0\0\0\0\0\0\0\xff\xff\0\0\x14\x01\0\0", 24);
  EXPECT_EQ(slurp(us), expected_us);
  EXPECT_EQ(slurp(ns), expected_ns);
  auto reader = CaptureFileReader::open(ns);
  EXPECT_EQ(reader.link_type(), 276);
  EXPECT_EQ(reader.snaplen(), 65535U);
  EXPECT_FALSE(reader.next().has_value());
}

TEST(PcapWriterTest, RecordLayout) {
  TempDir dir;
  const auto path = dir.file("one.pcap");
  const std::string data = "abc";
  {
    PcapWriter writer(path, 1);
    writer.write(RawFrame{Timestamp{1'000'000'002'500'999'999}, 1,
                          std::as_bytes(std::span{data.data(), data.size()}), 0});
  }  // the destructor flushes
  const std::string bytes = slurp(path);
  // seconds 1000000002, microseconds 500999, caplen 3, wire length 3 (0 meant "as captured").
  const std::string expected("\x02\xca\x9a\x3b\x07\xa5\x07\x00\x03\0\0\0\x03\0\0\0abc", 19);
  ASSERT_EQ(bytes.size(), 24U + expected.size());
  EXPECT_EQ(bytes.substr(24), expected);
}

TEST(PcapWriterTest, SnaplenCutsDataButKeepsWireLength) {
  TempDir dir;
  const auto path = dir.file("snap.pcap");
  const Owned big{Timestamp{5'000}, 1, std::string(300, 'x'), 0};
  {
    PcapWriter writer(path, 1, 100);
    writer.write(big.view());
    writer.close();
  }
  const auto back = read_back(path);
  ASSERT_EQ(back.size(), 1U);
  EXPECT_EQ(back[0].data, std::string(100, 'x'));
  EXPECT_EQ(back[0].wire_length, 300U);
}

TEST(PcapWriterTest, TimesBefore1970KeepAPositiveFraction) {
  TempDir dir;
  const auto path = dir.file("old.pcap");
  const Owned f{Timestamp{-1'500'000'000}, 1, "x", 1};  // 1969-12-31T23:59:58.5
  {
    PcapWriter writer(path, 1);
    writer.write(f.view());
    writer.close();
  }
  const std::string bytes = slurp(path);
  ASSERT_GE(bytes.size(), 32U);
  EXPECT_EQ(bytes.substr(24, 8), std::string("\xfe\xff\xff\xff\x20\xa1\x07\x00", 8));
}

TEST(PcapWriterTest, MixedLinkTypesAreRefused) {
  TempDir dir;
  PcapWriter writer(dir.file("mixed.pcap"), 1);
  const Owned sll{Timestamp{}, 113, "x", 1};
  try {
    writer.write(sll.view());
    FAIL() << "expected CaptureError";
  } catch (const CaptureError& e) {
    EXPECT_NE(std::string(e.what()).find("link type 113"), std::string::npos) << e.what();
  }
}

TEST(PcapWriterTest, ErrorsNameTheFile) {
  TempDir dir;
  const auto bad = dir.file("no/such/dir/x.pcap");
  try {
    PcapWriter writer(bad, 1);
    FAIL() << "expected CaptureError";
  } catch (const CaptureError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.rfind(bad + ": cannot create: ", 0), 0U) << message;
    EXPECT_NE(message.find("No such file or directory"), std::string::npos) << message;
  }

  if (fs::exists("/dev/full")) {
    PcapWriter full("/dev/full", 1);
    const Owned f{Timestamp{}, 1, std::string(1000, 'f'), 1000};
    try {
      for (int i = 0; i < 3000; ++i) full.write(f.view());
      full.close();
      FAIL() << "expected CaptureError";
    } catch (const CaptureError& e) {
      EXPECT_NE(std::string(e.what()).find("/dev/full: write failed: No space left on device"),
                std::string::npos)
          << e.what();
    }
  }

  PcapWriter closed(dir.file("closed.pcap"), 1);
  closed.close();
  closed.close();  // harmless
  const Owned f{Timestamp{}, 1, "x", 1};
  EXPECT_THROW(closed.write(f.view()), CaptureError);
}

TEST(PcapWriterTest, MovedWriterKeepsWriting) {
  TempDir dir;
  const auto path = dir.file("moved.pcap");
  const auto frames = sample_frames(10, 3);
  PcapWriter first(path, 1);
  for (std::size_t i = 0; i < 5; ++i) first.write(frames[i].view());
  PcapWriter second = std::move(first);
  for (std::size_t i = 5; i < 8; ++i) second.write(frames[i].view());
  PcapWriter third(dir.file("other.pcap"), 1);
  third = std::move(second);
  for (std::size_t i = 8; i < 10; ++i) third.write(frames[i].view());
  EXPECT_EQ(third.frames_written(), 10U);
  third.close();
  const auto back = read_back(path);
  ASSERT_EQ(back.size(), 10U);
  for (std::size_t i = 0; i < 10; ++i) EXPECT_EQ(back[i].data, frames[i].data);
}

TEST(PcapWriterTest, WritesStandardOutput) {
  TempDir dir;
  const auto path = dir.file("stdout.pcap");
  const auto frames = sample_frames(20, 4);
  std::fflush(stdout);
  const int saved = ::dup(STDOUT_FILENO);
  ASSERT_GE(saved, 0);
  {
    std::FILE* target = std::fopen(path.c_str(), "wb");
    ASSERT_NE(target, nullptr);
    ::dup2(::fileno(target), STDOUT_FILENO);
    std::fclose(target);
    PcapWriter writer("-", 1);
    for (const auto& f : frames) writer.write(f.view());
    writer.close();
  }
  ::dup2(saved, STDOUT_FILENO);
  ::close(saved);
  EXPECT_EQ(read_back(path).size(), frames.size());
}

TEST(PcapWriterTest, WritePcapConvenience) {
  TempDir dir;
  const auto path = dir.file("conv.pcap");
  const auto frames = sample_frames(50, 5);
  std::vector<RawFrame> views;
  for (const auto& f : frames) views.push_back(f.view());
  write_pcap(path, 1, views, true);
  const auto back = read_back(path);
  ASSERT_EQ(back.size(), frames.size());
  EXPECT_EQ(back.back().ts, frames.back().ts);
}

TEST(PcapWriterTest, TsharkReadsOurFiles) {
  if (::access("/usr/bin/tshark", X_OK) != 0) GTEST_SKIP() << "tshark absent";
  TempDir dir;
  const auto frames = sample_frames(300, 6);
  for (const bool nanosecond : {false, true}) {
    SCOPED_TRACE(nanosecond ? "nanosecond" : "microsecond");
    const auto path = dir.file(nanosecond ? "ns.pcap" : "us.pcap");
    write_all(path, frames, nanosecond);
    const auto output = run(fmt::format(
        "/usr/bin/tshark -r '{}' -T fields -e frame.time_epoch -e frame.len -e frame.cap_len "
        "2>&1 >/dev/null | grep -v 'Running as user' ; /usr/bin/tshark -r '{}' -T fields "
        "-e frame.time_epoch -e frame.len -e frame.cap_len 2>/dev/null",
        path, path));
    ASSERT_TRUE(output.has_value());
    std::istringstream lines(*output);
    std::string line;
    std::size_t i = 0;
    while (std::getline(lines, line)) {
      ASSERT_LT(i, frames.size()) << "unexpected tshark output: " << line;
      const std::int64_t ns = frames[i].ts.count();
      const std::int64_t shown = nanosecond ? ns : ns / 1000 * 1000;
      EXPECT_EQ(line, fmt::format("{}.{:09}\t{}\t{}", shown / 1'000'000'000, shown % 1'000'000'000,
                                  frames[i].wire_length, frames[i].data.size()));
      ++i;
    }
    EXPECT_EQ(i, frames.size());
  }
}

}  // namespace
}  // namespace flowkit
