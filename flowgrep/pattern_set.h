#pragma once

#include <hs/hs.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace flowkit::flowgrep {

/// A pattern was rejected; the message names the pattern, where it came from and why.
class PatternError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// One pattern as the user wrote it.
struct Pattern {
  std::string text;        ///< as given (for reports)
  std::string expression;  ///< what Hyperscan compiles (hex patterns become \xHH escapes)
  std::string origin;      ///< "-e #2" or "rules.txt:7"
};

struct PatternOptions {
  bool caseless = false;  ///< -i
  bool hex = false;       ///< --hex: patterns are byte strings in hex
};

/// Reads patterns from a file: one per line, blank lines and lines starting with '#' skipped.
/// Throws PatternError when the file cannot be read.
std::vector<Pattern> load_pattern_file(const std::string& path, const PatternOptions& options);
/// A pattern from the command line (`index` counts -e options from 1).
Pattern command_line_pattern(const std::string& text, std::size_t index,
                             const PatternOptions& options);

/// Hyperscan streaming database of all patterns. Matches report their leftmost start where
/// Hyperscan can track it (some large bounded repeats cannot; those report only the end).
class CompiledPatterns {
 public:
  /// Compiles for streaming mode with DOTALL (ngrep users expect '.' to cross newlines) and
  /// leftmost start-of-match where possible. Throws PatternError.
  CompiledPatterns(std::vector<Pattern> patterns, const PatternOptions& options);

  [[nodiscard]] const hs_database_t* database() const noexcept { return database_.get(); }
  [[nodiscard]] const Pattern& pattern(unsigned id) const { return patterns_.at(id); }
  [[nodiscard]] std::size_t size() const noexcept { return patterns_.size(); }
  [[nodiscard]] bool reports_start(unsigned id) const { return som_.at(id); }
  /// Bytes of state each open stream costs.
  [[nodiscard]] std::size_t stream_size() const noexcept;

 private:
  struct DatabaseFree {
    void operator()(hs_database_t* db) const noexcept { hs_free_database(db); }
  };
  std::vector<Pattern> patterns_;
  std::vector<bool> som_;
  std::unique_ptr<hs_database_t, DatabaseFree> database_;
};

}  // namespace flowkit::flowgrep
