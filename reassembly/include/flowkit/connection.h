#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <typeinfo>

#include "flowkit/flow_key.h"
#include "flowkit/timestamp.h"

namespace flowkit {

/// Which way bytes travel. ToServer is what the client sends.
enum class Direction : std::uint8_t { ToServer = 0, ToClient = 1 };

[[nodiscard]] constexpr Direction opposite(Direction d) noexcept {
  return d == Direction::ToServer ? Direction::ToClient : Direction::ToServer;
}
std::string_view to_string(Direction d) noexcept;

/// Why a connection ended. Every connection that was announced by on_established ends exactly once.
enum class EndReason : std::uint8_t {
  Close,       ///< both sides sent FIN and every byte up to the FINs was delivered
  Reset,       ///< an in-window RST
  Timeout,     ///< idle longer than the configured timeout (in packet time)
  Evicted,     ///< removed to stay under the connection limit or the memory cap
  PortReuse,   ///< a new SYN with another initial sequence number took over the 5-tuple
  EndOfInput,  ///< Reassembler::finish(): the capture ended with the connection open
};
std::string_view to_string(EndReason reason) noexcept;

enum class ConnectionState : std::uint8_t { SynSent, SynReceived, Established, Closing, Closed };
std::string_view to_string(ConnectionState state) noexcept;

/// Why bytes were skipped.
enum class GapReason : std::uint8_t {
  AckedUnseen,  ///< the receiver acknowledged data the capture never saw
  BufferLimit,  ///< too much data queued behind the hole (per-stream limit or memory cap)
  Timeout,      ///< the hole stayed open longer than the gap timeout
  StreamEnd,    ///< the connection ended with the hole still open
};
std::string_view to_string(GapReason reason) noexcept;

/// What one side of the connection has sent, as seen on the wire. "Sender" is the endpoint that
/// transmits in this direction: for Direction::ToServer the client.
struct HalfStreamState {
  std::uint32_t isn = 0;          ///< initial sequence number (SYN's seq)
  std::uint32_t next_seq = 0;     ///< sequence number of the next byte to be delivered
  std::uint32_t highest_seq = 0;  ///< one past the highest sequence number seen from the sender
  std::uint32_t last_ack = 0;     ///< latest ACK number the sender sent (what it has received)
  std::uint32_t window = 0;       ///< sender's last advertised receive window, scaled, in bytes
  std::uint8_t window_scale = 0;  ///< shift applied to the sender's window field
  bool ack_seen = false;          ///< last_ack is valid
  bool fin_seen = false;
  bool collect = true;          ///< deliver this direction's bytes to on_data
  std::uint64_t delivered = 0;  ///< stream offset of the next byte to deliver (0 = first byte)
  std::uint64_t buffered = 0;   ///< out-of-order bytes waiting above a hole
  std::uint64_t gap_bytes = 0;  ///< bytes skipped so far
  std::uint64_t packets = 0;    ///< segments sent in this direction
};

/// Per-connection state that a user attaches; destroyed with the connection.
class ConnectionData {
 public:
  virtual ~ConnectionData() = default;
};

/// One TCP connection, as callbacks see it. Owned by the Reassembler: never keep a pointer to it
/// after on_end returns.
class Connection {
 public:
  [[nodiscard]] const FlowKey& key() const noexcept { return key_; }
  [[nodiscard]] ConnectionState state() const noexcept { return state_; }
  [[nodiscard]] Timestamp first_seen() const noexcept { return first_seen_; }
  [[nodiscard]] Timestamp last_seen() const noexcept { return last_seen_; }
  /// True when the handshake was not seen and the connection was picked up mid-stream.
  [[nodiscard]] bool midstream() const noexcept { return midstream_; }
  /// Unique per Reassembler, in order of creation.
  [[nodiscard]] std::uint64_t id() const noexcept { return id_; }

  /// What the sender in direction `d` has sent and acknowledged.
  [[nodiscard]] const HalfStreamState& half(Direction d) const noexcept {
    return halves_[static_cast<std::size_t>(d)];
  }
  /// Choose whether direction `d` is delivered to on_data (like libnids' collect flags).
  void collect(Direction d, bool on) noexcept { halves_[static_cast<std::size_t>(d)].collect = on; }

  /// A slot for the user's per-connection state.
  template <class T>
  [[nodiscard]] T* data() const noexcept {
    if (!user_) return nullptr;
    // Called on every data event, and the slot nearly always holds exactly a T: comparing
    // type_info is a load and a compare where the cast walks the class hierarchy.
    const ConnectionData& held = *user_;
    if (typeid(held) == typeid(T)) return static_cast<T*>(user_.get());
    return dynamic_cast<T*>(user_.get());
  }
  void set_data(std::unique_ptr<ConnectionData> data) noexcept { user_ = std::move(data); }

 protected:
  Connection() = default;
  ~Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  HalfStreamState& mutable_half(Direction d) noexcept {
    return halves_[static_cast<std::size_t>(d)];
  }

  // In the order the packet path reads them (the tracker's node lays its lines out around
  // this); the two read only by users last.
  FlowKey key_;
  ConnectionState state_ = ConnectionState::SynSent;
  bool midstream_ = false;
  Timestamp last_seen_{};
  HalfStreamState halves_[2];
  std::unique_ptr<ConnectionData> user_;
  Timestamp first_seen_{};
  std::uint64_t id_ = 0;
};

}  // namespace flowkit
