#include "flowkit/httpgraph/utf8.h"

#include <cstdint>

namespace flowkit::httpgraph {

std::size_t utf8_sequence_length(std::string_view text, std::size_t i) noexcept {
  const auto byte = [&](std::size_t k) { return static_cast<std::uint8_t>(text[k]); };
  const std::uint8_t lead = byte(i);
  struct Form {
    std::uint8_t lead_min, lead_max, lead_mask;
    std::size_t length;
    std::uint32_t min;  // smallest code point this length may encode (no overlong forms)
  };
  static constexpr Form kForms[] = {
      {0xC2, 0xDF, 0x1F, 2, 0x80}, {0xE0, 0xEF, 0x0F, 3, 0x800}, {0xF0, 0xF4, 0x07, 4, 0x10000}};
  const Form* form = nullptr;
  for (const auto& f : kForms) {
    if (lead >= f.lead_min && lead <= f.lead_max) form = &f;
  }
  if (form == nullptr) return 0;
  const std::size_t length = form->length;
  const std::uint32_t min = form->min;
  std::uint32_t cp = lead & form->lead_mask;
  if (i + length > text.size()) return 0;
  for (std::size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0u) != 0x80u) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3Fu);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return length;
}

}  // namespace flowkit::httpgraph
