#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "reporter.h"

namespace flowkit::versiondetect {

/// A header worth reporting, held until the next line shows whether it goes on: HTTP and mail
/// headers may be folded over several lines ("User-Agent: Mozilla/5.0 ...\r\n Thunderbird/38").
/// Unfolding joins the lines without the CR LF, as RFC 5322 says.
class FoldedHeader {
 public:
  void start(Role role, Protocol protocol, Field field, std::string_view value, bool truncated);
  /// A line starting with a blank: continues the held header, if any.
  void append(std::string_view line, bool truncated);
  /// Reports the held header, if any.
  void flush(const Reporter& reporter);

 private:
  struct Held {
    Role role;
    Protocol protocol;
    Field field;
    std::string value;  // at most kMaxBannerBytes + 1: enough for the reporter to see the cut
    bool truncated;
  };
  std::optional<Held> held_;
};

}  // namespace flowkit::versiondetect
