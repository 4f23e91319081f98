#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "flowkit/handler.h"
#include "flowkit/httpgraph/transaction.h"

namespace flowkit::httpgraph {

struct CollectorOptions {
  /// Extra request headers to keep in HttpRequest::extra (names in lower case).
  std::vector<std::string> capture_headers;
  /// Requests of one connection waiting for their responses; beyond it the oldest is reported
  /// without one (a capture of the client side only must not grow without bound).
  std::size_t max_pending = 256;
};

/// What the collector saw, for the statistics printed at the end of a run.
struct CollectorStats {
  std::uint64_t http_connections = 0;     ///< connections in which a request was found
  std::uint64_t other_connections = 0;    ///< given up: the client did not open with a request
  std::uint64_t requests = 0;             ///< transactions reported
  std::uint64_t answered = 0;             ///< ... of which with a response
  std::uint64_t unmatched_responses = 0;  ///< responses with no request to pair with
  std::uint64_t switched = 0;             ///< CONNECT tunnels and protocol upgrades (101)
  std::uint64_t resyncs = 0;              ///< times a stream lost sync (gaps, broken framing)
  std::uint64_t oversized_heads = 0;      ///< heads larger than kMaxHeadBytes, skipped

  CollectorStats& operator+=(const CollectorStats& o) noexcept {
    http_connections += o.http_connections;
    other_connections += o.other_connections;
    requests += o.requests;
    answered += o.answered;
    unmatched_responses += o.unmatched_responses;
    switched += o.switched;
    resyncs += o.resyncs;
    oversized_heads += o.oversized_heads;
    return *this;
  }
};

/// The flowkit Handler that turns TCP connections into HTTP transactions: requests parsed from
/// the client's stream (whatever the port: HTTP is recognised by its request line), each paired
/// in order with its response from the server's stream, then handed to `sink` once its response
/// head arrived, or when it is known none will be seen (lost, or the connection ended).
class HttpCollector final : public Handler {
 public:
  using Sink = std::function<void(const Transaction&)>;

  HttpCollector(CollectorOptions options, Sink sink);

  void on_established(Connection& conn) override;
  std::size_t on_data(Connection& conn, Direction dir, const StreamChunk& chunk) override;
  void on_gap(Connection& conn, Direction dir, std::uint64_t offset, std::uint64_t length,
              GapReason reason) override;
  void on_end(Connection& conn, EndReason reason) override;

  [[nodiscard]] const CollectorStats& stats() const noexcept { return stats_; }

 private:
  class ConnectionState;
  friend class ConnectionState;

  void emit(const Transaction& transaction);
  /// Stops collecting a connection that is not (or no longer) HTTP.
  void give_up(Connection& conn, ConnectionState& state);

  CollectorOptions options_;
  Sink sink_;
  CollectorStats stats_;
};

}  // namespace flowkit::httpgraph
