#include "client_side.h"

#include <array>

#include "opening.h"
#include "text.h"

namespace flowkit::versiondetect {

namespace {

bool is_one_of(std::string_view command, std::span<const std::string_view> commands) {
  for (auto c : commands) {
    if (text::iequals(command, c)) return true;
  }
  return false;
}

constexpr std::array<std::string_view, 3> kHelo{"EHLO", "HELO", "LHLO"};
// Commands only an FTP client sends first: they settle a "220" greeting as FTP.
constexpr std::array<std::string_view, 14> kFtpOnly{"USER", "FEAT", "SYST", "OPTS", "CLNT",
                                                    "PASV", "EPSV", "PORT", "EPRT", "PWD",
                                                    "CWD",  "TYPE", "HOST", "PBSZ"};
// And only an SMTP client.
constexpr std::array<std::string_view, 3> kSmtpOnly{"MAIL", "STARTTLS", "RCPT"};

}  // namespace

void ClientSide::feed(std::span<const std::byte> in, SharedState& shared,
                      const Reporter& reporter) {
  if (!started_ && !in.empty()) {
    started_ = true;
    if (!opening::is_text_start(in[0])) {
      state_ = State::Done;
      return;
    }
  }
  while (state_ != State::Done && !in.empty()) {
    if (http_ && http_->in_body()) {
      http_->skip_body(in);
      continue;
    }
    const auto before = in.size();
    const auto line = reader_.next(in);
    if (state_ == State::Resync) resync_bytes_ += before - in.size();
    if (!line) break;
    on_line(*line, shared, reporter);
  }
  if (state_ == State::Resync && resync_bytes_ > kMaxResyncBytes) state_ = State::Done;
}

void ClientSide::on_gap(std::uint64_t length, const Reporter& reporter) {
  if (state_ == State::Http && http_->in_body() && http_->on_gap(length)) return;
  reader_.reset();
  header_.flush(reporter);
  if (state_ == State::Opening || state_ == State::Http || state_ == State::Resync) {
    // HTTP (or an SSH identification) may still come back after the hole.
    state_ = State::Resync;
    http_.reset();
    resync_bytes_ = 0;
  } else {
    state_ = State::Done;
  }
}

void ClientSide::finish(SharedState& shared, const Reporter& reporter) {
  if (state_ != State::Done) {
    if (const auto line = reader_.flush()) on_line(*line, shared, reporter);
  }
  header_.flush(reporter);
  state_ = State::Done;
}

void ClientSide::on_line(const LineReader::Line& line, SharedState& shared,
                         const Reporter& reporter) {
  switch (state_) {
    case State::Opening:
      opening_line(line, shared, reporter);
      break;
    case State::Http:
      http_line(line, reporter);
      break;
    case State::Smtp:
      smtp_line(line, reporter);
      break;
    case State::SmtpHeaders:
      header_line(line, reporter);
      break;
    case State::Ftp:
      ftp_line(line, shared, reporter);
      break;
    case State::Resync:
      resync_line(line, shared, reporter);
      break;
    case State::Done:
      break;
  }
}

void ClientSide::opening_line(const LineReader::Line& line, SharedState& shared,
                              const Reporter& reporter) {
  const auto text = line.text;
  if (text::trim(text).empty()) {
    if (++lines_ > kMaxLeadingEmptyLines) state_ = State::Done;
    return;
  }
  lines_ = 0;
  if (opening::is_ssh_identification(text)) {
    reporter.report(Role::Client, Protocol::Ssh, Field::Ident, text, line.truncated);
    state_ = State::Done;
    return;
  }
  if (opening::is_http_request_line(text)) {
    start_http(line, shared, reporter);
    return;
  }
  const auto command = opening::command_of(text);
  if (is_one_of(command, kHelo) || is_one_of(command, kSmtpOnly)) {
    shared.resolve_greeting(Protocol::Smtp, reporter);
    state_ = State::Smtp;
    smtp_line(line, reporter);
    return;
  }
  if (!shared.server_protocol) {
    state_ = State::Done;
    return;
  }
  switch (*shared.server_protocol) {
    case Protocol::Smtp:
      state_ = State::Smtp;
      smtp_line(line, reporter);
      break;
    case Protocol::Ftp:
    case Protocol::SmtpOrFtp:
      state_ = State::Ftp;
      ftp_line(line, shared, reporter);
      break;
    case Protocol::Ssh:
    case Protocol::Http:
    case Protocol::Pop3:
    case Protocol::Imap:
      state_ = State::Done;  // nothing the client of these says names its software
      break;
  }
}

void ClientSide::resync_line(const LineReader::Line& line, SharedState& shared,
                             const Reporter& reporter) {
  if (opening::is_ssh_identification(line.text)) {
    reporter.report(Role::Client, Protocol::Ssh, Field::Ident, line.text, line.truncated);
    state_ = State::Done;
  } else if (opening::is_http_request_line(line.text)) {
    start_http(line, shared, reporter);
  }
}

void ClientSide::start_http(const LineReader::Line& line, SharedState& shared,
                            const Reporter& reporter) {
  http_.emplace(HttpScanner::Side::Request, shared.requests);
  state_ = State::Http;
  http_line(line, reporter);
}

void ClientSide::http_line(const LineReader::Line& line, const Reporter& reporter) {
  const auto event = http_->on_line(line);
  if (event && event->kind == HttpEvent::Kind::Continuation) {
    header_.append(event->value, event->truncated);
    return;
  }
  header_.flush(reporter);
  if (event && event->kind == HttpEvent::Kind::Header && text::iequals(event->name, "User-Agent")) {
    header_.start(Role::Client, Protocol::Http, Field::UserAgent, event->value, event->truncated);
  }
  if (http_->stopped()) state_ = State::Done;
}

void ClientSide::smtp_line(const LineReader::Line& line, const Reporter& reporter) {
  if (++lines_ > kMaxSmtpCommands) {
    state_ = State::Done;
    return;
  }
  const auto command = opening::command_of(line.text);
  if (is_one_of(command, kHelo)) {
    reporter.report(Role::Client, Protocol::Smtp, Field::Helo, text::trim(line.text),
                    line.truncated);
  } else if (text::iequals(command, "STARTTLS")) {
    state_ = State::Done;  // TLS from here on
  } else if (text::iequals(command, "DATA") || text::iequals(command, "BDAT")) {
    state_ = State::SmtpHeaders;  // the message follows, headers first
    lines_ = 0;
  }
}

void ClientSide::header_line(const LineReader::Line& line, const Reporter& reporter) {
  const auto text = line.text;
  if (!text.empty() && text::is_blank(text.front())) {
    header_.append(text, line.truncated);  // a folded continuation
    return;
  }
  header_.flush(reporter);
  // The headers end at the first empty line (or the message at a lone dot).
  if (text.empty() || text == "." || ++lines_ > kMaxMessageHeaderLines) {
    state_ = State::Done;
    return;
  }
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) return;
  const auto name = text::trim(text.substr(0, colon));
  const auto value = text::trim(text.substr(colon + 1));
  if (text::iequals(name, "X-Mailer")) {
    header_.start(Role::Client, Protocol::Smtp, Field::Mailer, value, line.truncated);
  } else if (text::iequals(name, "User-Agent")) {
    header_.start(Role::Client, Protocol::Smtp, Field::UserAgent, value, line.truncated);
  }
}

void ClientSide::ftp_line(const LineReader::Line& line, SharedState& shared,
                          const Reporter& reporter) {
  if (++lines_ > kMaxFtpCommands) {
    state_ = State::Done;
    return;
  }
  const auto command = opening::command_of(line.text);
  if (is_one_of(command, kFtpOnly) ||
      (text::iequals(command, "AUTH") &&
       (text::istarts_with(opening::argument_of(line.text), "TLS") ||
        text::istarts_with(opening::argument_of(line.text), "SSL")))) {
    shared.resolve_greeting(Protocol::Ftp, reporter);
  }
  if (text::iequals(command, "CLNT")) {
    reporter.report(Role::Client, Protocol::Ftp, Field::Clnt, text::trim(line.text),
                    line.truncated);
    state_ = State::Done;
  } else if (text::iequals(command, "AUTH")) {
    state_ = State::Done;  // TLS (or a SASL exchange) from here on
  }
}

}  // namespace flowkit::versiondetect
