#include "flowkit/versiondetect/greeting.h"

#include <array>
#include <string>

#include "flowkit/versiondetect/version_parser.h"
#include "text.h"

namespace flowkit::versiondetect {

namespace {

constexpr auto npos = std::string_view::npos;

struct Product {
  std::string_view key;  // matched ignoring case, at the start of a word
  std::string_view name;
  std::optional<Protocol> protocol;
};

// Mail and file servers that say their name in the greeting. Longer keys first where one is a
// prefix of another.
constexpr std::array kProducts{
    Product{"postfix", "Postfix", Protocol::Smtp},
    Product{"exim", "Exim", Protocol::Smtp},
    Product{"sendmail", "Sendmail", Protocol::Smtp},
    Product{"qmail", "qmail", Protocol::Smtp},
    Product{"opensmtpd", "OpenSMTPD", Protocol::Smtp},
    Product{"haraka", "Haraka", Protocol::Smtp},
    Product{"subethasmtp", "SubEthaSMTP", Protocol::Smtp},
    Product{"microsoft esmtp mail service", "Microsoft ESMTP MAIL Service", Protocol::Smtp},
    Product{"microsoft exchange", "Microsoft Exchange", std::nullopt},
    Product{"mailenable", "MailEnable", std::nullopt},
    Product{"hmailserver", "hMailServer", std::nullopt},
    Product{"mdaemon", "MDaemon", std::nullopt},
    Product{"zimbra", "Zimbra", std::nullopt},
    Product{"communigate pro", "CommuniGate Pro", std::nullopt},
    Product{"icewarp", "IceWarp", std::nullopt},
    Product{"axigen", "Axigen", std::nullopt},
    Product{"lotus domino", "Lotus Domino", std::nullopt},
    Product{"dovecot", "Dovecot", std::nullopt},
    Product{"cyrus", "Cyrus", std::nullopt},
    Product{"courier", "Courier", std::nullopt},
    Product{"qpopper", "Qpopper", std::nullopt},
    Product{"gimap", "Gimap", std::nullopt},
    Product{"gpop", "Gpop", std::nullopt},
    Product{"vsftpd", "vsFTPd", Protocol::Ftp},
    Product{"proftpd", "ProFTPD", Protocol::Ftp},
    Product{"pure-ftpd", "Pure-FTPd", Protocol::Ftp},
    Product{"filezilla server", "FileZilla Server", Protocol::Ftp},
    Product{"microsoft ftp service", "Microsoft FTP Service", Protocol::Ftp},
    Product{"netbsd-ftpd", "NetBSD-ftpd", Protocol::Ftp},
    Product{"serv-u", "Serv-U", Protocol::Ftp},
    Product{"glftpd", "glFTPd", Protocol::Ftp},
    Product{"bftpd", "bftpd", Protocol::Ftp},
    Product{"ws_ftp", "WS_FTP Server", Protocol::Ftp},
    Product{"wu-ftpd", "wu-ftpd", Protocol::Ftp},
};

// "220-", "220 ", "+OK", "* OK", "* PREAUTH": what precedes the text.
std::string_view without_reply_code(std::string_view line) {
  if (line.size() >= 4 && text::is_digit(line[0]) && text::is_digit(line[1]) &&
      text::is_digit(line[2]) && (line[3] == ' ' || line[3] == '-')) {
    line.remove_prefix(4);
    while (!line.empty() && line.front() == '-') line.remove_prefix(1);  // "220---- Welcome"
  } else if (text::istarts_with(line, "+OK")) {
    line.remove_prefix(3);
  } else if (line.starts_with("* ")) {
    line.remove_prefix(2);
    const auto word = line.find(' ');
    line.remove_prefix(word == npos ? line.size() : word);
  }
  return text::trim(line);
}

// IMAP response codes ("[CAPABILITY IMAP4rev1 ...]") and addresses ("[::ffff:10.0.0.1]") are
// never the product.
std::string without_brackets(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  int depth = 0;
  for (char c : s) {
    if (c == '[') {
      ++depth;
    } else if (c == ']' && depth > 0) {
      --depth;
    } else if (depth == 0) {
      out += c;
    }
  }
  return out;
}

bool starts_word(std::string_view s, std::size_t at) {
  return at == 0 || !text::is_alnum(s[at - 1]);
}

// The version right after a product name, possibly behind a protocol word or "version":
// "Exim 4.96", "(vsFTPd 3.0.3)", "Cyrus IMAP v3.6.1", "FileZilla Server version 0.9.41 beta".
Version version_after(std::string_view rest) {
  constexpr std::size_t kMaxSkip = 24;
  constexpr std::array<std::string_view, 9> kSkippedWords{
      "version", "imap4rev1", "imap4", "imap", "pop3", "esmtp", "smtp", "ftp", "server"};
  std::size_t i = 0;
  const auto skip_separators = [&] {
    while (i < rest.size() && i < kMaxSkip && std::string_view(" /-_(:,").find(rest[i]) != npos) {
      ++i;
    }
  };
  skip_separators();
  for (int words = 0; words < 2 && i < kMaxSkip; ++words) {
    bool skipped = false;
    for (auto word : kSkippedWords) {
      const auto after = i + word.size();
      if (text::istarts_with(rest.substr(i), word) &&
          (after >= rest.size() || !text::is_alnum(rest[after]))) {
        i = after;
        skipped = true;
        break;
      }
    }
    if (!skipped) break;
    skip_separators();
  }
  auto version = parse_version(rest.substr(i));
  // "(NetBSD-ftpd 20100320) ready.": the greeting's own words say nothing about the version.
  constexpr std::array<std::string_view, 8> kGreetingWords{"ready", "server", "service", "esmtp",
                                                           "smtp",  "ftp",    "welcome", "mail"};
  for (auto word : kGreetingWords) {
    if (text::iequals(version.addl, word)) version.addl.clear();
  }
  return version;
}

std::optional<Software> known_product(std::string_view s, std::optional<Protocol>& hint) {
  const Product* best = nullptr;
  std::size_t best_at = npos;
  for (const auto& p : kProducts) {
    for (auto at = text::ifind(s, p.key); at != npos; at = text::ifind(s, p.key, at + 1)) {
      if (!starts_word(s, at)) continue;
      if (at < best_at) {
        best = &p;
        best_at = at;
      }
      break;
    }
  }
  if (best == nullptr) return std::nullopt;
  if (!hint) hint = best->protocol;
  return Software{std::string(best->name), version_after(s.substr(best_at + best->key.size()))};
}

// A word shaped like "name/1.2", "name-1.2b", "name_v2" or "Linux-ftpd-0.17": a name starting
// with a letter and without dots (host names have them), a separator, digits and dots, then
// letters or digits only.
bool looks_like_versioned_name(std::string_view w) {
  if (w.empty() || !text::is_alpha(w[0])) return false;
  const auto version_start = [&](std::size_t sep) {
    std::size_t i = sep + 1;
    if (i < w.size() && (w[i] == 'v' || w[i] == 'V')) ++i;
    return i < w.size() && text::is_digit(w[i]) ? i : npos;
  };
  std::size_t sep = w.find_first_of("/-_");
  while (sep != npos && version_start(sep) == npos) sep = w.find_first_of("/-_", sep + 1);
  if (sep == npos || w.substr(0, sep).find_first_of("./") != npos) return false;
  std::size_t i = version_start(sep);
  while (i < w.size() &&
         (text::is_digit(w[i]) || (w[i] == '.' && i + 1 < w.size() && text::is_digit(w[i + 1])))) {
    ++i;
  }
  for (; i < w.size(); ++i) {
    if (!text::is_alnum(w[i])) return false;
  }
  return true;
}

std::optional<Software> versioned_word(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && text::is_blank(s[i])) ++i;
    std::size_t end = i;
    while (end < s.size() && !text::is_blank(s[end])) ++end;
    auto word = s.substr(i, end - i);
    while (!word.empty() && std::string_view("([<\"'").find(word.front()) != npos) {
      word.remove_prefix(1);
    }
    while (!word.empty() && std::string_view(")]>,;:.\"'").find(word.back()) != npos) {
      word.remove_suffix(1);
    }
    if (looks_like_versioned_name(word)) return parse_software(word);
    // "6.4/OpenBSD/Linux-ftpd-0.17": try each part of a path-like word.
    for (std::size_t part = 0; part < word.size();) {
      const auto slash = std::min(word.find('/', part), word.size());
      const auto piece = word.substr(part, slash - part);
      if (piece.size() < word.size() && looks_like_versioned_name(piece))
        return parse_software(piece);
      part = slash + 1;
    }
    i = end;
  }
  return std::nullopt;
}

}  // namespace

GreetingInfo parse_greeting(std::string_view line) {
  GreetingInfo info;
  const auto words = without_brackets(without_reply_code(line));
  if (text::ifind(words, "smtp") != npos) {
    info.protocol_hint = Protocol::Smtp;
  } else if (text::ifind(words, "ftp") != npos) {
    info.protocol_hint = Protocol::Ftp;
  }
  if (auto sw = known_product(words, info.protocol_hint)) {
    info.software = std::move(*sw);
  } else if (auto word = versioned_word(words)) {
    info.software = std::move(*word);
  }
  return info;
}

}  // namespace flowkit::versiondetect
