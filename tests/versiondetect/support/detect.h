#pragma once

#include <span>
#include <string>
#include <vector>

#include "flowkit/config.h"
#include "flowkit/stats.h"
#include "flowkit/versiondetect/sighting.h"
#include "packet_builder.h"

namespace flowkit::versiondetect::testing {

/// Keeps every sighting, in order.
class Collector final : public SightingSink {
 public:
  void on_sighting(const Sighting& s) override { sightings.push_back(s); }
  std::vector<Sighting> sightings;
};

/// What a run of the detector over crafted frames produced.
struct Detection {
  std::vector<Sighting> sightings;
  Stats stats;
  /// Each sighting as its default output line ("IP PORT BANNER").
  [[nodiscard]] std::vector<std::string> lines() const;
};

/// Feeds `frames` to a Reassembler with a Detector, then finish().
Detection detect(std::span<const flowkit::testing::Frame> frames, const Config& config = {});

/// Sightings of a capture file (or directory), read the way the tool reads them.
std::vector<Sighting> detect_file(const std::string& path, const Config& config = {});

}  // namespace flowkit::versiondetect::testing
