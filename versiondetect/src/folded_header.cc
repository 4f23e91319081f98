#include "folded_header.h"

#include <algorithm>

#include "text.h"

namespace flowkit::versiondetect {

namespace {

constexpr std::size_t kHeld = kMaxBannerBytes + 1;

}  // namespace

void FoldedHeader::start(Role role, Protocol protocol, Field field, std::string_view value,
                         bool truncated) {
  held_ = Held{role, protocol, field, text::bounded(value, kHeld), truncated};
}

void FoldedHeader::append(std::string_view line, bool truncated) {
  if (!held_) return;
  auto& value = held_->value;
  value.append(line.substr(0, std::min(line.size(), kHeld - std::min(kHeld, value.size()))));
  held_->truncated = held_->truncated || truncated;
}

void FoldedHeader::flush(const Reporter& reporter) {
  if (!held_) return;
  reporter.report(held_->role, held_->protocol, held_->field, held_->value, held_->truncated);
  held_.reset();
}

}  // namespace flowkit::versiondetect
