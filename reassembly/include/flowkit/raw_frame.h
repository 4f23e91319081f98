#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "flowkit/timestamp.h"

namespace flowkit {

/// One captured frame as it came off the wire or out of a file. `data` is borrowed: it stays
/// valid only until the source produces the next frame.
struct RawFrame {
  Timestamp ts{};
  int link_type = 1;                ///< a DLT_/LINKTYPE_ value (1 = Ethernet)
  std::span<const std::byte> data;  ///< the captured bytes (caplen)
  std::uint32_t wire_length = 0;    ///< the original length on the wire (>= data.size())
};

}  // namespace flowkit
