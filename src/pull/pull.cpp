// Pull evaluation: one EAVT prefix scan per entity, one VAET [v a] prefix scan
// per reverse attribute, C++ recursion bounded by PullOptions::maxDepth.
#include "pull/pull.h"

#include <algorithm>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "core/encoding.h"
#include "core/error.h"
#include "db/show.h"
#include "pull/pattern_impl.h"

namespace datalite::pull {

namespace {

const Value& dbIdKey() {
  static const Value k = Value::keyword("db/id");
  return k;
}

Value idMap(int64_t e) { return Value::map({dbIdKey(), Value::integer(e)}); }

// Per-node data that depends on the db (attributes resolved by ident).
struct Resolved {
  std::vector<const Attribute*> attrs;  // per spec; nullptr: unknown attribute or :db/id
  std::vector<AttrId> explicitForward;  // sorted: attributes the wildcard leaves to explicit specs
};

class Puller {
 public:
  Puller(const Db& db, const PatternImpl* pattern, const PullOptions& options)
      : db_(db), options_(options), recDepth_(pattern ? pattern->recursionSlots : 0, 0) {
    if (db.isHistory()) raise(ErrorCode::InvalidInput, "pull does not support history views");
  }

  Value top(const Node& node, int64_t eid) {
    entities_ = 0;
    depth_ = 0;
    bool any = false;
    Value m = entity(node, eid, &any);
    return any ? m : Value();
  }

 private:
  const Resolved& resolve(const Node& node) {
    auto it = resolved_.find(&node);
    if (it != resolved_.end()) return it->second;
    Resolved r;
    r.attrs.reserve(node.specs.size());
    for (const Spec& s : node.specs) {
      const Attribute* a = s.isDbId ? nullptr : db_.attribute(s.attr);
      r.attrs.push_back(a);
      if (a && !s.reverse) r.explicitForward.push_back(a->id);
    }
    std::sort(r.explicitForward.begin(), r.explicitForward.end());
    return resolved_.emplace(&node, std::move(r)).first->second;
  }

  // The entity map for `eid` under `node`; nil when nothing matched.
  // `any` (top level only) is set when the entity has datoms.
  Value entity(const Node& node, int64_t eid, bool* any) {
    if (++entities_ > options_.maxEntities)
      raise(ErrorCode::LimitExceeded, "pull built more than " + std::to_string(options_.maxEntities) + " entity maps");
    const Resolved& r = resolve(node);
    std::vector<Datom> datoms;
    if (node.needsForward || any) {
      // One EAVT [e] prefix scan; only datoms of attributes the node reads are decoded.
      std::string prefix;
      encodeUnsigned(static_cast<uint64_t>(eid), prefix);
      datoms.reserve(16);
      for (Db::Cursor c = db_.scan(IndexOrder::EAVT, std::move(prefix)); c.valid(); c.next()) {
        if (any) *any = true;
        if (!node.wildcard && !std::binary_search(r.explicitForward.begin(), r.explicitForward.end(), c.parts().a))
          continue;
        datoms.push_back(c.datom());
      }
    }
    std::vector<Value> kv;
    kv.reserve(2 * (node.specs.size() + (node.wildcard ? 8 : 0)));
    auto emit = [&](const Value& key, Value v) {
      if (node.mayCollide)
        for (size_t i = 0; i < kv.size(); i += 2)
          if (kv[i] == key) return;
      kv.push_back(key);
      kv.push_back(std::move(v));
    };
    for (size_t i = 0; i <= node.specs.size(); ++i) {
      if (node.wildcard && i == node.wildcardPos) wildcard(node, r, eid, datoms, emit);
      if (i == node.specs.size()) break;
      const Spec& s = node.specs[i];
      Value v;
      if (s.isDbId) {
        v = Value::integer(eid);
      } else if (const Attribute* a = r.attrs[i]) {
        v = s.reverse ? reverse(s, *a, eid, any) : forward(s, *a, range(datoms, a->id));
      }
      if (v.isNil() && s.hasDefault) v = s.defaultValue;
      if (!v.isNil()) emit(s.key, std::move(v));
    }
    if (kv.empty()) return Value();
    return Value::map(std::move(kv));
  }

  static std::span<const Datom> range(const std::vector<Datom>& datoms, AttrId a) {
    auto lo = std::lower_bound(datoms.begin(), datoms.end(), a, [](const Datom& d, AttrId x) { return d.a < x; });
    auto hi = lo;
    while (hi != datoms.end() && hi->a == a) ++hi;
    return std::span<const Datom>(datoms.data() + (lo - datoms.begin()), static_cast<size_t>(hi - lo));
  }

  template <class Emit>
  void wildcard(const Node& node, const Resolved& r, int64_t eid, const std::vector<Datom>& datoms, Emit& emit) {
    if (!node.hasDbIdSpec) emit(dbIdKey(), Value::integer(eid));
    static const Spec plain;  // default options: limit 1000, no sub-pattern
    for (size_t i = 0; i < datoms.size();) {
      AttrId a = datoms[i].a;
      size_t j = i;
      while (j < datoms.size() && datoms[j].a == a) ++j;
      if (!std::binary_search(r.explicitForward.begin(), r.explicitForward.end(), a)) {
        const Attribute& attr = db_.schema().get(a);
        Value v = forward(plain, attr, std::span<const Datom>(datoms.data() + i, j - i));
        if (!v.isNil()) emit(Value::keyword(attr.ident), std::move(v));
      }
      i = j;
    }
  }

  // The value of a forward attribute from its datoms; nil when absent.
  Value forward(const Spec& s, const Attribute& a, std::span<const Datom> ds) {
    if (ds.empty()) return Value();
    if (!a.isRef()) {
      if (s.sub != SubKind::None)
        raise(ErrorCode::InvalidInput, "pull: a sub-pattern needs a ref attribute, :" + std::string(a.ident.str()) +
                                           " is not one");
      if (!a.many) return ds.front().v;
      size_t n = s.unlimited ? ds.size() : std::min<size_t>(ds.size(), s.limit);
      std::vector<Value> out;
      out.reserve(n);
      for (size_t i = 0; i < n; ++i) out.push_back(ds[i].v);
      return Value::vector(std::move(out));
    }
    if (!a.many) return target(s, a.component, ds.front().v.asLong());
    size_t n = s.unlimited ? ds.size() : std::min<size_t>(ds.size(), s.limit);
    std::vector<Value> out;
    out.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      Value v = target(s, a.component, ds[i].v.asLong());
      if (!v.isNil()) out.push_back(std::move(v));
    }
    if (out.empty()) return Value();
    return Value::vector(std::move(out));
  }

  Value reverse(const Spec& s, const Attribute& a, int64_t eid, bool* any) {
    if (!a.isRef())
      raise(ErrorCode::InvalidInput,
            "pull: reverse attribute " + show(s.key) + " needs a ref attribute, :" + std::string(a.ident.str()) +
                " is not one");
    // One VAET [v a] prefix scan; the referencing entity comes from the key, nothing is decoded.
    std::string prefix;
    encodeUnsigned(static_cast<uint64_t>(eid), prefix);
    encodeUnsigned(a.id, prefix);
    std::vector<int64_t> es;
    // A component has one owner: the reverse of a component attribute is single-valued.
    size_t n = a.component ? 1 : s.unlimited ? SIZE_MAX : s.limit;
    for (Db::Cursor c = db_.scan(IndexOrder::VAET, std::move(prefix)); c.valid() && es.size() < n; c.next())
      es.push_back(c.parts().e);
    if (es.empty()) return Value();
    if (any) *any = true;
    if (a.component) return target(s, false, es.front());
    std::vector<Value> out;
    out.reserve(es.size());
    for (int64_t e : es) {
      Value v = target(s, false, e);
      if (!v.isNil()) out.push_back(std::move(v));
    }
    if (out.empty()) return Value();
    return Value::vector(std::move(out));
  }

  // One referenced entity under spec `s`; nil when it contributes nothing.
  Value target(const Spec& s, bool component, int64_t e) {
    switch (s.sub) {
      case SubKind::None:
        if (component) return recurse(wildcardNode(), e, nullptr);
        return idMap(e);
      case SubKind::Nested:
        return nested(*s.nested, e);
      case SubKind::Recurse:
        return recurse(*s.nested, e, &s);
    }
    return Value();
  }

  Value nested(const Node& node, int64_t e) {
    if (depth_ >= options_.maxDepth)
      raise(ErrorCode::LimitExceeded, "pull result nests deeper than " + std::to_string(options_.maxDepth) + " levels");
    ++depth_;
    Value v = entity(node, e, nullptr);
    --depth_;
    return v;
  }

  // Recursion (`...`, depth n, component expansion): an entity already
  // entered by recursion on the current path comes back as {:db/id e}; an
  // exhausted depth drops the value.
  Value recurse(const Node& node, int64_t e, const Spec* s) {
    if (seen_.count(e)) return idMap(e);
    uint32_t* slot = s ? &recDepth_[s->recursionIndex] : nullptr;
    if (slot && s->recursionLimit && *slot >= s->recursionLimit) return Value();
    if (slot) ++*slot;
    seen_.insert(e);
    struct Undo {
      Puller* p;
      uint32_t* slot;
      int64_t e;
      ~Undo() {
        p->seen_.erase(e);
        if (slot) --*slot;
      }
    } undo{this, slot, e};
    return nested(node, e);
  }

  const Db& db_;
  PullOptions options_;
  std::vector<uint32_t> recDepth_;
  std::unordered_set<int64_t> seen_;
  std::unordered_map<const Node*, Resolved> resolved_;
  uint32_t depth_ = 0;
  uint64_t entities_ = 0;
};

}  // namespace

int64_t resolveEntityArg(const Db& db, const Value& eid) {
  switch (eid.kind()) {
    case Kind::Long:
    case Kind::BigInt:
      if (eid.asLong() <= 0 || eid.asLong() > kMaxSafeId)
        raise(ErrorCode::InvalidInput, "Expected a positive entity id, got " + show(eid));
      return eid.asLong();
    case Kind::Keyword:
      return db.entid(eid);
    case Kind::Vector:
    case Kind::List:
      if (eid.count() == 2 && (eid.at(0).isKeyword() || eid.at(0).isString())) return db.entid(eid);
      break;
    default:
      break;
  }
  raise(ErrorCode::InvalidInput, "Expected an entity id, lookup ref or ident, got " + show(eid));
}

Value pull(const Db& db, const Pattern& p, int64_t eid, const PullOptions& options) {
  if (eid <= 0) raise(ErrorCode::InvalidInput, "Expected a positive entity id, got " + std::to_string(eid));
  Puller puller(db, &p.impl(), options);
  return puller.top(p.impl().root(), eid);
}

Value pull(const Db& db, const Pattern& p, const Value& eid, const PullOptions& options) {
  if (db.isHistory()) raise(ErrorCode::InvalidInput, "pull does not support history views");
  int64_t e = resolveEntityArg(db, eid);
  if (!e) return Value();
  return pull(db, p, e, options);
}

Value pull(const Db& db, const Value& pattern, const Value& eid, const PullOptions& options) {
  return pull(db, parsePattern(pattern), eid, options);
}

std::vector<Value> pullMany(const Db& db, const Pattern& p, std::span<const Value> eids, const PullOptions& options) {
  std::vector<Value> out;
  out.reserve(eids.size());
  Puller puller(db, &p.impl(), options);
  for (const Value& v : eids) {
    int64_t e = resolveEntityArg(db, v);
    out.push_back(e ? puller.top(p.impl().root(), e) : Value());
  }
  return out;
}

std::vector<Value> pullMany(const Db& db, const Value& pattern, std::span<const Value> eids,
                            const PullOptions& options) {
  return pullMany(db, parsePattern(pattern), eids, options);
}

}  // namespace datalite::pull
