#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "report.h"

namespace flowkit::flowgrep {

enum class AuditSeverity : std::uint8_t { Notice, Warning, Error };

/// Where the audit trail of matches and kills goes (--syslog). An interface so that tests can
/// look at what would reach syslog. Implementations must be thread-safe: the engines of all
/// reassembly threads share one.
class AuditSink {
 public:
  AuditSink() = default;
  AuditSink(const AuditSink&) = delete;
  AuditSink& operator=(const AuditSink&) = delete;
  virtual ~AuditSink() = default;
  virtual void write(AuditSeverity severity, std::string_view line) = 0;
};

/// The syslog(3) facility called `name`: user, daemon, local0 ... local7.
[[nodiscard]] std::optional<int> syslog_facility(std::string_view name);

/// Audit lines to the system log through openlog(3)/syslog(3) (the /dev/log socket), tagged
/// `tag` with the process id. Matches are LOG_NOTICE, kills LOG_WARNING, failed kills LOG_ERR.
/// One per process: syslog(3) keeps a single identity.
class SyslogSink final : public AuditSink {
 public:
  SyslogSink(std::string tag, int facility);
  ~SyslogSink() override;
  void write(AuditSeverity severity, std::string_view line) override;

 private:
  std::string tag_;  // openlog keeps a pointer to it
};

/// One line per match, key=value:
///   match ts=2023-11-14T22:13:24.004000Z connection=5 proto=tcp src=192.168.1.102:51008
///   dst=192.168.1.10:80 direction=to-server pattern_id=0 pattern=/hunter2/ action=kill
/// `action` is what flowgrep does about it: log, kill or would-kill (a dry run).
[[nodiscard]] std::string audit_line(const MatchEvent& e, std::string_view action);

/// One line per kill round:
///   kill ts=... connection=5 proto=tcp client=192.168.1.102:51008 server=192.168.1.10:80
///   round=1 rst=4 action=rst-sent
/// with action would-kill in a dry run and rst-failed error="..." when injection failed.
[[nodiscard]] std::string audit_line(const KillEvent& e);

}  // namespace flowkit::flowgrep
