#include "flowkit/versiondetect/protocol.h"

namespace flowkit::versiondetect {

std::string_view to_string(Role role) noexcept {
  switch (role) {
    case Role::Server:
      return "server";
    case Role::Client:
      return "client";
  }
  return "?";
}

std::string_view to_string(Protocol protocol) noexcept {
  switch (protocol) {
    case Protocol::Ssh:
      return "ssh";
    case Protocol::Http:
      return "http";
    case Protocol::Smtp:
      return "smtp";
    case Protocol::Ftp:
      return "ftp";
    case Protocol::Pop3:
      return "pop3";
    case Protocol::Imap:
      return "imap";
    case Protocol::SmtpOrFtp:
      return "smtp-or-ftp";
  }
  return "?";
}

std::string_view to_string(Field field) noexcept {
  switch (field) {
    case Field::Ident:
      return "ident";
    case Field::Server:
      return "server";
    case Field::PoweredBy:
      return "x-powered-by";
    case Field::UserAgent:
      return "user-agent";
    case Field::Greeting:
      return "greeting";
    case Field::Helo:
      return "helo";
    case Field::Mailer:
      return "x-mailer";
    case Field::Clnt:
      return "clnt";
  }
  return "?";
}

}  // namespace flowkit::versiondetect
