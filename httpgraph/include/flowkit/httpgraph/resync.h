#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace flowkit::httpgraph {

/// Result of searching a stream for the start of the next message after sync was lost.
struct ResyncResult {
  std::optional<std::size_t> found;  ///< offset of a line that starts a message
  std::size_t consumed = 0;  ///< bytes that can be dropped (when not found, the rest is kept)
  bool line_start = false;   ///< whether bytes[consumed] (the next byte) starts a line
};

/// Looks for the first line, starting at a line boundary at or after `from`, that `complete`
/// accepts. `from` itself counts as a line start only when `line_start` says so (after a gap
/// nothing is known). A last line without its LF yet is kept for a later call when `partial`
/// says it may still match and it is at most `max_line` bytes; otherwise it is dropped. Each
/// byte is looked at a bounded number of times, so scanning a long stream stays linear.
template <class Complete, class Partial>
[[nodiscard]] ResyncResult find_message_start(std::string_view bytes, std::size_t from,
                                              bool line_start, Complete complete, Partial partial,
                                              std::size_t max_line) {
  std::size_t candidate = from;
  if (!line_start) {
    const std::size_t eol = bytes.find('\n', from);
    if (eol == std::string_view::npos) return {std::nullopt, bytes.size(), false};
    candidate = eol + 1;
  }
  while (candidate < bytes.size()) {
    const std::size_t eol = bytes.find('\n', candidate);
    if (eol == std::string_view::npos) {
      const std::string_view tail = bytes.substr(candidate);
      if (tail.size() <= max_line && partial(tail)) return {std::nullopt, candidate, true};
      return {std::nullopt, bytes.size(), false};
    }
    if (complete(bytes.substr(candidate, eol - candidate))) return {candidate, candidate, true};
    candidate = eol + 1;
  }
  return {std::nullopt, bytes.size(), true};
}

}  // namespace flowkit::httpgraph
