#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "flowkit/httpgraph/resync.h"

namespace flowkit::httpgraph {

/// Largest request or response head (start line and headers) waited for. A head that does not
/// end within it is dropped and the stream resynchronised, so a peer cannot make us hold
/// unbounded data.
inline constexpr std::size_t kMaxHeadBytes = 64 * 1024;

/// What tells one kind of message head (request or response) from anything else.
struct HeadRules {
  using LineCheck = bool (*)(std::string_view);

  LineCheck is_first_line;        ///< a complete first line (without its LF) starts a message
  LineCheck could_be_first_line;  ///< a first line whose LF has not arrived may still do so
  std::size_t max_first_line;     ///< longest first line waited for
  std::size_t max_head = kMaxHeadBytes;
};

/// What HeadScanner::scan found at the start of a head.
struct HeadScan {
  enum class Status : std::uint8_t {
    NeedMore,          ///< feed the bytes from `start` again with more
    NotMessage,        ///< the first line cannot start a message
    FirstLineTooLong,  ///< no LF within max_first_line bytes
    HeadTooLong,       ///< the first line was fine, but no head end within max_head bytes
    Complete,          ///< `head` is a whole head with an acceptable first line
  };

  Status status = Status::NeedMore;
  std::size_t start = 0;  ///< offset in the bytes fed where the head starts (past empty lines)
  std::string_view head;  ///< Complete: the head, including the empty line that ends it

  /// Counted as an oversized head by the streams.
  [[nodiscard]] bool oversized() const noexcept {
    return status == Status::FirstLineTooLong || status == Status::HeadTooLong;
  }
};

/// The "head" state shared by the request and response streams: skips empty lines before a
/// message, judges the first line as soon as it is complete (so a stream that is not HTTP is
/// given up early), then finds the end of the head within a bounded size. A head arriving in
/// pieces at the same stream offset is scanned once, not once per piece.
class HeadScanner {
 public:
  explicit HeadScanner(const HeadRules& rules) noexcept : rules_(rules) {}

  /// `offset` is the stream offset of bytes[0]; the head is looked for from bytes[pos]. Every
  /// status but NeedMore ends the pending head.
  [[nodiscard]] HeadScan scan(std::string_view bytes, std::size_t pos, std::uint64_t offset);

  /// Resynchronisation: the first line at or after `from` that starts a message (see
  /// find_message_start), judged by the same rules as a head.
  [[nodiscard]] ResyncResult find_start(std::string_view bytes, std::size_t from,
                                        bool line_start) const {
    return find_message_start(bytes, from, line_start, rules_.is_first_line,
                              rules_.could_be_first_line, rules_.max_first_line);
  }

  /// Forgets a pending head: the next scan starts afresh even at the same offset.
  void reset() noexcept { pending_ = false; }

 private:
  HeadRules rules_;
  // The head being waited for, so that arriving pieces are scanned once.
  std::uint64_t head_offset_ = 0;
  std::size_t line_scan_ = 0;
  std::size_t head_scan_ = 0;
  bool first_line_ok_ = false;
  bool pending_ = false;
};

}  // namespace flowkit::httpgraph
