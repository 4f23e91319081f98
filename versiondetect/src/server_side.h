#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "flowkit/versiondetect/http_scanner.h"
#include "flowkit/versiondetect/line_reader.h"
#include "folded_header.h"
#include "reporter.h"

namespace flowkit::versiondetect {

/// What the server sends: an SSH identification (possibly after other lines, RFC 4253 4.2), an
/// SMTP/FTP/POP3/IMAP greeting, or HTTP responses (Server, X-Powered-By of every one). Done
/// once its banner is known, or as soon as the bytes fit none of these. After lost bytes
/// outside a body it looks for the next status line (or SSH identification) for a while.
class ServerSide {
 public:
  /// Lines and bytes searched for an SSH identification behind other lines.
  static constexpr std::size_t kMaxOpeningLines = 64;
  static constexpr std::uint64_t kMaxOpeningBytes = 16 * 1024;
  /// Lines of a multi-line greeting ("220-...") searched for the product.
  static constexpr std::size_t kMaxGreetingLines = 8;
  /// Bytes searched for a status line after lost bytes.
  static constexpr std::uint64_t kMaxResyncBytes = 64 * 1024;

  void feed(std::span<const std::byte> in, SharedState& shared, const Reporter& reporter);
  void on_gap(std::uint64_t length, SharedState& shared, const Reporter& reporter);
  /// The stream ended: a last line without its LF still counts.
  void finish(SharedState& shared, const Reporter& reporter);
  [[nodiscard]] bool done() const noexcept { return state_ == State::Done; }

 private:
  enum class State : std::uint8_t { Opening, Greeting, Http, Resync, Done };

  void on_line(const LineReader::Line& line, SharedState& shared, const Reporter& reporter);
  void opening_line(const LineReader::Line& line, SharedState& shared, const Reporter& reporter);
  void greeting_line(const LineReader::Line& line, SharedState& shared, const Reporter& reporter);
  void resync_line(const LineReader::Line& line, SharedState& shared, const Reporter& reporter);
  void start_http(const LineReader::Line& line, SharedState& shared, const Reporter& reporter);
  void http_line(const LineReader::Line& line, const Reporter& reporter);
  void end_greeting(SharedState& shared, const Reporter& reporter);

  State state_ = State::Opening;
  LineReader reader_;
  std::optional<HttpScanner> http_;
  FoldedHeader header_;
  std::size_t lines_ = 0;
  std::uint64_t bytes_ = 0;  // read in Opening, or since the gap in Resync
  // The greeting being read: its first line and the protocol it implies.
  std::optional<Sighting> greeting_;
  std::optional<Protocol> greeting_protocol_;
};

}  // namespace flowkit::versiondetect
