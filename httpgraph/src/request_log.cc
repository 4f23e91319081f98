#include "flowkit/httpgraph/request_log.h"

#include <fmt/format.h>

#include <cstdint>
#include <nlohmann/json.hpp>

#include "flowkit/httpgraph/utf8.h"

namespace flowkit::httpgraph {

std::string escape_log_value(std::string_view value) {
  if (value.empty()) return "-";
  std::string out;
  out.reserve(value.size());
  for (std::size_t i = 0; i < value.size();) {
    const char c = value[i];
    const auto byte = static_cast<std::uint8_t>(c);
    if (byte >= 0x80) {
      if (const std::size_t n = utf8_sequence_length(value, i); n > 0) {
        out.append(value.substr(i, n));
        i += n;
        continue;
      }
    }
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (byte < 0x20 || byte >= 0x7f) {
          fmt::format_to(std::back_inserter(out), "\\x{:02X}", byte);
        } else {
          out += c;
        }
    }
    ++i;
  }
  return out;
}

RequestLog::RequestLog(Format format, std::vector<LogField> fields)
    : format_(format), fields_(std::move(fields)) {}

std::string RequestLog::header() const {
  if (format_ == Format::Json) return {};
  std::vector<std::string_view> names;
  for (const auto& f : fields_) names.push_back(f.name);
  return fmt::format("# Fields: {}\n", fmt::join(names, ","));
}

std::string RequestLog::line(const Transaction& t) const {
  if (format_ == Format::Text) {
    std::vector<std::string> values;
    values.reserve(fields_.size());
    for (const auto& f : fields_) {
      values.push_back(escape_log_value(field_value(t, f, TimeStyle::Log).value_or("")));
    }
    return fmt::format("{}\n", fmt::join(values, "\t"));
  }
  nlohmann::ordered_json record = nlohmann::ordered_json::object();
  for (const auto& f : fields_) {
    auto& slot = record[f.name];
    switch (f.id) {
      case FieldId::SourcePort:
        slot = t.flow.client_port;
        break;
      case FieldId::DestPort:
        slot = t.flow.server_port;
        break;
      case FieldId::StatusCode:
        if (t.response) slot = t.response->status;
        break;
      default:
        if (auto v = field_value(t, f, TimeStyle::Iso8601)) slot = std::move(*v);
    }
  }
  // Header values are arbitrary bytes: replace what is not UTF-8 rather than throw.
  return record.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace flowkit::httpgraph
