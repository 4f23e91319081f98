#pragma once

#include <boost/intrusive/list.hpp>
#include <boost/intrusive/unordered_set.hpp>

#include <cstdint>
#include <optional>

#include "flowkit/connection.h"
#include "tcp/kept_bytes.h"
#include "tcp/segment_queue.h"

namespace flowkit::detail {

/// Which idle timeout applies; each class has its own LRU list, so expiry is a walk from the
/// front of each list that stops at the first connection still fresh.
enum class TimerClass : std::uint8_t { Embryonic = 0, Active = 1, Ended = 2 };
inline constexpr std::size_t kTimerClasses = 3;

/// Receive-side reassembly state of one direction: what every packet reads, in 48 bytes (the
/// queued pieces and kept bytes live out of line, made when first needed).
struct ReceiveSide {
  SegmentQueue queue;            ///< out-of-order data above `delivered`
  KeptBytes kept;                ///< bytes on_data left unconsumed
  std::uint64_t fin_offset = 0;  ///< stream offset of the FIN
  std::uint64_t acked = 0;       ///< highest offset the receiver acknowledged
  std::uint32_t base_seq = 0;    ///< sequence number of stream offset 0 (ISN + 1)
  bool base_known = false;       ///< base_seq is valid
  bool fin_known = false;
  bool acked_known = false;
  std::uint8_t syn_window_scale = 0xff;  ///< window scale option in this side's SYN
};

namespace bi = boost::intrusive;
using TableHook = bi::unordered_set_base_hook<bi::store_hash<true>>;
using TimerHook = bi::list_member_hook<>;

/// A Connection plus everything the tracker needs; lives in the table and one timer list.
/// Laid out for the packet path, which reads the node of a connection the streamed capture
/// has long pushed out of the caches: cache-line aligned, the hash hook first so that walking
/// a bucket finds the flow key (Connection's first member) in the same line, then everything a
/// packet reads in the first five lines; what few packets read (the LRU hook, relinked once a
/// second; hole times) after them. The flow hash is kept by the hash hook.
class alignas(64) ConnectionNode final : public TableHook, public Connection {
 public:
  ConnectionNode() = default;

  /// The node's first bytes, those the packet path reads (a test checks the members' places).
  static constexpr std::size_t kPacketBytes = 5 * 64;

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
  /// When the front hole of `d`'s queue opened (meaningful while the queue is not empty).
  Timestamp& hole_since(Direction d) noexcept { return hole_since_[static_cast<std::size_t>(d)]; }

  bool announced = false;  ///< on_established was called
  bool ended = false;      ///< on_end was called (or it never was announced and is finished)
  TimerClass timer = TimerClass::Embryonic;
  std::optional<EndReason> end_request;  ///< end_connection() called from inside a callback
  Timestamp relinked{};  ///< packet time of the last move to the back of the timer list
  ReceiveSide rx_[2];
  TimerHook timer_hook;
  Timestamp hole_since_[2]{};
};

}  // namespace flowkit::detail
