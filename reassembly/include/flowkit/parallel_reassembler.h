#pragma once

#include <cstddef>
#include <functional>
#include <memory>

#include "flowkit/config.h"
#include "flowkit/handler.h"
#include "flowkit/raw_frame.h"
#include "flowkit/stats.h"

namespace flowkit {

/// Reassembly on N worker threads. Frames are dispatched by a symmetric hash of the flow, so
/// both directions of a connection always reach the same worker, which owns a Reassembler of
/// its own and calls its own Handler (from its own thread). IP fragments are reassembled before
/// dispatch, so a fragmented segment lands where the rest of its connection does.
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

  /// Copies the frame to its worker's queue (blocks while that queue is full). An exception a
  /// handler threw on a worker's thread is rethrown here, soon after (the other workers are
  /// stopped first), or at the latest by finish().
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
