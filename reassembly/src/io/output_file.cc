#include "flowkit/output_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include <fmt/format.h>

namespace flowkit {

OutputFileError::OutputFileError(const std::string& path, std::error_code code,
                                 const std::string& message)
    : CaptureError(message), path_(path), code_(code) {}

OutputFd::OutputFd(OutputFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

OutputFd& OutputFd::operator=(OutputFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

OutputFd::~OutputFd() {
  if (fd_ >= 0) ::close(fd_);
}

int OutputFd::release() noexcept {
  return std::exchange(fd_, -1);
}

OutputFd open_output_fd(const std::string& path, unsigned permissions) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
                        static_cast<mode_t>(permissions));
  if (fd >= 0) return OutputFd(fd);
  const int error = errno;
  const std::error_code code(error, std::generic_category());
  // ELOOP also means "too many links while resolving the directories": name the symlink case
  // only when the last component really is one.
  struct stat st {};
  if (error == ELOOP && ::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
    throw OutputFileError(path, code, fmt::format("refusing to write through symlink {}", path));
  }
  throw OutputFileError(path, code, fmt::format("{}: cannot create: {}", path, code.message()));
}

OutputFile open_output_file(const std::string& path) {
  OutputFd fd = open_output_fd(path);
  OutputFile file(::fdopen(fd.get(), "wb"));
  if (!file) {
    const std::error_code code(errno, std::generic_category());
    throw OutputFileError(path, code, fmt::format("{}: cannot create: {}", path, code.message()));
  }
  (void)fd.release();  // the stream owns it now
  return file;
}

}  // namespace flowkit
