#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace flowkit::testing {

/// A fresh directory of its own under the system's temporary directory (mkdtemp), removed with
/// everything in it when this goes.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
  [[nodiscard]] std::filesystem::path operator/(const std::string& name) const {
    return path_ / name;
  }
  /// The path of the file `name` in it, as a string.
  [[nodiscard]] std::string file(const std::string& name) const { return (path_ / name).string(); }
  /// Writes `bytes` to the file `name` in it; returns its path.
  [[nodiscard]] std::string write(const std::string& name, std::string_view bytes) const;

 private:
  std::filesystem::path path_;
};

}  // namespace flowkit::testing
