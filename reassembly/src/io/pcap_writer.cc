#include "flowkit/pcap_writer.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <limits>
#include <system_error>
#include <utility>

#include <fmt/format.h>

namespace flowkit {
namespace {

constexpr std::size_t kFlushThreshold = std::size_t{1} << 20;
constexpr std::uint32_t kMagicMicro = 0xa1b2c3d4;
constexpr std::uint32_t kMagicNano = 0xa1b23c4d;
constexpr std::int64_t kNanosPerSecond = 1'000'000'000;

std::string display_name(const std::string& path) {
  return path == "-" ? "<stdout>" : path;
}

}  // namespace

PcapWriter::PcapWriter(const std::string& path, int link_type, std::uint32_t snaplen,
                       bool nanosecond)
    : path_(path), link_type_(link_type), snaplen_(snaplen), nanosecond_(nanosecond) {
  if (link_type < 0) fail(fmt::format("invalid link type {}", link_type));
  if (path == "-") {
    fd_ = STDOUT_FILENO;
  } else {
    fd_ = open_output_fd(path, 0644).release();  // refuses a symlink at `path`
    owns_fd_ = true;
  }
  start(link_type);
}

PcapWriter::PcapWriter(OutputFd file, const std::string& path, int link_type, std::uint32_t snaplen,
                       bool nanosecond)
    : path_(path), link_type_(link_type), snaplen_(snaplen), nanosecond_(nanosecond) {
  if (link_type < 0) fail(fmt::format("invalid link type {}", link_type));
  if (!file) fail("not open");
  fd_ = file.release();
  owns_fd_ = true;
  start(link_type);
}

void PcapWriter::start(int link_type) {
  buffer_.reserve(kFlushThreshold + 64 * 1024);
  append_u32(nanosecond_ ? kMagicNano : kMagicMicro);
  append_u32(2 | (4U << 16));  // version 2.4: major then minor, each 16 bits little-endian
  append_u32(0);               // thiszone: timestamps are UTC
  append_u32(0);               // sigfigs
  append_u32(snaplen_);
  append_u32(static_cast<std::uint32_t>(link_type));
}

PcapWriter::PcapWriter(PcapWriter&& other) noexcept
    : path_(std::move(other.path_)),
      fd_(std::exchange(other.fd_, -1)),
      owns_fd_(std::exchange(other.owns_fd_, false)),
      link_type_(other.link_type_),
      snaplen_(other.snaplen_),
      nanosecond_(other.nanosecond_),
      frames_(other.frames_),
      buffer_(std::move(other.buffer_)) {}

PcapWriter& PcapWriter::operator=(PcapWriter&& other) noexcept {
  if (this != &other) {
    release();
    path_ = std::move(other.path_);
    fd_ = std::exchange(other.fd_, -1);
    owns_fd_ = std::exchange(other.owns_fd_, false);
    link_type_ = other.link_type_;
    snaplen_ = other.snaplen_;
    nanosecond_ = other.nanosecond_;
    frames_ = other.frames_;
    buffer_ = std::move(other.buffer_);
  }
  return *this;
}

PcapWriter::~PcapWriter() {
  release();
}

void PcapWriter::release() noexcept {
  if (fd_ < 0) return;
  try {
    close();
  } catch (const CaptureError&) {
    // Destructors must not throw; callers who care about write errors call close() themselves.
  }
  if (owns_fd_ && fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void PcapWriter::fail(std::string_view what) const {
  throw CaptureError(fmt::format("{}: {}", display_name(path_), what));
}

void PcapWriter::append_u32(std::uint32_t value) {
  for (int shift = 0; shift < 32; shift += 8) {
    buffer_.push_back(static_cast<std::byte>((value >> shift) & 0xFFU));
  }
}

void PcapWriter::write(const RawFrame& frame) {
  if (fd_ < 0) fail("write after close");
  if (frame.link_type != link_type_) {
    fail(
        fmt::format("frame with link type {} written to a pcap file of link type {} (a pcap "
                    "file holds one link type)",
                    frame.link_type, link_type_));
  }
  const auto caplen = static_cast<std::uint32_t>(
      snaplen_ == 0 ? frame.data.size() : std::min<std::size_t>(frame.data.size(), snaplen_));
  const auto wire_length = std::max<std::uint64_t>(frame.wire_length, frame.data.size());

  // Floor division so times before 1970 keep a fraction in [0, 1 s).
  std::int64_t seconds = frame.ts.count() / kNanosPerSecond;
  std::int64_t fraction = frame.ts.count() % kNanosPerSecond;
  if (fraction < 0) {
    fraction += kNanosPerSecond;
    --seconds;
  }
  // pcap's seconds field is 32 bits: times outside 1970..2106 wrap, as in every pcap writer.
  append_u32(static_cast<std::uint32_t>(seconds));
  append_u32(static_cast<std::uint32_t>(nanosecond_ ? fraction : fraction / 1000));
  append_u32(caplen);
  append_u32(static_cast<std::uint32_t>(
      std::min<std::uint64_t>(wire_length, std::numeric_limits<std::uint32_t>::max())));
  const auto data = frame.data.first(caplen);
  buffer_.insert(buffer_.end(), data.begin(), data.end());
  ++frames_;
  if (buffer_.size() >= kFlushThreshold) flush();
}

void PcapWriter::flush() {
  if (fd_ < 0) return;
  std::size_t done = 0;
  while (done < buffer_.size()) {
    const ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
    if (n >= 0) {
      done += static_cast<std::size_t>(n);
    } else if (errno != EINTR) {
      const int error = errno;
      buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(done));
      fail(fmt::format("write failed: {}", std::generic_category().message(error)));
    }
  }
  buffer_.clear();
}

void PcapWriter::close() {
  if (fd_ < 0) return;
  flush();
  const int fd = std::exchange(fd_, -1);
  if (owns_fd_ && ::close(fd) != 0) {
    fail(fmt::format("close failed: {}", std::generic_category().message(errno)));
  }
}

void write_pcap(const std::string& path, int link_type, std::span<const RawFrame> frames,
                bool nanosecond) {
  PcapWriter writer(path, link_type, PcapWriter::kDefaultSnaplen, nanosecond);
  for (const RawFrame& frame : frames) writer.write(frame);
  writer.close();
}

}  // namespace flowkit
