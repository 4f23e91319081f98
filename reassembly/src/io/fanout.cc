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

std::uint16_t join_fanout(pcap_t* pcap, const std::string& interface, std::uint16_t group) {
#if defined(__linux__) && defined(PACKET_FANOUT_FLAG_UNIQUEID)
  const int fd = pcap_fileno(pcap);
  // The hash is the kernel's symmetric flow hash; a new group asks for an id of its own, so
  // that another process capturing the same way cannot share (and split) our packets.
  std::uint32_t mode = PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG;
  if (group == 0) mode |= PACKET_FANOUT_FLAG_UNIQUEID;
  std::uint32_t arg = group | (mode << 16);
  if (fd < 0 || ::setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof arg) != 0) {
    throw CaptureError(fmt::format("{}: cannot join an AF_PACKET fanout group (--fanout): {}",
                                   interface, std::strerror(fd < 0 ? EBADF : errno)));
  }
  if (group != 0) return group;
  socklen_t length = sizeof arg;
  if (::getsockopt(fd, SOL_PACKET, PACKET_FANOUT, &arg, &length) != 0) {
    throw CaptureError(fmt::format("{}: cannot read the AF_PACKET fanout group's id: {}",
                                   interface, std::strerror(errno)));
  }
  return static_cast<std::uint16_t>(arg & 0xffffu);
#else
  (void)pcap;
  (void)group;
  throw CaptureError(
      fmt::format("{}: AF_PACKET fanout (--fanout) needs Linux 4.5 or later", interface));
#endif
}

}  // namespace flowkit::detail
