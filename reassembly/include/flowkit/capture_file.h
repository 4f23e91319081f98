#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "flowkit/raw_frame.h"

namespace flowkit {

/// A capture file could not be opened, read or written. The message is one line that names the
/// file and, for corruption, the byte offset of the offending record.
class CaptureError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Reads classic pcap (micro- and nanosecond, either byte order, and the "modified" Kuznetzov
/// variant) and pcapng (any number of sections and interfaces, each interface with its own link
/// type and timestamp resolution). Our own reader because libpcap refuses pcapng files whose
/// interfaces have different link types.
///
/// Regular files are read through a 16 MB window mapped from the page cache (no copy at all;
/// a file still being written is followed as it grows); pipes and standard input through a
/// buffer. Frames point into the window or buffer: no per-packet copy. A file truncated by
/// another process while it is mapped makes the kernel raise SIGBUS, as for any mapped file.
/// Move-only; a moved-from reader may only be destroyed or assigned to.
class CaptureFileReader {
 public:
  /// Opens `path`; "-" reads standard input. Throws CaptureError when the file cannot be opened
  /// or does not start like a capture file.
  static CaptureFileReader open(const std::string& path);

  CaptureFileReader(CaptureFileReader&&) noexcept;
  CaptureFileReader& operator=(CaptureFileReader&&) noexcept;
  CaptureFileReader(const CaptureFileReader&) = delete;
  CaptureFileReader& operator=(const CaptureFileReader&) = delete;
  ~CaptureFileReader();

  /// The next frame, or nullopt at a clean end of file. `data` stays valid until the next call.
  /// Throws CaptureError on corruption or a file cut short in the middle of a record.
  std::optional<RawFrame> next();

  /// Link type of the first interface (pcap: the file header's); -1 for a pcapng file that
  /// declares no interface before its first packet or its end.
  [[nodiscard]] int link_type() const noexcept;
  /// Snapshot length of the first interface (pcap: the file header's); 0 means "no limit".
  [[nodiscard]] std::uint32_t snaplen() const noexcept;
  [[nodiscard]] const std::string& path() const noexcept;
  /// Offset just past the last record handed out, for progress reporting against size().
  [[nodiscard]] std::uint64_t bytes_read() const noexcept;
  /// The file's size when it is a regular file (not a pipe or terminal).
  [[nodiscard]] std::optional<std::uint64_t> size() const noexcept;

 private:
  class Impl;
  explicit CaptureFileReader(std::unique_ptr<Impl> impl) noexcept;
  std::unique_ptr<Impl> impl_;
};

}  // namespace flowkit
