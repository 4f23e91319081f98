#include "io/fanout.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

#if defined(__linux__)
#include <linux/if_packet.h>
#include <sys/socket.h>
#endif

#include "flowkit/capture_file.h"

namespace flowkit::detail {

#if defined(__linux__) && defined(PACKET_FANOUT_FLAG_UNIQUEID)

namespace {

constexpr std::uint32_t kMode = PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG;

void set_fanout(pcap_t* pcap, const std::string& interface, std::uint32_t arg) {
  const int fd = pcap_fileno(pcap);
  if (fd < 0 || ::setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof arg) != 0) {
    throw CaptureError(fmt::format("{}: cannot join an AF_PACKET fanout group (--fanout): {}",
                                   interface, std::strerror(fd < 0 ? EBADF : errno)));
  }
}

}  // namespace

std::uint16_t start_fanout_group(pcap_t* pcap, const std::string& interface) {
  // A unique id, so that another process capturing the same way cannot share (and split) our
  // packets.
  set_fanout(pcap, interface, (kMode | PACKET_FANOUT_FLAG_UNIQUEID) << 16);
  std::uint32_t arg = 0;
  socklen_t length = sizeof arg;
  if (::getsockopt(pcap_fileno(pcap), SOL_PACKET, PACKET_FANOUT, &arg, &length) != 0) {
    throw CaptureError(fmt::format("{}: cannot read the AF_PACKET fanout group's id: {}", interface,
                                   std::strerror(errno)));
  }
  return static_cast<std::uint16_t>(arg & 0xffffu);
}

void join_fanout_group(pcap_t* pcap, const std::string& interface, std::uint16_t group) {
  set_fanout(pcap, interface, group | (kMode << 16));
}

#else

namespace {
[[noreturn]] void no_fanout(const std::string& interface) {
  throw CaptureError(
      fmt::format("{}: AF_PACKET fanout (--fanout) needs Linux 4.5 or later", interface));
}
}  // namespace

std::uint16_t start_fanout_group(pcap_t*, const std::string& interface) {
  no_fanout(interface);
}
void join_fanout_group(pcap_t*, const std::string& interface, std::uint16_t) {
  no_fanout(interface);
}

#endif

}  // namespace flowkit::detail
