#pragma once

#include <algorithm>
#include <cstddef>
#include <memory>
#include <span>
#include <vector>

namespace flowkit::detail {

/// Bytes a handler's on_data left unconsumed, offered again with what follows. Held out of
/// line: most handlers consume everything, and asking whether anything is kept (every
/// delivery does) then reads one word of the connection instead of a vector's three.
class KeptBytes {
 public:
  [[nodiscard]] bool empty() const noexcept { return !bytes_ || bytes_->empty(); }
  [[nodiscard]] std::size_t size() const noexcept { return bytes_ ? bytes_->size() : 0; }
  [[nodiscard]] std::span<const std::byte> view() const noexcept {
    return bytes_ ? std::span<const std::byte>(*bytes_) : std::span<const std::byte>();
  }
  void append(std::span<const std::byte> more) {
    if (!bytes_) bytes_ = std::make_unique<std::vector<std::byte>>();
    bytes_->insert(bytes_->end(), more.begin(), more.end());
  }
  /// Drops the first `count` bytes (at most size()); the storage stays for the next ones.
  void consume(std::size_t count) noexcept {
    if (!bytes_) return;
    bytes_->erase(bytes_->begin(),
                  bytes_->begin() + static_cast<std::ptrdiff_t>(std::min(count, bytes_->size())));
  }
  void clear() noexcept {
    if (bytes_) bytes_->clear();
  }
  /// Frees the storage too (the connection is over).
  void release() noexcept { bytes_.reset(); }

 private:
  std::unique_ptr<std::vector<std::byte>> bytes_;
};

}  // namespace flowkit::detail
