#pragma once

#include <string>
#include <utility>
#include <vector>

#include "flowkit/timestamp.h"

namespace flowkit::httpgraph {

/// What httpgraph keeps of one request. Every string is bounded (kMaxFieldLength) and raw:
/// escaping is the job of each output.
struct HttpRequest {
  Timestamp time{};  ///< packet time of the segment that completed the head
  std::string method;
  std::string target;   ///< the request-target exactly as sent
  std::string version;  ///< "HTTP/1.1"
  std::string host;     ///< Host header ("" when absent)
  bool has_host = false;
  std::string referer;  ///< Referer header ("" when absent)
  bool has_referer = false;
  std::string user_agent;
  /// Other request headers asked for (e.g. by log fields), name in lower case; first
  /// occurrence only.
  std::vector<std::pair<std::string, std::string>> extra;
};

/// What httpgraph keeps of the final response to a request.
struct HttpResponse {
  Timestamp time{};
  std::string version;
  int status = 0;
  std::string reason;
  std::string content_type;  ///< Content-Type header as sent ("" when absent)
};

}  // namespace flowkit::httpgraph
