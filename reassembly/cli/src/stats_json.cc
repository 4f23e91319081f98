#include "flowkit/cli/stats_json.h"

#include <fmt/format.h>

#include <cerrno>
#include <system_error>

#include "flowkit/cli/capture_options.h"

namespace flowkit::cli {

nlohmann::json stats_to_json(std::string_view tool, const Stats& s, const PacketSource& source) {
  nlohmann::json drops = nlohmann::json::object();
  std::uint64_t dropped = 0;
  for (std::size_t i = 0; i < s.drops.size(); ++i) {
    drops[std::string(to_string(static_cast<DropReason>(i)))] = s.drops[i];
    dropped += s.drops[i];
  }
  nlohmann::json j = {
      {"tool", tool},
      {"interrupted", interrupted()},
      {"packets", s.packets},
      {"bytes", s.bytes},
      {"connections",
       {{"opened", s.connections_opened},
        {"closed", s.connections_closed},
        {"reset", s.connections_reset},
        {"timed_out", s.connections_timed_out},
        {"evicted", s.connections_evicted}}},
      {"stream_bytes", s.stream_bytes_delivered},
      {"gaps", s.gaps},
      {"gap_bytes", s.gap_bytes},
      {"dropped", dropped},
      {"drops", drops},
      {"filtered_out", source.filtered_out()},
  };
  if (source.live()) j["kernel_drops"] = source.kernel_drops();
  return j;
}

StatsJsonFile::StatsJsonFile(const std::string& path) : path_(path) {
  if (!path.empty()) file_ = open_output_file(path);
}

void StatsJsonFile::write(const nlohmann::json& stats) {
  if (!file_) return;
  const std::string text = stats.dump(2) + '\n';
  const bool written = std::fputs(text.c_str(), file_.get()) >= 0;
  const int error = errno;
  std::FILE* f = file_.release();
  const bool closed = std::fclose(f) == 0;
  if (!written || !closed) {
    throw CaptureError(fmt::format("{}: cannot write: {}", path_,
                                   std::generic_category().message(written ? errno : error)));
  }
}

}  // namespace flowkit::cli
