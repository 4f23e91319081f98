#pragma once

#include <cstdint>
#include <cstdio>
#include <mutex>

#include "flowkit/versiondetect/inventory.h"
#include "flowkit/versiondetect/sighting.h"

namespace flowkit::versiondetect {

/// How sightings are written.
struct PrintOptions {
  bool json = false;        ///< JSON lines instead of "IP PORT BANNER"
  bool all = false;         ///< every sighting, not only the first of each kind
  bool flush_each = false;  ///< flush after every line (live capture into a pipe)
};

/// A SightingSink that prints sightings as they come and keeps the inventory for the summary.
/// Thread-safe: the detectors of several reassembly threads may share one.
class Printer final : public SightingSink {
 public:
  Printer(std::FILE* out, PrintOptions options) noexcept : out_(out), options_(options) {}

  void on_sighting(const Sighting& s) override;
  /// The inventory table (or its JSON rows with --json).
  void print_summary();

  /// Lines printed so far (call when no thread is adding sightings).
  [[nodiscard]] std::uint64_t printed() const noexcept { return printed_; }

 private:
  std::mutex mutex_;  // one sighting is written and recorded at a time
  std::FILE* out_;
  PrintOptions options_;
  Inventory inventory_;
  std::uint64_t printed_ = 0;
};

}  // namespace flowkit::versiondetect
