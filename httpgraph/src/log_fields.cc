#include "flowkit/httpgraph/log_fields.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "flowkit/httpgraph/ascii.h"
#include "flowkit/httpgraph/url.h"

namespace flowkit::httpgraph {

namespace {

constexpr FieldInfo kBuiltins[] = {
    {"timestamp", FieldId::Timestamp, "time of the request (UTC, microseconds)"},
    {"source-ip", FieldId::SourceIp, "client address"},
    {"source-port", FieldId::SourcePort, "client port"},
    {"dest-ip", FieldId::DestIp, "server address"},
    {"dest-port", FieldId::DestPort, "server port"},
    {"method", FieldId::Method, "request method"},
    {"host", FieldId::Host, "Host header as sent"},
    {"request-uri", FieldId::RequestUri, "request target as sent"},
    {"http-version", FieldId::HttpVersion, "version of the request"},
    {"status-code", FieldId::StatusCode, "status of the response"},
    {"reason-phrase", FieldId::ReasonPhrase, "reason phrase of the response"},
    {"referer", FieldId::Referer, "Referer header"},
    {"user-agent", FieldId::UserAgent, "User-Agent header"},
    {"content-type", FieldId::ContentType, "Content-Type of the response"},
    {"url", FieldId::Url, "the requested URL, normalised (scheme://host/path?query)"},
};

constexpr std::string_view kDefaults[] = {"timestamp",    "source-ip",   "dest-ip",
                                          "method",       "host",        "request-uri",
                                          "http-version", "status-code", "reason-phrase"};

LogField field_named(std::string_view name) {
  const std::string lower = to_lower(name);
  for (const auto& info : kBuiltins) {
    if (info.name == lower) return {info.id, lower};
  }
  return {FieldId::Header, lower};
}

std::optional<std::string> header(const HttpRequest& request, std::string_view name) {
  for (const auto& [key, value] : request.extra) {
    if (key == name) return value;
  }
  return std::nullopt;
}

std::optional<std::string> present(bool has, const std::string& value) {
  return has ? std::optional<std::string>(value) : std::nullopt;
}

std::optional<std::string> non_empty(const std::string& value) {
  return value.empty() ? std::nullopt : std::optional<std::string>(value);
}

}  // namespace

std::span<const FieldInfo> builtin_fields() noexcept {
  return kBuiltins;
}

std::vector<LogField> parse_fields(std::string_view list) {
  std::vector<LogField> out;
  while (true) {
    const std::size_t comma = list.find(',');
    const std::string_view name = trim(list.substr(0, comma));
    if (name.empty()) throw std::invalid_argument("empty field name in field list");
    if (!std::all_of(name.begin(), name.end(), is_tchar) || name.size() > 64) {
      throw std::invalid_argument(fmt::format("'{}' is not a field or header name", name));
    }
    out.push_back(field_named(name));
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return out;
}

std::vector<LogField> default_log_fields() {
  std::vector<LogField> out;
  for (auto name : kDefaults) out.push_back(field_named(name));
  return out;
}

std::vector<LogField> all_builtin_fields() {
  std::vector<LogField> out;
  for (const auto& info : kBuiltins) out.push_back({info.id, std::string(info.name)});
  return out;
}

std::vector<std::string> header_fields(std::span<const LogField> fields) {
  std::vector<std::string> out;
  for (const auto& f : fields) {
    if (f.id == FieldId::Header && std::find(out.begin(), out.end(), f.name) == out.end()) {
      out.push_back(f.name);
    }
  }
  return out;
}

std::optional<std::string> field_value(const Transaction& t, const LogField& field,
                                       TimeStyle style) {
  const HttpRequest& rq = t.request;
  const auto& rs = t.response;
  switch (field.id) {
    case FieldId::Timestamp:
      return format_time(rq.time, style);
    case FieldId::SourceIp:
      return t.flow.client.to_string();
    case FieldId::SourcePort:
      return fmt::format("{}", t.flow.client_port);
    case FieldId::DestIp:
      return t.flow.server.to_string();
    case FieldId::DestPort:
      return fmt::format("{}", t.flow.server_port);
    case FieldId::Method:
      return rq.method;
    case FieldId::Host:
      return present(rq.has_host, rq.host);
    case FieldId::RequestUri:
      return rq.target;
    case FieldId::HttpVersion:
      return rq.version;
    case FieldId::StatusCode:
      return rs ? std::optional<std::string>(fmt::format("{}", rs->status)) : std::nullopt;
    case FieldId::ReasonPhrase:
      return rs ? non_empty(rs->reason) : std::nullopt;
    case FieldId::Referer:
      return present(rq.has_referer, rq.referer);
    case FieldId::UserAgent:
      return non_empty(rq.user_agent);
    case FieldId::ContentType:
      return rs ? non_empty(rs->content_type) : std::nullopt;
    case FieldId::Url: {
      const auto url =
          request_url(rq.target, rq.host, server_authority(t.flow.server, t.flow.server_port));
      return url ? std::optional<std::string>(url->full(true)) : std::nullopt;
    }
    case FieldId::Header:
      return header(rq, field.name);
  }
  return std::nullopt;
}

}  // namespace flowkit::httpgraph
