#include "flowkit/versiondetect/version_parser.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <optional>

#include "flowkit/versiondetect/browser.h"
#include "text.h"

namespace flowkit::versiondetect {

namespace {

using text::is_digit;

// What a version run is made of (Zeek's character class [0-9\-\._, ]).
constexpr bool is_run_char(char c) noexcept {
  return is_digit(c) || c == '-' || c == '.' || c == '_' || c == ',' || c == ' ';
}
constexpr bool is_number_separator(char c) noexcept {
  return is_run_char(c) && !is_digit(c);
}
// What splits the words after a version when looking for addl.
constexpr bool is_addl_delimiter(char c) noexcept {
  constexpr std::string_view kDelimiters = " \t-._,;[](){}";
  return kDelimiters.find(c) != std::string_view::npos;
}

struct RunMatch {
  std::size_t begin = 0;      // where the name ends (the optional prefix starts here)
  std::size_t run_begin = 0;  // first version character
  std::size_t run_end = 0;
};

// The leftmost version run: a '/', " (" or " v" prefix (optional) followed by run characters
// including at least one digit; two characters at least unless a prefix announced it.
std::optional<RunMatch> find_version_run(std::string_view s) {
  const auto run_from = [&](std::size_t from, std::size_t& end) {
    bool digit = false;
    end = from;
    while (end < s.size() && is_run_char(s[end])) digit |= is_digit(s[end++]);
    return digit;
  };
  for (std::size_t i = 0; i < s.size(); ++i) {
    std::size_t start = i;
    if (s[i] == '/') {
      start = i + 1;
    } else if (s[i] == ' ' && i + 1 < s.size() && (s[i + 1] == '(' || s[i + 1] == 'v')) {
      start = i + 1;
      while (start < s.size() && (s[start] == '(' || s[start] == 'v')) ++start;
    }
    std::size_t end = 0;
    if (start != i && run_from(start, end) && end > start && is_digit(s[start])) {
      return RunMatch{i, start, end};
    }
    if (run_from(i, end) && end - i >= 2) return RunMatch{i, i, end};
  }
  return std::nullopt;
}

std::optional<std::uint64_t> to_number(std::string_view digits) {
  std::uint64_t value = 0;
  const auto* end = digits.data() + digits.size();
  const auto [ptr, ec] = std::from_chars(digits.data(), end, value);
  if (ec != std::errc() || ptr != end) return std::nullopt;  // overflow: not a usable number
  return value;
}

// Up to four numbers from a run such as "_9.2", "2.4.57 " or "10,2,153,1".
Version numbers_of(std::string_view run) {
  Version v;
  std::array<std::optional<std::uint64_t>*, 4> slots{&v.major, &v.minor, &v.minor2, &v.minor3};
  std::size_t i = 0;
  while (i < run.size() && !is_digit(run[i])) ++i;
  for (auto* slot : slots) {
    std::size_t end = i;
    while (end < run.size() && is_digit(run[end])) ++end;
    if (end == i) break;  // "2.4.2-" ends on a separator, "1..2" has an empty number
    *slot = to_number(run.substr(i, end - i));
    if (!*slot) break;
    if (end >= run.size() || !is_number_separator(run[end])) break;
    i = end + 1;
  }
  return v;
}

// Zeek's addl: the content of a leading "( ... )" made of plain words, otherwise the first
// non-empty word among the next few.
std::string addl_of(std::string_view rest) {
  rest = text::trim(rest);
  // "8.14.4/8.14.4": a second version, not a word about the first.
  if (rest.empty() || rest.front() == '/') return {};
  if (rest.front() == '(') {
    const auto close = rest.find(')');
    if (close != std::string_view::npos) {
      const auto inside = rest.substr(1, close - 1);
      const bool plain = std::all_of(inside.begin(), inside.end(), [](char c) {
        return text::is_alnum(c) || c == '-' || c == '.' || c == '_' || text::is_blank(c);
      });
      if (plain) return text::bounded(text::trim(inside), kMaxAddlBytes);
    }
  }
  constexpr int kWordsLookedAt = 4;
  std::size_t i = 0;
  for (int word = 0; word < kWordsLookedAt && i <= rest.size(); ++word) {
    std::size_t end = i;
    while (end < rest.size() && !is_addl_delimiter(rest[end])) ++end;
    if (end > i) return text::bounded(rest.substr(i, end - i), kMaxAddlBytes);
    i = end + 1;
  }
  return {};
}

std::string name_of(std::string_view before) {
  auto name = text::trim(before);
  while (!name.empty() && (name.back() == '/' || name.back() == '-' || name.back() == '_')) {
    name.remove_suffix(1);
  }
  name = text::trim(name);
  // "FileZilla Server version 0.9" names FileZilla Server.
  constexpr std::string_view kVersionWord = " version";
  if (name.size() > kVersionWord.size() &&
      text::iequals(name.substr(name.size() - kVersionWord.size()), kVersionWord)) {
    name.remove_suffix(kVersionWord.size());
  }
  if (!name.empty() && name.front() == '(') name.remove_prefix(1);
  // "ECS (iad/182A)": a parenthesis still open belongs to the details, not to the name.
  const auto open = name.rfind('(');
  if (open != std::string_view::npos && open > 0 &&
      name.find(')', open) == std::string_view::npos) {
    name = text::trim(name.substr(0, open));
  }
  return text::bounded(text::trim(name), kMaxNameBytes);
}

}  // namespace

Version parse_version(std::string_view s) {
  if (s.size() >= 2 && (s[0] == 'v' || s[0] == 'V') && is_digit(s[1])) s.remove_prefix(1);
  if (s.empty() || !is_digit(s[0])) return {};
  std::size_t end = 0;
  while (end < s.size() && is_run_char(s[end])) ++end;
  Version v = numbers_of(s.substr(0, end));
  v.addl = addl_of(s.substr(end));
  return v;
}

Version parse_version_numbers(std::string_view s) {
  std::size_t end = 0;
  while (end < s.size() && (is_digit(s[end]) || s[end] == '.')) ++end;
  return numbers_of(s.substr(0, end));
}

Software parse_software(std::string_view s) {
  s = text::trim(s);
  if (auto browser = parse_browser(s)) return *browser;
  const auto run = find_version_run(s);
  if (!run) return Software{name_of(s), {}};
  Software sw{name_of(s.substr(0, run->begin)),
              numbers_of(s.substr(run->run_begin, run->run_end - run->run_begin))};
  sw.version.addl = addl_of(s.substr(run->run_end));
  return sw;
}

}  // namespace flowkit::versiondetect
