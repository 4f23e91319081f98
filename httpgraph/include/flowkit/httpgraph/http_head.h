#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

namespace flowkit::httpgraph {

/// One header field as it appears in a message head (views into the head's bytes).
struct HeaderField {
  std::string_view name;
  std::string_view value;  ///< without surrounding whitespace
};

/// The start line and header fields of an HTTP/1.x message, viewing the bytes they came from.
struct HttpHead {
  std::string_view start_line;  ///< without its line ending
  std::vector<HeaderField> fields;

  /// The first field named `name` (case-insensitive).
  [[nodiscard]] std::optional<std::string_view> find(std::string_view name) const noexcept;
  /// Every field named `name`, in order.
  [[nodiscard]] std::vector<std::string_view> find_all(std::string_view name) const;
};

/// Where a head ends, searching `text` (a head's bytes from its first byte) for the empty line
/// that closes it. CRLF and bare LF line endings are both accepted, as servers do.
struct HeadEnd {
  std::optional<std::size_t> end;  ///< one past the empty line, when found
  std::size_t resume = 0;          ///< where a later search over more bytes can start
};

/// Searches from `from` (a previous HeadEnd::resume, or 0) so that a head arriving in many small
/// pieces is scanned once, not once per piece.
[[nodiscard]] HeadEnd find_head_end(std::string_view text, std::size_t from = 0) noexcept;

/// Splits a complete head (as delimited by find_head_end) into start line and fields. Lines
/// that are not "name: value" (including obsolete folded continuations) are ignored.
[[nodiscard]] HttpHead parse_head(std::string_view head);

}  // namespace flowkit::httpgraph
