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

/// What the client sends: an SSH identification; HTTP requests (User-Agent of every one);
/// SMTP commands up to the headers of the first message (EHLO/HELO name, X-Mailer,
/// User-Agent); FTP commands up to CLNT. Done once nothing more can come, on STARTTLS or
/// AUTH TLS (encrypted from there), or after a bounded number of lines. After lost bytes
/// outside a body it looks for the next request line (or SSH identification) for a while.
class ClientSide {
 public:
  static constexpr std::size_t kMaxSmtpCommands = 64;
  static constexpr std::size_t kMaxMessageHeaderLines = 200;
  static constexpr std::size_t kMaxFtpCommands = 32;
  static constexpr std::size_t kMaxLeadingEmptyLines = 8;
  static constexpr std::uint64_t kMaxResyncBytes = 64 * 1024;

  void feed(std::span<const std::byte> in, SharedState& shared, const Reporter& reporter);
  void on_gap(std::uint64_t length, const Reporter& reporter);
  void finish(SharedState& shared, const Reporter& reporter);
  /// Nothing the client says can matter any more (e.g. it talks to a POP3 or IMAP server).
  void stop() noexcept { state_ = State::Done; }
  [[nodiscard]] bool done() const noexcept { return state_ == State::Done; }

 private:
  enum class State : std::uint8_t { Opening, Http, Smtp, SmtpHeaders, Ftp, Resync, Done };

  void on_line(const LineReader::Line& line, SharedState& shared, const Reporter& reporter);
  void opening_line(const LineReader::Line& line, SharedState& shared, const Reporter& reporter);
  void resync_line(const LineReader::Line& line, SharedState& shared, const Reporter& reporter);
  void start_http(const LineReader::Line& line, SharedState& shared, const Reporter& reporter);
  void http_line(const LineReader::Line& line, const Reporter& reporter);
  void smtp_line(const LineReader::Line& line, const Reporter& reporter);
  void header_line(const LineReader::Line& line, const Reporter& reporter);
  void ftp_line(const LineReader::Line& line, SharedState& shared, const Reporter& reporter);

  State state_ = State::Opening;
  LineReader reader_;
  std::optional<HttpScanner> http_;
  FoldedHeader header_;
  std::size_t lines_ = 0;
  std::uint64_t resync_bytes_ = 0;
  bool started_ = false;
};

}  // namespace flowkit::versiondetect
