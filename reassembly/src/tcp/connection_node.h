#pragma once

#include <boost/intrusive/list.hpp>
#include <boost/intrusive/unordered_set.hpp>

#include <cstdint>
#include <optional>
#include <vector>

#include "flowkit/connection.h"
#include "tcp/segment_queue.h"

namespace flowkit::detail {

/// Which idle timeout applies; each class has its own LRU list, so expiry is a walk from the
/// front of each list that stops at the first connection still fresh.
enum class TimerClass : std::uint8_t { Embryonic = 0, Active = 1, Ended = 2 };
inline constexpr std::size_t kTimerClasses = 3;

/// Receive-side reassembly state of one direction.
struct ReceiveSide {
  SegmentQueue queue;           ///< out-of-order data above `delivered`
  std::vector<std::byte> kept;  ///< bytes on_data left unconsumed
  bool base_known = false;      ///< base_seq is valid
  std::uint32_t base_seq = 0;   ///< sequence number of stream offset 0 (ISN + 1)
  bool fin_known = false;
  std::uint64_t fin_offset = 0;  ///< stream offset of the FIN
  bool acked_known = false;
  std::uint64_t acked = 0;               ///< highest offset the receiver acknowledged
  Timestamp hole_since{};                ///< when the current front hole opened
  std::uint8_t syn_window_scale = 0xff;  ///< window scale option in this side's SYN
};

namespace bi = boost::intrusive;
using TableHook = bi::unordered_set_base_hook<bi::store_hash<true>>;
using TimerHook = bi::list_base_hook<>;

/// A Connection plus everything the tracker needs; lives in the table and one timer list.
/// The hash hook comes first so that walking a bucket touches the hook and the flow key
/// (Connection's first member) in the same cache line.
class ConnectionNode final : public TableHook, public Connection, public TimerHook {
 public:
  ConnectionNode() = default;

  using Connection::first_seen_;
  using Connection::halves_;
  using Connection::id_;
  using Connection::key_;
  using Connection::last_seen_;
  using Connection::midstream_;
  using Connection::mutable_half;
  using Connection::state_;
  using Connection::user_;

  ReceiveSide& rx(Direction d) noexcept { return rx_[static_cast<std::size_t>(d)]; }

  ReceiveSide rx_[2];
  std::size_t hash = 0;
  TimerClass timer = TimerClass::Embryonic;
  Timestamp relinked{};    ///< packet time of the last move to the back of the timer list
  bool announced = false;  ///< on_established was called
  bool ended = false;      ///< on_end was called (or it never was announced and is finished)
  std::optional<EndReason> end_request;  ///< end_connection() called from inside a callback
};

}  // namespace flowkit::detail
