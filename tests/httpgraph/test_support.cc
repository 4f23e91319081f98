#include "test_support.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/os.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iterator>

#include "flowkit/packet_source.h"
#include "flowkit/reassembler.h"

namespace flowkit::httpgraph::testing {

namespace {

Collected run(auto&& feed, Config config, CollectorOptions options) {
  Collected out;
  HttpCollector collector(std::move(options),
                          [&](const Transaction& t) { out.transactions.push_back(t); });
  {
    Reassembler reassembler(config, collector);
    feed(reassembler);
    reassembler.finish();
  }
  out.stats = collector.stats();
  return out;
}

}  // namespace

Collected collect(std::span<const Frame> frames, Config config, CollectorOptions options) {
  return run(
      [&](Reassembler& r) {
        for (const auto& f : frames) r.process(f.view());
      },
      config, std::move(options));
}

Collected collect_file(const std::string& path, Config config) {
  SourceOptions source_options;
  source_options.files = {path};
  auto source = PacketSource::open(source_options);
  return run(
      [&](Reassembler& r) {
        while (auto frame = source.next()) r.process(*frame);
      },
      config, {});
}

std::vector<Frame> merge(std::vector<std::vector<Frame>> parts) {
  std::vector<Frame> out;
  for (auto& p : parts) std::move(p.begin(), p.end(), std::back_inserter(out));
  std::stable_sort(out.begin(), out.end(),
                   [](const Frame& a, const Frame& b) { return a.ts < b.ts; });
  return out;
}

std::string get(std::string_view path, std::string_view host, std::string_view referer) {
  std::string r =
      fmt::format("GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: test/1.0\r\n", path, host);
  if (!referer.empty()) r += fmt::format("Referer: {}\r\n", referer);
  return r + "\r\n";
}

std::string ok(std::string_view body, std::string_view type, int status, std::string_view reason) {
  return fmt::format("HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n\r\n{}", status,
                     reason, type, body.size(), body);
}

CommandResult run_command(const std::vector<std::string>& argv,
                          const std::vector<std::string>& env) {
  const auto dir = test_dir() / "command";
  std::filesystem::create_directories(dir);
  const std::string out_path = (dir / "stdout").string();
  const std::string err_path = (dir / "stderr").string();

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<std::string> args = argv;
  std::vector<char*> cargs;
  for (auto& a : args) cargs.push_back(a.data());
  cargs.push_back(nullptr);
  std::vector<std::string> environment;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view entry(*e);
    const auto name = entry.substr(0, entry.find('=') + 1);
    const bool replaced = std::any_of(env.begin(), env.end(), [&](const std::string& x) {
      return std::string_view(x).substr(0, x.find('=') + 1) == name;
    });
    if (!replaced) environment.emplace_back(entry);
  }
  environment.insert(environment.end(), env.begin(), env.end());
  std::vector<char*> cenv;
  for (auto& e : environment) cenv.push_back(e.data());
  cenv.push_back(nullptr);

  CommandResult result;
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, cargs[0], &actions, nullptr, cargs.data(), cenv.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return result;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return result;
  }
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  result.out = read_file(out_path);
  result.err = read_file(err_path);
  return result;
}

namespace {

/// This process's scratch directory, removed when the test program exits.
class ScratchRoot {
 public:
  ScratchRoot()
      : path_(std::filesystem::temp_directory_path() /
              fmt::format("httpgraph_tests_{}", ::getpid())) {}
  ScratchRoot(const ScratchRoot&) = delete;
  ScratchRoot& operator=(const ScratchRoot&) = delete;
  ~ScratchRoot() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace

std::filesystem::path test_dir() {
  static const ScratchRoot root;
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = info != nullptr ? fmt::format("{}_{}", info->test_suite_name(), info->name())
                                     : std::string("no_test");
  std::replace(name.begin(), name.end(), '/', '_');
  const auto dir = root.path() / name;
  std::filesystem::create_directories(dir);
  return dir;
}

void write_file(const std::filesystem::path& path, std::string_view text) {
  auto out = fmt::output_file(path.string());
  out.print("{}", text);
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace flowkit::httpgraph::testing
