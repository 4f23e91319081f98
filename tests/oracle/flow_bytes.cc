#include "flow_bytes.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <deque>
#include <istream>
#include <map>
#include <ostream>
#include <sstream>
#include <utility>

namespace flowkit::oracle {
namespace {

constexpr std::string_view hex_digits = "0123456789abcdef";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

template <typename Int>
Int parse_number(std::string_view text, std::string_view what) {
  Int value{};
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc{} || ptr != end) {
    throw FlowFormatError(fmt::format("invalid {} '{}'", what, text));
  }
  return value;
}

std::vector<std::string_view> split_spaces(std::string_view line) {
  std::vector<std::string_view> tokens;
  while (!line.empty()) {
    const auto start = line.find_first_not_of(' ');
    if (start == std::string_view::npos) break;
    line.remove_prefix(start);
    const auto end = std::min(line.find(' '), line.size());
    tokens.push_back(line.substr(0, end));
    line.remove_prefix(end);
  }
  return tokens;
}

// Falls back to the raw text so compare_flows never throws on hand-built sets.
Endpoint normalised(const Endpoint& e) {
  try {
    return Endpoint{canonical_ip(e.ip), e.port};
  } catch (const FlowFormatError&) {
    return e;
  }
}

using PairKey = std::pair<Endpoint, Endpoint>;

PairKey pair_key(const FlowBytes& f) {
  auto a = normalised(f.a);
  auto b = normalised(f.b);
  if (b < a) std::swap(a, b);
  return {std::move(a), std::move(b)};
}

std::string excerpt_at(std::string_view bytes, std::size_t offset) {
  if (offset >= bytes.size()) return "<end>";
  return fmt::format("\"{}\"", escape_bytes(bytes.substr(offset), 24));
}

void compare_direction(const FlowBytes& mine, bool sender_is_a, std::string_view ours,
                       std::string_view theirs, std::string_view theirs_name, FlowDifference base,
                       std::vector<FlowDifference>& out) {
  if (ours == theirs) return;
  const auto& sender = sender_is_a ? mine.a : mine.b;
  const auto& receiver = sender_is_a ? mine.b : mine.a;
  const auto [ours_it, theirs_it] =
      std::mismatch(ours.begin(), ours.end(), theirs.begin(), theirs.end());
  const auto offset = static_cast<std::size_t>(ours_it - ours.begin());
  std::string note;
  if (offset == ours.size()) {
    note = fmt::format(" (ours is a prefix of {}: ours lacks {} trailing bytes)", theirs_name,
                       theirs.size() - offset);
  } else if (offset == theirs.size()) {
    note = fmt::format(" ({0} is a prefix of ours: {0} lacks {1} trailing bytes)", theirs_name,
                       ours.size() - offset);
  }
  base.what = fmt::format(
      "{} -> {}: ours {} bytes, {} {} bytes, first difference at offset {}: ours {} vs {} {}{}",
      sender.to_string(), receiver.to_string(), ours.size(), theirs_name, theirs.size(), offset,
      excerpt_at(ours, offset), theirs_name, excerpt_at(theirs, offset), note);
  base.kind = DifferenceKind::bytes;
  base.sender_is_ours_a = sender_is_a;
  base.offset = offset;
  out.push_back(std::move(base));
}

// Queues of flow indices per endpoint pair, consumed in order of appearance.
class PairQueues {
 public:
  void add(const FlowBytes& flow, std::size_t index) { queues_[pair_key(flow)].push_back(index); }
  std::size_t take(const FlowBytes& flow) {
    const auto it = queues_.find(pair_key(flow));
    if (it == queues_.end() || it->second.empty()) return FlowDifference::no_index;
    const auto index = it->second.front();
    it->second.pop_front();
    return index;
  }

 private:
  std::map<PairKey, std::deque<std::size_t>> queues_;
};

}  // namespace

std::string Endpoint::to_string() const {
  if (ip.find(':') != std::string::npos) return fmt::format("[{}]:{}", ip, port);
  return fmt::format("{}:{}", ip, port);
}

std::string FlowBytes::label() const {
  return fmt::format("{} <-> {}", a.to_string(), b.to_string());
}

std::string canonical_ip(std::string_view text) {
  const std::string input(text);
  std::array<unsigned char, 16> binary{};
  std::array<char, INET6_ADDRSTRLEN> printed{};
  // Try IPv4 first: inet_pton(AF_INET6) would reject it anyway, but be explicit.
  for (const int family : {AF_INET, AF_INET6}) {
    if (inet_pton(family, input.c_str(), binary.data()) == 1 &&
        inet_ntop(family, binary.data(), printed.data(), printed.size()) != nullptr) {
      return std::string(printed.data());
    }
  }
  throw FlowFormatError(fmt::format("invalid IP address '{}'", text));
}

Endpoint parse_endpoint(std::string_view text) {
  std::string_view host;
  std::string_view port;
  if (text.starts_with('[')) {
    const auto close = text.find("]:");
    if (close == std::string_view::npos)
      throw FlowFormatError(fmt::format("invalid endpoint '{}'", text));
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos)
      throw FlowFormatError(fmt::format("invalid endpoint '{}'", text));
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  return Endpoint{canonical_ip(host), parse_number<std::uint16_t>(port, "port")};
}

std::string to_hex(std::string_view bytes) {
  std::string hex;
  hex.reserve(bytes.size() * 2);
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    hex.push_back(hex_digits[byte >> 4]);
    hex.push_back(hex_digits[byte & 0x0f]);
  }
  return hex;
}

std::string from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0)
    throw FlowFormatError(fmt::format("odd number of hex digits ({})", hex.size()));
  std::string bytes;
  bytes.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int high = hex_value(hex[i]);
    const int low = hex_value(hex[i + 1]);
    if (high < 0 || low < 0) {
      throw FlowFormatError(fmt::format("invalid hex digit at position {}", high < 0 ? i : i + 1));
    }
    bytes.push_back(static_cast<char>(high * 16 + low));
  }
  return bytes;
}

void write_flows(std::ostream& out, const FlowSet& flows) {
  out << flows_magic << '\n';
  for (const auto& f : flows) {
    out << fmt::format("flow {} {} {} {} {} {}\n", f.a.ip, f.a.port, f.b.ip, f.b.port,
                       f.from_a.size(), f.from_b.size());
    out << "a " << to_hex(f.from_a) << '\n';
    out << "b " << to_hex(f.from_b) << '\n';
  }
}

FlowSet read_flows(std::istream& in) {
  FlowSet flows;
  std::string line;
  std::size_t line_no = 0;
  // Adds the line number to whatever went wrong.
  const auto fail = [&](std::string_view why) {
    throw FlowFormatError(fmt::format("flowkit-flows line {}: {}", line_no, why));
  };
  const auto next_line = [&]() {
    if (!std::getline(in, line)) return false;
    ++line_no;
    return true;
  };
  // Reads the "a <hex>" / "b <hex>" line and checks it against the announced length.
  const auto read_payload = [&](char tag, std::size_t expected) {
    if (!next_line()) fail(fmt::format("missing '{}' line", tag));
    std::string_view view(line);
    if (view.empty() || view[0] != tag || (view.size() > 1 && view[1] != ' ')) {
      fail(fmt::format("expected '{} <hex>'", tag));
    }
    view.remove_prefix(std::min<std::size_t>(2, view.size()));
    std::string bytes;
    try {
      bytes = from_hex(view);
    } catch (const FlowFormatError& e) {
      fail(e.what());
    }
    if (bytes.size() != expected) {
      fail(fmt::format("'{}' has {} bytes, header says {}", tag, bytes.size(), expected));
    }
    return bytes;
  };

  bool first = true;
  while (next_line()) {
    if (first) {
      first = false;
      if (line.starts_with("flowkit-flows")) {
        if (line != flows_magic) fail(fmt::format("unsupported format '{}'", line));
        continue;
      }
    }
    const auto tokens = split_spaces(line);
    if (tokens.size() != 7 || tokens[0] != "flow") {
      fail("expected 'flow <a_ip> <a_port> <b_ip> <b_port> <len_a> <len_b>'");
    }
    FlowBytes flow;
    std::size_t len_a = 0;
    std::size_t len_b = 0;
    try {
      flow.a = Endpoint{canonical_ip(tokens[1]), parse_number<std::uint16_t>(tokens[2], "port")};
      flow.b = Endpoint{canonical_ip(tokens[3]), parse_number<std::uint16_t>(tokens[4], "port")};
      len_a = parse_number<std::size_t>(tokens[5], "length");
      len_b = parse_number<std::size_t>(tokens[6], "length");
    } catch (const FlowFormatError& e) {
      fail(e.what());
    }
    flow.from_a = read_payload('a', len_a);
    flow.from_b = read_payload('b', len_b);
    flows.push_back(std::move(flow));
  }
  if (in.bad()) throw FlowFormatError("flowkit-flows: read error");
  return flows;
}

FlowSet parse_flows(std::string_view text) {
  std::istringstream in{std::string(text)};
  return read_flows(in);
}

std::vector<FlowDifference> compare_flows(const FlowSet& ours, const FlowSet& theirs,
                                          std::string_view theirs_name, bool ignore_empty) {
  constexpr auto none = FlowDifference::no_index;
  // Flows taking part in the first matching round: all, or those with payload.
  const auto first_round = [&](const FlowBytes& f) { return !ignore_empty || !f.empty(); };
  std::vector<std::size_t> match_of_ours(ours.size(), none);
  std::vector<std::size_t> match_of_theirs(theirs.size(), none);

  PairQueues theirs_queues;
  for (std::size_t j = 0; j < theirs.size(); ++j) {
    if (first_round(theirs[j])) theirs_queues.add(theirs[j], j);
  }
  for (std::size_t i = 0; i < ours.size(); ++i) {
    if (!first_round(ours[i])) continue;
    if (const auto j = theirs_queues.take(ours[i]); j != none) {
      match_of_ours[i] = j;
      match_of_theirs[j] = i;
    }
  }
  if (ignore_empty) {
    // Second round: leftover flows with payload against same-pair empty flows.
    PairQueues empty_ours;
    PairQueues empty_theirs;
    for (std::size_t i = 0; i < ours.size(); ++i) {
      if (ours[i].empty()) empty_ours.add(ours[i], i);
    }
    for (std::size_t j = 0; j < theirs.size(); ++j) {
      if (theirs[j].empty()) empty_theirs.add(theirs[j], j);
    }
    for (std::size_t i = 0; i < ours.size(); ++i) {
      if (ours[i].empty() || match_of_ours[i] != none) continue;
      if (const auto j = empty_theirs.take(ours[i]); j != none) {
        match_of_ours[i] = j;
        match_of_theirs[j] = i;
      }
    }
    for (std::size_t j = 0; j < theirs.size(); ++j) {
      if (theirs[j].empty() || match_of_theirs[j] != none) continue;
      if (const auto i = empty_ours.take(theirs[j]); i != none) {
        match_of_ours[i] = j;
        match_of_theirs[j] = i;
      }
    }
  }

  std::vector<FlowDifference> differences;
  for (std::size_t i = 0; i < ours.size(); ++i) {
    const auto& mine = ours[i];
    const auto j = match_of_ours[i];
    if (j == none) {
      if (ignore_empty && mine.empty()) continue;
      differences.push_back({mine.label(),
                             fmt::format("not in {} (ours: {} bytes from a, {} bytes from b)",
                                         theirs_name, mine.from_a.size(), mine.from_b.size()),
                             DifferenceKind::only_ours, i, none});
      continue;
    }
    const auto& other = theirs[j];
    // Orient `other` by sender (tshark's a is whoever sent first, libnids' a is the client).
    const bool swapped =
        normalised(other.a) != normalised(mine.a) && normalised(other.b) == normalised(mine.a);
    const auto& other_from_a = swapped ? other.from_b : other.from_a;
    const auto& other_from_b = swapped ? other.from_a : other.from_b;
    const FlowDifference base{mine.label(), {}, DifferenceKind::bytes, i, j};
    compare_direction(mine, true, mine.from_a, other_from_a, theirs_name, base, differences);
    compare_direction(mine, false, mine.from_b, other_from_b, theirs_name, base, differences);
  }
  for (std::size_t j = 0; j < theirs.size(); ++j) {
    if (match_of_theirs[j] != none || (ignore_empty && theirs[j].empty())) continue;
    differences.push_back({theirs[j].label(),
                           fmt::format("only in {} ({} bytes from a, {} bytes from b)", theirs_name,
                                       theirs[j].from_a.size(), theirs[j].from_b.size()),
                           DifferenceKind::only_theirs, none, j});
  }
  return differences;
}

std::string format_differences(std::span<const FlowDifference> differences) {
  std::string text;
  for (const auto& d : differences) text += fmt::format("{}: {}\n", d.flow, d.what);
  return text;
}

std::string escape_bytes(std::string_view bytes, std::size_t max_bytes) {
  std::string text;
  for (const char c : bytes.substr(0, max_bytes)) {
    switch (c) {
      case '\r':
        text += "\\r";
        break;
      case '\n':
        text += "\\n";
        break;
      case '\t':
        text += "\\t";
        break;
      case '\\':
        text += "\\\\";
        break;
      case '"':
        text += "\\\"";
        break;
      default: {
        const auto byte = static_cast<unsigned char>(c);
        if (byte >= 0x20 && byte < 0x7f) {
          text.push_back(c);
        } else {
          text += fmt::format("\\x{:02x}", byte);
        }
      }
    }
  }
  if (bytes.size() > max_bytes) text += "...";
  return text;
}

}  // namespace flowkit::oracle
