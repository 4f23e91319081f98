#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

// ASCII helpers for protocol text. Banners are bytes, not UTF-8: nothing here depends on the
// locale, and bytes >= 0x80 are simply "not a letter".
namespace flowkit::versiondetect::text {

[[nodiscard]] constexpr bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}
[[nodiscard]] constexpr bool is_alpha(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
[[nodiscard]] constexpr bool is_alnum(char c) noexcept {
  return is_digit(c) || is_alpha(c);
}
[[nodiscard]] constexpr bool is_blank(char c) noexcept {
  return c == ' ' || c == '\t';
}
[[nodiscard]] constexpr char to_lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

[[nodiscard]] std::string_view trim(std::string_view s) noexcept;
[[nodiscard]] bool iequals(std::string_view a, std::string_view b) noexcept;
[[nodiscard]] bool istarts_with(std::string_view s, std::string_view prefix) noexcept;
/// Position of `needle` in `haystack`, ignoring ASCII case; npos when absent.
[[nodiscard]] std::size_t ifind(std::string_view haystack, std::string_view needle,
                                std::size_t from = 0) noexcept;
/// At most `limit` leading bytes of `s`.
[[nodiscard]] std::string bounded(std::string_view s, std::size_t limit);
/// The bytes as characters (protocol text is handled as raw bytes).
[[nodiscard]] std::string_view as_chars(std::span<const std::byte> bytes) noexcept;

}  // namespace flowkit::versiondetect::text
