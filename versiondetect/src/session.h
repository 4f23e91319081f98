#pragma once

#include <cstdint>
#include <span>

#include "client_side.h"
#include "flowkit/connection.h"
#include "reporter.h"
#include "server_side.h"

namespace flowkit::versiondetect {

/// The state versiondetect keeps for one TCP connection: one parser per direction and what
/// they share.
class Session final : public ConnectionData {
 public:
  void feed(Direction dir, std::span<const std::byte> bytes, const Reporter& reporter);
  void on_gap(Direction dir, std::uint64_t length, const Reporter& reporter);
  /// The connection ended: last partial lines, and a greeting still waiting for its protocol.
  void finish(const Reporter& reporter);
  /// Nothing more to learn from this direction.
  [[nodiscard]] bool done(Direction dir) const noexcept;

 private:
  SharedState shared_;
  ServerSide server_;
  ClientSide client_;
  bool finished_ = false;
};

}  // namespace flowkit::versiondetect
