#pragma once

#include <optional>
#include <string_view>

namespace flowkit {

/// Target-based overlap resolution, named as Suricata names them. Applies to TCP segments and to
/// IP fragments: which copy of a byte wins when two pieces of data cover the same offset.
/// Decided for each piece of old data the new piece overlaps, comparing the pieces as they
/// arrived; "before" and "after" are strict. See src/overlap_resolver.h.
enum class OverlapPolicy : unsigned char {
  First,    ///< the first copy seen always wins
  Last,     ///< the newest copy always wins
  Bsd,      ///< old wins, unless the new piece starts before the old one
  Linux,    ///< as Bsd, and the new piece also wins when it starts with the old one and is longer
  Windows,  ///< old wins, unless the new piece starts before and ends after the old one
  Solaris,  ///< as Windows, but a new piece that ends exactly with the old one also wins
};

std::string_view to_string(OverlapPolicy policy) noexcept;
std::optional<OverlapPolicy> parse_overlap_policy(std::string_view name) noexcept;

}  // namespace flowkit
