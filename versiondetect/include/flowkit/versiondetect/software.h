#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>

namespace flowkit::versiondetect {

/// A version split the way Zeek's software framework does: up to four numbers and a free-form
/// rest. minor2 is what most projects call the patch level.
struct Version {
  std::optional<std::uint64_t> major;
  std::optional<std::uint64_t> minor;
  std::optional<std::uint64_t> minor2;
  std::optional<std::uint64_t> minor3;
  std::string addl;  ///< e.g. "p1", "Debian", "beta"; raw bytes from the wire, bounded

  [[nodiscard]] bool empty() const noexcept { return !major && !minor && addl.empty(); }
  friend auto operator<=>(const Version&, const Version&) = default;
};

/// "9.2.1.4-p1" (Zeek's format): the numbers present, then "-addl". Empty when nothing parsed.
/// addl is raw: escape it before printing.
[[nodiscard]] std::string to_string(const Version& v);

/// A piece of software recognised in a banner. `name` is empty when nothing was recognised.
struct Software {
  std::string name;  ///< raw bytes from the wire (or a canonical product name), bounded
  Version version;

  friend auto operator<=>(const Software&, const Software&) = default;
};

}  // namespace flowkit::versiondetect
