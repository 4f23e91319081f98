#include "recorder.h"

#include <fmt/format.h>

#include <algorithm>

namespace flowkit::testing {

void Recorder::on_established(Connection& c) {
  events.push_back(
      fmt::format("established {}{}", c.key().to_string(), c.midstream() ? " midstream" : ""));
  c.collect(Direction::ToServer, collect_to_server);
  c.collect(Direction::ToClient, collect_to_client);
  streams[c.id()];
}

std::size_t Recorder::on_data(Connection& c, Direction d, const StreamChunk& chunk) {
  // Record only the new bytes: kept ones were recorded when first offered.
  const auto fresh = chunk.bytes.last(chunk.new_bytes);
  streams[c.id()].of(d).append(reinterpret_cast<const char*>(fresh.data()), fresh.size());
  return std::min(chunk.bytes.size(), consume_limit);
}

void Recorder::on_gap(Connection& c, Direction d, std::uint64_t offset, std::uint64_t length,
                      GapReason reason) {
  events.push_back(fmt::format("gap {} {} offset {} length {} {}", c.id(), to_string(d), offset,
                               length, to_string(reason)));
}

void Recorder::on_overlap_conflict(Connection& c, Direction d, std::uint64_t offset,
                                   std::uint64_t length) {
  events.push_back(
      fmt::format("conflict {} {} offset {} length {}", c.id(), to_string(d), offset, length));
}

void Recorder::on_end(Connection& c, EndReason reason) {
  events.push_back(fmt::format("end {} {}", c.id(), to_string(reason)));
}

void Recorder::on_udp(const PacketInfo& pkt) {
  udp_payloads.emplace_back(reinterpret_cast<const char*>(pkt.payload.data()), pkt.payload.size());
}

std::string Recorder::bytes(Direction d, std::uint64_t id) const {
  const auto it = streams.find(id);
  if (it == streams.end()) return {};
  return d == Direction::ToServer ? it->second.to_server : it->second.to_client;
}

std::vector<std::string> Recorder::events_starting(std::string_view prefix) const {
  std::vector<std::string> out;
  std::copy_if(events.begin(), events.end(), std::back_inserter(out),
               [&](const std::string& e) { return e.starts_with(prefix); });
  return out;
}

Stats run_frames(const Config& config, Recorder& recorder, std::span<const Frame> frames) {
  Reassembler reassembler(config, recorder);
  for (const auto& frame : frames) reassembler.process(frame.view());
  reassembler.finish();
  return reassembler.stats();
}

}  // namespace flowkit::testing
