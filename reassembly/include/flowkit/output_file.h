#pragma once

#include <cstdio>
#include <memory>
#include <string>
#include <system_error>

#include "flowkit/capture_file.h"

namespace flowkit {

/// An output file could not be created. The message is one line naming the file: "refusing to
/// write through symlink out.pcap" or "out.pcap: cannot create: Permission denied"; code() is
/// the errno value (ELOOP for a symlink).
class OutputFileError : public CaptureError {
 public:
  OutputFileError(const std::string& path, std::error_code code, const std::string& message);
  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  [[nodiscard]] std::error_code code() const noexcept { return code_; }

 private:
  std::string path_;
  std::error_code code_;
};

/// Owns a file descriptor; closed on destruction. Move-only.
class OutputFd {
 public:
  OutputFd() noexcept = default;
  explicit OutputFd(int fd) noexcept : fd_(fd) {}
  OutputFd(OutputFd&& other) noexcept;
  OutputFd& operator=(OutputFd&& other) noexcept;
  OutputFd(const OutputFd&) = delete;
  OutputFd& operator=(const OutputFd&) = delete;
  ~OutputFd();

  [[nodiscard]] int get() const noexcept { return fd_; }
  [[nodiscard]] explicit operator bool() const noexcept { return fd_ >= 0; }
  /// Gives the descriptor up without closing it.
  [[nodiscard]] int release() noexcept;

 private:
  int fd_ = -1;
};

struct FileCloser {
  void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};
using OutputFile = std::unique_ptr<std::FILE, FileCloser>;

/// Creates `path` for writing (`permissions` less the umask), or truncates it if it exists.
/// Never follows a symbolic link at `path` (O_NOFOLLOW): a link planted there, e.g. in a shared
/// directory such as /tmp, would otherwise redirect the output onto any file the user may
/// write. The descriptor is close-on-exec. Throws OutputFileError.
[[nodiscard]] OutputFd open_output_fd(const std::string& path, unsigned permissions = 0666);

/// open_output_fd() as a stdio stream ("wb").
[[nodiscard]] OutputFile open_output_file(const std::string& path);

}  // namespace flowkit
