#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "flowkit/capture_file.h"
#include "flowkit/raw_frame.h"

namespace flowkit {

inline constexpr int kDefaultLiveBufferBytes = 64 << 20;
/// Live capture: longest a packet waits in a kernel block that is not yet full.
inline constexpr int kDefaultLiveBlockTimeoutMs = 10;

/// Where packets come from and how to capture them. Errors are thrown as CaptureError.
struct SourceOptions {
  /// Capture files, directories of (rotated) capture files, or "-" for standard input. Frames of
  /// all files are merged in timestamp order.
  std::vector<std::string> files;
  /// A live interface; used when `files` is empty.
  std::string interface;
  bool promiscuous = true;
  int snaplen = 262144;
  /// Kernel buffer (the capture ring) in bytes; 0 keeps libpcap's default of 2 MiB. Each
  /// socket of a fanout group has its own. In blocks (the default) frames are packed one after
  /// another, so 64 MiB holds some 40,000 full-size frames; in immediate mode each frame gets a
  /// slot as large as the biggest frame the interface can hand over, about 64 KiB (in 128 KiB
  /// blocks) wherever segmentation offloads are on, so 64 MiB holds 512 and 2 MiB only 16.
  int buffer_size = kDefaultLiveBufferBytes;
  /// Live capture in blocks: the kernel hands a block over when it is full or this many
  /// milliseconds after it was opened, so on a quiet link a packet waits at most this long.
  /// In immediate mode: how long a read may wait before returning control.
  int timeout_ms = kDefaultLiveBlockTimeoutMs;
  /// Live capture: hand each packet over the moment it arrives (libpcap's immediate mode)
  /// instead of in blocks. No delay, but each packet costs the reader a wake-up and a ring slot
  /// of the largest frame's size: at 1-2.7 Gbit/s on the bench's veth pair it took 1.5-2.1x
  /// the CPU and the kernel dropped 0.03-0.7 % of the packets, where blocks lost none
  /// (BENCHMARKS.md, live capture).
  bool immediate = false;
  std::string filter;  ///< a BPF expression (tcpdump syntax); empty = everything
  /// Live capture only: with N >= 2, N capture sockets in one AF_PACKET fanout group that
  /// spreads packets over them by the kernel's symmetric flow hash (IPv4 fragments are
  /// reassembled by the kernel first); the source reads the first, fanout_members() the rest.
  std::size_t fanout = 0;
};

/// Progress through a set of files, for progress lines.
struct SourceProgress {
  std::size_t file_index = 0;  ///< 1-based index of the file being read
  std::size_t file_count = 0;
  std::uint64_t bytes_done = 0;   ///< across all files
  std::uint64_t bytes_total = 0;  ///< 0 when unknown (stdin)
};

/// Frames from capture files or a live interface, filtered by BPF.
class PacketSource {
 public:
  /// Opens every input now so that bad paths, unknown interfaces, missing privileges and bad
  /// filters are reported before any packet is processed.
  static PacketSource open(const SourceOptions& options);

  PacketSource(PacketSource&&) noexcept;
  PacketSource& operator=(PacketSource&&) noexcept;
  ~PacketSource();

  /// The next frame that passes the filter, or nullopt at the end of input (or after stop()).
  /// Live, the frame is a copy (libpcap's) that stays valid until the next call.
  std::optional<RawFrame> next();
  /// Hands `sink` (callable with a `const RawFrame&`) the frames that are ready now, each valid
  /// only during its call: a live capture's kernel block (read in place: next() has each frame
  /// copied out of the ring first, 9 % of a live reader's CPU), or a file's next few frames.
  /// Returns false, having called nothing, at the end of input or once stopped; true after a
  /// live read that timed out with nothing to hand over. An exception from `sink` leaves the
  /// frames after that one for the next call and reaches the caller.
  template <class Sink>
  bool read_ready(Sink&& sink) {
    using Callable = std::remove_reference_t<Sink>;
    return read_ready(
        [](void* callable, const RawFrame& frame) { (*static_cast<Callable*>(callable))(frame); },
        const_cast<void*>(static_cast<const void*>(std::addressof(sink))));
  }
  /// Asks next() to return nullopt soon; safe to call from a signal handler.
  void stop() noexcept;
  /// Whether stop() was called.
  [[nodiscard]] bool stopped() const noexcept;

  [[nodiscard]] bool live() const noexcept;
  /// read_ready() without its template: `call(sink, frame)` for each frame.
  bool read_ready(void (*call)(void* sink, const RawFrame& frame), void* sink);
  [[nodiscard]] SourceProgress progress() const noexcept;
  /// Live capture: packets the kernel dropped so far (0 for files).
  [[nodiscard]] std::uint64_t kernel_drops() const noexcept;
  /// Frames skipped by the BPF filter.
  [[nodiscard]] std::uint64_t filtered_out() const noexcept;
  /// What it was opened with.
  [[nodiscard]] const SourceOptions& options() const noexcept;
  /// Opened with SourceOptions::fanout = N: the other N - 1 sockets of the fanout group, each
  /// with whole connections of its own, for other threads to read (stop() stops them too, and
  /// kernel_drops() counts theirs). Empty otherwise.
  [[nodiscard]] std::span<PacketSource> fanout_members() noexcept;
  /// For a reader that reads this source's only file in its place (ShardedReassembler::
  /// run_indexed): how far it got and how many frames its filter skipped, so that progress()
  /// and filtered_out() still tell the truth.
  void read_elsewhere(std::uint64_t bytes_done, std::uint64_t filtered_out) noexcept;

 private:
  class Impl;
  explicit PacketSource(std::unique_ptr<Impl> impl) noexcept;
  std::unique_ptr<Impl> impl_;
};

/// Expands directories into their regular files, sorted by name; files and "-" pass through.
/// Throws CaptureError for a path that does not exist.
std::vector<std::string> expand_inputs(const std::vector<std::string>& inputs);

}  // namespace flowkit
