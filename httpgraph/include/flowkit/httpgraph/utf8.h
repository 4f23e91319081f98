#pragma once

#include <cstddef>
#include <string_view>

namespace flowkit::httpgraph {

/// Length of the well-formed UTF-8 sequence of two or more bytes starting at text[i], or 0 when
/// there is none there (ASCII, overlong forms, surrogates, code points past U+10FFFF, a
/// sequence cut short). Outputs use it to pass real text through and escape stray bytes.
[[nodiscard]] std::size_t utf8_sequence_length(std::string_view text, std::size_t i) noexcept;

}  // namespace flowkit::httpgraph
