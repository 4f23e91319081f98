// The HTTP/1.x parsing layers on their own: heads, start lines, body framing, and the request
// and response streams fed the way the reassembler feeds them (unconsumed bytes offered again).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <deque>
#include <string>
#include <vector>

#include "flowkit/httpgraph/ascii.h"
#include "flowkit/httpgraph/body_reader.h"
#include "flowkit/httpgraph/http_head.h"
#include "flowkit/httpgraph/request_stream.h"
#include "flowkit/httpgraph/response_stream.h"
#include "flowkit/httpgraph/start_line.h"

namespace flowkit::httpgraph {
namespace {

// ---- heads and start lines ----

TEST(HeadEnd, FindsTheEmptyLineWithCrlfOrBareLf) {
  EXPECT_EQ(find_head_end("GET / HTTP/1.1\r\nHost: a\r\n\r\nbody").end, 27u);
  EXPECT_EQ(find_head_end("GET / HTTP/1.1\nHost: a\n\nbody").end, 24u);
  EXPECT_EQ(find_head_end("GET / HTTP/1.0\r\n\r\n").end, 18u);
  EXPECT_FALSE(find_head_end("GET / HTTP/1.1\r\nHost: a\r\n").end);
  EXPECT_FALSE(find_head_end("GET / HTTP/1.1\r\nHost: a\r\n\r").end);
}

TEST(HeadEnd, ResumesWhereTheLastSearchStopped) {
  const std::string head = "GET / HTTP/1.1\r\nHost: a\r\nX: y\r\n\r\n";
  std::size_t resume = 0;
  for (std::size_t n = 1; n < head.size(); ++n) {
    const auto r = find_head_end(std::string_view(head).substr(0, n), resume);
    ASSERT_FALSE(r.end) << n;
    ASSERT_LE(r.resume, n);
    resume = r.resume;
  }
  EXPECT_EQ(find_head_end(head, resume).end, head.size());
}

TEST(Head, SplitsFieldsAndIgnoresJunkLines) {
  const auto head = parse_head(
      "GET / HTTP/1.1\r\nHost:  Example.COM \r\nbad line\r\n folded\r\nX Y: z\r\n"
      "Referer:\thttp://a/\r\nhost: second\r\n\r\n");
  EXPECT_EQ(head.start_line, "GET / HTTP/1.1");
  ASSERT_EQ(head.fields.size(), 3u);
  EXPECT_EQ(head.find("HOST"), "Example.COM");
  EXPECT_EQ(head.find("referer"), "http://a/");
  EXPECT_EQ(head.find_all("host"), (std::vector<std::string_view>{"Example.COM", "second"}));
  EXPECT_FALSE(head.find("cookie"));
}

TEST(RequestLine, AcceptsHttp1RequestsOnly) {
  auto line = parse_request_line("GET /a/b?c=d HTTP/1.1\r");
  ASSERT_TRUE(line);
  EXPECT_EQ(line->method, "GET");
  EXPECT_EQ(line->target, "/a/b?c=d");
  EXPECT_EQ(line->version, "HTTP/1.1");
  EXPECT_TRUE(parse_request_line("M-SEARCH * HTTP/1.1"));
  EXPECT_TRUE(parse_request_line("CONNECT example.com:443 HTTP/1.0"));
  // Unencoded spaces in the target, as some clients send them.
  line = parse_request_line("GET /a b.html HTTP/1.1");
  ASSERT_TRUE(line);
  EXPECT_EQ(line->target, "/a b.html");

  EXPECT_FALSE(parse_request_line("get / HTTP/1.1"));
  EXPECT_FALSE(parse_request_line("GET / HTTP/2.0"));
  EXPECT_FALSE(parse_request_line("PRI * HTTP/2.0"));
  EXPECT_FALSE(parse_request_line("GET /"));
  EXPECT_FALSE(parse_request_line("GET  HTTP/1.1"));
  EXPECT_FALSE(parse_request_line("EHLO mail.example.org"));
  EXPECT_FALSE(parse_request_line("SSH-2.0-OpenSSH_9.2"));
  EXPECT_FALSE(parse_request_line(std::string(40, 'A') + " / HTTP/1.1"));
}

TEST(RequestLine, PrefixesThatCannotBecomeRequestsAreRejectedEarly) {
  EXPECT_TRUE(could_be_request_line("GE"));
  EXPECT_TRUE(could_be_request_line("GET /very/long"));
  EXPECT_FALSE(could_be_request_line("\x16\x03\x01"));
  EXPECT_FALSE(could_be_request_line("SSH-2.0"));
  EXPECT_FALSE(could_be_request_line(" GET"));
  EXPECT_FALSE(could_be_request_line(std::string(33, 'A')));
}

TEST(StatusLine, ParsesCodeAndReason) {
  auto line = parse_status_line("HTTP/1.1 404 Not Found\r");
  ASSERT_TRUE(line);
  EXPECT_EQ(line->code, 404);
  EXPECT_EQ(line->reason, "Not Found");
  line = parse_status_line("HTTP/1.0 200");
  ASSERT_TRUE(line);
  EXPECT_EQ(line->reason, "");
  EXPECT_FALSE(parse_status_line("HTTP/1.1 2000 OK"));
  EXPECT_FALSE(parse_status_line("HTTP/1.1 2x0 OK"));
  EXPECT_FALSE(parse_status_line("HTTP/2 200 OK"));
  EXPECT_FALSE(parse_status_line("ICY 200 OK"));
}

// ---- bodies ----

TEST(ContentLength, DigitsOnlyAndRepeatsMustAgree) {
  std::uint64_t n = 0;
  EXPECT_TRUE(parse_content_length("42", n));
  EXPECT_EQ(n, 42u);
  EXPECT_TRUE(parse_content_length("7, 7", n));
  EXPECT_EQ(n, 7u);
  EXPECT_FALSE(parse_content_length("7, 8", n));
  EXPECT_FALSE(parse_content_length("-1", n));
  EXPECT_FALSE(parse_content_length("0x10", n));
  EXPECT_FALSE(parse_content_length("", n));
  EXPECT_FALSE(parse_content_length("99999999999999999999999", n));
}

TEST(TransferEncoding, TheLastCodingFrames) {
  EXPECT_TRUE(ends_with_chunked("chunked"));
  EXPECT_TRUE(ends_with_chunked("gzip, Chunked"));
  EXPECT_FALSE(ends_with_chunked("chunked, gzip"));
  EXPECT_FALSE(ends_with_chunked("identity"));
}

// Feeds `text` to `body` in pieces of `piece` bytes, re-offering what it leaves; returns how
// many bytes the body took in all and its last status.
std::pair<std::size_t, BodyReader::Status> feed_body(BodyReader& body, std::string_view text,
                                                     std::size_t piece) {
  std::string pending;
  std::size_t taken = 0;
  auto status = BodyReader::Status::NeedMore;
  for (std::size_t pos = 0; pos < text.size(); pos += piece) {
    pending += text.substr(pos, piece);
    const auto step = body.consume(pending);
    taken += step.consumed;
    pending.erase(0, step.consumed);
    status = step.status;
    if (status != BodyReader::Status::NeedMore) break;
  }
  return {taken, status};
}

TEST(BodyReader, ChunkedBodyEndsExactlyAtItsLastCrlfWhateverThePieces) {
  const std::string body =
      "4;ext=1\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nX-T: 1\r\n\r\n";
  for (std::size_t piece : {1u, 2u, 3u, 7u, 1000u}) {
    auto reader = BodyReader::chunked();
    const auto [taken, status] = feed_body(reader, body + "GET /next", piece);
    EXPECT_EQ(status, BodyReader::Status::Done) << piece;
    EXPECT_EQ(taken, body.size()) << piece;
  }
}

TEST(BodyReader, BrokenChunkFramingIsAnError) {
  auto reader = BodyReader::chunked();
  EXPECT_EQ(reader.consume("zz\r\n").status, BodyReader::Status::Error);
  reader = BodyReader::chunked();
  EXPECT_EQ(reader.consume("3\r\nabcX").status, BodyReader::Status::Error);
  reader = BodyReader::chunked();
  EXPECT_EQ(reader.consume(std::string(BodyReader::kMaxLineLength + 1, '1')).status,
            BodyReader::Status::Error);
}

TEST(BodyReader, FixedLengthAndUntilClose) {
  auto fixed = BodyReader::length(5);
  auto step = fixed.consume("abcdeGET");
  EXPECT_EQ(step.consumed, 5u);
  EXPECT_EQ(step.status, BodyReader::Status::Done);
  EXPECT_TRUE(BodyReader::length(0).done());
  auto forever = BodyReader::until_close();
  step = forever.consume("HTTP/1.1 200 OK\r\n\r\n");
  EXPECT_EQ(step.consumed, 19u);
  EXPECT_EQ(step.status, BodyReader::Status::NeedMore);
}

TEST(BodyReader, LostBytesInsideKnownDataKeepSync) {
  auto fixed = BodyReader::length(100);
  EXPECT_TRUE(fixed.skip_lost(60));
  EXPECT_TRUE(fixed.skip_lost(40));
  EXPECT_TRUE(fixed.done());
  auto overrun = BodyReader::length(10);
  EXPECT_FALSE(overrun.skip_lost(11));
  auto chunked = BodyReader::chunked();
  EXPECT_FALSE(chunked.skip_lost(1));  // inside a size line: sync is gone
  chunked = BodyReader::chunked();
  (void)chunked.consume("10\r\n");
  EXPECT_TRUE(chunked.skip_lost(16));
  EXPECT_EQ(chunked.consume("\r\n0\r\n\r\n").status, BodyReader::Status::Done);
  EXPECT_TRUE(BodyReader::until_close().skip_lost(1u << 30));
}

// ---- request stream ----

struct Requests : RequestSink {
  std::vector<HttpRequest> requests;
  int lost = 0;
  void on_request(HttpRequest&& r) override { requests.push_back(std::move(r)); }
  void on_request_lost() override { ++lost; }
  [[nodiscard]] std::vector<std::string> lines() const {
    std::vector<std::string> out;
    for (const auto& r : requests)
      out.push_back(fmt::format("{} {} {}", r.method, r.host, r.target));
    return out;
  }
};

// Offers `text` in pieces like the reassembler: what feed() leaves comes again in front of the
// next piece. Checks the stream never holds more than a head's worth.
template <class Stream, class Sink>
void feed_stream(Stream& stream, Sink& sink, std::string_view text, std::size_t piece,
                 std::uint64_t start_offset = 0) {
  std::string kept;
  std::uint64_t offset = start_offset;
  for (std::size_t pos = 0; pos < text.size(); pos += piece) {
    kept += text.substr(pos, piece);
    const std::size_t used = stream.feed(kept, offset, Timestamp{}, sink);
    ASSERT_LE(used, kept.size());
    kept.erase(0, used);
    offset += used;
    ASSERT_LE(kept.size(), kMaxHeadBytes + piece);
  }
}

const std::string kPipeline =
    "GET /one HTTP/1.1\r\nHost: a.example\r\n\r\n"
    "POST /form HTTP/1.1\r\nHost: a.example\r\nContent-Length: 11\r\n\r\nx=1&y=GET /"
    "\r\n"  // a stray CRLF between messages is allowed
    "PUT /up HTTP/1.1\r\nHost: a.example\r\nTransfer-Encoding: chunked\r\n\r\n"
    "6\r\nGET / \r\n0\r\n\r\n"
    "GET /last HTTP/1.0\nHost: b.example\n\n";

TEST(RequestStream, KeepAlivePipelinedBodiesSkippedWhateverThePieces) {
  const std::vector<std::string> expected = {"GET a.example /one", "POST a.example /form",
                                             "PUT a.example /up", "GET b.example /last"};
  for (std::size_t piece : {1u, 2u, 5u, 13u, 100000u}) {
    RequestStream stream(true, {});
    Requests sink;
    feed_stream(stream, sink, kPipeline, piece);
    EXPECT_EQ(sink.lines(), expected) << "piece " << piece;
    EXPECT_EQ(stream.counters().resyncs, 0u);
    EXPECT_FALSE(stream.stopped());
  }
}

TEST(RequestStream, KeepsAskedForHeadersAndBoundsValues) {
  const std::vector<std::string> wanted = {"cookie", "x-missing"};
  RequestStream stream(true, wanted);
  Requests sink;
  const std::string huge(20000, 'r');
  feed_stream(stream, sink,
              "GET / HTTP/1.1\r\nHost: h\r\nCookie: id=1\r\nReferer: http://x/" + huge +
                  "\r\nUser-Agent: ua\r\n\r\n",
              1000);
  ASSERT_EQ(sink.requests.size(), 1u);
  const auto& r = sink.requests[0];
  EXPECT_TRUE(r.has_referer);
  EXPECT_EQ(r.referer.size(), kMaxFieldLength);
  EXPECT_EQ(r.user_agent, "ua");
  ASSERT_EQ(r.extra.size(), 1u);
  EXPECT_EQ(r.extra[0], (std::pair<std::string, std::string>{"cookie", "id=1"}));
}

TEST(RequestStream, AStreamThatDoesNotOpenWithARequestIsNotHttp) {
  for (std::string_view other : {"SSH-2.0-OpenSSH_9.2\r\n", "EHLO mail.example.org\r\n",
                                 "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"}) {
    RequestStream stream(true, {});
    Requests sink;
    EXPECT_EQ(stream.feed(other, 0, Timestamp{}, sink), other.size());
    EXPECT_TRUE(stream.stopped());
    EXPECT_FALSE(stream.is_http());
    // Nothing after it is looked at, even a request.
    EXPECT_EQ(stream.feed("GET / HTTP/1.1\r\n\r\n", other.size(), Timestamp{}, sink), 18u);
    EXPECT_TRUE(sink.requests.empty());
  }
}

TEST(RequestStream, MidStreamPickUpSearchesForTheFirstRequestLine) {
  RequestStream stream(false, {});
  Requests sink;
  feed_stream(stream, sink,
              "dy of an earlier POST\r\nwith GET / HTTP/1.1 inside a line\r\n"
              "GET /found HTTP/1.1\r\nHost: h\r\n\r\n",
              7);
  EXPECT_EQ(sink.lines(), std::vector<std::string>{"GET h /found"});
}

TEST(RequestStream, AnOversizedHeadIsDroppedAndTheNextRequestFound) {
  RequestStream stream(true, {});
  Requests sink;
  std::string text = "GET /big HTTP/1.1\r\n";
  while (text.size() <= kMaxHeadBytes) text += "X-Filler: " + std::string(100, 'f') + "\r\n";
  text += "\r\nGET /after HTTP/1.1\r\nHost: h\r\n\r\n";
  feed_stream(stream, sink, text, 1460);
  EXPECT_EQ(sink.lines(), std::vector<std::string>{"GET h /after"});
  EXPECT_EQ(stream.counters().oversized_heads, 1u);
}

TEST(RequestStream, GapInsideABodyKeepsSyncElsewhereResyncs) {
  RequestStream stream(true, {});
  Requests sink;
  const std::string post = "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\n";
  feed_stream(stream, sink, post + std::string(30, 'b'), 1000);
  stream.lost(50, sink);  // body bytes 30..80
  feed_stream(stream, sink, std::string(20, 'b') + "GET /next HTTP/1.1\r\nHost: h\r\n\r\n", 1000,
              post.size() + 100);
  EXPECT_EQ(sink.lost, 0);
  EXPECT_EQ(sink.lines(), (std::vector<std::string>{"POST h /p", "GET h /next"}));

  // A gap in the middle of a head: that request is lost (and said so), the next is found.
  const std::string partial = "GET /cut HTTP/1.1\r\nHo";
  feed_stream(stream, sink, partial, 1000, 1000);
  stream.lost(10, sink);
  feed_stream(stream, sink, "st: h\r\n\r\nGET /again HTTP/1.1\r\nHost: h\r\n\r\n", 1000, 2000);
  EXPECT_EQ(sink.lost, 1);
  EXPECT_EQ(sink.lines().back(), "GET h /again");
  EXPECT_EQ(sink.requests.size(), 3u);
}

TEST(RequestStream, SegmentAfterAGapMayStartARequest) {
  RequestStream stream(true, {});
  Requests sink;
  feed_stream(stream, sink, "GET /a HTTP/1.1\r\nHost: h\r\n\r\n", 1000);
  stream.lost(35, sink);  // e.g. a whole request lost with its segment
  feed_stream(stream, sink, "GET /c HTTP/1.1\r\nHost: h\r\n\r\n", 1000, 1000);
  EXPECT_EQ(sink.lines(), (std::vector<std::string>{"GET h /a", "GET h /c"}));
  EXPECT_EQ(sink.lost, 1);
}

TEST(RequestStream, AfterConnectOnlyRequestsAreParsedTheTunnelStopsIt) {
  RequestStream stream(true, {});
  Requests sink;
  feed_stream(stream, sink, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
              1000);
  ASSERT_EQ(sink.requests.size(), 1u);
  EXPECT_FALSE(stream.stopped());
  // TLS (which could contain anything, even a request line later on) ends the parsing.
  feed_stream(stream, sink, "\x16\x03\x01\x00\x10GET / HTTP/1.1\r\n\r\n", 1000, 60);
  EXPECT_TRUE(stream.stopped());
  EXPECT_EQ(sink.requests.size(), 1u);
}

TEST(RequestStream, UnframableBodyResyncsOnTheNextRequest) {
  RequestStream stream(true, {});
  Requests sink;
  feed_stream(stream, sink,
              "POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 12abc\r\n\r\nbody\r\n"
              "GET /y HTTP/1.1\r\nHost: h\r\n\r\n",
              3);
  EXPECT_EQ(sink.lines(), (std::vector<std::string>{"POST h /x", "GET h /y"}));
}

TEST(RequestStream, RandomBytesNeverCrashAndNeverHoldTooMuch) {
  std::uint64_t seed = 0x9E3779B97F4A7C15ULL;
  std::string noise;
  for (int i = 0; i < 200000; ++i) {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    const char alphabet[] = "GET /HTP1.\r\n:ab ";
    noise += (seed >> 60) < 12 ? alphabet[(seed >> 33) % (sizeof alphabet - 1)]
                               : static_cast<char>(seed >> 40);
  }
  for (std::size_t piece : {1u, 97u, 1460u}) {
    RequestStream stream(false, {});
    Requests sink;
    feed_stream(stream, sink, noise, piece);
    for (const auto& r : sink.requests) {
      EXPECT_LE(r.target.size(), kMaxFieldLength);
      EXPECT_TRUE(parse_request_line(fmt::format("{} {} {}", r.method, r.target, r.version)));
    }
  }
}

// ---- response stream ----

struct Responses : ResponseSink {
  std::deque<Answered> answers;  // what each response answers, in order
  std::vector<HttpResponse> responses;
  int lost = 0;
  Answered on_response(HttpResponse&& r) override {
    responses.push_back(std::move(r));
    if (answers.empty()) return Answered::Other;
    const Answered a = answers.front();
    answers.pop_front();
    return a;
  }
  void on_response_lost() override { ++lost; }
  [[nodiscard]] std::vector<int> statuses() const {
    std::vector<int> out;
    for (const auto& r : responses) out.push_back(r.status);
    return out;
  }
};

TEST(ResponseStream, BodiesFramedByRequestStatusAndHeaders) {
  const std::string text =
      "HTTP/1.1 100 Continue\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/html\r\n\r\nHTTP/"
      "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n"  // answers HEAD: no body
      "HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n"
      "HTTP/1.1 204 No Content\r\n\r\n"
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nHTTP/\r\n0\r\n\r\n"
      "HTTP/1.0 404 Not Found\r\nContent-Type: text/plain\r\n\r\nHTTP/1.1 200 until close";
  for (std::size_t piece : {1u, 4u, 1000u}) {
    ResponseStream stream;
    Responses sink;
    sink.answers = {Answered::Other, Answered::Head,  Answered::Other,
                    Answered::Other, Answered::Other, Answered::Other};
    feed_stream(stream, sink, text, piece);
    EXPECT_EQ(sink.statuses(), (std::vector<int>{200, 200, 304, 204, 200, 404})) << piece;
    EXPECT_EQ(sink.responses[0].content_type, "text/html");
    EXPECT_EQ(sink.responses[5].reason, "Not Found");
    EXPECT_EQ(sink.lost, 0);
  }
}

TEST(ResponseStream, TunnelsAndProtocolSwitchesStopIt) {
  ResponseStream tunnel;
  Responses sink;
  sink.answers = {Answered::Connect};
  feed_stream(tunnel, sink,
              "HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x03 HTTP/1.1 200 OK\r\n\r\n",
              1000);
  EXPECT_TRUE(tunnel.stopped());
  EXPECT_EQ(sink.statuses(), std::vector<int>{200});

  ResponseStream upgrade;
  Responses sink2;
  feed_stream(upgrade, sink2,
              "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05HTTP/1.1 200 "
              "OK\r\n\r\n",
              1000);
  EXPECT_TRUE(upgrade.stopped());
  EXPECT_EQ(sink2.statuses(), std::vector<int>{101});
}

TEST(ResponseStream, JunkAndGapsAreReportedAndTheNextResponseFound) {
  ResponseStream stream;
  Responses sink;
  feed_stream(stream, sink, "SSH-2.0-banner\r\nHTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n", 3);
  EXPECT_EQ(sink.statuses(), std::vector<int>{500});
  EXPECT_EQ(sink.lost, 1);
  stream.lost(10, sink);
  EXPECT_EQ(sink.lost, 2);
  feed_stream(stream, sink, "tail of something\r\nHTTP/1.1 302 Found\r\n\r\n", 1000, 100);
  EXPECT_EQ(sink.statuses(), (std::vector<int>{500, 302}));
}

}  // namespace
}  // namespace flowkit::httpgraph
