// flowkit_tshark_oracle [--gaps=marker|drop|zero] <file.pcap>
// Prints tshark's "follow tcp" reassembly of every stream as flowkit-flows v1
// (a = node 0 = sender of the stream's first packet).
#include <fmt/format.h>

#include <cstdio>
#include <exception>
#include <iostream>
#include <string_view>

#include "tshark_follow.h"

int main(int argc, char** argv) {
  using namespace flowkit::oracle;
  TsharkOptions options;
  const char* path = nullptr;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--gaps=marker") {
      options.gaps = GapMode::marker;
    } else if (arg == "--gaps=drop") {
      options.gaps = GapMode::drop;
    } else if (arg == "--gaps=zero") {
      options.gaps = GapMode::zero_fill;
    } else if (path == nullptr && !arg.starts_with("--")) {
      path = argv[i];
    } else {
      path = nullptr;
      break;
    }
  }
  if (path == nullptr) {
    fmt::print(stderr, "usage: flowkit_tshark_oracle [--gaps=marker|drop|zero] <file.pcap>\n");
    return 1;
  }
  try {
    const auto result = run_tshark_follow(path, options);
    write_flows(std::cout, result.flows);
    for (const auto& gap : result.gaps) {
      fmt::print(stderr, "gap: {} from {}: {} bytes missing at offset {}\n",
                 result.flows[gap.flow].label(), gap.from_a ? "a" : "b", gap.missing, gap.offset);
    }
    std::cout.flush();
    return std::cout ? 0 : 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "flowkit_tshark_oracle: {}\n", e.what());
    return 2;
  }
}
