#include "flowkit/versiondetect/summary.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <ctime>
#include <string>
#include <vector>

#include "flowkit/versiondetect/escape.h"

namespace flowkit::versiondetect {

namespace {

std::string utc(Timestamp ts) {
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(ts).count();
  return fmt::format("{:%Y-%m-%d %H:%M:%S}", fmt::gmtime(static_cast<std::time_t>(seconds)));
}

double epoch_seconds(Timestamp ts) {
  return static_cast<double>(std::chrono::duration_cast<std::chrono::microseconds>(ts).count()) /
         1e6;
}

std::string cell(const std::string& raw) {
  return escape(std::string_view(raw).substr(0, std::min(raw.size(), kMaxSummaryColumn)));
}

}  // namespace

void print_summary_table(std::FILE* out, std::span<const Inventory::Row> rows) {
  constexpr std::size_t kColumns = 8;
  using Cells = std::array<std::string, kColumns>;
  std::vector<Cells> table;
  table.push_back(Cells{"SOFTWARE", "VERSION", "ROLE", "PROTOCOL", "HOSTS", "SEEN",
                        "FIRST SEEN (UTC)", "LAST SEEN (UTC)"});
  for (const auto& row : rows) {
    table.push_back(Cells{cell(row.software), row.version.empty() ? "-" : cell(row.version),
                          std::string(to_string(row.role)), std::string(to_string(row.protocol)),
                          fmt::format("{}", row.hosts.size()), fmt::format("{}", row.sightings),
                          utc(row.first_seen), utc(row.last_seen)});
  }
  std::array<std::size_t, kColumns> width{};
  for (const auto& cells : table) {
    for (std::size_t i = 0; i < kColumns; ++i) width[i] = std::max(width[i], cells[i].size());
  }
  for (const auto& cells : table) {
    std::string line;
    for (std::size_t i = 0; i < kColumns; ++i) {
      // Counts align right, text left; the last column needs no padding.
      const bool number = i == 4 || i == 5;
      if (i + 1 == kColumns) {
        line += cells[i];
      } else if (number) {
        line += fmt::format("{:>{}}  ", cells[i], width[i]);
      } else {
        line += fmt::format("{:<{}}  ", cells[i], width[i]);
      }
    }
    fmt::print(out, "{}\n", line);
  }
}

nlohmann::ordered_json to_json(const Inventory::Row& row) {
  nlohmann::ordered_json j;
  j["type"] = "inventory";
  j["software"] = escape(row.software);
  j["named"] = row.named;
  j["version"] = escape(row.version);
  j["role"] = to_string(row.role);
  j["protocol"] = to_string(row.protocol);
  auto hosts = nlohmann::ordered_json::array();
  for (const auto& h : row.hosts) hosts.push_back(h.to_string());
  j["hosts"] = std::move(hosts);
  j["host_count"] = row.hosts.size();
  j["sightings"] = row.sightings;
  j["first_seen"] = epoch_seconds(row.first_seen);
  j["last_seen"] = epoch_seconds(row.last_seen);
  return j;
}

}  // namespace flowkit::versiondetect
