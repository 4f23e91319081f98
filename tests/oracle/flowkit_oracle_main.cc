// flowkit_flows_dump [--midstream] [--policy NAME] capture: our reassembly in the oracle format.
#include <fmt/format.h>

#include <iostream>
#include <string_view>

#include "flowkit/capture_file.h"
#include "flowkit_flows.h"

int main(int argc, char** argv) {
  flowkit::Config config;
  std::string path;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--midstream") {
      config.tcp.midstream = true;
    } else if (arg == "--defrag-policy" && i + 1 < argc) {
      const auto policy = flowkit::parse_overlap_policy(argv[++i]);
      if (!policy) {
        fmt::print(stderr, "unknown policy {}\n", argv[i]);
        return 2;
      }
      config.defrag.policy = *policy;
    } else if (arg == "--policy" && i + 1 < argc) {
      const auto policy = flowkit::parse_overlap_policy(argv[++i]);
      if (!policy) {
        fmt::print(stderr, "unknown policy {}\n", argv[i]);
        return 2;
      }
      config.tcp.policy = *policy;
    } else {
      path = arg;
    }
  }
  if (path.empty()) {
    fmt::print(stderr, "usage: {} [--midstream] [--policy NAME] [--defrag-policy NAME] capture\n",
               argv[0]);
    return 2;
  }
  try {
    flowkit::oracle::write_flows(std::cout, flowkit::oracle::flowkit_flows(path, config).flows);
  } catch (const std::exception& e) {
    fmt::print(stderr, "{}: {}\n", path, e.what());
    return 2;
  }
  return 0;
}
