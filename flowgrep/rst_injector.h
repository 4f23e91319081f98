#pragma once

#include <memory>
#include <stdexcept>
#include <string>

#include "report.h"

namespace flowkit::flowgrep {

/// Injecting a packet failed (no privileges, no route, ...).
class InjectError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Sends forged TCP RSTs. Implementations are safe to share between threads.
class RstInjector {
 public:
  virtual ~RstInjector() = default;
  /// Throws InjectError.
  virtual void send(const RstPacket& rst) = 0;
};

/// Through libnet raw IPv4/IPv6 sockets (the kernel routes them; a local destination is
/// delivered locally). Opening needs root or CAP_NET_RAW: the constructor checks it, so
/// `--kill` fails at start rather than at the first match.
std::unique_ptr<RstInjector> make_libnet_injector();

}  // namespace flowkit::flowgrep
