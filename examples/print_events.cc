// The shortest useful flowkit program: print every event of every TCP connection in a capture.
//   print_events capture.pcap [more.pcap ...]
#include <fmt/format.h>

#include <cstdio>

#include "flowkit/packet_source.h"
#include "flowkit/reassembler.h"

namespace {

class PrintEvents final : public flowkit::Handler {
 public:
  void on_established(flowkit::Connection& c) override {
    fmt::print("{} established {}\n", c.id(), c.key().to_string());
  }
  std::size_t on_data(flowkit::Connection& c, flowkit::Direction d,
                      const flowkit::StreamChunk& chunk) override {
    fmt::print("{} data {} offset {} bytes {}\n", c.id(), flowkit::to_string(d), chunk.offset,
               chunk.new_bytes);
    return chunk.bytes.size();
  }
  void on_gap(flowkit::Connection& c, flowkit::Direction d, std::uint64_t offset,
              std::uint64_t length, flowkit::GapReason why) override {
    fmt::print("{} gap {} offset {} bytes {} ({})\n", c.id(), flowkit::to_string(d), offset, length,
               flowkit::to_string(why));
  }
  void on_end(flowkit::Connection& c, flowkit::EndReason why) override {
    fmt::print("{} {} {}\n", c.id(), flowkit::to_string(why), c.key().to_string());
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fmt::print(stderr, "usage: {} capture.pcap [more.pcap ...]\n", argv[0]);
    return 2;
  }
  try {
    flowkit::SourceOptions options;
    options.files.assign(argv + 1, argv + argc);
    auto source = flowkit::PacketSource::open(options);
    PrintEvents printer;
    flowkit::Reassembler reassembler(flowkit::Config{}, printer);
    flowkit::reassemble(source, reassembler);
  } catch (const flowkit::CaptureError& e) {
    fmt::print(stderr, "print_events: {}\n", e.what());
    return 2;
  }
  return 0;
}
