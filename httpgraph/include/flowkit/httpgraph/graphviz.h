#pragma once

#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

namespace flowkit::httpgraph {

/// Rendering failed; the message is one line and says what to do about it.
class RenderError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct RenderOptions {
  std::string format = "svg";   ///< one of render_formats()
  std::string layout = "dot";   ///< one of render_layouts()
  std::string output;           ///< the file to write (never through a symlink)
  int output_fd = -1;           ///< `output` opened already (e.g. before dropping privileges)
  std::string program = "dot";  ///< the Graphviz executable, looked up in PATH
};

[[nodiscard]] std::span<const std::string_view> render_formats() noexcept;
[[nodiscard]] std::span<const std::string_view> render_layouts() noexcept;

/// The message for a missing Graphviz executable, with what to do about it.
[[nodiscard]] std::string graphviz_missing(std::string_view program);

/// Whether `program` is an executable file in one of PATH's directories, so that a missing
/// Graphviz is reported before a long capture is read rather than after.
[[nodiscard]] bool program_in_path(std::string_view program);

/// Runs Graphviz (`program -T<format> -K<layout>`) on `dot_text` and writes what it renders to
/// options.output. Throws RenderError when Graphviz is not installed, the output cannot be
/// written, or Graphviz fails (its own messages go to stderr); no partial file is left behind.
void render(std::string_view dot_text, const RenderOptions& options);

}  // namespace flowkit::httpgraph
