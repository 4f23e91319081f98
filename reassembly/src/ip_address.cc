#include "flowkit/ip_address.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace flowkit {

IpAddress IpAddress::v4(std::span<const std::byte, 4> bytes) noexcept {
  IpAddress a;
  std::copy(bytes.begin(), bytes.end(), a.bytes_.begin());
  return a;
}

IpAddress IpAddress::v6(std::span<const std::byte, 16> bytes) noexcept {
  IpAddress a;
  std::copy(bytes.begin(), bytes.end(), a.bytes_.begin());
  a.v6_ = true;
  return a;
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) noexcept {
  char buf[INET6_ADDRSTRLEN + 1];
  if (text.size() >= sizeof buf) return std::nullopt;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  std::array<std::byte, 16> raw{};
  if (inet_pton(AF_INET, buf, raw.data()) == 1) {
    return v4(std::span<const std::byte, 4>(raw.data(), 4));
  }
  if (inet_pton(AF_INET6, buf, raw.data()) == 1) return v6(raw);
  return std::nullopt;
}

std::string IpAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN];
  if (inet_ntop(v6_ ? AF_INET6 : AF_INET, bytes_.data(), buf, sizeof buf) == nullptr) return "?";
  return buf;
}

}  // namespace flowkit
