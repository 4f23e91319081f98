#include "excerpt.h"

#include <fmt/format.h>

#include <algorithm>

namespace flowkit::flowgrep {

std::string escape_bytes(std::string_view text, std::size_t limit, bool quote_specials) {
  std::string out;
  out.reserve(std::min(text.size(), limit));
  for (const char ch : text) {
    if (out.size() >= limit) {
      out += "...";
      break;
    }
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '\r':
        out += "\\r";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\\':
        out += quote_specials ? "\\\\" : "\\";
        break;
      case '"':
        out += quote_specials ? "\\\"" : "\"";
        break;
      default:
        if (c >= 0x20 && c < 0x7f) {
          out += static_cast<char>(c);
        } else {
          out += fmt::format("\\x{:02x}", c);
        }
    }
  }
  return out;
}

std::string escape_bytes(std::span<const std::byte> bytes, std::size_t limit) {
  return escape_bytes(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()),
                      limit);
}

void RecentBytes::append(std::uint64_t offset, std::span<const std::byte> chunk) {
  if (offset != start_ + bytes_.size()) reset(offset);
  // Copy no more than the window: a full-size segment replaces it outright.
  if (chunk.size() >= keep_) {
    const auto tail = chunk.last(keep_);
    bytes_.assign(reinterpret_cast<const char*>(tail.data()), tail.size());
    start_ = offset + chunk.size() - keep_;
    return;
  }
  bytes_.append(reinterpret_cast<const char*>(chunk.data()), chunk.size());
  if (bytes_.size() > keep_) {
    const std::size_t drop = bytes_.size() - keep_;
    bytes_.erase(0, drop);
    start_ += drop;
  }
}

void RecentBytes::reset(std::uint64_t offset) {
  bytes_.clear();
  start_ = offset;
}

std::string RecentBytes::slice(std::uint64_t from, std::uint64_t to, std::uint64_t chunk_offset,
                               std::span<const std::byte> chunk) const {
  std::string out;
  const std::uint64_t held_end = start_ + bytes_.size();
  for (std::uint64_t at = std::max(from, start_); at < std::min(to, held_end); ++at) {
    out += bytes_[static_cast<std::size_t>(at - start_)];
  }
  const std::uint64_t chunk_end = chunk_offset + chunk.size();
  for (std::uint64_t at = std::max(from, chunk_offset); at < std::min(to, chunk_end); ++at) {
    out += static_cast<char>(chunk[static_cast<std::size_t>(at - chunk_offset)]);
  }
  return out;
}

}  // namespace flowkit::flowgrep
