#include "flowkit/versiondetect/inventory.h"

#include <algorithm>

namespace flowkit::versiondetect {

bool Inventory::add(const Sighting& s) {
  const bool fresh = seen_.emplace(s.host, s.port, s.role, s.protocol, s.field, s.banner).second;

  const bool named = !s.software.name.empty();
  RowKey key{named ? s.software.name : s.banner, s.software.version, s.role, s.protocol};
  auto [it, inserted] = rows_.try_emplace(std::move(key));
  Row& row = it->second;
  if (inserted) {
    row.software = std::get<0>(it->first);
    row.named = named;
    row.version = to_string(s.software.version);
    row.role = s.role;
    row.protocol = s.protocol;
    row.first_seen = s.ts;
    row.last_seen = s.ts;
  }
  row.hosts.insert(s.host);
  ++row.sightings;
  row.first_seen = std::min(row.first_seen, s.ts);
  row.last_seen = std::max(row.last_seen, s.ts);
  return fresh;
}

std::vector<Inventory::Row> Inventory::rows() const {
  std::vector<Row> out;
  out.reserve(rows_.size());
  for (const auto& [key, row] : rows_) out.push_back(row);
  return out;
}

}  // namespace flowkit::versiondetect
