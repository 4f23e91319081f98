#pragma once

#include <limits>

#include "flowkit/timestamp.h"

namespace flowkit::detail {

/// `now - then`, saturating instead of overflowing: capture files can carry any 64-bit time
/// (broken or hostile ones do), and two such times may be further apart than a Duration holds.
/// Saturation keeps every timer comparison right: far in the past is expired, far in the
/// future is not.
[[nodiscard]] constexpr Duration elapsed(Timestamp now, Timestamp then) noexcept {
  using Rep = Duration::rep;
  const Rep a = now.count();
  const Rep b = then.count();
  if (b < 0 && a > std::numeric_limits<Rep>::max() + b) return Duration::max();
  if (b > 0 && a < std::numeric_limits<Rep>::min() + b) return Duration::min();
  return Duration{a - b};
}

}  // namespace flowkit::detail
