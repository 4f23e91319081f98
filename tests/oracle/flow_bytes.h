// Reassembled TCP payload per connection: the common currency of all oracle
// comparisons (flowkit vs tshark vs libnids).
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace flowkit::oracle {

struct Endpoint {
  std::string ip;  // canonical inet_ntop text, e.g. "10.0.0.1" or "2001:db8::1"
  std::uint16_t port = 0;

  auto operator<=>(const Endpoint&) const = default;
  /// "1.2.3.4:80" or "[::1]:80".
  [[nodiscard]] std::string to_string() const;
};

/// Bytes each endpoint sent on one TCP connection, in stream order.
struct FlowBytes {
  Endpoint a;
  Endpoint b;
  std::string from_a;
  std::string from_b;

  bool operator==(const FlowBytes&) const = default;
  [[nodiscard]] bool empty() const { return from_a.empty() && from_b.empty(); }
  /// "a <-> b", used to name a flow in reports.
  [[nodiscard]] std::string label() const;
};

using FlowSet = std::vector<FlowBytes>;

/// Thrown by the parsers on malformed input; what() names the line.
class FlowFormatError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// First line of the text format. Writers always emit it; read_flows accepts
/// input without it (an empty stream is an empty FlowSet).
inline constexpr std::string_view flows_magic = "flowkit-flows v1";

/// Canonical text of an IPv4/IPv6 address (inet_pton then inet_ntop), so
/// "2001:DB8:0::1" and "2001:db8::1" compare equal. Throws FlowFormatError.
[[nodiscard]] std::string canonical_ip(std::string_view text);

/// Parses "1.2.3.4:80" or "[2001:db8::1]:80" (IP canonicalised). Throws FlowFormatError.
[[nodiscard]] Endpoint parse_endpoint(std::string_view text);

/// Lowercase hex, two digits per byte.
[[nodiscard]] std::string to_hex(std::string_view bytes);
/// Inverse of to_hex (either case). Throws FlowFormatError on odd length or a non-hex digit.
[[nodiscard]] std::string from_hex(std::string_view hex);

/// "flowkit-flows v1" text format. After the magic line, one block per flow:
///   flow <a_ip> <a_port> <b_ip> <b_port> <len_from_a> <len_from_b>
///   a <hex of from_a>
///   b <hex of from_b>
/// The hex may be empty ("a " line). IPs are canonical inet_ntop text.
void write_flows(std::ostream& out, const FlowSet& flows);
/// Parses write_flows output; IPs are canonicalised. Throws FlowFormatError.
[[nodiscard]] FlowSet read_flows(std::istream& in);
[[nodiscard]] FlowSet parse_flows(std::string_view text);

enum class DifferenceKind {
  only_ours,    // no counterpart in theirs
  only_theirs,  // no counterpart in ours
  bytes,        // matched flows, one direction differs
};

struct FlowDifference {
  std::string flow;  // FlowBytes::label() of the flow concerned
  std::string what;  // human-readable description
  // Structured details, for tools that classify differences.
  DifferenceKind kind = DifferenceKind::bytes;
  std::size_t ours_index = no_index;    // into `ours`, if the flow is there
  std::size_t theirs_index = no_index;  // into `theirs`, if the flow is there
  bool sender_is_ours_a = true;         // bytes: direction, as the sender is ours' a (or b)
  std::size_t offset = 0;               // bytes: first differing offset

  static constexpr std::size_t no_index = static_cast<std::size_t>(-1);
};

/// Compares two reassemblies of the same capture. Flows are matched by their
/// unordered endpoint pair (several flows with the same pair are matched in
/// order of appearance); bytes are compared per sending endpoint, so the two
/// sets may disagree on which side is `a`. Reports flows found in only one set
/// and, per direction, both lengths and the first differing offset with a short
/// escaped excerpt of each side.
/// With ignore_empty, a flow without any payload is never reported as missing
/// (tshark lists payload-less streams, e.g. SYN scans, that libnids never
/// reports): flows with payload are matched first, and an empty flow is only
/// compared with a same-pair flow with payload left over after that, which
/// then shows up as a byte difference rather than "only in".
[[nodiscard]] std::vector<FlowDifference> compare_flows(const FlowSet& ours, const FlowSet& theirs,
                                                        std::string_view theirs_name,
                                                        bool ignore_empty = false);

/// One line per difference ("flow: what"), for test failure messages and reports.
[[nodiscard]] std::string format_differences(std::span<const FlowDifference> differences);

/// Printable excerpt of bytes: ASCII kept, the rest as C escapes (\r, \n, \xNN ...).
[[nodiscard]] std::string escape_bytes(std::string_view bytes, std::size_t max_bytes = 32);

}  // namespace flowkit::oracle
