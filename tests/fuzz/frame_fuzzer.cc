// The decoder and the whole Reassembler on one captured frame: the first input byte picks the
// link type, the second the configuration, the third the handler's behaviour; the rest is the
// frame. It is fed twice (a retransmission finds the connection the first copy created), with
// mid-stream pick-up on so that a lone segment reaches the TCP tracker.
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>

#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace flowkit;
  fuzz::ByteReader in(data, size);
  const int link_type = fuzz::kFrameLinkTypes[in.u8() % fuzz::kFrameLinkTypes.size()];
  const std::uint8_t options = in.u8();
  const std::uint8_t handler_bits = in.u8();
  const auto bytes = in.rest();

  Config config;
  config.tcp.midstream = (options & 1U) == 0;
  config.verify_ip_checksum = (options & 2U) != 0;
  config.verify_l4_checksum = (options & 4U) != 0;
  config.defrag.enabled = (options & 8U) == 0;
  constexpr std::array kPolicies{OverlapPolicy::First,   OverlapPolicy::Last,
                                 OverlapPolicy::Bsd,     OverlapPolicy::Linux,
                                 OverlapPolicy::Windows, OverlapPolicy::Solaris};
  config.tcp.policy = config.defrag.policy = kPolicies[(options >> 4) % kPolicies.size()];

  fuzz::CheckingHandler handler(fuzz::handler_mode(handler_bits));
  Reassembler reassembler(config, handler);
  handler.attach(reassembler);
  RawFrame frame;
  frame.link_type = link_type;
  frame.data = bytes;
  // The wire length may claim more than was captured (snaplen), never less.
  frame.wire_length =
      static_cast<std::uint32_t>(bytes.size()) + ((options & 0x80U) != 0 ? 100U : 0U);
  frame.ts = std::chrono::seconds(1700000000);
  reassembler.process(frame);
  frame.ts += std::chrono::seconds(1);
  reassembler.process(frame);
  fuzz::check_memory(reassembler, config, handler);
  reassembler.finish();
  handler.check_finished(reassembler);
  return 0;
}
