#include "flowkit/httpgraph/head_scanner.h"

#include "flowkit/httpgraph/http_head.h"

namespace flowkit::httpgraph {

HeadScan HeadScanner::scan(std::string_view bytes, std::size_t pos, std::uint64_t offset) {
  using Status = HeadScan::Status;
  // Empty lines before a message are allowed (RFC 9112 section 2.2).
  while (pos < bytes.size() && (bytes[pos] == '\r' || bytes[pos] == '\n')) ++pos;
  if (pos == bytes.size()) return {Status::NeedMore, pos, {}};
  if (!pending_ || head_offset_ != offset + pos) {
    pending_ = true;
    head_offset_ = offset + pos;
    line_scan_ = 0;
    head_scan_ = 0;
    first_line_ok_ = false;
  }
  const std::string_view head = bytes.substr(pos);
  if (!first_line_ok_) {
    // Judge the first line as soon as it is there, so a stream that is not HTTP is given up
    // without waiting for a head that will never come.
    const std::size_t eol = head.find('\n', line_scan_);
    if (eol == std::string_view::npos) {
      line_scan_ = head.size();
      if (head.size() <= rules_.max_first_line && rules_.could_be_first_line(head)) {
        return {Status::NeedMore, pos, {}};
      }
      pending_ = false;
      return {head.size() > rules_.max_first_line ? Status::FirstLineTooLong : Status::NotMessage,
              pos,
              {}};
    }
    if (!rules_.is_first_line(head.substr(0, eol))) {
      pending_ = false;
      return {Status::NotMessage, pos, {}};
    }
    first_line_ok_ = true;
  }
  // Only the first max_head bytes may hold the head: a longer one is refused even when its end
  // has arrived.
  const HeadEnd end = find_head_end(head.substr(0, rules_.max_head), head_scan_);
  if (!end.end) {
    head_scan_ = end.resume;
    if (head.size() >= rules_.max_head) {
      pending_ = false;
      return {Status::HeadTooLong, pos, {}};
    }
    return {Status::NeedMore, pos, {}};  // wait for the rest of the head
  }
  pending_ = false;
  return {Status::Complete, pos, head.substr(0, *end.end)};
}

}  // namespace flowkit::httpgraph
