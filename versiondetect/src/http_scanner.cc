#include "flowkit/versiondetect/http_scanner.h"

#include <algorithm>
#include <charconv>

#include "text.h"

namespace flowkit::versiondetect {

namespace {

// "HTTP/1.1" at the start of `s`.
bool is_http_version(std::string_view s) {
  return s.size() >= 8 && s.starts_with("HTTP/") && text::is_digit(s[5]) && s[6] == '.' &&
         text::is_digit(s[7]);
}

bool is_method(std::string_view m) {
  constexpr std::size_t kMaxMethod = 20;
  return !m.empty() && m.size() <= kMaxMethod && std::all_of(m.begin(), m.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || c == '-' || c == '_';
  });
}

std::optional<std::uint64_t> decimal(std::string_view s) {
  s = text::trim(s);
  std::uint64_t v = 0;
  const auto* end = s.data() + s.size();
  const auto [ptr, ec] = std::from_chars(s.data(), end, v);
  if (s.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return v;
}

}  // namespace

void HttpRequestQueue::push(HttpRequestKind kind) {
  if (pending_.size() < kMaxPending) pending_.push_back(kind);
}

HttpRequestKind HttpRequestQueue::pop() {
  if (pending_.empty()) return HttpRequestKind::Normal;
  const auto kind = pending_.front();
  pending_.pop_front();
  return kind;
}

void HttpScanner::skip_body(std::span<const std::byte>& in) noexcept {
  if (!in_body()) return;
  const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, in.size()));
  in = in.subspan(n);
  remaining_ -= n;
  if (remaining_ == 0) state_ = state_ == State::Body ? State::StartLine : State::ChunkDataEnd;
}

bool HttpScanner::on_gap(std::uint64_t length) noexcept {
  if (in_body() && length <= remaining_) {
    remaining_ -= length;
    if (remaining_ == 0) state_ = state_ == State::Body ? State::StartLine : State::ChunkDataEnd;
    return true;
  }
  state_ = State::Stopped;
  return false;
}

std::optional<HttpEvent> HttpScanner::on_line(const LineReader::Line& line) {
  switch (state_) {
    case State::StartLine:
      return start_line(line.text, line.truncated);
    case State::Headers:
      return header_line(line.text, line.truncated);
    case State::ChunkSize:
      chunk_size_line(line.text);
      return std::nullopt;
    case State::ChunkDataEnd:
      // The CR LF after each chunk's data; anything else means we lost the framing.
      state_ = line.text.empty() ? State::ChunkSize : State::Stopped;
      return std::nullopt;
    case State::Trailers:
      if (line.text.empty()) state_ = State::StartLine;
      return std::nullopt;
    case State::Body:
    case State::ChunkData:
    case State::Stopped:
      return std::nullopt;
  }
  return std::nullopt;
}

std::optional<HttpEvent> HttpScanner::start_line(std::string_view line, bool truncated) {
  if (line.empty()) {
    // Some clients send a stray CR LF after a body.
    if (++empty_lines_ > kMaxLeadingEmptyLines) state_ = State::Stopped;
    return std::nullopt;
  }
  empty_lines_ = 0;
  header_lines_ = 0;
  content_length_.reset();
  chunked_ = false;
  bad_length_ = false;
  HttpEvent event;
  event.value = line;
  event.truncated = truncated;
  if (side_ == Side::Request) {
    // METHOD SP request-target SP HTTP/x.y
    const auto sp = line.find(' ');
    const auto last_sp = line.rfind(' ');
    if (sp == std::string_view::npos || last_sp == sp || !is_method(line.substr(0, sp)) ||
        !is_http_version(line.substr(last_sp + 1))) {
      state_ = State::Stopped;
      return std::nullopt;
    }
    event.kind = HttpEvent::Kind::Request;
    event.name = line.substr(0, sp);
    request_kind_ = event.name == "HEAD"      ? HttpRequestKind::Head
                    : event.name == "CONNECT" ? HttpRequestKind::Connect
                                              : HttpRequestKind::Normal;
  } else {
    // HTTP/x.y SP 3DIGIT [SP reason]
    if (!is_http_version(line) || line.size() < 12 || line[8] != ' ' ||
        !std::all_of(line.begin() + 9, line.begin() + 12, text::is_digit) ||
        (line.size() > 12 && line[12] != ' ')) {
      state_ = State::Stopped;
      return std::nullopt;
    }
    event.kind = HttpEvent::Kind::Response;
    event.name = line.substr(9, 3);
    status_ = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
  }
  ++messages_;
  state_ = State::Headers;
  return event;
}

std::optional<HttpEvent> HttpScanner::header_line(std::string_view line, bool truncated) {
  if (line.empty()) {
    end_of_headers();
    return std::nullopt;
  }
  if (++header_lines_ > kMaxHeaderLines) {
    state_ = State::Stopped;
    return std::nullopt;
  }
  if (text::is_blank(line.front())) {
    return HttpEvent{HttpEvent::Kind::Continuation, {}, line, truncated};
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  const auto name = text::trim(line.substr(0, colon));
  const auto value = text::trim(line.substr(colon + 1));
  if (text::iequals(name, "Content-Length")) {
    // "10, 10" (a duplicated header folded into one) still frames the body.
    const auto length = decimal(value.substr(0, value.find(',')));
    if (!length || (content_length_ && *content_length_ != *length)) bad_length_ = true;
    content_length_ = length;
  } else if (text::iequals(name, "Transfer-Encoding")) {
    chunked_ = text::ifind(value, "chunked") != std::string_view::npos;
  }
  return HttpEvent{HttpEvent::Kind::Header, name, value, truncated};
}

void HttpScanner::start_body(std::uint64_t length) noexcept {
  remaining_ = length;
  state_ = length == 0 ? State::StartLine : State::Body;
}

void HttpScanner::end_of_headers() {
  if (side_ == Side::Request) {
    queue_->push(request_kind_);
    if (request_kind_ == HttpRequestKind::Connect) {
      state_ = State::Stopped;  // a tunnel follows
    } else if (chunked_) {
      state_ = State::ChunkSize;
    } else if (bad_length_) {
      state_ = State::Stopped;
    } else {
      start_body(content_length_.value_or(0));
    }
    return;
  }
  if (status_ >= 100 && status_ < 200) {
    // Interim responses have no body and do not answer the request; 101 switches protocols.
    state_ = status_ == 101 ? State::Stopped : State::StartLine;
    return;
  }
  const auto request = queue_->pop();
  if (request == HttpRequestKind::Connect && status_ >= 200 && status_ < 300) {
    state_ = State::Stopped;
  } else if (request == HttpRequestKind::Head || status_ == 204 || status_ == 304) {
    state_ = State::StartLine;
  } else if (chunked_) {
    state_ = State::ChunkSize;
  } else if (content_length_ && !bad_length_) {
    start_body(*content_length_);
  } else {
    state_ = State::Stopped;  // the body lasts until the connection closes
  }
}

void HttpScanner::chunk_size_line(std::string_view line) {
  auto size_text = text::trim(line.substr(0, line.find(';')));
  std::uint64_t size = 0;
  const auto* end = size_text.data() + size_text.size();
  const auto [ptr, ec] = std::from_chars(size_text.data(), end, size, 16);
  if (size_text.empty() || ec != std::errc() || ptr != end) {
    state_ = State::Stopped;
    return;
  }
  if (size == 0) {
    state_ = State::Trailers;
    return;
  }
  remaining_ = size;
  state_ = State::ChunkData;
}

}  // namespace flowkit::versiondetect
