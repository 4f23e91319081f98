#include "flowkit/sharded_reassembler.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <optional>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include "flow/connection_table.h"
#include "flowkit/capture_file.h"
#include "flowkit/reassembler.h"
#include "io/bpf_program.h"
#include "io/pcap_chunk_index.h"

namespace flowkit {

namespace {

constexpr int kLinkTypeEthernet = 1;

/// What the threads of one run_indexed() share.
struct IndexedRun {
  detail::PcapChunkIndex& index;
  const detail::BpfProgram* filter;
  PacketSource& source;
  std::atomic<std::uint64_t> filtered_out{0};
  std::uint64_t bytes_done = 0;                 ///< shard 0's thread only
  std::vector<std::exception_ptr> file_errors;  ///< per shard: the damage that ended the file
};

}  // namespace

struct ShardedReassembler::Impl {
  std::vector<Reassembler> shards;
  /// Each shard's open connections, published by its own thread every few thousand frames.
  std::unique_ptr<std::atomic<std::uint64_t>[]> open;
  std::atomic<std::uint64_t> frames_read{0};

  /// Runs shard `i` over `source`, publishing its count of open connections as it goes.
  void read(std::size_t i, PacketSource& source, const std::function<void()>& between) {
    constexpr std::uint64_t kPublishEvery = 4096;
    std::uint64_t frames = 0;
    auto& shard = shards[i];
    reassemble(source, shard, [&] {
      if (++frames % kPublishEvery == 0) {
        open[i].store(shard.stats().open_connections(), std::memory_order_relaxed);
      }
      if (between) between();
    });
    open[i].store(0, std::memory_order_relaxed);
  }

  /// Runs shard `i` over the frames the index lists for it, then finishes it.
  void read_indexed(std::size_t i, IndexedRun& run, const std::function<void()>& between) {
    constexpr std::uint64_t kPublishEvery = 4096;
    // The frames of a chunk were walked (and cached) by whichever thread walked it, often the
    // other core: ask for each frame well before it is read, its first line then the rest.
    constexpr std::size_t kFirstLineAhead = 8;
    constexpr std::size_t kWholeAhead = 4;
    constexpr auto kOffset = ~detail::PcapChunkIndex::kUnplaced;
    auto& index = run.index;
    auto& shard = shards[i];
    auto& table = detail::connection_table(shard);
    std::uint64_t frames = 0;
    std::uint64_t filtered = 0;
    for (std::size_t c = 0;; ++c) {
      if (run.source.stopped()) index.stop();
      const auto* chunk = index.acquire(c);
      if (chunk == nullptr) break;
      const auto& records = chunk->records[i];
      const auto& hashes = chunk->hashes[i];
      // Unplaced frames are listed for every shard: the lead one counts them.
      frames_read.fetch_add(records.size() - (i == 0 ? 0 : chunk->unplaced),
                            std::memory_order_relaxed);
      for (std::size_t n = 0; n < records.size(); ++n) {
        if (n + kFirstLineAhead < records.size()) {
          index.prefetch(records[n + kFirstLineAhead] & kOffset);
        }
        if (n + kWholeAhead < records.size()) index.prefetch_all(*chunk, i, n + kWholeAhead);
        // The walk hashed each placed frame's flow: its connection is asked for early too
        // (measured: 9 % less CPU with two threads; 5 % more once every line of the node was).
        if (n + kFirstLineAhead < records.size() && hashes[n + kFirstLineAhead] != 0) {
          table.prefetch_bucket(hashes[n + kFirstLineAhead]);
        }
        if (n + kWholeAhead < records.size() && hashes[n + kWholeAhead] != 0) {
          table.prefetch_node(hashes[n + kWholeAhead]);
        }
        const RawFrame frame = index.frame_at(*chunk, i, n);
        if (run.filter != nullptr && !run.filter->matches(frame)) {
          // Unplaced frames are listed for every shard: the lead one counts them.
          if ((records[n] & detail::PcapChunkIndex::kUnplaced) == 0 || i == 0) ++filtered;
          continue;
        }
        if ((records[n] & detail::PcapChunkIndex::kUnplaced) != 0) {
          shard.process(frame);
        } else {
          detail::process_known(shard, frame, {.placed = true, .hash = hashes[n]});
        }
        if (++frames % kPublishEvery == 0) {
          open[i].store(shard.stats().open_connections(), std::memory_order_relaxed);
        }
        if (between) between();
      }
      // Frames of other shards moved packet time on too: idle shards' timers must see it.
      if (chunk->last_ts != Timestamp{}) shard.advance_time(chunk->last_ts);
      run.filtered_out.fetch_add(std::exchange(filtered, 0), std::memory_order_relaxed);
      if (i == 0) {
        // Progress as the calling thread sees it (it also runs `between`).
        run.bytes_done = chunk->end;
        run.source.read_elsewhere(run.bytes_done, run.filtered_out.load(std::memory_order_relaxed));
      }
      const auto error = chunk->error;
      const bool last = chunk->last;
      index.release(c);
      if (error) {
        // Every shard reads up to the damage and reports it; none stops the others early.
        run.file_errors[i] = error;
        return;
      }
      if (last) break;
    }
    shard.finish();
    open[i].store(0, std::memory_order_relaxed);
  }
};

ShardedReassembler::ShardedReassembler(Config config, std::size_t shards,
                                       const std::function<Handler&(std::size_t)>& handler_for,
                                       Split split)
    : impl_(std::make_unique<Impl>()) {
  shards = std::max<std::size_t>(shards, 1);
  impl_->shards.reserve(shards);
  impl_->open = std::make_unique<std::atomic<std::uint64_t>[]>(shards);
  for (std::size_t i = 0; i < shards; ++i) {
    Config shard = config;
    // Split upstream, every shard is the only one to see its frames: it keeps and counts all.
    if (split == Split::ByFlowHash) shard.shard = {i, shards};
    shard.tcp.first_id = i + 1;
    shard.tcp.id_stride = shards;
    // Each shard gets its share of the connection and memory limits.
    shard.tcp.max_connections = std::max<std::size_t>(1, config.tcp.max_connections / shards);
    shard.tcp.memcap = std::max<std::size_t>(1, config.tcp.memcap / shards);
    impl_->shards.emplace_back(std::move(shard), handler_for(i));
  }
}

ShardedReassembler::~ShardedReassembler() = default;

bool ShardedReassembler::can_read(const SourceOptions& options) {
  return !options.files.empty() && std::none_of(options.files.begin(), options.files.end(),
                                                [](const std::string& f) { return f == "-"; });
}

std::vector<PacketSource> ShardedReassembler::open_readers(const SourceOptions& options,
                                                           std::size_t count) {
  std::vector<PacketSource> readers;
  readers.reserve(count);
  for (std::size_t i = 0; i < count; ++i) readers.push_back(PacketSource::open(options));
  return readers;
}

void ShardedReassembler::run(PacketSource& source, std::span<PacketSource> others,
                             const std::function<void()>& between) {
  auto& shards = impl_->shards;
  if (others.size() + 1 != shards.size()) {
    throw std::invalid_argument("ShardedReassembler::run needs one reader per shard");
  }
  std::vector<std::exception_ptr> errors(shards.size());
  std::vector<std::jthread> threads;
  threads.reserve(others.size());
  for (std::size_t i = 1; i < shards.size(); ++i) {
    threads.emplace_back([&, i] {
      try {
        impl_->read(i, others[i - 1], {});
      } catch (...) {
        errors[i] = std::current_exception();
      }
    });
  }
  bool stop_others = false;
  try {
    impl_->read(0, source, between);
  } catch (const CaptureError&) {
    errors[0] = std::current_exception();  // damage in the file: the others read up to it too
  } catch (...) {
    errors[0] = std::current_exception();
    stop_others = true;
  }
  if (stop_others || source.stopped()) {
    for (auto& other : others) other.stop();
  }
  threads.clear();  // joins
  for (const auto& error : errors) {
    if (error) std::rethrow_exception(error);
  }
}

bool ShardedReassembler::run_indexed(PacketSource& source, const std::function<void()>& between,
                                     std::size_t chunk_bytes) {
  const SourceOptions& options = source.options();
  if (source.live() || options.files.size() != 1 || options.files.front() == "-") return false;
  const auto files = expand_inputs(options.files);
  if (files.size() != 1) return false;
  const int fd = ::open(files.front().c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;  // run() reports it the usual way
  auto& shards = impl_->shards;
  auto index = detail::PcapChunkIndex::open(
      fd, files.front(), shards.size(),
      chunk_bytes == 0 ? detail::PcapChunkIndex::kDefaultChunkBytes : chunk_bytes);
  ::close(fd);  // the mapping keeps the file
  // Only Ethernet frames are placed by a quick look; with other links every shard would have to
  // decode every frame, and dispatching serves better.
  if (!index || index->link_type() != kLinkTypeEthernet) return false;
  std::optional<detail::BpfProgram> filter;
  if (!options.filter.empty()) filter.emplace().compile(options.filter, index->link_type(), 262144);

  source.read_elsewhere(0, 0);  // its progress shows the file as being read from here on
  IndexedRun run{*index, filter ? &*filter : nullptr,
                 source, {},
                 0,      std::vector<std::exception_ptr>(shards.size())};
  // A handler's exception stops every shard; damage in the file is met by each in turn.
  std::vector<std::exception_ptr> errors(shards.size());
  const auto read = [&](std::size_t i, const std::function<void()>& after_frame) {
    try {
      impl_->read_indexed(i, run, after_frame);
    } catch (...) {
      errors[i] = std::current_exception();
      index->stop();
    }
  };
  {
    std::vector<std::jthread> threads;
    threads.reserve(shards.size() - 1);
    for (std::size_t i = 1; i < shards.size(); ++i) threads.emplace_back([&, i] { read(i, {}); });
    read(0, between);
  }  // joins
  source.read_elsewhere(run.bytes_done, run.filtered_out.load());
  for (const auto& error : errors) {
    if (error) std::rethrow_exception(error);
  }
  for (const auto& error : run.file_errors) {
    if (error) std::rethrow_exception(error);
  }
  return true;
}

std::size_t ShardedReassembler::shards() const noexcept {
  return impl_->shards.size();
}

std::uint64_t ShardedReassembler::frames_read() const noexcept {
  return impl_->frames_read.load(std::memory_order_relaxed);
}

std::uint64_t ShardedReassembler::open_connections() const noexcept {
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < impl_->shards.size(); ++i) {
    total += impl_->open[i].load(std::memory_order_relaxed);
  }
  return total;
}

Stats ShardedReassembler::stats() const {
  Stats total;
  for (const auto& shard : impl_->shards) total += shard.stats();
  return total;
}

}  // namespace flowkit
