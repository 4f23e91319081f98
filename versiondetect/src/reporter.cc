#include "reporter.h"

#include <algorithm>

#include "flowkit/versiondetect/greeting.h"
#include "flowkit/versiondetect/version_parser.h"
#include "opening.h"
#include "text.h"

namespace flowkit::versiondetect {

namespace {

Software software_of(Field field, std::string_view banner) {
  switch (field) {
    case Field::Ident: {
      // SSH-protoversion-softwareversion SP comments: Zeek parses from the software part on.
      const auto dash = banner.find('-', 4);
      return parse_software(dash == std::string_view::npos ? std::string_view{}
                                                           : banner.substr(dash + 1));
    }
    case Field::Greeting:
      return parse_greeting(banner).software;
    case Field::Helo:
      return {};  // a host name, not software
    case Field::Server:
    case Field::PoweredBy:
    case Field::UserAgent:
    case Field::Mailer:
      return parse_software(banner);
    case Field::Clnt:
      return parse_software(opening::argument_of(banner));  // "CLNT FileZilla 3.66"
  }
  return {};
}

}  // namespace

Sighting Reporter::make(Role role, Protocol protocol, Field field, std::string_view banner,
                        bool truncated) const {
  // Surrounding blanks are never part of the software's name (and are invisible when printed).
  banner = text::trim(banner);
  const auto& key = conn_->key();
  Sighting s;
  s.ts = conn_->last_seen();
  s.host = role == Role::Server ? key.server : key.client;
  s.peer = role == Role::Server ? key.client : key.server;
  s.port = key.server_port;
  s.role = role;
  s.protocol = protocol;
  s.field = field;
  s.truncated = truncated || banner.size() > kMaxBannerBytes;
  s.banner = std::string(banner.substr(0, std::min(banner.size(), kMaxBannerBytes)));
  s.software = software_of(field, s.banner);
  return s;
}

void SharedState::resolve_greeting(Protocol protocol, const Reporter& reporter) {
  if (!server_protocol || *server_protocol == Protocol::SmtpOrFtp) server_protocol = protocol;
  if (!pending_greeting) return;
  pending_greeting->protocol = protocol;
  reporter.report(*pending_greeting);
  pending_greeting.reset();
}

}  // namespace flowkit::versiondetect
