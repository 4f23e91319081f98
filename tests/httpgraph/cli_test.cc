// The httpgraph program itself on the project's sample capture (two browsing connections with
// Referer chains, one over IPv6 on port 8080, plus a POST whose segments arrive out of order
// and a request answered by a reset): exact outputs, rendering, and error handling.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "flowkit/httpgraph/graphviz.h"
#include "test_support.h"

namespace flowkit::httpgraph::testing {
namespace {

const std::string kBinary = HTTPGRAPH_BINARY;
const std::string kSample = std::string(FLOWKIT_SOURCE_DIR) + "/examples/sample.pcap";

CommandResult httpgraph(std::vector<std::string> args, const std::vector<std::string>& env = {}) {
  args.insert(args.begin(), kBinary);
  return run_command(args, env);
}

std::size_t lines(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

TEST(Cli, SampleCaptureGivesExactlyTheExpectedGraph) {
  const auto r = httpgraph({"-r", kSample, "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(
      r.out,
      R"dot(// Browsing graph drawn by httpgraph (flowkit): an edge per Referer -> requested URL.
digraph httpgraph {
  graph [rankdir=LR, overlap=false, splines=true, fontname="Helvetica"];
  node [shape=ellipse, fontname="Helvetica", fontsize=10];
  edge [fontname="Helvetica", fontsize=9, color="#555555"];
  subgraph cluster_1 {
    label="192.168.1.101 (3 requests)";
    style="rounded";
    color="#999999";
    n1 [label="www.example.com\n/", URL="http://www.example.com/", tooltip="http://www.example.com/", shape=box, peripheries=2];
    n2 [label="www.example.com\n/news.html", URL="http://www.example.com/news.html", tooltip="http://www.example.com/news.html", shape=box];
    n3 [label="www.example.com\n/style.css", URL="http://www.example.com/style.css", tooltip="http://www.example.com/style.css"];
    n1 -> n2;
    n1 -> n3;
  }
  subgraph cluster_2 {
    label="192.168.1.102 (1 request)";
    style="rounded";
    color="#999999";
    n4 [label="intranet\n/login", URL="http://intranet/login", tooltip="http://intranet/login", peripheries=2];
  }
  subgraph cluster_3 {
    label="192.168.1.103 (1 request)";
    style="rounded";
    color="#999999";
    n5 [label="intranet\n/admin", URL="http://intranet/admin", tooltip="http://intranet/admin", peripheries=2];
  }
  subgraph cluster_4 {
    label="2001:db8::101 (3 requests)";
    style="rounded";
    color="#999999";
    n6 [label="ipv6.example.net\n/", URL="http://ipv6.example.net/", tooltip="http://ipv6.example.net/", shape=box, peripheries=2];
    n7 [label="ipv6.example.net\n/news.html", URL="http://ipv6.example.net/news.html", tooltip="http://ipv6.example.net/news.html", shape=box];
    n8 [label="ipv6.example.net\n/style.css", URL="http://ipv6.example.net/style.css", tooltip="http://ipv6.example.net/style.css"];
    n6 -> n7;
    n6 -> n8;
  }
}
)dot");
}

TEST(Cli, StatisticsGoToStandardErrorUnlessQuiet) {
  const auto r = httpgraph({"-r", kSample, "-o", (test_dir() / "g.dot").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("63 packets"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("8 HTTP requests (7 with a response) in 4 connections"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("graph: 4 clients, 8 nodes, 4 edges"), std::string::npos) << r.err;
  EXPECT_EQ(read_file(test_dir() / "g.dot"), httpgraph({"-r", kSample, "-q"}).out);
}

TEST(Cli, HostsClientAndFilterOptions) {
  auto r = httpgraph({"-r", kSample, "-q", "--hosts", "--client", "2001:db8::101"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(
      r.out.find(
          R"(n1 [label="ipv6.example.net\n3 requests", URL="http://ipv6.example.net/", tooltip="http://ipv6.example.net/", shape=box, peripheries=2];)"),
      std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find(R"(n1 -> n1 [label="2", penwidth=2.0, weight=2];)"), std::string::npos);
  EXPECT_EQ(r.out.find("cluster_2"), std::string::npos);
  // A BPF filter (after --, since -r takes several files) selects the IPv6 connection too.
  r = httpgraph({"-r", kSample, "-q", "--log", "--", "tcp port 8080"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(lines(r.out), 1u + 3u);
  EXPECT_EQ(r.out.find("192.168.1."), std::string::npos);
}

TEST(Cli, LogIsHttpryStyle) {
  const auto r = httpgraph({"-r", kSample, "-q", "--log"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(
      r.out,
      "# Fields: timestamp,source-ip,dest-ip,method,host,request-uri,http-version,"
      "status-code,reason-phrase\n"
      "2023-11-14 "
      "22:13:20.003000\t192.168.1.101\t198.51.100.80\tGET\twww.example.com\t/\tHTTP/1.1\t200\tOK\n"
      "2023-11-14 "
      "22:13:20.005000\t192.168.1.101\t198.51.100.80\tGET\twww.example.com\t/style.css\tHTTP/"
      "1.1\t200\tOK\n"
      "2023-11-14 "
      "22:13:20.007000\t192.168.1.101\t198.51.100.80\tGET\twww.example.com\t/news.html\tHTTP/"
      "1.1\t200\tOK\n"
      "2023-11-14 "
      "22:13:21.003000\t2001:db8::101\t2001:db8::80\tGET\tipv6.example.net\t/\tHTTP/1.1\t200\tOK\n"
      "2023-11-14 "
      "22:13:21.005000\t2001:db8::101\t2001:db8::80\tGET\tipv6.example.net\t/style.css\tHTTP/"
      "1.1\t200\tOK\n"
      "2023-11-14 "
      "22:13:21.007000\t2001:db8::101\t2001:db8::80\tGET\tipv6.example.net\t/news.html\tHTTP/"
      "1.1\t200\tOK\n"
      "2023-11-14 "
      "22:13:24.004000\t192.168.1.102\t192.168.1.10\tPOST\tintranet\t/login\tHTTP/1.1\t302\tFound\n"
      "2023-11-14 "
      "22:13:25.003000\t192.168.1.103\t192.168.1.10\tGET\tintranet\t/admin\tHTTP/1.1\t-\t-\n");
}

TEST(Cli, FieldsChooseAndOrderColumns) {
  const auto r =
      httpgraph({"-r", kSample, "-q", "-F", "dest-port,referer,content-type,user-agent"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream in(r.out);
  std::string header, first, second;
  std::getline(in, header);
  std::getline(in, first);
  std::getline(in, second);
  EXPECT_EQ(header, "# Fields: dest-port,referer,content-type,user-agent");
  EXPECT_EQ(
      first,
      "80\t-\ttext/html\tMozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0");
  EXPECT_EQ(second,
            "80\thttp://www.example.com/\ttext/css\tMozilla/5.0 (X11; Linux x86_64; rv:121.0) "
            "Gecko/20100101 Firefox/121.0");
}

TEST(Cli, JsonLinesCarryEveryFieldByDefault) {
  const auto r = httpgraph({"-r", kSample, "-q", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream in(r.out);
  std::vector<nlohmann::json> records;
  for (std::string line; std::getline(in, line);) records.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(records.size(), 8u);
  const auto& login = records[6];
  EXPECT_EQ(login["method"], "POST");
  EXPECT_EQ(login["url"], "http://intranet/login");
  EXPECT_EQ(login["status-code"], 302);
  EXPECT_EQ(login["source-port"], 51008);
  EXPECT_TRUE(records[7]["status-code"].is_null());
  EXPECT_EQ(records[3]["dest-port"], 8080);
  EXPECT_EQ(records[4]["referer"], "http://ipv6.example.net/");
}

TEST(Cli, RendersWithGraphviz) {
  if (!program_in_path("dot")) GTEST_SKIP() << "Graphviz (dot) not installed";
  const auto svg = test_dir() / "sample.svg";
  const auto r =
      httpgraph({"-r", kSample, "-q", "--render", "svg", "--layout", "neato", "-o", svg.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string picture = read_file(svg);
  EXPECT_EQ(picture.rfind("<?xml", 0), 0u);
  EXPECT_NE(picture.find("xlink:href=\"http://ipv6.example.net/news.html\""), std::string::npos);
}

TEST(Cli, MissingGraphvizIsAClearError) {
  const auto out = test_dir() / "never.svg";
  const auto r = httpgraph({"-r", kSample, "--render", "svg", "-o", out.string()},
                           {"PATH=/nonexistent-httpgraph-test"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("Graphviz is not installed"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(out));
}

TEST(Cli, ErrorsAreOneLineWithExitStatusTwo) {
  const std::vector<std::vector<std::string>> bad = {
      {},
      {"-r", "/nonexistent/capture.pcap"},
      {"-r", kSample, "--render", "svg"},
      {"-r", kSample, "--render", "gif", "-o", "x.gif"},
      {"-r", kSample, "--layout", "circo"},
      {"-r", kSample, "--log", "--render", "svg", "-o", "x.svg"},
      {"-r", kSample, "--client", "not-an-ip"},
      {"-r", kSample, "-F", "host,,method"},
      {"-r", kSample, "--no-such-option"},
      {"-r", kSample, "-o", "/nonexistent/dir/out.dot"},
      {"-r", kSample, "--", "tcp port"},
  };
  for (const auto& args : bad) {
    const auto r = httpgraph(args);
    const std::string what = fmt::format("{}", fmt::join(args, " "));
    EXPECT_EQ(r.exit_code, 2) << what;
    EXPECT_EQ(lines(r.err), 1u) << what << ": " << r.err;
    EXPECT_EQ(r.err.rfind("httpgraph: ", 0), 0u) << what << ": " << r.err;
    EXPECT_EQ(r.out, "") << what;
  }
}

TEST(Cli, OutputRefusesASymlinkButOverwritesAFile) {
  const auto dir = test_dir() / "symlinks";
  std::filesystem::create_directories(dir);
  write_file(dir / "target", "precious");
  for (const char* name : {"graph.dot", "picture.svg"}) {
    std::filesystem::remove(dir / name);
    std::filesystem::create_symlink(dir / "target", dir / name);
  }
  const auto dot = httpgraph({"-r", kSample, "-o", (dir / "graph.dot").string()});
  EXPECT_EQ(dot.exit_code, 2);
  EXPECT_EQ(dot.err,
            "httpgraph: refusing to write through symlink " + (dir / "graph.dot").string() + "\n");
  if (program_in_path("dot")) {
    const auto svg =
        httpgraph({"-r", kSample, "--render", "svg", "-o", (dir / "picture.svg").string()});
    EXPECT_EQ(svg.exit_code, 2);
    EXPECT_EQ(svg.err, "httpgraph: refusing to write through symlink " +
                           (dir / "picture.svg").string() + "\n");
  }
  EXPECT_EQ(read_file(dir / "target"), "precious");
  EXPECT_TRUE(std::filesystem::is_symlink(dir / "graph.dot"));

  write_file(dir / "plain.dot", std::string(100000, 'x'));
  const auto ok = httpgraph({"-r", kSample, "-q", "-o", (dir / "plain.dot").string()});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(read_file(dir / "plain.dot"), httpgraph({"-r", kSample, "-q"}).out);
}

// With -o FILE the terminal shows no results, so the progress line is drawn there.
TEST(Cli, ProgressOnTheTerminalWhenTheGraphGoesToAFile) {
  if (!program_in_path("script")) GTEST_SKIP() << "script(1) is needed for a pseudo-terminal";
  const auto out = test_dir() / "progress.dot";
  const auto r =
      run_command({"script", "-qfec", kBinary + " -r '" + kSample + "' -o '" + out.string() + "'",
                   "/dev/null"});
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("\rfile 1/1  100.0%  63 packets"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("graph: 4 clients, 8 nodes, 4 edges"), std::string::npos) << r.out;
  EXPECT_EQ(read_file(out).find("file 1/1"), std::string::npos);
}

TEST(Cli, HelpAndVersion) {
  auto r = httpgraph({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* expected : {"--read", "--interface", "--midstream", "--keep-query", "--hosts",
                               "--client", "--render", "--layout", "--log", "--json", "--fields",
                               "reason-phrase", "Exit status", "2  error: bad option"}) {
    EXPECT_NE(r.out.find(expected), std::string::npos) << expected;
  }
  r = httpgraph({"--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.rfind("httpgraph (flowkit) ", 0), 0u) << r.out;
}

}  // namespace
}  // namespace flowkit::httpgraph::testing
