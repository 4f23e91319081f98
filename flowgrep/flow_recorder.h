#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "flowkit/connection.h"
#include "flowkit/output_file.h"
#include "flowkit/packet.h"
#include "flowkit/pcap_writer.h"

namespace flowkit::flowgrep {

/// -w: every frame of each matching connection goes to one pcap file. Frames seen before the
/// verdict wait in a bounded per-connection buffer. Safe to share between threads.
class PcapLog {
 public:
  /// Creates the file now (never through a symlink), so an unwritable path fails at start and
  /// the file is opened once, before privileges are dropped; "-" is standard output. The
  /// header is written with the link type of the first frame (Ethernet if none comes).
  explicit PcapLog(std::string path);
  void write(const PacketInfo& pkt);
  void close();
  [[nodiscard]] std::uint64_t frames_skipped() const noexcept { return skipped_; }

 private:
  std::unique_ptr<PcapWriter> make_writer(int link_type);
  std::mutex mutex_;
  std::string path_;
  OutputFd file_;  ///< until the first frame fixes the link type
  std::unique_ptr<PcapWriter> writer_;
  int link_type_ = -1;  ///< fixed by the first frame written
  std::uint64_t written_ = 0;
  std::uint64_t skipped_ = 0;  ///< frames of another link type than the file's
};

/// A frame kept until its connection's verdict.
struct HeldFrame {
  Timestamp ts{};
  int link_type = 1;
  std::uint32_t wire_length = 0;
  std::vector<std::byte> bytes;
};

/// Frames of one connection before the verdict, at most `limit` bytes (the first ones: the
/// handshake and what led to the match matter most).
class HeldFrames {
 public:
  void hold(const PacketInfo& pkt, std::size_t limit);
  void replay(PcapLog& log);
  void clear() noexcept;
  [[nodiscard]] std::uint64_t lost() const noexcept { return lost_; }

 private:
  std::vector<HeldFrame> frames_;
  std::size_t bytes_ = 0;
  std::uint64_t lost_ = 0;
};

/// --dump-dir: the reassembled bytes of each matching connection, one file per direction.
class StreamFiles {
 public:
  /// Creates both files, never through a symlink. Throws CaptureError.
  StreamFiles(const std::filesystem::path& dir, const Connection& conn);
  void append(Direction d, std::span<const std::byte> bytes);

 private:
  OutputFile files_[2];
};

/// --dump-dir: checks that `dir` is a real directory, not a symlink (lstat; a symlink there is
/// refused: "refusing to write through symlink DIR"), or creates it (and its parents). Returns
/// true when it was created. Throws CaptureError.
bool prepare_dump_dir(const std::filesystem::path& dir);

/// Makes `dir` (just created by prepare_dump_dir) belong to uid/gid, for -Z: stream files are
/// created after privileges are dropped. Never follows a symlink. Throws CaptureError.
void give_dump_dir_to(const std::filesystem::path& dir, unsigned uid, unsigned gid);

/// File name for one direction of a connection: "000042_10.0.0.1.40000-10.0.0.2.80" (client
/// first for to-server); only characters safe in any file system.
[[nodiscard]] std::string stream_file_name(const Connection& conn, Direction d);

}  // namespace flowkit::flowgrep
