// IPv4/IPv6 defragmentation. Each datagram keeps its data as sorted, disjoint pieces: overlaps
// are resolved when a fragment arrives, so completion is a single copy and memory is exact.
#include "defrag/defragmenter.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <iterator>
#include <list>
#include <random>
#include <unordered_map>
#include <utility>

#include "elapsed.h"
#include "overlap_resolver.h"

namespace flowkit::detail {
namespace {

constexpr std::size_t kIpv4MinHeader = 20;
constexpr std::size_t kIpv6FixedHeader = 40;
constexpr std::uint64_t kMaxIpLength = 65535;  // IPv4 total length, IPv6 payload length

// IPv4 flags and offset word: keep the reserved bit and DF, clear MF and the offset.
constexpr std::uint16_t kIpv4KeptFlags = 0xC000;

// IPv6 extension headers a decoder may leave in the unfragmentable part.
constexpr std::uint8_t kHopByHop = 0;
constexpr std::uint8_t kRouting = 43;
constexpr std::uint8_t kFragmentHeader = 44;
constexpr std::uint8_t kAuthentication = 51;
constexpr std::uint8_t kDestinationOptions = 60;
constexpr std::uint8_t kMobility = 135;
constexpr std::uint8_t kHip = 139;
constexpr std::uint8_t kShim6 = 140;

[[nodiscard]] std::uint16_t load_u16(std::span<const std::byte> bytes, std::size_t at) noexcept {
  return static_cast<std::uint16_t>((std::to_integer<unsigned>(bytes[at]) << 8) |
                                    std::to_integer<unsigned>(bytes[at + 1]));
}

void store_u16(std::span<std::byte> bytes, std::size_t at, std::uint64_t value) noexcept {
  bytes[at] = static_cast<std::byte>((value >> 8) & 0xFF);
  bytes[at + 1] = static_cast<std::byte>(value & 0xFF);
}

[[nodiscard]] std::uint16_t ipv4_header_checksum(std::span<const std::byte> header) noexcept {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i + 1 < header.size(); i += 2) sum += load_u16(header, i);
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum & 0xFFFF);
}

// Patches a rebuilt packet's header so it describes the whole datagram.
void fix_header(std::span<std::byte> packet, bool v6, std::size_t header_size,
                std::size_t next_header_at, std::uint8_t protocol) noexcept {
  const std::size_t payload_size = packet.size() - header_size;
  if (v6) {
    packet[next_header_at] = static_cast<std::byte>(protocol);
    store_u16(packet, 4, header_size - kIpv6FixedHeader + payload_size);
  } else {
    store_u16(packet, 2, packet.size());
    store_u16(packet, 6, load_u16(packet, 6) & kIpv4KeptFlags);
    store_u16(packet, 10, 0);
    store_u16(packet, 10, ipv4_header_checksum(packet.first(header_size)));
  }
}

[[nodiscard]] bool valid_ipv4_header(std::span<const std::byte> header) noexcept {
  if (header.size() < kIpv4MinHeader) return false;
  const auto first = std::to_integer<unsigned>(header[0]);
  return (first >> 4) == 4 && (first & 0x0F) * 4u == header.size();
}

// Index of the next-header byte that names the fragment header after the unfragmentable part,
// or nullopt when the part does not parse exactly up to it.
[[nodiscard]] std::optional<std::size_t> ipv6_next_header_index(
    std::span<const std::byte> part) noexcept {
  if (part.size() < kIpv6FixedHeader || (std::to_integer<unsigned>(part[0]) >> 4) != 6) {
    return std::nullopt;
  }
  std::size_t index = 6;
  std::size_t pos = kIpv6FixedHeader;
  while (pos < part.size()) {
    if (part.size() - pos < 2) return std::nullopt;
    const auto length_field = std::to_integer<std::size_t>(part[pos + 1]);
    std::size_t length = 0;
    switch (std::to_integer<std::uint8_t>(part[index])) {
      case kHopByHop:
      case kRouting:
      case kDestinationOptions:
      case kMobility:
      case kHip:
      case kShim6:
        length = (length_field + 1) * 8;
        break;
      case kAuthentication:  // counted in 4-octet units
        length = (length_field + 2) * 4;
        break;
      case kFragmentHeader:  // an atomic one (RFC 6946) before the real one: fixed size
        length = 8;
        break;
      default:
        return std::nullopt;
    }
    if (part.size() - pos < length) return std::nullopt;
    index = pos;
    pos += length;
  }
  if (std::to_integer<std::uint8_t>(part[index]) != kFragmentHeader) return std::nullopt;
  return index;
}

struct Key {
  bool v6 = false;
  IpAddress src;
  IpAddress dst;
  std::uint32_t id = 0;
  std::uint8_t protocol = 0;  // IPv4 only: IPv6 identifies a datagram without it
  std::uint32_t vlan_key = 0;

  friend bool operator==(const Key&, const Key&) = default;
};

[[nodiscard]] constexpr std::uint64_t mix64(std::uint64_t x) noexcept {
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// Seeded per instance: ids and addresses are attacker-chosen, so bucket placement must not be
// predictable.
class KeyHash {
 public:
  explicit KeyHash(std::uint64_t seed) noexcept : seed_(seed) {}

  std::size_t operator()(const Key& key) const noexcept {
    std::uint64_t h = seed_;
    const auto absorb = [&h](std::uint64_t value) { h = mix64(h ^ value); };
    for (const IpAddress& address : {key.src, key.dst}) {
      std::array<std::uint64_t, 2> words{};
      const auto bytes = address.bytes();
      std::memcpy(words.data(), bytes.data(), bytes.size());
      absorb(words[0]);
      absorb(words[1]);
    }
    absorb((std::uint64_t{key.id} << 32) | (std::uint64_t{key.protocol} << 8) |
           std::uint64_t{key.v6});
    absorb(key.vlan_key);
    return static_cast<std::size_t>(h);
  }

 private:
  std::uint64_t seed_;
};

// A run of bytes held for a datagram. `from_*` is the extent of the fragment it came from, as it
// arrived: overlap policies judge fragments, not what earlier overlaps left of them.
struct Piece {
  std::uint32_t begin = 0;
  std::uint32_t from_begin = 0;
  std::uint32_t from_end = 0;
  std::uint32_t source = 0;  // which fragment of the datagram, to count each overlap once
  std::vector<std::byte> data;

  [[nodiscard]] std::uint32_t end() const noexcept {
    return begin + static_cast<std::uint32_t>(data.size());
  }
  [[nodiscard]] Piece slice(std::uint32_t from, std::uint32_t to) const {
    const auto first = data.begin() + (from - begin);
    return Piece{from, from_begin, from_end, source, {first, first + (to - from)}};
  }
};

struct Datagram {
  Key key;
  Timestamp first_seen{};
  std::vector<Piece> pieces;       // sorted by begin, disjoint
  std::vector<std::byte> header;   // of the fragment whose data sits at offset 0
  std::size_t next_header_at = 0;  // IPv6: byte of `header` to patch with `protocol`
  std::uint8_t protocol = 0;
  std::optional<std::uint32_t> end;  // known once the last fragment (MF clear) arrived
  std::uint32_t max_end = 0;         // highest end of any fragment so far
  std::uint32_t covered = 0;         // bytes held in pieces
  std::uint32_t fragments = 0;
  std::size_t memory = 0;

  [[nodiscard]] bool complete() const noexcept {
    return end.has_value() && covered == *end && !header.empty();
  }
};

using AgeList = std::list<Datagram>;

}  // namespace

struct Defragmenter::Impl {
  Impl(const DefragConfig& config, Stats& stats)
      : config_(config), stats_(stats), index_(0, KeyHash(random_seed())) {}

  std::optional<std::span<const std::byte>> add(const Fragment& fragment);
  void expire(Timestamp now);

  // Copied: the defragmenter must not depend on the lifetime of its caller's configuration.
  DefragConfig config_;
  Stats& stats_;
  AgeList by_age_;  // creation order: the front is the oldest, first to time out or be evicted
  std::unordered_map<Key, AgeList::iterator, KeyHash> index_;
  std::size_t memory_ = 0;
  std::vector<std::byte> out_;  // the last rebuilt packet, handed out as a span

 private:
  static std::uint64_t random_seed() {
    std::random_device device;
    return (std::uint64_t{device()} << 32) ^ device();
  }

  void drop(AgeList::iterator datagram, DropReason reason);
  [[nodiscard]] bool make_room(std::size_t bytes, AgeList::iterator keep);
  void insert(Datagram& datagram, const Fragment& fragment);
};

void Defragmenter::Impl::drop(AgeList::iterator datagram, DropReason reason) {
  stats_.drop(reason);
  memory_ -= datagram->memory;
  index_.erase(datagram->key);
  by_age_.erase(datagram);
}

// Evicts the oldest datagrams other than `keep` until `bytes` more fit under the memcap.
bool Defragmenter::Impl::make_room(std::size_t bytes, AgeList::iterator keep) {
  while (memory_ + bytes > config_.memcap) {
    auto victim = by_age_.begin();
    if (victim == keep) ++victim;
    if (victim == by_age_.end()) return false;
    drop(victim, DropReason::FragmentMemcap);
  }
  return true;
}

void Defragmenter::Impl::expire(Timestamp now) {
  // Creation order is arrival order; capture time that steps back only delays expiry.
  while (!by_age_.empty() && elapsed(now, by_age_.front().first_seen) > config_.timeout) {
    drop(by_age_.begin(), DropReason::FragmentTimeout);
  }
}

// Merges the fragment's data into the datagram's pieces. Each existing piece it overlaps is
// settled on its own by the policy: if the new data wins, the piece loses the overlapped bytes;
// if not, the new data loses them. The pieces stay sorted and disjoint either way.
void Defragmenter::Impl::insert(Datagram& datagram, const Fragment& fragment) {
  const std::uint32_t new_begin = fragment.offset;
  const auto new_end = static_cast<std::uint32_t>(new_begin + fragment.payload.size());
  if (new_begin == new_end) return;
  const std::uint32_t source = datagram.fragments;

  auto& pieces = datagram.pieces;
  const auto first = std::ranges::partition_point(
      pieces, [new_begin](const Piece& p) { return p.end() <= new_begin; });
  const auto last = std::partition_point(first, pieces.end(),
                                         [new_end](const Piece& p) { return p.begin < new_end; });

  std::size_t released = 0;
  for (auto p = first; p != last; ++p) released += p->data.size();
  const auto replaced = static_cast<std::size_t>(last - first);

  const auto new_slice = [&](std::uint32_t from, std::uint32_t to) {
    const auto data = fragment.payload.subspan(from - new_begin, to - from);
    return Piece{from, new_begin, new_end, source, {data.begin(), data.end()}};
  };

  // An old fragment split into several pieces is still one overlap.
  struct Overlap {
    std::uint32_t source;
    bool conflict;
  };
  std::vector<Overlap> overlaps;

  std::vector<Piece> merged;         // replaces [first, last)
  std::optional<Piece> tail;         // what is left of an old piece after the new data
  std::uint32_t cursor = new_begin;  // new data before this was placed or lost already
  for (auto p = first; p != last; ++p) {
    const std::uint32_t p_begin = p->begin;
    const std::uint32_t p_end = p->end();
    const std::uint32_t from = std::max(new_begin, p_begin);
    const std::uint32_t to = std::min(new_end, p_end);
    const bool conflict =
        !std::ranges::equal(fragment.payload.subspan(from - new_begin, to - from),
                            std::span(p->data).subspan(from - p_begin, to - from));
    const auto seen = std::ranges::find(overlaps, p->source, &Overlap::source);
    if (seen == overlaps.end()) {
      overlaps.push_back({p->source, conflict});
    } else {
      seen->conflict = seen->conflict || conflict;
    }

    if (new_data_wins(config_.policy, p->from_begin, p->from_end, new_begin, new_end)) {
      if (p_begin < new_begin) merged.push_back(p->slice(p_begin, new_begin));
      if (p_end > new_end) tail = p->slice(new_end, p_end);
    } else {
      if (p_begin > cursor) merged.push_back(new_slice(cursor, p_begin));
      merged.push_back(std::move(*p));
      cursor = p_end;
    }
  }
  if (cursor < new_end) merged.push_back(new_slice(cursor, new_end));
  if (tail) merged.push_back(std::move(*tail));

  for (const Overlap& overlap : overlaps) {
    ++stats_.fragment_overlaps;
    if (overlap.conflict) ++stats_.fragment_overlap_conflicts;
  }

  std::size_t held = 0;
  for (const Piece& piece : merged) held += piece.data.size();
  datagram.covered = static_cast<std::uint32_t>(datagram.covered + held - released);
  // Memory counts each piece's bookkeeping too: many tiny pieces cost far more than their bytes.
  const std::size_t charged = held + merged.size() * kPieceOverhead;
  const std::size_t freed = released + replaced * kPieceOverhead;
  datagram.memory = datagram.memory + charged - freed;
  memory_ = memory_ + charged - freed;

  const auto at = pieces.erase(first, last);
  pieces.insert(at, std::make_move_iterator(merged.begin()), std::make_move_iterator(merged.end()));
}

std::optional<std::span<const std::byte>> Defragmenter::Impl::add(const Fragment& fragment) {
  ++stats_.fragments;
  expire(fragment.ts);

  const std::uint64_t end = std::uint64_t{fragment.offset} + fragment.payload.size();
  const std::size_t fixed_header = fragment.v6 ? kIpv6FixedHeader : kIpv4MinHeader;
  const bool short_header = fragment.header.size() < fixed_header;
  // IPv4 total length or IPv6 payload length of the datagram, as far as this fragment tells.
  const std::uint64_t ip_length =
      short_header ? 0 : fragment.header.size() - (fragment.v6 ? kIpv6FixedHeader : 0) + end;
  const bool oversize = ip_length > kMaxIpLength;

  // The header travels with the data at offset 0, so it must be usable before it is kept.
  std::size_t next_header_at = 0;
  bool bad_header = short_header || oversize;
  if (fragment.offset == 0 && !bad_header) {
    if (fragment.v6) {
      const auto index = ipv6_next_header_index(fragment.header);
      bad_header = !index.has_value();
      next_header_at = index.value_or(0);
    } else {
      bad_header = !valid_ipv4_header(fragment.header);
    }
  }

  const Key key{fragment.v6,
                fragment.src,
                fragment.dst,
                fragment.id,
                fragment.v6 ? std::uint8_t{0} : fragment.protocol,
                fragment.vlan_key};
  auto found = index_.find(key);

  if (bad_header) {
    // A datagram that would grow past the largest IP packet is an attack (ping of death), not
    // something to keep reassembling: forget it along with the fragment.
    if (oversize && found != index_.end()) {
      drop(found->second, DropReason::BadIpHeader);
    } else {
      stats_.drop(DropReason::BadIpHeader);
    }
    return std::nullopt;
  }

  // Atomic fragment (RFC 6946): complete by itself and never mixed with a pending datagram.
  if (fragment.offset == 0 && !fragment.more_fragments) {
    // Built aside: the fragment may lie in out_ itself (a tunnelled packet taken from the last
    // datagram rebuilt), which resizing out_ would pull from under it.
    std::vector<std::byte> packet(fragment.header.begin(), fragment.header.end());
    packet.insert(packet.end(), fragment.payload.begin(), fragment.payload.end());
    fix_header(packet, fragment.v6, fragment.header.size(), next_header_at, fragment.protocol);
    out_.swap(packet);
    ++stats_.datagrams_reassembled;
    return std::span<const std::byte>(out_);
  }

  if (found == index_.end()) {
    if (config_.max_datagrams == 0) {
      stats_.drop(DropReason::FragmentMemcap);
      return std::nullopt;
    }
    while (index_.size() >= config_.max_datagrams) {
      drop(by_age_.begin(), DropReason::FragmentMemcap);
    }
    Datagram& fresh = by_age_.emplace_back();
    fresh.key = key;
    fresh.first_seen = fragment.ts;
    found = index_.emplace(key, std::prev(by_age_.end())).first;
  }
  const AgeList::iterator it = found->second;
  Datagram& datagram = *it;

  if (++datagram.fragments > config_.max_fragments_per_datagram) {
    drop(it, DropReason::FragmentTooMany);
    return std::nullopt;
  }

  // Fragments that disagree about where the datagram ends: Linux discards the whole queue,
  // which is also the only choice that does not guess which sender told the truth. An
  // inconsistent length is a malformed IP header as far as the counters go.
  const auto end32 = static_cast<std::uint32_t>(end);
  const bool end_conflict =
      fragment.more_fragments
          ? datagram.end.has_value() && end32 > *datagram.end
          : (datagram.end.has_value() && end32 != *datagram.end) || end32 < datagram.max_end;
  if (end_conflict) {
    drop(it, DropReason::BadIpHeader);
    return std::nullopt;
  }

  // Sized for the usual worst case (nothing overlapped, one new piece, header replaced).
  const std::size_t incoming = fragment.payload.size() + kPieceOverhead +
                               (fragment.offset == 0 ? fragment.header.size() : 0);
  if (!make_room(incoming, it)) {
    drop(it, DropReason::FragmentMemcap);
    return std::nullopt;
  }

  insert(datagram, fragment);
  if (!fragment.more_fragments) datagram.end = end32;
  datagram.max_end = std::max(datagram.max_end, end32);

  // Did this fragment take offset 0? Then its header is the one the packet is rebuilt with.
  if (fragment.offset == 0 && !datagram.pieces.empty() && datagram.pieces.front().begin == 0 &&
      datagram.pieces.front().source == datagram.fragments) {
    datagram.memory -= datagram.header.size();
    memory_ -= datagram.header.size();
    datagram.header.assign(fragment.header.begin(), fragment.header.end());
    datagram.memory += datagram.header.size();
    memory_ += datagram.header.size();
    datagram.next_header_at = next_header_at;
    datagram.protocol = fragment.protocol;
  }

  if (!datagram.complete()) {
    // Splitting old pieces can cost more pieces than estimated: settle the cap again, so it is
    // never passed once add() returns. (A complete datagram is released right below.)
    if (!make_room(0, it)) drop(it, DropReason::FragmentMemcap);
    return std::nullopt;
  }

  // Checked again on the whole: the first fragment's header may be longer than the others'.
  const std::size_t header_size = datagram.header.size();
  if (header_size - (datagram.key.v6 ? kIpv6FixedHeader : 0) + datagram.covered > kMaxIpLength) {
    drop(it, DropReason::BadIpHeader);
    return std::nullopt;
  }
  // Everything comes from the datagram's own copies, so reusing out_ is safe here.
  out_.resize(header_size + datagram.covered);
  std::ranges::copy(datagram.header, out_.begin());
  for (const Piece& piece : datagram.pieces) {
    std::ranges::copy(piece.data,
                      out_.begin() + static_cast<std::ptrdiff_t>(header_size + piece.begin));
  }
  fix_header(out_, datagram.key.v6, header_size, datagram.next_header_at, datagram.protocol);
  memory_ -= datagram.memory;
  index_.erase(datagram.key);
  by_age_.erase(it);
  ++stats_.datagrams_reassembled;
  return std::span<const std::byte>(out_);
}

Defragmenter::Defragmenter(const DefragConfig& config, Stats& stats)
    : impl_(std::make_unique<Impl>(config, stats)) {}

Defragmenter::~Defragmenter() = default;

std::optional<std::span<const std::byte>> Defragmenter::add(const Fragment& fragment) {
  return impl_->add(fragment);
}

void Defragmenter::expire(Timestamp now) {
  impl_->expire(now);
}

std::size_t Defragmenter::memory_used() const noexcept {
  return impl_->memory_;
}

std::size_t Defragmenter::pending_datagrams() const noexcept {
  return impl_->index_.size();
}

}  // namespace flowkit::detail
