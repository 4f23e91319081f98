#pragma once

#include <hs/hs.h>

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "pattern_set.h"

namespace flowkit::flowgrep {

/// One match inside a direction's stream. Offsets are stream offsets (0 = first byte the
/// direction sent); `start` equals `end` when the pattern cannot report its start.
struct Hit {
  unsigned pattern = 0;
  std::uint64_t start = 0;
  std::uint64_t end = 0;
};

/// Hyperscan state of one direction of one connection.
class DirectionStream {
 public:
  DirectionStream() = default;
  [[nodiscard]] bool open() const noexcept { return stream_ != nullptr; }

 private:
  friend class StreamMatcher;
  struct Close {
    void operator()(hs_stream_t* s) const noexcept {
      hs_close_stream(s, nullptr, nullptr, nullptr);
    }
  };
  std::unique_ptr<hs_stream_t, Close> stream_;
  std::uint64_t base_ = 0;      ///< stream offset where the Hyperscan stream began (after a gap)
  std::vector<bool> reported_;  ///< patterns already reported in this direction
};

/// Scans directions of connections in streaming mode, so a match split across segments is
/// found without buffering the stream. Each pattern is reported once per direction (its first,
/// leftmost match). One StreamMatcher per thread (it owns the scratch).
class StreamMatcher {
 public:
  explicit StreamMatcher(const CompiledPatterns& patterns);
  StreamMatcher(const StreamMatcher&) = delete;
  StreamMatcher& operator=(const StreamMatcher&) = delete;

  /// Feeds the next in-order bytes, which start at stream offset `offset`; appends hits.
  void scan(DirectionStream& stream, std::uint64_t offset, std::span<const std::byte> bytes,
            std::vector<Hit>& hits);
  /// Bytes are missing before `offset`: no match may span them, so the stream starts over.
  void restart(DirectionStream& stream, std::uint64_t offset, std::vector<Hit>& hits);
  /// End of the direction: reports end-anchored matches and frees the state.
  void close(DirectionStream& stream, std::vector<Hit>& hits);

 private:
  void open(DirectionStream& stream, std::uint64_t offset);

  struct ScratchFree {
    void operator()(hs_scratch_t* s) const noexcept { hs_free_scratch(s); }
  };
  const CompiledPatterns& patterns_;
  std::unique_ptr<hs_scratch_t, ScratchFree> scratch_;
};

}  // namespace flowkit::flowgrep
