#include "flow/connection_table.h"

#include <cassert>

namespace flowkit::detail {

namespace {

constexpr std::size_t kInitialBuckets = 1024;

struct Lookup {
  const PacketInfo& pkt;
  std::size_t hash;
};

struct LookupHash {
  std::size_t operator()(const Lookup& l) const noexcept { return l.hash; }
  std::size_t operator()(const ConnectionNode& n) const noexcept { return key_flow_hash(n.key()); }
};

bool forward_match(const PacketInfo& p, const FlowKey& k) noexcept {
  return p.src_port == k.client_port && p.dst_port == k.server_port && p.src == k.client &&
         p.dst == k.server;
}

bool reverse_match(const PacketInfo& p, const FlowKey& k) noexcept {
  return p.src_port == k.server_port && p.dst_port == k.client_port && p.src == k.server &&
         p.dst == k.client;
}

struct LookupEqual {
  bool operator()(const Lookup& l, const ConnectionNode& n) const noexcept {
    const auto& k = n.key();
    return l.pkt.vlan_key == k.vlan_key && (forward_match(l.pkt, k) || reverse_match(l.pkt, k));
  }
};

}  // namespace

ConnectionTable::ConnectionTable()
    : buckets_(kInitialBuckets), set_(Set::bucket_traits(buckets_.data(), buckets_.size())) {}

ConnectionTable::~ConnectionTable() {
  set_.clear();
  for (auto& list : lists_) list.clear_and_dispose(Release(pool_));
}

ConnectionTable::OwnedNode ConnectionTable::make_node() {
  return OwnedNode(::new (pool_.allocate()) ConnectionNode(), Release(pool_));
}

ConnectionTable::Found ConnectionTable::find(const PacketInfo& pkt,
                                             std::size_t flow_hash) noexcept {
  const Lookup lookup{pkt, flow_hash != 0 ? flow_hash : decoded_flow_hash(pkt)};
  // A hash the caller brings was taken from the raw headers (flow_peek.cc); a wrong one would
  // miss the connection, so checked builds compare it with the decoded tuple's.
  assert(lookup.hash == decoded_flow_hash(pkt));
  const auto it = set_.find(lookup, LookupHash{}, LookupEqual{});
  if (it == set_.end()) return {};
  const bool forward = forward_match(pkt, it->key());
  return {&*it, forward ? Direction::ToServer : Direction::ToClient};
}

ConnectionNode& ConnectionTable::insert(OwnedNode owned) {
  if (set_.size() >= buckets_.size()) grow();
  ConnectionNode& node = *owned.release();  // owned by the lists from here; freed in erase()
  set_.insert(node);
  lists_[static_cast<std::size_t>(node.timer)].push_back(node);
  return node;
}

void ConnectionTable::touch(ConnectionNode& node, TimerClass timer) noexcept {
  auto& from = lists_[static_cast<std::size_t>(node.timer)];
  from.erase(from.iterator_to(node));
  node.timer = timer;
  lists_[static_cast<std::size_t>(timer)].push_back(node);
}

void ConnectionTable::erase(ConnectionNode& node) noexcept {
  set_.erase(set_.iterator_to(node));
  auto& list = lists_[static_cast<std::size_t>(node.timer)];
  list.erase(list.iterator_to(node));
  Release{pool_}(&node);
}

ConnectionNode* ConnectionTable::oldest(TimerClass timer) noexcept {
  auto& list = lists_[static_cast<std::size_t>(timer)];
  return list.empty() ? nullptr : &list.front();
}

void ConnectionTable::grow() {
  std::vector<Set::bucket_type> bigger(buckets_.size() * 2);
  set_.rehash(Set::bucket_traits(bigger.data(), bigger.size()));
  buckets_.swap(bigger);
}

}  // namespace flowkit::detail
