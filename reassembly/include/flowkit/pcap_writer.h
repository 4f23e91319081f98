#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "flowkit/capture_file.h"
#include "flowkit/output_file.h"
#include "flowkit/raw_frame.h"

namespace flowkit {

/// Writes a classic pcap file, little-endian, one link type for the whole file. Microsecond
/// timestamps by default because every tool reads them; nanosecond ones when asked.
/// Buffered: call close() (or flush()) to see write errors; the destructor closes quietly.
class PcapWriter {
 public:
  static constexpr std::uint32_t kDefaultSnaplen = 262144;

  /// Creates or truncates `path` (never through a symlink: see open_output_fd); "-" writes
  /// standard output. Throws CaptureError.
  PcapWriter(const std::string& path, int link_type, std::uint32_t snaplen = kDefaultSnaplen,
             bool nanosecond = false);
  /// Writes to a file opened earlier (e.g. before dropping privileges); `path` names it in
  /// error messages.
  PcapWriter(OutputFd file, const std::string& path, int link_type,
             std::uint32_t snaplen = kDefaultSnaplen, bool nanosecond = false);
  PcapWriter(PcapWriter&& other) noexcept;
  PcapWriter& operator=(PcapWriter&& other) noexcept;
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;
  ~PcapWriter();

  /// Appends one record. Data beyond snaplen is cut (the wire length is kept); a wire_length of
  /// 0 means "as captured". Throws CaptureError when the frame's link type is not the file's
  /// (a pcap file cannot mix them) or the write fails.
  void write(const RawFrame& frame);
  /// Hands everything buffered to the kernel.
  void flush();
  /// Flushes and closes; further writes throw. Safe to call twice.
  void close();

  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  [[nodiscard]] int link_type() const noexcept { return link_type_; }
  [[nodiscard]] std::uint64_t frames_written() const noexcept { return frames_; }

 private:
  void release() noexcept;
  void start(int link_type);
  void append_u32(std::uint32_t value);
  [[noreturn]] void fail(std::string_view what) const;

  std::string path_;
  int fd_ = -1;
  bool owns_fd_ = false;
  int link_type_ = 1;
  std::uint32_t snaplen_ = kDefaultSnaplen;
  bool nanosecond_ = false;
  std::uint64_t frames_ = 0;
  std::vector<std::byte> buffer_;
};

/// Writes `frames` to a new pcap file at `path` in one go.
void write_pcap(const std::string& path, int link_type, std::span<const RawFrame> frames,
                bool nanosecond = false);

}  // namespace flowkit
