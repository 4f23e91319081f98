#include "flowkit/httpgraph/http_collector.h"

#include <deque>
#include <memory>
#include <optional>
#include <utility>

#include "flowkit/connection.h"
#include "flowkit/httpgraph/ascii.h"
#include "flowkit/httpgraph/request_stream.h"
#include "flowkit/httpgraph/response_stream.h"

namespace flowkit::httpgraph {

/// Both directions of one connection and the requests waiting for their responses, in order
/// (HTTP/1.x answers pipelined requests in the order they were sent).
class HttpCollector::ConnectionState final : public ConnectionData,
                                             public RequestSink,
                                             public ResponseSink {
 public:
  ConnectionState(HttpCollector& owner, const Connection& conn)
      : owner_(owner),
        flow_(conn.key()),
        id_(conn.id()),
        requests_(!conn.midstream(), owner.options_.capture_headers) {}

  RequestStream& requests() noexcept { return requests_; }
  ResponseStream& responses() noexcept { return responses_; }
  [[nodiscard]] bool switched() const noexcept { return switched_; }

  /// How much of the server's stream the client had received when it sent what is being fed
  /// (from its ACK): a response to a request starts at or after that point.
  void set_client_received(std::uint64_t offset) noexcept { client_received_ = offset; }
  /// The server stream offset where the bytes being reported lost end (during a gap).
  void set_lost_until(std::optional<std::uint64_t> offset) noexcept { lost_until_ = offset; }

  void on_request(HttpRequest&& request) override { push(std::move(request)); }

  void on_request_lost() override { push(std::nullopt); }  // absorbs the lost one's response

  Answered on_response(HttpResponse&& response) override {
    if (pending_.empty()) {
      ++owner_.stats_.unmatched_responses;
      return Answered::Unknown;
    }
    std::optional<HttpRequest> request = std::move(pending_.front().request);
    pending_.pop_front();
    if (!request) {
      ++owner_.stats_.unmatched_responses;
      return Answered::Unknown;
    }
    const Answered answered = request->method == "HEAD"      ? Answered::Head
                              : request->method == "CONNECT" ? Answered::Connect
                                                             : Answered::Other;
    const int code = response.status;
    if (code == 101 || (answered == Answered::Connect && code >= 200 && code < 300)) {
      switched_ = true;
    }
    ++owner_.stats_.answered;
    owner_.emit(Transaction{flow_, id_, std::move(*request), std::move(response)});
    return answered;
  }

  void on_response_lost() override {
    // A request sent after the client had received everything up to the end of the lost bytes
    // is answered later in the stream, so it keeps its place; any other may have been answered
    // by what was lost and is reported without a response rather than risk a wrong one. Junk
    // in the stream (no gap) has no known end: everything waiting goes.
    while (!pending_.empty() && (!lost_until_ || pending_.front().client_received < *lost_until_)) {
      release_oldest();
    }
  }

  /// Reports every waiting request without a response.
  void release_all() {
    while (!pending_.empty()) release_oldest();
  }

 private:
  struct Pending {
    std::optional<HttpRequest> request;  ///< nullopt: a request the capture lost
    std::uint64_t client_received = 0;
  };

  void push(std::optional<HttpRequest> request) {
    if (pending_.size() >= owner_.options_.max_pending) release_oldest();
    pending_.push_back({std::move(request), client_received_});
  }

  void release_oldest() {
    if (pending_.front().request) {
      owner_.emit(Transaction{flow_, id_, std::move(*pending_.front().request), std::nullopt});
    }
    pending_.pop_front();
  }

  HttpCollector& owner_;
  FlowKey flow_;
  std::uint64_t id_;
  RequestStream requests_;
  ResponseStream responses_;
  std::deque<Pending> pending_;
  std::uint64_t client_received_ = 0;
  std::optional<std::uint64_t> lost_until_;
  bool switched_ = false;
};

namespace {

// The server stream offset the client's latest ACK stands for. Sequence numbers are 32 bits;
// the ACK's distance from the next byte to be delivered anchors it to the 64-bit offsets.
std::uint64_t client_received(const Connection& conn) {
  const HalfStreamState& client = conn.half(Direction::ToServer);
  const HalfStreamState& server = conn.half(Direction::ToClient);
  if (!client.ack_seen) return 0;
  const auto delta = static_cast<std::int32_t>(client.last_ack - server.next_seq);
  if (delta < 0 &&
      static_cast<std::uint64_t>(-static_cast<std::int64_t>(delta)) > server.delivered) {
    return 0;
  }
  return server.delivered + static_cast<std::uint64_t>(static_cast<std::int64_t>(delta));
}

}  // namespace

HttpCollector::HttpCollector(CollectorOptions options, Sink sink)
    : options_(std::move(options)), sink_(std::move(sink)) {
  for (auto& name : options_.capture_headers) name = to_lower(name);
}

void HttpCollector::emit(const Transaction& transaction) {
  ++stats_.requests;
  if (sink_) sink_(transaction);
}

void HttpCollector::on_established(Connection& conn) {
  conn.set_data(std::make_unique<ConnectionState>(*this, conn));
}

void HttpCollector::give_up(Connection& conn, ConnectionState& state) {
  state.requests().stop();
  state.responses().stop();
  conn.collect(Direction::ToServer, false);
  conn.collect(Direction::ToClient, false);
}

std::size_t HttpCollector::on_data(Connection& conn, Direction dir, const StreamChunk& chunk) {
  auto* state = conn.data<ConnectionState>();
  if (state == nullptr) return chunk.bytes.size();
  const std::string_view bytes = as_text(chunk.bytes);
  std::size_t used = 0;
  if (dir == Direction::ToServer) {
    state->set_client_received(client_received(conn));
    used = state->requests().feed(bytes, chunk.offset, conn.last_seen(), *state);
    if (state->requests().stopped() && !state->switched()) give_up(conn, *state);
  } else {
    used = state->responses().feed(bytes, chunk.offset, conn.last_seen(), *state);
  }
  if (state->switched()) give_up(conn, *state);
  return used;
}

void HttpCollector::on_gap(Connection& conn, Direction dir, std::uint64_t offset,
                           std::uint64_t length, GapReason /*reason*/) {
  auto* state = conn.data<ConnectionState>();
  if (state == nullptr) return;
  if (dir == Direction::ToServer) {
    state->requests().lost(length, *state);
  } else {
    state->set_lost_until(offset + length);
    state->responses().lost(length, *state);
    state->set_lost_until(std::nullopt);
  }
}

void HttpCollector::on_end(Connection& conn, EndReason /*reason*/) {
  auto* state = conn.data<ConnectionState>();
  if (state == nullptr) return;
  state->release_all();
  const auto& rq = state->requests().counters();
  const auto& rs = state->responses().counters();
  if (state->requests().is_http()) {
    ++stats_.http_connections;
    // Only HTTP connections count: a server banner before an SMTP client gives up is no news.
    stats_.resyncs += rq.resyncs + rs.resyncs;
    stats_.oversized_heads += rq.oversized_heads + rs.oversized_heads;
  } else if (state->requests().stopped()) {
    ++stats_.other_connections;
  }
  if (state->switched()) ++stats_.switched;
  conn.set_data(nullptr);
}

}  // namespace flowkit::httpgraph
