// The bounded line splitter every protocol parser reads through.
#include <gtest/gtest.h>

#include <span>
#include <string>
#include <vector>

#include "flowkit/versiondetect/line_reader.h"

namespace flowkit::versiondetect {
namespace {

std::span<const std::byte> bytes(std::string_view s) {
  return std::as_bytes(std::span<const char>(s.data(), s.size()));
}

// Every line of `pieces` fed one after the other; truncated lines are marked with a '~'.
std::vector<std::string> lines_of(const std::vector<std::string>& pieces, LineReader& reader) {
  std::vector<std::string> out;
  for (const auto& piece : pieces) {
    auto in = bytes(piece);
    while (auto line = reader.next(in)) {
      out.push_back(std::string(line->text) + (line->truncated ? "~" : ""));
    }
    EXPECT_TRUE(in.empty());
  }
  return out;
}

TEST(LineReader, SplitsOnLfAndDropsCr) {
  LineReader reader;
  EXPECT_EQ(lines_of({"one\r\ntwo\nthree\r\n\r\n"}, reader),
            (std::vector<std::string>{"one", "two", "three", ""}));
  EXPECT_EQ(reader.buffered(), 0u);
}

TEST(LineReader, JoinsLinesSplitAcrossChunks) {
  LineReader reader;
  EXPECT_EQ(lines_of({"SS", "H-2.0-Open", "SSH_9.2\r", "\nnext"}, reader),
            (std::vector<std::string>{"SSH-2.0-OpenSSH_9.2"}));
  EXPECT_EQ(reader.buffered(), 4u);
  const auto rest = reader.flush();
  ASSERT_TRUE(rest);
  EXPECT_EQ(rest->text, "next");
  EXPECT_FALSE(reader.flush());
}

TEST(LineReader, CutsLongLinesAndSkipsTheirRest) {
  LineReader reader(8);
  EXPECT_EQ(lines_of({"0123456789abcdef\nok\n"}, reader),
            (std::vector<std::string>{"01234567~", "ok"}));
  // Across chunks too, never holding more than the limit.
  EXPECT_EQ(lines_of({"abcdef", "ghijkl", "mnop", "qr\nafter\n"}, reader),
            (std::vector<std::string>{"abcdefgh~", "after"}));
  EXPECT_EQ(reader.buffered(), 0u);
}

TEST(LineReader, LineOfExactlyTheLimitIsWhole) {
  LineReader reader(4);
  EXPECT_EQ(lines_of({"abcd\n", "ab", "cd\n"}, reader), (std::vector<std::string>{"abcd", "abcd"}));
}

TEST(LineReader, EndlessLineStaysBounded) {
  LineReader reader(64);
  const std::string chunk(1000, 'x');
  std::size_t truncated = 0;
  for (int i = 0; i < 100; ++i) {
    auto in = bytes(chunk);
    while (auto line = reader.next(in)) truncated += line->truncated ? 1 : 0;
    EXPECT_LE(reader.buffered(), 64u);
  }
  EXPECT_EQ(truncated, 1u);
}

TEST(LineReader, ResetForgetsThePartialLine) {
  LineReader reader;
  EXPECT_TRUE(lines_of({"partial"}, reader).empty());
  reader.reset();
  EXPECT_EQ(lines_of({"line\n"}, reader), (std::vector<std::string>{"line"}));
}

}  // namespace
}  // namespace flowkit::versiondetect
