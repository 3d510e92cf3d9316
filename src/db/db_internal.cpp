#include "db/db_internal.h"

#include <algorithm>
#include <cmath>

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
      if (v.isNumber()) return Value::real(static_cast<double>(static_cast<float>(v.toDouble())));
      mismatch(attr, v, "a float");
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

// MSD radix sort: one counting pass per byte position, recursing into
// buckets; small buckets and very deep positions fall back to comparison
// sorting (keeps recursion shallow for long keys).
void radixSort(std::string_view* keys, size_t n, size_t depth, std::string_view* scratch) {
  constexpr size_t kSmall = 48;
  constexpr size_t kMaxRadixDepth = 24;
  if (n < kSmall || depth >= kMaxRadixDepth) {
    std::sort(keys, keys + n, [depth](std::string_view a, std::string_view b) { return lessFrom(a, b, depth); });
    return;
  }
  size_t count[257] = {0};  // bucket 0: the key ends here
  for (size_t i = 0; i < n; ++i)
    ++count[keys[i].size() > depth ? static_cast<unsigned char>(keys[i][depth]) + 1 : 0];
  size_t start[257];
  size_t pos = 0;
  for (int b = 0; b < 257; ++b) {
    start[b] = pos;
    pos += count[b];
  }
  size_t next[257];
  std::copy(start, start + 257, next);
  for (size_t i = 0; i < n; ++i) {
    int b = keys[i].size() > depth ? static_cast<unsigned char>(keys[i][depth]) + 1 : 0;
    scratch[next[b]++] = keys[i];
  }
  std::copy(scratch, scratch + n, keys);
  for (int b = 1; b < 257; ++b)
    if (count[b] > 1) radixSort(keys + start[b], count[b], depth + 1, scratch);
}

}  // namespace

void sortKeys(std::vector<std::string_view>& keys) {
  if (std::is_sorted(keys.begin(), keys.end())) return;
  std::vector<std::string_view> scratch(keys.size());
  radixSort(keys.data(), keys.size(), 0, scratch.data());
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
