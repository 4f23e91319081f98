#pragma once

#include <cstdint>
#include <string_view>

namespace flowkit::versiondetect {

/// Which end of the connection a banner describes.
enum class Role : std::uint8_t { Server, Client };

/// The protocol a banner was recognised in, from the content (never from the port).
enum class Protocol : std::uint8_t {
  Ssh,
  Http,
  Smtp,
  Ftp,
  Pop3,
  Imap,
  SmtpOrFtp,  ///< a "220" greeting that neither its words nor the client's commands told apart
};

/// Where in the protocol the banner came from.
enum class Field : std::uint8_t {
  Ident,      ///< SSH identification string (RFC 4253 section 4.2)
  Server,     ///< HTTP Server header
  PoweredBy,  ///< HTTP X-Powered-By header
  UserAgent,  ///< HTTP User-Agent header, or User-Agent inside an SMTP message
  Greeting,   ///< first line of an SMTP, FTP, POP3 or IMAP server greeting
  Helo,       ///< SMTP EHLO/HELO/LHLO command: the client's name for itself, not software
  Mailer,     ///< X-Mailer inside an SMTP message
  Clnt,       ///< FTP CLNT command (the client software announcing itself)
};

[[nodiscard]] std::string_view to_string(Role role) noexcept;
[[nodiscard]] std::string_view to_string(Protocol protocol) noexcept;
[[nodiscard]] std::string_view to_string(Field field) noexcept;

}  // namespace flowkit::versiondetect
