#pragma once

#include <optional>
#include <string_view>

#include "flowkit/versiondetect/software.h"

namespace flowkit::versiondetect {

/// Names the browser behind a Mozilla-style user agent ("Mozilla/5.0 (...) Gecko/20100101
/// Firefox/121.0" -> Firefox 121.0), as Zeek does, with today's browsers added. Rules, first
/// match wins: legacy "Opera N"; "Opera/..." (Opera, Opera Mini, Opera Mobi); OPR (Opera),
/// Edg/Edge/EdgA/EdgiOS (Edge), Vivaldi, YaBrowser, SamsungBrowser, CriOS (Chrome on iOS),
/// FxiOS (Firefox on iOS); MSIE or Trident (MSIE, Trident 4-7 meaning IE 8-11); SeaMonkey,
/// Thunderbird, Iceweasel, Netscape, Firefox; HeadlessChrome, Chromium, Chrome; Version/ with
/// Safari/ (Safari, addl "Mobile" on mobile); AppleWebKit (WebKit); "(compatible; Bot/1.0"
/// (the compatible product, e.g. Googlebot). nullopt when `user_agent` does not start with
/// "Mozilla/" or "Opera/" or none of the rules applies.
[[nodiscard]] std::optional<Software> parse_browser(std::string_view user_agent);

}  // namespace flowkit::versiondetect
