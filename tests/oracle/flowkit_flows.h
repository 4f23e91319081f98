#pragma once

#include <string>
#include <vector>

#include "flow_bytes.h"
#include "flowkit/config.h"

namespace flowkit::oracle {

/// Where flowkit skipped bytes, in the coordinates of the delivered bytes (gaps are not filled).
struct FlowkitGap {
  std::size_t flow = 0;    ///< index into FlowkitFlows::flows
  bool from_a = true;      ///< the client's direction
  std::size_t offset = 0;  ///< position in from_a/from_b where bytes are missing
  std::uint64_t missing = 0;
};

struct FlowkitFlows {
  FlowSet flows;  ///< in order of creation, a = the client
  std::vector<FlowkitGap> gaps;
  [[nodiscard]] bool has_gap_at(std::size_t flow, bool from_a, std::size_t offset) const;
};

/// flowkit's own reassembly of every TCP connection in a capture.
[[nodiscard]] FlowkitFlows flowkit_flows(const std::string& pcap_path, const Config& config);

}  // namespace flowkit::oracle
