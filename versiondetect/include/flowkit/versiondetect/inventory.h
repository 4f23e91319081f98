#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "flowkit/ip_address.h"
#include "flowkit/timestamp.h"
#include "flowkit/versiondetect/sighting.h"

namespace flowkit::versiondetect {

/// Everything seen so far: tells which sightings are new (unique output) and keeps the totals
/// per software for the summary. Grows with the number of distinct (host, banner) pairs, not
/// with traffic.
class Inventory {
 public:
  /// One line of the summary: a software version in one role and protocol.
  struct Row {
    std::string software;  ///< parsed name, or the banner when no name was recognised (raw)
    bool named = false;    ///< `software` is a parsed name
    std::string version;   ///< to_string(Version), raw; empty when none
    Role role = Role::Server;
    Protocol protocol = Protocol::Ssh;
    std::set<IpAddress> hosts;
    std::uint64_t sightings = 0;
    Timestamp first_seen{};
    Timestamp last_seen{};
  };

  /// Records `s`; true when no earlier sighting had the same host, port, role, protocol, field
  /// and banner.
  bool add(const Sighting& s);

  /// The summary, sorted by software, version (numerically), role and protocol.
  [[nodiscard]] std::vector<Row> rows() const;
  /// Distinct sightings so far.
  [[nodiscard]] std::size_t unique_count() const noexcept { return seen_.size(); }

 private:
  using SeenKey = std::tuple<IpAddress, std::uint16_t, Role, Protocol, Field, std::string>;
  // Versions sort by their numbers (9.2 before 10.0), not as text.
  using RowKey = std::tuple<std::string, Version, Role, Protocol>;

  std::set<SeenKey> seen_;
  std::map<RowKey, Row> rows_;
};

}  // namespace flowkit::versiondetect
