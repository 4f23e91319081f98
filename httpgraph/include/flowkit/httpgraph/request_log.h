#pragma once

#include <string>
#include <vector>

#include "flowkit/httpgraph/log_fields.h"
#include "flowkit/httpgraph/transaction.h"

namespace flowkit::httpgraph {

/// Formats transactions as log lines, one per request.
///  - Text: httpry-style, a "# Fields:" header line then tab-separated values, "-" for empty
///    ones; tabs, line breaks, backslashes, control bytes and malformed UTF-8 escaped C-style
///    (\t \n \\ \xNN) so every record stays on one line.
///  - Json: one JSON object per line (JSON Lines), keys the field names, null for absent
///    values, ports and status as numbers, malformed UTF-8 replaced by U+FFFD.
class RequestLog {
 public:
  enum class Format : unsigned char { Text, Json };

  RequestLog(Format format, std::vector<LogField> fields);

  /// What goes before the first record ("" for JSON).
  [[nodiscard]] std::string header() const;
  /// One record, ending with a newline.
  [[nodiscard]] std::string line(const Transaction& t) const;

  [[nodiscard]] const std::vector<LogField>& fields() const noexcept { return fields_; }

 private:
  Format format_;
  std::vector<LogField> fields_;
};

/// `value` escaped for a tab-separated log line ("-" when empty).
[[nodiscard]] std::string escape_log_value(std::string_view value);

}  // namespace flowkit::httpgraph
