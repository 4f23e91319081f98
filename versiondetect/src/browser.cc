#include "flowkit/versiondetect/browser.h"

#include <array>

#include "flowkit/versiondetect/version_parser.h"
#include "text.h"

namespace flowkit::versiondetect {

namespace {

constexpr auto npos = std::string_view::npos;

// A product token ("Firefox/") and the name it stands for.
struct Token {
  std::string_view token;
  std::string_view name;
};

// Browsers built on Chromium name themselves next to "Chrome/" and "Safari/": look for them
// before Chrome. Mobile variants keep their platform's brand.
constexpr std::array kBrandTokens{
    Token{"OPR/", "Opera"},
    Token{"Edg/", "Edge"},
    Token{"Edge/", "Edge"},
    Token{"EdgA/", "Edge"},
    Token{"EdgiOS/", "Edge"},
    Token{"Vivaldi/", "Vivaldi"},
    Token{"YaBrowser/", "Yandex Browser"},
    Token{"SamsungBrowser/", "Samsung Internet"},
    Token{"CriOS/", "Chrome"},
    Token{"FxiOS/", "Firefox"},
};

// Gecko browsers: SeaMonkey and old Thunderbird agents also say "Firefox/", so they go first.
constexpr std::array kGeckoTokens{
    Token{"SeaMonkey/", "SeaMonkey"}, Token{"Thunderbird/", "Thunderbird"},
    Token{"Iceweasel/", "Iceweasel"}, Token{"Netscape/", "Netscape"},
    Token{"Firefox/", "Firefox"},
};

constexpr std::array kChromeTokens{
    Token{"HeadlessChrome/", "HeadlessChrome"},
    Token{"Chromium/", "Chromium"},
    Token{"Chrome/", "Chrome"},
};

template <std::size_t N>
std::optional<Software> first_token(std::string_view ua, const std::array<Token, N>& tokens) {
  for (const auto& t : tokens) {
    const auto at = ua.find(t.token);
    if (at != npos) {
      return Software{std::string(t.name), parse_version_numbers(ua.substr(at + t.token.size()))};
    }
  }
  return std::nullopt;
}

// "Opera 11.00" at the end of an agent that pretends to be MSIE.
std::optional<Software> legacy_opera(std::string_view ua) {
  const auto at = ua.rfind("Opera ");
  if (at == npos || at + 6 >= ua.size() || !text::is_digit(ua[at + 6])) return std::nullopt;
  return Software{"Opera", parse_version_numbers(ua.substr(at + 6))};
}

std::optional<Software> presto_opera(std::string_view ua) {
  if (!ua.starts_with("Opera/")) return std::nullopt;
  Software sw{"Opera", {}};
  std::string_view version_from = ua.substr(6);
  for (std::string_view mobile : {"Opera Mini/", "Opera Mobi/"}) {
    const auto at = ua.find(mobile);
    if (at != npos) {
      sw.name = std::string(mobile.substr(0, mobile.size() - 1));
      version_from = ua.substr(at + mobile.size());
      break;
    }
  }
  // Presto-era Opera froze "Opera/9.80" and put the real version after "Version/".
  if (const auto at = ua.find("Version/"); at != npos) version_from = ua.substr(at + 8);
  sw.version = parse_version_numbers(version_from);
  return sw;
}

std::optional<Software> msie(std::string_view ua) {
  const auto trident = ua.find("Trident/");
  const auto tag = ua.find(" MSIE ");
  if (trident == npos && tag == npos) return std::nullopt;
  Software sw{"MSIE", {}};
  // The rendering engine gives the real version even in compatibility mode.
  if (trident != npos) {
    const auto engine = parse_version_numbers(ua.substr(trident + 8));
    if (engine.major && *engine.major >= 4 && *engine.major <= 7) {
      sw.version.major = *engine.major + 4;
      sw.version.minor = 0;
      return sw;
    }
  }
  if (tag != npos) {
    const auto rest = ua.substr(tag + 6);
    sw.version = parse_version_numbers(rest);
    std::size_t i = 0;
    while (i < rest.size() && (text::is_digit(rest[i]) || rest[i] == '.')) ++i;
    std::size_t letters = i;
    while (letters < rest.size() && text::is_alpha(rest[letters])) ++letters;
    sw.version.addl = std::string(rest.substr(i, letters - i));  // "7.0b" is a beta
  }
  return sw;
}

std::optional<Software> safari(std::string_view ua) {
  const auto version = ua.find("Version/");
  if (version == npos || ua.find("Safari/", version) == npos) return std::nullopt;
  Software sw{"Safari", parse_version_numbers(ua.substr(version + 8))};
  if (ua.find(" Mobile") != npos) sw.version.addl = "Mobile";
  return sw;
}

std::optional<Software> webkit(std::string_view ua) {
  const auto at = ua.find("AppleWebKit/");
  if (at == npos) return std::nullopt;
  return Software{"WebKit", parse_version_numbers(ua.substr(at + 12))};
}

// "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)".
std::optional<Software> compatible(std::string_view ua) {
  constexpr std::string_view kTag = "(compatible; ";
  const auto at = ua.find(kTag);
  if (at == npos) return std::nullopt;
  auto product = ua.substr(at + kTag.size());
  product = product.substr(0, product.find_first_of(";)"));
  auto sw = parse_software(product);
  if (sw.name.empty()) return std::nullopt;
  return sw;
}

}  // namespace

std::optional<Software> parse_browser(std::string_view ua) {
  const bool mozilla = ua.starts_with("Mozilla/") && ua.size() > 8 && text::is_digit(ua[8]);
  const bool opera = ua.starts_with("Opera/") && ua.size() > 6 && text::is_digit(ua[6]);
  if (!mozilla && !opera) return std::nullopt;
  if (auto sw = legacy_opera(ua)) return sw;
  if (auto sw = presto_opera(ua)) return sw;
  if (auto sw = first_token(ua, kBrandTokens)) return sw;
  if (auto sw = msie(ua)) return sw;
  if (auto sw = first_token(ua, kGeckoTokens)) return sw;
  if (auto sw = first_token(ua, kChromeTokens)) return sw;
  if (auto sw = safari(ua)) return sw;
  if (auto sw = webkit(ua)) return sw;
  return compatible(ua);
}

}  // namespace flowkit::versiondetect
