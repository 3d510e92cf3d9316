// Private to the index layer: the in-memory layout of B+tree nodes, shared
// by btree.cpp (the tree algorithms) and btree_store.cpp (node codec, lazy
// loading, the node cache).
//
//   Leaf   : one heap block = header + payload. Payload = n key offsets
//            (uint16, or uint32 when the leaf's key bytes exceed 65535)
//            followed by the key bytes concatenated in sorted order.
//            `cap` is the payload capacity (slack allows in-place inserts).
//   Branch : children, per-child subtree counts, and separators. sep(i) for
//            i >= 1 satisfies  max(child i-1) < sep(i) <= min(child i); it is
//            the shortest prefix of min(child i) with that property.
//   Stub   : a child of a branch that lives in a store (see btree_store.cpp).
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>

#include "index/btree.h"

namespace datalite::index::detail {

// kStub: a child not loaded yet (or unloaded again): a placeholder holding
// the stored address, resolved to the real node on first touch.
enum : uint8_t { kLeaf = 0, kBranch = 1, kStub = 2 };

struct Node {
  mutable std::atomic<uint32_t> refs{1};
  uint8_t kind;
  // The content is in the store numbered `storedIn` at `addr` (set by
  // BTree::store and by loading; cleared when the node is modified in
  // place). 0: not stored.
  uint32_t storedIn = 0;
  NodeAddress addr;
  explicit Node(uint8_t k) : kind(k) {}
  bool isLeaf() const { return kind == kLeaf; }
  bool isStub() const { return kind == kStub; }
};

struct Stub;
// The loaded node behind a stub (loading it through its cache on first
// use); throws store-error when the store cannot deliver it.
Node* resolveStub(const Stub* s);
// A child slot's node as readers see it: stubs resolved.
inline Node* resolved(Node* n) {
  return n && n->kind == kStub ? resolveStub(reinterpret_cast<const Stub*>(n)) : n;
}
inline const Node* resolved(const Node* n) { return resolved(const_cast<Node*>(n)); }

struct Leaf : Node {
  uint8_t wide = 0;       // offsets are uint32 (else uint16)
  uint32_t n = 0;         // number of keys
  uint32_t dataBytes = 0; // total key bytes
  uint32_t cap = 0;       // payload capacity in bytes

  Leaf() : Node(kLeaf) {}
  char* payload() { return reinterpret_cast<char*>(this + 1); }
  const char* payload() const { return reinterpret_cast<const char*>(this + 1); }
  uint32_t w() const { return wide ? 4u : 2u; }
  uint32_t off(uint32_t i) const {
    const char* p = payload() + size_t(i) * w();
    if (wide) {
      uint32_t v;
      std::memcpy(&v, p, 4);
      return v;
    }
    uint16_t v;
    std::memcpy(&v, p, 2);
    return v;
  }
  void setOff(uint32_t i, uint32_t v) {
    char* p = payload() + size_t(i) * w();
    if (wide) {
      std::memcpy(p, &v, 4);
    } else {
      uint16_t s = static_cast<uint16_t>(v);
      std::memcpy(p, &s, 2);
    }
  }
  const char* data() const { return payload() + size_t(n) * w(); }
  std::string_view key(uint32_t i) const {
    uint32_t s = off(i);
    uint32_t e = i + 1 < n ? off(i + 1) : dataBytes;
    return {data() + s, size_t(e - s)};
  }
  size_t payloadBytes() const { return size_t(n) * w() + dataBytes; }
  // First index with key(i) >= k, searching from index `from` on (all keys
  // before `from` must be < k).
  uint32_t lowerBound(std::string_view k, uint32_t from = 0) const {
    uint32_t lo = from, hi = n;
    while (lo < hi) {
      uint32_t mid = lo + (hi - lo) / 2;
      if (compareKeys(key(mid), k) < 0)
        lo = mid + 1;
      else
        hi = mid;
    }
    return lo;
  }
  uint32_t upperBound(std::string_view k) const {
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
      uint32_t mid = lo + (hi - lo) / 2;
      if (compareKeys(key(mid), k) <= 0)
        lo = mid + 1;
      else
        hi = mid;
    }
    return lo;
  }
};

// A branch is one heap block (like a leaf), so that copying it on a
// copy-on-write path is one allocation + memcpy + child refcount increments:
//   header | Node* kids[cap] | uint64_t counts[cap] | uint32_t sepEnd[cap]
//          | char seps[sepCap]
// counts[i] is the number of keys in child i's subtree (uint64: a tree may
// hold more than 2^32 keys natively). sep(i) = seps[sepEnd[i-1], sepEnd[i]),
// sep(0) is empty. `cap`/`sepCap` are the capacities the block was allocated
// with; clones and freshly built branches are allocated exactly.
struct Branch : Node {
  uint32_t n = 0;         // number of children
  uint32_t cap = 0;       // child slots
  uint32_t sepBytes = 0;  // separator bytes used (sepEnd[n-1], or 0)
  uint32_t sepCap = 0;    // separator byte capacity

  Branch() : Node(kBranch) {}
  static constexpr size_t kHeader = (sizeof(Node) + 16 + 7) & ~size_t(7);
  // Child pointers get 8-byte slots on every target (4-byte pointers on
  // wasm32 included), so the layout below is the same everywhere.
  static constexpr size_t kKidSlot = 8;
  static_assert(sizeof(Node*) <= kKidSlot);
  static size_t blockBytes(size_t cap, size_t sepCap) {
    return kHeader + cap * (kKidSlot + sizeof(uint64_t) + sizeof(uint32_t)) + sepCap;
  }
  char* base() { return reinterpret_cast<char*>(this); }
  const char* base() const { return reinterpret_cast<const char*>(this); }
  Node** kids() { return reinterpret_cast<Node**>(base() + kHeader); }
  Node* const* kids() const { return reinterpret_cast<Node* const*>(base() + kHeader); }
  uint64_t* counts() { return reinterpret_cast<uint64_t*>(base() + kHeader + size_t(cap) * kKidSlot); }
  const uint64_t* counts() const {
    return reinterpret_cast<const uint64_t*>(base() + kHeader + size_t(cap) * kKidSlot);
  }
  uint32_t* sepEnd() { return reinterpret_cast<uint32_t*>(base() + kHeader + size_t(cap) * (kKidSlot + 8)); }
  const uint32_t* sepEnd() const {
    return reinterpret_cast<const uint32_t*>(base() + kHeader + size_t(cap) * (kKidSlot + 8));
  }
  char* seps() { return base() + kHeader + size_t(cap) * (kKidSlot + 12); }
  const char* seps() const { return base() + kHeader + size_t(cap) * (kKidSlot + 12); }

  size_t size() const { return n; }
  // A child for reading (stubs resolved, loading the node if needed).
  Node* child(size_t i) const { return resolved(kids()[i]); }
  // The child slot itself (maybe a stub): for code that moves references.
  Node* slot(size_t i) const { return kids()[i]; }
  std::string_view sep(size_t i) const {
    const uint32_t* se = sepEnd();
    uint32_t s = i ? se[i - 1] : 0;
    return {seps() + s, size_t(se[i] - s)};
  }
  // Index of the child whose key range contains k.
  // The child whose range holds k; `from`: a child index known to be at or
  // before the answer.
  size_t route(std::string_view k, size_t from = 0) const {
    const uint32_t* se = sepEnd();
    const char* sp = seps();
    size_t lo = from + 1, hi = n;
    while (lo < hi) {
      size_t mid = lo + (hi - lo) / 2;
      std::string_view s(sp + se[mid - 1], size_t(se[mid] - se[mid - 1]));
      if (compareKeys(s, k) <= 0)
        lo = mid + 1;
      else
        hi = mid;
    }
    return lo - 1;
  }
  uint64_t total() const {
    const uint64_t* c = counts();
    uint64_t t = 0;
    for (uint32_t i = 0; i < n; ++i) t += c[i];
    return t;
  }
  size_t heapBytes() const { return blockBytes(cap, sepCap); }
};
static_assert(sizeof(Branch) <= Branch::kHeader, "branch header overlaps its arrays");

inline const Leaf* asLeaf(const Node* n) { return static_cast<const Leaf*>(n); }
inline Leaf* asLeaf(Node* n) { return static_cast<Leaf*>(n); }
inline const Branch* asBranch(const Node* n) { return static_cast<const Branch*>(n); }
inline Branch* asBranch(Node* n) { return static_cast<Branch*>(n); }

inline void ref(const Node* n) { n->refs.fetch_add(1, std::memory_order_relaxed); }
inline bool sole(const Node* n) { return n->refs.load(std::memory_order_acquire) == 1; }
// Takes a reference unless the count already reached zero (the node is
// being destroyed by another thread); for holders of an unowned pointer
// (the node cache's list of loaded stubs).
inline bool refIfAlive(const Node* n) {
  uint32_t c = n->refs.load(std::memory_order_relaxed);
  while (c != 0)
    if (n->refs.compare_exchange_weak(c, c + 1, std::memory_order_acquire, std::memory_order_relaxed)) return true;
  return false;
}

void unref(const Node* n);

void destroy(Node* n);
Leaf* allocLeaf(size_t cap);
Branch* allocBranch(size_t cap, size_t sepCap);
Leaf* makeLeaf(const std::string_view* keys, size_t n, size_t slack);
size_t nodeBytes(const Node* n);

// A stored child: `addr` (in Node) names it; `loaded` holds the decoded node
// (one reference) once read. Unloading (NodeCache::evict) drops `loaded`.
struct Stub : Node {
  std::shared_ptr<NodeCache> cache;
  mutable std::atomic<Node*> loaded{nullptr};
  mutable std::atomic<uint64_t> lastUse{0};
  mutable size_t residentBytes = 0;      // accounted in the cache while loaded
  mutable uint32_t residentSlot = UINT32_MAX;  // index in the cache's list (under its mutex)
  uint8_t height = 0;                          // of the stored subtree (1: a leaf)
  Stub() : Node(kStub) {}
};

}  // namespace datalite::index::detail
