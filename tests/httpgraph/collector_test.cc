// HttpCollector behind a real Reassembler: conversations crafted packet by packet, checking
// which transactions come out, with which status, and what is left alone.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "flowkit/httpgraph/ascii.h"
#include "flowkit/reassembler.h"
#include "test_support.h"

namespace flowkit::httpgraph::testing {
namespace {

// "METHOD target -> status content-type" per transaction, in the order reported.
std::vector<std::string> summary(const std::vector<Transaction>& ts) {
  std::vector<std::string> out;
  for (const auto& t : ts) {
    out.push_back(t.response ? fmt::format("{} {} -> {} {}", t.request.method, t.request.target,
                                           t.response->status, t.response->content_type)
                             : fmt::format("{} {} -> none", t.request.method, t.request.target));
  }
  return out;
}

TEST(Collector, KeepAliveRequestsPairedWithTheirResponses) {
  TcpSession s;
  auto f = s.handshake();
  f.push_back(s.client_send(get("/", "h")));
  f.push_back(s.server_send(ok("<html/>")));
  f.push_back(s.advance(std::chrono::seconds(2)).client_send(get("/a.css", "h", "http://h/")));
  f.push_back(s.server_send(ok("x{}", "text/css")));
  f.push_back(s.client_fin());
  f.push_back(s.server_fin());
  f.push_back(s.client_ack());
  const auto c = collect(f);
  EXPECT_EQ(summary(c.transactions),
            (std::vector<std::string>{"GET / -> 200 text/html", "GET /a.css -> 200 text/css"}));
  const auto& t = c.transactions[1];
  EXPECT_EQ(t.flow.to_string(), "10.0.0.1:40000 -> 10.0.0.2:80");
  EXPECT_EQ(t.connection_id, 1u);
  EXPECT_EQ(t.request.referer, "http://h/");
  EXPECT_EQ(t.request.user_agent, "test/1.0");
  // The time is the packet that completed the request head.
  EXPECT_EQ(t.request.time, std::chrono::seconds(1700000000) + std::chrono::seconds(2) +
                                std::chrono::milliseconds(5));
  EXPECT_EQ(c.stats.http_connections, 1u);
  EXPECT_EQ(c.stats.answered, 2u);
}

TEST(Collector, PipelinedRequestsGetTheirResponsesInOrder) {
  TcpSession s;
  auto f = s.handshake();
  // Three requests in one segment, the middle one HEAD; a POST with a chunked body after.
  f.push_back(
      s.client_send(get("/1", "h") + "HEAD /2 HTTP/1.1\r\nHost: h\r\n\r\n" + get("/3", "h")));
  f.push_back(s.client_send(
      "POST /4 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"));
  // Responses split at odd places: the HEAD response announces a body it does not carry.
  const std::string responses =
      ok("one", "text/plain") +
      "HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\nContent-Length: 99999\r\n\r\n" +
      "HTTP/1.1 200 OK\r\nContent-Type: text/css\r\nTransfer-Encoding: chunked\r\n\r\n"
      "2\r\n{}\r\n0\r\n\r\n" +
      ok("", "application/json", 201, "Created");
  for (std::size_t pos = 0; pos < responses.size(); pos += 17) {
    f.push_back(s.server_send(responses.substr(pos, 17)));
  }
  const auto c = collect(f);
  EXPECT_EQ(summary(c.transactions), (std::vector<std::string>{
                                         "GET /1 -> 200 text/plain",
                                         "HEAD /2 -> 200 video/mp4",
                                         "GET /3 -> 200 text/css",
                                         "POST /4 -> 201 application/json",
                                     }));
}

TEST(Collector, RequestArrivingOneByteAtATime) {
  TcpSession s;
  auto f = s.handshake();
  for (char ch : get("/slow", "h")) f.push_back(s.client_send(std::string(1, ch)));
  f.push_back(s.server_send(ok("done")));
  EXPECT_EQ(summary(collect(f).transactions),
            std::vector<std::string>{"GET /slow -> 200 text/html"});
}

TEST(Collector, HttpIsRecognisedOnAnyPortOtherProtocolsAreLeftAlone) {
  TcpSession::Options web;
  web.server_port = 5000;
  TcpSession http(web);
  auto f = http.handshake();
  f.push_back(http.client_send(get("/on-5000", "h")));
  f.push_back(http.server_send(ok("x")));

  TcpSession::Options other;
  other.client_port = 40001;  // SSH on port 80, server speaks first
  TcpSession ssh(other);
  auto g = ssh.handshake();
  g.push_back(ssh.server_send("SSH-2.0-OpenSSH_9.2\r\n"));
  g.push_back(ssh.client_send("SSH-2.0-OpenSSH_9.6\r\n"));
  g.push_back(ssh.client_send("GET /not-http HTTP/1.1\r\n\r\n"));  // later text is not looked at

  const auto c = collect(merge({f, g}));
  EXPECT_EQ(summary(c.transactions), std::vector<std::string>{"GET /on-5000 -> 200 text/html"});
  EXPECT_EQ(c.stats.http_connections, 1u);
  EXPECT_EQ(c.stats.other_connections, 1u);
}

TEST(Collector, ConnectTunnelAndUpgradeCarryNoMoreRequests) {
  TcpSession tunnel;
  auto f = tunnel.handshake();
  f.push_back(tunnel.client_send(
      "CONNECT secure.example:443 HTTP/1.1\r\nHost: secure.example:443\r\n\r\n"));
  f.push_back(tunnel.server_send("HTTP/1.1 200 Connection established\r\n\r\n"));
  f.push_back(tunnel.client_send("\x16\x03\x01 GET /inside HTTP/1.1\r\nHost: x\r\n\r\n"));
  f.push_back(tunnel.server_send("\x16\x03\x03 HTTP/1.1 200 OK\r\n\r\n"));

  TcpSession::Options o;
  o.client_port = 40001;
  TcpSession ws(o);
  auto g = ws.handshake();
  g.push_back(ws.client_send(
      "GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"));
  g.push_back(ws.server_send("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"));
  g.push_back(ws.client_send("\x81\x85GET / HTTP/1.1\r\n\r\n"));

  const auto c = collect(merge({f, g}));
  EXPECT_EQ(summary(c.transactions), (std::vector<std::string>{
                                         "CONNECT secure.example:443 -> 200 ",
                                         "GET /chat -> 101 ",
                                     }));
  EXPECT_EQ(c.stats.switched, 2u);
}

TEST(Collector, UnansweredRequestsAreReportedWhenTheConnectionEnds) {
  TcpSession s;
  auto f = s.handshake();
  f.push_back(s.client_send(get("/a", "h")));
  f.push_back(s.server_send(ok("a")));
  f.push_back(s.client_send(get("/b", "h")));
  f.push_back(s.server_rst());
  EXPECT_EQ(summary(collect(f).transactions),
            (std::vector<std::string>{"GET /a -> 200 text/html", "GET /b -> none"}));
}

TEST(Collector, LostRequestDoesNotStealTheNextResponse) {
  TcpSession s;
  auto f = s.handshake();
  const std::string a = get("/a", "h");
  const std::string b = get("/b", "h");
  const std::string c = get("/c", "h");
  f.push_back(s.client_send(a));
  f.push_back(s.server_send(ok("a")));
  // The segment carrying /b is never captured; the server's ACK says it was sent.
  f.push_back(s.client_at(static_cast<std::uint32_t>(a.size() + b.size()), c));
  f.push_back(s.server_ack_to(static_cast<std::uint32_t>(a.size() + b.size() + c.size())));
  f.push_back(s.server_send(ok("b", "text/plain", 404, "Not Found")));
  f.push_back(s.server_send(ok("c", "image/gif")));
  const auto got = collect(f);
  EXPECT_EQ(summary(got.transactions),
            (std::vector<std::string>{"GET /a -> 200 text/html", "GET /c -> 200 image/gif"}));
  EXPECT_EQ(got.stats.unmatched_responses, 1u);  // /b's answer, its request unseen
}

TEST(Collector, LostResponseLeavesRequestsWithoutStatusRatherThanAWrongOne) {
  TcpSession s;
  auto f = s.handshake();
  const std::string first = ok("first response body");
  f.push_back(s.client_send(get("/1", "h")));
  f.push_back(s.server_at(0, first.substr(0, 10)));
  (void)s.server_send(first);                  // the rest of it is never captured...
  f.push_back(s.client_send(get("/2", "h")));  // ...but the client's ACK says it arrived
  f.push_back(s.server_send(ok("second", "text/css")));
  // Pipelined requests sent before the lost bytes arrived may have been answered by them.
  f.push_back(s.client_at(static_cast<std::uint32_t>(2 * get("/1", "h").size()),
                          get("/3", "h") + get("/4", "h")));
  const std::string third = ok("third");
  f.push_back(
      s.server_at(static_cast<std::uint32_t>(first.size() + ok("second", "text/css").size()),
                  third.substr(0, 5)));
  f.push_back(s.server_at(
      static_cast<std::uint32_t>(first.size() + ok("second", "text/css").size() + third.size()),
      ok("fourth", "image/png")));
  f.push_back(
      s.client_ack_to(static_cast<std::uint32_t>(first.size() + ok("second", "text/css").size() +
                                                 third.size() + ok("fourth", "image/png").size())));
  const auto got = collect(f);
  EXPECT_EQ(summary(got.transactions),
            (std::vector<std::string>{"GET /1 -> none", "GET /2 -> 200 text/css", "GET /3 -> none",
                                      "GET /4 -> none"}));
}

TEST(Collector, MidStreamConnectionsNeedTheMidstreamOption) {
  TcpSession s;
  std::vector<Frame> f;  // no handshake
  f.push_back(s.client_send("ody of an earlier request\r\n" + get("/picked-up", "h")));
  f.push_back(s.server_send(ok("x")));
  EXPECT_TRUE(collect(f).transactions.empty());
  Config config;
  config.tcp.midstream = true;
  EXPECT_EQ(summary(collect(f, config).transactions),
            std::vector<std::string>{"GET /picked-up -> 200 text/html"});
}

TEST(Collector, ARequestFloodWithoutResponsesStaysBounded) {
  TcpSession s;
  auto f = s.handshake();
  std::string burst;
  for (int i = 0; i < 300; ++i) burst += get(fmt::format("/{}", i), "h");
  f.push_back(s.client_send(burst));
  CollectorOptions options;
  options.max_pending = 16;
  std::size_t reported_before_end = 0;
  HttpCollector collector(options, [&](const Transaction&) { ++reported_before_end; });
  Reassembler r(Config{}, collector);
  for (const auto& frame : f) r.process(frame.view());
  EXPECT_EQ(reported_before_end, 300u - 16u);  // the oldest went out without a response
  r.finish();
  EXPECT_EQ(reported_before_end, 300u);
}

TEST(Collector, ExtraHeadersAreKeptWhenAskedFor) {
  TcpSession s;
  auto f = s.handshake();
  f.push_back(
      s.client_send("GET / HTTP/1.1\r\nHost: h\r\nCookie: session=42\r\nAccept: */*\r\n\r\n"));
  CollectorOptions options;
  options.capture_headers = {"Cookie", "x-forwarded-for"};
  const auto c = collect(f, Config{}, options);
  ASSERT_EQ(c.transactions.size(), 1u);
  EXPECT_EQ(c.transactions[0].request.extra,
            (std::vector<std::pair<std::string, std::string>>{{"cookie", "session=42"}}));
}

TEST(Collector, HostileHeadersNeverBreakAnything) {
  TcpSession s;
  auto f = s.handshake();
  std::string hostile = "GET /\"quoted\"\\N\\G HTTP/1.1\r\nHost: evil\"host\\L\r\n";
  hostile += "Referer: http://x/\"]; n9 [label=\"pwned\r\n";
  hostile += "User-Agent: " + std::string(60000, 'A') + "\r\n";
  hostile += std::string("X-Bin: \0\x01\xff\xfe", 12) + "\r\n\r\n";
  for (std::size_t pos = 0; pos < hostile.size(); pos += 1400) {
    f.push_back(s.client_send(hostile.substr(pos, 1400)));
  }
  f.push_back(s.server_send("HTTP/1.1 200 \"ok\"\r\nContent-Type: text/html\"\r\n\r\n"));
  const auto c = collect(f);
  ASSERT_EQ(c.transactions.size(), 1u);
  const auto& r = c.transactions[0].request;
  EXPECT_EQ(r.target, "/\"quoted\"\\N\\G");
  EXPECT_EQ(r.host, "evil\"host\\L");
  EXPECT_EQ(r.user_agent.size(), kMaxFieldLength);
  ASSERT_TRUE(c.transactions[0].response);
  EXPECT_EQ(c.transactions[0].response->reason, "\"ok\"");
}

// Random segments in both directions, HTTP-like words mixed with binary, some segments never
// captured: whatever comes out is bounded and nothing crashes (run under the sanitizers too).
TEST(Collector, RandomTrafficNeverBreaksIt) {
  std::uint64_t seed = 0x2545F4914F6CDD1DULL;
  auto next = [&] {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
  };
  const std::vector<std::string> words = {"GET ",
                                          "POST ",
                                          "HEAD ",
                                          " HTTP/1.1\r\n",
                                          "HTTP/1.1 200 OK\r\n",
                                          "\r\n",
                                          "Host: h\r\n",
                                          "Content-Length: 5\r\n",
                                          "Transfer-Encoding: chunked\r\n",
                                          "0\r\n",
                                          "a\r\n",
                                          "/x ",
                                          "Referer: /\r\n"};
  std::size_t found = 0;
  for (int round = 0; round < 20; ++round) {
    TcpSession::Options o;
    o.client_port = static_cast<std::uint16_t>(40000 + round);
    TcpSession s(o);
    const bool midstream = round % 2 == 1;
    auto f = midstream ? std::vector<Frame>{} : s.handshake();
    f.push_back(s.client_send(get("/first", "h")));
    for (int i = 0; i < 200; ++i) {
      std::string data;
      if (next() % 4 == 0) data = get(fmt::format("/r{}", i), "h", "/first");
      const int pieces = 1 + static_cast<int>(next() % 8);
      for (int k = 0; k < pieces; ++k) {
        if (next() % 3 == 0) {
          data += std::string(1 + next() % 20, static_cast<char>(next()));
        } else {
          data += words[next() % words.size()];
        }
      }
      const bool to_server = next() % 2 == 0;
      Frame frame = to_server ? s.client_send(data) : s.server_send(data);
      if (next() % 10 != 0) f.push_back(std::move(frame));  // one in ten is never captured
    }
    Config config;
    config.tcp.midstream = midstream;
    const auto c = collect(f, config);
    found += c.transactions.size();
    for (const auto& t : c.transactions) {
      EXPECT_LE(t.request.target.size(), kMaxFieldLength);
      EXPECT_LE(t.request.host.size(), kMaxFieldLength);
      EXPECT_FALSE(t.request.method.empty());
    }
  }
  EXPECT_GT(found, 0u);  // the words do make requests now and then
  RecordProperty("transactions", static_cast<int>(found));
}

}  // namespace
}  // namespace flowkit::httpgraph::testing
