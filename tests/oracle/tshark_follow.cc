#include "tshark_follow.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <filesystem>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "subprocess.h"

namespace flowkit::oracle {
namespace {

constexpr std::string_view filter_prefix = "Filter: tcp.stream eq ";
constexpr std::string_view marker_prefix = "[";
constexpr std::string_view marker_suffix = " bytes missing in capture file]";

std::optional<std::uint32_t> parse_u32(std::string_view text) {
  std::uint32_t value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc{} || ptr != end) return std::nullopt;
  return value;
}

// One "Follow: tcp,raw" block while it is being parsed.
struct Block {
  std::uint32_t stream = 0;
  std::array<std::string, 2> node_text;
  std::array<std::string, 2> bytes;
  std::array<std::vector<std::pair<std::size_t, std::size_t>>, 2>
      gaps;  // (offset, missing) per node
};

void append_chunk(Block& block, int node, std::string chunk, GapMode mode) {
  auto& bytes = block.bytes[node];
  const long missing = parse_gap_marker(chunk);
  if (missing < 0) {
    bytes += chunk;
    return;
  }
  const auto count = static_cast<std::size_t>(missing);
  block.gaps[node].emplace_back(bytes.size(), count);
  switch (mode) {
    case GapMode::marker:
      bytes += chunk;
      break;
    case GapMode::drop:
      break;
    case GapMode::zero_fill:
      bytes.append(count, '\0');
      break;
  }
}

// Streams only seen inside ICMP errors get a block with "Node 0: :0" and no data.
bool is_phantom(const Block& block) {
  return block.bytes[0].empty() && block.bytes[1].empty() && block.node_text[0].starts_with(':');
}

void finish_block(Block& block, TsharkFollow& result) {
  if (is_phantom(block)) return;
  FlowBytes flow;
  try {
    flow.a = parse_endpoint(block.node_text[0]);
    flow.b = parse_endpoint(block.node_text[1]);
  } catch (const FlowFormatError& e) {
    throw TsharkError(
        fmt::format("tshark follow, stream {}: bad node line: {}", block.stream, e.what()));
  }
  flow.from_a = std::move(block.bytes[0]);
  flow.from_b = std::move(block.bytes[1]);
  const auto index = result.flows.size();
  for (int node = 0; node < 2; ++node) {
    for (const auto& [offset, missing] : block.gaps[node]) {
      result.gaps.push_back(TsharkGap{index, node == 0, offset, missing});
    }
  }
  result.flows.push_back(std::move(flow));
  result.stream_ids.push_back(block.stream);
}

// Sorts flows by stream id, keeping gaps pointing at the right flow.
void sort_by_stream(TsharkFollow& result) {
  std::vector<std::size_t> order(result.flows.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::ranges::sort(order, {}, [&](std::size_t i) { return result.stream_ids[i]; });
  std::vector<std::size_t> new_index(order.size());
  TsharkFollow sorted;
  for (std::size_t i = 0; i < order.size(); ++i) {
    new_index[order[i]] = i;
    sorted.flows.push_back(std::move(result.flows[order[i]]));
    sorted.stream_ids.push_back(result.stream_ids[order[i]]);
  }
  for (auto gap : result.gaps) {
    gap.flow = new_index[gap.flow];
    sorted.gaps.push_back(gap);
  }
  std::ranges::stable_sort(sorted.gaps, {}, &TsharkGap::flow);
  result = std::move(sorted);
}

std::string trimmed_stderr(std::string_view err) {
  // tshark always complains about running as root; that is not the error.
  std::string text;
  while (!err.empty()) {
    const auto end = std::min(err.find('\n'), err.size());
    const auto line = err.substr(0, end);
    if (!line.starts_with("Running as user") && !line.empty()) text += fmt::format("{}\n", line);
    err.remove_prefix(std::min(end + 1, err.size()));
  }
  return text.empty() ? std::string("(no error output)") : text;
}

ProcessResult run_tshark(const TsharkOptions& options, std::vector<std::string> args) {
  args.insert(args.begin(), options.program);
  try {
    auto result = run_process(args);
    if (result.exit_code != 0) {
      throw TsharkError(fmt::format("{} failed (exit {}): {}", options.program, result.exit_code,
                                    trimmed_stderr(result.err)));
    }
    return result;
  } catch (const SpawnError& e) {
    throw TsharkError(fmt::format("{} (is tshark installed?)", e.what()));
  }
}

std::set<std::uint32_t> list_streams(const std::string& pcap_path, const TsharkOptions& options) {
  const auto listing =
      run_tshark(options, {"-r", pcap_path, "-n", "-T", "fields", "-e", "tcp.stream", "-Y", "tcp"});
  std::set<std::uint32_t> streams;
  std::string_view text = listing.out;
  while (!text.empty()) {
    const auto end = std::min(text.find_first_of(",\n"), text.size());
    const auto field = text.substr(0, end);
    text.remove_prefix(std::min(end + 1, text.size()));
    if (field.empty()) continue;  // packets whose tcp.stream is absent
    const auto id = parse_u32(field);
    if (!id)
      throw TsharkError(fmt::format("unexpected tcp.stream value '{}' for {}", field, pcap_path));
    streams.insert(*id);
  }
  return streams;
}

}  // namespace

long parse_gap_marker(std::string_view chunk) {
  // "[<N> bytes missing in capture file]" followed by the C string's NUL.
  if (!chunk.starts_with(marker_prefix) || !chunk.ends_with('\0')) return -1;
  chunk.remove_prefix(marker_prefix.size());
  chunk.remove_suffix(1);
  if (!chunk.ends_with(marker_suffix)) return -1;
  chunk.remove_suffix(marker_suffix.size());
  // tshark prints the count with %d; a negative value would mean its bookkeeping broke.
  if (chunk.starts_with('-')) return parse_u32(chunk.substr(1)) ? 0 : -1;
  const auto count = parse_u32(chunk);
  return count ? static_cast<long>(*count) : -1;
}

TsharkFollow parse_follow_output(std::string_view text, GapMode gaps) {
  TsharkFollow result;
  std::optional<Block> block;
  std::size_t line_no = 0;
  while (!text.empty()) {
    const auto end = std::min(text.find('\n'), text.size());
    std::string_view line = text.substr(0, end);
    text.remove_prefix(std::min(end + 1, text.size()));
    ++line_no;
    if (line.ends_with('\r')) line.remove_suffix(1);

    if (line.starts_with("====")) {
      if (block) finish_block(*block, result);  // closing separator
      block.reset();
    } else if (line.starts_with(filter_prefix)) {
      const auto id = parse_u32(line.substr(filter_prefix.size()));
      if (!id)
        throw TsharkError(fmt::format("tshark follow output line {}: bad filter line", line_no));
      block.emplace();
      block->stream = *id;
    } else if (line.starts_with("Follow: ") || line.empty()) {
      continue;
    } else if (line.starts_with("Node 0: ") || line.starts_with("Node 1: ")) {
      if (!block)
        throw TsharkError(
            fmt::format("tshark follow output line {}: node outside a block", line_no));
      block->node_text[line[5] - '0'] = std::string(line.substr(8));
    } else {
      if (!block) {
        throw TsharkError(fmt::format("tshark follow output line {}: unexpected '{}'", line_no,
                                      escape_bytes(line, 60)));
      }
      // raw mode: one hex line per chunk; node 1's lines are indented by a tab.
      const int node = line.starts_with('\t') ? 1 : 0;
      if (node == 1) line.remove_prefix(1);
      try {
        append_chunk(*block, node, from_hex(line), gaps);
      } catch (const FlowFormatError& e) {
        throw TsharkError(fmt::format("tshark follow output line {}: {}", line_no, e.what()));
      }
    }
  }
  if (block) throw TsharkError("tshark follow output ends inside a block");
  sort_by_stream(result);
  return result;
}

TsharkFollow run_tshark_follow(const std::string& pcap_path, const TsharkOptions& options) {
  if (!std::filesystem::is_regular_file(pcap_path)) {
    throw TsharkError(fmt::format("no such capture file: {}", pcap_path));
  }
  const auto streams = list_streams(pcap_path, options);
  const std::vector<std::uint32_t> ids(streams.begin(), streams.end());
  const auto batch = std::max<std::size_t>(1, options.streams_per_run);

  TsharkFollow all;
  // One tshark pass (one read of the file) serves a whole batch of follow taps.
  for (std::size_t first = 0; first < ids.size(); first += batch) {
    std::vector<std::string> args{"-r", pcap_path, "-n", "-q"};
    const auto last = std::min(ids.size(), first + batch);
    for (auto i = first; i < last; ++i) {
      args.emplace_back("-z");
      args.push_back(fmt::format("follow,tcp,raw,{}", ids[i]));
    }
    auto part = parse_follow_output(run_tshark(options, std::move(args)).out, options.gaps);
    const auto offset = all.flows.size();
    for (auto gap : part.gaps) {
      gap.flow += offset;
      all.gaps.push_back(gap);
    }
    std::ranges::move(part.flows, std::back_inserter(all.flows));
    std::ranges::copy(part.stream_ids, std::back_inserter(all.stream_ids));
  }
  sort_by_stream(all);
  return all;
}

FlowSet tshark_follow(const std::string& pcap_path) {
  return run_tshark_follow(pcap_path).flows;
}

}  // namespace flowkit::oracle
