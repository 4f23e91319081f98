#include "flowkit/httpgraph/start_line.h"

#include "flowkit/httpgraph/ascii.h"

namespace flowkit::httpgraph {

namespace {

// Methods are case-sensitive and every registered one is upper case; requiring that keeps
// binary data and other protocols from passing for requests.
constexpr bool is_method_char(char c) noexcept {
  return (c >= 'A' && c <= 'Z') || is_digit(c) || c == '-' || c == '_';
}

constexpr bool is_http1_version(std::string_view v) noexcept {
  return v.size() == 8 && v.substr(0, 7) == "HTTP/1." && is_digit(v[7]);
}

std::string_view chomp(std::string_view line) noexcept {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

}  // namespace

std::optional<RequestLine> parse_request_line(std::string_view line) noexcept {
  line = chomp(line);
  const std::size_t first_space = line.find(' ');
  const std::size_t last_space = line.rfind(' ');
  if (first_space == std::string_view::npos || first_space == last_space) return std::nullopt;
  RequestLine out;
  out.method = line.substr(0, first_space);
  if (out.method.empty() || out.method.size() > kMaxMethodLength) return std::nullopt;
  for (char c : out.method) {
    if (!is_method_char(c)) return std::nullopt;
  }
  out.version = line.substr(last_space + 1);
  if (!is_http1_version(out.version)) return std::nullopt;
  out.target = trim(line.substr(first_space + 1, last_space - first_space - 1));
  if (out.target.empty()) return std::nullopt;
  return out;
}

bool could_be_request_line(std::string_view partial) noexcept {
  partial = chomp(partial);
  std::size_t i = 0;
  while (i < partial.size() && is_method_char(partial[i])) ++i;
  if (i > kMaxMethodLength) return false;
  if (i == partial.size()) return true;  // still inside the method
  return i > 0 && partial[i] == ' ';
}

std::optional<StatusLine> parse_status_line(std::string_view line) noexcept {
  line = chomp(line);
  if (line.size() < 12 || !is_http1_version(line.substr(0, 8)) || line[8] != ' ') {
    return std::nullopt;
  }
  const std::string_view code = line.substr(9, 3);
  for (char c : code) {
    if (!is_digit(c)) return std::nullopt;
  }
  if (line.size() > 12 && line[12] != ' ') return std::nullopt;
  StatusLine out;
  out.version = line.substr(0, 8);
  out.code = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
  out.reason = line.size() > 13 ? trim(line.substr(13)) : std::string_view{};
  return out;
}

}  // namespace flowkit::httpgraph
