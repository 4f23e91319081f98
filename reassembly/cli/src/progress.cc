#include "flowkit/cli/progress.h"

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>

namespace flowkit::cli {

namespace {

// 950, 12.3k, 4.5M, 1.2G: a rough size is all a progress line needs.
std::string compact(double value) {
  if (value < 1000) return fmt::format("{:.0f}", value);
  if (value < 1e6) return fmt::format("{:.1f}k", value / 1e3);
  if (value < 1e9) return fmt::format("{:.1f}M", value / 1e6);
  return fmt::format("{:.1f}G", value / 1e9);
}

// 0:07, 12:34, 1:02:03
std::string duration(double seconds) {
  const auto total = static_cast<std::uint64_t>(std::max(0.0, std::round(seconds)));
  const auto h = total / 3600;
  const auto m = total / 60 % 60;
  const auto s = total % 60;
  return h > 0 ? fmt::format("{}:{:02}:{:02}", h, m, s) : fmt::format("{}:{:02}", m, s);
}

std::size_t terminal_width(std::FILE* out) {
  winsize size{};
  if (::ioctl(::fileno(out), TIOCGWINSZ, &size) != 0 || size.ws_col == 0) return 0;
  return size.ws_col;
}

}  // namespace

std::string format_progress(const ProgressSnapshot& now, double packets_per_second,
                            double elapsed_seconds, bool final) {
  const auto& src = now.source;
  std::string line = fmt::format("file {}/{}", src.file_index, src.file_count);
  const bool sized = src.bytes_total > 0;
  if (sized) {
    const double done =
        std::min(1.0, static_cast<double>(src.bytes_done) / static_cast<double>(src.bytes_total));
    line += fmt::format("  {:5.1f}%", done * 100.0);
  }
  line += fmt::format("  {} packets  {} packets/s  {} open connections",
                      compact(static_cast<double>(now.packets)), compact(packets_per_second),
                      now.open_connections);
  if (final) {
    line += fmt::format("  {} elapsed", duration(elapsed_seconds));
  } else if (sized && src.bytes_done > 0) {
    const double left =
        static_cast<double>(src.bytes_total - std::min(src.bytes_total, src.bytes_done));
    line += fmt::format("  ETA {}",
                        duration(elapsed_seconds * left / static_cast<double>(src.bytes_done)));
  }
  return line;
}

Progress::Progress(std::FILE* out, bool terminal, Clock::time_point start)
    : out_(out), terminal_(terminal), start_(start), last_draw_(start) {}

Progress::~Progress() {
  if (draws_ > 0 && !finished_) std::fputc('\n', out_);
}

void Progress::update(const ProgressSnapshot& now, Clock::time_point time) {
  if (finished_ || time - last_draw_ < kInterval) return;
  draw(now, time, false);
}

void Progress::finish(const ProgressSnapshot& now, Clock::time_point time) {
  if (finished_) return;
  draw(now, time, true);
  std::fputc('\n', out_);
  std::fflush(out_);
  finished_ = true;
}

void Progress::draw(const ProgressSnapshot& now, Clock::time_point time, bool final) {
  const double elapsed = std::chrono::duration<double>(time - start_).count();
  // The rate since the last line (over the whole run for the final one): it follows changes.
  const double span = final ? elapsed : std::chrono::duration<double>(time - last_draw_).count();
  const auto packets = final ? now.packets : now.packets - std::min(now.packets, last_packets_);
  const double rate = span > 0 ? static_cast<double>(packets) / span : 0.0;
  std::string line = format_progress(now, rate, elapsed, final);
  if (terminal_) {
    // A line longer than the terminal would wrap, and \r would then redraw only its last row.
    const std::size_t width = terminal_width(out_);
    if (width > 1 && line.size() > width - 1) line.resize(width - 1);
  }
  const std::size_t width = line.size();
  if (width < last_width_) line.append(last_width_ - width, ' ');  // wipe the longer old line
  std::fputc('\r', out_);
  std::fputs(line.c_str(), out_);
  std::fflush(out_);
  last_width_ = width;
  last_draw_ = time;
  last_packets_ = now.packets;
  ++draws_;
}

}  // namespace flowkit::cli
