#pragma once

#include <cstddef>
#include <string>

#include "flowkit/httpgraph/browse_graph.h"

namespace flowkit::httpgraph {

struct DotOptions {
  /// In-degree from which a node is drawn as a hub (filled, bold, larger).
  std::size_t hub_threshold = 3;
  /// Graphviz layout engine named in the file (the "layout" graph attribute); empty: none, so
  /// whoever renders it chooses.
  std::string layout;
  /// Label widths, in characters.
  std::size_t host_width = 32;
  std::size_t path_width = 40;
};

/// The graph in Graphviz dot: one cluster per client, nodes labelled with a shortened host and
/// path and carrying the full URL as URL and tooltip (clickable in SVG). Shapes: box for HTML
/// pages and hosts, ellipse otherwise; a double outline for roots (requested without a
/// Referer); dashed for pages only seen as a Referer; red for error statuses; hubs filled.
/// Edge labels and widths give request counts. Every string from the traffic is escaped.
[[nodiscard]] std::string write_dot(const BrowseGraph& graph, const DotOptions& options);

}  // namespace flowkit::httpgraph
