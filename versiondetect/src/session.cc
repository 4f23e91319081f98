#include "session.h"

namespace flowkit::versiondetect {

void Session::feed(Direction dir, std::span<const std::byte> bytes, const Reporter& reporter) {
  if (dir == Direction::ToClient) {
    server_.feed(bytes, shared_, reporter);
    // POP3 and IMAP clients never name their software before logging in.
    if (shared_.server_protocol == Protocol::Pop3 || shared_.server_protocol == Protocol::Imap) {
      client_.stop();
    }
  } else {
    client_.feed(bytes, shared_, reporter);
  }
}

void Session::on_gap(Direction dir, std::uint64_t length, const Reporter& reporter) {
  if (dir == Direction::ToClient) {
    server_.on_gap(length, shared_, reporter);
  } else {
    client_.on_gap(length, reporter);
  }
}

void Session::finish(const Reporter& reporter) {
  if (finished_) return;
  finished_ = true;
  server_.finish(shared_, reporter);
  client_.finish(shared_, reporter);
  if (shared_.pending_greeting) shared_.resolve_greeting(Protocol::SmtpOrFtp, reporter);
}

bool Session::done(Direction dir) const noexcept {
  return dir == Direction::ToClient ? server_.done() : client_.done();
}

}  // namespace flowkit::versiondetect
