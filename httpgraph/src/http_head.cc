#include "flowkit/httpgraph/http_head.h"

#include "flowkit/httpgraph/ascii.h"

namespace flowkit::httpgraph {

std::optional<std::string_view> HttpHead::find(std::string_view name) const noexcept {
  for (const auto& f : fields) {
    if (iequals(f.name, name)) return f.value;
  }
  return std::nullopt;
}

std::vector<std::string_view> HttpHead::find_all(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const auto& f : fields) {
    if (iequals(f.name, name)) out.push_back(f.value);
  }
  return out;
}

HeadEnd find_head_end(std::string_view text, std::size_t from) noexcept {
  std::size_t i = from;
  while (true) {
    i = text.find('\n', i);
    if (i == std::string_view::npos) return {std::nullopt, text.size()};
    // The empty line may be "\n" or "\r\n" right after this line's LF.
    if (i + 1 >= text.size()) return {std::nullopt, i};
    if (text[i + 1] == '\n') return {i + 2, i};
    if (text[i + 1] == '\r') {
      if (i + 2 >= text.size()) return {std::nullopt, i};
      if (text[i + 2] == '\n') return {i + 3, i};
    }
    ++i;
  }
}

namespace {

std::string_view chomp(std::string_view line) noexcept {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

}  // namespace

HttpHead parse_head(std::string_view head) {
  HttpHead out;
  std::size_t pos = 0;
  bool first = true;
  while (pos < head.size()) {
    std::size_t eol = head.find('\n', pos);
    if (eol == std::string_view::npos) eol = head.size();
    const std::string_view line = chomp(head.substr(pos, eol - pos));
    pos = eol + 1;
    if (first) {
      out.start_line = line;
      first = false;
      continue;
    }
    if (line.empty()) break;
    if (line.front() == ' ' || line.front() == '\t') continue;  // obsolete folding: dropped
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) continue;
    const std::string_view name = line.substr(0, colon);
    bool token = true;
    for (char c : name) token = token && is_tchar(c);
    if (!token) continue;  // "Name : value" and binary junk are not fields
    out.fields.push_back({name, trim(line.substr(colon + 1))});
  }
  return out;
}

}  // namespace flowkit::httpgraph
