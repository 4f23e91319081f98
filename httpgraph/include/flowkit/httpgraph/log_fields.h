#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "flowkit/httpgraph/time_format.h"
#include "flowkit/httpgraph/transaction.h"

namespace flowkit::httpgraph {

/// What a log column holds. Header is any other request header, named by the field.
enum class FieldId : std::uint8_t {
  Timestamp,
  SourceIp,
  SourcePort,
  DestIp,
  DestPort,
  Method,
  Host,
  RequestUri,
  HttpVersion,
  StatusCode,
  ReasonPhrase,
  Referer,
  UserAgent,
  ContentType,
  Url,
  Header,
};

struct LogField {
  FieldId id = FieldId::Header;
  std::string name;  ///< the field's name (lower case): a built-in one or a header's

  friend bool operator==(const LogField&, const LogField&) = default;
};

/// A built-in field, for help texts.
struct FieldInfo {
  std::string_view name;
  FieldId id;
  std::string_view description;
};

/// The built-in fields, in their natural order. Names follow httpry's where it has them.
[[nodiscard]] std::span<const FieldInfo> builtin_fields() noexcept;

/// Parses a comma-separated field list ("timestamp,host,request-uri,cookie"). A name that is not
/// built in names a request header. Throws std::invalid_argument (one-line message) for an
/// empty list, an empty name or a name that cannot be a header name.
[[nodiscard]] std::vector<LogField> parse_fields(std::string_view list);

/// httpry's default fields, less "direction" (a line here is a request and its response):
/// timestamp, source-ip, dest-ip, method, host, request-uri, http-version, status-code,
/// reason-phrase.
[[nodiscard]] std::vector<LogField> default_log_fields();
/// Every built-in field (the JSON default).
[[nodiscard]] std::vector<LogField> all_builtin_fields();

/// The request headers `fields` need kept (for CollectorOptions::capture_headers).
[[nodiscard]] std::vector<std::string> header_fields(std::span<const LogField> fields);

/// The raw (unescaped) value of `field` for `t`, the timestamp written in `style`; nullopt when
/// absent (no response, no such header).
[[nodiscard]] std::optional<std::string> field_value(const Transaction& t, const LogField& field,
                                                     TimeStyle style);

}  // namespace flowkit::httpgraph
