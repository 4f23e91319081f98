#include "server_side.h"

#include "flowkit/versiondetect/greeting.h"
#include "opening.h"
#include "text.h"

namespace flowkit::versiondetect {

void ServerSide::feed(std::span<const std::byte> in, SharedState& shared,
                      const Reporter& reporter) {
  if (state_ == State::Opening && bytes_ == 0 && !in.empty() && !opening::is_text_start(in[0])) {
    state_ = State::Done;
    return;
  }
  while (state_ != State::Done && !in.empty()) {
    if (http_ && http_->in_body()) {
      http_->skip_body(in);
      continue;
    }
    const auto before = in.size();
    const auto line = reader_.next(in);
    bytes_ += before - in.size();
    if (!line) break;
    on_line(*line, shared, reporter);
  }
  if ((state_ == State::Opening && bytes_ > kMaxOpeningBytes) ||
      (state_ == State::Resync && bytes_ > kMaxResyncBytes)) {
    state_ = State::Done;
  }
}

void ServerSide::on_gap(std::uint64_t length, SharedState& shared, const Reporter& reporter) {
  if (state_ == State::Http && http_->in_body() && http_->on_gap(length)) return;
  // Out of step: keep what is known; HTTP (or an SSH identification) may still come back.
  reader_.reset();
  header_.flush(reporter);
  switch (state_) {
    case State::Opening:
    case State::Http:
    case State::Resync:
      state_ = State::Resync;
      http_.reset();
      bytes_ = 0;
      break;
    case State::Greeting:
      end_greeting(shared, reporter);
      break;
    case State::Done:
      break;
  }
}

void ServerSide::finish(SharedState& shared, const Reporter& reporter) {
  if (state_ != State::Done) {
    if (const auto line = reader_.flush()) on_line(*line, shared, reporter);
  }
  header_.flush(reporter);
  if (state_ == State::Greeting) end_greeting(shared, reporter);
  state_ = State::Done;
}

void ServerSide::on_line(const LineReader::Line& line, SharedState& shared,
                         const Reporter& reporter) {
  switch (state_) {
    case State::Opening:
      opening_line(line, shared, reporter);
      break;
    case State::Greeting:
      greeting_line(line, shared, reporter);
      break;
    case State::Http:
      http_line(line, reporter);
      break;
    case State::Resync:
      resync_line(line, shared, reporter);
      break;
    case State::Done:
      break;
  }
}

void ServerSide::opening_line(const LineReader::Line& line, SharedState& shared,
                              const Reporter& reporter) {
  ++lines_;
  const auto text = line.text;
  if (opening::is_ssh_identification(text)) {
    shared.server_protocol = Protocol::Ssh;
    reporter.report(Role::Server, Protocol::Ssh, Field::Ident, text, line.truncated);
    state_ = State::Done;
    return;
  }
  if (lines_ == 1) {
    if (opening::is_http_status_line(text)) {
      start_http(line, shared, reporter);
      return;
    }
    if (opening::is_reply(text, "220")) {
      greeting_ =
          reporter.make(Role::Server, Protocol::SmtpOrFtp, Field::Greeting, text, line.truncated);
      greeting_protocol_ = parse_greeting(text).protocol_hint;
      state_ = State::Greeting;
      if (opening::is_final_reply_line(text)) end_greeting(shared, reporter);
      return;
    }
    if (opening::is_pop3_greeting(text) || opening::is_imap_greeting(text)) {
      const auto protocol = text.starts_with('+') ? Protocol::Pop3 : Protocol::Imap;
      shared.server_protocol = protocol;
      reporter.report(Role::Server, protocol, Field::Greeting, text, line.truncated);
      state_ = State::Done;
      return;
    }
  }
  // Only an SSH identification may follow other lines; give up on binary data or a long search.
  if (text.find('\0') != std::string_view::npos || lines_ >= kMaxOpeningLines) {
    state_ = State::Done;
  }
}

void ServerSide::greeting_line(const LineReader::Line& line, SharedState& shared,
                               const Reporter& reporter) {
  ++lines_;
  const auto info = parse_greeting(line.text);
  if (!greeting_protocol_) greeting_protocol_ = info.protocol_hint;
  // The banner stays the first line; a later line may be the one naming the product.
  if (greeting_->software.name.empty() && !info.software.name.empty()) {
    greeting_->software = info.software;
  }
  if (!opening::is_reply(line.text, "220") || opening::is_final_reply_line(line.text) ||
      lines_ >= kMaxGreetingLines) {
    end_greeting(shared, reporter);
  }
}

void ServerSide::end_greeting(SharedState& shared, const Reporter& reporter) {
  state_ = State::Done;
  if (!greeting_) return;
  if (greeting_protocol_) {
    greeting_->protocol = *greeting_protocol_;
    shared.server_protocol = *greeting_protocol_;
    reporter.report(*greeting_);
  } else {
    // FTP and SMTP both greet with 220: the client's first command will tell.
    shared.server_protocol = Protocol::SmtpOrFtp;
    shared.pending_greeting = std::move(greeting_);
  }
  greeting_.reset();
}

void ServerSide::resync_line(const LineReader::Line& line, SharedState& shared,
                             const Reporter& reporter) {
  if (opening::is_ssh_identification(line.text)) {
    reporter.report(Role::Server, Protocol::Ssh, Field::Ident, line.text, line.truncated);
    state_ = State::Done;
  } else if (opening::is_http_status_line(line.text)) {
    start_http(line, shared, reporter);
  }
}

void ServerSide::start_http(const LineReader::Line& line, SharedState& shared,
                            const Reporter& reporter) {
  shared.server_protocol = Protocol::Http;
  http_.emplace(HttpScanner::Side::Response, shared.requests);
  state_ = State::Http;
  http_line(line, reporter);
}

void ServerSide::http_line(const LineReader::Line& line, const Reporter& reporter) {
  const auto event = http_->on_line(line);
  if (event && event->kind == HttpEvent::Kind::Continuation) {
    header_.append(event->value, event->truncated);
    return;
  }
  header_.flush(reporter);
  if (event && event->kind == HttpEvent::Kind::Header) {
    if (text::iequals(event->name, "Server")) {
      header_.start(Role::Server, Protocol::Http, Field::Server, event->value, event->truncated);
    } else if (text::iequals(event->name, "X-Powered-By")) {
      header_.start(Role::Server, Protocol::Http, Field::PoweredBy, event->value, event->truncated);
    }
  }
  if (http_->stopped()) state_ = State::Done;
}

}  // namespace flowkit::versiondetect
