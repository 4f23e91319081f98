#pragma once

#include <cstddef>
#include <cstdint>

namespace flowkit::detail {

inline constexpr std::uint64_t kCacheLine = 64;

/// Asks the cache for the lines of base[from, to), one at a time (a hint: nothing is read);
/// returns where a following call should start.
inline std::uint64_t prefetch_lines(const std::byte* base, std::uint64_t from,
                                    std::uint64_t to) noexcept {
  for (; from < to; from += kCacheLine) {
    const std::byte* line = base + from;
    __builtin_prefetch(line);
    // GCC counts a prefetch as no side effect and may delete a loop of nothing else (it did,
    // inlined into ShardedReassembler::read_indexed: 15 % more time with two threads); an empty
    // volatile asm that takes the address keeps it, at no cost.
    __asm__ __volatile__("" : : "r"(line));
  }
  return from;
}

}  // namespace flowkit::detail
