#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string_view>

#include "flowkit/versiondetect/line_reader.h"

namespace flowkit::versiondetect {

/// What a request implies for the framing of its response.
enum class HttpRequestKind : std::uint8_t { Normal, Head, Connect };

/// Requests of one connection still waiting for their response, in order (pipelining). Bounded:
/// beyond kMaxPending further requests are assumed Normal.
class HttpRequestQueue {
 public:
  static constexpr std::size_t kMaxPending = 1024;
  void push(HttpRequestKind kind);
  /// The oldest pending request; Normal when none is known (e.g. the client side was not seen).
  HttpRequestKind pop();

 private:
  std::deque<HttpRequestKind> pending_;
};

/// A start line or a header of an HTTP/1.x message.
struct HttpEvent {
  /// Continuation: a line of obsolete header folding (starts with a blank), continuing the
  /// previous header; `value` is the whole line.
  enum class Kind : std::uint8_t { Request, Response, Header, Continuation };
  Kind kind = Kind::Header;
  std::string_view name;   ///< header name; for start lines, the method or the status code text
  std::string_view value;  ///< header value; for start lines, the whole line
  bool truncated = false;  ///< the line was cut by the line reader
};

/// Follows the HTTP/1.x messages of one direction of a keep-alive or pipelined connection:
/// reports every start line and header, and skips bodies by Content-Length or chunked framing
/// without buffering them. Stops (for good) at whatever it cannot frame: a start line that is
/// not HTTP, a response body delimited by the close of the connection, a tunnel (CONNECT,
/// 101 Switching Protocols), lost bytes outside a body, or more than kMaxHeaderLines headers.
class HttpScanner {
 public:
  enum class Side : std::uint8_t { Request, Response };
  static constexpr std::size_t kMaxHeaderLines = 256;
  static constexpr std::size_t kMaxLeadingEmptyLines = 8;

  HttpScanner(Side side, HttpRequestQueue& queue) : side_(side), queue_(&queue) {}

  /// True while body bytes are expected: feed them to skip_body, lines to on_line otherwise.
  [[nodiscard]] bool in_body() const noexcept {
    return state_ == State::Body || state_ == State::ChunkData;
  }
  /// Consumes body bytes from the front of `in`.
  void skip_body(std::span<const std::byte>& in) noexcept;
  /// One line of the stream (outside bodies).
  std::optional<HttpEvent> on_line(const LineReader::Line& line);
  /// `length` bytes were lost. True when they fell inside the current body and the scanner is
  /// still in step; otherwise it stops.
  bool on_gap(std::uint64_t length) noexcept;

  [[nodiscard]] bool stopped() const noexcept { return state_ == State::Stopped; }
  /// Messages whose start line was seen.
  [[nodiscard]] std::uint64_t messages() const noexcept { return messages_; }

 private:
  enum class State : std::uint8_t {
    StartLine,
    Headers,
    Body,
    ChunkSize,
    ChunkData,
    ChunkDataEnd,
    Trailers,
    Stopped
  };

  std::optional<HttpEvent> start_line(std::string_view line, bool truncated);
  std::optional<HttpEvent> header_line(std::string_view line, bool truncated);
  void end_of_headers();
  void chunk_size_line(std::string_view line);
  void start_body(std::uint64_t length) noexcept;

  Side side_;
  HttpRequestQueue* queue_;
  State state_ = State::StartLine;
  std::uint64_t remaining_ = 0;
  std::uint64_t messages_ = 0;
  std::size_t empty_lines_ = 0;
  std::size_t header_lines_ = 0;
  // Framing of the message being read.
  int status_ = 0;
  HttpRequestKind request_kind_ = HttpRequestKind::Normal;
  std::optional<std::uint64_t> content_length_;
  bool chunked_ = false;
  bool bad_length_ = false;
};

}  // namespace flowkit::versiondetect
