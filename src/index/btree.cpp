// Persistent copy-on-write B+tree; see btree.h and docs/adr/0002-btree.md.
// The node layout is in btree_node.h. Children of stored trees may be stubs
// (btree_store.cpp): readers go through Branch::child(), which loads them;
// code that moves child references around uses Branch::slot() and resolves
// a node only where it looks inside it.
#include "index/btree.h"
#include "index/btree_node.h"

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>
#include <unordered_set>
#include <utility>

namespace datalite::index {
namespace detail {

namespace {
std::atomic<uint64_t> g_nodeAllocs{0};
}

// Node layout: btree_node.h.

void destroyStub(Stub* s);

void destroy(Node* n) {
  if (n->isStub()) {
    destroyStub(static_cast<Stub*>(n));
  } else if (n->isLeaf()) {
    Leaf* l = asLeaf(n);
    l->~Leaf();
    ::operator delete(static_cast<void*>(l));
  } else {
    Branch* b = asBranch(n);
    Node** kids = b->kids();
    for (uint32_t i = 0; i < b->n; ++i) unref(kids[i]);
    b->~Branch();
    ::operator delete(static_cast<void*>(b));
  }
}

void unref(const Node* n) {
  if (n && n->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) destroy(const_cast<Node*>(n));
}

Leaf* allocLeaf(size_t cap) {
  if (cap > UINT32_MAX) throw std::length_error("datalite btree: leaf too large");
  void* mem = ::operator new(sizeof(Leaf) + cap);
  Leaf* l = new (mem) Leaf();
  l->cap = static_cast<uint32_t>(cap);
  g_nodeAllocs.fetch_add(1, std::memory_order_relaxed);
  return l;
}

// An empty branch with room for `cap` children and `sepCap` separator bytes.
Branch* allocBranch(size_t cap, size_t sepCap) {
  if (cap > UINT32_MAX || sepCap > UINT32_MAX)
    throw std::length_error("datalite btree: branch too large");
  void* mem = ::operator new(Branch::blockBytes(cap, sepCap));
  Branch* b = new (mem) Branch();
  b->cap = static_cast<uint32_t>(cap);
  b->sepCap = static_cast<uint32_t>(sepCap);
  g_nodeAllocs.fetch_add(1, std::memory_order_relaxed);
  return b;
}

// Copy of src (exactly sized) sharing its children: one allocation, four
// memcpys and one refcount increment per child.
Branch* cloneBranch(const Branch* src) {
  uint32_t n = src->n;
  Branch* b = allocBranch(n, src->sepBytes);
  b->n = n;
  b->sepBytes = src->sepBytes;
  std::memcpy(b->kids(), src->kids(), n * sizeof(Node*));
  std::memcpy(b->counts(), src->counts(), n * sizeof(uint64_t));
  std::memcpy(b->sepEnd(), src->sepEnd(), n * sizeof(uint32_t));
  if (src->sepBytes) std::memcpy(b->seps(), src->seps(), src->sepBytes);
  Node* const* kids = b->kids();
  for (uint32_t i = 0; i < n; ++i) ref(kids[i]);
  return b;
}

// Writes the payload image of `keys` (offsets then bytes) to dst.
void writeLeafImage(char* dst, const std::string_view* keys, size_t n, bool wide) {
  uint32_t w = wide ? 4 : 2;
  char* data = dst + n * w;
  uint32_t pos = 0;
  for (size_t i = 0; i < n; ++i) {
    if (wide) {
      std::memcpy(dst + i * 4, &pos, 4);
    } else {
      uint16_t s = static_cast<uint16_t>(pos);
      std::memcpy(dst + i * 2, &s, 2);
    }
    if (!keys[i].empty()) std::memcpy(data + pos, keys[i].data(), keys[i].size());
    pos += static_cast<uint32_t>(keys[i].size());
  }
}

size_t keyBytes(const std::string_view* keys, size_t n) {
  size_t d = 0;
  for (size_t i = 0; i < n; ++i) d += keys[i].size();
  return d;
}

Leaf* makeLeaf(const std::string_view* keys, size_t n, size_t slack) {
  size_t data = keyBytes(keys, n);
  bool wide = data > 65535;
  size_t payload = n * (wide ? 4 : 2) + data;
  Leaf* l = allocLeaf(payload + slack);
  l->wide = wide;
  l->n = static_cast<uint32_t>(n);
  l->dataBytes = static_cast<uint32_t>(data);
  writeLeafImage(l->payload(), keys, n, wide);
  return l;
}

// Shortest string s with a < s <= b (requires a < b).
std::string shortestSeparator(std::string_view a, std::string_view b) {
  size_t m = std::min(a.size(), b.size()), d = 0;
  while (d < m && a[d] == b[d]) ++d;
  return std::string(b.substr(0, d + 1));
}

struct Entry {
  Node* node = nullptr;  // owns one reference
  uint64_t count = 0;
  std::string sep;  // lower bound separator of this node (ignored for the first)
};

// Results of applying edits to one node: 0..k replacement nodes. The common
// single-result case stays inline (no heap allocation).
struct Out {
  size_t n = 0;
  Entry first;
  std::vector<Entry> rest;
  void push(Entry&& e) {
    if (n == 0)
      first = std::move(e);
    else
      rest.push_back(std::move(e));
    ++n;
  }
  Entry& at(size_t i) { return i == 0 ? first : rest[i - 1]; }
};

struct Ctx {
  uint32_t leafBytes;
  uint32_t fanout;
  uint32_t minLeaf;
  uint32_t minKids;
  uint32_t planW;  // offset width assumed when planning leaf sizes
  size_t inserted = 0;
  size_t erased = 0;
  explicit Ctx(const BTreeConfig& c)
      : leafBytes(c.leafBytes),
        fanout(c.branchFanout),
        minLeaf(c.leafBytes / 4),
        minKids(std::max<uint32_t>(2, c.branchFanout / 4)),
        planW(c.leafBytes > 65535 ? 4 : 2) {}
  bool underfull(const Node* n) const {
    // An unloaded stored sibling was a valid node when stored: judging it
    // would load it from the store just to look (tail replay on open).
    if (n->isStub() && !static_cast<const Stub*>(n)->loaded.load(std::memory_order_acquire)) return false;
    n = resolved(n);
    if (n->isLeaf()) return asLeaf(n)->payloadBytes() < minLeaf;
    return asBranch(n)->size() < minKids;
  }
};

// Splits keys into leaf-sized pieces: each piece's planned payload is
// <= leafBytes (unless it is a single key), pieces are balanced in bytes.
// `cuts` receives the end index of every piece.
void planLeaves(const std::string_view* keys, size_t n, const Ctx& c, std::vector<size_t>& cuts) {
  cuts.clear();
  size_t remaining = keyBytes(keys, n) + n * c.planW;
  size_t i = 0;
  const size_t budget = c.leafBytes;
  while (i < n) {
    if (remaining <= budget) {
      cuts.push_back(n);
      break;
    }
    size_t pieces = (remaining + budget - 1) / budget;
    size_t target = remaining / pieces;
    size_t cur = 0, start = i;
    while (i < n) {
      size_t s = keys[i].size() + c.planW;
      if (i > start && cur + s > budget) break;
      cur += s;
      ++i;
      if (cur >= target) break;
    }
    cuts.push_back(i);
    remaining -= cur;
  }
}

size_t plannedPayload(const std::string_view* keys, size_t n, const Ctx& c) {
  return keyBytes(keys, n) + n * c.planW;
}

// Builds leaves for `keys` following planLeaves; the first piece gets
// `firstSep`, later ones a shortest separator.
void emitLeaves(const std::string_view* keys, size_t n, const std::vector<size_t>& cuts,
                size_t singleSlack, std::string firstSep, Out& out) {
  size_t start = 0;
  for (size_t p = 0; p < cuts.size(); ++p) {
    size_t end = cuts[p];
    Entry e;
    size_t slack = 0;
    if (cuts.size() == 1) slack = singleSlack;
    e.node = makeLeaf(keys + start, end - start, slack);
    e.count = end - start;
    if (p == 0)
      e.sep = std::move(firstSep);
    else
      e.sep = shortestSeparator(keys[start - 1], keys[start]);
    out.push(std::move(e));
    start = end;
  }
}

// Partitions entries (all of one level) into branches of <= fanout children,
// balanced. Consumes the entries' references. `reuse` (an owned branch whose
// children were already taken out, n == 0) becomes the first piece if its
// block is large enough; otherwise it is freed.
void buildBranches(std::vector<Entry>& v, const Ctx& c, std::vector<Entry>& out,
                   Branch* reuse = nullptr) {
  size_t n = v.size();
  size_t k = (n + c.fanout - 1) / c.fanout;
  if (k == 0) k = 1;
  size_t base = n / k, extra = n % k, pos = 0;
  for (size_t p = 0; p < k; ++p) {
    size_t cnt = base + (p < extra ? 1 : 0);
    size_t sepBytes = 0;
    for (size_t i = 1; i < cnt; ++i) sepBytes += v[pos + i].sep.size();
    Branch* b;
    if (reuse && reuse->cap >= cnt && reuse->sepCap >= sepBytes) {
      b = reuse;
    } else {
      b = allocBranch(cnt, sepBytes);
      if (reuse) unref(reuse);
    }
    reuse = nullptr;
    Node** kids = b->kids();
    uint64_t* counts = b->counts();
    uint32_t* sepEnd = b->sepEnd();
    char* seps = b->seps();
    uint32_t sp = 0;
    uint64_t total = 0;
    for (size_t i = 0; i < cnt; ++i) {
      Entry& e = v[pos + i];
      kids[i] = e.node;
      counts[i] = e.count;
      total += e.count;
      if (i > 0 && !e.sep.empty()) {
        std::memcpy(seps + sp, e.sep.data(), e.sep.size());
        sp += static_cast<uint32_t>(e.sep.size());
      }
      sepEnd[i] = sp;
      e.node = nullptr;
    }
    b->n = static_cast<uint32_t>(cnt);
    b->sepBytes = sp;
    Entry be;
    be.node = b;
    be.count = total;
    be.sep = std::move(v[pos].sep);
    out.push_back(std::move(be));
    pos += cnt;
  }
  v.clear();
}

// Moves (or shares) the children of branch entry e into out.
void takeChildren(Entry& e, std::vector<Entry>& out) {
  Branch* b = asBranch(resolved(e.node));
  bool own = e.node == b && sole(b);  // a loaded stub keeps its node
  for (size_t i = 0; i < b->size(); ++i) {
    Entry k;
    k.node = b->slot(i);
    k.count = b->counts()[i];
    if (i == 0)
      k.sep = std::move(e.sep);
    else
      k.sep = std::string(b->sep(i));
    if (!own) ref(k.node);
    out.push_back(std::move(k));
  }
  if (own) b->n = 0;  // the children's references moved to `out`
  unref(e.node);
  e.node = nullptr;
}

void rebalance(std::vector<Entry>& v, Ctx& c);

// Merges/redistributes two adjacent siblings a, b. Returns false (touching
// nothing) if the result would still contain an underfull node; otherwise
// consumes a and b and appends the replacement node(s) to res.
bool mergePair(Entry& a, Entry& b, Ctx& c, std::vector<Entry>& res) {
  if (resolved(a.node)->isLeaf()) {
    const Leaf* la = asLeaf(resolved(a.node));
    const Leaf* lb = asLeaf(resolved(b.node));
    std::vector<std::string_view> keys;
    keys.reserve(la->n + lb->n);
    for (uint32_t i = 0; i < la->n; ++i) keys.push_back(la->key(i));
    for (uint32_t i = 0; i < lb->n; ++i) keys.push_back(lb->key(i));
    std::vector<size_t> cuts;
    planLeaves(keys.data(), keys.size(), c, cuts);
    if (cuts.size() > 1) {
      size_t start = 0;
      for (size_t end : cuts) {
        if (plannedPayload(keys.data() + start, end - start, c) < c.minLeaf) return false;
        start = end;
      }
    }
    Out out;
    emitLeaves(keys.data(), keys.size(), cuts, 0, std::move(a.sep), out);
    for (size_t i = 0; i < out.n; ++i) res.push_back(std::move(out.at(i)));
    unref(a.node);
    unref(b.node);
    a.node = b.node = nullptr;
    return true;
  }
  std::vector<Entry> kids;
  std::string bsep = std::move(b.sep);
  takeChildren(a, kids);
  size_t boundary = kids.size();
  takeChildren(b, kids);
  kids[boundary].sep = std::move(bsep);
  rebalance(kids, c);
  buildBranches(kids, c, res);
  return true;
}

// Fixes underfull nodes among siblings until no merge/redistribution helps.
// Terminates: every accepted step lowers (underfull count, node count)
// lexicographically.
void rebalance(std::vector<Entry>& v, Ctx& c) {
  bool changed = true;
  while (changed && v.size() > 1) {
    changed = false;
    for (size_t i = 0; i < v.size() && !changed; ++i) {
      if (!c.underfull(v[i].node)) continue;
      for (int side = 0; side < 2 && !changed; ++side) {
        if (side == 0 && i == 0) continue;
        if (side == 1 && i + 1 >= v.size()) continue;
        size_t a = side == 0 ? i - 1 : i;
        std::vector<Entry> res;
        if (mergePair(v[a], v[a + 1], c, res)) {
          v.erase(v.begin() + a, v.begin() + a + 2);
          v.insert(v.begin() + a, std::make_move_iterator(res.begin()),
                   std::make_move_iterator(res.end()));
          changed = true;
        }
      }
    }
  }
}

using EditSpan = std::span<const BTree::Edit>;

bool applyNode(Node* node, bool mut, EditSpan edits, Ctx& c, Out& out);

// In-place single-key insert into a leaf we own; false if it does not fit.
bool insertInPlace(Leaf* l, uint32_t p, std::string_view k, const Ctx& c) {
  uint32_t L = static_cast<uint32_t>(k.size());
  size_t newData = size_t(l->dataBytes) + L;
  if ((newData > 65535) != (l->wide != 0)) return false;
  uint32_t w = l->w();
  size_t newPayload = size_t(l->n + 1) * w + newData;
  if (newPayload > l->cap || newPayload > c.leafBytes) return false;
  char* P = l->payload();
  char* oldData = P + size_t(l->n) * w;
  char* newDataP = oldData + w;
  uint32_t op = p < l->n ? l->off(p) : l->dataBytes;
  std::memmove(newDataP + op + L, oldData + op, l->dataBytes - op);
  std::memmove(newDataP, oldData, op);
  if (L) std::memcpy(newDataP + op, k.data(), L);
  for (uint32_t i = l->n; i > p; --i) l->setOff(i, l->off(i - 1) + L);
  l->setOff(p, op);
  l->n += 1;
  l->dataBytes = static_cast<uint32_t>(newData);
  return true;
}

// In-place erase of key p from a narrow leaf we own.
void eraseInPlace(Leaf* l, uint32_t p) {
  uint32_t w = l->w();
  uint32_t op = l->off(p);
  uint32_t end = p + 1 < l->n ? l->off(p + 1) : l->dataBytes;
  uint32_t L = end - op;
  for (uint32_t i = p; i + 1 < l->n; ++i) l->setOff(i, l->off(i + 1) - L);
  char* P = l->payload();
  char* oldData = P + size_t(l->n) * w;
  char* newDataP = oldData - w;
  std::memmove(newDataP, oldData, op);
  std::memmove(newDataP + op, oldData + end, l->dataBytes - end);
  l->n -= 1;
  l->dataBytes -= L;
}

// Largest batch handled by copyLeafWithEdits (positions are kept on the
// stack; larger batches take the general merge path).
constexpr size_t kCopyEditMax = 16;
Leaf* const kNoChange = reinterpret_cast<Leaf*>(uintptr_t(1));

// Builds a new narrow leaf = `l` with the (sorted) edits applied, copying
// unchanged runs of keys with one memcpy each and rebasing their offsets.
// Returns kNoChange if no edit changes the leaf, nullptr if the result is
// empty or does not fit one narrow leaf within the budget (the caller then
// takes the general path, which also splits),
// and otherwise the new leaf (counts added to c.inserted / c.erased).
Leaf* copyLeafWithEdits(const Leaf* l, EditSpan edits, Ctx& c) {
  struct Op {
    uint32_t pos;  // index in l of the first key >= the edit key
    bool insert;
    std::string_view key;
  };
  Op ops[kCopyEditMax];
  size_t nOps = 0, ins = 0;
  int64_t dataDelta = 0;
  uint32_t from = 0;
  for (const BTree::Edit& e : edits) {
    uint32_t p = l->lowerBound(e.key, from);
    bool found = p < l->n && l->key(p) == e.key;
    from = p;
    if (e.insert == found) continue;
    ops[nOps++] = Op{p, e.insert, e.key};
    if (e.insert) {
      ++ins;
      dataDelta += int64_t(e.key.size());
    } else {
      dataDelta -= int64_t(l->key(p).size());
    }
  }
  if (nOps == 0) return kNoChange;
  size_t del = nOps - ins;
  size_t n = size_t(l->n) + ins - del;
  size_t data = size_t(int64_t(l->dataBytes) + dataDelta);
  size_t payload = n * 2 + data;
  if (n == 0 || data > 65535 || (payload > c.leafBytes && n > 1)) return nullptr;

  Leaf* r = allocLeaf(payload);
  r->n = static_cast<uint32_t>(n);
  r->dataBytes = static_cast<uint32_t>(data);
  char* dst = r->payload() + n * 2;  // data area of r
  const char* src = l->data();
  uint32_t i = 0, o = 0, pos = 0;  // next source key, next output key, output data bytes
  const char* srcOffs = l->payload();
  char* dstOffs = r->payload();
  // Copies source keys [i, end) to the output: one memcpy for their bytes,
  // and their (narrow) offsets rebased by a constant (a vectorizable loop).
  auto copyRun = [&](uint32_t end) {
    if (end <= i) return;
    uint32_t s = l->off(i);
    uint32_t e = end < l->n ? l->off(end) : l->dataBytes;
    std::memcpy(dst + pos, src + s, e - s);
    uint16_t delta = static_cast<uint16_t>(pos - s);  // modulo 2^16 arithmetic
    const char* so = srcOffs + size_t(i) * 2;
    char* d = dstOffs + size_t(o) * 2;
    for (size_t k = 0, m = end - i; k < m; ++k) {
      uint16_t v;
      std::memcpy(&v, so + 2 * k, 2);
      v = static_cast<uint16_t>(v + delta);
      std::memcpy(d + 2 * k, &v, 2);
    }
    o += end - i;
    i = end;
    pos += e - s;
  };
  for (size_t k = 0; k < nOps; ++k) {
    const Op& op = ops[k];
    copyRun(op.pos);
    if (op.insert) {
      r->setOff(o++, pos);
      if (!op.key.empty()) std::memcpy(dst + pos, op.key.data(), op.key.size());
      pos += static_cast<uint32_t>(op.key.size());
    } else {
      ++i;  // skip the removed key
    }
  }
  copyRun(l->n);
  assert(o == n && pos == data);
  c.inserted += ins;
  c.erased += del;
  return r;
}

bool applyLeafGeneral(Leaf* l, bool mut, EditSpan edits, Ctx& c, Out& out);

bool applyLeaf(Leaf* l, bool mut, EditSpan edits, Ctx& c, Out& out) {
  // A single edit into an owned leaf: memmove in place when it fits.
  if (mut && edits.size() == 1) {
    const BTree::Edit& e = edits[0];
    uint32_t p = l->lowerBound(e.key);
    bool found = p < l->n && l->key(p) == e.key;
    if (e.insert == found) return false;
    if (e.insert && insertInPlace(l, p, e.key, c)) {
      ++c.inserted;
      out.push(Entry{l, l->n, {}});
      return true;
    }
    if (!e.insert && !l->wide) {
      eraseInPlace(l, p);
      ++c.erased;
      if (l->n == 0) {
        unref(l);
        return true;
      }
      out.push(Entry{l, l->n, {}});
      return true;
    }
  }
  // A small batch into a shared narrow leaf whose result fits one leaf:
  // write the edited image into a new, exactly sized leaf in one pass. This
  // is the path of every small transaction while older database values are
  // alive. (Owned leaves keep using the general path, which edits in place
  // or leaves slack for following in-place inserts.)
  if (!mut && !l->wide && edits.size() <= kCopyEditMax) {
    Leaf* copy = copyLeafWithEdits(l, edits, c);
    if (copy == kNoChange) return false;
    if (copy) {
      out.push(Entry{copy, copy->n, {}});
      return true;
    }
  }
  return applyLeafGeneral(l, mut, edits, c, out);
}

// Merges the keys of leaf `l` with sorted `edits` into `keys`; counts the
// effective insertions/removals. When the batch is small relative to the
// leaf, each edit is located by binary search and unchanged runs are copied
// without comparisons; otherwise a linear merge is cheaper.
void mergeLeafKeys(const Leaf* l, EditSpan edits, std::vector<std::string_view>& keys,
                   size_t& ins, size_t& del) {
  keys.clear();
  keys.reserve(l->n + edits.size());
  uint32_t i = 0;
  if (edits.size() * 8 < l->n) {
    for (const BTree::Edit& e : edits) {
      uint32_t p = l->lowerBound(e.key, i);
      for (; i < p; ++i) keys.push_back(l->key(i));
      if (i < l->n && l->key(i) == e.key) {
        if (e.insert)
          keys.push_back(l->key(i));
        else
          ++del;
        ++i;
      } else if (e.insert) {
        keys.push_back(e.key);
        ++ins;
      }
    }
    for (; i < l->n; ++i) keys.push_back(l->key(i));
    return;
  }
  size_t e = 0;
  while (i < l->n || e < edits.size()) {
    if (e == edits.size()) {
      keys.push_back(l->key(i++));
      continue;
    }
    if (i == l->n) {
      if (edits[e].insert) {
        keys.push_back(edits[e].key);
        ++ins;
      }
      ++e;
      continue;
    }
    std::string_view k = l->key(i);
    int cmp = compareKeys(k, edits[e].key);
    if (cmp < 0) {
      keys.push_back(k);
      ++i;
    } else if (cmp > 0) {
      if (edits[e].insert) {
        keys.push_back(edits[e].key);
        ++ins;
      }
      ++e;
    } else {
      if (edits[e].insert)
        keys.push_back(k);
      else
        ++del;
      ++i;
      ++e;
    }
  }
}

constexpr size_t kScratchKeep = 1 << 14;  // entries kept in per-thread scratch

bool applyLeafGeneral(Leaf* l, bool mut, EditSpan edits, Ctx& c, Out& out) {
  // General path: merge the leaf's keys with the edits, then cut the result
  // into leaf-sized pieces. The key list and cuts live in per-thread scratch
  // vectors (this function does not recurse), so no per-call allocation.
  thread_local std::vector<std::string_view> keys;
  thread_local std::vector<size_t> cuts;
  // A huge batch (e.g. the first apply into a one-leaf tree) must not pin
  // its scratch memory for the life of the thread.
  struct Trim {
    ~Trim() {
      if (keys.capacity() > kScratchKeep) std::vector<std::string_view>().swap(keys);
      if (cuts.capacity() > kScratchKeep) std::vector<size_t>().swap(cuts);
    }
  } trim;
  size_t ins = 0, del = 0;
  mergeLeafKeys(l, edits, keys, ins, del);
  if (ins + del == 0) return false;
  c.inserted += ins;
  c.erased += del;
  if (keys.empty()) {
    if (mut) unref(l);
    return true;
  }
  planLeaves(keys.data(), keys.size(), c, cuts);
  if (mut && cuts.size() == 1) {
    size_t data = keyBytes(keys.data(), keys.size());
    bool wide = data > 65535;
    size_t payload = keys.size() * (wide ? 4 : 2) + data;
    if (payload <= l->cap) {
      // Rewrite in place through a scratch image (keys alias the leaf).
      thread_local std::vector<char> scratch;
      scratch.resize(payload);
      writeLeafImage(scratch.data(), keys.data(), keys.size(), wide);
      std::memcpy(l->payload(), scratch.data(), payload);
      l->n = static_cast<uint32_t>(keys.size());
      l->dataBytes = static_cast<uint32_t>(data);
      l->wide = wide;
      out.push(Entry{l, l->n, {}});
      return true;
    }
  }
  // Single-key edits leave 25% slack (bounded by the budget) in a fresh
  // single leaf so that following in-place inserts need no reallocation.
  size_t slack = 0;
  if (edits.size() == 1 && cuts.size() == 1) {
    size_t payload = plannedPayload(keys.data(), keys.size(), c);
    if (payload < c.leafBytes) slack = std::min<size_t>(payload / 4, c.leafBytes - payload);
  }
  emitLeaves(keys.data(), keys.size(), cuts, slack, std::string(), out);
  if (mut) unref(l);
  return true;
}

bool applyBranch(Branch* b, bool mut, EditSpan edits, Ctx& c, Out& out) {
  Branch* t = mut ? b : nullptr;  // the branch being modified (owned)
  std::vector<std::pair<size_t, Out>> pending;  // structural child results
  size_t e = 0;
  while (e < edits.size()) {
    size_t i = b->route(edits[e].key);
    size_t end = edits.size();
    if (i + 1 < b->size()) {
      std::string_view hi = b->sep(i + 1);
      auto it = std::partition_point(edits.begin() + e, edits.end(),
                                     [&](const BTree::Edit& x) { return compareKeys(x.key, hi) < 0; });
      end = static_cast<size_t>(it - edits.begin());
    }
    Node* slot = (t ? t : b)->slot(i);
    Node* child = resolved(slot);
    bool cmut = mut && slot == child && sole(child);  // stored nodes are copied, never edited
    Out r;
    bool changed = applyNode(child, cmut, edits.subspan(e, end - e), c, r);
    e = end;
    if (!changed) continue;
    if (!t) {
      t = cloneBranch(b);  // copy-on-write: b stays untouched
      b = t;
    }
    if (!cmut) unref(slot);  // drop t's reference to the replaced child
    bool structural = r.n != 1 || c.underfull(r.first.node) ||
                      (i > 0 && t->slot(i - 1) && c.underfull(t->slot(i - 1))) ||
                      (i + 1 < t->size() && c.underfull(t->slot(i + 1)));
    if (!structural) {
      t->kids()[i] = r.first.node;
      t->counts()[i] = r.first.count;
    } else {
      t->kids()[i] = nullptr;
      t->counts()[i] = 0;
      pending.emplace_back(i, std::move(r));
    }
  }
  if (!t) return false;
  if (pending.empty()) {
    out.push(Entry{t, t->total(), {}});
    return true;
  }
  std::vector<Entry> ents;
  ents.reserve(t->size() + pending.size() * 2);
  size_t p = 0;
  for (size_t i = 0; i < t->size(); ++i) {
    if (t->slot(i)) {
      ents.push_back(Entry{t->slot(i), t->counts()[i], std::string(t->sep(i))});
      continue;
    }
    Out& r = pending[p++].second;
    if (r.n > 0) r.first.sep = std::string(t->sep(i));
    for (size_t j = 0; j < r.n; ++j) ents.push_back(std::move(r.at(j)));
  }
  t->n = 0;  // the children's references moved to `ents`
  if (ents.empty()) {
    unref(t);
    return true;
  }
  rebalance(ents, c);
  std::vector<Entry> pieces;
  buildBranches(ents, c, pieces, t);
  for (Entry& pe : pieces) out.push(std::move(pe));
  return true;
}

bool applyNode(Node* node, bool mut, EditSpan edits, Ctx& c, Out& out) {
  if (mut) node->storedIn = 0;  // may change in place: no longer its stored image
  if (node->isLeaf()) return applyLeaf(asLeaf(node), mut, edits, c, out);
  return applyBranch(asBranch(node), mut, edits, c, out);
}

// Turns the replacement nodes of the old root into a proper root: adds
// levels while there is more than one node, and removes single-child roots.
Node* finishRoot(Out& r, Ctx& c) {
  if (r.n == 0) return nullptr;
  Node* root;
  if (r.n == 1) {
    root = r.first.node;
  } else {
    std::vector<Entry> v;
    for (size_t i = 0; i < r.n; ++i) v.push_back(std::move(r.at(i)));
    while (v.size() > 1) {
      rebalance(v, c);
      if (v.size() == 1) break;
      std::vector<Entry> up;
      buildBranches(v, c, up);
      v = std::move(up);
    }
    root = v[0].node;
  }
  while (!root->isLeaf() && asBranch(root)->size() == 1) {
    Branch* b = asBranch(root);
    Node* k = b->child(0);  // the root is never a stub
    ref(k);
    unref(b);
    root = k;
  }
  return root;
}

Node* buildFromSorted(const std::string_view* keys, size_t n, Ctx& c) {
  if (n == 0) return nullptr;
  std::vector<size_t> cuts;
  planLeaves(keys, n, c, cuts);
  Out leaves;
  emitLeaves(keys, n, cuts, 0, std::string(), leaves);
  return finishRoot(leaves, c);
}

BTreeConfig normalize(BTreeConfig c) {
  c.leafBytes = std::clamp<uint32_t>(c.leafBytes, 32, 1u << 30);
  c.branchFanout = std::clamp<uint32_t>(c.branchFanout, 3, 65536);
  return c;
}

void fail(const std::string& what) { throw std::logic_error("btree invariant: " + what); }

struct Checker {
  const Ctx& c;
  int leafDepth = -1;
  uint64_t check(const Node* n, bool hasLo, std::string_view lo, bool hasHi, std::string_view hi,
                 int depth, bool isRoot) {
    if (n->refs.load() == 0) fail("node with zero refcount");
    if (n->isLeaf()) {
      const Leaf* l = asLeaf(n);
      if (leafDepth < 0) leafDepth = depth;
      if (leafDepth != depth) fail("leaves at different depths");
      if (l->n == 0) fail("empty leaf");
      if ((l->wide != 0) != (l->dataBytes > 65535)) fail("leaf offset width");
      if (l->payloadBytes() > l->cap) fail("leaf payload exceeds capacity");
      if (l->n > 1 && l->payloadBytes() > c.leafBytes) fail("leaf over budget");
      uint32_t prevOff = 0;
      for (uint32_t i = 0; i < l->n; ++i) {
        uint32_t o = l->off(i);
        if (o < prevOff || o > l->dataBytes || (i == 0 && o != 0)) fail("leaf offsets");
        prevOff = o;
        std::string_view k = l->key(i);
        if (i > 0 && !(l->key(i - 1) < k)) fail("leaf keys not strictly increasing");
        if (hasLo && k < lo) fail("key below separator");
        if (hasHi && !(k < hi)) fail("key not below next separator");
      }
      return l->n;
    }
    const Branch* b = asBranch(n);
    size_t m = b->size();
    if (m == 0) fail("empty branch");
    if (m > b->cap || b->sepBytes > b->sepCap || b->sepEnd()[m - 1] != b->sepBytes ||
        b->sepEnd()[0] != 0)
      fail("branch block sizes");
    if (m > c.fanout) fail("branch over fanout");
    if (isRoot && m < 2) fail("root branch with a single child");
    if (!isRoot && m < c.minKids) fail("underfull branch");
    bool kidsLeaves = b->child(0)->isLeaf();
    uint64_t total = 0;
    for (size_t i = 0; i < m; ++i) {
      const Node* k = b->child(i);
      if (!k) fail("null child");
      if (k->isLeaf() != kidsLeaves) fail("mixed child kinds");
      if (i >= 2 && !(b->sep(i - 1) < b->sep(i))) fail("separators not increasing");
      bool cl = i > 0 ? true : hasLo;
      std::string_view clo = i > 0 ? b->sep(i) : lo;
      bool ch = i + 1 < m ? true : hasHi;
      std::string_view chi = i + 1 < m ? b->sep(i + 1) : hi;
      uint64_t cnt = check(k, cl, clo, ch, chi, depth + 1, false);
      if (cnt != b->counts()[i]) fail("subtree count mismatch");
      total += cnt;
      if (kidsLeaves && c.underfull(k)) {
        size_t pk = asLeaf(k)->payloadBytes();
        if (i > 0 && pk + asLeaf(b->child(i - 1))->payloadBytes() <= c.leafBytes)
          fail("underfull leaf mergeable with left sibling");
        if (i + 1 < m && pk + asLeaf(b->child(i + 1))->payloadBytes() <= c.leafBytes)
          fail("underfull leaf mergeable with right sibling");
      }
    }
    return total;
  }
};

// The node in memory behind a slot without loading anything: a stub's
// loaded node, or null for an unloaded stub.
const Node* resident(const Node* n) {
  if (!n->isStub()) return n;
  return static_cast<const Stub*>(n)->loaded.load(std::memory_order_acquire);
}

// Nodes in memory (unloaded parts of stored trees are not counted).
size_t countNodes(const Node* n) {
  n = resident(n);
  if (!n) return 0;
  if (n->isLeaf()) return 1;
  size_t s = 1;
  const Branch* b = asBranch(n);
  for (uint32_t i = 0; i < b->n; ++i) s += countNodes(b->slot(i));
  return s;
}

size_t nodeBytes(const Node* n) {
  if (n->isStub()) return sizeof(Stub);
  if (n->isLeaf()) return sizeof(Leaf) + asLeaf(n)->cap;
  return asBranch(n)->heapBytes();
}

void sumBytes(const Node* n, std::unordered_set<const Node*>* seen, size_t& total) {
  n = resident(n);
  if (!n) return;
  if (seen && !seen->insert(n).second) return;
  total += nodeBytes(n);
  if (n->isLeaf()) return;
  const Branch* b = asBranch(n);
  for (uint32_t i = 0; i < b->n; ++i) sumBytes(b->slot(i), seen, total);
}

}  // namespace detail

using namespace detail;

// ---- BTree --------------------------------------------------------------

BTree::BTree() : config_(normalize(BTreeConfig{})) {}
BTree::BTree(BTreeConfig config) : config_(normalize(config)) {}
BTree::BTree(const BTree& o) noexcept : root_(o.root_), size_(o.size_), config_(o.config_) {
  if (root_) ref(root_);
}
BTree::BTree(BTree&& o) noexcept : root_(o.root_), size_(o.size_), config_(o.config_) {
  o.root_ = nullptr;
  o.size_ = 0;
}
BTree& BTree::operator=(const BTree& o) noexcept {
  if (o.root_) ref(o.root_);
  unref(root_);
  root_ = o.root_;
  size_ = o.size_;
  config_ = o.config_;
  return *this;
}
BTree& BTree::operator=(BTree&& o) noexcept {
  if (this != &o) {
    unref(root_);
    root_ = o.root_;
    size_ = o.size_;
    config_ = o.config_;
    o.root_ = nullptr;
    o.size_ = 0;
  }
  return *this;
}
BTree::~BTree() { unref(root_); }

bool BTree::contains(std::string_view key) const {
  const Node* n = root_;
  if (!n) return false;
  while (!n->isLeaf()) {
    const Branch* b = asBranch(n);
    n = b->child(b->route(key));
  }
  const Leaf* l = asLeaf(n);
  uint32_t p = l->lowerBound(key);
  return p < l->n && l->key(p) == key;
}

bool BTree::insert(std::string_view key) {
  Edit e{key, true};
  return apply(std::span<const Edit>(&e, 1)) == 1;
}

bool BTree::erase(std::string_view key) {
  Edit e{key, false};
  return apply(std::span<const Edit>(&e, 1)) == 1;
}

size_t BTree::apply(std::span<const Edit> edits) {
  if (edits.empty()) return 0;
#ifndef NDEBUG
  for (size_t i = 1; i < edits.size(); ++i)
    assert(edits[i - 1].key < edits[i].key && "BTree::apply: edits must be sorted and unique");
#endif
  Ctx c(config_);
  if (!root_) {
    std::vector<std::string_view> keys;
    for (const Edit& e : edits)
      if (e.insert) keys.push_back(e.key);
    root_ = buildFromSorted(keys.data(), keys.size(), c);
    size_ = keys.size();
    return keys.size();
  }
  // Load the stored nodes on every edited path first: a store-error then
  // surfaces before anything is allocated or changed (the edit pass below
  // is not written to unwind half-built nodes).
  if (!root_->isLeaf())
    for (const Edit& e : edits)
      for (const Node* n = root_; !n->isLeaf();) n = asBranch(n)->child(asBranch(n)->route(e.key));
  bool mut = sole(root_);
  Out r;
  if (!applyNode(root_, mut, edits, c, r)) return 0;
  if (!mut) unref(root_);
  root_ = finishRoot(r, c);
  size_ = size_ + c.inserted - c.erased;
  return c.inserted + c.erased;
}

BTree BTree::buildSorted(std::span<const std::string_view> keys, BTreeConfig config) {
#ifndef NDEBUG
  for (size_t i = 1; i < keys.size(); ++i)
    assert(keys[i - 1] < keys[i] && "BTree::buildSorted: keys must be sorted and unique");
#endif
  BTree t(config);
  Ctx c(t.config_);
  t.root_ = buildFromSorted(keys.data(), keys.size(), c);
  t.size_ = keys.size();
  return t;
}

size_t BTree::rank(std::string_view key) const {
  const Node* n = root_;
  if (!n) return 0;
  size_t r = 0;
  while (!n->isLeaf()) {
    const Branch* b = asBranch(n);
    size_t i = b->route(key);
    const uint64_t* counts = b->counts();
    for (size_t j = 0; j < i; ++j) r += counts[j];
    n = b->child(i);
  }
  return r + asLeaf(n)->lowerBound(key);
}

size_t BTree::countRange(std::string_view lo, std::string_view hi) const {
  if (!(lo < hi)) return 0;
  return rank(hi) - rank(lo);
}

size_t BTree::nodeCount() const { return root_ ? countNodes(root_) : 0; }

size_t BTree::memoryBytes() const {
  size_t total = 0;
  if (root_) sumBytes(root_, nullptr, total);
  return total;
}

size_t BTree::memoryBytes(std::span<const BTree* const> versions) {
  std::unordered_set<const Node*> seen;
  size_t total = 0;
  for (const BTree* t : versions)
    if (t && t->root_) sumBytes(t->root_, &seen, total);
  return total;
}

size_t BTree::height() const {
  size_t h = 0;
  for (const Node* n = root_; n; n = n->isLeaf() ? nullptr : asBranch(n)->child(0)) ++h;
  return h;
}

void BTree::checkInvariants() const {
  if (!root_) {
    if (size_ != 0) fail("empty root but size != 0");
    return;
  }
  Ctx c(config_);
  Checker ck{c};
  uint64_t n = ck.check(root_, false, {}, false, {}, 0, true);
  if (n != size_) fail("size() mismatch");
}

uint64_t BTree::debugNodeAllocations() { return g_nodeAllocs.load(std::memory_order_relaxed); }

// ---- Iterator -------------------------------------------------------------

BTree::Iterator::Iterator(const Iterator& o) : root_(o.root_), stack_(o.stack_) {
  if (root_) ref(root_);
}
BTree::Iterator::Iterator(Iterator&& o) noexcept : root_(o.root_), stack_(std::move(o.stack_)) {
  o.root_ = nullptr;
  o.stack_.clear();
}
BTree::Iterator& BTree::Iterator::operator=(const Iterator& o) {
  if (o.root_) ref(o.root_);
  unref(root_);
  root_ = o.root_;
  stack_ = o.stack_;
  return *this;
}
BTree::Iterator& BTree::Iterator::operator=(Iterator&& o) noexcept {
  if (this != &o) {
    unref(root_);
    root_ = o.root_;
    stack_ = std::move(o.stack_);
    o.root_ = nullptr;
    o.stack_.clear();
  }
  return *this;
}
BTree::Iterator::~Iterator() { unref(root_); }

std::string_view BTree::Iterator::key() const {
  const Frame& f = stack_.back();
  return asLeaf(f.node)->key(f.idx);
}

void BTree::Iterator::descendFirst(const Node* n) {
  while (!n->isLeaf()) {
    stack_.push_back(Frame{n, 0});
    n = asBranch(n)->child(0);
  }
  stack_.push_back(Frame{n, 0});
}

void BTree::Iterator::descendLast(const Node* n) {
  while (!n->isLeaf()) {
    const Branch* b = asBranch(n);
    uint32_t i = static_cast<uint32_t>(b->size() - 1);
    stack_.push_back(Frame{n, i});
    n = b->child(i);
  }
  stack_.push_back(Frame{n, asLeaf(n)->n - 1});
}

void BTree::Iterator::next() {
  if (stack_.empty()) return;
  Frame& top = stack_.back();
  if (++top.idx < asLeaf(top.node)->n) return;
  stack_.pop_back();
  while (!stack_.empty()) {
    Frame& f = stack_.back();
    const Branch* b = asBranch(f.node);
    if (f.idx + 1 < b->size()) {
      ++f.idx;
      descendFirst(b->child(f.idx));
      return;
    }
    stack_.pop_back();
  }
}

void BTree::Iterator::prev() {
  if (stack_.empty()) return;
  Frame& top = stack_.back();
  if (top.idx > 0) {
    --top.idx;
    return;
  }
  stack_.pop_back();
  while (!stack_.empty()) {
    Frame& f = stack_.back();
    if (f.idx > 0) {
      --f.idx;
      descendLast(asBranch(f.node)->child(f.idx));
      return;
    }
    stack_.pop_back();
  }
}

BTree::Iterator BTree::begin() const {
  Iterator it;
  if (!root_) return it;
  ref(root_);
  it.root_ = root_;
  it.descendFirst(root_);
  return it;
}

BTree::Iterator BTree::last() const {
  Iterator it;
  if (!root_) return it;
  ref(root_);
  it.root_ = root_;
  it.descendLast(root_);
  return it;
}

void BTree::Iterator::descendTo(std::string_view key, bool upper) {
  stack_.clear();
  descendFrom(root_, key, upper);
}

void BTree::Iterator::descendFrom(const Node* n, std::string_view key, bool upper) {
  while (!n->isLeaf()) {
    const Branch* b = asBranch(n);
    size_t i = b->route(key);
    stack_.push_back(Frame{n, static_cast<uint32_t>(i)});
    n = b->child(i);
  }
  const Leaf* l = asLeaf(n);
  uint32_t p = upper ? l->upperBound(key) : l->lowerBound(key);
  if (p < l->n) {
    stack_.push_back(Frame{n, p});
  } else {
    stack_.push_back(Frame{n, l->n - 1});
    next();
  }
}

void BTree::Iterator::seekForward(std::string_view key) {
  if (stack_.empty() || !root_) return;
  Frame& top = stack_.back();
  const Leaf* leaf = asLeaf(top.node);
  // Probes in key order usually land a few keys ahead: gallop from the
  // current position (1, 2, 4... keys on) so a near target costs a few
  // compares over bytes already in cache, then binary search the last gap.
  const uint32_t n = leaf->n;
  uint32_t lo = top.idx;
  if (lo < n && compareKeys(leaf->key(lo), key) >= 0) return;
  uint32_t hi = n;
  bool inLeaf = false;
  for (uint32_t step = 1; n > 0; step *= 2) {
    uint32_t probe = lo + step;
    if (probe >= n - 1) {
      inLeaf = n > 0 && compareKeys(leaf->key(n - 1), key) >= 0;
      hi = n - 1;
      break;
    }
    if (compareKeys(leaf->key(probe), key) >= 0) {
      inLeaf = true;
      hi = probe;
      break;
    }
    lo = probe;
  }
  if (inLeaf) {
    // key(lo) < key <= key(hi)
    ++lo;
    while (lo < hi) {
      uint32_t mid = lo + (hi - lo) / 2;
      if (compareKeys(leaf->key(mid), key) < 0) lo = mid + 1;
      else hi = mid;
    }
    top.idx = lo;
    return;
  }
  // Elsewhere: climb to the lowest branch that must hold the key (it routes
  // below its last child, or it is the root) and descend from there. Probes
  // in key order usually land in a nearby leaf, so this skips the upper
  // levels of a full descent.
  stack_.pop_back();
  while (!stack_.empty()) {
    Frame& f = stack_.back();
    const Branch* b = asBranch(f.node);
    size_t i = b->route(key, f.idx);
    if (i + 1 < b->size() || stack_.size() == 1) {
      f.idx = static_cast<uint32_t>(i);
      descendFrom(b->child(i), key, false);
      return;
    }
    stack_.pop_back();
  }
  descendTo(key, false);
}

BTree::Iterator BTree::lowerBound(std::string_view key) const {
  Iterator it;
  if (!root_) return it;
  ref(root_);
  it.root_ = root_;
  it.descendTo(key, false);
  return it;
}

BTree::Iterator BTree::upperBound(std::string_view key) const {
  Iterator it;
  if (!root_) return it;
  ref(root_);
  it.root_ = root_;
  it.descendTo(key, true);
  return it;
}

BTree::Iterator BTree::seekBefore(std::string_view key) const {
  Iterator it = lowerBound(key);
  if (it.valid()) {
    it.prev();
    return it;
  }
  return last();
}

}  // namespace datalite::index
