#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace flowkit::httpgraph {

/// `text` in at most `width` characters: when too long, its start and end joined by an
/// ellipsis. Meant for ASCII text such as normalised URLs (a multi-byte character may be cut;
/// the dot escaping then shows the stray bytes rather than breaking anything).
[[nodiscard]] std::string shorten_middle(std::string_view text, std::size_t width);

/// A URL path in at most `width` characters, keeping its last segment (the file name, which
/// tells pages apart best) and as much of its start as fits: "/a/very/long/…/page.html".
[[nodiscard]] std::string shorten_path(std::string_view path, std::size_t width);

}  // namespace flowkit::httpgraph
