#include "flowkit/httpgraph/request_stream.h"

#include "flowkit/httpgraph/ascii.h"
#include "flowkit/httpgraph/http_head.h"
#include "flowkit/httpgraph/resync.h"
#include "flowkit/httpgraph/start_line.h"

namespace flowkit::httpgraph {

namespace {

// A request line longer than this is not waited for while resynchronising.
constexpr std::size_t kMaxRequestLine = 16 * 1024;

bool is_request_line(std::string_view line) {
  return parse_request_line(line).has_value();
}

}  // namespace

RequestStream::RequestStream(bool from_start, std::span<const std::string> capture_headers)
    : state_(from_start ? State::Head : State::Resync),
      strict_(from_start),
      line_start_(true),
      capture_headers_(capture_headers) {}

void RequestStream::start_head() noexcept {
  state_ = State::Head;
  head_pending_ = false;
}

void RequestStream::reject_head() {
  head_pending_ = false;
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
        const auto r = find_message_start(bytes, pos, line_start_, is_request_line,
                                          could_be_request_line, kMaxRequestLine);
        line_start_ = r.line_start;
        if (!r.found) return r.consumed;
        pos = *r.found;
        start_head();
        break;
      }

      case State::Head: {
        // Empty lines before a request are allowed (RFC 9112 section 2.2).
        while (pos < bytes.size() && (bytes[pos] == '\r' || bytes[pos] == '\n')) ++pos;
        if (pos == bytes.size()) return pos;
        if (!head_pending_ || head_offset_ != offset + pos) {
          head_pending_ = true;
          head_offset_ = offset + pos;
          line_scan_ = 0;
          head_scan_ = 0;
          first_line_ok_ = false;
        }
        const std::string_view head = bytes.substr(pos);
        if (!first_line_ok_) {
          // Judge the request line as soon as it is there, so a stream that is not HTTP is
          // given up without waiting for a head that will never come.
          const std::size_t eol = head.find('\n', line_scan_);
          if (eol == std::string_view::npos) {
            line_scan_ = head.size();
            if (head.size() > kMaxRequestLine || !could_be_request_line(head)) {
              if (head.size() > kMaxRequestLine) ++counters_.oversized_heads;
              reject_head();
              break;
            }
            return pos;
          }
          if (!is_request_line(head.substr(0, eol))) {
            reject_head();
            break;
          }
          first_line_ok_ = true;
        }
        // Only the first kMaxHeadBytes may hold the head: a longer one is refused even when
        // its end has arrived.
        const HeadEnd end = find_head_end(head.substr(0, kMaxHeadBytes), head_scan_);
        if (!end.end) {
          head_scan_ = end.resume;
          if (head.size() >= kMaxHeadBytes) {
            // The request line was fine, so this is HTTP: skip the head, expect an answer to it.
            ++counters_.oversized_heads;
            strict_ = false;
            sink.on_request_lost();
            reject_head();
            break;
          }
          return pos;  // wait for the rest of the head
        }
        head_pending_ = false;
        if (!take_head(head.substr(0, *end.end), now, sink)) {
          reject_head();
          break;
        }
        pos += *end.end;
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
  head_pending_ = false;
  state_ = State::Resync;
  // Captures lose whole segments, and segments often start with a message: the first byte
  // after the gap is worth trying as a line start.
  line_start_ = true;
}

}  // namespace flowkit::httpgraph
