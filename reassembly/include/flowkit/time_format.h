#pragma once

#include <string>

#include "flowkit/timestamp.h"

namespace flowkit {

/// "2023-11-14T22:13:20.004000Z": UTC, microseconds, for logs.
[[nodiscard]] std::string format_iso8601(Timestamp ts);

}  // namespace flowkit
