#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace flowkit::flowgrep {

/// Printable ASCII for any bytes: \r \n \t \\ \" and \xHH for the rest. Output is never longer
/// than `limit` characters of escapes (then "..."), so hostile streams cannot flood a log.
/// `quote_specials` off leaves backslashes and quotes alone (for showing regexes).
[[nodiscard]] std::string escape_bytes(std::span<const std::byte> bytes, std::size_t limit = 512);
[[nodiscard]] std::string escape_bytes(std::string_view text, std::size_t limit = 512,
                                       bool quote_specials = true);

/// Keeps the last bytes of a direction so a match can be shown with its context even when it
/// began in an earlier segment.
class RecentBytes {
 public:
  explicit RecentBytes(std::size_t keep) : keep_(keep) {}
  /// `chunk` starts at stream offset `offset`; call after the chunk was scanned.
  void append(std::uint64_t offset, std::span<const std::byte> chunk);
  /// Forget everything (bytes are missing before `offset`).
  void reset(std::uint64_t offset);
  /// Bytes [from, to) as far as they are still known, looking first here, then in `chunk`
  /// (which starts at `chunk_offset`, just after what this holds).
  [[nodiscard]] std::string slice(std::uint64_t from, std::uint64_t to, std::uint64_t chunk_offset,
                                  std::span<const std::byte> chunk) const;

 private:
  std::size_t keep_;
  std::string bytes_;
  std::uint64_t start_ = 0;  ///< stream offset of bytes_[0]
};

}  // namespace flowkit::flowgrep
