#pragma once

#include <optional>
#include <string_view>

#include "flowkit/connection.h"
#include "flowkit/versiondetect/http_scanner.h"
#include "flowkit/versiondetect/sighting.h"

namespace flowkit::versiondetect {

/// Builds the sightings of one connection (addresses, time, parsed software, bounds) and hands
/// them to the sink.
class Reporter {
 public:
  Reporter(const Connection& conn, SightingSink& sink) noexcept : conn_(&conn), sink_(&sink) {}

  /// A sighting of `banner` (cut at kMaxBannerBytes), with the software parsed as `field` asks.
  [[nodiscard]] Sighting make(Role role, Protocol protocol, Field field, std::string_view banner,
                              bool truncated) const;
  void report(const Sighting& sighting) const { sink_->on_sighting(sighting); }
  void report(Role role, Protocol protocol, Field field, std::string_view banner,
              bool truncated) const {
    report(make(role, protocol, field, banner, truncated));
  }

 private:
  const Connection* conn_;
  SightingSink* sink_;
};

/// What the two directions of one connection tell each other.
struct SharedState {
  std::optional<Protocol> server_protocol;   ///< once the server side recognised its protocol
  std::optional<Sighting> pending_greeting;  ///< a "220" greeting waiting for the client to say
                                             ///< whether this is SMTP or FTP
  HttpRequestQueue requests;                 ///< for the framing of HTTP responses

  /// Reports a pending greeting as `protocol`.
  void resolve_greeting(Protocol protocol, const Reporter& reporter);
};

}  // namespace flowkit::versiondetect
