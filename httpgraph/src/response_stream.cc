#include "flowkit/httpgraph/response_stream.h"

#include <algorithm>

#include "flowkit/httpgraph/ascii.h"
#include "flowkit/httpgraph/http_head.h"
#include "flowkit/httpgraph/start_line.h"

namespace flowkit::httpgraph {

namespace {

constexpr std::size_t kMaxStatusLine = 16 * 1024;
constexpr std::string_view kStatusPrefix = "HTTP/1.";

bool is_status_line(std::string_view line) {
  return parse_status_line(line).has_value();
}

bool could_be_status_line(std::string_view partial) {
  const std::size_t n = std::min(partial.size(), kStatusPrefix.size());
  return partial.substr(0, n) == kStatusPrefix.substr(0, n);
}

constexpr HeadRules kResponseHead{is_status_line, could_be_status_line, kMaxStatusLine};

}  // namespace

ResponseStream::ResponseStream() noexcept : head_(kResponseHead) {}

void ResponseStream::resync(bool line_start) noexcept {
  ++counters_.resyncs;
  head_.reset();
  state_ = State::Resync;
  line_start_ = line_start;
}

bool ResponseStream::take_head(std::string_view text, Timestamp now, ResponseSink& sink) {
  const HttpHead head = parse_head(text);
  const auto line = parse_status_line(head.start_line);
  if (!line) return false;
  ++counters_.responses;
  if (line->code >= 100 && line->code < 200 && line->code != 101) {
    body_ = BodyReader::length(0);  // interim (100 Continue, 103 Early Hints): final one follows
    state_ = State::Head;
    return true;
  }
  HttpResponse response;
  response.time = now;
  response.version = bounded(line->version);
  response.status = line->code;
  response.reason = bounded(line->reason);
  if (auto type = head.find("content-type")) response.content_type = bounded(*type);
  const int code = line->code;
  const Answered answered = sink.on_response(std::move(response));

  if (code == 101 || (answered == Answered::Connect && code >= 200 && code < 300)) {
    state_ = State::Stopped;  // the connection now carries another protocol or a tunnel
    return true;
  }
  const auto te = head.find("transfer-encoding");
  const auto content_length = head.find("content-length");
  std::uint64_t length = 0;
  if (answered == Answered::Head || code == 204 || code == 304 || code < 200) {
    body_ = BodyReader::length(0);
  } else if (te) {
    body_ = ends_with_chunked(*te) ? BodyReader::chunked() : BodyReader::until_close();
  } else if (content_length && parse_content_length(*content_length, length)) {
    body_ = BodyReader::length(length);
  } else {
    body_ = BodyReader::until_close();
  }
  state_ = body_.done() ? State::Head : State::Body;
  return true;
}

std::size_t ResponseStream::feed(std::string_view bytes, std::uint64_t offset, Timestamp now,
                                 ResponseSink& sink) {
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    switch (state_) {
      case State::Stopped:
        return bytes.size();

      case State::Body: {
        const auto step = body_.consume(bytes.substr(pos));
        pos += step.consumed;
        if (step.status == BodyReader::Status::Done) {
          state_ = State::Head;
          head_.reset();
        } else if (step.status == BodyReader::Status::Error) {
          sink.on_response_lost();
          resync(false);
        } else {
          return pos;
        }
        break;
      }

      case State::Resync: {
        const auto r = head_.find_start(bytes, pos, line_start_);
        line_start_ = r.line_start;
        if (!r.found) return r.consumed;
        pos = *r.found;
        state_ = State::Head;
        head_.reset();
        break;
      }

      case State::Head: {
        const HeadScan scan = head_.scan(bytes, pos, offset);
        pos = scan.start;
        if (scan.status == HeadScan::Status::NeedMore) return pos;
        if (scan.oversized()) ++counters_.oversized_heads;
        if (scan.status == HeadScan::Status::Complete && take_head(scan.head, now, sink)) {
          pos += scan.head.size();
          break;
        }
        // Whatever was here is lost: a request waiting for it can no longer be paired.
        sink.on_response_lost();
        resync(false);
        break;
      }
    }
  }
  return pos;
}

void ResponseStream::lost(std::uint64_t length, ResponseSink& sink) {
  if (state_ == State::Stopped) return;
  if (state_ == State::Body && body_.skip_lost(length)) {
    if (body_.done()) {
      state_ = State::Head;
      head_.reset();
    }
    return;
  }
  sink.on_response_lost();
  resync(true);  // the first byte after a lost segment often starts a message
}

}  // namespace flowkit::httpgraph
