#include "flowkit/versiondetect/sighting_format.h"

#include <fmt/format.h>

#include "flowkit/versiondetect/escape.h"

namespace flowkit::versiondetect {

std::string format_text(const Sighting& s) {
  return fmt::format("{} {} {}{}", s.host.to_string(), s.port, escape(s.banner),
                     s.truncated ? "..." : "");
}

nlohmann::ordered_json to_json(const Sighting& s) {
  using Json = nlohmann::ordered_json;
  Json j;
  j["type"] = "sighting";
  // Epoch seconds with microseconds, as Zeek logs time.
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(s.ts).count();
  j["ts"] = static_cast<double>(us) / 1e6;
  j["host"] = s.host.to_string();
  j["port"] = s.port;
  j["peer"] = s.peer.to_string();
  j["role"] = to_string(s.role);
  j["protocol"] = to_string(s.protocol);
  j["field"] = to_string(s.field);
  j["software"] = s.software.name.empty() ? Json() : Json(escape(s.software.name));
  const auto& v = s.software.version;
  if (!v.empty()) {
    Json version = Json::object();
    if (v.major) version["major"] = *v.major;
    if (v.minor) version["minor"] = *v.minor;
    if (v.minor2) version["minor2"] = *v.minor2;
    if (v.minor3) version["minor3"] = *v.minor3;
    if (!v.addl.empty()) version["addl"] = escape(v.addl);
    j["version"] = std::move(version);
    j["version_string"] = escape(to_string(v));
  }
  j["banner"] = escape(s.banner);
  j["truncated"] = s.truncated;
  return j;
}

}  // namespace flowkit::versiondetect
