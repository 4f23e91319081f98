#include "support/detect.h"

#include "flowkit/packet_source.h"
#include "flowkit/reassembler.h"
#include "flowkit/versiondetect/detector.h"
#include "flowkit/versiondetect/sighting_format.h"

namespace flowkit::versiondetect::testing {

std::vector<std::string> Detection::lines() const {
  std::vector<std::string> out;
  out.reserve(sightings.size());
  for (const auto& s : sightings) out.push_back(format_text(s));
  return out;
}

Detection detect(std::span<const flowkit::testing::Frame> frames, const Config& config) {
  Collector collector;
  Detector detector(collector);
  Reassembler reassembler(config, detector);
  for (const auto& frame : frames) reassembler.process(frame.view());
  reassembler.finish();
  return Detection{std::move(collector.sightings), reassembler.stats()};
}

std::vector<Sighting> detect_file(const std::string& path, const Config& config) {
  SourceOptions options;
  options.files = {path};
  auto source = PacketSource::open(options);
  Collector collector;
  Detector detector(collector);
  Reassembler reassembler(config, detector);
  reassemble(source, reassembler);
  return std::move(collector.sightings);
}

}  // namespace flowkit::versiondetect::testing
