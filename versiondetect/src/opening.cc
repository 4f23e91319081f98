#include "opening.h"

#include "text.h"

namespace flowkit::versiondetect::opening {

bool is_text_start(std::byte first) noexcept {
  const auto c = static_cast<unsigned char>(first);
  return (c >= 0x20 && c < 0x7f) || c == '\t' || c == '\r' || c == '\n';
}

bool is_ssh_identification(std::string_view line) noexcept {
  return line.size() > 4 && line.starts_with("SSH-") && text::is_digit(line[4]);
}

bool is_http_status_line(std::string_view line) noexcept {
  return line.size() > 5 && line.starts_with("HTTP/") && text::is_digit(line[5]);
}

bool is_http_request_line(std::string_view line) noexcept {
  const auto sp = line.find(' ');
  const auto last = line.rfind(' ');
  if (sp == 0 || sp == std::string_view::npos || last == sp) return false;
  const auto version = line.substr(last + 1);
  return version.size() == 8 && version.starts_with("HTTP/") && text::is_digit(version[5]) &&
         version[6] == '.' && text::is_digit(version[7]);
}

bool is_reply(std::string_view line, std::string_view code) noexcept {
  return line.starts_with(code) &&
         (line.size() == code.size() || line[code.size()] == ' ' || line[code.size()] == '-');
}

bool is_final_reply_line(std::string_view line) noexcept {
  return line.size() <= 3 || line[3] != '-';
}

bool is_pop3_greeting(std::string_view line) noexcept {
  return line.starts_with("+OK") && (line.size() == 3 || text::is_blank(line[3]));
}

bool is_imap_greeting(std::string_view line) noexcept {
  return text::istarts_with(line, "* OK") || text::istarts_with(line, "* PREAUTH");
}

std::string_view command_of(std::string_view line) noexcept {
  line = text::trim(line);
  return line.substr(0, line.find(' '));
}

std::string_view argument_of(std::string_view line) noexcept {
  line = text::trim(line);
  const auto sp = line.find(' ');
  return sp == std::string_view::npos ? std::string_view{} : text::trim(line.substr(sp + 1));
}

}  // namespace flowkit::versiondetect::opening
