// HTTP/1.x message framing: headers of every message, bodies skipped without buffering.
#include <gtest/gtest.h>

#include <span>
#include <string>
#include <vector>

#include "flowkit/versiondetect/http_scanner.h"
#include "flowkit/versiondetect/line_reader.h"

namespace flowkit::versiondetect {
namespace {

// Drives one scanner as the detector does and records its events as text.
class Driver {
 public:
  Driver(HttpScanner::Side side, HttpRequestQueue& queue) : scanner_(side, queue) {}

  void feed(std::string_view data) {
    auto in = std::as_bytes(std::span<const char>(data.data(), data.size()));
    while (!in.empty() && !scanner_.stopped()) {
      if (scanner_.in_body()) {
        scanner_.skip_body(in);
        continue;
      }
      const auto line = reader_.next(in);
      if (!line) break;
      const auto event = scanner_.on_line(*line);
      if (!event) continue;
      switch (event->kind) {
        case HttpEvent::Kind::Request:
          events.push_back("request " + std::string(event->name));
          break;
        case HttpEvent::Kind::Response:
          events.push_back("response " + std::string(event->name));
          break;
        case HttpEvent::Kind::Header:
          events.push_back(std::string(event->name) + "=" + std::string(event->value));
          break;
        case HttpEvent::Kind::Continuation:
          events.push_back("+" + std::string(event->value));
          break;
      }
    }
  }

  HttpScanner& scanner() { return scanner_; }
  std::vector<std::string> events;

 private:
  HttpScanner scanner_;
  LineReader reader_;
};

using Events = std::vector<std::string>;

TEST(HttpScanner, FollowsKeepAliveRequestsWithBodies) {
  HttpRequestQueue queue;
  Driver d(HttpScanner::Side::Request, queue);
  d.feed(
      "GET / HTTP/1.1\r\nUser-Agent: a\r\n\r\n"
      "POST /f HTTP/1.1\r\nContent-Length: 37\r\nUser-Agent: b\r\n\r\n"
      "GET /fake HTTP/1.1\r\nUser-Agent: x\r\n\r\n"  // 37 bytes of body, not a request
      "GET /2 HTTP/1.1\r\nUser-Agent: c\r\n\r\n");
  EXPECT_EQ(d.events, (Events{"request GET", "User-Agent=a", "request POST", "Content-Length=37",
                              "User-Agent=b", "request GET", "User-Agent=c"}));
  EXPECT_EQ(d.scanner().messages(), 3u);
  EXPECT_FALSE(d.scanner().stopped());
}

TEST(HttpScanner, SkipsChunkedBodiesAndTrailers) {
  HttpRequestQueue queue;
  Driver d(HttpScanner::Side::Response, queue);
  d.feed(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nServer: one\r\n\r\n"
      "5\r\nHTTP/\r\n19;ext=1\r\nServer: not-a-header-here\r\n0\r\nX-Trailer: t\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nServer: two\r\n\r\nok");
  EXPECT_EQ(d.events, (Events{"response 200", "Transfer-Encoding=chunked", "Server=one",
                              "response 200", "Content-Length=2", "Server=two"}));
  EXPECT_FALSE(d.scanner().stopped());
}

TEST(HttpScanner, ResponsesToHeadHaveNoBody) {
  HttpRequestQueue queue;
  Driver client(HttpScanner::Side::Request, queue);
  Driver server(HttpScanner::Side::Response, queue);
  client.feed("HEAD / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n");
  server.feed(
      "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nServer: a\r\n\r\n"
      "HTTP/1.1 100 Continue\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nServer: b\r\n\r\nabc"
      "HTTP/1.1 304 Not Modified\r\nServer: c\r\n\r\n");
  EXPECT_EQ(server.events,
            (Events{"response 200", "Content-Length=1000", "Server=a", "response 100",
                    "response 200", "Content-Length=3", "Server=b", "response 304", "Server=c"}));
}

TEST(HttpScanner, StopsWhereFramingEnds) {
  HttpRequestQueue queue;
  {
    Driver d(HttpScanner::Side::Response, queue);  // body until the connection closes
    d.feed("HTTP/1.0 200 OK\r\nServer: a\r\n\r\nHTTP/1.0 200 OK\r\nServer: b\r\n\r\n");
    EXPECT_TRUE(d.scanner().stopped());
    EXPECT_EQ(d.events, (Events{"response 200", "Server=a"}));
  }
  {
    Driver d(HttpScanner::Side::Response, queue);
    d.feed("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello");
    EXPECT_TRUE(d.scanner().stopped());
  }
  {
    Driver d(HttpScanner::Side::Request, queue);
    d.feed("CONNECT example.com:443 HTTP/1.1\r\n\r\n\x16\x03\x01");
    EXPECT_TRUE(d.scanner().stopped());
  }
  {
    Driver d(HttpScanner::Side::Request, queue);
    d.feed("GET / HTTP/1.1\r\n\r\nnot http at all\r\n");
    EXPECT_TRUE(d.scanner().stopped());
  }
  {
    Driver d(HttpScanner::Side::Request, queue);
    d.feed("POST / HTTP/1.1\r\nContent-Length: nope\r\n\r\n");
    EXPECT_TRUE(d.scanner().stopped());
  }
  {
    Driver d(HttpScanner::Side::Response, queue);
    d.feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
    EXPECT_TRUE(d.scanner().stopped());
  }
}

TEST(HttpScanner, GapInsideABodyKeepsStep) {
  HttpRequestQueue queue;
  Driver d(HttpScanner::Side::Response, queue);
  d.feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123");
  d.scanner().on_gap(4);
  d.feed("89HTTP/1.1 204 No Content\r\nServer: after-gap\r\n\r\n");
  EXPECT_EQ(d.events.back(), "Server=after-gap");
  d.scanner().on_gap(1);  // outside a body: lost
  EXPECT_TRUE(d.scanner().stopped());
}

TEST(HttpScanner, TooManyHeadersStops) {
  HttpRequestQueue queue;
  Driver d(HttpScanner::Side::Request, queue);
  std::string request = "GET / HTTP/1.1\r\n";
  for (std::size_t i = 0; i <= HttpScanner::kMaxHeaderLines; ++i) request += "X-A: b\r\n";
  d.feed(request);
  EXPECT_TRUE(d.scanner().stopped());
}

}  // namespace
}  // namespace flowkit::versiondetect
