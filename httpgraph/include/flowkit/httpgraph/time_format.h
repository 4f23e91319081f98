#pragma once

#include <string>

#include "flowkit/timestamp.h"

namespace flowkit::httpgraph {

enum class TimeStyle : unsigned char {
  Log,      ///< "2023-11-14 22:13:20.001000" (UTC), like httpry's but with microseconds
  Iso8601,  ///< "2023-11-14T22:13:20.001000Z"
};

/// Packet time as UTC calendar time with microseconds.
[[nodiscard]] std::string format_time(Timestamp ts, TimeStyle style);

}  // namespace flowkit::httpgraph
