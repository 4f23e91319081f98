#pragma once

#include <cstddef>
#include <cstdint>

#include "flowkit/handler.h"
#include "flowkit/versiondetect/sighting.h"

namespace flowkit::versiondetect {

/// The flowkit Handler that finds banners. Each connection gets a parser per direction that
/// recognises its protocol from the first bytes, reports what names software, and switches
/// collection of that direction off (Connection::collect) as soon as nothing more can come:
/// after an SSH identification or a greeting, after the headers of the first SMTP message.
/// HTTP directions stay on for keep-alive and pipelining, but bodies are skipped by their
/// framing, never buffered. At most a few KiB are held per direction (one line).
class Detector final : public Handler {
 public:
  explicit Detector(SightingSink& sink) noexcept : sink_(&sink) {}

  void on_established(Connection& conn) override;
  std::size_t on_data(Connection& conn, Direction dir, const StreamChunk& chunk) override;
  void on_gap(Connection& conn, Direction dir, std::uint64_t offset, std::uint64_t length,
              GapReason reason) override;
  void on_end(Connection& conn, EndReason reason) override;

 private:
  SightingSink* sink_;
};

}  // namespace flowkit::versiondetect
