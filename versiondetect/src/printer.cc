#include "flowkit/versiondetect/printer.h"

#include <fmt/format.h>

#include "flowkit/versiondetect/sighting_format.h"
#include "flowkit/versiondetect/summary.h"

namespace flowkit::versiondetect {

void Printer::on_sighting(const Sighting& s) {
  const std::lock_guard lock(mutex_);
  const bool fresh = inventory_.add(s);
  if (!fresh && !options_.all) return;
  if (options_.json) {
    fmt::print(out_, "{}\n", to_json(s).dump());
  } else {
    fmt::print(out_, "{}\n", format_text(s));
  }
  ++printed_;
  if (options_.flush_each) std::fflush(out_);
}

void Printer::print_summary() {
  const std::lock_guard lock(mutex_);
  const auto rows = inventory_.rows();
  if (options_.json) {
    for (const auto& row : rows) fmt::print(out_, "{}\n", to_json(row).dump());
  } else {
    print_summary_table(out_, rows);
  }
  std::fflush(out_);
}

}  // namespace flowkit::versiondetect
