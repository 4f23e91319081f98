#pragma once

#include <chrono>
#include <cstdint>

namespace flowkit {

/// Packet time: nanoseconds since the Unix epoch, taken from the capture, never the wall clock.
/// Every timer in flowkit runs on this clock so a file replays exactly as live traffic would.
using Timestamp = std::chrono::nanoseconds;
using Duration = std::chrono::nanoseconds;

}  // namespace flowkit
