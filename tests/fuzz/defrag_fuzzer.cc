// IP defragmentation: a sequence of IPv4 and IPv6 fragments of a few datagrams between two
// hosts, each record choosing family, identification, offset, MF and data (the data of offset 0
// starts with the upper-layer header, so completed datagrams go on into UDP and TCP), under every
// overlap policy with small memory, datagram and fragment limits. A record may also flip one
// byte of its frame, reaching malformed headers from valid ones.
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>

#include "fuzz_support.h"
#include "packet_builder.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace flowkit;
  fuzz::ByteReader in(data, size);
  const std::uint8_t options = in.u8();
  const std::uint8_t limits = in.u8();

  Config config;
  constexpr std::array kPolicies{OverlapPolicy::First,   OverlapPolicy::Last,
                                 OverlapPolicy::Bsd,     OverlapPolicy::Linux,
                                 OverlapPolicy::Windows, OverlapPolicy::Solaris};
  config.defrag.policy = config.tcp.policy = kPolicies[options % kPolicies.size()];
  config.tcp.midstream = true;
  config.verify_ip_checksum = (options & 0x40U) != 0;
  constexpr std::array<std::size_t, 4> kMemcaps{64, 600, 5000, 1U << 20};
  constexpr std::array<std::size_t, 4> kMaxDatagrams{0, 1, 2, 64};
  constexpr std::array<std::size_t, 4> kMaxFragments{1, 2, 5, 512};
  config.defrag.memcap = kMemcaps[limits & 3U];
  config.defrag.max_datagrams = kMaxDatagrams[(limits >> 2) & 3U];
  config.defrag.max_fragments_per_datagram = kMaxFragments[(limits >> 4) & 3U];
  config.defrag.timeout = std::chrono::seconds(5);
  config.tcp.memcap = 4096;  // keeps check_memory's bound close to the defragmenter's cap

  fuzz::CheckingHandler handler;
  Reassembler reassembler(config, handler);
  handler.attach(reassembler);
  Timestamp now = std::chrono::seconds(1700000000);
  while (!in.empty()) {
    const std::uint8_t control = in.u8();
    const bool v6 = (control & 1U) != 0;
    const bool more = (control & 2U) != 0;
    const std::uint8_t id = (control >> 2) & 3U;
    const std::uint8_t protocol = (control & 0x10U) != 0 ? kProtoTcp : kProtoUdp;
    const bool patch = (control & 0x20U) != 0;
    if ((control & 0x40U) != 0) now += std::chrono::seconds(3);
    // Offsets in 8-byte blocks up to 8191 (both families' limit), data up to 1023 bytes.
    const std::uint32_t offset = (in.u16() & 0x1FFFU) * 8U;
    const auto length = static_cast<std::size_t>(in.u16() & 0x3FFU);
    const auto bytes = in.bytes(length);
    testing::Frame frame = v6 ? testing::ipv6_fragment("2001:db8::1", "2001:db8::2", 0x1000U + id,
                                                       protocol, offset, more, bytes, now)
                              : testing::ipv4_fragment("192.0.2.1", "192.0.2.2",
                                                       static_cast<std::uint16_t>(0x1000U + id),
                                                       protocol, offset, more, bytes, now);
    if (patch) {
      const std::uint8_t at = in.u8();
      const std::uint8_t mask = in.u8();
      frame.bytes[at % frame.bytes.size()] ^= std::byte{mask};
    }
    reassembler.process(frame.view());
    fuzz::check_memory(reassembler, config, handler);
  }
  reassembler.finish();
  handler.check_finished(reassembler);
  return 0;
}
