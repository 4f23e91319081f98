// Capture files: the input is a whole pcap or pcapng file. It is read with CaptureFileReader
// (every frame touched, lengths checked), then through PacketSource with a BPF filter for the
// link type the file declares, and each frame goes into a Reassembler. Errors must be
// CaptureError with a one-line message naming the file; anything else is a bug. A classic pcap
// is also walked by PcapChunkIndex (small chunks, every chunk after the first from a guess):
// it must list the same records and end with the same error as the sequential reader.
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "flowkit/capture_file.h"
#include "flowkit/packet_source.h"
#include "fuzz_support.h"
#include "io/pcap_chunk_index.h"

namespace {

using namespace flowkit;

/// The input as a file that needs no disk: a memfd, opened again through /proc.
class MemoryFile {
 public:
  MemoryFile(const std::uint8_t* data, std::size_t size)
      : fd_(::memfd_create("capture", MFD_CLOEXEC)) {
    if (fd_ < 0) fuzz::fail("memfd_create failed");
    std::size_t done = 0;
    while (done < size) {
      const ssize_t n = ::write(fd_, data + done, size - done);
      if (n <= 0) fuzz::fail("write to memfd failed");
      done += static_cast<std::size_t>(n);
    }
    path_ = fmt::format("/proc/self/fd/{}", fd_);
  }
  ~MemoryFile() { ::close(fd_); }
  [[nodiscard]] int fd() const noexcept { return fd_; }
  MemoryFile(const MemoryFile&) = delete;
  MemoryFile& operator=(const MemoryFile&) = delete;
  [[nodiscard]] const std::string& path() const noexcept { return path_; }

 private:
  int fd_;
  std::string path_;
};

void check_message(const CaptureError& e, const std::string& path) {
  const std::string_view what = e.what();
  if (what.find('\n') != std::string_view::npos)
    fuzz::fail(fmt::format("multi-line error: {}", what));
  if (!what.starts_with(path)) fuzz::fail(fmt::format("error does not name the file: {}", what));
}

void check_frame(const RawFrame& frame) {
  if (frame.wire_length < frame.data.size()) fuzz::fail("wire length below captured length");
  fuzz::touch(frame.data);
}

// Where a record ends, and what its frame is, as both readers must agree.
struct Record {
  std::uint64_t end = 0;
  std::int64_t ts = 0;
  int link_type = 0;
  std::size_t caplen = 0;
  std::uint32_t wire_length = 0;
  bool operator==(const Record&) const = default;
  auto operator<=>(const Record&) const = default;
};

Record record_of(std::uint64_t end, const RawFrame& frame) {
  return {end, frame.ts.count(), frame.link_type, frame.data.size(), frame.wire_length};
}

// Walks the index as two shards taking turns on one thread; nothing if it does not index the
// file (not pcap or pcapng, no interface before the first packet).
void check_index(const MemoryFile& file, const std::vector<Record>& records,
                 const std::string& error) {
  constexpr std::size_t kShards = 2;
  auto index = detail::PcapChunkIndex::open(file.fd(), file.path(), kShards, 4096, true);
  if (!index) return;
  std::vector<Record> listed;
  std::string index_error;
  for (std::size_t c = 0;; ++c) {
    const auto* chunk = index->acquire(c);
    if (chunk == nullptr) break;
    for (std::size_t s = 0; s < kShards; ++s) {
      for (std::size_t n = 0; n < chunk->records[s].size(); ++n) {
        const auto r = chunk->records[s][n];
        if ((r & detail::PcapChunkIndex::kUnplaced) != 0 && s > 0) continue;  // listed twice
        const auto frame = index->frame_at(*chunk, s, n);
        check_frame(frame);
        listed.push_back(record_of(index->record_end(*chunk, s, n), frame));
      }
    }
    if (chunk->error) {
      try {
        std::rethrow_exception(chunk->error);
      } catch (const CaptureError& e) {
        index_error = e.what();
      }
    }
    const bool last = chunk->last;
    for (std::size_t s = 0; s < kShards; ++s) index->release(c);
    if (last) break;
  }
  std::sort(listed.begin(), listed.end());
  if (listed != records) {
    fuzz::fail(fmt::format("index lists {} records, the reader {}, or not the same", listed.size(),
                           records.size()));
  }
  if (index_error != error) {
    fuzz::fail(fmt::format("index error '{}', reader error '{}'", index_error, error));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const MemoryFile file(data, size);
  int link_type = -1;
  std::vector<Record> records;
  std::string error;
  try {
    auto reader = CaptureFileReader::open(file.path());
    link_type = reader.link_type();
    while (const auto frame = reader.next()) {
      check_frame(*frame);
      records.push_back(record_of(reader.bytes_read(), *frame));
      if (reader.bytes_read() > size) fuzz::fail("read past the end of the file");
    }
  } catch (const CaptureError& e) {
    check_message(e, file.path());
    error = e.what();
  }
  check_index(file, records, error);

  fuzz::CheckingHandler handler;
  Config config;
  config.tcp.midstream = true;
  Reassembler reassembler(config, handler);
  handler.attach(reassembler);
  try {
    SourceOptions options;
    options.files = {file.path()};
    // A filter makes PacketSource compile BPF for the file's link type and run it on each frame.
    if (link_type == 1 || link_type == 113 || link_type == 276 || link_type == 101) {
      options.filter = "ip or ip6";
    }
    auto source = PacketSource::open(options);
    while (auto frame = source.next()) {
      check_frame(*frame);
      reassembler.process(*frame);
    }
  } catch (const CaptureError& e) {
    // PacketSource errors name the file too, but may put it after a prefix: only one line.
    if (std::string_view(e.what()).find('\n') != std::string_view::npos)
      fuzz::fail("multi-line error");
  }
  reassembler.finish();
  handler.check_finished(reassembler);
  return 0;
}
