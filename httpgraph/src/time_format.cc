#include "flowkit/httpgraph/time_format.h"

#include <fmt/format.h>

#include <chrono>

#include "flowkit/time_format.h"

namespace flowkit::httpgraph {

std::string format_time(Timestamp ts, TimeStyle style) {
  if (style == TimeStyle::Iso8601) return format_iso8601(ts);  // the core's, shared by all tools
  using namespace std::chrono;
  const auto micros = duration_cast<microseconds>(ts);
  const auto days = floor<std::chrono::days>(micros);
  const year_month_day date{sys_days{days}};
  const hh_mm_ss<microseconds> time{micros - days};
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:06}", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                     time.hours().count(), time.minutes().count(), time.seconds().count(),
                     time.subseconds().count());
}

}  // namespace flowkit::httpgraph
