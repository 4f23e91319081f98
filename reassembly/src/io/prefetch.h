#pragma once

#include <cstddef>
#include <cstdint>

namespace flowkit::detail {

inline constexpr std::uint64_t kCacheLine = 64;

/// Asks the cache for the lines of base[from, to), one at a time (a hint: nothing is read);
/// returns where a following call should start.
inline std::uint64_t prefetch_lines(const std::byte* base, std::uint64_t from,
                                    std::uint64_t to) noexcept {
  for (; from < to; from += kCacheLine) __builtin_prefetch(base + from);
  return from;
}

}  // namespace flowkit::detail
