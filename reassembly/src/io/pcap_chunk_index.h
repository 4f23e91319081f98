#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "flowkit/raw_frame.h"
#include "io/pcap_record.h"
#include "io/pcapng_block.h"
#include "io/prefetch.h"

namespace flowkit::detail {

/// The records of one capture file (classic pcap with 16-byte records, or pcapng), found chunk
/// by chunk by several threads at once and listed per shard, so that each shard of a
/// ShardedReassembler visits only its own frames instead of walking every record header of the
/// file.
///
/// The file is mapped whole and cut into chunks of a fixed number of bytes; a chunk holds the
/// records whose header starts inside it. Where the records of a chunk start is only known
/// once the chunk before has been walked, so a thread that runs ahead walks a later chunk from
/// a resynchronisation point: the first offset where several plausible record headers chain.
/// That guess is kept only when it is where the chunk before really ends; otherwise the chunk
/// is walked again from there.
///
/// A pcapng block means what the section and interfaces declared before it say. A guess
/// assumes the ones known when it starts and gives up at any block that declares new ones; it
/// is kept only when nothing was declared in between. Interfaces change rarely (real files
/// declare them all at the start), so guesses are nearly always kept there too. A payload that
/// imitates record headers costs time, never correctness, and errors (a corrupt or truncated
/// record) are reported exactly where a sequential reader reports them, with the same words.
///
/// Frames peek_flow_hash() cannot place (fragments, tunnels, broken frames) are listed for
/// every shard: Reassembler's shard logic decides who keeps or counts them.
class PcapChunkIndex {
 public:
  struct Chunk {
    /// Per shard, in file order: record offsets, kUnplaced added to those listed for every
    /// shard (frames peek_flow_hash cannot place).
    std::vector<std::vector<std::uint64_t>> records;
    /// Beside `records`: each frame's flow hash (0 for unplaced frames), for cache hints.
    std::vector<std::vector<std::size_t>> hashes;
    /// pcapng only, beside `records`: each frame's interface, as an index into `interfaces`.
    std::vector<std::vector<std::uint32_t>> interface_of;
    /// pcapng only: the interfaces this chunk's frames refer to.
    std::vector<PcapngInterface> interfaces;
    std::size_t unplaced = 0;  ///< records listed for every shard (so count them once)
    Timestamp last_ts{};       ///< of the chunk's last record (to move idle shards' clocks)
    std::uint64_t end = 0;     ///< file offset where the next chunk's records start
    std::exception_ptr error;  ///< the file is damaged here, after the listed records
    bool last = false;         ///< nothing follows (end of file or error)
  };

  /// Maps `fd` (a regular file: a classic pcap file with 16-byte records, or a pcapng file
  /// that declares an interface before its first packet); nullptr when it is neither or cannot
  /// be mapped, for the caller to read it another way. `display` names the file in errors.
  /// `always_guess` (for tests) walks every chunk after the first from a guess, as only a
  /// thread running ahead otherwise does, and (pcapng) with only what the first chunk declared
  /// in mind, as a guess made long before it is needed may have.
  static std::unique_ptr<PcapChunkIndex> open(int fd, std::string display, std::size_t shards,
                                              std::size_t chunk_bytes = kDefaultChunkBytes,
                                              bool always_guess = false);
  ~PcapChunkIndex();
  PcapChunkIndex(const PcapChunkIndex&) = delete;
  PcapChunkIndex& operator=(const PcapChunkIndex&) = delete;

  /// Chunk `c` once it is known for sure, walking chunks itself while it waits; nullptr after
  /// the last one or once stop() was called. Each shard acquires 0, 1, 2... and releases each.
  const Chunk* acquire(std::size_t c);
  /// Shard is done with chunk `c`: once every shard is, its list and its pages are dropped.
  void release(std::size_t c);
  /// Makes every acquire() return nullptr.
  void stop();

  static constexpr std::uint64_t kUnplaced = std::uint64_t{1} << 63;

  /// The frame of `chunk`'s record `n` for `shard`.
  [[nodiscard]] RawFrame frame_at(const Chunk& chunk, std::size_t shard,
                                  std::size_t n) const noexcept {
    const std::uint64_t offset = chunk.records[shard][n] & ~kUnplaced;
    if (pcapng_) [[unlikely]] {
      return PcapngSection::packet_frame(base_ + offset,
                                         chunk.interfaces[chunk.interface_of[shard][n]]);
    }
    const auto header = PcapRecordHeader::read(order_, base_ + offset);
    return header.frame(base_ + offset + kPcapRecordHeaderSize, link_type_, nanosecond_);
  }
  /// Where `chunk`'s record `n` for `shard` ends in the file.
  [[nodiscard]] std::uint64_t record_end(const Chunk& chunk, std::size_t shard,
                                         std::size_t n) const noexcept {
    const std::uint64_t offset = chunk.records[shard][n] & ~kUnplaced;
    if (pcapng_) [[unlikely]] {
      const ByteOrder order = chunk.interfaces[chunk.interface_of[shard][n]].order;
      return offset + order.u32(base_ + offset + 4);
    }
    return offset + kPcapRecordHeaderSize + PcapRecordHeader::read(order_, base_ + offset).caplen;
  }
  /// Asks the cache for the first line of the record at `offset` (an entry of a Chunk's
  /// records, without kUnplaced), some records before it is needed; prefetch_all() then for
  /// the rest of `chunk`'s record `n` (its length is known once that line is).
  void prefetch(std::uint64_t offset) const noexcept { __builtin_prefetch(base_ + offset); }
  void prefetch_all(const Chunk& chunk, std::size_t shard, std::size_t n) const noexcept {
    const std::uint64_t offset = chunk.records[shard][n] & ~kUnplaced;
    prefetch_lines(base_, offset + kCacheLine, record_end(chunk, shard, n));
  }
  /// How the chunks were found: walked from a known start, or guessed (and the guess kept or
  /// found wrong and walked again).
  struct Counts {
    std::size_t exact = 0;
    std::size_t guesses_kept = 0;
    std::size_t guesses_wrong = 0;
  };
  [[nodiscard]] Counts counts();
  /// The file header's link type (pcapng: the first interface's).
  [[nodiscard]] int link_type() const noexcept { return link_type_; }
  [[nodiscard]] bool pcapng() const noexcept { return pcapng_; }
  [[nodiscard]] std::uint64_t size() const noexcept { return size_; }

  static constexpr std::size_t kDefaultChunkBytes = std::size_t{1} << 20;

 private:
  enum class State : unsigned char { Free, Walking, Walked, Committed };
  struct Slot {
    State state = State::Free;
    bool exact = false;       ///< walked from a known record start
    bool chained = false;     ///< the walk found a consistent chain to the chunk's end
    std::uint64_t start = 0;  ///< where the walk began
    std::uint64_t end = 0;    ///< where the next record starts (the next chunk's start)
    std::size_t released = 0;
    /// pcapng: the section as the walk found it at its end, and how many section headers and
    /// interface descriptions came before that (a guess declares none, and starts from the
    /// committed ones).
    PcapngSection section;
    std::uint64_t declarations = 0;
    Chunk chunk;
  };

  PcapChunkIndex(const std::byte* base, std::uint64_t size, std::string display, std::size_t shards,
                 std::size_t chunk_bytes, bool pcapng, ByteOrder order, bool nanosecond,
                 int link_type, std::uint32_t snaplen);

  [[nodiscard]] std::uint64_t chunk_begin(std::size_t c) const noexcept;
  [[nodiscard]] std::uint64_t chunk_end(std::size_t c) const noexcept;
  /// Fills `slot` by walking chunk `c` from `start`: exactly (errors recorded) or as a guess
  /// (any irregularity only marks the walk as not chained).
  void walk(std::size_t c, std::uint64_t start, bool exact, Slot& slot) const;
  /// The walks of either format, from `at` to the first record starting at or after `stop`;
  /// they return where they ended.
  std::uint64_t walk_pcap(std::uint64_t at, std::uint64_t stop, Slot& slot) const;
  std::uint64_t walk_pcapng(std::uint64_t at, std::uint64_t stop, Slot& slot) const;
  /// Lists the record at `at` for the shard its flow belongs to, or for every shard.
  void list(Chunk& chunk, std::uint64_t at, const RawFrame& frame,
            std::optional<std::uint32_t> interface) const;
  /// The walk meets damage: an exact one records the error, a guess is dropped.
  void irregular(Slot& slot, const std::string& what) const;
  /// The first offset in chunk `c` where kResyncChain plausible record headers chain.
  [[nodiscard]] std::uint64_t resync(std::size_t c, ByteOrder order) const noexcept;
  /// Where the next record starts if the bytes at `at`, read in byte order `order`, make a
  /// plausible record header (pcapng: a plausible block).
  [[nodiscard]] std::optional<std::uint64_t> after_plausible(std::uint64_t at,
                                                             ByteOrder order) const noexcept;
  /// Under the lock: commits what can be, or walks one chunk (unlocking while it does).
  /// False when there was nothing to do but wait.
  bool advance(std::unique_lock<std::mutex>& lock);

  const std::byte* base_;
  std::uint64_t size_;
  std::string display_;
  std::size_t shards_;
  std::size_t chunk_bytes_;
  std::size_t chunk_count_;
  bool pcapng_;
  std::uint64_t first_record_;  ///< past the pcap file header; 0 for pcapng
  ByteOrder order_;
  bool nanosecond_;
  int link_type_;
  std::uint32_t plausible_caplen_;   ///< the snaplen, or 256 KiB when the header says 0
  std::uint32_t first_seconds_ = 0;  ///< of the first record: guesses must be close to it
  bool always_guess_ = false;

  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Slot> slots_;
  std::size_t committed_ = 0;  ///< chunks [0, committed_) are known for sure
  /// Where the records of chunk committed_ start (kept apart: the slot of chunk committed_ - 1
  /// may already be reused once every shard is done with it).
  std::uint64_t committed_end_ = 0;
  /// pcapng: the section as of committed_end_, and its Slot::declarations.
  PcapngSection committed_section_;
  std::uint64_t committed_declarations_ = 0;
  PcapngSection first_section_;  ///< as of the end of chunk 0 (for always_guess_)
  std::uint64_t first_declarations_ = 0;
  std::size_t released_ = 0;  ///< chunks [0, released_) are released by every shard
  std::size_t dropped_ = 0;   ///< chunks [0, dropped_) have left the RSS
  bool finished_ = false;     ///< the last chunk is committed
  Counts counts_;
  bool stopped_ = false;
};

}  // namespace flowkit::detail
