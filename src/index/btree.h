// Persistent copy-on-write B+tree of byte-string keys.
//
// This is the storage structure of every database index (EAVT, AEVT, AVET,
// VAET). Keys are opaque byte strings (order-preserving encoded datoms)
// ordered by unsigned lexicographic comparison (memcmp; a proper prefix sorts
// first). The tree is a *set* of keys: no values are attached.
//
// Value semantics and sharing
//   A BTree is a small handle (root pointer + size + config). Copying it is
//   O(1): the copy shares every node. Nodes carry an intrusive atomic
//   reference count; a node reachable from more than one handle (or from an
//   Iterator) is immutable. A mutation copies only the root-to-leaf paths it
//   touches. A node that is exclusively owned along the whole path from the
//   handle (refcount 1 at every level) is modified in place instead (like a
//   Clojure transient), so a stream of small edits into an unshared tree
//   allocates only when a leaf splits or grows its capacity.
//   Old versions (copies taken earlier) never change.
//
// Thread safety
//   Any number of threads may read (contains, iterate, seek, count) handles
//   that share nodes, and different threads may mutate *different* handles
//   concurrently even if they share nodes. A single handle must not be
//   mutated while it is read or mutated by another thread.
//
// Iterators
//   An Iterator holds a reference to the root of the version it came from,
//   so it stays valid (and sees exactly that version) for as long as it
//   lives, regardless of what happens to the BTree handle afterwards.
//   key() views stay valid while the iterator (or the version) is alive.
//
// Fill invariants (verified by checkInvariants(), see docs/adr/0002-btree.md)
//   - all leaves are at the same depth; every non-root node is non-empty;
//   - a leaf's payload (keys + 2 or 4 byte offsets) is <= leafBytes unless
//     the leaf holds a single key (a huge key may exceed the budget);
//   - a branch has <= branchFanout children; a non-root branch has at least
//     max(2, branchFanout/4) children;
//   - a non-root leaf with payload < leafBytes/4 ("underfull") is tolerated
//     only if merging it with each adjacent sibling would exceed leafBytes
//     (this can only happen next to very large keys);
//   - a root branch has at least 2 children (the tree shrinks in height).
#pragma once

#include <array>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace datalite::index {

// Unsigned lexicographic order of keys, a proper prefix first (the order of
// std::string_view::compare). Inlined and eight bytes at a time: seeks spend
// most of their time comparing short keys, where a call to memcmp costs more
// than the comparison itself.
inline int compareKeys(std::string_view a, std::string_view b) {
  const size_t n = a.size() < b.size() ? a.size() : b.size();
  const auto* p = reinterpret_cast<const unsigned char*>(a.data());
  const auto* q = reinterpret_cast<const unsigned char*>(b.data());
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t x, y;
    std::memcpy(&x, p + i, 8);
    std::memcpy(&y, q + i, 8);
    if (x != y) {
      static_assert(std::endian::native == std::endian::little, "keys are compared as byte-swapped words");
      x = __builtin_bswap64(x);
      y = __builtin_bswap64(y);
      return x < y ? -1 : 1;
    }
  }
  for (; i < n; ++i)
    if (p[i] != q[i]) return p[i] < q[i] ? -1 : 1;
  return a.size() < b.size() ? -1 : a.size() > b.size() ? 1 : 0;
}

inline bool hasKeyPrefix(std::string_view key, std::string_view prefix) {
  return key.size() >= prefix.size() && compareKeys(key.substr(0, prefix.size()), prefix) == 0;
}

// The address of a stored node: a 128-bit hash of its encoded bytes (content
// addressing: equal nodes share an address, and reading checks integrity).
struct NodeAddress {
  std::array<uint8_t, 16> bytes{};
  bool isNull() const;
  std::string hex() const;                           // 32 lowercase hex digits
  static bool fromHex(std::string_view hex, NodeAddress& out);
  static NodeAddress of(std::string_view encoded);  // the content hash
  friend bool operator==(const NodeAddress&, const NodeAddress&) = default;
};
struct NodeAddressHash {
  size_t operator()(const NodeAddress& a) const noexcept;
};
using NodeAddressSet = std::unordered_set<NodeAddress, NodeAddressHash>;

// Where stored trees read their nodes from (the store layer implements it).
// Must be safe to call from several threads.
class NodeReader {
 public:
  virtual ~NodeReader() = default;
  // The encoded node at `addr`; throws DataliteError(store-error) naming the
  // address when the store cannot deliver it.
  virtual std::string read(const NodeAddress& addr) = 0;
};

namespace detail {
struct Stub;
}

// The nodes of stored trees loaded into memory, with a byte budget. Every
// tree opened from one store shares one cache. Loading is lazy and thread
// safe; unloading (evict) needs a quiescent moment: no iterator over any of
// these trees alive and no other thread reading or editing them (readers
// hold no reference to the nodes below a root: evict frees them). Other
// threads may hold, copy and drop tree handles (db values) meanwhile.
class NodeCache {
 public:
  // `storeId` (non-zero) names the store the reader reads from: nodes know
  // which store holds them, so storing a tree into another store writes them.
  NodeCache(std::shared_ptr<NodeReader> reader, size_t budgetBytes, uint32_t storeId);
  ~NodeCache();
  NodeCache(const NodeCache&) = delete;
  NodeCache& operator=(const NodeCache&) = delete;

  size_t budgetBytes() const { return budget_.load(std::memory_order_relaxed); }
  void setBudgetBytes(size_t bytes) { budget_.store(bytes, std::memory_order_relaxed); }
  size_t residentBytes() const { return resident_.load(std::memory_order_relaxed); }
  size_t residentNodes() const;
  uint64_t loads() const { return loads_.load(std::memory_order_relaxed); }  // nodes read so far
  NodeReader& reader() { return *reader_; }
  uint32_t storeId() const { return storeId_; }
  // A fresh store id (process-wide unique).
  static uint32_t newStoreId();

  // Unloads the least recently used nodes until the resident bytes fit the
  // budget (or everything, with `all`); returns the number unloaded.
  size_t evict(bool all = false);

 private:
  friend struct CacheAccess;
  std::shared_ptr<NodeReader> reader_;
  uint32_t storeId_;
  std::atomic<size_t> budget_;
  std::atomic<size_t> resident_{0};
  std::atomic<uint64_t> loads_{0};
  std::atomic<uint64_t> clock_{1};
  mutable std::mutex mu_;
  std::vector<const detail::Stub*> loaded_;  // stubs whose node is in memory
};

struct BTreeConfig {
  // Byte budget of a leaf's key payload (keys + per-key offsets). Clamped to
  // [32, 2^30]. Measured: 4096 is a good trade-off between point-lookup speed,
  // in-place insert cost (memmove within a leaf) and per-leaf overhead.
  uint32_t leafBytes = 4096;
  // Maximum children per branch. Clamped to [3, 65536]. Measured (see
  // docs/adr/0002-btree.md): 32 makes small transactions on shared trees
  // cheaper than 64 (a path copy increments/decrements the refcount of every
  // child of every copied branch) at no measurable cost to lookups or memory.
  uint32_t branchFanout = 32;
};

namespace detail {
struct Node;
}

class BTree {
 public:
  BTree();
  explicit BTree(BTreeConfig config);
  BTree(const BTree& other) noexcept;             // O(1), shares nodes
  BTree(BTree&& other) noexcept;
  BTree& operator=(const BTree& other) noexcept;  // O(1), shares nodes
  BTree& operator=(BTree&& other) noexcept;
  ~BTree();

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const BTreeConfig& config() const { return config_; }

  bool contains(std::string_view key) const;
  bool insert(std::string_view key);  // false if already present
  bool erase(std::string_view key);   // false if absent

  struct Edit {
    std::string_view key;
    bool insert;  // false = remove
  };
  // One-pass merge of many edits. `sortedEdits` must be sorted ascending by
  // key with unique keys (checked by assert in debug builds). Inserting a
  // present key or removing an absent one is a no-op. Returns the number of
  // keys actually inserted + removed. Each touched leaf is rebuilt once.
  size_t apply(std::span<const Edit> sortedEdits);

  // Bulk build bottom-up from sorted, unique keys: leaves and branches are
  // filled close to their budget, the trailing nodes of a level balanced.
  static BTree buildSorted(std::span<const std::string_view> sortedKeys,
                           BTreeConfig config = {});

  class Iterator {
   public:
    Iterator() = default;
    Iterator(const Iterator& other);
    Iterator(Iterator&& other) noexcept;
    Iterator& operator=(const Iterator& other);
    Iterator& operator=(Iterator&& other) noexcept;
    ~Iterator();

    bool valid() const { return !stack_.empty(); }
    std::string_view key() const;  // requires valid()
    // Moving past either end makes the iterator invalid (and it stays so).
    void next();
    void prev();
    // Moves to the first key >= key, for a key not before the current one
    // (a merge walk over sorted probes). Stays within the current leaf when
    // the target is there; otherwise seeks again from the root. An invalid
    // iterator that was at the end stays invalid.
    void seekForward(std::string_view key);

   private:
    friend class BTree;
    struct Frame {
      const detail::Node* node;
      uint32_t idx;
    };
    // The path root .. leaf. Trees are shallow (height <= 8 up to billions
    // of keys at the default fanout), so the frames live inline and a seek
    // allocates nothing; deeper trees spill to the heap.
    class FrameStack {
     public:
      bool empty() const { return size_ == 0; }
      size_t size() const { return size_; }
      void clear() {
        size_ = 0;
        spill_.clear();
      }
      Frame& back() { return size_ <= kInline ? inline_[size_ - 1] : spill_[size_ - kInline - 1]; }
      const Frame& back() const { return size_ <= kInline ? inline_[size_ - 1] : spill_[size_ - kInline - 1]; }
      void push_back(Frame f) {
        if (size_ < kInline) inline_[size_] = f;
        else spill_.push_back(f);
        ++size_;
      }
      void pop_back() {
        if (size_ > kInline) spill_.pop_back();
        --size_;
      }

     private:
      static constexpr size_t kInline = 12;
      Frame inline_[kInline];
      std::vector<Frame> spill_;
      size_t size_ = 0;
    };
    // Positions at the first key >= key (> key when `upper`) from the root.
    void descendTo(std::string_view key, bool upper);
    // The same from node n down (its frame, if any, already on the stack).
    void descendFrom(const detail::Node* n, std::string_view key, bool upper);
    void descendFirst(const detail::Node* n);
    void descendLast(const detail::Node* n);
    const detail::Node* root_ = nullptr;  // owns one reference
    FrameStack stack_;                    // root .. leaf
  };

  Iterator begin() const;                         // smallest key
  Iterator last() const;                          // greatest key
  Iterator lowerBound(std::string_view key) const;  // first key >= key
  Iterator upperBound(std::string_view key) const;  // first key > key
  Iterator seekBefore(std::string_view key) const;  // last key < key

  // Number of keys < key, and exact count of keys in [lo, hi) (0 if hi <= lo).
  // O(depth * fanout) using the per-child subtree counts kept in branches.
  size_t rank(std::string_view key) const;
  size_t countRange(std::string_view lo, std::string_view hi) const;

  // Statistics. memoryBytes = heap bytes of all reachable nodes (allocation
  // sizes requested from operator new, excluding allocator overhead).
  size_t nodeCount() const;
  size_t memoryBytes() const;
  size_t height() const;  // 0 = empty, 1 = a single leaf
  // Heap bytes of the union of several versions, shared nodes counted once.
  static size_t memoryBytes(std::span<const BTree* const> versions);

  // --- storage (btree_store.cpp) ---
  // Writes every node not stored yet, children before parents, through
  // `write` (address, encoded bytes) and returns the root's address (null
  // for an empty tree). Written nodes remember their address, so storing a
  // later version writes only what changed. `rewriteAll` writes every node
  // in memory again (after a failed write, when the store may lack nodes
  // this tree believes stored); unloaded stored nodes are never rewritten.
  using NodeWriter = std::function<void(const NodeAddress&, std::string_view)>;
  // `storeId`: the store written to (NodeCache::storeId of its cache).
  NodeAddress store(const NodeWriter& write, uint32_t storeId, bool rewriteAll = false) const;
  // A tree over stored nodes: the root node is read now, the others when a
  // read first touches them, through `cache`.
  static BTree open(const NodeAddress& root, BTreeConfig config, std::shared_ptr<NodeCache> cache);
  // Adds the addresses of the nodes of the stored tree at `root` to `out`
  // (reading its branches, not its leaves, through `reader`).
  static void collectAddresses(const NodeAddress& root, NodeReader& reader, NodeAddressSet& out);
  // The same for this tree: nodes in memory stored in `storeId` report
  // their address, unloaded parts are read through their cache.
  void collectAddresses(uint32_t storeId, NodeAddressSet& out) const;
  // Loads every stored node of this tree into memory (through its cache).
  void loadAll() const;
  // Decodes one encoded node (for tests and tools); throws store-error.
  static void checkEncodedNode(const NodeAddress& addr, std::string_view bytes);

  // Verifies ordering, separators, subtree counts, uniform depth, fill
  // invariants and size(). Throws std::logic_error on violation.
  void checkInvariants() const;

  // Test hooks: process-wide number of nodes allocated so far, and the
  // identity of the root node (to observe in-place mutation).
  static uint64_t debugNodeAllocations();
  const void* debugRootId() const { return root_; }

 private:
  detail::Node* root_ = nullptr;  // owns one reference; null when empty
  size_t size_ = 0;
  BTreeConfig config_;
};

}  // namespace datalite::index
