#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "flowkit/httpgraph/body_reader.h"
#include "flowkit/httpgraph/head_scanner.h"
#include "flowkit/httpgraph/http_message.h"
#include "flowkit/timestamp.h"

namespace flowkit::httpgraph {

/// What kind of request a response answers: it decides whether the response has a body.
enum class Answered : std::uint8_t { Unknown, Head, Connect, Other };

/// Receives what a ResponseStream finds, in stream order.
class ResponseSink {
 public:
  virtual ~ResponseSink() = default;
  /// A final response (or 101 Switching Protocols); returns what it answers.
  virtual Answered on_response(HttpResponse&& response) = 0;
  /// Responses may have been lost: requests waiting for one can no longer be matched in order.
  virtual void on_response_lost() = 0;
};

/// Parses the server-to-client byte stream of one connection, far enough to pair each request
/// with its status and content type: status line and head, then the body skipped by its
/// framing (none for HEAD, 1xx, 204 and 304; chunked; Content-Length; or until the close).
class ResponseStream {
 public:
  struct Counters {
    std::uint64_t responses = 0;
    std::uint64_t resyncs = 0;
    std::uint64_t oversized_heads = 0;
  };

  ResponseStream() noexcept;

  /// `offset` is the stream offset of bytes[0]. Returns the number of leading bytes used.
  std::size_t feed(std::string_view bytes, std::uint64_t offset, Timestamp now, ResponseSink& sink);
  /// `length` bytes were lost right after the bytes fed so far.
  void lost(std::uint64_t length, ResponseSink& sink);
  void stop() noexcept { state_ = State::Stopped; }

  [[nodiscard]] bool stopped() const noexcept { return state_ == State::Stopped; }
  [[nodiscard]] const Counters& counters() const noexcept { return counters_; }

 private:
  enum class State : std::uint8_t { Head, Body, Resync, Stopped };

  void resync(bool line_start) noexcept;
  /// Parses a complete head; false when it is not a response.
  bool take_head(std::string_view head, Timestamp now, ResponseSink& sink);

  State state_ = State::Head;
  bool line_start_ = true;
  BodyReader body_ = BodyReader::length(0);
  HeadScanner head_;
  Counters counters_;
};

}  // namespace flowkit::httpgraph
