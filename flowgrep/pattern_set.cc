#include "pattern_set.h"

#include <fmt/format.h>

#include <cctype>
#include <fstream>

namespace flowkit::flowgrep {

namespace {

// "de ad be ef", "deadbeef", "0xde 0xad", "\xde\xad" -> "\xde\xad\xbe\xef".
std::string hex_to_expression(const std::string& text, const std::string& origin) {
  std::string digits;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (std::isspace(static_cast<unsigned char>(c)) != 0 || c == ':' || c == ',') continue;
    if (c == '\\' && i + 1 < text.size() && (text[i + 1] == 'x' || text[i + 1] == 'X')) {
      ++i;
      continue;
    }
    if (c == '0' && i + 1 < text.size() && (text[i + 1] == 'x' || text[i + 1] == 'X')) {
      ++i;
      continue;
    }
    if (std::isxdigit(static_cast<unsigned char>(c)) == 0) {
      throw PatternError(
          fmt::format("pattern {} ('{}'): '{}' is not a hex digit", origin, text, c));
    }
    digits += c;
  }
  if (digits.empty() || digits.size() % 2 != 0) {
    throw PatternError(
        fmt::format("pattern {} ('{}'): hex patterns need an even, non-zero number "
                    "of hex digits",
                    origin, text));
  }
  std::string expression;
  for (std::size_t i = 0; i < digits.size(); i += 2) {
    expression += "\\x";
    expression += digits.substr(i, 2);
  }
  return expression;
}

Pattern make_pattern(const std::string& text, std::string origin, const PatternOptions& options) {
  if (text.empty()) throw PatternError(fmt::format("pattern {} is empty", origin));
  Pattern p{text, text, std::move(origin)};
  if (options.hex) p.expression = hex_to_expression(text, p.origin);
  return p;
}

}  // namespace

Pattern command_line_pattern(const std::string& text, std::size_t index,
                             const PatternOptions& options) {
  return make_pattern(text, fmt::format("-e #{}", index), options);
}

std::vector<Pattern> load_pattern_file(const std::string& path, const PatternOptions& options) {
  std::ifstream in(path);
  if (!in) throw PatternError(fmt::format("{}: cannot read pattern file", path));
  std::vector<Pattern> out;
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    out.push_back(make_pattern(line, fmt::format("{}:{}", path, number), options));
  }
  if (out.empty()) throw PatternError(fmt::format("{}: no patterns in file", path));
  return out;
}

CompiledPatterns::CompiledPatterns(std::vector<Pattern> patterns, const PatternOptions& options)
    : patterns_(std::move(patterns)), som_(patterns_.size(), true) {
  if (patterns_.empty()) throw PatternError("no patterns: give -e PATTERN or -f FILE");
  std::vector<const char*> expressions;
  std::vector<unsigned> ids;
  for (std::size_t i = 0; i < patterns_.size(); ++i) {
    expressions.push_back(patterns_[i].expression.c_str());
    ids.push_back(static_cast<unsigned>(i));
  }
  // No HS_FLAG_SINGLEMATCH: Hyperscan rejects it together with start-of-match reporting, so
  // "once per pattern and direction" is enforced by the matcher instead.
  const unsigned base = HS_FLAG_DOTALL | (options.caseless ? HS_FLAG_CASELESS : 0);
  // Start-of-match tracking is rejected for some patterns; drop it for those and retry, so a
  // pattern fails only for a reason it would fail anyway.
  while (true) {
    std::vector<unsigned> flags;
    for (std::size_t i = 0; i < patterns_.size(); ++i) {
      flags.push_back(base | (som_[i] ? HS_FLAG_SOM_LEFTMOST : 0));
    }
    hs_database_t* db = nullptr;
    hs_compile_error_t* error = nullptr;
    const hs_error_t rc = hs_compile_multi(
        expressions.data(), flags.data(), ids.data(), static_cast<unsigned>(expressions.size()),
        HS_MODE_STREAM | HS_MODE_SOM_HORIZON_LARGE, nullptr, &db, &error);
    if (rc == HS_SUCCESS) {
      database_.reset(db);
      return;
    }
    const std::string message = error != nullptr ? error->message : "unknown error";
    const int index = error != nullptr ? error->expression : -1;
    hs_free_compile_error(error);
    if (index < 0 || static_cast<std::size_t>(index) >= patterns_.size()) {
      throw PatternError(fmt::format("cannot compile the patterns: {}", message));
    }
    if (som_[static_cast<std::size_t>(index)]) {
      som_[static_cast<std::size_t>(index)] = false;
      continue;
    }
    const auto& p = patterns_[static_cast<std::size_t>(index)];
    throw PatternError(fmt::format("pattern {} ('{}') is rejected: {}", p.origin, p.text, message));
  }
}

std::size_t CompiledPatterns::stream_size() const noexcept {
  std::size_t size = 0;
  hs_stream_size(database_.get(), &size);
  return size;
}

}  // namespace flowkit::flowgrep
