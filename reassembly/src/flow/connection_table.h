#pragma once

#include <memory>
#include <vector>

#include "flow/slot_pool.h"
#include "flowkit/flow_key.h"
#include "flowkit/packet.h"
#include "io/prefetch.h"
#include "tcp/connection_node.h"

namespace flowkit::detail {

/// The symmetric_hash of a decoded packet's tuple: what the table files its connection under.
[[nodiscard]] inline std::size_t decoded_flow_hash(const PacketInfo& pkt) noexcept {
  return symmetric_hash(pkt.src, pkt.src_port, pkt.dst, pkt.dst_port, pkt.vlan_key);
}

/// The same for a connection's key (either orientation hashes alike).
[[nodiscard]] inline std::size_t key_flow_hash(const FlowKey& k) noexcept {
  return symmetric_hash(k.client, k.client_port, k.server, k.server_port, k.vlan_key);
}

/// Owns every ConnectionNode: an intrusive hash set keyed by the full flow tuple (either
/// orientation finds it) plus one LRU list per timer class, over nodes from its own pool. No
/// allocation per lookup, none per connection once the pool holds as many as are live.
class ConnectionTable {
  using Pool = SlotPool<sizeof(ConnectionNode), alignof(ConnectionNode)>;

 public:
  /// Destroys a node and gives its slot back to the pool it came from.
  class Release {
   public:
    explicit Release(Pool& pool) noexcept : pool_(&pool) {}
    void operator()(ConnectionNode* node) const noexcept {
      node->~ConnectionNode();
      pool_->deallocate(node);
    }

   private:
    Pool* pool_;
  };
  using OwnedNode = std::unique_ptr<ConnectionNode, Release>;

  struct Found {
    ConnectionNode* node = nullptr;
    Direction dir = Direction::ToServer;
  };

  ConnectionTable();
  ~ConnectionTable();
  ConnectionTable(const ConnectionTable&) = delete;
  ConnectionTable& operator=(const ConnectionTable&) = delete;

  /// `flow_hash`: the packet's symmetric_hash when the caller has it already (0: not known).
  [[nodiscard]] Found find(const PacketInfo& pkt, std::size_t flow_hash = 0) noexcept;
  /// A new node, not yet in the table.
  [[nodiscard]] OwnedNode make_node();
  /// Takes ownership; the node's key must be set. Placed last in its timer class list.
  ConnectionNode& insert(OwnedNode node);
  /// Marks the node as just used and moves it to the back of `timer`'s list.
  void touch(ConnectionNode& node, TimerClass timer) noexcept;
  /// Removes and destroys the node.
  void erase(ConnectionNode& node) noexcept;
  /// Least recently used node of a class, or nullptr.
  [[nodiscard]] ConnectionNode* oldest(TimerClass timer) noexcept;
  [[nodiscard]] std::size_t size() const noexcept { return set_.size(); }
  /// Cache hints for a lookup coming soon: the bucket of `hash`, then (once that is cached)
  /// the lines of the first node in it that a packet reads.
  void prefetch_bucket(std::size_t hash) const noexcept {
    __builtin_prefetch(&buckets_[hash & (buckets_.size() - 1)]);
  }
  void prefetch_node(std::size_t hash) noexcept {
    const auto index = hash & (buckets_.size() - 1);
    const auto it = set_.begin(index);
    if (it == set_.end(index)) return;
    prefetch_lines(reinterpret_cast<const std::byte*>(&*it), 0, ConnectionNode::kPacketBytes);
  }
  /// Every node, in no particular order; `visit` may not erase.
  template <class Visit>
  void for_each(Visit&& visit) {
    for (auto& list : lists_) {
      for (auto& node : list) visit(node);
    }
  }

 private:
  struct NodeHash {
    // Asked at insertion only: the hook stores the hash for lookups and rehashing.
    std::size_t operator()(const ConnectionNode& n) const noexcept {
      return key_flow_hash(n.key());
    }
  };
  struct NodeEqual {
    bool operator()(const ConnectionNode& a, const ConnectionNode& b) const noexcept {
      return &a == &b;
    }
  };
  using Set = bi::unordered_set<ConnectionNode, bi::hash<NodeHash>, bi::equal<NodeEqual>,
                                bi::power_2_buckets<true>, bi::compare_hash<true>>;
  using List = bi::list<ConnectionNode,
                        bi::member_hook<ConnectionNode, TimerHook, &ConnectionNode::timer_hook>>;

  void grow();

  Pool pool_;  // first: destroyed after every node in the lists below
  std::vector<Set::bucket_type> buckets_;
  Set set_;
  List lists_[kTimerClasses];
};

}  // namespace flowkit::detail
