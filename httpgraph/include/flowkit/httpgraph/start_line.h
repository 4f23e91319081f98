#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace flowkit::httpgraph {

/// Longest method name accepted (WebDAV's are the longest real ones).
inline constexpr std::size_t kMaxMethodLength = 32;

/// "GET /path HTTP/1.1", split. Views into the line.
struct RequestLine {
  std::string_view method;
  std::string_view target;
  std::string_view version;  ///< "HTTP/1.0", "HTTP/1.1", ...
};

/// "HTTP/1.1 200 OK", split. Views into the line.
struct StatusLine {
  std::string_view version;
  int code = 0;
  std::string_view reason;  ///< may be empty
};

/// Parses a request line (without its LF; a trailing CR is ignored). Only HTTP/1.x requests
/// are recognised: the version is what tells HTTP apart from other line-based protocols. A
/// target with spaces (sent unencoded by some clients) is accepted.
[[nodiscard]] std::optional<RequestLine> parse_request_line(std::string_view line) noexcept;

/// Whether `partial`, the start of a first line whose end has not arrived yet, can still become
/// a request line. Lets a stream that is not HTTP be given up before a whole line arrives.
[[nodiscard]] bool could_be_request_line(std::string_view partial) noexcept;

/// Parses a status line (without its LF; a trailing CR is ignored).
[[nodiscard]] std::optional<StatusLine> parse_status_line(std::string_view line) noexcept;

}  // namespace flowkit::httpgraph
