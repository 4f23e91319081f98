#include "audit_log.h"

#include <fmt/format.h>
#include <syslog.h>

#include <array>
#include <utility>

#include "excerpt.h"
#include "flowkit/flow_key.h"
#include "flowkit/time_format.h"

namespace flowkit::flowgrep {

namespace {

struct FacilityName {
  std::string_view name;
  int facility;
};

constexpr std::array kFacilities{
    FacilityName{"user", LOG_USER},     FacilityName{"daemon", LOG_DAEMON},
    FacilityName{"local0", LOG_LOCAL0}, FacilityName{"local1", LOG_LOCAL1},
    FacilityName{"local2", LOG_LOCAL2}, FacilityName{"local3", LOG_LOCAL3},
    FacilityName{"local4", LOG_LOCAL4}, FacilityName{"local5", LOG_LOCAL5},
    FacilityName{"local6", LOG_LOCAL6}, FacilityName{"local7", LOG_LOCAL7},
};

int priority(AuditSeverity severity) {
  switch (severity) {
    case AuditSeverity::Notice:
      return LOG_NOTICE;
    case AuditSeverity::Warning:
      return LOG_WARNING;
    case AuditSeverity::Error:
      return LOG_ERR;
  }
  return LOG_NOTICE;
}

}  // namespace

std::optional<int> syslog_facility(std::string_view name) {
  for (const auto& f : kFacilities) {
    if (f.name == name) return f.facility;
  }
  return std::nullopt;
}

SyslogSink::SyslogSink(std::string tag, int facility) : tag_(std::move(tag)) {
  // LOG_NDELAY connects now; syslog(3) reconnects by itself if the daemon restarts.
  ::openlog(tag_.c_str(), LOG_PID | LOG_NDELAY, facility);
}

SyslogSink::~SyslogSink() {
  ::closelog();
}

void SyslogSink::write(AuditSeverity severity, std::string_view line) {
  const std::string text(line);
  ::syslog(priority(severity), "%s", text.c_str());  // syslog(3) is thread-safe
}

std::string audit_line(const MatchEvent& e, std::string_view action) {
  return fmt::format(
      "match ts={} connection={} proto={} src={} dst={} direction={} pattern_id={} "
      "pattern=/{}/ action={}",
      format_iso8601(e.ts), e.connection, e.ends.protocol,
      endpoint_to_string(e.ends.src, e.ends.src_port),
      endpoint_to_string(e.ends.dst, e.ends.dst_port), e.direction, e.pattern_id,
      escape_bytes(e.pattern, 120, false), action);
}

std::string audit_line(const KillEvent& e) {
  const std::string action =
      e.dry_run         ? "would-kill"
      : e.error.empty() ? "rst-sent"
                        : fmt::format("rst-failed error=\"{}\"", escape_bytes(e.error, 200));
  return fmt::format(
      "kill ts={} connection={} proto={} client={} server={} round={} rst={} "
      "action={}",
      format_iso8601(e.ts), e.connection, e.ends.protocol,
      endpoint_to_string(e.ends.src, e.ends.src_port),
      endpoint_to_string(e.ends.dst, e.ends.dst_port), e.round, e.packets.size(), action);
}

}  // namespace flowkit::flowgrep
