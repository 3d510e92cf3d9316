#include "db/db_internal.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <cstring>

#include "core/encoding.h"
#include "core/error.h"
#include "db/show.h"

namespace datalite::internal {

namespace {

[[noreturn]] void mismatch(const Attribute& attr, const Value& v, std::string_view expected) {
  raise(ErrorCode::TypeMismatch, "Bad value " + show(v) + " for :" + std::string(attr.ident.str()) + ": expected " +
                                     std::string(expected));
}

Value coerceToType(const Attribute& attr, ValueType type, const Value& v, bool inTuple) {
  switch (type) {
    case ValueType::Any:
      if (v.isNil()) {
        if (inTuple) return v;
        raise(ErrorCode::InvalidInput, "Cannot store nil as a value of :" + std::string(attr.ident.str()));
      }
      if (!isEncodable(v)) mismatch(attr, v, "a scalar or a tuple");
      return v;
    case ValueType::String:
      if (v.isString()) return v;
      mismatch(attr, v, "a string");
    case ValueType::Long:
      if (v.kind() == Kind::Long) return v;
      if (v.kind() == Kind::BigInt) return Value::integer(v.asLong());
      if (v.kind() == Kind::Double && std::floor(v.asDouble()) == v.asDouble() && std::fabs(v.asDouble()) < 9.0e15)
        return Value::integer(static_cast<int64_t>(v.asDouble()));
      mismatch(attr, v, "a long");
    case ValueType::Double:
      if (v.kind() == Kind::Double) return v;
      if (v.isInteger()) return Value::real(static_cast<double>(v.asLong()));
      mismatch(attr, v, "a double");
    case ValueType::Float:
      // A finite double beyond the float range would round to infinity.
      if (v.isNumber() && !(std::isfinite(v.toDouble()) &&
                            std::fabs(v.toDouble()) > static_cast<double>(std::numeric_limits<float>::max())))
        return Value::real(static_cast<double>(static_cast<float>(v.toDouble())));
      mismatch(attr, v, "a float (within ±3.4e38)");
    case ValueType::BigInt:
      if (v.isInteger()) return Value::bigint(v.asLong());
      mismatch(attr, v, "a bigint");
    case ValueType::Boolean:
      if (v.kind() == Kind::Boolean) return v;
      mismatch(attr, v, "a boolean");
    case ValueType::Keyword:
      if (v.isKeyword()) return v;
      if (v.isString() && !v.asString().empty()) {
        std::string_view s = v.asString();
        if (s[0] == ':') s.remove_prefix(1);
        if (!s.empty()) return Value::keyword(s);
      }
      mismatch(attr, v, "a keyword");
    case ValueType::Symbol:
      if (v.isSymbol()) return v;
      if (v.isString() && !v.asString().empty()) return Value::symbol(v.asString());
      mismatch(attr, v, "a symbol");
    case ValueType::Uuid:
      if (v.kind() == Kind::Uuid) return v;
      if (v.isString()) {
        Uuid16 u;
        if (parseUuid(v.asString(), u)) return Value::uuid(u);
      }
      mismatch(attr, v, "a uuid");
    case ValueType::Instant:
      if (v.kind() == Kind::Instant) return v;
      if (v.kind() == Kind::Long) return Value::instant(v.asLong());
      mismatch(attr, v, "an instant");
    case ValueType::Bytes:
      if (v.kind() == Kind::Bytes) return v;
      mismatch(attr, v, "bytes");
    case ValueType::Ref:
      if (v.isInteger() && v.asLong() > 0) return Value::integer(v.asLong());
      mismatch(attr, v, "an entity id");
    case ValueType::Tuple:
      mismatch(attr, v, "a scalar tuple element");
  }
  mismatch(attr, v, "a storable value");
}

}  // namespace

Value coerceValue(const Attribute& attr, const Value& v, const Schema& schema) {
  if (v.isNil()) raise(ErrorCode::InvalidInput, "Cannot store nil as a value of :" + std::string(attr.ident.str()));
  if (attr.type != ValueType::Tuple) return coerceToType(attr, attr.type, v, false);
  if (!v.isSequential()) mismatch(attr, v, "a tuple (vector)");
  const auto& items = v.items();
  std::vector<Value> out;
  out.reserve(items.size());
  if (attr.isComposite()) {
    if (items.size() != attr.tupleAttrs.size())
      mismatch(attr, v, "a tuple of " + std::to_string(attr.tupleAttrs.size()) + " elements");
    for (size_t i = 0; i < items.size(); ++i) {
      const Attribute& c = schema.get(attr.tupleAttrs[i]);
      if (items[i].isNil()) out.push_back(items[i]);
      else out.push_back(c.isRef() ? coerceToType(c, ValueType::Ref, items[i], true) : coerceValue(c, items[i], schema));
    }
  } else if (!attr.tupleTypes.empty()) {
    if (items.size() != attr.tupleTypes.size())
      mismatch(attr, v, "a tuple of " + std::to_string(attr.tupleTypes.size()) + " elements");
    for (size_t i = 0; i < items.size(); ++i)
      out.push_back(items[i].isNil() ? items[i] : coerceToType(attr, attr.tupleTypes[i], items[i], true));
  } else {
    for (const Value& x : items) out.push_back(x.isNil() ? x : coerceToType(attr, attr.tupleType, x, true));
  }
  constexpr size_t kMaxTupleElements = 8;  // Datomic's limit
  if (out.size() < 2 || out.size() > kMaxTupleElements) mismatch(attr, v, "a tuple of 2 to 8 elements");
  return Value::vector(std::move(out));
}

void EditBatch::push(int tree, bool insert, IndexOrder order, int64_t e, AttrId a, std::string_view venc,
                     int64_t tx, int op) {
  std::string& arena = arena_[tree];
  size_t start = arena.size();
  appendKey(order, e, a, venc, tx, arena);
  if (op >= 0) arena.push_back(static_cast<char>(op));
  pending_[tree].push_back(Pending{static_cast<uint32_t>(start), static_cast<uint32_t>(arena.size() - start), insert});
}

void EditBatch::add(int64_t e, AttrId a, std::string_view venc, int64_t tx, bool isRef) {
  for (int i = 0; i < kIndexCount; ++i) {
    IndexOrder order = static_cast<IndexOrder>(i);
    if (order == IndexOrder::VAET && !isRef) continue;
    push(i, true, order, e, a, venc, tx, -1);
  }
}

void EditBatch::retract(int64_t e, AttrId a, std::string_view venc, int64_t assertedTx, int64_t tx, bool isRef,
                        bool keepHistory) {
  for (int i = 0; i < kIndexCount; ++i) {
    IndexOrder order = static_cast<IndexOrder>(i);
    if (order == IndexOrder::VAET && !isRef) continue;
    push(i, false, order, e, a, venc, assertedTx, -1);
    if (keepHistory) {
      push(kIndexCount + i, true, order, e, a, venc, assertedTx, kOpAssert);
      push(kIndexCount + i, true, order, e, a, venc, tx, kOpRetract);
    }
  }
}

namespace {

// Keys sorted by byte order from position `depth` on (all share the first
// `depth` bytes).
bool lessFrom(std::string_view a, std::string_view b, size_t depth) {
  return a.substr(std::min(depth, a.size())) < b.substr(std::min(depth, b.size()));
}

// Keys are sorted 8 bytes at a time: each key's bytes [depth, depth+8) are
// loaded once as a big-endian uint64 (zero-padded past the key's end) into a
// 16-byte record with a tag saying where the key ends (0..8: the key has that
// many bytes left, 9: it goes on). Records sort by (chunk, tag), which is the
// keys' byte order on that window: among equal padded chunks a key that ends
// inside the window is a prefix of every longer one. Runs of equal chunks of
// keys that go on are then sorted from depth+8 the same way.
struct PrefixRec {
  uint64_t chunk;
  uint32_t tag;
  uint32_t idx;
};

inline uint64_t loadChunk(std::string_view k, size_t depth, uint32_t& tag) {
  size_t left = k.size() > depth ? k.size() - depth : 0;
  if (left >= 8) {
    uint64_t v;
    std::memcpy(&v, k.data() + depth, 8);
    if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap64(v);
    tag = left > 8 ? 9 : 8;
    return v;
  }
  uint64_t v = 0;
  for (size_t i = 0; i < left; ++i) v |= uint64_t(static_cast<unsigned char>(k[depth + i])) << (56 - 8 * i);
  tag = static_cast<uint32_t>(left);
  return v;
}

// Stable LSD radix sort of records by (chunk, tag) with kBits-bit digits;
// passes where every record has the same digit are skipped. Returns the
// buffer (a or b) holding the result.
template <int kBits>
PrefixRec* lsdSort(PrefixRec* a, PrefixRec* b, size_t n) {
  constexpr int kDigits = 64 / kBits;
  constexpr size_t kBuckets = size_t(1) << kBits;
  constexpr uint64_t kMask = kBuckets - 1;
  std::vector<uint32_t> counts((kDigits + 1) * kBuckets, 0);
  uint32_t* tagCount = counts.data() + kDigits * kBuckets;  // tags are < 10 <= kBuckets
  for (size_t i = 0; i < n; ++i) {
    uint64_t c = a[i].chunk;
    for (int d = 0; d < kDigits; ++d) ++counts[d * kBuckets + ((c >> (d * kBits)) & kMask)];
    ++tagCount[a[i].tag];
  }
  auto pass = [&](uint32_t* count, auto digitOf) {
    uint32_t pos = 0;
    for (size_t v = 0; v < kBuckets; ++v) {
      uint32_t c = count[v];
      count[v] = pos;
      pos += c;
    }
    for (size_t i = 0; i < n; ++i) b[count[digitOf(a[i])]++] = a[i];
    std::swap(a, b);
  };
  if (tagCount[a[0].tag] != n) pass(tagCount, [](const PrefixRec& r) { return r.tag; });
  for (int d = 0; d < kDigits; ++d) {
    uint32_t* count = counts.data() + d * kBuckets;
    if (count[(a[0].chunk >> (d * kBits)) & kMask] == n) continue;
    pass(count, [d](const PrefixRec& r) { return (r.chunk >> (d * kBits)) & kMask; });
  }
  return a;
}

void sortFrom(std::string_view* keys, size_t n, size_t depth, PrefixRec* recA, PrefixRec* recB,
              std::string_view* scratch) {
  constexpr size_t kSmall = 32;
  constexpr size_t kMaxDepth = 64;
  if (n < kSmall || depth >= kMaxDepth) {
    std::sort(keys, keys + n, [depth](std::string_view a, std::string_view b) { return lessFrom(a, b, depth); });
    return;
  }
  for (size_t i = 0; i < n; ++i) {
    uint32_t tag;
    recA[i].chunk = loadChunk(keys[i], depth, tag);
    recA[i].tag = tag;
    recA[i].idx = static_cast<uint32_t>(i);
  }
  PrefixRec* s;
  if (n >= (size_t(1) << 16)) {
    s = lsdSort<16>(recA, recB, n);
  } else if (n >= 256) {
    s = lsdSort<8>(recA, recB, n);
  } else {
    std::sort(recA, recA + n, [](const PrefixRec& a, const PrefixRec& b) {
      return a.chunk != b.chunk ? a.chunk < b.chunk : a.tag < b.tag;
    });
    s = recA;
  }
  for (size_t i = 0; i < n; ++i) scratch[i] = keys[s[i].idx];
  std::copy(scratch, scratch + n, keys);
  // Recursion into [i, j) reuses recA/recB/scratch there only; s[j..] stays.
  for (size_t i = 0; i < n;) {
    uint64_t chunk = s[i].chunk;
    uint32_t tag = s[i].tag;
    size_t j = i + 1;
    while (j < n && s[j].chunk == chunk && s[j].tag == tag) ++j;
    if (tag == 9 && j - i > 1) sortFrom(keys + i, j - i, depth + 8, recA + i, recB + i, scratch + i);
    i = j;
  }
}

// Keys that come as a few ascending runs (the restore's EAVT and AEVT lists:
// one run per attribute, ids ascending) are merged, not sorted. Returns false
// (keys untouched) when there are more than kMaxRuns runs.
bool mergeRuns(std::vector<std::string_view>& keys) {
  constexpr size_t kMaxRuns = 32;
  std::vector<size_t> starts{0};
  for (size_t i = 1; i < keys.size(); ++i) {
    if (keys[i] < keys[i - 1]) {
      if (starts.size() == kMaxRuns) return false;
      starts.push_back(i);
    }
  }
  if (starts.size() == 1) return true;  // sorted already
  starts.push_back(keys.size());
  std::vector<std::string_view> scratch(keys.size());
  std::string_view* from = keys.data();
  std::string_view* to = scratch.data();
  while (starts.size() > 2) {  // pairwise, bottom-up
    std::vector<size_t> next;
    size_t r = 0;
    for (; r + 2 < starts.size(); r += 2) {
      std::merge(from + starts[r], from + starts[r + 1], from + starts[r + 1], from + starts[r + 2], to + starts[r]);
      next.push_back(starts[r]);
    }
    if (r + 1 < starts.size()) {
      std::copy(from + starts[r], from + starts[r + 1], to + starts[r]);
      next.push_back(starts[r]);
    }
    next.push_back(keys.size());
    starts.swap(next);
    std::swap(from, to);
  }
  if (from != keys.data()) std::copy(from, from + keys.size(), keys.data());
  return true;
}

}  // namespace

void sortKeys(std::vector<std::string_view>& keys) {
  if (keys.size() < 2 || mergeRuns(keys)) return;
  if (uint64_t(keys.size()) >= (uint64_t(1) << 32)) {
    std::sort(keys.begin(), keys.end());
    return;
  }
  std::vector<PrefixRec> recA(keys.size()), recB(keys.size());
  std::vector<std::string_view> scratch(keys.size());
  sortFrom(keys.data(), keys.size(), 0, recA.data(), recB.data(), scratch.data());
}

void EditBatch::applyTo(index::BTree (&current)[kIndexCount], index::BTree (&temporal)[kIndexCount]) {
  std::vector<std::string_view> keys;
  std::vector<index::BTree::Edit> edits;
  for (int t = 0; t < 2 * kIndexCount; ++t) {
    if (pending_[t].empty()) continue;
    const std::string& arena = arena_[t];
    index::BTree& tree = t < kIndexCount ? current[t] : temporal[t - kIndexCount];
    keys.clear();
    bool allInserts = true;
    for (const Pending& p : pending_[t]) {
      keys.push_back(std::string_view(arena).substr(p.offset, p.length));
      allInserts = allInserts && p.insert;
    }
    sortKeys(keys);
    if (allInserts && tree.empty()) {
      // Into an empty tree (a first load): build it bottom-up.
      tree = index::BTree::buildSorted(std::span<const std::string_view>(keys), tree.config());
      continue;
    }
    edits.clear();
    edits.reserve(keys.size());
    if (allInserts) {
      for (std::string_view k : keys) edits.push_back(index::BTree::Edit{k, true});
    } else {
      // Recover each key's flag: removals are rare, look them up by key.
      std::vector<std::string_view> removals;
      for (const Pending& p : pending_[t])
        if (!p.insert) removals.push_back(std::string_view(arena).substr(p.offset, p.length));
      std::sort(removals.begin(), removals.end());
      for (std::string_view k : keys)
        edits.push_back(index::BTree::Edit{k, !std::binary_search(removals.begin(), removals.end(), k)});
    }
    tree.apply(std::span<const index::BTree::Edit>(edits));
  }
}

}  // namespace datalite::internal
