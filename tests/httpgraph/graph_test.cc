// The browsing graph: crafted sessions with known graphs (exact nodes and edges) in URL, query
// and host modes, per client, and the requests that must not become nodes.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "flowkit/httpgraph/browse_graph.h"
#include "test_support.h"

namespace flowkit::httpgraph::testing {
namespace {

// One line per node and per edge, so whole graphs compare at once.
std::vector<std::string> describe(const BrowseGraph& graph) {
  std::vector<std::string> out;
  for (const auto& c : graph.clusters()) {
    const std::string client = c.client.to_string();
    for (const auto& n : c.nodes) {
      out.push_back(fmt::format("{} node {} req={} roots={} in={} status={} type={} url={}", client,
                                n.key, n.requests, n.roots, n.in_degree, n.status,
                                n.content_type.empty() ? "-" : n.content_type, n.url));
    }
    for (const auto& e : c.edges) {
      out.push_back(fmt::format("{} edge {} -> {} x{}", client, c.nodes[e.from].key,
                                c.nodes[e.to].key, e.count));
    }
  }
  return out;
}

TcpSession::Options session(std::string client, std::uint16_t port, std::string server,
                            int start_ms) {
  TcpSession::Options o;
  o.client = std::move(client);
  o.client_port = port;
  o.server = std::move(server);
  o.start = std::chrono::seconds(1700000000) + std::chrono::milliseconds(start_ms);
  return o;
}

// Two clients browsing: a news front page with its resources over two keep-alive connections
// (the second pipelined, one response chunked), a click to another site, and a visitor who
// arrives from a search engine over HTTPS (a page the capture never sees requested).
std::vector<Frame> browsing_session() {
  const std::string news = "www.news.example";
  const std::string front = "http://www.news.example/";
  const std::string article = "http://www.news.example/world/article.html?id=7";

  TcpSession a(session("10.0.0.1", 40000, "192.0.2.10", 0));
  auto fa = a.handshake();
  fa.push_back(a.client_send(get("/", news)));
  fa.push_back(a.server_send(ok("<html>front</html>", "text/html; charset=utf-8")));
  fa.push_back(a.client_send(get("/style.css", news, front)));
  fa.push_back(a.server_send(ok("body{}", "text/css")));
  fa.push_back(a.client_send(get("/world/article.html?id=7", news, front)));
  fa.push_back(a.server_send(ok("<html>article</html>")));
  fa.push_back(a.client_send(get("/style.css", news, article)));
  fa.push_back(a.server_send("HTTP/1.1 304 Not Modified\r\n\r\n"));
  fa.push_back(a.client_fin());
  fa.push_back(a.server_fin());

  TcpSession b(session("10.0.0.1", 40002, "192.0.2.10", 5));
  auto fb = b.handshake();
  fb.push_back(b.client_send(get("/img/a.png", news, article) + get("/img/b.png", news, article)));
  fb.push_back(b.server_send(
      "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nTransfer-Encoding: chunked\r\n\r\n"
      "4\r\nPNG1\r\n0\r\n\r\n" +
      ok("PNG2", "image/png")));
  fb.push_back(b.client_fin());
  fb.push_back(b.server_fin());

  TcpSession c(session("10.0.0.1", 40004, "198.51.100.7", 20));
  auto fc = c.handshake();
  fc.push_back(c.client_send(get("/deal", "shop.example", article + "#ad")));
  fc.push_back(c.server_send(ok("no", "text/html", 404, "Not Found")));

  TcpSession d(session("10.0.0.9", 50000, "192.0.2.10", 30));
  auto fd = d.handshake();
  fd.push_back(
      d.client_send(get("/world/article.html?id=8", news, "https://search.example/?q=news")));
  fd.push_back(d.server_send(ok("<html>article 8</html>")));

  return merge({fa, fb, fc, fd});
}

BrowseGraph graph_of(const std::vector<Transaction>& transactions, GraphOptions options = {}) {
  BrowseGraph graph(std::move(options));
  for (const auto& t : transactions) graph.add(t);
  return graph;
}

TEST(BrowseGraph, CraftedBrowsingSessionGivesExactlyTheExpectedGraph) {
  const auto collected = collect(browsing_session());
  ASSERT_EQ(collected.transactions.size(), 8u);
  const auto graph = graph_of(collected.transactions);
  EXPECT_EQ(
      describe(graph),
      (std::vector<std::string>{
          "10.0.0.1 node shop.example/deal req=1 roots=0 in=1 status=404 type=text/html "
          "url=http://shop.example/deal",
          "10.0.0.1 node www.news.example/ req=1 roots=1 in=0 status=200 type=text/html "
          "url=http://www.news.example/",
          "10.0.0.1 node www.news.example/img/a.png req=1 roots=0 in=1 status=200 type=image/png "
          "url=http://www.news.example/img/a.png",
          "10.0.0.1 node www.news.example/img/b.png req=1 roots=0 in=1 status=200 type=image/png "
          "url=http://www.news.example/img/b.png",
          "10.0.0.1 node www.news.example/style.css req=2 roots=0 in=2 status=304 type=text/css "
          "url=http://www.news.example/style.css",
          "10.0.0.1 node www.news.example/world/article.html req=1 roots=0 in=1 status=200 "
          "type=text/html url=http://www.news.example/world/article.html",
          "10.0.0.1 edge www.news.example/ -> www.news.example/style.css x1",
          "10.0.0.1 edge www.news.example/ -> www.news.example/world/article.html x1",
          "10.0.0.1 edge www.news.example/world/article.html -> shop.example/deal x1",
          "10.0.0.1 edge www.news.example/world/article.html -> www.news.example/img/a.png x1",
          "10.0.0.1 edge www.news.example/world/article.html -> www.news.example/img/b.png x1",
          "10.0.0.1 edge www.news.example/world/article.html -> www.news.example/style.css x1",
          "10.0.0.9 node search.example/ req=0 roots=0 in=0 status=0 type=- "
          "url=https://search.example/",
          "10.0.0.9 node www.news.example/world/article.html req=1 roots=0 in=1 status=200 "
          "type=text/html url=http://www.news.example/world/article.html",
          "10.0.0.9 edge search.example/ -> www.news.example/world/article.html x1",
      }));
  EXPECT_EQ(graph.node_count(), 8u);
  EXPECT_EQ(graph.edge_count(), 7u);
}

TEST(BrowseGraph, KeepQueryMakesQueriesPartOfThePage) {
  GraphOptions options;
  options.keep_query = true;
  options.client = IpAddress::parse("10.0.0.9");
  const auto graph = graph_of(collect(browsing_session()).transactions, options);
  EXPECT_EQ(
      describe(graph),
      (std::vector<std::string>{
          "10.0.0.9 node search.example/?q=news req=0 roots=0 in=0 status=0 type=- "
          "url=https://search.example/?q=news",
          "10.0.0.9 node www.news.example/world/article.html?id=8 req=1 roots=0 in=1 status=200 "
          "type=text/html url=http://www.news.example/world/article.html?id=8",
          "10.0.0.9 edge search.example/?q=news -> www.news.example/world/article.html?id=8 x1",
      }));
}

TEST(BrowseGraph, HostsModeCollapsesToWeightedHostEdges) {
  GraphOptions options;
  options.hosts = true;
  const auto graph = graph_of(collect(browsing_session()).transactions, options);
  EXPECT_EQ(describe(graph), (std::vector<std::string>{
                                 "10.0.0.1 node shop.example req=1 roots=0 in=1 status=404 "
                                 "type=text/html url=http://shop.example/",
                                 "10.0.0.1 node www.news.example req=6 roots=1 in=0 status=304 "
                                 "type=text/html url=http://www.news.example/",
                                 "10.0.0.1 edge www.news.example -> shop.example x1",
                                 "10.0.0.1 edge www.news.example -> www.news.example x5",
                                 "10.0.0.9 node search.example req=0 roots=0 in=0 status=0 type=- "
                                 "url=https://search.example/",
                                 "10.0.0.9 node www.news.example req=1 roots=0 in=1 status=200 "
                                 "type=text/html url=http://www.news.example/",
                                 "10.0.0.9 edge search.example -> www.news.example x1",
                             }));
}

TEST(BrowseGraph, ClientOptionKeepsOneClient) {
  GraphOptions options;
  options.client = IpAddress::parse("10.0.0.1");
  const auto graph = graph_of(collect(browsing_session()).transactions, options);
  ASSERT_EQ(graph.clusters().size(), 1u);
  EXPECT_EQ(graph.clusters()[0].client.to_string(), "10.0.0.1");
  EXPECT_EQ(graph.clusters()[0].requests, 7u);
}

Transaction request(std::string method, std::string target, std::string host,
                    std::string referer = {}, std::string client = "10.0.0.1") {
  Transaction t;
  t.flow.client = *IpAddress::parse(client);
  t.flow.server = *IpAddress::parse("192.0.2.1");
  t.flow.client_port = 40000;
  t.flow.server_port = 80;
  t.request.method = std::move(method);
  t.request.target = std::move(target);
  t.request.version = "HTTP/1.1";
  t.request.has_host = !host.empty();
  t.request.host = std::move(host);
  t.request.has_referer = !referer.empty();
  t.request.referer = std::move(referer);
  return t;
}

TEST(BrowseGraph, RequestsThatNameNoPageAreLeftOut) {
  BrowseGraph graph;
  EXPECT_FALSE(graph.add(request("CONNECT", "example.com:443", "example.com:443")));
  EXPECT_FALSE(graph.add(request("OPTIONS", "*", "example.com")));
  EXPECT_FALSE(graph.add(request("GET", "ftp://example.com/", "example.com")));
  EXPECT_TRUE(graph.add(request("GET", "/", "")));  // no Host: the server's address names it
  EXPECT_EQ(
      describe(graph),
      std::vector<std::string>{
          "10.0.0.1 node 192.0.2.1/ req=1 roots=1 in=0 status=0 type=- url=http://192.0.2.1/"});
}

TEST(BrowseGraph, RefererVariantsNormaliseToTheSamePage) {
  BrowseGraph graph;
  graph.add(request("GET", "/", "Site.Example"));
  graph.add(request("GET", "/a", "site.example", "http://SITE.example:80/#top"));
  graph.add(request("GET", "/b", "site.example", "/"));                // relative
  graph.add(request("GET", "/c", "site.example", "//site.example/"));  // scheme-relative
  graph.add(request("GET", "/d", "site.example", "junk referer"));     // unusable: a root
  graph.add(request("GET", "/a", "site.example", "http://site.example/"));
  EXPECT_EQ(
      describe(graph),
      (std::vector<std::string>{
          "10.0.0.1 node site.example/ req=1 roots=1 in=0 status=0 type=- url=http://site.example/",
          "10.0.0.1 node site.example/a req=2 roots=0 in=1 status=0 type=- "
          "url=http://site.example/a",
          "10.0.0.1 node site.example/b req=1 roots=0 in=1 status=0 type=- "
          "url=http://site.example/b",
          "10.0.0.1 node site.example/c req=1 roots=0 in=1 status=0 type=- "
          "url=http://site.example/c",
          "10.0.0.1 node site.example/d req=1 roots=1 in=0 status=0 type=- "
          "url=http://site.example/d",
          "10.0.0.1 edge site.example/ -> site.example/a x2",
          "10.0.0.1 edge site.example/ -> site.example/b x1",
          "10.0.0.1 edge site.example/ -> site.example/c x1",
      }));
}

TEST(BrowseGraph, APageSeenFirstAsHttpsRefererTakesTheRequestsScheme) {
  BrowseGraph graph;
  graph.add(request("GET", "/x", "a.example", "https://b.example/page"));
  graph.add(request("GET", "/page", "b.example"));
  const auto clusters = graph.clusters();
  ASSERT_EQ(clusters[0].nodes.size(), 2u);
  EXPECT_EQ(clusters[0].nodes[1].url, "http://b.example/page");
}

TEST(BrowseGraph, NodeLimitBoundsMemory) {
  GraphOptions options;
  options.max_nodes = 10;
  BrowseGraph graph(options);
  for (int i = 0; i < 100; ++i) graph.add(request("GET", fmt::format("/p{}", i), "h", "/"));
  EXPECT_EQ(graph.node_count(), 10u);
  EXPECT_EQ(graph.over_limit(), 91u);  // "/" and /p0../p8 fit
}

TEST(BrowseGraph, ClustersIpv4FirstThenIpv6) {
  BrowseGraph graph;
  graph.add(request("GET", "/", "h", "", "2001:db8::1"));
  graph.add(request("GET", "/", "h", "", "192.168.0.2"));
  graph.add(request("GET", "/", "h", "", "10.0.0.3"));
  std::vector<std::string> clients;
  for (const auto& c : graph.clusters()) clients.push_back(c.client.to_string());
  EXPECT_EQ(clients, (std::vector<std::string>{"10.0.0.3", "192.168.0.2", "2001:db8::1"}));
}

}  // namespace
}  // namespace flowkit::httpgraph::testing
