#include "flowkit/cli/status_options.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

namespace flowkit::cli {

namespace {

bool same_terminal(int a, int b) {
  if (::isatty(a) == 0 || ::isatty(b) == 0) return false;
  struct stat sa {};
  struct stat sb {};
  if (::fstat(a, &sa) != 0 || ::fstat(b, &sb) != 0) return false;
  return sa.st_rdev == sb.st_rdev;
}

}  // namespace

void StatusOptions::add_to(CLI::App& app) {
  auto* quiet_flag =
      app.add_flag("-q,--quiet", quiet,
                   "No progress line and no statistics on standard error (errors still are)")
          ->group("Progress and statistics");
  app.add_flag("--progress", progress,
               "Show the progress line while reading files even when standard error is not a "
               "terminal (by default: only on a terminal that the results do not go to)")
      ->excludes(quiet_flag)
      ->group("Progress and statistics");
  app.add_option("--stats-json", stats_json,
                 "Also write the statistics of the run to FILE as one JSON object (even with "
                 "--quiet)")
      ->type_name("FILE")
      ->group("Progress and statistics");
}

std::unique_ptr<Progress> StatusOptions::make_progress(const PacketSource& source,
                                                       bool results_on_stdout) const {
  if (quiet || source.live()) return nullptr;
  const bool terminal = ::isatty(STDERR_FILENO) != 0;
  const bool wanted =
      progress || (terminal && !(results_on_stdout && same_terminal(STDOUT_FILENO, STDERR_FILENO)));
  if (!wanted) return nullptr;
  return std::make_unique<Progress>(stderr, terminal);
}

}  // namespace flowkit::cli
