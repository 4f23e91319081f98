#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <vector>

#include "flowkit/overlap_policy.h"

namespace flowkit::detail {

/// Out-of-order data of one direction, as disjoint byte ranges keyed by 64-bit stream offset.
/// Overlaps are resolved on insertion by the target-based policy, so the queue never holds two
/// copies of a byte and delivery is a walk from the front. The pieces live out of line, made at
/// the first insert: most streams never queue anything, and an empty queue is then two words of
/// the connection (it is asked whether it is empty on every packet) instead of a whole map.
class SegmentQueue {
 public:
  struct InsertResult {
    std::size_t added = 0;       ///< bytes newly buffered
    std::size_t overlapped = 0;  ///< bytes that overlapped buffered data
  };
  /// Called for each overlapped range whose two copies differ: (offset, length).
  using ConflictFn = std::function<void(std::uint64_t, std::uint64_t)>;

  InsertResult insert(std::uint64_t offset, std::span<const std::byte> data, OverlapPolicy policy,
                      const ConflictFn& on_conflict);

  /// What one queued piece costs beyond its bytes: a map node and the heap block of its vector,
  /// as glibc allocates them (a 1-byte piece was measured at 128 bytes). Charged to the memory
  /// cap so that a flood of tiny segments cannot hold 100 times the cap.
  static constexpr std::size_t kPieceOverhead = 128;

  [[nodiscard]] bool empty() const noexcept { return !segments_ || segments_->empty(); }
  [[nodiscard]] std::size_t bytes() const noexcept { return bytes_; }
  /// Bytes plus the bookkeeping of every piece: what the queue really holds.
  [[nodiscard]] std::size_t memory() const noexcept {
    return bytes_ + (segments_ ? segments_->size() * kPieceOverhead : 0);
  }
  /// Only when not empty().
  [[nodiscard]] std::uint64_t front_offset() const noexcept { return segments_->begin()->first; }

  /// Removes and returns the front segment's bytes; only when not empty().
  std::vector<std::byte> pop_front(std::uint64_t& offset);
  /// Drops everything at or beyond `offset` (data past a FIN); returns bytes dropped.
  std::size_t truncate(std::uint64_t offset);
  void clear() noexcept {
    segments_.reset();
    bytes_ = 0;
  }

 private:
  struct Piece {
    std::vector<std::byte> bytes;
    // Extent of the segment this piece arrived in: targets decide overlaps by whole segments.
    std::uint64_t arrived_begin = 0;
    std::uint64_t arrived_end = 0;
  };
  using Pieces = std::map<std::uint64_t, Piece>;
  std::unique_ptr<Pieces> segments_;  ///< null until the first insert
  std::size_t bytes_ = 0;
};

}  // namespace flowkit::detail
