// bench_flowkit: reassembles a capture with flowkit, reading every delivered byte (they are
// summed, so nothing can be optimised away), and prints the throughput.
//
//   bench_flowkit [--mode reassemble|read] [--threads N] [--dispatch] [--indexed] [--plain-sum]
//                 [--midstream] FILE
//   bench_flowkit --mode spin [--threads N]
//
// --mode read only reads the file and touches every captured byte: the floor any tool pays.
// --mode spin is the control for thread scaling: a fixed amount of arithmetic (no memory)
// shared by N threads, so 1 against 2 threads shows what the machine's cores give at best.
// --threads N (N >= 2) reassembles with a ShardedReassembler (threads share an index of a
// classic pcap's records and each reads its share of the flows; other files: every thread
// reads the file), or with --dispatch a ParallelReassembler (one thread reads and hands
// frames to N workers); one byte-summing handler per thread. 1 (the default) is the plain
// single-threaded Reassembler; --indexed reads it as the tools do with one thread (one shard
// over the file's record index). --plain-sum sums with the earlier plain byte loop.
// The last line is machine-readable for bench/run.sh:
//   RESULT tool=flowkit packets=N bytes=N seconds=S delivered=N checksum=N ...
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "flowkit/packet_source.h"
#include "flowkit/parallel_reassembler.h"
#include "flowkit/reassembler.h"
#include "flowkit/sharded_reassembler.h"

namespace {

// The earlier callback, kept for comparison (--plain-sum): a plain byte loop, which GCC
// vectorises with a dozen unpack-and-add instructions per 16 bytes (2.2 instructions per byte).
[[gnu::noinline]] std::uint64_t plain_byte_sum(std::span<const std::byte> bytes) noexcept {
  std::uint64_t sum = 0;
  for (const std::byte b : bytes) sum += std::to_integer<std::uint64_t>(b);
  return sum;
}

bool g_plain_sum = false;

// Every byte counts. The sum runs 16 bytes per SSE2 PSADBW: with the plain loop a third of a
// whole reassembly run went to the callback, the same absolute time in both benches, which hid
// the engines' difference. nids_bench.c uses the same code; both stay out of line so that
// whatever calls them cannot change how they are compiled.
[[gnu::noinline]] std::uint64_t byte_sum(std::span<const std::byte> bytes) noexcept {
  if (g_plain_sum) return plain_byte_sum(bytes);
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const std::size_t n = bytes.size();
  std::size_t i = 0;
  std::uint64_t sum = 0;
#if defined(__SSE2__)
  const __m128i zero = _mm_setzero_si128();
  __m128i acc = zero;
  for (; i + 16 <= n; i += 16) {
    const __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    acc = _mm_add_epi64(acc, _mm_sad_epu8(block, zero));
  }
  sum = static_cast<std::uint64_t>(_mm_cvtsi128_si64(acc)) +
        static_cast<std::uint64_t>(_mm_cvtsi128_si64(_mm_unpackhi_epi64(acc, acc)));
#endif
  for (; i < n; ++i) sum += p[i];
  return sum;
}

// A cache line each: with threads the readers sit side by side in a vector, and their counters,
// written for every chunk delivered, would otherwise bounce between the cores.
class alignas(64) ByteReader final : public flowkit::Handler {
 public:
  std::size_t on_data(flowkit::Connection& /*conn*/, flowkit::Direction /*dir*/,
                      const flowkit::StreamChunk& chunk) override {
    checksum_ += byte_sum(chunk.bytes);
    delivered_ += chunk.bytes.size();
    return chunk.bytes.size();
  }
  void on_gap(flowkit::Connection& /*conn*/, flowkit::Direction /*dir*/, std::uint64_t /*offset*/,
              std::uint64_t length, flowkit::GapReason /*reason*/) override {
    ++gaps_;
    gap_bytes_ += length;
  }

  [[nodiscard]] std::uint64_t checksum() const noexcept { return checksum_; }
  [[nodiscard]] std::uint64_t delivered() const noexcept { return delivered_; }
  [[nodiscard]] std::uint64_t gaps() const noexcept { return gaps_; }
  [[nodiscard]] std::uint64_t gap_bytes() const noexcept { return gap_bytes_; }

 private:
  std::uint64_t checksum_ = 0;
  std::uint64_t delivered_ = 0;
  std::uint64_t gaps_ = 0;
  std::uint64_t gap_bytes_ = 0;
};

struct Totals {
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;  // bytes of every frame (as Stats counts them: the wire length)
  std::uint64_t checksum = 0;
  std::uint64_t delivered = 0;
  std::uint64_t connections = 0;
  std::uint64_t gaps = 0;
  std::uint64_t gap_bytes = 0;
  std::uint64_t max_connections = 0;  // sampled: connections tracked at once
  std::uint64_t max_buffered = 0;     // sampled: out-of-order and kept bytes
};

Totals read_only(flowkit::PacketSource& source) {
  Totals t;
  while (auto frame = source.next()) {
    ++t.packets;
    t.bytes += frame->data.size();
    t.checksum += byte_sum(frame->data);
  }
  return t;
}

Totals reassemble(flowkit::PacketSource& source, bool midstream) {
  // Sampling the table every few thousand packets costs nothing measurable.
  constexpr std::uint64_t kSampleEvery = 4096;
  Totals t;
  ByteReader reader;
  flowkit::Config config;
  config.tcp.midstream = midstream;
  flowkit::Reassembler reassembler(config, reader);
  flowkit::reassemble(source, reassembler, [&] {
    if (++t.packets % kSampleEvery == 0) {
      t.max_connections =
          std::max<std::uint64_t>(t.max_connections, reassembler.connection_count());
      t.max_buffered = std::max<std::uint64_t>(t.max_buffered, reassembler.memory_used());
    }
  });
  t.bytes = reassembler.stats().bytes;
  t.checksum = reader.checksum();
  t.delivered = reader.delivered();
  t.connections = reassembler.stats().connections_opened;
  t.gaps = reader.gaps();
  t.gap_bytes = reader.gap_bytes();
  return t;
}

Totals sum_readers(const std::vector<ByteReader>& readers, const flowkit::Stats& stats) {
  Totals t;
  for (const ByteReader& r : readers) {
    t.checksum += r.checksum();
    t.delivered += r.delivered();
    t.gaps += r.gaps();
    t.gap_bytes += r.gap_bytes();
  }
  t.connections = stats.connections_opened;
  t.packets = stats.packets;
  t.bytes = stats.bytes;
  return t;
}

// A dispatching thread that hands frames to worker threads (what live capture uses).
Totals reassemble_dispatched(flowkit::PacketSource& source, bool midstream, std::size_t threads) {
  std::vector<ByteReader> readers(threads);  // one per worker: they run concurrently
  flowkit::Config config;
  config.tcp.midstream = midstream;
  flowkit::ParallelReassembler reassembler(
      config, threads, [&](std::size_t i) -> flowkit::Handler& { return readers[i]; });
  while (auto frame = source.next()) reassembler.process(*frame);
  reassembler.finish();
  return sum_readers(readers, reassembler.stats());
}

// Every thread reads the file and keeps its shard of the flows (what the tools do with files).
Totals reassemble_sharded(flowkit::PacketSource& source, const flowkit::SourceOptions& options,
                          bool midstream, std::size_t threads) {
  std::vector<ByteReader> readers(threads);
  flowkit::Config config;
  config.tcp.midstream = midstream;
  flowkit::ShardedReassembler reassembler(
      config, threads, [&](std::size_t i) -> flowkit::Handler& { return readers[i]; });
  if (!reassembler.run_indexed(source)) {
    auto others = flowkit::ShardedReassembler::open_readers(options, threads - 1);
    reassembler.run(source, others);
  }
  return sum_readers(readers, reassembler.stats());
}

// The scaling control: `threads` threads share kSpinSteps steps of a dependent multiply chain
// that lives in registers, so nothing but the cores themselves limits how it scales.
Totals spin(std::size_t threads) {
  constexpr std::uint64_t kSpinSteps = std::uint64_t{1} << 28;
  std::vector<std::uint64_t> results(threads);
  {
    std::vector<std::jthread> workers;
    for (std::size_t t = 0; t < threads; ++t) {
      workers.emplace_back([&results, t, steps = kSpinSteps / threads] {
        std::uint64_t x = t + 1;
        for (std::uint64_t i = 0; i < steps; ++i) x = x * 0x9e3779b97f4a7c15ULL + i;
        results[t] = x;
      });
    }
  }
  Totals t;
  for (const auto r : results) t.checksum += r;
  return t;
}

int usage() {
  fmt::print(stderr,
             "usage: bench_flowkit [--mode reassemble|read] [--threads N] [--dispatch] [--indexed] "
             "[--plain-sum] [--midstream] FILE\n"
             "       bench_flowkit --mode spin [--threads N]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = "reassemble";
  std::string path;
  bool midstream = false;
  bool dispatch = false;
  bool indexed = false;
  int threads = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--mode" && i + 1 < argc) {
      mode = argv[++i];
    } else if (arg == "--threads" && i + 1 < argc) {
      threads = std::atoi(argv[++i]);
    } else if (arg == "--dispatch") {
      dispatch = true;
    } else if (arg == "--indexed") {
      indexed = true;
    } else if (arg == "--plain-sum") {
      g_plain_sum = true;
    } else if (arg == "--midstream") {
      midstream = true;
    } else if (path.empty() && !arg.starts_with("-")) {
      path = arg;
    } else {
      return usage();
    }
  }
  if ((path.empty() && mode != "spin") ||
      (mode != "reassemble" && mode != "read" && mode != "spin") || threads < 1 || threads > 64) {
    return usage();
  }
  if (mode == "spin") {
    const auto started = std::chrono::steady_clock::now();
    const Totals t = spin(static_cast<std::size_t>(threads));
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    fmt::print(
        "spin, {} threads: {:.3f} s\nRESULT tool=spin-{}threads seconds={:.3f} checksum={}\n",
        threads, seconds, threads, seconds, t.checksum);
    return 0;
  }

  try {
    const auto started = std::chrono::steady_clock::now();
    flowkit::SourceOptions options;
    options.files = {path};
    auto source = flowkit::PacketSource::open(options);
    const auto n = static_cast<std::size_t>(threads);
    const Totals t = mode == "read"                          ? read_only(source)
                     : threads == 1 && !dispatch && !indexed ? reassemble(source, midstream)
                     : dispatch ? reassemble_dispatched(source, midstream, n)
                                : reassemble_sharded(source, options, midstream, n);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const std::string tool =
        mode == "read" ? "flowkit-read"
        : threads > 1  ? fmt::format("flowkit-{}threads{}", threads, dispatch ? "-dispatch" : "")
                       : "flowkit";
    fmt::print("{} {}: {} packets, {} bytes in {:.3f} s: {:.3f} Mpackets/s, {:.2f} Gbit/s\n", tool,
               path, t.packets, t.bytes, seconds, static_cast<double>(t.packets) / seconds / 1e6,
               static_cast<double>(t.bytes) * 8 / seconds / 1e9);
    if (mode == "reassemble") {
      fmt::print("  {} connections, {} stream bytes delivered, {} gaps ({} bytes)", t.connections,
                 t.delivered, t.gaps, t.gap_bytes);
      if (threads == 1) {
        fmt::print("; at most {} connections and {} buffered bytes at once", t.max_connections,
                   t.max_buffered);
      }
      fmt::print("\n");
    }
    fmt::print(
        "RESULT tool={} packets={} bytes={} seconds={:.3f} delivered={} checksum={} "
        "connections={} gaps={} max_connections={} max_buffered={}\n",
        tool, t.packets, t.bytes, seconds, t.delivered, t.checksum, t.connections, t.gaps,
        t.max_connections, t.max_buffered);
  } catch (const std::exception& e) {
    fmt::print(stderr, "bench_flowkit: {}\n", e.what());
    return 2;
  }
  return 0;
}
