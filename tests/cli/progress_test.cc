// The progress line: its text, how often it is redrawn, and how it ends.
#include "flowkit/cli/progress.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <string>

namespace flowkit::cli {
namespace {

using namespace std::chrono_literals;

// A FILE* whose contents the test can read back.
class Captured {
 public:
  Captured() : file_(std::tmpfile()) {}
  [[nodiscard]] std::FILE* get() const noexcept { return file_.get(); }
  [[nodiscard]] std::string text() const {
    std::fflush(file_.get());
    std::rewind(file_.get());
    std::string out;
    char buffer[1024];
    while (std::size_t n = std::fread(buffer, 1, sizeof buffer, file_.get())) out.append(buffer, n);
    return out;
  }

 private:
  struct Closer {
    void operator()(std::FILE* f) const noexcept { std::fclose(f); }
  };
  std::unique_ptr<std::FILE, Closer> file_;
};

ProgressSnapshot snapshot(std::size_t file, std::size_t files, std::uint64_t done,
                          std::uint64_t total, std::uint64_t packets, std::uint64_t open) {
  ProgressSnapshot s;
  s.source.file_index = file;
  s.source.file_count = files;
  s.source.bytes_done = done;
  s.source.bytes_total = total;
  s.packets = packets;
  s.open_connections = open;
  return s;
}

TEST(ProgressLine, ShowsFilePercentRateConnectionsAndEta) {
  // A quarter read in 10 s: 30 s to go.
  EXPECT_EQ(format_progress(snapshot(2, 5, 250, 1000, 1'234'567, 321), 351'200, 10, false),
            "file 2/5   25.0%  1.2M packets  351.2k packets/s  321 open connections  ETA 0:30");
  EXPECT_EQ(format_progress(snapshot(1, 1, 1, 3, 999, 0), 12, 3600, false),
            "file 1/1   33.3%  999 packets  12 packets/s  0 open connections  ETA 2:00:00");
}

TEST(ProgressLine, FinalLineShowsElapsedTime) {
  EXPECT_EQ(format_progress(snapshot(3, 3, 900, 900, 2'500'000'000, 7), 1'000'000, 125, true),
            "file 3/3  100.0%  2.5G packets  1.0M packets/s  7 open connections  2:05 elapsed");
}

TEST(ProgressLine, StandardInputHasNoPercentageNorEta) {
  EXPECT_EQ(format_progress(snapshot(1, 1, 5000, 0, 40, 2), 20, 2, false),
            "file 1/1  40 packets  20 packets/s  2 open connections");
}

TEST(Progress, RedrawsInPlaceAtMostFourTimesASecond) {
  Captured out;
  const auto t0 = Progress::Clock::time_point{} + 1h;
  Progress progress(out.get(), false, t0);
  progress.update(snapshot(1, 1, 10, 100, 4096, 1), t0 + 100ms);  // too early
  EXPECT_EQ(progress.lines_drawn(), 0u);
  EXPECT_EQ(out.text(), "");
  progress.update(snapshot(1, 1, 50, 100, 8192, 1), t0 + 500ms);
  EXPECT_EQ(progress.lines_drawn(), 1u);
  progress.update(snapshot(1, 1, 60, 100, 12288, 1), t0 + 600ms);  // 100 ms after the last
  EXPECT_EQ(progress.lines_drawn(), 1u);
  progress.update(snapshot(1, 1, 75, 100, 16384, 1), t0 + 1000ms);
  EXPECT_EQ(progress.lines_drawn(), 2u);
  // Rates are over the time since the previous line: 8192 packets in 0.5 s.
  EXPECT_EQ(out.text(),
            "\rfile 1/1   50.0%  8.2k packets  16.4k packets/s  1 open connections  ETA 0:01"
            "\rfile 1/1   75.0%  16.4k packets  16.4k packets/s  1 open connections  ETA 0:00");
}

TEST(Progress, ShorterLineWipesTheLongerOneAndFinishEndsTheLine) {
  Captured out;
  const auto t0 = Progress::Clock::time_point{} + 1h;
  Progress progress(out.get(), false, t0);
  progress.update(snapshot(1, 1, 0, 0, 100000, 12345), t0 + 1s);
  progress.finish(snapshot(1, 1, 0, 0, 100001, 0), t0 + 2s);
  progress.finish(snapshot(1, 1, 0, 0, 100001, 0), t0 + 3s);  // once only
  progress.update(snapshot(1, 1, 0, 0, 100001, 0), t0 + 4s);  // nothing after the end
  const std::string first = "file 1/1  100.0k packets  100.0k packets/s  12345 open connections";
  const std::string last =
      "file 1/1  100.0k packets  50.0k packets/s  0 open connections  0:02 elapsed";
  std::string expected = "\r" + first + "\r" + last;
  if (last.size() < first.size()) expected.append(first.size() - last.size(), ' ');
  EXPECT_EQ(out.text(), expected + "\n");
  EXPECT_EQ(progress.lines_drawn(), 2u);
}

TEST(Progress, AnUnfinishedLineIsEndedWhenTheRunFails) {
  Captured out;
  const auto t0 = Progress::Clock::time_point{} + 1h;
  {
    Progress progress(out.get(), false, t0);
    progress.update(snapshot(1, 1, 0, 0, 10, 0), t0 + 1s);
  }
  EXPECT_EQ(out.text(), "\rfile 1/1  10 packets  10 packets/s  0 open connections\n");
  { Progress never_drawn(out.get(), false, t0); }
  EXPECT_EQ(out.text(), "\rfile 1/1  10 packets  10 packets/s  0 open connections\n");
}

}  // namespace
}  // namespace flowkit::cli
