#include "tcp/segment_queue.h"

#include <algorithm>
#include <cstring>

#include "overlap_resolver.h"

namespace flowkit::detail {

SegmentQueue::InsertResult SegmentQueue::insert(std::uint64_t offset,
                                                std::span<const std::byte> data,
                                                OverlapPolicy policy,
                                                const ConflictFn& on_conflict) {
  InsertResult result;
  if (data.empty()) return result;
  const std::uint64_t end = offset + data.size();
  if (!segments_) segments_ = std::make_unique<Pieces>();
  auto& segments = *segments_;

  // Start at the last segment that begins at or before `offset`: it may reach into the new data.
  auto it = segments.upper_bound(offset);
  if (it != segments.begin()) {
    auto prev = std::prev(it);
    if (prev->first + prev->second.bytes.size() > offset) it = prev;
  }

  struct Uncovered {
    std::uint64_t offset;
    std::span<const std::byte> bytes;
  };
  std::vector<Uncovered> uncovered;
  std::uint64_t cursor = offset;  // first byte of the new data not yet accounted for
  for (; it != segments.end() && it->first < end; ++it) {
    const std::uint64_t old_begin = it->first;
    const std::uint64_t old_end = old_begin + it->second.bytes.size();
    if (cursor < old_begin) {
      uncovered.push_back({cursor, data.subspan(cursor - offset, old_begin - cursor)});
    }
    const std::uint64_t lap_begin = std::max(old_begin, offset);
    const std::uint64_t lap_end = std::min(old_end, end);
    const auto lap = static_cast<std::size_t>(lap_end - lap_begin);
    std::byte* old_bytes = it->second.bytes.data() + (lap_begin - old_begin);
    const std::byte* new_bytes = data.data() + (lap_begin - offset);
    result.overlapped += lap;
    if (std::memcmp(old_bytes, new_bytes, lap) != 0) {
      if (on_conflict) on_conflict(lap_begin, lap);
      if (new_data_wins(policy, it->second.arrived_begin, it->second.arrived_end, offset, end)) {
        std::memcpy(old_bytes, new_bytes, lap);
      }
    }
    cursor = std::max(cursor, lap_end);
  }
  if (cursor < end) uncovered.push_back({cursor, data.subspan(cursor - offset)});

  for (const auto& piece : uncovered) {
    segments.emplace(
        piece.offset,
        Piece{std::vector<std::byte>(piece.bytes.begin(), piece.bytes.end()), offset, end});
    bytes_ += piece.bytes.size();
    result.added += piece.bytes.size();
  }
  return result;
}

std::vector<std::byte> SegmentQueue::pop_front(std::uint64_t& offset) {
  auto node = segments_->extract(segments_->begin());
  offset = node.key();
  bytes_ -= node.mapped().bytes.size();
  return std::move(node.mapped().bytes);
}

std::size_t SegmentQueue::truncate(std::uint64_t offset) {
  if (!segments_) return 0;
  std::size_t dropped = 0;
  auto it = segments_->lower_bound(offset);
  if (it != segments_->begin()) {
    auto prev = std::prev(it);
    const std::uint64_t prev_end = prev->first + prev->second.bytes.size();
    if (prev_end > offset) {
      const auto cut = static_cast<std::size_t>(prev_end - offset);
      prev->second.bytes.resize(prev->second.bytes.size() - cut);
      dropped += cut;
    }
  }
  for (auto next = it; next != segments_->end(); ++next) dropped += next->second.bytes.size();
  segments_->erase(it, segments_->end());
  bytes_ -= dropped;
  return dropped;
}

}  // namespace flowkit::detail
