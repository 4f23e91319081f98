#pragma once

#include <nlohmann/json.hpp>

#include <cstdio>
#include <span>

#include "flowkit/versiondetect/inventory.h"

namespace flowkit::versiondetect {

/// The inventory as an aligned text table: SOFTWARE VERSION ROLE PROTOCOL HOSTS SEEN FIRST-SEEN
/// LAST-SEEN (times in UTC). Long names are cut to kMaxSummaryColumn bytes; all text escaped.
inline constexpr std::size_t kMaxSummaryColumn = 48;
void print_summary_table(std::FILE* out, std::span<const Inventory::Row> rows);

/// One row as JSON: type "inventory", software, version, role, protocol, hosts (sorted),
/// host_count, sightings, first_seen, last_seen (epoch seconds).
[[nodiscard]] nlohmann::ordered_json to_json(const Inventory::Row& row);

}  // namespace flowkit::versiondetect
