// Stored B+trees: the node codec, content addresses, lazily loaded children
// (stubs) and the node cache. See btree.h ("storage") and docs/adr/0009-storage.md.
//
// Encoded node (all integers little-endian; varint = LEB128, 7 bits/byte):
//   Leaf   : 'L' | version (1) | varint n | n x key | crc32 (4 bytes)
//            key = varint shared prefix with the previous key,
//                  varint suffix length, suffix bytes
//   Branch : 'B' | version (1) | height (1 = children are leaves) | varint n |
//            n x child | crc32
//            child = address (16 bytes), varint subtree count,
//                    separator as a key (sep(0) is empty)
// The CRC-32 covers every byte before it. The node's address is hash128 of
// all its bytes, CRC included, so a reader checks both.
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "core/checksum.h"
#include "core/error.h"
#include "core/varint.h"
#include "index/btree.h"
#include "index/btree_node.h"

namespace datalite::index {

namespace {
constexpr char kLeafTag = 'L';
constexpr char kBranchTag = 'B';
constexpr uint8_t kCodecVersion = 1;
std::atomic<uint32_t> g_nextStoreId{1};
}  // namespace

// ---- NodeAddress ----------------------------------------------------------

bool NodeAddress::isNull() const {
  for (uint8_t b : bytes)
    if (b) return false;
  return true;
}

std::string NodeAddress::hex() const {
  static const char* digits = "0123456789abcdef";
  std::string s(32, '0');
  for (size_t i = 0; i < 16; ++i) {
    s[2 * i] = digits[bytes[i] >> 4];
    s[2 * i + 1] = digits[bytes[i] & 15];
  }
  return s;
}

bool NodeAddress::fromHex(std::string_view hex, NodeAddress& out) {
  if (hex.size() != 32) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < 16; ++i) {
    int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out.bytes[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  return true;
}

NodeAddress NodeAddress::of(std::string_view encoded) {
  NodeAddress a;
  a.bytes = hash128(encoded);
  return a;
}

size_t NodeAddressHash::operator()(const NodeAddress& a) const noexcept {
  uint64_t h;
  std::memcpy(&h, a.bytes.data(), 8);  // already a good hash
  return static_cast<size_t>(h ^ (h >> 32));
}

namespace detail {

// ---- codec ------------------------------------------------------------------

namespace {

void putKey(std::string_view prev, std::string_view key, std::string& out) {
  size_t m = std::min(prev.size(), key.size()), shared = 0;
  while (shared < m && prev[shared] == key[shared]) ++shared;
  putVarint(shared, out);
  putVarint(key.size() - shared, out);
  out.append(key.substr(shared));
}

// Bounds-checked reading of one encoded node; every failure is a store-error
// naming the node's address.
class NodeDecoder {
 public:
  NodeDecoder(const NodeAddress& addr, std::string_view bytes) : addr_(addr), s_(bytes) {
    if (s_.size() < 7) fail("too short");
    uint32_t stored = 0;
    for (int i = 3; i >= 0; --i) stored = (stored << 8) | static_cast<unsigned char>(s_[s_.size() - 4 + i]);
    if (kVerifyChecksums && crc32(s_.substr(0, s_.size() - 4)) != stored) fail("checksum mismatch");
    end_ = s_.size() - 4;
    if (static_cast<uint8_t>(s_[1]) != kCodecVersion)
      fail("unsupported node format version " + std::to_string(static_cast<uint8_t>(s_[1])));
    pos_ = 2;
  }
  char tag() const { return s_[0]; }
  uint8_t byte() {
    if (pos_ >= end_) fail("truncated");
    return static_cast<uint8_t>(s_[pos_++]);
  }
  uint64_t varint() {
    const auto* base = reinterpret_cast<const uint8_t*>(s_.data());
    VarintRead r = readVarint(base + pos_, base + end_);
    if (r.error != VarintError::None) fail(std::string("varint ") + describe(r.error));
    pos_ = static_cast<size_t>(r.next - base);
    return r.value;
  }
  // The next key, given the previous one (rebuilt into `key`).
  void key(std::string& key) {
    uint64_t shared = varint(), suffix = varint();
    if (shared > key.size() || suffix > end_ - pos_) fail("bad key");
    key.resize(shared);
    key.append(s_.substr(pos_, suffix));
    pos_ += suffix;
  }
  void address(NodeAddress& a) {
    if (end_ - pos_ < 16) fail("truncated");
    std::memcpy(a.bytes.data(), s_.data() + pos_, 16);
    pos_ += 16;
  }
  void finish() {
    if (pos_ != end_) fail("trailing bytes");
  }
  [[noreturn]] void fail(const std::string& what) const {
    raise(ErrorCode::StoreError, "stored node " + addr_.hex() + " is corrupt: " + what);
  }

 private:
  const NodeAddress& addr_;
  std::string_view s_;
  size_t pos_ = 0, end_ = 0;
};

std::string encodeLeaf(const Leaf* l) {
  std::string out;
  out.reserve(l->dataBytes + 2 * size_t(l->n) + 16);
  out.push_back(kLeafTag);
  out.push_back(static_cast<char>(kCodecVersion));
  putVarint(l->n, out);
  std::string_view prev;
  for (uint32_t i = 0; i < l->n; ++i) {
    std::string_view k = l->key(i);
    putKey(prev, k, out);
    prev = k;
  }
  appendCrc32(out);
  return out;
}

std::string encodeBranch(const Branch* b, const std::vector<NodeAddress>& kids, size_t height) {
  std::string out;
  out.reserve(size_t(b->n) * 24 + b->sepBytes + 16);
  out.push_back(kBranchTag);
  out.push_back(static_cast<char>(kCodecVersion));
  out.push_back(static_cast<char>(height));
  putVarint(b->n, out);
  std::string_view prev;
  for (uint32_t i = 0; i < b->n; ++i) {
    out.append(reinterpret_cast<const char*>(kids[i].bytes.data()), 16);
    putVarint(b->counts()[i], out);
    std::string_view sep = b->sep(i);
    putKey(prev, sep, out);
    if (i > 0) prev = sep;
  }
  appendCrc32(out);
  return out;
}

struct DecodedBranch {
  size_t height = 0;
  std::vector<NodeAddress> kids;
  std::vector<uint64_t> counts;
  std::vector<uint32_t> sepEnd;
  std::string seps;
};

DecodedBranch decodeBranch(NodeDecoder& d) {
  DecodedBranch b;
  b.height = d.byte();
  uint64_t n = d.varint();
  if (b.height < 2 || b.height > 64 || n < 1 || n > 65536) d.fail("bad branch header");
  b.kids.resize(n);
  b.counts.resize(n);
  b.sepEnd.resize(n);
  std::string sep, prev;
  for (uint64_t i = 0; i < n; ++i) {
    d.address(b.kids[i]);
    b.counts[i] = d.varint();
    sep = prev;
    d.key(sep);
    if (i == 0 && !sep.empty()) d.fail("first separator not empty");
    if (i >= 2 && !(prev < sep)) d.fail("separators out of order");
    if (i > 0) prev = sep;
    b.seps += sep;
    b.sepEnd[i] = static_cast<uint32_t>(b.seps.size());
    if (b.counts[i] == 0) d.fail("empty subtree");
  }
  d.finish();
  return b;
}

// Decodes a node into memory; a branch's children become stubs of `cache`.
Node* decodeNode(const NodeAddress& addr, std::string_view bytes, const std::shared_ptr<NodeCache>& cache) {
  NodeDecoder d(addr, bytes);
  Node* node;
  if (d.tag() == kLeafTag) {
    uint64_t n = d.varint();
    if (n < 1 || n > bytes.size()) d.fail("bad leaf header");
    std::string all, key;
    std::vector<uint32_t> ends;
    ends.reserve(n);
    for (uint64_t i = 0; i < n; ++i) {
      std::string prev = key;
      d.key(key);
      if (i > 0 && !(prev < key)) d.fail("keys out of order");
      all += key;
      ends.push_back(static_cast<uint32_t>(all.size()));
    }
    d.finish();
    std::vector<std::string_view> keys(n);
    for (uint64_t i = 0; i < n; ++i) {
      uint32_t s = i ? ends[i - 1] : 0;
      keys[i] = std::string_view(all.data() + s, ends[i] - s);
    }
    node = makeLeaf(keys.data(), keys.size(), 0);
  } else if (d.tag() == kBranchTag) {
    DecodedBranch db = decodeBranch(d);
    Branch* b = allocBranch(db.kids.size(), db.seps.size());
    b->n = static_cast<uint32_t>(db.kids.size());
    b->sepBytes = static_cast<uint32_t>(db.seps.size());
    if (!db.seps.empty()) std::memcpy(b->seps(), db.seps.data(), db.seps.size());
    for (size_t i = 0; i < db.kids.size(); ++i) {
      Stub* s = new Stub();
      s->addr = db.kids[i];
      s->storedIn = cache->storeId();
      s->cache = cache;
      s->height = static_cast<uint8_t>(db.height - 1);
      b->kids()[i] = s;
      b->counts()[i] = db.counts[i];
      b->sepEnd()[i] = db.sepEnd[i];
    }
    node = b;
  } else {
    d.fail("unknown node kind");
  }
  node->addr = addr;
  node->storedIn = cache ? cache->storeId() : 0;
  return node;
}

// Reads `addr` through `reader` and checks the bytes match the address.
std::string readChecked(NodeReader& reader, const NodeAddress& addr) {
  std::string bytes = reader.read(addr);
  if (kVerifyChecksums && NodeAddress::of(bytes) != addr)
    raise(ErrorCode::StoreError, "stored node " + addr.hex() + " is corrupt: content does not match its address");
  return bytes;
}

}  // namespace

}  // namespace detail

using namespace detail;

// ---- the node cache ---------------------------------------------------------

// The cache's bookkeeping, used by the stub functions below.
struct CacheAccess {
  static void add(NodeCache& c, const Stub* s) {
    std::lock_guard<std::mutex> lock(c.mu_);
    s->residentSlot = static_cast<uint32_t>(c.loaded_.size());
    c.loaded_.push_back(s);
    c.resident_.fetch_add(s->residentBytes, std::memory_order_relaxed);
    c.loads_.fetch_add(1, std::memory_order_relaxed);
  }
  static void remove(NodeCache& c, const Stub* s) {
    std::lock_guard<std::mutex> lock(c.mu_);
    if (s->residentSlot == UINT32_MAX) return;
    const Stub* last = c.loaded_.back();
    c.loaded_[s->residentSlot] = last;
    last->residentSlot = s->residentSlot;
    c.loaded_.pop_back();
    s->residentSlot = UINT32_MAX;
    c.resident_.fetch_sub(s->residentBytes, std::memory_order_relaxed);
  }
  static uint64_t now(const NodeCache& c) { return c.clock_.load(std::memory_order_relaxed); }
  static void tick(NodeCache& c) { c.clock_.fetch_add(1, std::memory_order_relaxed); }
};

namespace detail {

Node* resolveStub(const Stub* s) {
  NodeCache& cache = *s->cache;
  Node* n = s->loaded.load(std::memory_order_acquire);
  if (n) {
    s->lastUse.store(CacheAccess::now(cache), std::memory_order_relaxed);
    return n;
  }
  std::string bytes = readChecked(cache.reader(), s->addr);
  Node* fresh = decodeNode(s->addr, bytes, s->cache);
  Node* expected = nullptr;
  if (!s->loaded.compare_exchange_strong(expected, fresh, std::memory_order_acq_rel)) {
    unref(fresh);  // another thread loaded it first
    return expected;
  }
  CacheAccess::tick(cache);
  s->lastUse.store(CacheAccess::now(cache), std::memory_order_relaxed);
  s->residentBytes = nodeBytes(fresh);
  CacheAccess::add(cache, s);
  return fresh;
}

// Drops a stub's loaded node (the stub stays, unloaded).
void unloadStub(const Stub* s) {
  Node* n = s->loaded.exchange(nullptr, std::memory_order_acq_rel);
  if (!n) return;
  CacheAccess::remove(*s->cache, s);
  unref(n);
}

void destroyStub(Stub* s) {
  unloadStub(s);
  s->~Stub();
  ::operator delete(static_cast<void*>(s));
}

}  // namespace detail

NodeCache::NodeCache(std::shared_ptr<NodeReader> reader, size_t budgetBytes, uint32_t storeId)
    : reader_(std::move(reader)), storeId_(storeId), budget_(budgetBytes) {}

NodeCache::~NodeCache() = default;  // stubs hold the cache: none is left

uint32_t NodeCache::newStoreId() { return g_nextStoreId.fetch_add(1, std::memory_order_relaxed); }

size_t NodeCache::residentNodes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return loaded_.size();
}

size_t NodeCache::evict(bool all) {
  size_t budget = all ? 0 : budgetBytes();
  if (residentBytes() <= budget) return 0;
  std::vector<const Stub*> victims;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<const Stub*> order = loaded_;
    std::sort(order.begin(), order.end(), [](const Stub* a, const Stub* b) {
      return a->lastUse.load(std::memory_order_relaxed) < b->lastUse.load(std::memory_order_relaxed);
    });
    size_t resident = resident_.load(std::memory_order_relaxed);
    for (const Stub* s : order) {
      if (resident <= budget) break;
      // Unloading a parent may free its stubs: keep victims alive. A stub
      // whose count already reached zero is being destroyed by a thread
      // that dropped the last db value holding it (destroyStub waits for
      // this mutex to leave `loaded_`): it is not ours to touch.
      if (!refIfAlive(s)) continue;
      resident -= std::min(resident, s->residentBytes);
      victims.push_back(s);
    }
  }
  for (const Stub* s : victims) unloadStub(s);
  for (const Stub* s : victims) unref(s);
  return victims.size();
}

// ---- BTree storage ----------------------------------------------------------

namespace {

// Height of an in-memory subtree without loading anything.
size_t heightOf(const Node* n) {
  size_t h = 1;
  while (!n->isLeaf()) {
    const Node* k = asBranch(n)->slot(0);
    if (k->isStub()) return h + static_cast<const Stub*>(k)->height;
    n = k;
    ++h;
  }
  return h;
}

NodeAddress storeNode(Node* n, const BTree::NodeWriter& write, uint32_t storeId, bool rewriteAll) {
  if (n->isStub()) {
    const Stub* s = static_cast<const Stub*>(n);
    if (s->cache->storeId() == storeId) return n->addr;
    n = resolveStub(s);  // a node of another store: copy it over
  }
  if (n->storedIn == storeId && !rewriteAll) return n->addr;
  std::string bytes;
  if (n->isLeaf()) {
    bytes = encodeLeaf(asLeaf(n));
  } else {
    const Branch* b = asBranch(n);
    std::vector<NodeAddress> kids(b->n);
    for (uint32_t i = 0; i < b->n; ++i) kids[i] = storeNode(b->slot(i), write, storeId, rewriteAll);
    bytes = encodeBranch(b, kids, heightOf(b));
  }
  NodeAddress addr = NodeAddress::of(bytes);
  write(addr, bytes);
  n->addr = addr;
  n->storedIn = storeId;
  return addr;
}

void collectStored(const NodeAddress& addr, size_t height, NodeReader& reader, NodeAddressSet& out) {
  if (!out.insert(addr).second || height == 1) return;  // seen, or a leaf (not read)
  std::string bytes = readChecked(reader, addr);
  NodeDecoder d(addr, bytes);
  if (d.tag() == kLeafTag) return;
  if (d.tag() != kBranchTag) d.fail("unknown node kind");
  DecodedBranch b = decodeBranch(d);
  for (const NodeAddress& k : b.kids) collectStored(k, b.height - 1, reader, out);
}

void collectResident(const Node* n, uint32_t storeId, NodeAddressSet& out) {
  if (n->isStub()) {
    const Stub* s = static_cast<const Stub*>(n);
    const Node* loaded = s->loaded.load(std::memory_order_acquire);
    if (s->cache->storeId() != storeId) {
      if (loaded) collectResident(loaded, storeId, out);
      return;
    }
    if (!loaded) {
      collectStored(s->addr, s->height, s->cache->reader(), out);
      return;
    }
    n = loaded;
  }
  if (n->storedIn == storeId) out.insert(n->addr);
  if (n->isLeaf()) return;
  const Branch* b = asBranch(n);
  for (uint32_t i = 0; i < b->n; ++i) collectResident(b->slot(i), storeId, out);
}

}  // namespace

NodeAddress BTree::store(const NodeWriter& write, uint32_t storeId, bool rewriteAll) const {
  if (!root_) return NodeAddress{};
  return storeNode(root_, write, storeId, rewriteAll);
}

BTree BTree::open(const NodeAddress& root, BTreeConfig config, std::shared_ptr<NodeCache> cache) {
  BTree t(config);
  if (root.isNull()) return t;
  std::string bytes = readChecked(cache->reader(), root);
  t.root_ = decodeNode(root, bytes, cache);
  t.size_ = t.root_->isLeaf() ? asLeaf(t.root_)->n : asBranch(t.root_)->total();
  return t;
}

void BTree::collectAddresses(const NodeAddress& root, NodeReader& reader, NodeAddressSet& out) {
  if (!root.isNull()) collectStored(root, 0, reader, out);
}

void BTree::collectAddresses(uint32_t storeId, NodeAddressSet& out) const {
  if (root_) collectResident(root_, storeId, out);
}

namespace {
void loadSubtree(const Node* n) {
  if (n->isLeaf()) return;
  const Branch* b = asBranch(n);
  for (uint32_t i = 0; i < b->n; ++i) loadSubtree(b->child(i));
}
}  // namespace

void BTree::loadAll() const {
  if (root_) loadSubtree(root_);
}

void BTree::checkEncodedNode(const NodeAddress& addr, std::string_view bytes) {
  if (kVerifyChecksums && NodeAddress::of(bytes) != addr)
    raise(ErrorCode::StoreError, "stored node " + addr.hex() + " is corrupt: content does not match its address");
  NodeDecoder d(addr, bytes);
  if (d.tag() == kBranchTag) {
    decodeBranch(d);
    return;
  }
  unref(decodeNode(addr, bytes, nullptr));
}

}  // namespace datalite::index
