// The in-order path must not allocate per segment when the callback consumes the data. Global
// operator new is replaced in this test binary to count allocations.
#include <gtest/gtest.h>

// AddressSanitizer owns operator new/delete; replacing them there mixes the two allocators.
#ifndef __SANITIZE_ADDRESS__

#include <atomic>
#include <cstdlib>
#include <new>

#include "flowkit/reassembler.h"
#include "packet_builder.h"

namespace {
std::atomic<std::size_t> g_allocations{0};
}  // namespace

void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
// GCC cannot see that the replaced operator new above uses malloc.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
#pragma GCC diagnostic pop

namespace flowkit::testing {
namespace {

class Summer final : public Handler {
 public:
  std::size_t on_data(Connection&, Direction, const StreamChunk& chunk) override {
    for (std::byte b : chunk.bytes) sum += static_cast<unsigned>(b);
    bytes += chunk.bytes.size();
    return chunk.bytes.size();
  }
  std::uint64_t sum = 0;
  std::uint64_t bytes = 0;
};

TEST(Allocation, InOrderSegmentsAreDeliveredWithoutAllocating) {
  TcpSession s;
  auto frames = s.handshake();
  const std::string chunk(1400, 'x');
  for (int i = 0; i < 2000; ++i) {
    frames.push_back(i % 2 == 0 ? s.client_send(chunk) : s.server_send(chunk));
  }
  Summer summer;
  Reassembler r(Config{}, summer);
  const std::size_t warmup = 10;  // handshake and the first segments create the connection
  for (std::size_t i = 0; i < warmup; ++i) r.process(frames[i].view());
  const std::size_t before = g_allocations.load();
  for (std::size_t i = warmup; i < frames.size(); ++i) r.process(frames[i].view());
  const std::size_t during = g_allocations.load() - before;
  EXPECT_EQ(during, 0u);
  EXPECT_EQ(summer.bytes, 2000u * 1400u);

  // The counter does see the reassembler's allocations: queueing out-of-order data allocates.
  const std::uint32_t sent = s.client_next_seq() - (s.options().client_isn + 1);
  const auto ahead = s.client_at(sent + 5000, "later");  // leaves a hole: must be queued
  const std::size_t before_queue = g_allocations.load();
  r.process(ahead.view());
  EXPECT_GT(g_allocations.load(), before_queue);
  r.finish();
}

}  // namespace
}  // namespace flowkit::testing

#endif  // __SANITIZE_ADDRESS__
