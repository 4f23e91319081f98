#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace flowkit::versiondetect {

/// Splits a byte stream into text lines (ending in LF, with an optional CR before it), holding
/// at most `max_line` bytes of an unfinished line. A longer line is returned cut at `max_line`
/// with `truncated` set, and the rest of it is skipped, so memory stays bounded whatever a peer
/// sends. Bytes are pulled from the caller's span, which lets a protocol switch to counting
/// body bytes right after a line.
class LineReader {
 public:
  struct Line {
    std::string_view text;   ///< without CR LF; valid until the next call
    bool truncated = false;  ///< the line was longer than max_line
  };

  static constexpr std::size_t kDefaultMaxLine = 4096;

  explicit LineReader(std::size_t max_line = kDefaultMaxLine) : max_line_(max_line) {}

  /// The next line, taking bytes from the front of `in`; nullopt when `in` ran out first (the
  /// partial line is kept for the next call).
  std::optional<Line> next(std::span<const std::byte>& in);

  /// At the end of the stream: the unfinished line, if there is one.
  std::optional<Line> flush();

  /// Forgets the unfinished line, e.g. after bytes were lost.
  void reset() noexcept;

  /// Bytes of an unfinished line currently held.
  [[nodiscard]] std::size_t buffered() const noexcept { return partial_.size(); }

 private:
  Line finish(std::string_view text, bool truncated);

  std::size_t max_line_;
  std::string partial_;    // the unfinished line
  std::string returned_;   // the line handed out last when it had to be copied
  bool skipping_ = false;  // discarding the rest of a truncated line
};

}  // namespace flowkit::versiondetect
