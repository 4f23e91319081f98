#include "flowkit/time_format.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

namespace flowkit {

std::string format_iso8601(Timestamp ts) {
  using namespace std::chrono;
  const auto secs = floor<seconds>(ts);
  const auto micros = duration_cast<microseconds>(ts - secs).count();
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:06}Z", sys_seconds(secs), micros);
}

}  // namespace flowkit
