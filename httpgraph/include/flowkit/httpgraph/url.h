#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "flowkit/ip_address.h"

namespace flowkit::httpgraph {

/// A URL as httpgraph names pages: host in lower case with a port only when it is not the
/// scheme's default, path and query as sent, fragment dropped. Every part is printable ASCII:
/// bytes that have no place in a URL (controls, spaces, quotes, non-ASCII...) are
/// percent-encoded, so a URL can go anywhere once the output's own quoting is applied.
struct Url {
  std::string scheme = "http";
  std::string host;
  std::string path = "/";
  std::string query;  ///< without the '?'
  bool has_query = false;

  /// "host/path", plus "?query" when `with_query`: the identity of a page in the graph.
  [[nodiscard]] std::string key(bool with_query) const;
  /// "scheme://host/path[?query]".
  [[nodiscard]] std::string full(bool with_query) const;
};

/// Percent-encodes bytes that are not allowed in a URL as sent on the wire (controls, space,
/// non-ASCII, and " < > \ ^ ` { | }). '%' itself is kept: existing escapes stay as they are.
[[nodiscard]] std::string percent_encode_unsafe(std::string_view text);

/// "user@Host.Example:80" -> "host.example" for scheme http: userinfo dropped, lower case,
/// trailing dot and default port dropped, IPv6 literals kept in brackets. "" when no host.
[[nodiscard]] std::string normalise_host(std::string_view authority, std::string_view scheme);

/// The authority a request without a Host header was sent to: "10.0.0.2", "10.0.0.2:8080",
/// "[2001:db8::1]:8080".
[[nodiscard]] std::string server_authority(const IpAddress& server, std::uint16_t port);

/// The URL a request asks for: an absolute-form target ("http://host/path", as sent to
/// proxies) names its host; an origin-form target ("/path") takes the Host header, or
/// `fallback_host` when there is none. nullopt for targets that name no page: "*" (OPTIONS),
/// authority-form (CONNECT) and other schemes.
[[nodiscard]] std::optional<Url> request_url(std::string_view target, std::string_view host,
                                             std::string_view fallback_host);

/// The page a Referer header names: an absolute http(s) URL, or a reference relative to the
/// requested URL `base` ("/path", "//host/path"). nullopt when it names no web page.
[[nodiscard]] std::optional<Url> referer_url(std::string_view referer, const Url& base);

}  // namespace flowkit::httpgraph
