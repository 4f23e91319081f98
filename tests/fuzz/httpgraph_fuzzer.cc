// httpgraph's HTTP parsing: requests from the client stream and responses from the server
// stream (heads, chunked and length-framed bodies, pipelining, resynchronisation after holes),
// cut from the input. Each transaction goes into the browsing graph and both log formats; the
// graph is written as dot at the end. Log records must stay one line each.
#include <cstddef>
#include <cstdint>
#include <string>

#include "flowkit/httpgraph/browse_graph.h"
#include "flowkit/httpgraph/dot_writer.h"
#include "flowkit/httpgraph/http_collector.h"
#include "flowkit/httpgraph/log_fields.h"
#include "flowkit/httpgraph/request_log.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace flowkit;
  using namespace flowkit::httpgraph;
  fuzz::ByteReader in(data, size);
  const std::uint8_t graph_options = in.u8();
  const auto script = fuzz::StreamScript::decode(in);

  GraphOptions options;
  options.keep_query = (graph_options & 1U) != 0;
  options.hosts = (graph_options & 2U) != 0;
  options.max_nodes = 8;
  options.max_edges = 8;
  BrowseGraph graph(options);
  auto fields = all_builtin_fields();
  fields.push_back(LogField{FieldId::Header, "cookie"});
  const RequestLog text(RequestLog::Format::Text, fields);
  const RequestLog json(RequestLog::Format::Json, fields);
  CollectorOptions collector_options;
  collector_options.capture_headers = header_fields(fields);
  collector_options.max_pending = 4;

  HttpCollector collector(collector_options, [&](const Transaction& t) {
    graph.add(t);
    for (const RequestLog* log : {&text, &json}) {
      const std::string line = log->line(t);
      if (line.empty() || line.back() != '\n' || line.find('\n') != line.size() - 1) {
        fuzz::fail("log record is not exactly one line");
      }
      fuzz::touch_text(line);
    }
  });
  fuzz::run_stream_script(script, collector);
  const std::string dot = write_dot(graph, DotOptions{});
  fuzz::touch_text(dot);
  return 0;
}
