#pragma once

#include <string>

namespace flowkit {

/// Whether the decoder understands frames of this DLT_/LINKTYPE_ value.
[[nodiscard]] bool link_type_supported(int link_type) noexcept;
/// "EN10MB (Ethernet)"-style name for messages; the number when libpcap does not know it.
[[nodiscard]] std::string link_type_name(int link_type);

}  // namespace flowkit
