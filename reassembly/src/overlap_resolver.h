#pragma once

#include <cstdint>

#include "flowkit/overlap_policy.h"

namespace flowkit::detail {

/// Whether newly arrived data replaces data already held, where the two overlap. Both ranges are
/// half-open [begin, end) and the caller only asks about ranges that do overlap. Shared by IP
/// defragmentation and TCP reassembly so both layers model the same target.
///
/// Callers pass the extents the pieces had when they arrived, not what is left of them after
/// earlier trimming: a target decides by the fragment or segment it received.
[[nodiscard]] constexpr bool new_data_wins(OverlapPolicy policy, std::uint64_t old_begin,
                                           std::uint64_t old_end, std::uint64_t new_begin,
                                           std::uint64_t new_end) noexcept {
  switch (policy) {
    case OverlapPolicy::First:
      return false;
    case OverlapPolicy::Last:
      return true;
    case OverlapPolicy::Bsd:
      return new_begin < old_begin;
    case OverlapPolicy::Linux:
      return new_begin < old_begin || (new_begin == old_begin && new_end > old_end);
    case OverlapPolicy::Windows:
      return new_begin < old_begin && new_end > old_end;
    case OverlapPolicy::Solaris:
      return new_begin < old_begin && new_end >= old_end;
  }
  return false;  // not a valid policy: keeping what was already accepted is the safe default
}

}  // namespace flowkit::detail
