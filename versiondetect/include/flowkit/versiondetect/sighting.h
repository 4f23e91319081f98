#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "flowkit/ip_address.h"
#include "flowkit/timestamp.h"
#include "flowkit/versiondetect/protocol.h"
#include "flowkit/versiondetect/software.h"

namespace flowkit::versiondetect {

/// Longest banner kept, in bytes; longer ones are cut and flagged `truncated`. SSH allows 255
/// bytes; HTTP header values have no limit, so this bounds what a hostile peer can make us hold
/// and print.
inline constexpr std::size_t kMaxBannerBytes = 512;

/// One banner seen on the wire.
struct Sighting {
  Timestamp ts{};          ///< packet time of the segment that completed the banner
  IpAddress host;          ///< the endpoint the banner describes
  std::uint16_t port = 0;  ///< the service port (the server's, for client sightings too)
  IpAddress peer;          ///< the other endpoint
  Role role = Role::Server;
  Protocol protocol = Protocol::Ssh;
  Field field = Field::Ident;
  std::string banner;      ///< raw bytes, at most kMaxBannerBytes: escape before printing
  bool truncated = false;  ///< the banner was longer than kMaxBannerBytes (or its line limit)
  Software software;       ///< parsed from the banner; name empty when not recognised
};

/// Receives sightings as the detector finds them.
class SightingSink {
 public:
  virtual ~SightingSink() = default;
  virtual void on_sighting(const Sighting& sighting) = 0;
};

}  // namespace flowkit::versiondetect
