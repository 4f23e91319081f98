#include "flowkit/httpgraph/dot_writer.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <iterator>

#include "flowkit/httpgraph/dot_string.h"
#include "flowkit/httpgraph/label.h"

namespace flowkit::httpgraph {

namespace {

// Warmer for higher in-degree, so the busiest hubs are seen first.
constexpr std::string_view kHubColors[] = {"#fff2b3", "#ffd480", "#ffaa55", "#ff7f3f"};
constexpr int kBaseFontSize = 10;
constexpr int kMaxFontSize = 24;

bool is_page(const BrowseGraph::Node& node) {
  return node.content_type == "text/html" || node.content_type == "application/xhtml+xml";
}

std::string node_label(const BrowseGraph::Node& node, const DotOptions& options, bool hosts) {
  std::string label;
  append_dot_text(label, shorten_middle(node.host, options.host_width), DotText::Label);
  label += "\\n";
  if (hosts) {
    label += fmt::format("{} request{}", node.requests, node.requests == 1 ? "" : "s");
  } else {
    append_dot_text(label, shorten_path(node.path, options.path_width), DotText::Label);
  }
  return label;
}

void write_node(std::string& out, std::size_t id, const BrowseGraph::Node& node,
                const DotOptions& options, bool hosts, std::size_t max_in_degree) {
  auto it = std::back_inserter(out);
  fmt::format_to(it, "    n{} [label=\"{}\", URL={}, tooltip={}", id,
                 node_label(node, options, hosts), dot_quoted(node.url, DotText::Attribute),
                 dot_quoted(node.url, DotText::Attribute));
  if (hosts || is_page(node)) out += ", shape=box";
  if (node.roots > 0) out += ", peripheries=2";
  std::vector<std::string_view> style;
  if (node.requests == 0) style.push_back("dashed");
  const bool hub = node.in_degree >= options.hub_threshold && node.in_degree > 0;
  if (hub) {
    style.push_back("filled");
    style.push_back("bold");
    const std::size_t level = std::min<std::size_t>(
        std::size(kHubColors) - 1, node.in_degree * std::size(kHubColors) / (max_in_degree + 1));
    const int size = std::min(kMaxFontSize,
                              kBaseFontSize + 2 * static_cast<int>(std::bit_width(node.in_degree)));
    fmt::format_to(it, ", fillcolor=\"{}\", fontsize={}", kHubColors[level], size);
  }
  if (!style.empty()) fmt::format_to(it, ", style=\"{}\"", fmt::join(style, ","));
  if (node.status >= 400) out += ", color=\"red3\", fontcolor=\"red3\"";
  out += "];\n";
}

void write_edge(std::string& out, std::size_t from, std::size_t to, std::uint64_t count) {
  auto it = std::back_inserter(out);
  fmt::format_to(it, "    n{} -> n{}", from, to);
  if (count > 1) {
    const double width = std::min(8.0, 1.0 + std::log2(static_cast<double>(count)));
    fmt::format_to(it, " [label=\"{}\", penwidth={:.1f}, weight={}]", count, width,
                   std::min<std::uint64_t>(count, 1000));
  }
  out += ";\n";
}

}  // namespace

std::string write_dot(const BrowseGraph& graph, const DotOptions& options) {
  const bool hosts = graph.options().hosts;
  const auto clusters = graph.clusters();
  std::size_t max_in_degree = 0;
  for (const auto& cluster : clusters) {
    for (const auto& node : cluster.nodes) max_in_degree = std::max(max_in_degree, node.in_degree);
  }

  std::string out;
  auto it = std::back_inserter(out);
  out += "// Browsing graph drawn by httpgraph (flowkit): an edge per Referer -> requested URL.\n";
  out += "digraph httpgraph {\n";
  out += "  graph [rankdir=LR, overlap=false, splines=true, fontname=\"Helvetica\"";
  if (!options.layout.empty()) {
    fmt::format_to(it, ", layout={}", dot_quoted(options.layout, DotText::Attribute));
  }
  out += "];\n";
  out += "  node [shape=ellipse, fontname=\"Helvetica\", fontsize=10];\n";
  out += "  edge [fontname=\"Helvetica\", fontsize=9, color=\"#555555\"];\n";
  std::size_t next_id = 1;
  std::size_t cluster_id = 1;
  for (const auto& cluster : clusters) {
    const std::string client = cluster.client.to_string();
    fmt::format_to(it, "  subgraph cluster_{} {{\n", cluster_id++);
    fmt::format_to(it, "    label={};\n",
                   dot_quoted(fmt::format("{} ({} request{})", client, cluster.requests,
                                          cluster.requests == 1 ? "" : "s"),
                              DotText::Label));
    out += "    style=\"rounded\";\n    color=\"#999999\";\n";
    const std::size_t first = next_id;
    for (const auto& node : cluster.nodes) {
      write_node(out, next_id++, node, options, hosts, max_in_degree);
    }
    for (const auto& edge : cluster.edges) {
      write_edge(out, first + edge.from, first + edge.to, edge.count);
    }
    out += "  }\n";
  }
  out += "}\n";
  return out;
}

}  // namespace flowkit::httpgraph
