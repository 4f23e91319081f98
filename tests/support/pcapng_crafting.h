#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "flowkit/raw_frame.h"

namespace flowkit::testing {

/// Serializes integers in a chosen byte order, to hand-craft capture files.
class Encoder {
 public:
  explicit Encoder(bool big_endian) : big_(big_endian) {}
  Encoder& u8(std::uint32_t v);
  Encoder& u16(std::uint32_t v) { return big_ ? u8(v >> 8).u8(v) : u8(v).u8(v >> 8); }
  Encoder& u32(std::uint32_t v) { return big_ ? u16(v >> 16).u16(v) : u16(v).u16(v >> 16); }
  Encoder& u64(std::uint64_t v);
  Encoder& raw(std::string_view bytes);
  Encoder& pad4();
  [[nodiscard]] const std::string& str() const { return out_; }

 private:
  bool big_;
  std::string out_;
};

// pcapng blocks, framed and padded, in either byte order.
std::string block(bool big, std::uint32_t type, std::string_view body);
std::string section_header(bool big, std::uint16_t major = 1);
std::string option(bool big, std::uint16_t code, std::string_view value);
/// With an if_name option, and if_tsresol / if_tsoffset when given.
std::string interface_block(bool big, std::uint16_t link_type, std::uint32_t snaplen,
                            std::optional<std::uint8_t> tsresol = {},
                            std::optional<std::int64_t> tsoffset = {});
/// With a comment option; `caplen` overrides the data's length.
std::string enhanced_packet(bool big, std::uint32_t iface, std::uint64_t ticks,
                            std::string_view data, std::uint32_t wire,
                            std::optional<std::uint32_t> caplen = {});
std::string simple_packet(bool big, std::string_view data, std::uint32_t wire);
std::string obsolete_packet(bool big, std::uint16_t iface, std::uint64_t ticks,
                            std::string_view data, std::uint32_t wire);

/// Enhanced packet blocks of `frames` (nanosecond times) on interface `iface`, which must be
/// declared with if_tsresol 9.
std::string enhanced_packets(bool big, std::uint32_t iface, std::span<const RawFrame> frames);

}  // namespace flowkit::testing
