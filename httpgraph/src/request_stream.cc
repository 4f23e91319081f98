#include "flowkit/httpgraph/request_stream.h"

#include "flowkit/httpgraph/ascii.h"
#include "flowkit/httpgraph/http_head.h"
#include "flowkit/httpgraph/start_line.h"

namespace flowkit::httpgraph {

namespace {

// A request line longer than this is not waited for while resynchronising.
constexpr std::size_t kMaxRequestLine = 16 * 1024;

bool is_request_line(std::string_view line) {
  return parse_request_line(line).has_value();
}

constexpr HeadRules kRequestHead{is_request_line, could_be_request_line, kMaxRequestLine};

}  // namespace

RequestStream::RequestStream(bool from_start, std::span<const std::string> capture_headers)
    : state_(from_start ? State::Head : State::Resync),
      strict_(from_start),
      line_start_(true),
      capture_headers_(capture_headers),
      head_(kRequestHead) {}

void RequestStream::start_head() noexcept {
  state_ = State::Head;
  head_.reset();
}

void RequestStream::reject_head() {
  head_.reset();
  if (strict_) {
    state_ = State::Stopped;
    return;
  }
  ++counters_.resyncs;
  state_ = State::Resync;
  line_start_ = false;  // skip the rejected line
}

bool RequestStream::take_head(std::string_view text, Timestamp now, RequestSink& sink) {
  const HttpHead head = parse_head(text);
  const auto line = parse_request_line(head.start_line);
  if (!line) return false;

  // How the body is framed. A request whose body length cannot be known is still reported,
  // but sync is lost after it.
  std::uint64_t length = 0;
  const auto te = head.find("transfer-encoding");
  const auto content_lengths = head.find_all("content-length");
  bool framed = true;
  if (te) {
    if (ends_with_chunked(*te)) {
      body_ = BodyReader::chunked();
    } else {
      framed = false;
    }
  } else if (!content_lengths.empty()) {
    bool first = true;
    for (auto v : content_lengths) {
      std::uint64_t n = 0;
      if (!parse_content_length(v, n) || (!first && n != length)) framed = false;
      length = n;
      first = false;
    }
    body_ = BodyReader::length(length);
  } else {
    body_ = BodyReader::length(0);
  }

  HttpRequest request;
  request.time = now;
  request.method = bounded(line->method);
  request.target = bounded(line->target);
  request.version = bounded(line->version);
  if (auto host = head.find("host")) {
    request.host = bounded(*host);
    request.has_host = true;
  }
  if (auto referer = head.find("referer")) {
    request.referer = bounded(*referer);
    request.has_referer = true;
  }
  if (auto agent = head.find("user-agent")) request.user_agent = bounded(*agent);
  for (const auto& name : capture_headers_) {
    if (auto value = head.find(name)) request.extra.emplace_back(name, bounded(*value));
  }
  const bool connect = line->method == "CONNECT";
  ++counters_.requests;
  sink.on_request(std::move(request));

  strict_ = connect;  // after CONNECT, bytes that are not a request are the tunnel
  if (!framed) {
    ++counters_.resyncs;
    state_ = State::Resync;
    line_start_ = true;
  } else if (connect || body_.done()) {
    start_head();
  } else {
    state_ = State::Body;
  }
  return true;
}

std::size_t RequestStream::feed(std::string_view bytes, std::uint64_t offset, Timestamp now,
                                RequestSink& sink) {
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    switch (state_) {
      case State::Stopped:
        return bytes.size();

      case State::Body: {
        const auto step = body_.consume(bytes.substr(pos));
        pos += step.consumed;
        if (step.status == BodyReader::Status::Done) {
          start_head();
        } else if (step.status == BodyReader::Status::Error) {
          ++counters_.resyncs;
          state_ = State::Resync;
          line_start_ = false;
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
        start_head();
        break;
      }

      case State::Head: {
        const HeadScan scan = head_.scan(bytes, pos, offset);
        pos = scan.start;
        switch (scan.status) {
          case HeadScan::Status::NeedMore:
            return pos;
          case HeadScan::Status::FirstLineTooLong:
            ++counters_.oversized_heads;
            reject_head();
            break;
          case HeadScan::Status::NotMessage:
            reject_head();
            break;
          case HeadScan::Status::HeadTooLong:
            // The request line was fine, so this is HTTP: skip the head, expect an answer to it.
            ++counters_.oversized_heads;
            strict_ = false;
            sink.on_request_lost();
            reject_head();
            break;
          case HeadScan::Status::Complete:
            if (!take_head(scan.head, now, sink)) {
              reject_head();
              break;
            }
            pos += scan.head.size();
            break;
        }
        break;
      }
    }
  }
  return pos;
}

void RequestStream::lost(std::uint64_t length, RequestSink& sink) {
  if (state_ == State::Stopped) return;
  if (state_ == State::Body && body_.skip_lost(length)) {
    if (body_.done()) start_head();
    return;
  }
  // Anything but body bytes of known size may have held a request; saying so costs a status
  // at worst, while staying silent could pair a later response with the wrong request.
  sink.on_request_lost();
  ++counters_.resyncs;
  strict_ = false;
  head_.reset();
  state_ = State::Resync;
  // Captures lose whole segments, and segments often start with a message: the first byte
  // after the gap is worth trying as a line start.
  line_start_ = true;
}

}  // namespace flowkit::httpgraph
