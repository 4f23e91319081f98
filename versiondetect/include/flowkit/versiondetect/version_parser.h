#pragma once

#include <cstddef>
#include <string_view>

#include "flowkit/versiondetect/software.h"

namespace flowkit::versiondetect {

/// Bounds on parsed fields, so a hostile banner cannot make them large.
inline constexpr std::size_t kMaxNameBytes = 128;
inline constexpr std::size_t kMaxAddlBytes = 64;

/// Splits a software string into name and version the way Zeek's Software::parse does: the name
/// is what precedes the first run of version characters (digits, '.', '-', '_', ',', ' ', after
/// an optional '/', " (" or " v"), the run gives up to four numbers, and `addl` is the
/// parenthesised text or the first word after it:
///   "OpenSSH_9.2p1 Debian-2"             -> OpenSSH 9.2, addl "p1"
///   "Apache/2.4.57 (Debian)"             -> Apache 2.4.57, addl "Debian"
///   "Microsoft Office Outlook 12.0"      -> Microsoft Office Outlook 12.0
/// Browser user agents ("Mozilla/...", "Opera/...") go through parse_browser first. Differences
/// from Zeek: a version run must contain a digit, a single digit after '/' counts ("Java/8"),
/// a trailing word "version" is dropped from the name, and %-escapes are not decoded.
[[nodiscard]] Software parse_software(std::string_view text);

/// Parses a version that starts at text[0] ("2.4.57 (Debian)", "v26b"), with addl from what
/// follows it. Nothing when text does not start with a digit (or 'v' and a digit).
[[nodiscard]] Version parse_version(std::string_view text);

/// Only the dotted numbers at text[0] ("121.0.6167.85 Safari/537.36" -> 121.0.6167.85).
[[nodiscard]] Version parse_version_numbers(std::string_view text);

}  // namespace flowkit::versiondetect
