#include "flow_recorder.h"

#include <fmt/format.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "flowkit/capture_file.h"

namespace flowkit::flowgrep {

PcapLog::PcapLog(std::string path) : path_(std::move(path)) {
  if (path_ != "-") file_ = open_output_fd(path_, 0644);
}

std::unique_ptr<PcapWriter> PcapLog::make_writer(int link_type) {
  if (path_ == "-") return std::make_unique<PcapWriter>(path_, link_type);  // standard output
  return std::make_unique<PcapWriter>(std::move(file_), path_, link_type);
}

void PcapLog::write(const PacketInfo& pkt) {
  std::lock_guard lock(mutex_);
  if (link_type_ < 0) {
    link_type_ = pkt.link_type;
    writer_ = make_writer(link_type_);
  }
  if (pkt.link_type != link_type_) {
    ++skipped_;  // a pcap file has one link type
    return;
  }
  RawFrame frame;
  frame.ts = pkt.ts;
  frame.link_type = pkt.link_type;
  frame.data = pkt.frame;
  frame.wire_length = pkt.wire_length;
  writer_->write(frame);
  ++written_;
}

void PcapLog::close() {
  std::lock_guard lock(mutex_);
  // Nothing matched: still a valid (empty) capture file.
  if (!writer_) writer_ = make_writer(1);
  if (writer_) writer_->close();
}

void HeldFrames::hold(const PacketInfo& pkt, std::size_t limit) {
  if (bytes_ + pkt.frame.size() > limit) {
    ++lost_;
    return;
  }
  frames_.push_back({pkt.ts, pkt.link_type, pkt.wire_length,
                     std::vector<std::byte>(pkt.frame.begin(), pkt.frame.end())});
  bytes_ += pkt.frame.size();
}

void HeldFrames::replay(PcapLog& log) {
  for (const auto& f : frames_) {
    PacketInfo pkt;
    pkt.ts = f.ts;
    pkt.link_type = f.link_type;
    pkt.wire_length = f.wire_length;
    pkt.frame = f.bytes;
    log.write(pkt);
  }
  clear();
}

void HeldFrames::clear() noexcept {
  frames_.clear();
  frames_.shrink_to_fit();
  bytes_ = 0;
}

namespace {

std::string safe_endpoint(const IpAddress& ip, std::uint16_t port) {
  std::string text = ip.to_string();
  for (char& ch : text) {
    if (ch == ':') ch = '_';
  }
  return fmt::format("{}.{}", text, port);
}

}  // namespace

std::string stream_file_name(const Connection& conn, Direction d) {
  const auto& k = conn.key();
  const auto client = safe_endpoint(k.client, k.client_port);
  const auto server = safe_endpoint(k.server, k.server_port);
  return d == Direction::ToServer ? fmt::format("{:06}_{}-{}", conn.id(), client, server)
                                  : fmt::format("{:06}_{}-{}", conn.id(), server, client);
}

bool prepare_dump_dir(const std::filesystem::path& dir) {
  const auto check = [&](const struct stat& st) {
    if (S_ISLNK(st.st_mode)) {
      throw CaptureError(fmt::format("refusing to write through symlink {}", dir.string()));
    }
    if (!S_ISDIR(st.st_mode)) {
      throw CaptureError(fmt::format("{}: not a directory", dir.string()));
    }
  };
  struct stat st {};
  if (::lstat(dir.c_str(), &st) == 0) {
    check(st);
    return false;
  }
  if (errno != ENOENT) {
    throw CaptureError(fmt::format("{}: {}", dir.string(), std::strerror(errno)));
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw CaptureError(fmt::format("{}: cannot create: {}", dir.string(), ec.message()));
  if (::lstat(dir.c_str(), &st) != 0) {
    throw CaptureError(fmt::format("{}: {}", dir.string(), std::strerror(errno)));
  }
  check(st);  // nobody swapped a link in meanwhile
  return true;
}

void give_dump_dir_to(const std::filesystem::path& dir, unsigned uid, unsigned gid) {
  const OutputFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd || ::fchown(fd.get(), static_cast<uid_t>(uid), static_cast<gid_t>(gid)) != 0) {
    throw CaptureError(fmt::format("{}: cannot hand the directory over to the -Z user: {}",
                                   dir.string(), std::strerror(errno)));
  }
}

StreamFiles::StreamFiles(const std::filesystem::path& dir, const Connection& conn) {
  for (Direction d : {Direction::ToServer, Direction::ToClient}) {
    const auto path = dir / stream_file_name(conn, d);
    files_[static_cast<std::size_t>(d)] = open_output_file(path.string());
  }
}

void StreamFiles::append(Direction d, std::span<const std::byte> bytes) {
  std::fwrite(bytes.data(), 1, bytes.size(), files_[static_cast<std::size_t>(d)].get());
}

}  // namespace flowkit::flowgrep
