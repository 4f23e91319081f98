#include "flowkit_flows.h"

#include <algorithm>
#include <map>

#include "flowkit/packet_source.h"
#include "flowkit/reassembler.h"

namespace flowkit::oracle {

namespace {

class Collector final : public Handler {
 public:
  void on_established(Connection& c) override {
    FlowBytes flow;
    flow.a = {c.key().client.to_string(), c.key().client_port};
    flow.b = {c.key().server.to_string(), c.key().server_port};
    flows_.emplace(c.id(), std::move(flow));
  }
  std::size_t on_data(Connection& c, Direction d, const StreamChunk& chunk) override {
    out(c, d).append(reinterpret_cast<const char*>(chunk.bytes.data()), chunk.bytes.size());
    return chunk.bytes.size();
  }
  void on_gap(Connection& c, Direction d, std::uint64_t, std::uint64_t length, GapReason) override {
    gaps_.push_back({c.id(), d == Direction::ToServer, out(c, d).size(), length});
  }
  FlowkitFlows take() {
    FlowkitFlows result;
    std::map<std::uint64_t, std::size_t> index;
    for (auto& [id, flow] : flows_) {
      index[id] = result.flows.size();
      result.flows.push_back(std::move(flow));
    }
    for (const auto& g : gaps_) {
      result.gaps.push_back({index.at(g.id), g.from_a, g.offset, g.missing});
    }
    return result;
  }

 private:
  struct Gap {
    std::uint64_t id;
    bool from_a;
    std::size_t offset;
    std::uint64_t missing;
  };
  std::string& out(Connection& c, Direction d) {
    auto& flow = flows_.at(c.id());
    return d == Direction::ToServer ? flow.from_a : flow.from_b;
  }
  std::map<std::uint64_t, FlowBytes> flows_;  // ordered by connection id = creation order
  std::vector<Gap> gaps_;
};

}  // namespace

bool FlowkitFlows::has_gap_at(std::size_t flow, bool from_a, std::size_t offset) const {
  return std::any_of(gaps.begin(), gaps.end(), [&](const FlowkitGap& g) {
    return g.flow == flow && g.from_a == from_a && g.offset == offset;
  });
}

FlowkitFlows flowkit_flows(const std::string& pcap_path, const Config& config) {
  SourceOptions options;
  options.files = {pcap_path};
  auto source = PacketSource::open(options);
  Collector collector;
  Reassembler reassembler(config, collector);
  reassemble(source, reassembler);
  return collector.take();
}

}  // namespace flowkit::oracle
