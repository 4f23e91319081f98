#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "flowkit/httpgraph/body_reader.h"
#include "flowkit/httpgraph/head_scanner.h"
#include "flowkit/httpgraph/http_message.h"
#include "flowkit/timestamp.h"

namespace flowkit::httpgraph {

/// Receives what a RequestStream finds, in stream order.
class RequestSink {
 public:
  virtual ~RequestSink() = default;
  virtual void on_request(HttpRequest&& request) = 0;
  /// Lost bytes may have held a request (or part of one): the next response may answer it.
  virtual void on_request_lost() = 0;
};

/// Parses the client-to-server byte stream of one connection into requests: keep-alive and
/// pipelined requests one after another, bodies skipped by Content-Length or chunked coding.
/// Fed through the reassembler's discard protocol: feed() returns how many bytes it used and
/// wants the rest again with more (an incomplete head), never more than kMaxHeadBytes.
class RequestStream {
 public:
  struct Counters {
    std::uint64_t requests = 0;
    std::uint64_t resyncs = 0;          ///< times sync was lost (gap, broken framing, junk)
    std::uint64_t oversized_heads = 0;  ///< heads beyond kMaxHeadBytes
  };

  /// `from_start`: the first byte fed is the first byte the client sent (the handshake was
  /// seen). Then a stream that does not open with a request line is not HTTP and is given up.
  /// Otherwise (picked up mid-stream) the parser searches for the first request line.
  /// `capture_headers`: names (lower case) of extra headers to keep; must outlive the stream.
  RequestStream(bool from_start, std::span<const std::string> capture_headers);

  /// `offset` is the stream offset of bytes[0]. Returns the number of leading bytes used.
  std::size_t feed(std::string_view bytes, std::uint64_t offset, Timestamp now, RequestSink& sink);
  /// `length` bytes were lost right after the bytes fed so far (and any not used are gone).
  void lost(std::uint64_t length, RequestSink& sink);
  /// Stops parsing for good: the connection became a tunnel or switched protocols.
  void stop() noexcept { state_ = State::Stopped; }

  [[nodiscard]] bool stopped() const noexcept { return state_ == State::Stopped; }
  /// At least one request was found.
  [[nodiscard]] bool is_http() const noexcept { return counters_.requests > 0; }
  [[nodiscard]] const Counters& counters() const noexcept { return counters_; }

 private:
  enum class State : std::uint8_t { Head, Body, Resync, Stopped };

  /// The head at bytes[pos] cannot be a request: give up (strict) or resynchronise past it.
  void reject_head();
  void start_head() noexcept;
  /// Parses a complete head; returns false when it is not a request.
  bool take_head(std::string_view head, Timestamp now, RequestSink& sink);

  State state_;
  /// A head that is not a request means "not HTTP" rather than "lost sync": true for the first
  /// message of a stream seen from its start and for what follows a CONNECT (a tunnel).
  bool strict_;
  bool line_start_ = false;  ///< Resync: the next byte starts a line
  BodyReader body_ = BodyReader::length(0);
  std::span<const std::string> capture_headers_;
  HeadScanner head_;
  Counters counters_;
};

}  // namespace flowkit::httpgraph
