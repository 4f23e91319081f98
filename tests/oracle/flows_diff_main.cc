// flowkit_flows_diff [--ignore-empty] <ours.flows> <theirs.flows> [theirs-name]
// Compares two flowkit-flows v1 files; exit 0 if they agree, 1 if not, 2 on error.
#include <fmt/format.h>

#include <cstdio>
#include <exception>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "flow_bytes.h"

namespace {

flowkit::oracle::FlowSet load(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(fmt::format("cannot open {}", path));
  return flowkit::oracle::read_flows(in);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace flowkit::oracle;
  bool ignore_empty = false;
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--ignore-empty") {
      ignore_empty = true;
    } else {
      args.emplace_back(arg);
    }
  }
  if (args.size() < 2 || args.size() > 3) {
    fmt::print(
        stderr,
        "usage: flowkit_flows_diff [--ignore-empty] <ours.flows> <theirs.flows> [theirs-name]\n");
    return 2;
  }
  try {
    const auto differences = compare_flows(load(args[0]), load(args[1]),
                                           args.size() == 3 ? args[2] : "theirs", ignore_empty);
    fmt::print("{}", format_differences(differences));
    return differences.empty() ? 0 : 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "flowkit_flows_diff: {}\n", e.what());
    return 2;
  }
}
