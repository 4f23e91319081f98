#include "flowkit/httpgraph/body_reader.h"

#include <algorithm>
#include <limits>

#include "flowkit/httpgraph/ascii.h"

namespace flowkit::httpgraph {

namespace {

// Sizes beyond this are lies (no body that large is ever seen whole); rejecting them keeps the
// arithmetic far from overflow.
constexpr std::uint64_t kMaxBodyLength = std::uint64_t{1} << 60;

int hex_value(char c) noexcept {
  if (is_digit(c)) return c - '0';
  const char l = ascii_lower(c);
  if (l >= 'a' && l <= 'f') return l - 'a' + 10;
  return -1;
}

// "1a3;ext=1" -> 0x1a3. False for a line with no hex digits or an absurd size.
bool parse_chunk_size(std::string_view line, std::uint64_t& out) noexcept {
  line = trim(line);
  std::uint64_t value = 0;
  std::size_t digits = 0;
  for (char c : line) {
    const int v = hex_value(c);
    if (v < 0) break;
    value = value * 16 + static_cast<std::uint64_t>(v);
    if (value > kMaxBodyLength) return false;
    ++digits;
  }
  if (digits == 0) return false;
  const std::string_view rest = trim(line.substr(digits));
  if (!rest.empty() && rest.front() != ';') return false;
  out = value;
  return true;
}

}  // namespace

bool parse_content_length(std::string_view value, std::uint64_t& out) noexcept {
  bool have = false;
  std::uint64_t first = 0;
  while (true) {
    const std::size_t comma = value.find(',');
    const std::string_view item = trim(value.substr(0, comma));
    if (item.empty()) return false;
    std::uint64_t v = 0;
    for (char c : item) {
      if (!is_digit(c)) return false;
      v = v * 10 + static_cast<std::uint64_t>(c - '0');
      if (v > kMaxBodyLength) return false;
    }
    if (have && v != first) return false;
    first = v;
    have = true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  out = first;
  return true;
}

bool ends_with_chunked(std::string_view te) noexcept {
  const std::size_t comma = te.rfind(',');
  const std::string_view last = comma == std::string_view::npos ? te : te.substr(comma + 1);
  return iequals(trim(last.substr(0, last.find(';'))), "chunked");
}

BodyReader BodyReader::length(std::uint64_t length) noexcept {
  return length == 0 ? BodyReader(State::Done) : BodyReader(State::Fixed, length);
}

BodyReader BodyReader::chunked() noexcept {
  return BodyReader(State::ChunkSize);
}

BodyReader BodyReader::until_close() noexcept {
  return BodyReader(State::UntilClose);
}

BodyReader::Step BodyReader::consume(std::string_view bytes) noexcept {
  std::size_t pos = 0;
  while (true) {
    const std::string_view rest = bytes.substr(pos);
    switch (state_) {
      case State::Done:
        return {pos, Status::Done};
      case State::UntilClose:
        return {bytes.size(), Status::NeedMore};
      case State::Fixed:
      case State::ChunkData: {
        const auto take =
            static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, rest.size()));
        pos += take;
        remaining_ -= take;
        if (remaining_ > 0) return {pos, Status::NeedMore};
        state_ = state_ == State::Fixed ? State::Done : State::ChunkEnd;
        break;
      }
      case State::ChunkEnd: {
        // The CRLF after chunk data; a bare LF is tolerated.
        if (rest.empty()) return {pos, Status::NeedMore};
        if (rest[0] == '\n') {
          pos += 1;
        } else if (rest[0] == '\r') {
          if (rest.size() < 2) return {pos, Status::NeedMore};
          if (rest[1] != '\n') return {pos, Status::Error};
          pos += 2;
        } else {
          return {pos, Status::Error};
        }
        state_ = State::ChunkSize;
        break;
      }
      case State::ChunkSize:
      case State::Trailer: {
        const std::size_t eol = rest.find('\n');
        if (eol == std::string_view::npos) {
          if (rest.size() > kMaxLineLength) return {pos, Status::Error};
          return {pos, Status::NeedMore};
        }
        if (eol > kMaxLineLength) return {pos, Status::Error};
        std::string_view line = rest.substr(0, eol);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        pos += eol + 1;
        if (state_ == State::Trailer) {
          trailer_bytes_ += eol + 1;
          if (line.empty()) {
            state_ = State::Done;
          } else if (trailer_bytes_ > kMaxTrailerBytes) {
            return {pos, Status::Error};
          }
          break;
        }
        std::uint64_t size = 0;
        if (!parse_chunk_size(line, size)) return {pos, Status::Error};
        if (size == 0) {
          state_ = State::Trailer;
        } else {
          state_ = State::ChunkData;
          remaining_ = size;
        }
        break;
      }
    }
  }
}

bool BodyReader::skip_lost(std::uint64_t length) noexcept {
  switch (state_) {
    case State::UntilClose:
      return true;
    case State::Fixed:
    case State::ChunkData:
      if (length > remaining_) return false;
      remaining_ -= length;
      if (remaining_ == 0) state_ = state_ == State::Fixed ? State::Done : State::ChunkEnd;
      return true;
    default:
      return false;
  }
}

}  // namespace flowkit::httpgraph
