#include "flowkit/sharded_reassembler.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "flowkit/reassembler.h"

namespace flowkit {

struct ShardedReassembler::Impl {
  std::vector<Reassembler> shards;
  /// Each shard's open connections, published by its own thread every few thousand frames.
  std::unique_ptr<std::atomic<std::uint64_t>[]> open;

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
};

ShardedReassembler::ShardedReassembler(Config config, std::size_t shards,
                                       const std::function<Handler&(std::size_t)>& handler_for)
    : impl_(std::make_unique<Impl>()) {
  shards = std::max<std::size_t>(shards, 1);
  impl_->shards.reserve(shards);
  impl_->open = std::make_unique<std::atomic<std::uint64_t>[]>(shards);
  for (std::size_t i = 0; i < shards; ++i) {
    Config shard = config;
    shard.shard = {i, shards};
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
  return !options.files.empty() &&
         std::none_of(options.files.begin(), options.files.end(),
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
  try {
    impl_->read(0, source, between);
  } catch (...) {
    errors[0] = std::current_exception();
  }
  if (errors[0] || source.stopped()) {
    for (auto& other : others) other.stop();
  }
  threads.clear();  // joins
  for (const auto& error : errors) {
    if (error) std::rethrow_exception(error);
  }
}

std::size_t ShardedReassembler::shards() const noexcept { return impl_->shards.size(); }

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
