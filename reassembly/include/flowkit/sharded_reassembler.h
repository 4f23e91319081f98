#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "flowkit/config.h"
#include "flowkit/handler.h"
#include "flowkit/packet_source.h"
#include "flowkit/stats.h"

namespace flowkit {

/// Reassembles capture files on N threads without a dispatcher: each thread keeps only its
/// shard of the flows (Config::shard). run_indexed() (one pcap or pcapng file) lets the threads
/// share an index of the file's records, so each reads only its own frames; run() gives every
/// thread a reader of its own that walks all the inputs and skips other shards' frames after a
/// look at their headers. Nothing is copied or handed between threads. Files only: a live
/// interface or standard input can be read once, and goes to a ParallelReassembler instead.
///
/// Both directions of a connection belong to the same shard. Each shard calls its own Handler
/// from its own thread: anything handlers share must be synchronised by the caller. Connection
/// ids stay unique across shards.
class ShardedReassembler {
 public:
  /// How frames reach the shards. ByFlowHash: each shard keeps its share of the flows among
  /// all it reads. Upstream: each reader already delivers whole flows of its own (the members
  /// of an AF_PACKET fanout group, SourceOptions::fanout), so each shard keeps all it reads.
  enum class Split { ByFlowHash, Upstream };

  /// `handler_for(i)` gives shard i's handler; it must outlive the ShardedReassembler.
  ShardedReassembler(Config config, std::size_t shards,
                     const std::function<Handler&(std::size_t)>& handler_for,
                     Split split = Split::ByFlowHash);
  ~ShardedReassembler();
  ShardedReassembler(const ShardedReassembler&) = delete;
  ShardedReassembler& operator=(const ShardedReassembler&) = delete;

  /// True when several readers can read `options` at once: files, not "-" (standard input).
  /// (A live interface is read by several threads through a fanout group instead: run() with
  /// the source's fanout_members() as `others`, built with Split::Upstream.)
  [[nodiscard]] static bool can_read(const SourceOptions& options);

  /// Reads `source` with shard 0 on the calling thread, running `between` after each of its
  /// frames (e.g. a progress line), and each of `others` (shards() - 1 more readers of the
  /// same inputs, see open_readers()) with the next shard on a thread of its own; then
  /// finishes every shard. Stopping `source` stops them all. An error of any reader is
  /// rethrown here once all threads ended.
  void run(PacketSource& source, std::span<PacketSource> others,
           const std::function<void()>& between = {});

  /// The fast way for one pcap or pcapng file whose first interface is Ethernet (what `source`
  /// was opened on, alone): the threads share the work of finding its records, chunk by chunk, and
  /// each visits only the frames of its shard, so no thread walks the whole file. `source` itself
  /// is left unread, but stopping it stops the run, and its progress() and filtered_out()
  /// follow the run. Shard 0 runs on the calling thread, `between` after each of its frames.
  /// Returns false, having read nothing, for any other input (live, another link type, several
  /// files, standard input, a file that cannot be mapped, the "modified" pcap format, a pcapng
  /// file that declares no interface before its first packet): then use run(). Frames of a
  /// pcapng file's other interfaces are read too, by every shard (as unplaced frames are). Errors
  /// are those a sequential read reports, thrown once all threads ended. `chunk_bytes` sets the
  /// unit of work (0: 1 MiB); tests use small ones.
  bool run_indexed(PacketSource& source, const std::function<void()>& between = {},
                   std::size_t chunk_bytes = 0);

  /// `count` readers of the inputs `options` describe (can_read() must be true). Opened apart
  /// from run() so that a tool can open them before it gives up privileges.
  [[nodiscard]] static std::vector<PacketSource> open_readers(const SourceOptions& options,
                                                              std::size_t count);

  [[nodiscard]] std::size_t shards() const noexcept;
  /// Connections open in all shards, as each last published it (every few thousand frames):
  /// safe to call from `between` while run() goes on, e.g. for a progress line.
  [[nodiscard]] std::uint64_t open_connections() const noexcept;
  /// Frames all shards have read so far, as published (every chunk) during run_indexed(); for
  /// progress lines.
  [[nodiscard]] std::uint64_t frames_read() const noexcept;
  /// Totals over all shards; exact after run().
  [[nodiscard]] Stats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace flowkit
