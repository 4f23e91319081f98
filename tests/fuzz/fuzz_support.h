// What the fuzz targets share: a reader over the fuzzer's bytes, a Handler that touches every
// byte it is given and checks the Handler contract, and the input formats of the targets that
// build packets (so the seed tool writes exactly what the targets read).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "flowkit/config.h"
#include "flowkit/handler.h"
#include "flowkit/reassembler.h"

namespace flowkit::fuzz {

/// The frame target's first byte indexes this table: every link type the decoder knows, plus
/// ones it must refuse (and flowkit's internal one for datagrams reassembled before dispatch).
inline constexpr std::array kFrameLinkTypes{1,   0,   12,  14,  101, 108, 113,
                                            228, 229, 239, 276, 147, 9,   -2};

/// Reports a broken invariant the way libFuzzer recognises a crash: message, then abort().
[[noreturn]] void fail(std::string_view what);

/// Consumes the fuzzer's input front to back; reads past the end give zeros (and empty spans),
/// so every input decodes to something.
class ByteReader {
 public:
  explicit ByteReader(std::span<const std::byte> data) noexcept : data_(data) {}
  ByteReader(const std::uint8_t* data, std::size_t size) noexcept;

  [[nodiscard]] bool empty() const noexcept { return at_ >= data_.size(); }
  [[nodiscard]] std::size_t remaining() const noexcept { return data_.size() - at_; }
  std::uint8_t u8() noexcept;
  std::uint16_t u16() noexcept;  ///< big-endian
  std::uint32_t u32() noexcept;  ///< big-endian
  /// Up to `n` bytes (fewer when the input ends).
  std::span<const std::byte> bytes(std::size_t n) noexcept;
  std::span<const std::byte> rest() noexcept { return bytes(remaining()); }

 private:
  std::span<const std::byte> data_;
  std::size_t at_ = 0;
};

/// Appends big-endian integers and raw bytes: the writing side of ByteReader (seed tool).
class ByteWriter {
 public:
  ByteWriter& u8(std::uint8_t v);
  ByteWriter& u16(std::uint16_t v);
  ByteWriter& u32(std::uint32_t v);
  ByteWriter& bytes(std::span<const std::byte> b);
  ByteWriter& text(std::string_view t);
  [[nodiscard]] const std::vector<std::byte>& data() const noexcept { return out_; }

 private:
  std::vector<std::byte> out_;
};

/// Folds bytes into a value the optimiser cannot drop: every byte a callback is given is read.
void touch(std::span<const std::byte> bytes) noexcept;
void touch_text(std::string_view text) noexcept;

/// How the checking handler behaves, chosen by the input.
struct HandlerMode {
  /// 0: consume everything; 1: keep up to the last 7 bytes; 2: consume only whole 16-byte
  /// records (kept bytes pile up to at most 15); 3: consume nothing while fewer than 32 bytes.
  std::uint8_t consume = 0;
  bool collect_to_client = true;
  bool end_on_bang = false;  ///< end the connection (deferred) when its data holds a '!'
};
[[nodiscard]] HandlerMode handler_mode(std::uint8_t bits) noexcept;

/// A Handler that reads every byte of every chunk, payload and frame it is handed, and checks
/// the contract of handler.h: established before anything else, ended exactly once, nothing
/// after the end, chunks and gaps that continue exactly where the last ones stopped. With an
/// `inner` handler (a tool's), it checks and forwards every event, and the inner handler decides
/// what is consumed and collected.
class CheckingHandler : public Handler {
 public:
  explicit CheckingHandler(HandlerMode mode = {}, Handler* inner = nullptr) noexcept
      : mode_(mode), inner_(inner) {}

  /// Lets callbacks end connections (HandlerMode::end_on_bang).
  void attach(Reassembler& reassembler) noexcept { reassembler_ = &reassembler; }

  void on_established(Connection& c) override;
  std::size_t on_data(Connection& c, Direction d, const StreamChunk& chunk) override;
  void on_gap(Connection& c, Direction d, std::uint64_t offset, std::uint64_t length,
              GapReason reason) override;
  void on_overlap_conflict(Connection& c, Direction d, std::uint64_t offset,
                           std::uint64_t length) override;
  void on_urgent(Connection& c, Direction d, std::byte value) override;
  void on_segment(Connection& c, Direction d, const PacketInfo& pkt) override;
  void on_end(Connection& c, EndReason reason) override;
  void on_udp(const PacketInfo& pkt) override;
  void on_ip(const PacketInfo& pkt) override;

  /// After Reassembler::finish(): every announced connection ended, and the counters agree.
  void check_finished(const Reassembler& reassembler) const;
  /// Bytes kept back from on_data right now, over all connections (bounded by the mode).
  [[nodiscard]] std::size_t kept_bytes() const noexcept { return kept_total_; }

 private:
  struct Half {
    std::uint64_t next = 0;  ///< stream offset where the next new byte or gap must start
    std::size_t kept = 0;    ///< bytes returned unconsumed last time
  };
  struct Open {
    Half halves[2];
  };
  Open& open(const Connection& c, std::string_view callback);
  static void touch_packet(const PacketInfo& pkt) noexcept;

  HandlerMode mode_;
  Handler* inner_;
  Reassembler* reassembler_ = nullptr;
  std::map<std::uint64_t, Open> open_;
  std::set<std::uint64_t> ended_;
  std::size_t kept_total_ = 0;
};

/// Feeds frames and checks, after each, that buffered memory respects the caps of `config`.
void check_memory(const Reassembler& reassembler, const Config& config,
                  const CheckingHandler& handler);

// --- TCP conversation input (the tcp target) ---------------------------------------------------

/// One segment of the tcp target's conversation on a fixed pair of hosts.
struct TcpRecord {
  bool from_server = false;
  std::uint8_t client_port = 0;    ///< 0..3: which of four client ports (several connections)
  std::uint8_t time_step = 0;      ///< 0..3: 0, 1 ms, 1 s or 40 s before this segment
  std::uint8_t flags = 0;          ///< TCP flags as on the wire
  std::uint16_t offset = 0;        ///< stream offset of the first byte (seq = ISN + 1 + offset)
  std::uint16_t ack = 0;           ///< the peer's stream offset acknowledged
  std::uint8_t window = 0;         ///< window field = (window + 1) * 256
  std::uint8_t urgent = 0;         ///< urgent pointer
  std::vector<std::byte> payload;  ///< at most 255 bytes
  bool patch = false;              ///< flip one byte of the built frame
  std::uint8_t patch_at = 0;
  std::uint8_t patch_xor = 0;
};

/// The whole input of the tcp target: configuration, then segments until the input ends.
struct TcpScript {
  std::uint8_t policy = 0;   ///< % 6
  std::uint8_t options = 0;  ///< bit 0 midstream, 1 !rst_requires_window, 2 IPv6, 3 VLAN tag,
                             ///< 4 !urgent_inline, 5 verify checksums
  std::uint8_t limits = 0;   ///< memcap, stream_buffer_limit, max_connections choices
  std::uint8_t handler = 0;  ///< handler_mode()
  std::uint32_t client_isn = 0;
  std::uint32_t server_isn = 0;
  std::vector<TcpRecord> records;

  static TcpScript decode(ByteReader& in);
  [[nodiscard]] std::vector<std::byte> encode() const;
  [[nodiscard]] Config config() const;
};

// --- stream conversation input (versiondetect and httpgraph targets) ---------------------------

/// A conversation between a client and a server as in-order chunks of each direction, with
/// optional holes, on one TCP connection whose ports the input picks.
struct StreamScript {
  std::uint16_t server_port = 80;
  std::uint8_t options = 0;  ///< bit 0 midstream (no handshake), 1 close with FINs, 2 IPv6
  struct Chunk {
    bool from_server = false;
    bool hole_before = false;  ///< skip 1..16 bytes of sequence space (a lost segment)
    std::vector<std::byte> bytes;
  };
  std::vector<Chunk> chunks;

  static StreamScript decode(ByteReader& in);
  [[nodiscard]] std::vector<std::byte> encode() const;
};

/// Runs `script` through a Reassembler into a CheckingHandler that forwards to `tool`.
void run_stream_script(const StreamScript& script, Handler& tool);

}  // namespace flowkit::fuzz
