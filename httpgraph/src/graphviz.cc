#include "flowkit/httpgraph/graphviz.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <utility>
#include <vector>

#include "flowkit/output_file.h"

namespace flowkit::httpgraph {

namespace {

constexpr std::string_view kFormats[] = {"svg", "pdf", "png"};
constexpr std::string_view kLayouts[] = {"dot", "neato", "sfdp"};

/// Owns a file descriptor.
class UniqueFd {
 public:
  explicit UniqueFd(int fd = -1) noexcept : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    reset(std::exchange(other.fd_, -1));
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  [[nodiscard]] int get() const noexcept { return fd_; }
  void reset(int fd = -1) noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

/// posix_spawn file actions, destroyed with the object.
class SpawnActions {
 public:
  SpawnActions() { ::posix_spawn_file_actions_init(&actions_); }
  SpawnActions(const SpawnActions&) = delete;
  SpawnActions& operator=(const SpawnActions&) = delete;
  ~SpawnActions() { ::posix_spawn_file_actions_destroy(&actions_); }
  posix_spawn_file_actions_t* get() noexcept { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_{};
};

/// Writing to a Graphviz that exited early must give EPIPE, not kill us.
class IgnoreSigpipe {
 public:
  IgnoreSigpipe() {
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    ::sigaction(SIGPIPE, &ignore, &saved_);
  }
  IgnoreSigpipe(const IgnoreSigpipe&) = delete;
  IgnoreSigpipe& operator=(const IgnoreSigpipe&) = delete;
  ~IgnoreSigpipe() { ::sigaction(SIGPIPE, &saved_, nullptr); }

 private:
  struct sigaction saved_ {};
};

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool listed(std::span<const std::string_view> list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

}  // namespace

std::string graphviz_missing(std::string_view program) {
  return fmt::format(
      "Graphviz is not installed ('{}' not found in PATH): install it (e.g. apt-get install "
      "graphviz), or write the graph with -o FILE.dot and render it elsewhere",
      program);
}

bool program_in_path(std::string_view program) {
  if (program.find('/') != std::string_view::npos) {
    return ::access(std::string(program).c_str(), X_OK) == 0;
  }
  const char* path = std::getenv("PATH");
  std::string_view dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  while (true) {
    const std::size_t colon = dirs.find(':');
    const std::string_view dir = dirs.substr(0, colon);  // an empty entry means "."
    const std::string candidate = fmt::format("{}/{}", dir.empty() ? "." : dir, program);
    if (::access(candidate.c_str(), X_OK) == 0) return true;
    if (colon == std::string_view::npos) return false;
    dirs.remove_prefix(colon + 1);
  }
}

std::span<const std::string_view> render_formats() noexcept {
  return kFormats;
}
std::span<const std::string_view> render_layouts() noexcept {
  return kLayouts;
}

void render(std::string_view dot_text, const RenderOptions& options) {
  if (!listed(kFormats, options.format)) {
    throw RenderError(fmt::format("unknown output format '{}' (svg, pdf or png)", options.format));
  }
  if (!listed(kLayouts, options.layout)) {
    throw RenderError(fmt::format("unknown layout '{}' (dot, neato or sfdp)", options.layout));
  }
  UniqueFd out;
  if (options.output_fd >= 0) {
    out.reset(::fcntl(options.output_fd, F_DUPFD_CLOEXEC, 0));
    if (out.get() < 0) {
      throw RenderError(fmt::format("cannot write {}: {}", options.output, std::strerror(errno)));
    }
  } else {
    try {
      out.reset(open_output_fd(options.output).release());
    } catch (const OutputFileError& e) {
      throw RenderError(e.what());
    }
  }
  // From here on, a failure removes the file rather than leave a broken picture.
  auto fail = [&](std::string message) {
    out.reset();
    ::unlink(options.output.c_str());
    throw RenderError(std::move(message));
  };

  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    fail(fmt::format("cannot create a pipe: {}", std::strerror(errno)));
  }
  UniqueFd read_end(fds[0]);
  UniqueFd write_end(fds[1]);

  SpawnActions actions;
  ::posix_spawn_file_actions_adddup2(actions.get(), read_end.get(), STDIN_FILENO);
  ::posix_spawn_file_actions_adddup2(actions.get(), out.get(), STDOUT_FILENO);
  std::vector<std::string> args = {options.program, fmt::format("-T{}", options.format),
                                   fmt::format("-K{}", options.layout)};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  IgnoreSigpipe sigpipe;
  pid_t pid = -1;
  const int rc =
      ::posix_spawnp(&pid, options.program.c_str(), actions.get(), nullptr, argv.data(), environ);
  if (rc == ENOENT) fail(graphviz_missing(options.program));
  if (rc != 0) fail(fmt::format("cannot run {}: {}", options.program, std::strerror(rc)));
  read_end.reset();
  const bool written = write_all(write_end.get(), dot_text);
  write_end.reset();  // end of input: Graphviz renders now

  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      fail(fmt::format("waiting for {}: {}", options.program, std::strerror(errno)));
    }
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    if (written) return;
    fail(fmt::format("{} stopped reading the graph before its end", options.program));
  }
  if (WIFEXITED(status)) {
    fail(fmt::format("{} failed to render {} (exit status {})", options.program, options.output,
                     WEXITSTATUS(status)));
  }
  fail(fmt::format("{} failed to render {} (killed by signal {})", options.program, options.output,
                   WIFSIGNALED(status) ? WTERMSIG(status) : 0));
}

}  // namespace flowkit::httpgraph
