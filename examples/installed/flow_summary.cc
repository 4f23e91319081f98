// Reassembles the TCP connections of capture files and prints how many there were and how many
// stream bytes went each way. Built against an installed flowkit (see CMakeLists.txt beside it):
//   flow_summary capture.pcap [more.pcap ...]
// prints
//   connections 6
//   bytes to-server 1249
//   bytes to-client 959
//   gaps 0
#include <array>
#include <cstdint>
#include <cstdio>
#include <exception>

#include "flowkit/packet_source.h"
#include "flowkit/reassembler.h"

namespace {

class Totals final : public flowkit::Handler {
 public:
  std::size_t on_data(flowkit::Connection& /*conn*/, flowkit::Direction d,
                      const flowkit::StreamChunk& chunk) override {
    bytes_[static_cast<std::size_t>(d)] += chunk.new_bytes;
    return chunk.bytes.size();
  }
  void on_gap(flowkit::Connection& /*conn*/, flowkit::Direction /*dir*/, std::uint64_t /*offset*/,
              std::uint64_t /*length*/, flowkit::GapReason /*reason*/) override {
    ++gaps_;
  }
  void on_end(flowkit::Connection& /*conn*/, flowkit::EndReason /*reason*/) override {
    ++connections_;
  }

  void print() const {
    std::printf("connections %llu\n", static_cast<unsigned long long>(connections_));
    for (const auto d : {flowkit::Direction::ToServer, flowkit::Direction::ToClient}) {
      const auto name = flowkit::to_string(d);
      std::printf("bytes %.*s %llu\n", static_cast<int>(name.size()), name.data(),
                  static_cast<unsigned long long>(bytes_[static_cast<std::size_t>(d)]));
    }
    std::printf("gaps %llu\n", static_cast<unsigned long long>(gaps_));
  }

 private:
  std::uint64_t connections_ = 0;
  std::uint64_t gaps_ = 0;
  std::array<std::uint64_t, 2> bytes_{};
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s capture.pcap [more.pcap ...]\n", argv[0]);
    return 2;
  }
  try {
    flowkit::SourceOptions options;
    options.files.assign(argv + 1, argv + argc);
    auto source = flowkit::PacketSource::open(options);
    Totals totals;
    flowkit::Reassembler reassembler(flowkit::Config{}, totals);
    flowkit::reassemble(source, reassembler);
    totals.print();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "flow_summary: %s\n", e.what());
    return 2;
  }
  return 0;
}
