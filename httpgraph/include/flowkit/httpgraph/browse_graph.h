#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "flowkit/httpgraph/transaction.h"
#include "flowkit/httpgraph/url.h"
#include "flowkit/ip_address.h"

namespace flowkit::httpgraph {

struct GraphOptions {
  bool keep_query = false;          ///< query strings are part of a page's identity
  bool hosts = false;               ///< one node per host instead of per URL
  std::optional<IpAddress> client;  ///< only this client's requests
  /// Nodes and edges kept per graph; beyond them requests naming new pages, or new Referer
  /// pairs, are left out (and counted), so a flood of unique URLs cannot exhaust memory.
  std::size_t max_nodes = 100000;
  std::size_t max_edges = 1000000;
};

/// The browsing graph: per client, a node per page (or host) and an edge from the page named by
/// a request's Referer to the page requested, counting requests. Requests without a usable
/// Referer make their page a root.
class BrowseGraph {
 public:
  struct Node {
    std::string key;  ///< identity within its cluster: "host/path[?query]" or "host"
    std::string url;  ///< the full URL ("http://host/path"), for links and tooltips
    std::string host;
    std::string path;            ///< path (and query when kept); "" for host nodes
    std::uint64_t requests = 0;  ///< times requested (0: only ever seen as a Referer)
    std::uint64_t roots = 0;     ///< requests without a usable Referer
    std::size_t in_degree = 0;   ///< other nodes with an edge into this one
    std::string content_type;    ///< media type of the first response with one, lower case
    int status = 0;              ///< status of the latest response (0: none seen)
  };
  struct Edge {
    std::size_t from = 0;  ///< index into Cluster::nodes
    std::size_t to = 0;
    std::uint64_t count = 0;
  };
  struct Cluster {
    IpAddress client;
    std::uint64_t requests = 0;
    std::vector<Node> nodes;  ///< sorted by key
    std::vector<Edge> edges;  ///< sorted by (from key, to key)
  };

  explicit BrowseGraph(GraphOptions options = {});

  /// Adds one request. False when it is not part of the graph: another client than the one
  /// asked for, a target that names no page (CONNECT, "*"), or the node limit reached.
  bool add(const Transaction& transaction);

  /// A snapshot, ordered so that the same requests always give the same graph: clusters by
  /// client (IPv4 first), nodes by key, edges by their ends' keys.
  [[nodiscard]] std::vector<Cluster> clusters() const;

  [[nodiscard]] const GraphOptions& options() const noexcept { return options_; }
  [[nodiscard]] std::size_t client_count() const noexcept { return clusters_.size(); }
  [[nodiscard]] std::size_t node_count() const noexcept { return node_count_; }
  [[nodiscard]] std::size_t edge_count() const noexcept { return edge_count_; }
  /// Requests (or their edges) left out because of GraphOptions::max_nodes or max_edges.
  [[nodiscard]] std::uint64_t over_limit() const noexcept { return over_limit_; }

 private:
  /// IPv4 clients before IPv6 ones, each in address order.
  struct ClientOrder {
    bool operator()(const IpAddress& a, const IpAddress& b) const noexcept {
      if (a.is_v6() != b.is_v6()) return !a.is_v6();
      return a < b;
    }
  };
  struct ClusterData {
    std::uint64_t requests = 0;
    std::vector<Node> nodes;                                             // in order of appearance
    std::map<std::string, std::size_t> by_key;                           // key -> index into nodes
    std::map<std::pair<std::size_t, std::size_t>, std::uint64_t> edges;  // by node indices
  };

  /// The index of the node for `url` in `cluster`, created if needed; nullopt at the limit.
  std::optional<std::size_t> node_for(ClusterData& cluster, const Url& url);

  GraphOptions options_;
  std::map<IpAddress, ClusterData, ClientOrder> clusters_;
  std::size_t node_count_ = 0;
  std::size_t edge_count_ = 0;
  std::uint64_t over_limit_ = 0;
};

}  // namespace flowkit::httpgraph
