#include "pcapng_crafting.h"

namespace flowkit::testing {

Encoder& Encoder::u8(std::uint32_t v) {
  out_ += static_cast<char>(v & 0xFF);
  return *this;
}

Encoder& Encoder::u64(std::uint64_t v) {
  const auto hi = static_cast<std::uint32_t>(v >> 32);
  const auto lo = static_cast<std::uint32_t>(v);
  return big_ ? u32(hi).u32(lo) : u32(lo).u32(hi);
}

Encoder& Encoder::raw(std::string_view bytes) {
  out_ += bytes;
  return *this;
}

Encoder& Encoder::pad4() {
  while (out_.size() % 4 != 0) out_ += '\0';
  return *this;
}

std::string block(bool big, std::uint32_t type, std::string_view body) {
  Encoder padded(big);
  padded.raw(body).pad4();
  const auto total = static_cast<std::uint32_t>(12 + padded.str().size());
  return Encoder(big).u32(type).u32(total).raw(padded.str()).u32(total).str();
}

std::string section_header(bool big, std::uint16_t major) {
  return block(big, 0x0A0D0D0A, Encoder(big).u32(0x1A2B3C4D).u16(major).u16(0).u64(~0ULL).str());
}

std::string option(bool big, std::uint16_t code, std::string_view value) {
  return Encoder(big)
      .u16(code)
      .u16(static_cast<std::uint32_t>(value.size()))
      .raw(value)
      .pad4()
      .str();
}

std::string interface_block(bool big, std::uint16_t link_type, std::uint32_t snaplen,
                            std::optional<std::uint8_t> tsresol,
                            std::optional<std::int64_t> tsoffset) {
  Encoder body(big);
  body.u16(link_type).u16(0).u32(snaplen);
  body.raw(option(big, 2, "eth0"));  // if_name, to check options are skipped
  if (tsresol) body.raw(option(big, 9, std::string(1, static_cast<char>(*tsresol))));
  if (tsoffset) {
    body.raw(option(big, 14, Encoder(big).u64(static_cast<std::uint64_t>(*tsoffset)).str()));
  }
  body.u32(0);  // opt_endofopt
  return block(big, 1, body.str());
}

std::string enhanced_packet(bool big, std::uint32_t iface, std::uint64_t ticks,
                            std::string_view data, std::uint32_t wire,
                            std::optional<std::uint32_t> caplen) {
  Encoder body(big);
  body.u32(iface)
      .u32(static_cast<std::uint32_t>(ticks >> 32))
      .u32(static_cast<std::uint32_t>(ticks));
  body.u32(caplen.value_or(static_cast<std::uint32_t>(data.size()))).u32(wire).raw(data).pad4();
  body.raw(option(big, 1, "a comment")).u32(0);
  return block(big, 6, body.str());
}

std::string simple_packet(bool big, std::string_view data, std::uint32_t wire) {
  return block(big, 3, Encoder(big).u32(wire).raw(data).str());
}

std::string obsolete_packet(bool big, std::uint16_t iface, std::uint64_t ticks,
                            std::string_view data, std::uint32_t wire) {
  Encoder body(big);
  body.u16(iface)
      .u16(0)
      .u32(static_cast<std::uint32_t>(ticks >> 32))
      .u32(static_cast<std::uint32_t>(ticks));
  body.u32(static_cast<std::uint32_t>(data.size())).u32(wire).raw(data);
  return block(big, 2, body.str());
}

std::string enhanced_packets(bool big, std::uint32_t iface, std::span<const RawFrame> frames) {
  std::string out;
  for (const auto& f : frames) {
    const std::string_view data(reinterpret_cast<const char*>(f.data.data()), f.data.size());
    out +=
        enhanced_packet(big, iface, static_cast<std::uint64_t>(f.ts.count()), data, f.wire_length);
  }
  return out;
}

}  // namespace flowkit::testing
