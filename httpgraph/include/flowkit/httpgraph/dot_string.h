#pragma once

#include <string>
#include <string_view>

namespace flowkit::httpgraph {

/// Where a string goes in a dot file: labels get Graphviz's HTML entity decoding, so '&' must be
/// escaped there; URL and tooltip attributes are passed through as they are.
enum class DotText : unsigned char { Label, Attribute };

/// Appends `text` as the inside of a double-quoted dot string (an escString). Backslashes and
/// quotes are escaped, so data can neither end the string nor form one of Graphviz's escapes
/// (\N, \G, \L, \n, ...); control bytes and bytes that are not valid UTF-8 are shown as \xNN;
/// in labels '&' becomes "&amp;". Whatever the input, the result is valid dot and UTF-8.
void append_dot_text(std::string& out, std::string_view text, DotText kind);

/// `text` as a complete double-quoted dot string.
[[nodiscard]] std::string dot_quoted(std::string_view text, DotText kind);

}  // namespace flowkit::httpgraph
