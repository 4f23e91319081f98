// The connection's memory layout, the out-of-line parts of its receive state, and the address
// comparison the lookup runs on every packet.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include <set>

#include "flow/connection_table.h"
#include "flow/slot_pool.h"
#include "flowkit/ip_address.h"
#include "tcp/connection_node.h"

namespace flowkit::detail {
namespace {

std::size_t offset_in(const ConnectionNode& node, const void* member) {
  return static_cast<std::size_t>(static_cast<const char*>(member) -
                                  reinterpret_cast<const char*>(&node));
}

TEST(ConnectionNodeLayout, WhatEveryPacketReadsFillsTheFirstLines) {
  const auto node = std::make_unique<ConnectionNode>();
  const auto& n = *node;
  // Nodes start on a cache line, so the packet path's bytes are exactly kPacketBytes / 64 lines.
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(node.get()) % 64, 0u);
  EXPECT_EQ(ConnectionNode::kPacketBytes % 64, 0u);

  const auto in_packet_lines = [&](const void* member, std::size_t size) {
    return offset_in(n, member) + size <= ConnectionNode::kPacketBytes;
  };
  EXPECT_TRUE(in_packet_lines(&n.key(), sizeof(FlowKey)));   // compared by the lookup
  EXPECT_LE(offset_in(n, &n.key()) + sizeof(FlowKey), 64u);  // in the hook's line
  EXPECT_TRUE(in_packet_lines(&n.last_seen_, sizeof(Timestamp)));
  EXPECT_TRUE(in_packet_lines(&n.halves_, sizeof(n.halves_)));
  EXPECT_TRUE(in_packet_lines(&n.user_, sizeof(n.user_)));
  EXPECT_TRUE(in_packet_lines(&n.announced, 1));
  EXPECT_TRUE(in_packet_lines(&n.ended, 1));
  EXPECT_TRUE(in_packet_lines(&n.timer, 1));
  EXPECT_TRUE(in_packet_lines(&n.end_request, sizeof(n.end_request)));
  EXPECT_TRUE(in_packet_lines(&n.relinked, sizeof(Timestamp)));
  EXPECT_TRUE(in_packet_lines(&n.rx_, sizeof(n.rx_)));
  // What few packets read comes after them.
  EXPECT_GE(offset_in(n, &n.timer_hook), ConnectionNode::kPacketBytes);
  EXPECT_GE(offset_in(n, &n.hole_since_), ConnectionNode::kPacketBytes);
  EXPECT_LE(sizeof(ConnectionNode), ConnectionNode::kPacketBytes + 64);
}

TEST(SlotPoolSlots, AlignedDistinctAndReusedFirst) {
  SlotPool<100, 64> pool;  // slots round up to 128 bytes
  std::vector<void*> slots;
  std::set<std::uintptr_t> seen;
  for (int i = 0; i < 200; ++i) {  // several blocks
    void* slot = pool.allocate();
    const auto at = reinterpret_cast<std::uintptr_t>(slot);
    EXPECT_EQ(at % 64, 0u);
    for (const auto other : seen) {  // no two slots overlap
      ASSERT_TRUE(at + 100 <= other || other + 100 <= at);
    }
    seen.insert(at);
    std::memset(slot, 0xab, 100);  // all of it is usable
    slots.push_back(slot);
  }
  pool.deallocate(slots[17]);
  pool.deallocate(slots[150]);
  EXPECT_EQ(pool.allocate(), slots[150]);  // the last one freed, still in cache, goes first
  EXPECT_EQ(pool.allocate(), slots[17]);
  for (void* slot : slots) pool.deallocate(slot);
}

#if defined(__SANITIZE_ADDRESS__)
// A pool hides freed slots from the allocator, so it must tell AddressSanitizer itself.
TEST(SlotPoolSlots, AFreedSlotIsPoisonedForAddressSanitizer) {
  SlotPool<100, 64> pool;
  auto* slot = static_cast<volatile unsigned char*>(pool.allocate());
  slot[50] = 1;  // in use: fine
  pool.deallocate(const_cast<unsigned char*>(slot));
  EXPECT_DEATH(static_cast<void>(slot[50]), "use-after-poison");
  EXPECT_EQ(pool.allocate(), const_cast<unsigned char*>(slot));
  slot[50] = 2;  // handed out again: usable
}
#endif

TEST(ConnectionTableNodes, ComeFromThePoolAndGoBackToIt) {
  ConnectionTable table;
  auto first = table.make_node();
  auto* const first_at = first.get();
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(first_at) % 64, 0u);
  first->key_.client_port = 1000;
  first->key_.server_port = 80;
  auto& inserted = table.insert(std::move(first));
  EXPECT_EQ(&inserted, first_at);
  EXPECT_EQ(table.size(), 1u);
  table.erase(inserted);
  EXPECT_EQ(table.size(), 0u);
  // The freed slot is the next node's, constructed afresh.
  auto second = table.make_node();
  EXPECT_EQ(second.get(), first_at);
  EXPECT_EQ(second->key().client_port, 0);
  EXPECT_TRUE(second->rx(Direction::ToServer).queue.empty());
  // A node dropped before insertion goes back too.
  second.reset();
  EXPECT_EQ(table.make_node().get(), first_at);
}

TEST(SegmentQueueStorage, AnUnusedQueueAnswersWithoutStorage) {
  SegmentQueue queue;
  EXPECT_TRUE(queue.empty());
  EXPECT_EQ(queue.bytes(), 0u);
  EXPECT_EQ(queue.memory(), 0u);
  EXPECT_EQ(queue.truncate(10), 0u);  // a FIN on a stream that never queued anything
  EXPECT_TRUE(queue.empty());

  const std::vector<std::byte> data(5, std::byte{'a'});
  queue.insert(100, data, OverlapPolicy::First, nullptr);
  EXPECT_FALSE(queue.empty());
  EXPECT_EQ(queue.front_offset(), 100u);
  EXPECT_EQ(queue.memory(), 5u + SegmentQueue::kPieceOverhead);
  EXPECT_EQ(queue.truncate(102), 3u);
  std::uint64_t offset = 0;
  EXPECT_EQ(queue.pop_front(offset).size(), 2u);
  EXPECT_EQ(offset, 100u);
  EXPECT_TRUE(queue.empty());

  queue.insert(7, data, OverlapPolicy::First, nullptr);
  queue.clear();
  EXPECT_TRUE(queue.empty());
  EXPECT_EQ(queue.memory(), 0u);
  queue.insert(9, data, OverlapPolicy::First, nullptr);  // usable again after clear()
  EXPECT_EQ(queue.front_offset(), 9u);
}

TEST(KeptBytesStorage, AppendsConsumesAndReleases) {
  KeptBytes kept;
  EXPECT_TRUE(kept.empty());
  EXPECT_EQ(kept.size(), 0u);
  EXPECT_TRUE(kept.view().empty());
  kept.consume(3);  // nothing kept: nothing to drop
  kept.clear();
  EXPECT_TRUE(kept.empty());

  const std::array<std::byte, 4> first{std::byte{1}, std::byte{2}, std::byte{3}, std::byte{4}};
  const std::array<std::byte, 2> second{std::byte{5}, std::byte{6}};
  kept.append(first);
  kept.append(second);
  ASSERT_EQ(kept.size(), 6u);
  kept.consume(3);
  ASSERT_EQ(kept.size(), 3u);
  EXPECT_EQ(kept.view()[0], std::byte{4});
  EXPECT_EQ(kept.view()[2], std::byte{6});
  kept.consume(10);  // more than is kept: all of it
  EXPECT_TRUE(kept.empty());
  kept.append(second);
  kept.release();
  EXPECT_TRUE(kept.empty());
  EXPECT_EQ(kept.size(), 0u);
}

TEST(IpAddressCompare, EveryByteAndTheFamilyCount) {
  static_assert(IpAddress{} == IpAddress{});
  const auto a = IpAddress::parse("2001:db8::1");
  ASSERT_TRUE(a.has_value());
  for (int i = 0; i < 16; ++i) {
    std::array<std::byte, 16> bytes{};
    const auto original = a->bytes();
    std::copy(original.begin(), original.end(), bytes.begin());
    EXPECT_EQ(IpAddress::v6(bytes), *a);
    bytes[static_cast<std::size_t>(i)] ^= std::byte{0x40};
    EXPECT_NE(IpAddress::v6(bytes), *a) << "byte " << i;
  }
  // Zero-extended IPv4 and the IPv6 address of the same 16 bytes are different addresses.
  const std::array<std::byte, 4> v4{std::byte{10}, std::byte{0}, std::byte{0}, std::byte{1}};
  std::array<std::byte, 16> same_bytes{};
  std::copy(v4.begin(), v4.end(), same_bytes.begin());
  EXPECT_NE(IpAddress::v4(v4), IpAddress::v6(same_bytes));
  EXPECT_EQ(IpAddress::v4(v4), *IpAddress::parse("10.0.0.1"));
}

}  // namespace
}  // namespace flowkit::detail
