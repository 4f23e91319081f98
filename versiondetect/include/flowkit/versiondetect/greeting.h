#pragma once

#include <optional>
#include <string_view>

#include "flowkit/versiondetect/protocol.h"
#include "flowkit/versiondetect/software.h"

namespace flowkit::versiondetect {

/// What a server greeting line ("220 mail.example.org ESMTP Postfix", "+OK Dovecot ready.",
/// "* OK [CAPABILITY ...] Cyrus IMAP v3.6.1 server ready") says.
struct GreetingInfo {
  Software software;                      ///< name empty when no product was recognised
  std::optional<Protocol> protocol_hint;  ///< SMTP or FTP, from words like "ESMTP" or "FTP"
};

/// Greetings have no standard place for the software, so: drop the reply code and [bracketed]
/// parts, look for a known mail/FTP server product (Postfix, Exim, Sendmail, vsFTPd, ProFTPD,
/// Dovecot, ...) and read the version right after it ("Exim 4.96", "FileZilla Server version
/// 0.9.41"); failing that, take the first word shaped like "name/1.2" or "name-1.2".
[[nodiscard]] GreetingInfo parse_greeting(std::string_view line);

}  // namespace flowkit::versiondetect
