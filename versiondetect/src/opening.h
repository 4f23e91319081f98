#pragma once

#include <cstddef>
#include <string_view>

// How the first line of a direction tells the protocol: by content, never by port.
namespace flowkit::versiondetect::opening {

/// Text protocols start with printable ASCII (or a blank line): anything else (TLS, SSH-1
/// binary, RPC) is not ours and the direction is dropped at once.
[[nodiscard]] bool is_text_start(std::byte first) noexcept;
/// "SSH-" followed by a protocol version digit (RFC 4253 4.2; SSH-1.x too).
[[nodiscard]] bool is_ssh_identification(std::string_view line) noexcept;
/// "HTTP/1.1 200 ..."
[[nodiscard]] bool is_http_status_line(std::string_view line) noexcept;
/// "GET /path HTTP/1.1": a method word, a target, and an HTTP version at the end.
[[nodiscard]] bool is_http_request_line(std::string_view line) noexcept;
/// A reply line with this three-digit code: "220 text", "220-text" or just "220".
[[nodiscard]] bool is_reply(std::string_view line, std::string_view code) noexcept;
/// The last line of a (possibly multi-line) reply: "220 ..." rather than "220-...".
[[nodiscard]] bool is_final_reply_line(std::string_view line) noexcept;
[[nodiscard]] bool is_pop3_greeting(std::string_view line) noexcept;
[[nodiscard]] bool is_imap_greeting(std::string_view line) noexcept;
/// The command word of a client line ("EHLO" of "EHLO host"), as sent.
[[nodiscard]] std::string_view command_of(std::string_view line) noexcept;
/// The command's argument ("host" of "EHLO host").
[[nodiscard]] std::string_view argument_of(std::string_view line) noexcept;

}  // namespace flowkit::versiondetect::opening
