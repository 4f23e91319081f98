// versiondetect's banner parsers (SSH identification, HTTP heads, SMTP/FTP/POP3/IMAP greetings
// and commands) on a client and a server byte stream cut from the input, with lost segments, on
// a port the input picks. Every sighting is formatted as text and JSON and added to the
// inventory, whose summary is printed at the end: escaping must keep every output one clean line.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "flowkit/versiondetect/detector.h"
#include "flowkit/versiondetect/inventory.h"
#include "flowkit/versiondetect/sighting_format.h"
#include "flowkit/versiondetect/summary.h"
#include "fuzz_support.h"

namespace {

using namespace flowkit;
using namespace flowkit::versiondetect;

class CheckingSink final : public SightingSink {
 public:
  void on_sighting(const Sighting& s) override {
    if (s.banner.size() > kMaxBannerBytes) fuzz::fail("banner longer than kMaxBannerBytes");
    const std::string line = format_text(s);
    if (line.find_first_of("\r\n") != std::string::npos) fuzz::fail("text output spans lines");
    const std::string json = to_json(s).dump();
    if (json.find('\n') != std::string::npos) fuzz::fail("JSON output spans lines");
    fuzz::touch_text(line);
    fuzz::touch_text(json);
    inventory.add(s);
  }
  Inventory inventory;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::ByteReader in(data, size);
  const auto script = fuzz::StreamScript::decode(in);
  CheckingSink sink;
  Detector detector(sink);
  fuzz::run_stream_script(script, detector);

  const auto rows = sink.inventory.rows();
  for (const auto& row : rows) {
    const std::string json = to_json(row).dump();
    fuzz::touch_text(json);
  }
  static std::FILE* const devnull = std::fopen("/dev/null", "w");
  print_summary_table(devnull, rows);
  return 0;
}
