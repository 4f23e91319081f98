#include "flowkit/versiondetect/software.h"

#include <fmt/format.h>

namespace flowkit::versiondetect {

std::string to_string(const Version& v) {
  std::string out;
  // Numbers stop at the first one missing, like Zeek's "a.b.c.d".
  for (const auto& part : {v.major, v.minor, v.minor2, v.minor3}) {
    if (!part) break;
    if (!out.empty()) out += '.';
    out += fmt::format("{}", *part);
  }
  if (!v.addl.empty()) {
    if (!out.empty()) out += '-';
    out += v.addl;
  }
  return out;
}

}  // namespace flowkit::versiondetect
