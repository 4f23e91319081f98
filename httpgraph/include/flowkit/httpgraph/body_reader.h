#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace flowkit::httpgraph {

/// Skips one message body as its framing says: a Content-Length, chunked transfer coding, or
/// everything until the connection closes. Bodies are never stored, only counted past, so a
/// body of any size costs nothing.
class BodyReader {
 public:
  enum class Status : std::uint8_t {
    Done,      ///< the body ended; the next message starts at the returned offset
    NeedMore,  ///< every byte given was used, or the rest is an incomplete chunk-size line
    Error,     ///< chunked framing broken: the stream is no longer in sync
  };
  struct Step {
    std::size_t consumed = 0;
    Status status = Status::NeedMore;
  };

  /// A body of exactly `length` bytes (0: no body).
  [[nodiscard]] static BodyReader length(std::uint64_t length) noexcept;
  [[nodiscard]] static BodyReader chunked() noexcept;
  [[nodiscard]] static BodyReader until_close() noexcept;

  /// Uses what it can of `bytes`. With NeedMore and consumed < bytes.size(), the rest is an
  /// incomplete line to be offered again together with more bytes.
  [[nodiscard]] Step consume(std::string_view bytes) noexcept;

  /// `length` bytes of the stream were lost. True when they fell inside body data of known size
  /// (or an until-close body), so parsing continues in sync after them.
  [[nodiscard]] bool skip_lost(std::uint64_t length) noexcept;

  [[nodiscard]] bool done() const noexcept { return state_ == State::Done; }

  /// A chunk-size or trailer line longer than this breaks the framing.
  static constexpr std::size_t kMaxLineLength = 8192;
  /// Trailer section bound (like a head's).
  static constexpr std::size_t kMaxTrailerBytes = 64 * 1024;

 private:
  enum class State : std::uint8_t {
    Fixed,
    UntilClose,
    ChunkSize,
    ChunkData,
    ChunkEnd,
    Trailer,
    Done
  };
  explicit BodyReader(State state, std::uint64_t remaining = 0) noexcept
      : state_(state), remaining_(remaining) {}

  State state_;
  std::uint64_t remaining_;
  std::size_t trailer_bytes_ = 0;
};

/// Parses a Content-Length value: digits only (comma-separated repeats of one value are
/// accepted, as RFC 9110 allows). False when the value is invalid.
[[nodiscard]] bool parse_content_length(std::string_view value, std::uint64_t& out) noexcept;

/// Whether a Transfer-Encoding value ends with "chunked": the last coding listed is the one
/// that frames the body.
[[nodiscard]] bool ends_with_chunked(std::string_view transfer_encoding) noexcept;

}  // namespace flowkit::httpgraph
