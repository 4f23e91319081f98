// The TCP reassembler driven deep: a script of segments on a fixed pair of hosts (up to four
// client ports, so connection limits bite), each choosing flags, stream offsets, ACKs, window,
// urgent pointer and payload, under every overlap policy and tiny memory and connection caps.
// Offsets are relative to fuzzer-chosen ISNs, so streams wrap 2^32 when the ISN is near it.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_support.h"
#include "packet_builder.h"

namespace {

using namespace flowkit;

testing::Frame build(const fuzz::TcpScript& script, const fuzz::TcpRecord& r, Timestamp now) {
  const bool v6 = (script.options & 4U) != 0;
  const std::string client = v6 ? "2001:db8::1" : "192.0.2.1";
  const std::string server = v6 ? "2001:db8::2" : "192.0.2.2";
  const auto client_port = static_cast<std::uint16_t>(40000 + r.client_port);
  const std::uint32_t own_isn = r.from_server ? script.server_isn : script.client_isn;
  const std::uint32_t peer_isn = r.from_server ? script.client_isn : script.server_isn;
  testing::PacketBuilder b;
  b.link((script.options & 8U) != 0 ? testing::Link::Ethernet : testing::Link::Raw);
  if ((script.options & 8U) != 0) b.vlan(7);
  if (v6) {
    b.ipv6(r.from_server ? server : client, r.from_server ? client : server);
  } else {
    b.ipv4(r.from_server ? server : client, r.from_server ? client : server);
  }
  b.tcp(r.from_server ? 80 : client_port, r.from_server ? client_port : 80);
  // A SYN occupies the sequence number before offset 0.
  const bool syn = (r.flags & testing::tcp_flags::SYN) != 0;
  b.seq(own_isn + (syn ? 0U : 1U) + r.offset).ack(peer_isn + 1U + r.ack).flags(r.flags);
  b.window(static_cast<std::uint16_t>((r.window + 1U) * 256U - 1U)).urgent(r.urgent);
  if (syn && (r.window & 1U) != 0) {
    // MSS and window scale options: the shift comes from the window byte.
    const std::byte options[] = {
        std::byte{2}, std::byte{4},
        std::byte{5}, std::byte{0xb4},
        std::byte{1}, std::byte{3},
        std::byte{3}, std::byte{static_cast<unsigned char>(r.window >> 4)}};
    b.tcp_options(options);
  }
  b.payload(r.payload).time(now);
  auto frame = b.build();
  if (r.patch && !frame.bytes.empty()) {
    auto& target = frame.bytes[r.patch_at % frame.bytes.size()];
    target ^= std::byte{r.patch_xor};
  }
  return frame;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::ByteReader in(data, size);
  const auto script = fuzz::TcpScript::decode(in);
  const Config config = script.config();
  fuzz::CheckingHandler handler(fuzz::handler_mode(script.handler));
  Reassembler reassembler(config, handler);
  handler.attach(reassembler);

  constexpr Duration kSteps[] = {Duration{0}, std::chrono::milliseconds(1), std::chrono::seconds(1),
                                 std::chrono::seconds(40)};
  Timestamp now = std::chrono::seconds(1700000000);
  for (const auto& record : script.records) {
    now += kSteps[record.time_step];
    const auto frame = build(script, record, now);
    reassembler.process(frame.view());
    fuzz::check_memory(reassembler, config, handler);
  }
  reassembler.for_each_connection([](Connection& c) { fuzz::touch_text(c.key().to_string()); });
  reassembler.finish();
  handler.check_finished(reassembler);
  return 0;
}
