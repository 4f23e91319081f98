#include "flowkit/overlap_policy.h"

#include <algorithm>
#include <array>
#include <utility>

namespace flowkit {
namespace {

constexpr std::array<std::pair<std::string_view, OverlapPolicy>, 6> kPolicyNames{{
    {"first", OverlapPolicy::First},
    {"last", OverlapPolicy::Last},
    {"bsd", OverlapPolicy::Bsd},
    {"linux", OverlapPolicy::Linux},
    {"windows", OverlapPolicy::Windows},
    {"solaris", OverlapPolicy::Solaris},
}};

constexpr char ascii_lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

constexpr bool equals_ignoring_case(std::string_view text, std::string_view lower) noexcept {
  return std::ranges::equal(text, lower, [](char a, char b) { return ascii_lower(a) == b; });
}

}  // namespace

std::string_view to_string(OverlapPolicy policy) noexcept {
  for (const auto& [name, value] : kPolicyNames) {
    if (value == policy) return name;
  }
  return "?";
}

std::optional<OverlapPolicy> parse_overlap_policy(std::string_view name) noexcept {
  for (const auto& [known, value] : kPolicyNames) {
    if (equals_ignoring_case(name, known)) return value;
  }
  return std::nullopt;
}

}  // namespace flowkit
