#include "flowkit/httpgraph/dot_string.h"

#include <fmt/format.h>

#include <cstddef>
#include <cstdint>

#include "flowkit/httpgraph/utf8.h"

namespace flowkit::httpgraph {

void append_dot_text(std::string& out, std::string_view text, DotText kind) {
  for (std::size_t i = 0; i < text.size();) {
    const char c = text[i];
    const auto byte = static_cast<std::uint8_t>(c);
    if (byte >= 0x80) {
      if (const std::size_t n = utf8_sequence_length(text, i); n > 0) {
        out.append(text.substr(i, n));
        i += n;
        continue;
      }
    }
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '&' && kind == DotText::Label) {
      out += "&amp;";
    } else if (byte < 0x20 || byte >= 0x7f) {
      // Shown, not interpreted: a doubled backslash is a literal one in an escString.
      fmt::format_to(std::back_inserter(out), "\\\\x{:02X}", byte);
    } else {
      out += c;
    }
    ++i;
  }
}

std::string dot_quoted(std::string_view text, DotText kind) {
  std::string out = "\"";
  append_dot_text(out, text, kind);
  out += '"';
  return out;
}

}  // namespace flowkit::httpgraph
