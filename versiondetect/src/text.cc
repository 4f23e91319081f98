#include "text.h"

#include <algorithm>

namespace flowkit::versiondetect::text {

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (is_blank(s.front()) || s.front() == '\r' || s.front() == '\n')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (is_blank(s.back()) || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return to_lower(x) == to_lower(y);
         });
}

bool istarts_with(std::string_view s, std::string_view prefix) noexcept {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

std::size_t ifind(std::string_view haystack, std::string_view needle, std::size_t from) noexcept {
  if (needle.size() > haystack.size()) return std::string_view::npos;
  for (std::size_t i = from; i + needle.size() <= haystack.size(); ++i) {
    if (iequals(haystack.substr(i, needle.size()), needle)) return i;
  }
  return std::string_view::npos;
}

std::string bounded(std::string_view s, std::size_t limit) {
  return std::string(s.substr(0, std::min(s.size(), limit)));
}

std::string_view as_chars(std::span<const std::byte> bytes) noexcept {
  // std::byte and char have the same representation; reading bytes through char is allowed.
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

}  // namespace flowkit::versiondetect::text
