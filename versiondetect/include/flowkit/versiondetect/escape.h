#pragma once

#include <string>
#include <string_view>

namespace flowkit::versiondetect {

/// Makes attacker-controlled bytes safe to print on a terminal, in a log line or in JSON:
/// printable ASCII stays as is, a backslash becomes "\\" and every other byte (control
/// characters, escape sequences, bytes >= 0x80 including UTF-8) becomes "\xHH". The result is
/// plain ASCII, so it is also valid UTF-8.
[[nodiscard]] std::string escape(std::string_view raw);

}  // namespace flowkit::versiondetect
