#pragma once

#include <sys/types.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

/// Running the project's programs from tests: output captured, no shell unless asked.
namespace flowkit::testing {

struct CommandResult {
  int exit_code = -1;  ///< -1: killed by a signal
  std::string out;
  std::string err;
};

/// Runs `argv` (no shell) with standard input from /dev/null, capturing stdout and stderr.
CommandResult run(const std::vector<std::string>& argv);

/// Runs a shell command line with standard output and standard error on a pseudo-terminal
/// (script(1)); `out` is everything the terminal was sent.
CommandResult run_in_terminal(const std::string& command_line);

/// `text` quoted for sh.
std::string shell_quote(const std::string& text);

/// Whether `program` is in PATH.
bool have(const std::string& program);

/// A program running in the background, output captured into files.
class Background {
 public:
  explicit Background(const std::vector<std::string>& argv);
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;
  ~Background();

  [[nodiscard]] pid_t pid() const noexcept { return pid_; }
  /// Sends `signal` and waits for the exit.
  CommandResult stop(int signal);

 private:
  struct FileCloser {
    void operator()(std::FILE* f) const noexcept { std::fclose(f); }
  };
  std::unique_ptr<std::FILE, FileCloser> out_;
  std::unique_ptr<std::FILE, FileCloser> err_;
  pid_t pid_ = -1;
};

/// The value of `field` ("Uid", "Gid", "Groups", "CapEff") in /proc/PID/status, or "".
std::string proc_status(pid_t pid, const std::string& field);

std::string read_file(const std::filesystem::path& path);
void write_file(const std::filesystem::path& path, const std::string& text);

}  // namespace flowkit::testing
