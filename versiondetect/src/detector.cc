#include "flowkit/versiondetect/detector.h"

#include <memory>

#include "session.h"

namespace flowkit::versiondetect {

namespace {

void stop_finished_directions(Connection& conn, const Session& session) {
  for (const auto dir : {Direction::ToServer, Direction::ToClient}) {
    if (session.done(dir) && conn.half(dir).collect) conn.collect(dir, false);
  }
}

}  // namespace

void Detector::on_established(Connection& conn) {
  conn.set_data(std::make_unique<Session>());
}

std::size_t Detector::on_data(Connection& conn, Direction dir, const StreamChunk& chunk) {
  // Lines are held by our own bounded reader, so everything offered is consumed: the core keeps
  // nothing for us, and a last line without LF is still seen at the end of the connection.
  if (auto* session = conn.data<Session>()) {
    session->feed(dir, chunk.bytes, Reporter(conn, *sink_));
    stop_finished_directions(conn, *session);
  }
  return chunk.bytes.size();
}

void Detector::on_gap(Connection& conn, Direction dir, std::uint64_t /*offset*/,
                      std::uint64_t length, GapReason /*reason*/) {
  if (auto* session = conn.data<Session>()) {
    session->on_gap(dir, length, Reporter(conn, *sink_));
    stop_finished_directions(conn, *session);
  }
}

void Detector::on_end(Connection& conn, EndReason /*reason*/) {
  if (auto* session = conn.data<Session>()) session->finish(Reporter(conn, *sink_));
}

}  // namespace flowkit::versiondetect
