#include "flowkit/httpgraph/browse_graph.h"

#include <algorithm>

#include "flowkit/httpgraph/ascii.h"

namespace flowkit::httpgraph {

namespace {

// "Text/HTML; charset=utf-8" -> "text/html".
std::string media_type(std::string_view content_type) {
  const std::string_view type = trim(content_type.substr(0, content_type.find(';')));
  return percent_encode_unsafe(to_lower(bounded(type, 128)));
}

}  // namespace

BrowseGraph::BrowseGraph(GraphOptions options) : options_(std::move(options)) {}

std::optional<std::size_t> BrowseGraph::node_for(ClusterData& cluster, const Url& url) {
  std::string key = options_.hosts ? url.host : url.key(options_.keep_query);
  if (auto it = cluster.by_key.find(key); it != cluster.by_key.end()) return it->second;
  if (node_count_ >= options_.max_nodes) return std::nullopt;
  ++node_count_;
  Node node;
  node.key = key;
  node.host = url.host;
  if (options_.hosts) {
    node.url = url.scheme + "://" + url.host + "/";
  } else {
    node.url = url.full(options_.keep_query);
    node.path = url.path;
    if (options_.keep_query && url.has_query) node.path += '?' + url.query;
  }
  const std::size_t index = cluster.nodes.size();
  cluster.nodes.push_back(std::move(node));
  cluster.by_key.emplace(std::move(key), index);
  return index;
}

bool BrowseGraph::add(const Transaction& t) {
  if (options_.client && t.flow.client != *options_.client) return false;
  const HttpRequest& request = t.request;
  if (request.method == "CONNECT") return false;
  const auto url = request_url(request.target, request.host,
                               server_authority(t.flow.server, t.flow.server_port));
  if (!url) return false;

  ClusterData& cluster = clusters_[t.flow.client];
  const auto target_index = node_for(cluster, *url);
  if (!target_index) {
    ++over_limit_;
    return false;
  }
  Node& target = cluster.nodes[*target_index];
  if (target.requests == 0) {
    // A page first seen as a Referer may have had another scheme; a request says how it is
    // reached.
    target.url =
        options_.hosts ? url->scheme + "://" + url->host + "/" : url->full(options_.keep_query);
  }
  ++cluster.requests;
  ++target.requests;
  if (t.response) {
    target.status = t.response->status;
    if (target.content_type.empty()) target.content_type = media_type(t.response->content_type);
  }

  const auto from = request.has_referer ? referer_url(request.referer, *url) : std::nullopt;
  const auto source_index = from ? node_for(cluster, *from) : std::nullopt;
  if (!source_index) {
    if (from) ++over_limit_;
    ++cluster.nodes[*target_index].roots;
    return true;
  }
  const auto ends = std::pair(*source_index, *target_index);
  if (auto edge = cluster.edges.find(ends); edge != cluster.edges.end()) {
    ++edge->second;
  } else if (edge_count_ < options_.max_edges) {
    cluster.edges.emplace(ends, 1);
    ++edge_count_;
  } else {
    ++over_limit_;
  }
  return true;
}

std::vector<BrowseGraph::Cluster> BrowseGraph::clusters() const {
  std::vector<Cluster> out;
  out.reserve(clusters_.size());
  for (const auto& [client, data] : clusters_) {
    Cluster cluster;
    cluster.client = client;
    cluster.requests = data.requests;
    // by_key is sorted by key: it gives each node its place in the snapshot.
    std::vector<std::size_t> place(data.nodes.size());
    for (const auto& [key, index] : data.by_key) {
      place[index] = cluster.nodes.size();
      cluster.nodes.push_back(data.nodes[index]);
    }
    for (const auto& [ends, count] : data.edges) {
      cluster.edges.push_back({place[ends.first], place[ends.second], count});
    }
    std::sort(cluster.edges.begin(), cluster.edges.end(), [](const Edge& a, const Edge& b) {
      return std::pair(a.from, a.to) < std::pair(b.from, b.to);
    });
    for (const auto& edge : cluster.edges) {
      if (edge.from != edge.to) ++cluster.nodes[edge.to].in_degree;
    }
    out.push_back(std::move(cluster));
  }
  return out;
}

}  // namespace flowkit::httpgraph
