// The dot output: escaping (no header can break the syntax or trigger Graphviz escapes), label
// shortening, the exact text for a small graph, hub styling, and hostile graphs rendered by
// Graphviz itself when it is installed.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include "flowkit/httpgraph/browse_graph.h"
#include "flowkit/httpgraph/dot_string.h"
#include "flowkit/httpgraph/dot_writer.h"
#include "flowkit/httpgraph/graphviz.h"
#include "flowkit/httpgraph/label.h"
#include "test_support.h"

namespace flowkit::httpgraph::testing {
namespace {

TEST(DotString, EscapesWhatCouldEndTheStringOrBeInterpreted) {
  EXPECT_EQ(dot_quoted("plain /a.html", DotText::Label), "\"plain /a.html\"");
  EXPECT_EQ(dot_quoted("say \"hi\"", DotText::Label), R"("say \"hi\"")");
  EXPECT_EQ(dot_quoted(R"(\N \G \L \n \)", DotText::Label), R"("\\N \\G \\L \\n \\")");
  EXPECT_EQ(dot_quoted("line\nbreak\r\t\x01\x7f", DotText::Label),
            R"("line\\x0Abreak\\x0D\\x09\\x01\\x7F")");
  EXPECT_EQ(dot_quoted("a&amp;b", DotText::Label), "\"a&amp;amp;b\"");
  EXPECT_EQ(dot_quoted("a&b", DotText::Attribute), "\"a&b\"");
  // Real UTF-8 passes; stray bytes and overlong or surrogate forms are shown as escapes.
  EXPECT_EQ(dot_quoted("caf\xc3\xa9 \xe2\x80\xa6", DotText::Label), "\"caf\xc3\xa9 \xe2\x80\xa6\"");
  EXPECT_EQ(dot_quoted("\xff\xc3", DotText::Label), R"("\\xFF\\xC3")");
  EXPECT_EQ(dot_quoted("\xc0\xaf", DotText::Label), R"("\\xC0\\xAF")");
  EXPECT_EQ(dot_quoted("\xed\xa0\x80", DotText::Label), R"("\\xED\\xA0\\x80")");
}

TEST(Label, ShortenedReadably) {
  EXPECT_EQ(shorten_middle("www.example.com", 32), "www.example.com");
  EXPECT_EQ(shorten_middle("abcdefghijklmnopqrstuvwxyz", 11), "abcde\u2026vwxyz");
  EXPECT_EQ(shorten_path("/short.html", 40), "/short.html");
  EXPECT_EQ(shorten_path("/a/very/long/directory/structure/here/page.html", 30),
            "/a/very/long/direct\u2026/page.html");  // 30 characters
  EXPECT_EQ(shorten_path("/dir/" + std::string(50, 'x') + ".png", 20),
            "\u2026" + std::string(15, 'x') + ".png");
  EXPECT_EQ(shorten_path("/one/two/three/four/five/six/", 20), "/one/two/three\u2026/six/");
}

Transaction request(std::string target, std::string host, std::string referer = {}, int status = 0,
                    std::string type = {}) {
  Transaction t;
  t.flow.client = *IpAddress::parse("10.0.0.1");
  t.flow.server = *IpAddress::parse("192.0.2.1");
  t.flow.server_port = 80;
  t.request.method = "GET";
  t.request.target = std::move(target);
  t.request.version = "HTTP/1.1";
  t.request.has_host = true;
  t.request.host = std::move(host);
  t.request.has_referer = !referer.empty();
  t.request.referer = std::move(referer);
  if (status != 0) {
    t.response = HttpResponse{};
    t.response->status = status;
    t.response->content_type = std::move(type);
  }
  return t;
}

TEST(DotWriter, ExactTextForASmallGraph) {
  BrowseGraph graph;
  graph.add(request("/", "h.example", "", 200, "text/html"));
  graph.add(request("/a.png", "h.example", "http://h.example/", 404, "image/png"));
  graph.add(request("/a.png", "h.example", "http://h.example/", 404, "image/png"));
  graph.add(request("/next", "h.example", "https://elsewhere.example/x"));
  EXPECT_EQ(
      write_dot(graph, DotOptions{}),
      "// Browsing graph drawn by httpgraph (flowkit): an edge per Referer -> requested URL.\n"
      "digraph httpgraph {\n"
      "  graph [rankdir=LR, overlap=false, splines=true, fontname=\"Helvetica\"];\n"
      "  node [shape=ellipse, fontname=\"Helvetica\", fontsize=10];\n"
      "  edge [fontname=\"Helvetica\", fontsize=9, color=\"#555555\"];\n"
      "  subgraph cluster_1 {\n"
      "    label=\"10.0.0.1 (4 requests)\";\n"
      "    style=\"rounded\";\n"
      "    color=\"#999999\";\n"
      "    n1 [label=\"elsewhere.example\\n/x\", URL=\"https://elsewhere.example/x\", "
      "tooltip=\"https://elsewhere.example/x\", style=\"dashed\"];\n"
      "    n2 [label=\"h.example\\n/\", URL=\"http://h.example/\", tooltip=\"http://h.example/\", "
      "shape=box, peripheries=2];\n"
      "    n3 [label=\"h.example\\n/a.png\", URL=\"http://h.example/a.png\", "
      "tooltip=\"http://h.example/a.png\", color=\"red3\", fontcolor=\"red3\"];\n"
      "    n4 [label=\"h.example\\n/next\", URL=\"http://h.example/next\", "
      "tooltip=\"http://h.example/next\"];\n"
      "    n1 -> n4;\n"
      "    n2 -> n3 [label=\"2\", penwidth=2.0, weight=2];\n"
      "  }\n"
      "}\n");
}

TEST(DotWriter, HubsStandOutAndLayoutIsNamedWhenAsked) {
  BrowseGraph graph;
  for (int i = 0; i < 5; ++i) {
    graph.add(request(fmt::format("/p{}", i), "h"));
    graph.add(request("/common.js", "h", fmt::format("http://h/p{}", i)));
  }
  DotOptions options;
  options.layout = "sfdp";
  const std::string dot = write_dot(graph, options);
  EXPECT_NE(dot.find("layout=\"sfdp\""), std::string::npos);
  const auto hub = dot.find("URL=\"http://h/common.js\"");
  ASSERT_NE(hub, std::string::npos);
  const std::string line = dot.substr(hub, dot.find('\n', hub) - hub);
  EXPECT_NE(line.find("style=\"filled,bold\""), std::string::npos) << line;
  EXPECT_NE(line.find("fontsize=16"), std::string::npos) << line;
  EXPECT_EQ(std::count(dot.begin(), dot.end(), '\n'), 8 + 6 + 5 + 3);
  options.hub_threshold = 6;
  EXPECT_EQ(write_dot(graph, options).find("filled"), std::string::npos);
}

// Everything a header can carry that might break dot: quotes, backslash escapes, newlines,
// braces, HTML-like text, stray bytes, and sizes far past the bounds.
BrowseGraph hostile_graph() {
  BrowseGraph graph;
  const std::string huge(100000, 'Z');
  graph.add(request("/\"]; evil -> x; \"/\\N\\G\\L\n{}<b>&amp;", "Evil\"Host\\N\n", "", 200,
                    "text/html\"; x=\"\\"));
  graph.add(request("/" + huge, huge, "http://evil\"host\\n/\"}];digraph{", 500, huge));
  graph.add(request(std::string("/\x00\xff\xfe\r\n", 6), "h\tx", "http://h/\x01\x02\x03"));
  return graph;
}

TEST(DotWriter, HostileStringsStayInsideTheirQuotes) {
  const std::string dot = write_dot(hostile_graph(), DotOptions{});
  // Outside quoted strings only our own syntax may appear: check by stripping every string.
  std::string bare;
  bool quoted = false;
  for (std::size_t i = 0; i < dot.size(); ++i) {
    if (quoted && dot[i] == '\\') {
      ++i;
      continue;
    }
    if (dot[i] == '"') {
      quoted = !quoted;
      continue;
    }
    if (!quoted) bare += dot[i];
    if (quoted) {
      const auto byte = static_cast<unsigned char>(dot[i]);
      ASSERT_TRUE(byte >= 0x20 && byte != 0x7f) << "raw control byte inside a string at " << i;
    }
  }
  EXPECT_FALSE(quoted);
  EXPECT_EQ(bare.find("evil"), std::string::npos);
  EXPECT_EQ(bare.find("digraph{"), std::string::npos);
  EXPECT_EQ(std::count(bare.begin(), bare.end(), '{'), 2);  // the digraph and its one cluster
  EXPECT_LT(dot.size(), 60000u);                            // labels shortened, URLs bounded
}

TEST(DotWriter, HostileGraphRendersWithGraphviz) {
  if (!program_in_path("dot")) GTEST_SKIP() << "Graphviz (dot) not installed";
  const auto dir = test_dir();
  const auto dot_path = dir / "hostile.dot";
  const auto svg_path = dir / "hostile.svg";
  write_file(dot_path, write_dot(hostile_graph(), DotOptions{}));
  const auto result = run_command({"dot", "-Tsvg", dot_path.string(), "-o", svg_path.string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::string svg = read_file(svg_path);
  std::size_t nodes = 0;
  for (auto pos = svg.find("class=\"node\""); pos != std::string::npos;
       pos = svg.find("class=\"node\"", pos + 1)) {
    ++nodes;
  }
  EXPECT_EQ(nodes, hostile_graph().node_count());
  EXPECT_EQ(svg.find("<b>"), std::string::npos);  // text stays text in the SVG
}

TEST(Render, WritesTheRequestedFormatOrFailsCleanly) {
  if (!program_in_path("dot")) GTEST_SKIP() << "Graphviz (dot) not installed";
  BrowseGraph graph;
  graph.add(request("/", "h"));
  const std::string dot = write_dot(graph, DotOptions{});
  const auto dir = test_dir();
  for (const char* format : {"svg", "png", "pdf"}) {
    RenderOptions options;
    options.format = format;
    options.layout = "neato";
    options.output = (dir / fmt::format("g.{}", format)).string();
    render(dot, options);
    const std::string picture = read_file(options.output);
    ASSERT_FALSE(picture.empty()) << format;
  }
  EXPECT_EQ(read_file(dir / "g.png").substr(1, 3), "PNG");
  EXPECT_EQ(read_file(dir / "g.pdf").substr(0, 4), "%PDF");

  RenderOptions bad;
  bad.output = (dir / "broken.svg").string();
  EXPECT_THROW(render("digraph { this is not dot", bad), RenderError);
  EXPECT_FALSE(std::filesystem::exists(bad.output));  // no partial picture left behind
  bad.program = "no-such-graphviz-program";
  try {
    render(dot, bad);
    FAIL() << "expected a RenderError";
  } catch (const RenderError& e) {
    EXPECT_NE(std::string(e.what()).find("Graphviz is not installed"), std::string::npos);
  }
  bad.program = "dot";
  bad.output = (dir / "no/such/dir/g.svg").string();
  EXPECT_THROW(render(dot, bad), RenderError);
}

}  // namespace
}  // namespace flowkit::httpgraph::testing
