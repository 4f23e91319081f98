#include "flowkit/httpgraph/url.h"

#include <fmt/format.h>

#include "flowkit/httpgraph/ascii.h"

namespace flowkit::httpgraph {

namespace {

constexpr std::string_view kUnsafe = "\"<>\\^`{|}";

std::string_view default_port(std::string_view scheme) noexcept {
  return scheme == "https" ? "443" : "80";
}

// Splits "path?query#fragment" into the URL's path and query.
void set_path_and_query(Url& url, std::string_view rest) {
  rest = rest.substr(0, rest.find('#'));
  const std::size_t q = rest.find('?');
  const std::string_view path = rest.substr(0, q);
  url.path = path.empty() ? "/" : percent_encode_unsafe(bounded(path));
  if (url.path.front() != '/') url.path.insert(url.path.begin(), '/');
  url.has_query = q != std::string_view::npos;
  url.query = url.has_query ? percent_encode_unsafe(bounded(rest.substr(q + 1))) : std::string();
}

// "http://authority/rest" -> scheme (lower case), authority, rest; nullopt when `text` does not
// start with a scheme followed by "://".
struct Absolute {
  std::string scheme;
  std::string_view authority;
  std::string_view rest;
};

std::optional<Absolute> split_absolute(std::string_view text) {
  const std::size_t sep = text.find("://");
  if (sep == std::string_view::npos || sep == 0 || sep > 16 || !is_alpha(text[0])) {
    return std::nullopt;
  }
  for (char c : text.substr(0, sep)) {
    if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.') return std::nullopt;
  }
  Absolute out;
  out.scheme = to_lower(text.substr(0, sep));
  const std::string_view after = text.substr(sep + 3);
  const std::size_t end = after.find_first_of("/?#");
  out.authority = after.substr(0, end);
  out.rest = end == std::string_view::npos ? std::string_view{} : after.substr(end);
  return out;
}

bool is_web_scheme(std::string_view scheme) noexcept {
  return scheme == "http" || scheme == "https";
}

std::optional<Url> from_parts(std::string scheme, std::string_view authority,
                              std::string_view rest) {
  Url url;
  url.host = normalise_host(authority, scheme);
  if (url.host.empty()) return std::nullopt;
  url.scheme = std::move(scheme);
  set_path_and_query(url, rest);
  return url;
}

}  // namespace

std::string Url::key(bool with_query) const {
  std::string out = host + path;
  if (with_query && has_query) out += '?' + query;
  return out;
}

std::string Url::full(bool with_query) const {
  return scheme + "://" + key(with_query);
}

std::string percent_encode_unsafe(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7f || kUnsafe.find(c) != std::string_view::npos) {
      fmt::format_to(std::back_inserter(out), "%{:02X}", byte);
    } else {
      out += c;
    }
  }
  return out;
}

std::string normalise_host(std::string_view authority, std::string_view scheme) {
  authority = trim(authority);
  if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close != std::string_view::npos) {
      host = authority.substr(0, close + 1);
      const std::string_view after = authority.substr(close + 1);
      if (!after.empty() && after.front() == ':') port = after.substr(1);
    }
  } else if (const std::size_t colon = authority.rfind(':');
             colon != std::string_view::npos && authority.find(':') == colon) {
    // (Several colons without brackets: a bare IPv6 address, no port.)
    bool digits = true;
    for (char c : authority.substr(colon + 1)) digits = digits && is_digit(c);
    if (digits) {
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
    }
  }
  while (port.size() > 1 && port.front() == '0') port.remove_prefix(1);
  if (host.size() > 1 && host.back() == '.') host.remove_suffix(1);
  if (host.empty()) return {};
  std::string out = percent_encode_unsafe(to_lower(bounded(host, 1024)));
  // A '/' in a host would make "host/path" ambiguous.
  for (std::size_t i = out.find('/'); i != std::string::npos; i = out.find('/', i)) {
    out.replace(i, 1, "%2F");
  }
  if (!port.empty() && port != default_port(scheme)) out += fmt::format(":{}", bounded(port, 8));
  return out;
}

std::string server_authority(const IpAddress& server, std::uint16_t port) {
  const std::string ip = server.is_v6() ? "[" + server.to_string() + "]" : server.to_string();
  return port == 80 ? ip : fmt::format("{}:{}", ip, port);
}

std::optional<Url> request_url(std::string_view target, std::string_view host,
                               std::string_view fallback_host) {
  target = trim(target);
  if (target.empty()) return std::nullopt;
  if (target.front() == '/') {
    std::string authority = normalise_host(host, "http");
    if (authority.empty()) authority = normalise_host(fallback_host, "http");
    if (authority.empty()) return std::nullopt;
    Url url;
    url.host = std::move(authority);
    set_path_and_query(url, target);
    return url;
  }
  auto absolute = split_absolute(target);
  if (!absolute || !is_web_scheme(absolute->scheme)) return std::nullopt;
  return from_parts(std::move(absolute->scheme), absolute->authority, absolute->rest);
}

std::optional<Url> referer_url(std::string_view referer, const Url& base) {
  referer = trim(referer);
  if (referer.empty()) return std::nullopt;
  if (referer.substr(0, 2) == "//") {
    const std::string_view after = referer.substr(2);
    const std::size_t end = after.find_first_of("/?#");
    return from_parts(base.scheme, after.substr(0, end),
                      end == std::string_view::npos ? std::string_view{} : after.substr(end));
  }
  if (referer.front() == '/') {
    Url url;
    url.scheme = base.scheme;
    url.host = base.host;
    set_path_and_query(url, referer);
    return url;
  }
  auto absolute = split_absolute(referer);
  if (!absolute || !is_web_scheme(absolute->scheme)) return std::nullopt;
  return from_parts(std::move(absolute->scheme), absolute->authority, absolute->rest);
}

}  // namespace flowkit::httpgraph
