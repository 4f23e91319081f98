#include "report.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <cerrno>

#include "audit_log.h"
#include "excerpt.h"
#include "flowkit/flow_key.h"
#include "flowkit/time_format.h"

namespace flowkit::flowgrep {

namespace {

using nlohmann::json;

void put_ends(json& j, const FlowEnds& ends) {
  j["proto"] = ends.protocol;
  j["src"] = ends.src.to_string();
  j["src_port"] = ends.src_port;
  j["dst"] = ends.dst.to_string();
  j["dst_port"] = ends.dst_port;
}

std::string ends_text(const FlowEnds& ends) {
  return fmt::format("{} {} > {}", ends.protocol, endpoint_to_string(ends.src, ends.src_port),
                     endpoint_to_string(ends.dst, ends.dst_port));
}

std::string dump(const json& j) {
  // Excerpts are already escaped to ASCII; replace anything else rather than throw.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

void Report::line(const std::string& text) {
  // One stdio call per line: stdio locks the stream per call, so threads never tear a line.
  const std::string with_newline = text + '\n';
  if (std::fputs(with_newline.c_str(), out_) < 0 || std::fflush(out_) != 0) {
    int expected = 0;
    write_error_.compare_exchange_strong(expected, errno != 0 ? errno : EIO);
  }
}

void Report::audit_to(AuditSink* sink, std::string match_action) {
  audit_ = sink;
  match_action_ = std::move(match_action);
}

void Report::match(const MatchEvent& e) {
  if (audit_ != nullptr) audit_->write(AuditSeverity::Notice, audit_line(e, match_action_));
  if (json_) {
    json j;
    j["type"] = "match";
    j["ts"] = format_iso8601(e.ts);
    j["connection"] = e.connection;
    put_ends(j, e.ends);
    j["direction"] = e.direction;
    j["pattern_id"] = e.pattern_id;
    j["pattern"] = e.pattern;
    if (e.start_known) j["start"] = e.start;
    j["end"] = e.end;
    j["excerpt"] = escape_bytes(e.excerpt);
    line(dump(j));
    return;
  }
  line(
      fmt::format("{} {} {} match #{} /{}/ at {}: \"{}\"", format_iso8601(e.ts), ends_text(e.ends),
                  e.direction, e.pattern_id, escape_bytes(e.pattern, 120, false),
                  e.start_known ? fmt::format("{}-{}", e.start, e.end) : fmt::format("..{}", e.end),
                  escape_bytes(e.excerpt)));
}

void Report::kill(const KillEvent& e) {
  if (audit_ != nullptr) {
    audit_->write(e.error.empty() ? AuditSeverity::Warning : AuditSeverity::Error, audit_line(e));
  }
  if (json_) {
    json j;
    j["type"] = e.dry_run ? "would-kill" : "kill";
    j["ts"] = format_iso8601(e.ts);
    j["connection"] = e.connection;
    put_ends(j, e.ends);
    j["round"] = e.round;
    json packets = json::array();
    for (const auto& p : e.packets) {
      packets.push_back({{"src", p.src.to_string()},
                         {"src_port", p.src_port},
                         {"dst", p.dst.to_string()},
                         {"dst_port", p.dst_port},
                         {"seq", p.seq},
                         {"ack", p.ack}});
    }
    j["rst"] = packets;
    if (!e.error.empty()) j["error"] = e.error;
    line(dump(j));
    return;
  }
  std::string rsts;
  for (const auto& p : e.packets) {
    rsts += fmt::format(" [{} > {} seq {}]", endpoint_to_string(p.src, p.src_port),
                        endpoint_to_string(p.dst, p.dst_port), p.seq);
  }
  line(fmt::format("{} {} {} round {}:{}{}", format_iso8601(e.ts), ends_text(e.ends),
                   e.dry_run ? "WOULD KILL" : "KILL", e.round, rsts,
                   e.error.empty() ? "" : " failed: " + e.error));
}

void Report::end(const EndEvent& e) {
  if (e.matches == 0 && !log_every_end_) return;
  if (json_) {
    json j;
    j["type"] = "end";
    j["ts"] = format_iso8601(e.ts);
    j["connection"] = e.connection;
    put_ends(j, e.ends);
    j["reason"] = std::string(to_string(e.reason));
    j["matches"] = e.matches;
    j["bytes_to_server"] = e.bytes_to_server;
    j["bytes_to_client"] = e.bytes_to_client;
    j["packets"] = e.packets;
    j["killed"] = e.killed;
    if (e.pcap_frames_lost > 0) j["pcap_frames_lost"] = e.pcap_frames_lost;
    line(dump(j));
    return;
  }
  line(fmt::format("{} {} END {} matches {} bytes {}/{}{}{}", format_iso8601(e.ts),
                   ends_text(e.ends), to_string(e.reason), e.matches, e.bytes_to_server,
                   e.bytes_to_client, e.killed ? " killed" : "",
                   e.pcap_frames_lost > 0
                       ? fmt::format(" (pcap: {} frames before the match did not fit the buffer)",
                                     e.pcap_frames_lost)
                       : ""));
}

void Report::note(Timestamp ts, std::uint64_t connection, const std::string& text) {
  if (json_) {
    json j{
        {"type", "note"}, {"ts", format_iso8601(ts)}, {"connection", connection}, {"text", text}};
    line(dump(j));
    return;
  }
  line(fmt::format("{} note: connection {}: {}", format_iso8601(ts), connection, text));
}

}  // namespace flowkit::flowgrep
