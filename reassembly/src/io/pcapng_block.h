#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <vector>

#include "flowkit/raw_frame.h"
#include "io/pcap_record.h"

namespace flowkit::detail {

inline constexpr std::uint32_t kSectionHeaderBlock = 0x0A0D0D0A;
inline constexpr std::uint32_t kInterfaceDescriptionBlock = 1;
inline constexpr std::uint32_t kObsoletePacketBlock = 2;
inline constexpr std::uint32_t kSimplePacketBlock = 3;
inline constexpr std::uint32_t kEnhancedPacketBlock = 6;
inline constexpr std::size_t kPcapngBlockOverhead = 12;  // type, leading and trailing length
inline constexpr std::uint32_t kMaxPcapngBlockBytes = kMaxRecordBytes + 4096;
inline constexpr std::size_t kPcapngBodyAt = 8;  // a block's fields, after type and length
/// Enhanced and obsolete packet blocks: the fixed fields that open the body (interface,
/// timestamp, captured and original length), and where the captured length sits in them.
inline constexpr std::size_t kPcapngPacketHeaderBytes = 20;
inline constexpr std::size_t kPcapngCapturedLengthAt = 12;

[[nodiscard]] constexpr bool is_packet_block(std::uint32_t type) noexcept {
  return type == kEnhancedPacketBlock || type == kSimplePacketBlock || type == kObsoletePacketBlock;
}

/// A block type the pcapng specification defines (readers skip others, so they are legal, but
/// a guess at where blocks start in the middle of a file insists on these).
[[nodiscard]] constexpr bool is_defined_block(std::uint32_t type) noexcept {
  // 1 to 9: interface description, obsolete packet, simple packet, name resolution,
  // interface statistics, enhanced packet, two reserved for IRIG/ARINC, systemd journal
  constexpr std::uint32_t kSystemdJournal = 9;
  constexpr std::uint32_t kDecryptionSecrets = 10;
  constexpr std::uint32_t kCustomCopiable = 0x00000BAD;
  constexpr std::uint32_t kCustomNotCopiable = 0x40000BAD;
  return (type >= kInterfaceDescriptionBlock && type <= kSystemdJournal) ||
         type == kDecryptionSecrets || type == kSectionHeaderBlock || type == kCustomCopiable ||
         type == kCustomNotCopiable;
}

/// How many ticks make a second: 10^exponent or 2^exponent (pcapng's if_tsresol).
struct TimeScale {
  bool power_of_two = false;
  unsigned exponent = 6;
};

/// Nanoseconds in `ticks` of `scale`, modulo 2^64.
std::uint64_t ticks_to_nanoseconds(std::uint64_t ticks, TimeScale scale) noexcept;

struct PcapngInterface {
  int link_type = 0;
  std::uint32_t snaplen = 0;
  TimeScale scale;
  std::uint64_t offset_ns = 0;  ///< if_tsoffset, already in nanoseconds
  ByteOrder order;              ///< of the section that declared it
};

/// A block whose framing was checked: `length` bytes from file offset `offset` are readable.
struct PcapngBlock {
  std::uint32_t type = 0;
  std::uint32_t length = 0;  ///< total, including the 12 bytes of framing
  std::uint64_t offset = 0;
};

/// What is wrong with a pcapng file, in words without the file's name (each reader adds it).
class PcapngError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// What a pcapng reader carries from block to block: the current section's byte order and
/// interfaces. Both readers of pcapng files (CaptureFileReader, one block after the other, and
/// PcapChunkIndex, chunks of a file at once) go through it, so they agree on every frame and on
/// the words of every error. Errors are thrown as PcapngError.
class PcapngSection {
 public:
  /// Checks the framing of the block that starts `bytes` (at file offset `at`). Nullopt when
  /// the block needs more bytes than `bytes` holds: at least `need`, to be asked again. When
  /// `to_end` (`bytes` reach the end of the file), a block cut short throws instead. A section
  /// header sets the byte order even its own length is read in.
  std::optional<PcapngBlock> frame(std::span<const std::byte> bytes, std::uint64_t at, bool to_end,
                                   std::size_t& need);

  /// A packet block's frame and the index of its interface in interfaces().
  struct Packet {
    RawFrame frame;
    std::size_t interface = 0;
  };
  /// Takes in the framed block starting at `start` (section headers and interface
  /// descriptions change what follows); the packet when it is a packet block.
  std::optional<Packet> read(const std::byte* start, const PcapngBlock& block);

  [[nodiscard]] ByteOrder order() const noexcept { return order_; }
  [[nodiscard]] const std::vector<PcapngInterface>& interfaces() const noexcept {
    return interfaces_;
  }

  /// The frame of a packet block that read() took in before, with the interface it found.
  [[nodiscard]] static RawFrame packet_frame(const std::byte* start,
                                             const PcapngInterface& iface) noexcept;

 private:
  void read_section_header(const PcapngBlock& block, std::span<const std::byte> body);
  void read_interface(const PcapngBlock& block, std::span<const std::byte> body);
  std::size_t interface_for(const PcapngBlock& block, std::uint32_t id) const;
  void check_packet(const PcapngBlock& block, std::span<const std::byte> body,
                    std::size_t header_bytes, std::uint32_t caplen) const;

  ByteOrder order_;
  std::vector<PcapngInterface> interfaces_;
};

}  // namespace flowkit::detail
