#include "flow_recorder.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

#include "flowkit/capture_file.h"

namespace flowkit::flowgrep {

PcapLog::PcapLog(std::string path) : path_(std::move(path)) {
  writer_ = std::make_unique<PcapWriter>(path_, 1);  // re-created with the real link type
}

void PcapLog::write(const PacketInfo& pkt) {
  std::lock_guard lock(mutex_);
  if (link_type_ < 0) {
    link_type_ = pkt.link_type;
    if (link_type_ != 1) writer_ = std::make_unique<PcapWriter>(path_, link_type_);
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

StreamFiles::StreamFiles(const std::filesystem::path& dir, const Connection& conn) {
  for (Direction d : {Direction::ToServer, Direction::ToClient}) {
    const auto path = dir / stream_file_name(conn, d);
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (f == nullptr) {
      throw CaptureError(fmt::format("{}: cannot create: {}", path.string(), std::strerror(errno)));
    }
    files_[static_cast<std::size_t>(d)] = f;
  }
}

StreamFiles::~StreamFiles() {
  for (std::FILE* f : files_) {
    if (f != nullptr) std::fclose(f);
  }
}

void StreamFiles::append(Direction d, std::span<const std::byte> bytes) {
  std::fwrite(bytes.data(), 1, bytes.size(), files_[static_cast<std::size_t>(d)]);
}

}  // namespace flowkit::flowgrep
