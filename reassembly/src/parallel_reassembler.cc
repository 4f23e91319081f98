#include "flowkit/parallel_reassembler.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "decode/decoder.h"
#include "defrag/defragmenter.h"
#include "elapsed.h"
#include "flow/connection_table.h"
#include "flowkit/flow_key.h"
#include "flowkit/reassembler.h"
#include "io/prefetch.h"

namespace flowkit {

namespace {

/// A hint to the core that this thread is waiting on memory another core will write.
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// Frames travel to workers in batches: one copy per frame, one queue operation per batch.
struct Batch {
  struct Entry {
    Timestamp ts{};
    int link_type = 0;
    std::uint32_t wire_length = 0;
    std::size_t offset = 0;
    std::size_t size = 0;
    std::size_t hash = 0;  ///< the flow's symmetric_hash, 0 when the dispatcher did not need it
    bool tick = false;     ///< no frame: only advances the worker's clock
  };
  std::vector<Entry> entries;
  std::vector<std::byte> bytes;

  void add(const RawFrame& f, std::size_t hash) {
    entries.push_back({f.ts, f.link_type, f.wire_length, bytes.size(), f.data.size(), hash, false});
    bytes.insert(bytes.end(), f.data.begin(), f.data.end());
  }
  void add_tick(Timestamp ts) { entries.push_back({ts, 0, 0, 0, 0, 0, true}); }
  void clear() noexcept {
    entries.clear();
    bytes.clear();
  }
  [[nodiscard]] bool full() const noexcept {
    return entries.size() >= 512 || bytes.size() >= (std::size_t{1} << 20);
  }
};

// A bounded queue of batches from the dispatcher to one worker, plus the way back for empty
// batches so their buffers are reused.
class BatchQueue {
 public:
  void push(std::unique_ptr<Batch> batch) {
    std::unique_lock lock(mutex_);
    not_full_.wait(lock, [&] { return full_.size() < kDepth; });
    full_.push_back(std::move(batch));
    queued_.store(full_.size(), std::memory_order_release);
    not_empty_.notify_one();
  }
  /// nullptr once closed and drained.
  std::unique_ptr<Batch> pop() {
    // The next batch is usually a few microseconds away: waiting for it awake is cheaper than
    // falling asleep and being woken (2 threads dispatching, 1.1 GB capture: 0.244 against
    // 0.270 s, for 0.05 s more CPU; the scheduler had taken a tenth of the run). An idle link
    // costs a worker this much awake time per batch, then it sleeps.
    if (queued_.load(std::memory_order_acquire) == 0) {
      const auto until = std::chrono::steady_clock::now() + kSpinFor;
      while (queued_.load(std::memory_order_acquire) == 0 &&
             !closed_.load(std::memory_order_acquire) && std::chrono::steady_clock::now() < until) {
        for (int i = 0; i < 32; ++i) cpu_relax();
      }
    }
    std::unique_lock lock(mutex_);
    not_empty_.wait(lock,
                    [&] { return !full_.empty() || closed_.load(std::memory_order_relaxed); });
    if (full_.empty()) return nullptr;
    auto batch = std::move(full_.front());
    full_.pop_front();
    queued_.store(full_.size(), std::memory_order_release);
    not_full_.notify_one();
    return batch;
  }
  void close() {
    std::lock_guard lock(mutex_);
    closed_.store(true, std::memory_order_release);
    not_empty_.notify_all();
  }
  void recycle(std::unique_ptr<Batch> batch) {
    batch->clear();
    std::lock_guard lock(mutex_);
    if (spare_.size() < kDepth + 2) spare_.push_back(std::move(batch));
  }
  std::unique_ptr<Batch> fresh() {
    std::lock_guard lock(mutex_);
    if (spare_.empty()) return std::make_unique<Batch>();
    auto batch = std::move(spare_.back());
    spare_.pop_back();
    return batch;
  }

 private:
  static constexpr std::size_t kDepth = 8;
  std::mutex mutex_;
  std::condition_variable not_empty_;
  std::condition_variable not_full_;
  std::deque<std::unique_ptr<Batch>> full_;
  static constexpr auto kSpinFor = std::chrono::microseconds(200);
  std::atomic<std::size_t> queued_{0};  ///< full_.size(), for waiting without the lock
  std::vector<std::unique_ptr<Batch>> spare_;
  std::atomic<bool> closed_{false};  ///< atomic: the spin in pop() reads it without the lock
};

struct Worker {
  Worker(const Config& config, Handler& handler) : reassembler(config, handler) {}
  Reassembler reassembler;
  BatchQueue queue;
  std::unique_ptr<Batch> filling;
  std::thread thread;
  std::atomic<std::uint64_t> open_connections{0};  ///< published after each batch
  /// A handler's exception, kept for the dispatching thread to rethrow; the worker then only
  /// drains its queue so that the dispatcher never blocks on it.
  std::exception_ptr error;
  std::atomic<bool> failed{false};

  void run() {
    try {
      work();
    } catch (...) {
      error = std::current_exception();
      failed.store(true, std::memory_order_release);
      while (auto batch = queue.pop()) queue.recycle(std::move(batch));
    }
    open_connections.store(0, std::memory_order_relaxed);
  }

  void work() {
    // A batch lists what comes next: each frame's connection, and the frame's own lines, are
    // asked for a few frames before they are needed (the dispatcher wrote the frames on the
    // other core).
    constexpr std::size_t kBucketAhead = 8;
    constexpr std::size_t kNodeAhead = 4;
    auto& table = detail::connection_table(reassembler);
    while (auto batch = queue.pop()) {
      const auto& entries = batch->entries;
      for (std::size_t n = 0; n < entries.size(); ++n) {
        if (n + kBucketAhead < entries.size() && entries[n + kBucketAhead].hash != 0) {
          table.prefetch_bucket(entries[n + kBucketAhead].hash);
        }
        if (n + kNodeAhead < entries.size()) {
          const auto& ahead = entries[n + kNodeAhead];
          if (ahead.hash != 0) table.prefetch_node(ahead.hash);
          detail::prefetch_lines(batch->bytes.data(), ahead.offset, ahead.offset + ahead.size);
        }
        const auto& e = entries[n];
        if (e.tick) {
          reassembler.advance_time(e.ts);
          continue;
        }
        RawFrame frame;
        frame.ts = e.ts;
        frame.link_type = e.link_type;
        frame.wire_length = e.wire_length;
        frame.data = std::span<const std::byte>(batch->bytes).subspan(e.offset, e.size);
        detail::process_known(reassembler, frame, {.placed = false, .hash = e.hash});
      }
      queue.recycle(std::move(batch));
      open_connections.store(reassembler.stats().open_connections(), std::memory_order_relaxed);
    }
    reassembler.finish();
  }
};

}  // namespace

struct ParallelReassembler::Impl {
  Impl(Config c, std::size_t n, const std::function<Handler&(std::size_t)>& handler_for)
      : config(std::move(c)), defrag(config.defrag, dispatch_stats) {
    if (n == 0) n = 1;
    for (std::size_t i = 0; i < n; ++i) {
      Config worker_config = config;
      worker_config.tcp.first_id = i + 1;
      worker_config.tcp.id_stride = n;
      // Each worker gets its share of the connection and memory limits.
      worker_config.tcp.max_connections = std::max<std::size_t>(1, config.tcp.max_connections / n);
      worker_config.tcp.memcap = std::max<std::size_t>(1, config.tcp.memcap / n);
      workers.push_back(std::make_unique<Worker>(worker_config, handler_for(i)));
    }
    // With several workers the first runs on the caller's thread, between reads: no copy and
    // no hand-over for its frames, and no more threads than asked for. It gets a smaller share
    // of the flows, since reading and dispatching every frame is its work too (see
    // kInlineUnits).
    for (std::size_t i = first_on_caller() ? 1 : 0; i < workers.size(); ++i) {
      auto& w = workers[i];
      w->filling = w->queue.fresh();
      w->thread = std::thread([worker = w.get()] { worker->run(); });
    }
  }

  ~Impl() { finish_workers(); }

  [[nodiscard]] bool first_on_caller() const noexcept { return workers.size() >= 2; }

  std::size_t pick(std::size_t hash) const noexcept {
    if (!first_on_caller()) return shard_of(hash, workers.size());
    const std::size_t unit = shard_of(hash, kInlineUnits + kUnitsPerThread * (workers.size() - 1));
    return unit < kInlineUnits ? 0 : 1 + (unit - kInlineUnits) / kUnitsPerThread;
  }

  void send(std::size_t hash, const RawFrame& frame) { send_to(pick(hash), frame, hash); }
  void send_to(std::size_t index, const RawFrame& frame, std::size_t hash = 0) {
    auto& w = *workers[index];
    if (index == 0 && first_on_caller()) {
      on_caller(
          [&] { detail::process_known(w.reassembler, frame, {.placed = false, .hash = hash}); });
      return;
    }
    w.filling->add(frame, hash);
    if (w.filling->full()) flush(w);
  }

  /// Runs `work` on the caller's worker; its handler's exception stops the other workers and
  /// goes on to the caller (nothing more reaches that worker).
  template <class Work>
  void on_caller(Work&& work) {
    auto& first = *workers.front();
    if (first.failed.load(std::memory_order_relaxed)) return;
    try {
      work();
    } catch (...) {
      first.failed.store(true, std::memory_order_relaxed);
      finish_workers();
      throw;
    }
  }

  void flush(Worker& w) {
    if (!w.filling || w.filling->entries.empty()) return;
    w.queue.push(std::move(w.filling));
    w.filling = w.queue.fresh();
  }

  /// A worker's handler threw: stop the others and rethrow it here, on the caller's thread
  /// (once: after that the worker counts as stopped).
  void rethrow_failure() {
    for (auto& w : workers) {
      if (w->failed.load(std::memory_order_acquire) && w->error) {
        finish_workers();
        std::rethrow_exception(std::exchange(w->error, nullptr));
      }
    }
  }

  void process(const RawFrame& frame) {
    if (++frames_since_check >= kCheckEvery) {
      frames_since_check = 0;
      rethrow_failure();
      if (first_on_caller()) {
        auto& first = *workers.front();
        first.open_connections.store(first.reassembler.stats().open_connections(),
                                     std::memory_order_relaxed);
      }
    }
    tick(frame.ts);
    // Most frames are placed by a look at their headers; the rest are decoded here.
    if (const auto hash = detail::peek_flow_hash(frame.link_type, frame.data)) {
      send(*hash, frame);
      return;
    }
    detail::LinkView link;
    PacketInfo pkt;
    detail::FragmentView fragment;
    if (detail::decode_link(frame.link_type, frame.data, link) ||
        detail::decode_ip(link.l3, false, pkt, fragment)) {
      send_to(0, frame);  // undecodable: worker 0 counts the drop
      return;
    }
    pkt.vlan_key = link.vlan_key;
    if (!fragment.is_fragment) {
      if (detail::decode_transport(pkt, false)) {
        send_to(0, frame);
        return;
      }
      send(detail::decoded_flow_hash(pkt), frame);
      return;
    }
    ++dispatch_stats.packets;
    dispatch_stats.bytes += std::max<std::uint64_t>(frame.wire_length, frame.data.size());
    ++dispatch_stats.ip_packets;
    if (pkt.src.is_v6()) ++dispatch_stats.ipv6_packets;
    if (!config.defrag.enabled) return;
    pkt.ts = frame.ts;
    const auto whole = defrag.add(detail::fragment_of(pkt, fragment));
    if (!whole) return;
    // Hand the datagram on as one internal frame that keeps the VLAN context.
    reassembled.resize(4 + whole->size());
    std::memcpy(reassembled.data(), &link.vlan_key, 4);
    std::memcpy(reassembled.data() + 4, whole->data(), whole->size());
    RawFrame out;
    out.ts = frame.ts;
    out.link_type = detail::kLinkTypeReassembledIp;
    out.data = reassembled;
    out.wire_length = static_cast<std::uint32_t>(reassembled.size());
    PacketInfo inner;
    detail::FragmentView none;
    detail::LinkView inner_link;
    if (detail::decode_link(out.link_type, out.data, inner_link) ||
        detail::decode_ip(inner_link.l3, false, inner, none) ||
        detail::decode_transport(inner, false)) {
      send_to(0, out);
      return;
    }
    inner.vlan_key = link.vlan_key;
    send(detail::decoded_flow_hash(inner), out);
  }

  // Idle workers still need their timers to run: every second of packet time, all get a tick.
  void tick(Timestamp ts) {
    if (detail::elapsed(ts, last_tick) < config.timer_granularity) return;
    last_tick = ts;
    defrag.expire(ts);
    for (auto& w : workers) {
      if (!w->filling) {  // the caller's worker
        on_caller([&] { w->reassembler.advance_time(ts); });
        continue;
      }
      w->filling->add_tick(ts);
      if (w->filling->full()) flush(*w);
    }
  }

  void finish() {
    finish_workers();
    rethrow_failure();
  }

  void finish_workers() {
    if (finished) return;
    finished = true;
    for (auto& w : workers) {
      flush(*w);
      w->queue.close();
    }
    if (first_on_caller() && !workers.front()->failed.load(std::memory_order_relaxed)) {
      auto& first = *workers.front();
      try {
        first.reassembler.finish();
      } catch (...) {
        first.error = std::current_exception();
        first.failed.store(true, std::memory_order_release);
      }
    }
    for (auto& w : workers) {
      if (w->thread.joinable()) w->thread.join();
    }
  }

  // How often process() looks for a failed worker (not a shared load per frame).
  static constexpr unsigned kCheckEvery = 1024;
  unsigned frames_since_check = 0;
  // The hash space is cut into units: kInlineUnits for the caller's worker, kUnitsPerThread
  // for each of the others. With two workers on the bench capture the caller's third was the
  // best compromise: bare reassembly was a few % faster with a fifth, flowgrep (more work per
  // byte, so reading weighs less) about 7 % faster with three sevenths.
  static constexpr std::size_t kInlineUnits = 2;
  static constexpr std::size_t kUnitsPerThread = 4;

  Config config;
  Stats dispatch_stats;
  detail::Defragmenter defrag;
  std::vector<std::unique_ptr<Worker>> workers;
  std::vector<std::byte> reassembled;
  Timestamp last_tick{};
  bool finished = false;
};

ParallelReassembler::ParallelReassembler(Config config, std::size_t workers,
                                         const std::function<Handler&(std::size_t)>& handler_for)
    : impl_(std::make_unique<Impl>(std::move(config), workers, handler_for)) {}
ParallelReassembler::~ParallelReassembler() = default;

void ParallelReassembler::process(const RawFrame& frame) {
  impl_->process(frame);
}
void ParallelReassembler::finish() {
  impl_->finish();
}
std::size_t ParallelReassembler::workers() const noexcept {
  return impl_->workers.size();
}

std::uint64_t ParallelReassembler::open_connections() const noexcept {
  std::uint64_t total = 0;
  for (const auto& w : impl_->workers) {
    total += w->open_connections.load(std::memory_order_relaxed);
  }
  return total;
}

Stats ParallelReassembler::stats() const {
  Stats total = impl_->dispatch_stats;
  for (const auto& w : impl_->workers) total += w->reassembler.stats();
  return total;
}

}  // namespace flowkit
