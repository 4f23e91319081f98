#include "io/pcap_chunk_index.h"

#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <optional>

#include "decode/decoder.h"
#include "flowkit/capture_file.h"
#include "flowkit/flow_key.h"
#include "io/prefetch.h"

namespace flowkit::detail {
namespace {

// A guessed record start must chain this many plausible headers (or reach the end of the
// file): in real payloads such a chain does not happen by chance, and a wrong guess is caught
// anyway, so this only keeps wasted walks rare.
constexpr int kResyncChain = 8;
// pcapng: what a plausible block may hold beyond a plausible packet (options, names).
constexpr std::uint32_t kPlausibleBlockExtra = 65536;
constexpr std::uint32_t kMaxPlausibleWireLength = std::uint32_t{16} << 20;
constexpr std::uint32_t kSecondsPerDay = 86400;
constexpr std::uint32_t kPlausibleSpanDays = 3660;
// How many chunks may be walked, and kept, beyond the oldest one a shard still reads.
constexpr std::size_t kSlotsPerShard = 4;
constexpr std::size_t kSpareSlots = 4;
constexpr std::uint64_t kPrefetchDistance = 16384;
// Pages of finished chunks are dropped this many chunks at a time: each drop interrupts the
// other threads to flush their TLBs.
constexpr std::size_t kDropEvery = 16;

std::exception_ptr capture_error(const std::string& display, const std::string& what) {
  return std::make_exception_ptr(CaptureError(fmt::format("{}: {}", display, what)));
}

}  // namespace

namespace {

/// The mapped file, or nullptr.
const std::byte* map_file(int fd, std::uint64_t size) {
  void* where = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (where == MAP_FAILED) return nullptr;
  ::madvise(where, size, MADV_SEQUENTIAL);
  return static_cast<const std::byte*>(where);
}

/// The link type of the first interface a pcapng file declares before its first packet; nullopt
/// when there is none or the file is damaged before it (the sequential reader then says so).
std::optional<int> pcapng_first_link_type(const std::byte* base, std::uint64_t size) {
  PcapngSection section;
  try {
    for (std::uint64_t at = 0; at < size;) {
      std::size_t need = 0;
      const auto block = section.frame({base + at, size - at}, at, true, need);
      if (is_packet_block(block->type)) return std::nullopt;
      section.read(base + at, *block);
      if (!section.interfaces().empty()) return section.interfaces().front().link_type;
      at += block->length;
    }
  } catch (const PcapngError&) {
  }
  return std::nullopt;
}

}  // namespace

std::unique_ptr<PcapChunkIndex> PcapChunkIndex::open(int fd, std::string display,
                                                     std::size_t shards, std::size_t chunk_bytes,
                                                     bool always_guess) {
  struct stat info {};
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) return nullptr;
  const auto size = static_cast<std::uint64_t>(info.st_size);
  if (size < kPcapFileHeaderSize) return nullptr;
  std::array<std::byte, kPcapFileHeaderSize> header{};
  if (::pread(fd, header.data(), header.size(), 0) != static_cast<ssize_t>(header.size())) {
    return nullptr;
  }
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  chunk_bytes = std::max(page, chunk_bytes - chunk_bytes % page);
  shards = std::max<std::size_t>(shards, 1);
  const auto make = [&](const std::byte* base, bool pcapng, ByteOrder order, bool nanosecond,
                        int link_type, std::uint32_t snaplen) {
    std::unique_ptr<PcapChunkIndex> index(new PcapChunkIndex(base, size, std::move(display), shards,
                                                             chunk_bytes, pcapng, order, nanosecond,
                                                             link_type, snaplen));
    index->always_guess_ = always_guess;
    return index;
  };
  if (ByteOrder{}.u32(header.data()) == kSectionHeaderBlock) {
    const std::byte* base = map_file(fd, size);
    if (base == nullptr) return nullptr;
    const auto link_type = pcapng_first_link_type(base, size);
    if (!link_type) {
      ::munmap(const_cast<std::byte*>(base), size);
      return nullptr;
    }
    return make(base, true, ByteOrder{}, false, *link_type, 0);
  }
  // Classic pcap with 16-byte records only; anything else goes to the sequential reader.
  for (const bool big : {false, true}) {
    const ByteOrder order{big};
    const std::uint32_t magic = order.u32(header.data());
    if (magic != kPcapMicro && magic != kPcapNano) continue;
    if (order.u16(header.data() + 4) != 2) return nullptr;
    const std::byte* base = map_file(fd, size);
    if (base == nullptr) return nullptr;
    return make(base, false, order, magic == kPcapNano,
                static_cast<int>(order.u32(header.data() + 20) & kPcapLinkTypeMask),
                order.u32(header.data() + 16));
  }
  return nullptr;
}

PcapChunkIndex::PcapChunkIndex(const std::byte* base, std::uint64_t size, std::string display,
                               std::size_t shards, std::size_t chunk_bytes, bool pcapng,
                               ByteOrder order, bool nanosecond, int link_type,
                               std::uint32_t snaplen)
    : base_(base),
      size_(size),
      display_(std::move(display)),
      shards_(shards),
      chunk_bytes_(chunk_bytes),
      chunk_count_(static_cast<std::size_t>((size + chunk_bytes - 1) / chunk_bytes)),
      pcapng_(pcapng),
      first_record_(pcapng ? 0 : kPcapFileHeaderSize),
      order_(order),
      nanosecond_(nanosecond),
      link_type_(link_type),
      plausible_caplen_(snaplen == 0 ? std::uint32_t{262144} : snaplen),
      slots_(kSlotsPerShard * shards + kSpareSlots),
      committed_end_(first_record_) {
  if (!pcapng_ && size_ >= kPcapFileHeaderSize + kPcapRecordHeaderSize) {
    first_seconds_ = PcapRecordHeader::read(order_, base_ + kPcapFileHeaderSize).seconds;
  }
}

PcapChunkIndex::~PcapChunkIndex() {
  ::munmap(const_cast<std::byte*>(base_), size_);
}

std::uint64_t PcapChunkIndex::chunk_begin(std::size_t c) const noexcept {
  return c == 0 ? first_record_ : std::uint64_t{c} * chunk_bytes_;
}

std::uint64_t PcapChunkIndex::chunk_end(std::size_t c) const noexcept {
  return std::min<std::uint64_t>(std::uint64_t{c + 1} * chunk_bytes_, size_);
}

std::optional<std::uint64_t> PcapChunkIndex::after_plausible(std::uint64_t at,
                                                             ByteOrder order) const noexcept {
  if (pcapng_) {
    // Blocks start 4-aligned and repeat their length at their end: a strong sign, but that
    // second look lands up to a block's length ahead, and a probe at every 4th byte of a chunk
    // that faults in pages far ahead grew two threads' RSS fourfold. So the fields at hand
    // must agree first: a defined type, and a packet block's captured length inside its length.
    if (at % 4 != 0 || size_ - at < kPcapngBlockOverhead) return std::nullopt;
    const std::uint32_t type = order.u32(base_ + at);
    const std::uint32_t length = order.u32(base_ + at + 4);
    if (!is_defined_block(type) || length < kPcapngBlockOverhead || length % 4 != 0 ||
        length > size_ - at || length > plausible_caplen_ + kPlausibleBlockExtra) {
      return std::nullopt;
    }
    if (type == kEnhancedPacketBlock || type == kObsoletePacketBlock) {
      constexpr std::uint32_t kFixed = kPcapngBlockOverhead + kPcapngPacketHeaderBytes;
      if (length < kFixed) return std::nullopt;
      const std::uint32_t captured =
          order.u32(base_ + at + kPcapngBodyAt + kPcapngCapturedLengthAt);
      if (captured > length - kFixed || captured > plausible_caplen_) return std::nullopt;
    }
    if (order.u32(base_ + at + length - 4) != length) return std::nullopt;
    return at + length;
  }
  if (size_ - at < kPcapRecordHeaderSize) return std::nullopt;
  const auto h = PcapRecordHeader::read(order, base_ + at);
  const std::uint32_t fraction_limit = nanosecond_ ? 1'000'000'000 : 1'000'000;
  const std::uint64_t earliest =
      first_seconds_ > kSecondsPerDay ? first_seconds_ - kSecondsPerDay : 0;
  const std::uint64_t latest =
      std::uint64_t{first_seconds_} + std::uint64_t{kSecondsPerDay} * kPlausibleSpanDays;
  const bool plausible = h.caplen <= plausible_caplen_ && h.caplen <= h.wire_length &&
                         h.wire_length <= kMaxPlausibleWireLength && h.fraction < fraction_limit &&
                         h.seconds >= earliest && h.seconds <= latest &&
                         size_ - at - kPcapRecordHeaderSize >= h.caplen;
  if (!plausible) return std::nullopt;
  return at + kPcapRecordHeaderSize + h.caplen;
}

std::uint64_t PcapChunkIndex::resync(std::size_t c, ByteOrder order) const noexcept {
  const std::uint64_t step = pcapng_ ? 4 : 1;
  for (std::uint64_t at = chunk_begin(c); at < chunk_end(c); at += step) {
    std::uint64_t next = at;
    int chained = 0;
    while (chained < kResyncChain && next != size_) {
      const auto after = after_plausible(next, order);
      if (!after) break;
      next = *after;
      ++chained;
    }
    if (chained == kResyncChain || (chained > 0 && next == size_)) return at;
  }
  return size_;  // no record starts here that we can find: the exact walk will tell
}

void PcapChunkIndex::walk(std::size_t c, std::uint64_t start, bool exact, Slot& slot) const {
  Chunk& chunk = slot.chunk;
  chunk.records.resize(shards_);
  for (auto& list : chunk.records) list.clear();
  chunk.hashes.resize(shards_);
  for (auto& list : chunk.hashes) list.clear();
  chunk.interface_of.resize(pcapng_ ? shards_ : 0);
  for (auto& list : chunk.interface_of) list.clear();
  chunk.interfaces.clear();
  chunk.unplaced = 0;
  chunk.last_ts = {};
  chunk.error = nullptr;
  chunk.last = false;
  slot.exact = exact;
  slot.chained = true;
  slot.start = start;
  const std::uint64_t stop = chunk_end(c);
  const std::uint64_t at = pcapng_ ? walk_pcapng(start, stop, slot) : walk_pcap(start, stop, slot);
  slot.end = at;
  chunk.end = at;
  if (at >= size_) chunk.last = true;
}

void PcapChunkIndex::irregular(Slot& slot, const std::string& what) const {
  if (slot.exact) {
    slot.chunk.error = capture_error(display_, what);
    slot.chunk.last = true;
  } else {
    slot.chained = false;
  }
}

// Once per record of the file, from both walks: GCC left it out of line.
[[gnu::always_inline]] inline void PcapChunkIndex::list(
    Chunk& chunk, std::uint64_t at, const RawFrame& frame,
    std::optional<std::uint32_t> interface) const {
  if (const auto hash = peek_flow_hash(frame.link_type, frame.data)) {
    const auto shard = shard_of(*hash, shards_);
    chunk.records[shard].push_back(at);
    chunk.hashes[shard].push_back(*hash);
    if (interface) chunk.interface_of[shard].push_back(*interface);
  } else {
    ++chunk.unplaced;
    for (auto& list : chunk.records) list.push_back(at | kUnplaced);
    for (auto& list : chunk.hashes) list.push_back(0);
    if (interface) {
      for (auto& list : chunk.interface_of) list.push_back(*interface);
    }
  }
  chunk.last_ts = frame.ts;
}

std::uint64_t PcapChunkIndex::walk_pcap(std::uint64_t at, std::uint64_t stop, Slot& slot) const {
  // Record headers sit at irregular strides the hardware prefetchers do not follow: stream the
  // chunk in ahead of the walk (the shards read the frames soon after, from the cache).
  std::uint64_t prefetched = at;
  while (at < stop) {
    prefetched = prefetch_lines(base_, prefetched, std::min(at + kPrefetchDistance, size_));
    const std::uint64_t left = size_ - at;
    if (left < kPcapRecordHeaderSize) {
      irregular(slot, truncated_record_header_error(at, kPcapRecordHeaderSize, left));
      break;
    }
    const auto header = PcapRecordHeader::read(order_, base_ + at);
    if (header.caplen > kMaxRecordBytes) {
      irregular(slot, absurd_record_error(at, header.caplen));
      break;
    }
    if (left - kPcapRecordHeaderSize < header.caplen) {
      irregular(slot, truncated_record_error(at, header.caplen, left - kPcapRecordHeaderSize));
      break;
    }
    list(slot.chunk, at, header.frame(base_ + at + kPcapRecordHeaderSize, link_type_, nanosecond_),
         std::nullopt);
    at += kPcapRecordHeaderSize + header.caplen;
  }
  return at;
}

std::uint64_t PcapChunkIndex::walk_pcapng(std::uint64_t at, std::uint64_t stop, Slot& slot) const {
  Chunk& chunk = slot.chunk;
  PcapngSection& section = slot.section;
  // Interfaces are numbered per section: the chunk lists every one its frames use, a new
  // section's after the previous one's.
  chunk.interfaces = section.interfaces();
  std::size_t first_of_section = 0;
  std::uint64_t prefetched = at;
  try {
    while (at < stop) {
      prefetched = prefetch_lines(base_, prefetched, std::min(at + kPrefetchDistance, size_));
      std::size_t need = 0;
      const auto block = *section.frame({base_ + at, size_ - at}, at, true, need);
      if (block.type == kSectionHeaderBlock || block.type == kInterfaceDescriptionBlock) {
        if (!slot.exact) {
          slot.chained = false;  // it would change what the following blocks mean
          break;
        }
        ++slot.declarations;
      }
      const auto packet = section.read(base_ + at, block);
      if (block.type == kSectionHeaderBlock) {
        first_of_section = chunk.interfaces.size();
      } else if (block.type == kInterfaceDescriptionBlock) {
        chunk.interfaces.push_back(section.interfaces().back());
      }
      if (packet) {
        list(chunk, at, packet->frame,
             static_cast<std::uint32_t>(first_of_section + packet->interface));
      }
      at += block.length;
    }
  } catch (const PcapngError& e) {
    irregular(slot, e.what());
  }
  return at;
}

bool PcapChunkIndex::advance(std::unique_lock<std::mutex>& lock) {
  const std::size_t window = slots_.size();
  const std::size_t k = committed_;
  Slot& next = slots_[k % window];
  const std::uint64_t truth = committed_end_;
  // Walks chunk c from `truth`, or from a guess when `truth` is nullopt; the lock is released
  // meanwhile (the slot is the walker's alone while Walking).
  const auto walk_unlocked = [&](std::size_t c, Slot& slot, std::optional<std::uint64_t> from) {
    slot.state = State::Walking;
    // pcapng: both kinds of walk start from what the committed chunks declared (an exact walk
    // of chunk committed_ starts where they end; a guess checks nothing came in between).
    if (pcapng_) {
      const bool stale = always_guess_ && !from && committed_ > 1;
      slot.section = stale ? first_section_ : committed_section_;
      slot.declarations = stale ? first_declarations_ : committed_declarations_;
    }
    const ByteOrder order = pcapng_ ? slot.section.order() : order_;
    lock.unlock();
    if (from) {
      walk(c, *from, true, slot);
    } else {
      walk(c, resync(c, order), false, slot);
    }
    lock.lock();
    slot.state = State::Walked;
    changed_.notify_all();
  };
  if (k >= released_ + window) return false;  // every slot still read by some shard
  if (next.state == State::Walked) {
    if (next.exact ||
        (next.chained && next.start == truth && next.declarations == committed_declarations_)) {
      ++(next.exact ? counts_.exact : counts_.guesses_kept);
      next.state = State::Committed;
      ++committed_;
      committed_end_ = next.end;
      if (pcapng_) {
        committed_section_ = next.section;
        committed_declarations_ = next.declarations;
        if (committed_ == 1) {
          first_section_ = committed_section_;
          first_declarations_ = committed_declarations_;
        }
      }
      if (next.chunk.last || committed_ == chunk_count_) finished_ = true;
      changed_.notify_all();
    } else {
      ++counts_.guesses_wrong;
      walk_unlocked(k, next, truth);  // the guess was wrong: walk it from the truth
    }
    return true;
  }
  if (next.state == State::Free) {
    walk_unlocked(k, next, always_guess_ && k > 0 ? std::nullopt : std::optional{truth});
    return true;
  }
  // Chunk k is being walked by another thread: guess where a later one starts meanwhile.
  const std::size_t limit = std::min(chunk_count_, released_ + window);
  for (std::size_t j = k + 1; j < limit; ++j) {
    Slot& ahead = slots_[j % window];
    if (ahead.state == State::Free) {
      walk_unlocked(j, ahead, std::nullopt);
      return true;
    }
  }
  return false;
}

const PcapChunkIndex::Chunk* PcapChunkIndex::acquire(std::size_t c) {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (stopped_) return nullptr;
    if (c < committed_) return &slots_[c % slots_.size()].chunk;
    if (finished_) return nullptr;
    if (!advance(lock)) changed_.wait(lock);
  }
}

void PcapChunkIndex::release(std::size_t c) {
  std::unique_lock lock(mutex_);
  ++slots_[c % slots_.size()].released;
  while (released_ < committed_) {
    Slot& oldest = slots_[released_ % slots_.size()];
    if (oldest.released < shards_) break;
    oldest.state = State::Free;
    oldest.released = 0;
    ++released_;
  }
  // Every record of the released chunks is done with: their pages can leave this process's
  // RSS (the records of later chunks start after them).
  std::uint64_t from = 0;
  std::uint64_t to = 0;
  if (released_ - dropped_ >= kDropEvery || (finished_ && released_ == committed_)) {
    from = std::uint64_t{dropped_} * chunk_bytes_;
    to = std::min<std::uint64_t>(std::uint64_t{released_} * chunk_bytes_, size_);
    dropped_ = released_;
  }
  changed_.notify_all();
  // Outside the lock: a drop waits for the other cores to flush their TLBs, and they should
  // not wait for it in turn.
  lock.unlock();
  if (to > from) ::madvise(const_cast<std::byte*>(base_) + from, to - from, MADV_DONTNEED);
}

PcapChunkIndex::Counts PcapChunkIndex::counts() {
  std::lock_guard lock(mutex_);
  return counts_;
}

void PcapChunkIndex::stop() {
  std::lock_guard lock(mutex_);
  stopped_ = true;
  changed_.notify_all();
}

}  // namespace flowkit::detail
