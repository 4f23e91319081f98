#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "decode/decoder.h"
#include "flowkit/config.h"
#include "flowkit/ip_address.h"
#include "flowkit/stats.h"
#include "flowkit/timestamp.h"

namespace flowkit::detail {

/// One IPv4 or IPv6 fragment, already validated by the decoder. Spans point into the frame.
struct Fragment {
  Timestamp ts{};
  bool v6 = false;
  IpAddress src;
  IpAddress dst;
  std::uint32_t id = 0;       ///< IPv4 identification or IPv6 fragment header identification
  std::uint8_t protocol = 0;  ///< IPv4 protocol, or the IPv6 fragment header's next header
  std::uint32_t vlan_key =
      0;                     ///< VLAN tags folded together: fragments of different VLANs never mix
  std::uint32_t offset = 0;  ///< in bytes
  bool more_fragments = false;
  /// IPv4: this fragment's IP header (with options). IPv6: the unfragmentable part, i.e. the
  /// fixed header plus extension headers before the fragment header.
  std::span<const std::byte> header;
  std::span<const std::byte> payload;  ///< the fragment's data
};

/// The fragment the decoder found in `pkt` (whose ts, addresses and VLAN key are set).
[[nodiscard]] inline Fragment fragment_of(const PacketInfo& pkt,
                                          const FragmentView& view) noexcept {
  Fragment f;
  f.ts = pkt.ts;
  f.v6 = pkt.src.is_v6();
  f.src = pkt.src;
  f.dst = pkt.dst;
  f.id = view.id;
  f.protocol = view.protocol;
  f.vlan_key = pkt.vlan_key;
  f.offset = view.offset;
  f.more_fragments = view.more;
  f.header = view.header;
  f.payload = view.payload;
  return f;
}

/// Target-based IPv4/IPv6 defragmentation with timeouts and a memory cap.
class Defragmenter {
 public:
  /// What each held piece of a datagram costs beyond its bytes (its entry in the piece vector and
  /// the heap block of its data; a 1-byte piece was measured at about 72 bytes). Charged to the
  /// memory cap so that tiny fragments that never complete cannot hold many times the cap.
  static constexpr std::size_t kPieceOverhead = 96;

  Defragmenter(const DefragConfig& config, Stats& stats);
  ~Defragmenter();
  Defragmenter(const Defragmenter&) = delete;
  Defragmenter& operator=(const Defragmenter&) = delete;

  /// Adds a fragment. When it completes a datagram, returns the whole IP packet rebuilt:
  /// IPv4 with offset 0, MF clear, total length and header checksum fixed; IPv6 with the
  /// fragment header removed and the payload length fixed. Valid until the next call.
  std::optional<std::span<const std::byte>> add(const Fragment& fragment);

  /// Drops datagrams older than the timeout at packet time `now`.
  void expire(Timestamp now);

  [[nodiscard]] std::size_t memory_used() const noexcept;
  [[nodiscard]] std::size_t pending_datagrams() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace flowkit::detail
