#include "flowkit/httpgraph/label.h"

namespace flowkit::httpgraph {

namespace {

constexpr std::string_view kEllipsis = "\u2026";  // one character wide, three bytes

}  // namespace

std::string shorten_middle(std::string_view text, std::size_t width) {
  if (text.size() <= width) return std::string(text);
  if (width < 3) return std::string(text.substr(0, width));
  const std::size_t tail = (width - 1) / 2;
  const std::size_t head = width - 1 - tail;
  std::string out(text.substr(0, head));
  out += kEllipsis;
  out += text.substr(text.size() - tail);
  return out;
}

std::string shorten_path(std::string_view path, std::size_t width) {
  if (path.size() <= width) return std::string(path);
  if (width < 3) return std::string(path.substr(0, width));
  // The last segment, ignoring a trailing slash ("/dir/sub/" keeps "/sub/").
  std::size_t slash = path.size() > 1 ? path.rfind('/', path.size() - 2) : std::string_view::npos;
  if (slash == std::string_view::npos) slash = 0;
  const std::string_view last = path.substr(slash);
  if (last.size() + 2 > width) {
    std::string out(kEllipsis);
    out += path.substr(path.size() - (width - 1));
    return out;
  }
  std::string out(path.substr(0, width - 1 - last.size()));
  out += kEllipsis;
  out += last;
  return out;
}

}  // namespace flowkit::httpgraph
