#include "flowkit/versiondetect/line_reader.h"

#include <algorithm>

#include "text.h"

namespace flowkit::versiondetect {

LineReader::Line LineReader::finish(std::string_view line, bool truncated) {
  if (!truncated && !line.empty() && line.back() == '\r') line.remove_suffix(1);
  return Line{line, truncated};
}

std::optional<LineReader::Line> LineReader::next(std::span<const std::byte>& in) {
  returned_.clear();
  while (!in.empty()) {
    const auto chars = text::as_chars(in);
    const auto lf = chars.find('\n');
    if (skipping_) {
      if (lf == std::string_view::npos) {
        in = {};
        return std::nullopt;
      }
      in = in.subspan(lf + 1);
      skipping_ = false;
      continue;
    }
    const std::size_t line_end = lf == std::string_view::npos ? chars.size() : lf;
    // The common case: a whole line inside the new bytes, handed out without a copy.
    if (partial_.empty() && lf != std::string_view::npos && lf <= max_line_) {
      in = in.subspan(lf + 1);
      return finish(chars.substr(0, lf), false);
    }
    const std::size_t room = max_line_ - partial_.size();
    if (line_end > room) {
      // Too long: hand out the first max_line bytes and skip to the end of the line.
      partial_.append(chars.substr(0, room));
      returned_.swap(partial_);
      partial_.clear();
      skipping_ = true;
      in = in.subspan(room);
      return finish(returned_, true);
    }
    partial_.append(chars.substr(0, line_end));
    if (lf == std::string_view::npos) {
      in = {};
      return std::nullopt;
    }
    in = in.subspan(lf + 1);
    returned_.swap(partial_);
    partial_.clear();
    return finish(returned_, false);
  }
  return std::nullopt;
}

std::optional<LineReader::Line> LineReader::flush() {
  returned_.clear();
  if (partial_.empty()) return std::nullopt;
  returned_.swap(partial_);
  partial_.clear();
  return finish(returned_, false);
}

void LineReader::reset() noexcept {
  partial_.clear();
  skipping_ = false;
}

}  // namespace flowkit::versiondetect
