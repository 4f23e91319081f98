#include "rst_injector.h"

#include <fmt/format.h>
#include <libnet.h>

#include <cstring>
#include <mutex>

namespace flowkit::flowgrep {

namespace {

struct LibnetFree {
  void operator()(libnet_t* l) const noexcept { libnet_destroy(l); }
};
using LibnetHandle = std::unique_ptr<libnet_t, LibnetFree>;

LibnetHandle open_libnet(int type, const char* family) {
  char errbuf[LIBNET_ERRBUF_SIZE] = {};
  LibnetHandle handle(libnet_init(type, nullptr, errbuf));
  if (!handle) {
    throw InjectError(
        fmt::format("cannot open a raw {} socket for --kill (needs root or "
                    "CAP_NET_RAW): {}",
                    family, errbuf));
  }
  return handle;
}

class LibnetInjector final : public RstInjector {
 public:
  LibnetInjector() : v4_(open_libnet(LIBNET_RAW4, "IPv4")), v6_(open_libnet(LIBNET_RAW6, "IPv6")) {}

  void send(const RstPacket& rst) override {
    std::lock_guard lock(mutex_);  // libnet handles are not thread-safe
    libnet_t* l = rst.src.is_v6() ? v6_.get() : v4_.get();
    libnet_clear_packet(l);
    // RST|ACK with the exact sequence number the receiver expects (RFC 5961) and zero window.
    if (libnet_build_tcp(rst.src_port, rst.dst_port, rst.seq, rst.ack, TH_RST | TH_ACK, 0, 0, 0,
                         LIBNET_TCP_H, nullptr, 0, l, 0) == -1) {
      fail(l);
    }
    if (rst.src.is_v6()) {
      libnet_in6_addr src{};
      libnet_in6_addr dst{};
      std::memcpy(&src, rst.src.bytes().data(), 16);
      std::memcpy(&dst, rst.dst.bytes().data(), 16);
      if (libnet_build_ipv6(0, 0, LIBNET_TCP_H, IPPROTO_TCP, 64, src, dst, nullptr, 0, l, 0) ==
          -1) {
        fail(l);
      }
    } else {
      std::uint32_t src = 0;
      std::uint32_t dst = 0;
      std::memcpy(&src, rst.src.bytes().data(), 4);
      std::memcpy(&dst, rst.dst.bytes().data(), 4);
      if (libnet_build_ipv4(LIBNET_IPV4_H + LIBNET_TCP_H, 0, 0, 0, 64, IPPROTO_TCP, 0, src, dst,
                            nullptr, 0, l, 0) == -1) {
        fail(l);
      }
    }
    if (libnet_write(l) == -1) fail(l);
  }

 private:
  [[noreturn]] static void fail(libnet_t* l) {
    throw InjectError(fmt::format("cannot send RST: {}", libnet_geterror(l)));
  }
  std::mutex mutex_;
  LibnetHandle v4_;
  LibnetHandle v6_;
};

}  // namespace

std::unique_ptr<RstInjector> make_libnet_injector() {
  return std::make_unique<LibnetInjector>();
}

}  // namespace flowkit::flowgrep
