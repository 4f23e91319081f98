#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "flowkit/versiondetect/sighting.h"

namespace flowkit::versiondetect {

/// The original VersionDetect line: "IP PORT BANNER" (for a client, its address and the
/// service port), banner escaped, "..." after a truncated one.
[[nodiscard]] std::string format_text(const Sighting& s);

/// One JSON object: type, ts, host, port, peer, role, protocol, field, software, version
/// {major, minor, minor2, minor3, addl}, version_string, banner, truncated. Every string
/// taken from the wire is escaped (see escape()).
[[nodiscard]] nlohmann::ordered_json to_json(const Sighting& s);

}  // namespace flowkit::versiondetect
