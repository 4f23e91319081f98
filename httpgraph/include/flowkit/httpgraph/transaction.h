#pragma once

#include <cstdint>
#include <optional>

#include "flowkit/flow_key.h"
#include "flowkit/httpgraph/http_message.h"

namespace flowkit::httpgraph {

/// One request with the response that answered it (when one was seen), and where it travelled.
struct Transaction {
  FlowKey flow;  ///< client = the request's sender
  std::uint64_t connection_id = 0;
  HttpRequest request;
  std::optional<HttpResponse> response;
};

}  // namespace flowkit::httpgraph
