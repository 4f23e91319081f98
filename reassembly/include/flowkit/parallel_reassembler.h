#pragma once

#include <cstddef>
#include <functional>
#include <memory>

#include "flowkit/config.h"
#include "flowkit/handler.h"
#include "flowkit/raw_frame.h"
#include "flowkit/stats.h"

namespace flowkit {

/// Reassembly by N workers on N threads: the caller's and N - 1 of its own. Frames are
/// dispatched by a symmetric hash of the flow, so both directions of a connection always reach
/// the same worker, which owns a Reassembler of its own and calls its own Handler. Worker 0
/// runs on the caller's thread, inside process() and finish(), and takes a smaller share of
/// the flows (the caller also reads and dispatches every frame); the others get copies of
/// their frames in batches. IP fragments are reassembled before dispatch, so a fragmented
/// segment lands where the rest of its connection does. With one worker, it runs on a thread
/// of its own.
///
/// Handlers run concurrently: anything they share (an output file, counters) must be
/// synchronised by the caller. Connection ids stay unique across workers.
class ParallelReassembler {
 public:
  /// `handler_for(i)` gives worker i's handler; it must outlive the ParallelReassembler.
  ParallelReassembler(Config config, std::size_t workers,
                      const std::function<Handler&(std::size_t)>& handler_for);
  ~ParallelReassembler();
  ParallelReassembler(const ParallelReassembler&) = delete;
  ParallelReassembler& operator=(const ParallelReassembler&) = delete;

  /// Processes the frame (worker 0) or copies it to its worker's queue (blocks while that
  /// queue is full). An exception a handler threw is rethrown here, at once for worker 0 and
  /// soon after for the others (the other workers are stopped first), or at the latest by
  /// finish().
  void process(const RawFrame& frame);
  /// Delivers everything queued, ends every connection (EndOfInput) and stops the workers;
  /// rethrows a handler's exception.
  void finish();

  [[nodiscard]] std::size_t workers() const noexcept;
  /// Totals over all workers; exact after finish().
  [[nodiscard]] Stats stats() const;
  /// Stats::open_connections() over all workers, as each published it after its last batch:
  /// safe to call while the workers run (e.g. for a progress line), approximate until finish().
  [[nodiscard]] std::uint64_t open_connections() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace flowkit
