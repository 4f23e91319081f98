#include "flowkit/httpgraph/response_stream.h"

#include <algorithm>

#include "flowkit/httpgraph/ascii.h"
#include "flowkit/httpgraph/http_head.h"
#include "flowkit/httpgraph/request_stream.h"
#include "flowkit/httpgraph/resync.h"
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

}  // namespace

void ResponseStream::resync(bool line_start) noexcept {
  ++counters_.resyncs;
  head_pending_ = false;
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
          head_pending_ = false;
        } else if (step.status == BodyReader::Status::Error) {
          sink.on_response_lost();
          resync(false);
        } else {
          return pos;
        }
        break;
      }

      case State::Resync: {
        const auto r = find_message_start(bytes, pos, line_start_, is_status_line,
                                          could_be_status_line, kMaxStatusLine);
        line_start_ = r.line_start;
        if (!r.found) return r.consumed;
        pos = *r.found;
        state_ = State::Head;
        head_pending_ = false;
        break;
      }

      case State::Head: {
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
          const std::size_t eol = head.find('\n', line_scan_);
          if (eol == std::string_view::npos) {
            line_scan_ = head.size();
            if (head.size() <= kMaxStatusLine && could_be_status_line(head)) return pos;
            if (head.size() > kMaxStatusLine) ++counters_.oversized_heads;
            sink.on_response_lost();
            resync(false);
            break;
          }
          if (!is_status_line(head.substr(0, eol))) {
            sink.on_response_lost();
            resync(false);
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
            ++counters_.oversized_heads;
            sink.on_response_lost();
            resync(false);
            break;
          }
          return pos;
        }
        head_pending_ = false;
        if (!take_head(head.substr(0, *end.end), now, sink)) {
          sink.on_response_lost();
          resync(false);
          break;
        }
        pos += *end.end;
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
      head_pending_ = false;
    }
    return;
  }
  sink.on_response_lost();
  resync(true);  // the first byte after a lost segment often starts a message
}

}  // namespace flowkit::httpgraph
