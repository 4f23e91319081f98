// A tcpflow-like stream dumper: writes each direction of each TCP connection to its own file.
//   stream_dump OUTDIR capture.pcap [more.pcap ...]
// Files are named ID_SRC.PORT-DST.PORT (ID numbers connections, so a reused 5-tuple gets new
// files). Gaps are reported on stderr and not filled, like tcpflow.
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "flowkit/packet_source.h"
#include "flowkit/reassembler.h"

namespace {

// IPv6 text has colons; keep names portable.
std::string safe_endpoint(const flowkit::IpAddress& ip, std::uint16_t port) {
  std::string text = ip.to_string();
  for (char& ch : text) {
    if (ch == ':') ch = '_';
  }
  return fmt::format("{}.{}", text, port);
}

// Buffers a direction's bytes and appends them to its file in large writes, so tens of
// thousands of open connections need no open file each.
class DirectionFile {
 public:
  explicit DirectionFile(std::filesystem::path path) : path_(std::move(path)) {}
  void append(std::span<const std::byte> bytes) {
    buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
    if (buffer_.size() >= kFlushAt) flush();
  }
  void flush() {
    if (buffer_.empty()) return;
    std::FILE* f = std::fopen(path_.c_str(), "ab");
    if (f == nullptr || std::fwrite(buffer_.data(), 1, buffer_.size(), f) != buffer_.size()) {
      fmt::print(stderr, "stream_dump: cannot write {}\n", path_.string());
    }
    if (f != nullptr) std::fclose(f);
    buffer_.clear();
  }

 private:
  static constexpr std::size_t kFlushAt = 64 * 1024;
  std::filesystem::path path_;
  std::vector<std::byte> buffer_;
};

struct Files final : flowkit::ConnectionData {
  Files(const std::filesystem::path& dir, const flowkit::Connection& c) {
    const auto& k = c.key();
    const auto client = safe_endpoint(k.client, k.client_port);
    const auto server = safe_endpoint(k.server, k.server_port);
    to_server =
        std::make_unique<DirectionFile>(dir / fmt::format("{:06}_{}-{}", c.id(), client, server));
    to_client =
        std::make_unique<DirectionFile>(dir / fmt::format("{:06}_{}-{}", c.id(), server, client));
  }
  std::unique_ptr<DirectionFile> to_server;
  std::unique_ptr<DirectionFile> to_client;
};

class Dumper final : public flowkit::Handler {
 public:
  explicit Dumper(std::filesystem::path dir) : dir_(std::move(dir)) {}

  void on_established(flowkit::Connection& c) override {
    c.set_data(std::make_unique<Files>(dir_, c));
  }
  std::size_t on_data(flowkit::Connection& c, flowkit::Direction d,
                      const flowkit::StreamChunk& chunk) override {
    auto* files = c.data<Files>();
    (d == flowkit::Direction::ToServer ? files->to_server : files->to_client)->append(chunk.bytes);
    return chunk.bytes.size();
  }
  void on_gap(flowkit::Connection& c, flowkit::Direction d, std::uint64_t offset,
              std::uint64_t length, flowkit::GapReason why) override {
    fmt::print(stderr, "{} {}: {} bytes missing at offset {} ({})\n", c.key().to_string(),
               flowkit::to_string(d), length, offset, flowkit::to_string(why));
  }
  void on_end(flowkit::Connection& c, flowkit::EndReason) override {
    auto* files = c.data<Files>();
    files->to_server->flush();
    files->to_client->flush();
  }

 private:
  std::filesystem::path dir_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    fmt::print(stderr, "usage: {} OUTDIR capture.pcap [more.pcap ...]\n", argv[0]);
    return 2;
  }
  try {
    std::filesystem::create_directories(argv[1]);
    flowkit::SourceOptions options;
    options.files.assign(argv + 2, argv + argc);
    auto source = flowkit::PacketSource::open(options);
    Dumper dumper(argv[1]);
    flowkit::Config config;
    config.tcp.midstream = true;  // a dumper wants every byte, handshake seen or not
    flowkit::Reassembler reassembler(config, dumper);
    flowkit::reassemble(source, reassembler);
    const auto& s = reassembler.stats();
    fmt::print(stderr, "{} packets, {} connections, {} bytes written, {} gaps\n", s.packets,
               s.connections_opened, s.stream_bytes_delivered, s.gaps);
  } catch (const std::exception& e) {
    fmt::print(stderr, "stream_dump: {}\n", e.what());
    return 2;
  }
  return 0;
}
