// Transaction processing with DataScript semantics.
//
// A transaction runs in phases on a private working state; nothing is
// published until every check has passed, so a failing transaction changes
// nothing:
//   1. expand   tx-data (maps, op vectors, tx functions) into flat operations
//   2. resolve  tempids: upserts through :db.unique/identity, then new ids
//   3. apply    operations in order against an overlay of the db before
//   4. derive   composite tuples, :db/txInstant, schema changes
//   5. check    uniqueness on the final state
//   6. publish  the changed datoms into the index trees of a new Db
#include <algorithm>
#include <chrono>
#include <cstring>
#include <deque>
#include <new>
#include <numeric>
#include <unordered_map>
#include <unordered_set>

#include "core/encoding.h"
#include "core/error.h"
#include "db/db.h"
#include "db/db_internal.h"
#include "db/show.h"

namespace datalite {

namespace {

constexpr int kMaxTxFnDepth = 32;

enum class OpKind : uint8_t { Add, Retract, RetractAttr, RetractEntity, Cas };

// Where an entity reference points, before resolution.
struct ERef {
  enum class K : uint8_t { Eid, Temp, Lookup, Ident, CurrentTx } k = K::Eid;
  int64_t eid = 0;
  Value key;  // tempid key, lookup ref vector or ident keyword
};

struct Op {
  OpKind kind;
  ERef e;
  AttrId a = 0;
  Value v;    // raw value (ref values resolved at apply time)
  Value old;  // :db/cas expected value
};

struct EAKey {
  int64_t e;
  AttrId a;
  bool operator==(const EAKey& o) const { return e == o.e && a == o.a; }
};
struct EAKeyHash {
  size_t operator()(const EAKey& k) const {
    return std::hash<int64_t>()(k.e * 1000003 + static_cast<int64_t>(k.a));
  }
};

struct ValEntry {
  Value v;
  std::string venc;
  bool before = false;   // present in the db before
  int64_t beforeTx = 0;  // its tx, when present before
  bool now = false;      // present after the operations so far
  bool logged = false;   // already in the change log
};

// The values of one (e, a) in the overlay. Nearly always one value, so the
// first lives inline: no allocation per attribute of an entity.
class ValList {
 public:
  ValList() = default;
  ValList(const ValList&) = delete;
  ValList& operator=(const ValList&) = delete;
  ~ValList() {
    for (uint32_t i = 0; i < size_; ++i) data()[i].~ValEntry();
    if (heap_) ::operator delete(heap_);
  }
  ValEntry* data() { return heap_ ? heap_ : reinterpret_cast<ValEntry*>(inline_); }
  ValEntry* begin() { return data(); }
  ValEntry* end() { return data() + size_; }
  uint32_t size() const { return size_; }
  ValEntry& operator[](uint32_t i) { return data()[i]; }
  ValEntry& back() { return data()[size_ - 1]; }
  void push_back(ValEntry&& x) {
    if (size_ == cap_) grow();
    new (data() + size_) ValEntry(std::move(x));
    ++size_;
  }

 private:
  void grow() {
    uint32_t cap = cap_ * 2;
    auto* fresh = static_cast<ValEntry*>(::operator new(sizeof(ValEntry) * cap));
    for (uint32_t i = 0; i < size_; ++i) {
      new (fresh + i) ValEntry(std::move(data()[i]));
      data()[i].~ValEntry();
    }
    if (heap_) ::operator delete(heap_);
    heap_ = fresh;
    cap_ = cap;
  }
  alignas(ValEntry) unsigned char inline_[sizeof(ValEntry)];
  ValEntry* heap_ = nullptr;
  uint32_t size_ = 0;
  uint32_t cap_ = 1;
};

struct EAState {
  bool complete = false;  // all values of the db before are loaded
  ValList vals;
};

// (e, a) -> EAState. States live in a deque (stable addresses); the index is
// open addressing over (e, a), so creating a state allocates nothing most
// of the time.
class EAIndex {
 public:
  // The state for (e, a) and whether it was just created.
  std::pair<EAState*, bool> findOrCreate(int64_t e, AttrId a) {
    if ((count_ + 1) * 2 > slots_.size()) rehash(slots_.empty() ? 64 : slots_.size() * 2);
    size_t mask = slots_.size() - 1;
    for (size_t i = hash(e, a) & mask;; i = (i + 1) & mask) {
      Slot& s = slots_[i];
      if (!s.state) {
        states_.emplace_back();
        s = Slot{e, a, &states_.back()};
        ++count_;
        return {s.state, true};
      }
      if (s.e == e && s.a == a) return {s.state, false};
    }
  }

 private:
  struct Slot {
    int64_t e = 0;
    AttrId a = 0;
    EAState* state = nullptr;
  };
  static size_t hash(int64_t e, AttrId a) {
    uint64_t h = static_cast<uint64_t>(e) * 0x9E3779B97F4A7C15ULL ^ (static_cast<uint64_t>(a) * 0xC2B2AE3D27D4EB4FULL);
    return static_cast<size_t>(h ^ (h >> 29));
  }
  void rehash(size_t size) {
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.assign(size, Slot{});
    size_t mask = size - 1;
    for (const Slot& s : old) {
      if (!s.state) continue;
      size_t i = hash(s.e, s.a) & mask;
      while (slots_[i].state) i = (i + 1) & mask;
      slots_[i] = s;
    }
  }
  std::vector<Slot> slots_;
  std::deque<EAState> states_;
  size_t count_ = 0;
};

struct UniqueKey {
  AttrId a;
  std::string venc;
  bool operator==(const UniqueKey& o) const { return a == o.a && venc == o.venc; }
};
struct UniqueKeyHash {
  size_t operator()(const UniqueKey& k) const { return std::hash<std::string>()(k.venc) ^ (k.a * 0x9e3779b9u); }
};

bool isLookupRefShape(const Value& v) {
  return v.isSequential() && v.count() == 2 && (v.at(0).isKeyword() || v.at(0).isString());
}

Keyword attrKeyword(const Value& v) {
  if (v.isKeyword()) return v.asKeyword();
  if (v.isString()) {
    std::string_view s = v.asString();
    if (!s.empty() && s[0] == ':') s.remove_prefix(1);
    if (!s.empty()) return Keyword::intern(s);
  }
  raise(ErrorCode::InvalidInput, "Bad attribute " + show(v) + ": expected a keyword");
}

bool isReverseName(Keyword k) {
  std::string_view n = k.name();
  return n.size() > 1 && n[0] == '_';
}

Keyword straightOf(Keyword k) {
  std::string s(k.ns());
  s += "/";
  s += k.name().substr(1);
  return Keyword::intern(k.ns().empty() ? k.name().substr(1) : std::string_view(s));
}

int64_t wallClockMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace

class TxProcessor {
 public:
  TxProcessor(const Db& before, const TxOptions& options)
      : before_(before), options_(options), schema_(before.schemaPtr()) {
    tx_ = before.maxTx_ + 1;
    if (tx_ > kMaxSafeId) raise(ErrorCode::LimitExceeded, "transaction ids exhausted");
    nextEid_ = before.maxEid_ + 1;
  }

  TxReport run(const std::vector<Value>& txData) {
    for (const Value& item : txData) expandItem(item, 0);
    if (!options_.txMeta.isNil()) {
      if (!options_.txMeta.isMap()) raise(ErrorCode::InvalidInput, "tx metadata must be a map, got " + show(options_.txMeta));
      ERef txRef;
      txRef.k = ERef::K::CurrentTx;
      expandMapWithRef(options_.txMeta, txRef, 0);
    }
    resolveTempids();
    for (const Op& op : ops_) tracksAttrs_ = tracksAttrs_ || op.kind == OpKind::RetractEntity;
    for (const Op& op : ops_) applyOp(op);
    addTxInstant();
    updateComposites();
    checkDirectComposites();
    updateSchema();
    checkUniqueness();
    return publish();
  }

 private:
  // ---------------------------------------------------------------- schema
  const Schema& schema() const { return *schema_; }

  Schema& mutableSchema() {
    if (!ownSchema_) {
      ownSchema_ = std::make_shared<Schema>(*schema_);
      schema_ = ownSchema_;
    }
    return *ownSchema_;
  }

  AttrId attrId(Keyword k) {
    if (const Attribute* a = schema().find(k)) return a->id;
    if (k.str().empty()) raise(ErrorCode::InvalidInput, "empty attribute name");
    return mutableSchema().addImplicit(k);
  }

  const Attribute& attrOf(AttrId a) const { return schema().get(a); }

  // ---------------------------------------------------------------- expand
  ERef entityRef(const Value& v, const char* where) {
    ERef r;
    switch (v.kind()) {
      case Kind::Long: case Kind::BigInt:
        if (v.asLong() < 0) {
          r.k = ERef::K::Temp;
          r.key = Value::integer(v.asLong());
        } else if (v.asLong() == 0 || v.asLong() > kMaxSafeId) {
          raise(ErrorCode::InvalidInput, std::string("Bad entity id ") + show(v) + " " + where);
        } else {
          r.k = ERef::K::Eid;
          r.eid = v.asLong();
        }
        return r;
      case Kind::String:
        if (v.asString() == "datomic.tx") {
          r.k = ERef::K::CurrentTx;
        } else {
          r.k = ERef::K::Temp;
          r.key = v;
        }
        return r;
      case Kind::Keyword:
        if (v.asKeyword().str() == "db/current-tx") {
          r.k = ERef::K::CurrentTx;
        } else {
          r.k = ERef::K::Ident;
          r.key = v;
        }
        return r;
      case Kind::Vector: case Kind::List:
        if (isLookupRefShape(v)) {
          r.k = ERef::K::Lookup;
          r.key = v;
          return r;
        }
        break;
      default: break;
    }
    raise(ErrorCode::InvalidInput, std::string("Bad entity id ") + show(v) + " " + where);
  }

  ERef autoTempid() {
    ERef r;
    r.k = ERef::K::Temp;
    r.key = Value::tagged("datalite/auto", Value::integer(++autoTemp_));
    return r;
  }

  void expandItem(const Value& item, int depth) {
    if (item.isMap()) {
      const Value* id = item.getKeyword("db/id");
      ERef e = id ? entityRef(*id, "in :db/id") : autoTempid();
      expandMapWithRef(item, e, depth);
    } else if (item.isSequential() && item.count() > 0) {
      expandOp(item, depth);
    } else {
      raise(ErrorCode::InvalidInput, "Bad entity type in tx-data: " + show(item) +
                                         " (expected a map or an operation vector)");
    }
  }

  // Does `vs` hold several values for attribute `a` (cardinality many)?
  bool isMultiValue(const Attribute& a, const Value& vs) const {
    if (!a.many) return false;
    if (vs.isSet()) return true;
    if (!vs.isSequential()) return false;
    if (a.isRef() && isLookupRefShape(vs) && vs.at(0).isKeyword()) {
      const Attribute* la = schema().find(vs.at(0).asKeyword());
      if (la && la->isUnique()) return false;
    }
    if (a.type == ValueType::Tuple) {
      for (const Value& x : vs.items())
        if (!x.isSequential()) return false;
    }
    return true;
  }

  void expandMapWithRef(const Value& map, const ERef& e, int depth) {
    noteEntityPosition(e);
    for (size_t i = 0; i < map.mapSize(); ++i) {
      const Value& k = map.mapKey(i);
      if (k.isKeyword() && k.asKeyword().str() == "db/id") continue;
      if (k.isString() && (k.asString() == "db/id" || k.asString() == ":db/id")) continue;
      Keyword kw = attrKeyword(k);
      const Value& vs = map.mapVal(i);
      if (isReverseName(kw)) {
        expandReverse(e, kw, vs, depth);
        continue;
      }
      AttrId a = attrId(kw);
      const Attribute& attr = attrOf(a);
      if (isMultiValue(attr, vs)) {
        for (const Value& v : vs.items()) expandMapValue(e, a, v, depth);
      } else {
        expandMapValue(e, a, vs, depth);
      }
    }
  }

  void expandMapValue(const ERef& e, AttrId a, const Value& v, int depth) {
    const Attribute& attr = attrOf(a);
    if (v.isMap()) {
      if (!attr.isRef())
        raise(ErrorCode::InvalidInput, "Bad value " + show(v) + " for :" + std::string(attr.ident.str()) +
                                           ": nested maps need a :db.type/ref attribute");
      // A nested entity: its own id (or a fresh tempid), then a ref to it.
      const Value* id = v.getKeyword("db/id");
      ERef child = id ? entityRef(*id, "in nested :db/id") : autoTempid();
      expandMapWithRef(v, child, depth);
      pushAdd(e, a, erefValue(child));
      return;
    }
    pushAdd(e, a, v);
  }

  void expandReverse(const ERef& e, Keyword reverse, const Value& vs, int depth) {
    Keyword straight = straightOf(reverse);
    const Attribute* attr = schema().find(straight);
    if (!attr || !attr->isRef())
      raise(ErrorCode::SchemaViolation, "Bad attribute :" + std::string(reverse.str()) +
                                            ": reverse attribute name requires {:db/valueType :db.type/ref} in schema");
    AttrId a = attr->id;
    auto one = [&](const Value& target) {
      ERef t;
      if (target.isMap()) {
        const Value* id = target.getKeyword("db/id");
        t = id ? entityRef(*id, "in nested :db/id") : autoTempid();
        expandMapWithRef(target, t, depth);
      } else {
        t = entityRef(target, "in reverse reference");
        noteEntityPosition(t);
      }
      pushAdd(t, a, erefValue(e));
    };
    bool many = (vs.isSequential() && !(isLookupRefShape(vs) && vs.at(0).isKeyword())) || vs.isSet();
    if (many) {
      for (const Value& t : vs.items()) one(t);
    } else {
      one(vs);
    }
  }

  // The tx-data form of a reference, for use as a ref value.
  Value erefValue(const ERef& r) const {
    switch (r.k) {
      case ERef::K::Eid: return Value::integer(r.eid);
      case ERef::K::CurrentTx: return Value::keyword("db/current-tx");
      default: return r.key;
    }
  }

  void pushAdd(const ERef& e, AttrId a, const Value& v) {
    if (v.isNil())
      raise(ErrorCode::InvalidInput, "Cannot store nil as a value of :" + std::string(attrOf(a).ident.str()));
    Op op{OpKind::Add, e, a, v, Value()};
    ops_.push_back(std::move(op));
  }

  void expandOp(const Value& form, int depth) {
    const Value& head = form.at(0);
    std::string_view name;
    if (head.isKeyword()) name = head.asKeyword().str();
    else if (head.isString()) name = head.asString();
    else raise(ErrorCode::InvalidInput, "Bad operation " + show(form) + ": expected a keyword first");
    if (!name.empty() && name[0] == ':') name.remove_prefix(1);
    size_t n = form.count();
    auto arity = [&](size_t lo, size_t hi) {
      if (n < lo || n > hi)
        raise(ErrorCode::InvalidInput, "Bad arity of " + show(form) + ": :" + std::string(name) + " takes " +
                                           std::to_string(lo - 1) + (lo == hi ? "" : "-" + std::to_string(hi - 1)) +
                                           " arguments");
    };
    if (name == "db/add" || name == "db/retract") {
      bool add = name == "db/add";
      arity(add ? 4 : 3, 4);
      ERef e = entityRef(form.at(1), ("in " + show(form)).c_str());
      Keyword kw = attrKeyword(form.at(2));
      bool reverse = isReverseName(kw);
      if (reverse) {
        // [:db/add e :a/_b v] = [:db/add v :a/b e]
        const Attribute* attr = schema().find(straightOf(kw));
        if (!attr || !attr->isRef() || n != 4)
          raise(ErrorCode::SchemaViolation, "Bad attribute :" + std::string(kw.str()) +
                                                ": reverse attribute name requires {:db/valueType :db.type/ref} in schema");
        ERef target = entityRef(form.at(3), "in reverse reference");
        if (add) {
          noteEntityPosition(target);
          pushAdd(target, attr->id, erefValue(e));
        } else {
          ops_.push_back(Op{OpKind::Retract, target, attr->id, erefValue(e), Value()});
        }
        return;
      }
      AttrId a = attrId(kw);
      if (add) {
        noteEntityPosition(e);
        if (form.at(3).isMap()) raise(ErrorCode::InvalidInput, "Bad value in " + show(form) + ": maps are allowed only in entity maps");
        pushAdd(e, a, form.at(3));
      } else if (n == 4) {
        ops_.push_back(Op{OpKind::Retract, e, a, form.at(3), Value()});
      } else {
        ops_.push_back(Op{OpKind::RetractAttr, e, a, Value(), Value()});
      }
    } else if (name == "db/retractEntity" || name == "db.fn/retractEntity") {
      arity(2, 2);
      ops_.push_back(Op{OpKind::RetractEntity, entityRef(form.at(1), "in :db/retractEntity"), 0, Value(), Value()});
    } else if (name == "db/cas" || name == "db.fn/cas") {
      arity(5, 5);
      ERef e = entityRef(form.at(1), "in :db/cas");
      noteEntityPosition(e);
      AttrId a = attrId(attrKeyword(form.at(2)));
      if (form.at(4).isNil()) raise(ErrorCode::InvalidInput, "Cannot store nil as a value in " + show(form));
      ops_.push_back(Op{OpKind::Cas, e, a, form.at(4), form.at(3)});
    } else if (name == "db.fn/call") {
      arity(2, SIZE_MAX);
      const Value& f = form.at(1);
      std::string fname;
      if (f.isSymbol() || f.isKeyword()) fname = std::string(f.interned().full);
      else if (f.isString()) fname = std::string(f.asString());
      else raise(ErrorCode::InvalidInput, "Bad function in " + show(form) + ": expected a registered function name");
      callTxFunction(fname, form, 2, depth);
    } else if (options_.functions && options_.functions->count(std::string(name))) {
      callTxFunction(std::string(name), form, 1, depth);
    } else {
      raise(ErrorCode::InvalidInput, "Unknown operation :" + std::string(name) + " in " + show(form));
    }
  }

  void callTxFunction(const std::string& fname, const Value& form, size_t firstArg, int depth) {
    if (depth >= kMaxTxFnDepth)
      raise(ErrorCode::LimitExceeded, "transaction functions nest deeper than " + std::to_string(kMaxTxFnDepth));
    const TxFunction* fn = nullptr;
    if (options_.functions) {
      auto it = options_.functions->find(fname);
      if (it != options_.functions->end()) fn = &it->second;
    }
    if (!fn) raise(ErrorCode::NotFound, "Unknown transaction function " + fname + " in " + show(form));
    std::vector<Value> args(form.items().begin() + static_cast<long>(firstArg), form.items().end());
    std::vector<Value> produced = (*fn)(before_, std::span<const Value>(args));
    for (const Value& item : produced) expandItem(item, depth + 1);
  }

  // ---------------------------------------------------------------- tempids
  void noteEntityPosition(const ERef& e) {
    if (e.k != ERef::K::Temp) return;
    if (tempIndex_.emplace(e.key, static_cast<uint32_t>(temps_.size())).second) {
      TempInfo t;
      t.key = e.key;
      t.firstOp = ops_.size();
      temps_.push_back(std::move(t));
    }
  }

  struct TempInfo {
    Value key;
    uint32_t parent = UINT32_MAX;  // union-find
    int64_t eid = 0;               // existing entity it upserts to
    size_t firstOp = 0;            // ops before its first appearance
  };

  uint32_t findRoot(uint32_t i) {
    while (temps_[i].parent != UINT32_MAX) {
      uint32_t p = temps_[i].parent;
      if (temps_[p].parent != UINT32_MAX) temps_[i].parent = temps_[p].parent;
      i = p;
    }
    return i;
  }

  [[noreturn]] void conflictingUpsert(const Value& temp, int64_t a, int64_t b) {
    raise(ErrorCode::UniqueConflict, "Conflicting upserts: " + show(temp) + " resolves both to " +
                                         std::to_string(a) + " and " + std::to_string(b));
  }

  void unite(uint32_t x, uint32_t y) {
    x = findRoot(x);
    y = findRoot(y);
    if (x == y) return;
    if (temps_[x].eid && temps_[y].eid && temps_[x].eid != temps_[y].eid)
      conflictingUpsert(temps_[y].key, temps_[x].eid, temps_[y].eid);
    if (y < x) std::swap(x, y);  // keep the first-seen tempid as the root
    temps_[y].parent = x;
    if (!temps_[x].eid) temps_[x].eid = temps_[y].eid;
  }

  // The value of a ref without tempids, if it can be known before apply.
  int64_t tryResolveRefStatic(const Value& v) {
    if (v.isInteger() && v.asLong() > 0) return v.asLong();
    if (v.isKeyword()) {
      if (v.asKeyword().str() == "db/current-tx") return tx_;
      return before_.entid(v);
    }
    if (isLookupRefShape(v)) return before_.entid(v);
    if (v.isString() || v.kind() == Kind::Tagged || (v.isInteger() && v.asLong() < 0)) {
      auto it = tempIndex_.find(v);
      if (it != tempIndex_.end()) return temps_[findRoot(it->second)].eid;
    }
    return 0;
  }

  using Claims = std::unordered_map<UniqueKey, uint32_t, UniqueKeyHash>;

  // Tempid root `t` asserts the :db.unique/identity value `venc` of `a`: it
  // resolves to the entity that already has the value, and unifies with the
  // tempids that assert it too. Returns whether anything changed.
  bool claim(Claims& claimed, const Value& temp, uint32_t t, AttrId a, std::string venc) {
    bool changed = false;
    if (int64_t holder = findHolderBefore(a, venc)) {
      if (temps_[t].eid && temps_[t].eid != holder) conflictingUpsert(temp, temps_[t].eid, holder);
      if (!temps_[t].eid) {
        temps_[t].eid = holder;
        changed = true;
      }
    }
    auto [it, fresh] = claimed.emplace(UniqueKey{a, std::move(venc)}, t);
    if (!fresh && findRoot(it->second) != t) {
      unite(it->second, t);
      changed = true;
    }
    return changed;
  }

  // A tempid asserting every component of a :db.unique/identity composite
  // upserts to the entity that holds the tuple they make (DataScript issue
  // 473): {:a 1 :b "x"} resolves to the entity whose :a+b is [1 "x"].
  // Tempids that make the same new tuple are not unified: that stays a
  // unique conflict, as in DataScript.
  bool upsertByComponents() {
    std::vector<AttrId> composites;
    for (const Op& op : ops_) {
      if (op.kind != OpKind::Add || op.e.k != ERef::K::Temp) continue;
      if (const auto* cs = schema().compositesOf(op.a))
        for (AttrId c : *cs)
          if (attrOf(c).unique == Uniqueness::Identity) composites.push_back(c);
    }
    if (composites.empty()) return false;
    std::sort(composites.begin(), composites.end());
    composites.erase(std::unique(composites.begin(), composites.end()), composites.end());
    bool changed = false;
    for (AttrId tupleId : composites) {
      const Attribute& tuple = attrOf(tupleId);
      struct Row {
        Value temp;
        std::vector<Value> items;
        size_t given = 0;
        bool unresolved = false;
      };
      std::unordered_map<uint32_t, Row> rows;  // by tempid root
      for (const Op& op : ops_) {
        if (op.kind != OpKind::Add || op.e.k != ERef::K::Temp) continue;
        auto pos = std::find(tuple.tupleAttrs.begin(), tuple.tupleAttrs.end(), op.a);
        if (pos == tuple.tupleAttrs.end()) continue;
        Row& row = rows[findRoot(tempIndex_.at(op.e.key))];
        if (row.items.empty()) {
          row.temp = op.e.key;
          row.items.resize(tuple.tupleAttrs.size());
        }
        const Attribute& component = attrOf(op.a);
        Value& slot = row.items[static_cast<size_t>(pos - tuple.tupleAttrs.begin())];
        if (slot.isNil()) ++row.given;
        if (component.isRef()) {
          int64_t target = tryResolveRefStatic(op.v);
          if (target) slot = Value::integer(target);
          else row.unresolved = true;  // maybe in a later round
        } else {
          slot = coerceScalar(component, op.v);
        }
      }
      for (auto& [t, row] : rows) {
        if (row.unresolved || row.given != row.items.size()) continue;
        std::string venc;
        encodeValue(Value::vector(std::move(row.items)), venc);
        int64_t holder = findHolderBefore(tupleId, venc);
        if (!holder || temps_[t].eid == holder) continue;
        if (temps_[t].eid) conflictingUpsert(row.temp, temps_[t].eid, holder);
        temps_[t].eid = holder;
        changed = true;
      }
    }
    return changed;
  }

  // Upserts: tempids asserting a :db.unique/identity value (a composite
  // tuple too, when its value or its components are given) resolve to the
  // entity that already has it; tempids asserting the same new value unify.
  void resolveTempids() {
    Claims claimed;
    for (int round = 0; round < 16; ++round) {
      bool changed = false;
      for (const Op& op : ops_) {
        if (op.kind != OpKind::Add || op.e.k != ERef::K::Temp) continue;
        const Attribute& attr = attrOf(op.a);
        if (attr.unique != Uniqueness::Identity) continue;
        std::string venc;
        if (attr.isRef()) {
          int64_t target = tryResolveRefStatic(op.v);
          if (!target) continue;
          encodeValue(Value::integer(target), venc);
        } else {
          encodeValue(coerceScalar(attr, op.v), venc);
        }
        uint32_t t = findRoot(tempIndex_.at(op.e.key));
        changed |= claim(claimed, op.e.key, t, op.a, std::move(venc));
      }
      changed |= upsertByComponents();
      if (!changed) break;
    }
    // Everything else becomes a new entity, in order of first appearance.
    // As in DataScript, explicit entity ids met earlier in the transaction
    // raise the next id.
    size_t opIndex = 0;
    int64_t explicitMax = 0;
    for (uint32_t i = 0; i < temps_.size(); ++i) {
      for (; opIndex < temps_[i].firstOp && opIndex < ops_.size(); ++opIndex) {
        const ERef& e = ops_[opIndex].e;
        if (e.k == ERef::K::Eid && e.eid < kTx0) explicitMax = std::max(explicitMax, e.eid);
      }
      nextEid_ = std::max(nextEid_, explicitMax + 1);
      uint32_t r = findRoot(i);
      if (!temps_[r].eid) {
        if (nextEid_ >= kTx0) raise(ErrorCode::LimitExceeded, "entity ids exhausted");
        temps_[r].eid = nextEid_++;
      }
    }
  }

  int64_t tempidEid(const Value& key, const char* where) {
    auto it = tempIndex_.find(key);
    if (it == tempIndex_.end())
      raise(ErrorCode::InvalidInput, "Tempid " + show(key) + " is used only as a value " + where +
                                         ": it must also appear as an entity");
    return temps_[findRoot(it->second)].eid;
  }

  // ---------------------------------------------------------------- resolve
  int64_t resolveEntity(const ERef& r) {
    switch (r.k) {
      case ERef::K::Eid:
        if (r.eid < kTx0 && r.eid > maxExplicit_) maxExplicit_ = r.eid;
        return r.eid;
      case ERef::K::Temp: return tempidEid(r.key, "");
      case ERef::K::CurrentTx: return tx_;
      case ERef::K::Ident: {
        int64_t e = identNow(r.key);
        if (!e) raise(ErrorCode::NotFound, "Nothing found for ident " + show(r.key));
        return e;
      }
      case ERef::K::Lookup: {
        int64_t e = lookupNow(r.key);
        if (!e) raise(ErrorCode::NotFound, "Nothing found for lookup ref " + show(r.key));
        return e;
      }
    }
    return 0;
  }

  // Ident and lookup refs see the db before plus this transaction so far.
  int64_t identNow(const Value& kw) {
    std::string venc;
    encodeValue(kw, venc);
    return holderNow(attr::kIdent, venc);
  }

  int64_t lookupNow(const Value& ref) {
    Keyword ak = attrKeyword(ref.at(0));
    const Attribute* attr = schema().find(ak);
    if (!attr || !attr->isUnique())
      raise(ErrorCode::InvalidInput, "Lookup ref attribute should be marked as :db/unique: " + show(ref));
    if (ref.at(1).isNil()) return 0;
    std::string venc;
    if (attr->isRef()) {
      int64_t target = resolveRefValue(*attr, ref.at(1));
      encodeValue(Value::integer(target), venc);
    } else {
      encodeValue(coerceScalar(*attr, ref.at(1)), venc);
    }
    return holderNow(attr->id, venc);
  }

  int64_t resolveRefValue(const Attribute& attr, const Value& v) {
    switch (v.kind()) {
      case Kind::Long: case Kind::BigInt:
        if (v.asLong() > 0) {
          if (v.asLong() > kMaxSafeId) break;
          return v.asLong();
        }
        if (v.asLong() < 0) return tempidEid(v, ("in :" + std::string(attr.ident.str())).c_str());
        break;
      case Kind::String:
        if (v.asString() == "datomic.tx") return tx_;
        return tempidEid(v, ("in :" + std::string(attr.ident.str())).c_str());
      case Kind::Keyword: {
        if (v.asKeyword().str() == "db/current-tx") return tx_;
        int64_t e = identNow(v);
        if (!e) raise(ErrorCode::NotFound, "Nothing found for ident " + show(v) + " in :" + std::string(attr.ident.str()));
        return e;
      }
      case Kind::Tagged:  // a nested map's generated tempid
        return tempidEid(v, "");
      case Kind::Vector: case Kind::List:
        if (isLookupRefShape(v)) {
          int64_t e = lookupNow(v);
          if (!e) raise(ErrorCode::NotFound, "Nothing found for lookup ref " + show(v));
          return e;
        }
        break;
      default: break;
    }
    raise(ErrorCode::TypeMismatch, "Bad value " + show(v) + " for ref attribute :" + std::string(attr.ident.str()) +
                                       ": expected an entity id, tempid, lookup ref or ident");
  }

  Value coerceScalar(const Attribute& attr, const Value& v) {
    return internal::coerceValue(attr, v, schema());
  }

  // Encoded value of v for attribute a, resolving refs.
  Value valueFor(const Attribute& attr, const Value& v) {
    if (attr.isRef()) return Value::integer(resolveRefValue(attr, v));
    return coerceScalar(attr, v);
  }

  // ---------------------------------------------------------------- overlay
  EAState& state(int64_t e, AttrId a) {
    auto [st, fresh] = ea_.findOrCreate(e, a);
    if (fresh) {
      if (tracksAttrs_) attrsOf_[e].push_back(a);
      // Entities above the db's max id (created by this transaction) and
      // the tx entity have nothing in the db before: no probes needed.
      if ((e > before_.maxEid_ && e < kTx0) || e == tx_) st->complete = true;
    }
    return *st;
  }

  ValEntry* findIn(EAState& s, std::string_view venc) {
    for (ValEntry& x : s.vals)
      if (x.venc == venc) return &x;
    return nullptr;
  }

  // The entry for (e, a, venc), probing the db before when not loaded yet.
  ValEntry* findVal(int64_t e, AttrId a, const std::string& venc, const Value& v) {
    EAState& s = state(e, a);
    if (ValEntry* x = findIn(s, venc)) return x;
    if (s.complete) return nullptr;
    keyBuf_.clear();
    appendPrefixEAV(e, a, venc, keyBuf_);
    auto it = before_.currentTree(IndexOrder::EAVT).lowerBound(keyBuf_);
    if (it.valid() && it.key().substr(0, keyBuf_.size()) == keyBuf_) {
      KeyParts k = splitKey(IndexOrder::EAVT, it.key(), false);
      Value known = v;
      if (known.isNil()) {
        const uint8_t* p = reinterpret_cast<const uint8_t*>(venc.data());
        known = decodeValue(p, p + venc.size());
      }
      s.vals.push_back(ValEntry{std::move(known), venc, true, k.tx, true, false});
      return &s.vals.back();
    }
    return nullptr;
  }

  void loadAll(int64_t e, AttrId a) {
    EAState& s = state(e, a);
    if (s.complete) return;
    s.complete = true;
    keyBuf_.clear();
    encodeUnsigned(static_cast<uint64_t>(e), keyBuf_);
    encodeUnsigned(a, keyBuf_);
    for (auto it = before_.currentTree(IndexOrder::EAVT).lowerBound(keyBuf_);
         it.valid() && it.key().substr(0, keyBuf_.size()) == keyBuf_; it.next()) {
      KeyParts k = splitKey(IndexOrder::EAVT, it.key(), false);
      if (findIn(s, k.value)) continue;
      const uint8_t* p = reinterpret_cast<const uint8_t*>(k.value.data());
      Value v = decodeValue(p, p + k.value.size());
      s.vals.push_back(ValEntry{std::move(v), std::string(k.value), true, k.tx, true, false});
    }
  }

  void setNow(int64_t e, AttrId a, ValEntry& x, bool now) {
    if (x.now == now) return;
    x.now = now;
    if (!x.logged) {
      x.logged = true;
      EAState& s = state(e, a);
      log_.push_back(LogRef{e, a, &s, static_cast<uint32_t>(&x - s.vals.data())});
    }
    if (now) {
      const Attribute& attr = attrOf(a);
      if (attr.isUnique()) uniqueAdds_[UniqueKey{a, x.venc}].push_back(e);
      if (attr.isRef()) refAdds_[x.v.asLong()].push_back(EAKey{e, a});
    }
    if (isSchemaAttr(a)) schemaTouched_.push_back(e);
    if (schema().compositesOf(a)) compositeTouched_.push_back(EAKey{e, a});
  }

  void assertValue(int64_t e, AttrId a, const Value& v) {
    const Attribute& attr = attrOf(a);
    std::string venc;
    encodeValue(v, venc);
    if (!attr.many) {
      loadAll(e, a);
      EAState& s = state(e, a);
      ValEntry* same = nullptr;
      for (ValEntry& x : s.vals) {
        if (x.venc == venc) same = &x;
        else if (x.now) setNow(e, a, x, false);
      }
      if (same) {
        setNow(e, a, *same, true);
        return;
      }
    } else if (ValEntry* x = findVal(e, a, venc, v)) {
      setNow(e, a, *x, true);
      return;
    }
    EAState& s = state(e, a);
    s.vals.push_back(ValEntry{v, std::move(venc), false, 0, false, false});
    setNow(e, a, s.vals.back(), true);
  }

  // Who holds (a, venc) after the operations so far; 0 if nobody.
  int64_t holderNow(AttrId a, const std::string& venc) {
    auto it = uniqueAdds_.find(UniqueKey{a, venc});
    if (it != uniqueAdds_.end()) {
      for (int64_t e : it->second) {
        ValEntry* x = findIn(state(e, a), venc);
        if (x && x->now) return e;
      }
    }
    for (int64_t e : holdersBefore(a, venc)) {
      ValEntry* x = findVal(e, a, venc, Value());
      if (x && x->now) return e;
    }
    return 0;
  }

  std::vector<int64_t> holdersBefore(AttrId a, const std::string& venc) {
    std::vector<int64_t> out;
    keyBuf_.clear();
    encodeUnsigned(a, keyBuf_);
    keyBuf_ += venc;
    for (auto it = before_.currentTree(IndexOrder::AVET).lowerBound(keyBuf_);
         it.valid() && it.key().substr(0, keyBuf_.size()) == keyBuf_; it.next()) {
      out.push_back(splitKey(IndexOrder::AVET, it.key(), false).e);
    }
    return out;
  }

  int64_t findHolderBefore(AttrId a, const std::string& venc) {
    auto hs = holdersBefore(a, venc);
    return hs.empty() ? 0 : hs.front();
  }

  static void appendPrefixEAV(int64_t e, AttrId a, std::string_view venc, std::string& out) {
    encodeUnsigned(static_cast<uint64_t>(e), out);
    encodeUnsigned(a, out);
    out += venc;
  }

  // ---------------------------------------------------------------- apply
  void applyOp(const Op& op) {
    switch (op.kind) {
      case OpKind::Add: {
        int64_t e = resolveEntity(op.e);
        const Attribute& attr = attrOf(op.a);
        if (attr.isComposite()) {
          // Composite tuples are derived; a direct assertion must agree.
          directComposites_.push_back(DirectComposite{e, op.a, coerceScalar(attr, op.v)});
          return;
        }
        assertValue(e, op.a, valueFor(attr, op.v));
        return;
      }
      case OpKind::Retract: {
        int64_t e = resolveEntityForRetract(op.e);
        if (!e) return;
        const Attribute& attr = attrOf(op.a);
        Value v;
        if (attr.isRef()) {
          int64_t t = resolveRefForRetract(attr, op.v);
          if (!t) return;
          v = Value::integer(t);
        } else {
          v = coerceScalar(attr, op.v);
        }
        std::string venc = encodeValue(v);
        if (ValEntry* x = findVal(e, op.a, venc, v)) setNow(e, op.a, *x, false);
        return;
      }
      case OpKind::RetractAttr: {
        int64_t e = resolveEntityForRetract(op.e);
        if (!e) return;
        loadAll(e, op.a);
        for (ValEntry& x : state(e, op.a).vals)
          if (x.now) setNow(e, op.a, x, false);
        return;
      }
      case OpKind::RetractEntity: {
        int64_t e = resolveEntityForRetract(op.e);
        if (e) retractEntity(e);
        return;
      }
      case OpKind::Cas: {
        int64_t e = resolveEntity(op.e);
        const Attribute& attr = attrOf(op.a);
        loadAll(e, op.a);
        std::vector<const ValEntry*> current;
        for (const ValEntry& x : state(e, op.a).vals)
          if (x.now) current.push_back(&x);
        bool ok;
        if (op.old.isNil()) {
          ok = current.empty();
        } else {
          std::string oldEnc = encodeValue(valueFor(attr, op.old));
          ok = std::any_of(current.begin(), current.end(), [&](const ValEntry* x) { return x->venc == oldEnc; });
          if (!attr.many && current.size() > 1) ok = false;
        }
        if (!ok) {
          std::string have = current.empty() ? "nil" : show(current.front()->v);
          raise(ErrorCode::CasFailed, ":db/cas failed on datom [" + std::to_string(e) + " :" +
                                          std::string(attr.ident.str()) + " " + have + "], expected " + show(op.old));
        }
        assertValue(e, op.a, valueFor(attr, op.v));
        return;
      }
    }
  }

  // Retractions of things that do not exist are no-ops, except bad syntax.
  int64_t resolveEntityForRetract(const ERef& r) {
    switch (r.k) {
      case ERef::K::Ident: return identNow(r.key);
      case ERef::K::Lookup: return lookupNow(r.key);
      case ERef::K::Temp: {
        auto it = tempIndex_.find(r.key);
        return it == tempIndex_.end() ? 0 : temps_[findRoot(it->second)].eid;
      }
      default: return resolveEntity(r);
    }
  }

  int64_t resolveRefForRetract(const Attribute& attr, const Value& v) {
    if (v.isKeyword() && v.asKeyword().str() != "db/current-tx") return identNow(v);
    if (isLookupRefShape(v)) return lookupNow(v);
    if (v.isString() || (v.isInteger() && v.asLong() < 0)) {
      auto it = tempIndex_.find(v);
      return it == tempIndex_.end() ? 0 : temps_[findRoot(it->second)].eid;
    }
    return resolveRefValue(attr, v);
  }

  // Retracts every datom of e, every ref to e, and cascades to components.
  void retractEntity(int64_t root) {
    std::vector<int64_t> work{root};
    std::unordered_set<int64_t> seen;
    while (!work.empty()) {
      int64_t e = work.back();
      work.pop_back();
      if (!seen.insert(e).second) continue;
      // Attributes of e in the db before...
      keyBuf_.clear();
      encodeUnsigned(static_cast<uint64_t>(e), keyBuf_);
      std::string prefix = keyBuf_;
      std::vector<AttrId> attrs;
      for (auto it = before_.currentTree(IndexOrder::EAVT).lowerBound(prefix);
           it.valid() && it.key().substr(0, prefix.size()) == prefix; it.next()) {
        AttrId a = splitKey(IndexOrder::EAVT, it.key(), false).a;
        if (attrs.empty() || attrs.back() != a) attrs.push_back(a);
      }
      // ...and those touched in this transaction.
      if (auto it = attrsOf_.find(e); it != attrsOf_.end())
        for (AttrId a : it->second) attrs.push_back(a);
      std::sort(attrs.begin(), attrs.end());
      attrs.erase(std::unique(attrs.begin(), attrs.end()), attrs.end());
      for (AttrId a : attrs) {
        loadAll(e, a);
        const Attribute& attr = attrOf(a);
        for (ValEntry& x : state(e, a).vals) {
          if (!x.now) continue;
          setNow(e, a, x, false);
          if (attr.component) work.push_back(x.v.asLong());
        }
      }
      // Refs pointing at e.
      std::string venc = encodeValue(Value::integer(e));
      std::vector<EAKey> sources;
      for (auto it = before_.currentTree(IndexOrder::VAET).lowerBound(prefix);
           it.valid() && it.key().substr(0, prefix.size()) == prefix; it.next()) {
        KeyParts k = splitKey(IndexOrder::VAET, it.key(), false);
        sources.push_back(EAKey{k.e, k.a});
      }
      if (auto it = refAdds_.find(e); it != refAdds_.end())
        sources.insert(sources.end(), it->second.begin(), it->second.end());
      for (const EAKey& s : sources) {
        ValEntry* x = findVal(s.e, s.a, venc, Value::integer(e));
        if (x && x->now) setNow(s.e, s.a, *x, false);
      }
    }
  }

  // ---------------------------------------------------------------- derive
  void addTxInstant() {
    // A transaction may set its own :db/txInstant; otherwise the clock.
    EAState& s = state(tx_, attr::kTxInstant);
    for (const ValEntry& x : s.vals)
      if (x.now) return;
    int64_t ms = options_.txInstantMs >= 0 ? options_.txInstantMs : wallClockMs();
    ms = std::max(ms, before_.lastTxInstant_);
    txInstant_ = ms;
    assertValue(tx_, attr::kTxInstant, Value::instant(ms));
  }

  Value computeTuple(int64_t e, const Attribute& tupleAttr) {
    std::vector<Value> items;
    bool any = false;
    for (AttrId c : tupleAttr.tupleAttrs) {
      loadAll(e, c);
      Value v;
      for (const ValEntry& x : state(e, c).vals)
        if (x.now) v = x.v;
      any = any || !v.isNil();
      items.push_back(std::move(v));
    }
    return any ? Value::vector(std::move(items)) : Value();
  }

  void updateComposites() {
    std::vector<EAKey> targets;
    for (const EAKey& k : compositeTouched_)
      if (const auto* cs = schema().compositesOf(k.a))
        for (AttrId t : *cs) targets.push_back(EAKey{k.e, t});
    for (const DirectComposite& d : directComposites_) targets.push_back(EAKey{d.e, d.a});
    std::sort(targets.begin(), targets.end(), [](const EAKey& x, const EAKey& y) {
      return x.e != y.e ? x.e < y.e : x.a < y.a;
    });
    targets.erase(std::unique(targets.begin(), targets.end()), targets.end());
    for (const EAKey& t : targets) {
      Value tuple = computeTuple(t.e, attrOf(t.a));
      if (tuple.isNil()) {
        loadAll(t.e, t.a);
        for (ValEntry& x : state(t.e, t.a).vals)
          if (x.now) setNow(t.e, t.a, x, false);
      } else {
        assertValue(t.e, t.a, tuple);
      }
    }
  }

  void checkDirectComposites() {
    for (const DirectComposite& d : directComposites_) {
      Value now = computeTuple(d.e, attrOf(d.a));
      if (now.isNil() || compareValues(now, d.v) != 0)
        raise(ErrorCode::SchemaViolation, "Can't modify tuple attrs directly: [" + std::to_string(d.e) + " :" +
                                              std::string(attrOf(d.a).ident.str()) + " " + show(d.v) + "]");
    }
  }

  // Entities whose schema attributes changed define (or redefine) attributes.
  void updateSchema() {
    if (schemaTouched_.empty()) return;
    std::sort(schemaTouched_.begin(), schemaTouched_.end());
    schemaTouched_.erase(std::unique(schemaTouched_.begin(), schemaTouched_.end()), schemaTouched_.end());
    std::vector<AttrId> redefined;
    for (int64_t e : schemaTouched_) {
      std::vector<Value> props;
      Value ident;
      bool defines = false;
      for (AttrId a = attr::kIdent; a <= attr::kTupleType; ++a) {
        loadAll(e, a);
        for (const ValEntry& x : state(e, a).vals) {
          if (!x.now) continue;
          if (a == attr::kIdent) {
            ident = x.v;
            continue;
          }
          if (a != attr::kDoc) defines = true;
          props.push_back(Value::keyword(attrOf(a).ident));
          props.push_back(x.v);
        }
      }
      if (ident.isNil()) {
        if (defines)
          raise(ErrorCode::SchemaViolation, "Entity " + std::to_string(e) + " has schema attributes but no :db/ident");
        continue;
      }
      if (!defines) continue;  // a plain ident (an enum value)
      Keyword kw = ident.asKeyword();
      const Attribute* existing = schema().find(kw);
      if (existing && existing->id <= attr::kLastBuiltin)
        raise(ErrorCode::SchemaViolation, "built-in attribute :" + std::string(kw.str()) + " cannot be redefined");
      if (existing && existing->entity && existing->entity != e)
        raise(ErrorCode::SchemaViolation, "attribute :" + std::string(kw.str()) + " is already defined by entity " +
                                              std::to_string(existing->entity));
      Attribute def;
      def.ident = kw;
      def.entity = e;
      parseAttributeDefinition(Value::map(std::move(props)), mutableSchema(), def);
      if (def.type == ValueType::Any)
        raise(ErrorCode::SchemaViolation, "Bad attribute specification for :" + std::string(kw.str()) +
                                              ": :db/valueType is required");
      if (existing) checkRedefinition(*existing, def);
      redefined.push_back(mutableSchema().define(std::move(def)));
    }
    // Datoms of this transaction must satisfy the new definitions.
    for (AttrId a : redefined) {
      const Attribute& attr = attrOf(a);
      for (const LogRef& l : log_) {
        if (l.a != a) continue;
        ValEntry* x = &l.entry();
        if (!x || !x->now || x->before) continue;
        if (attr.isRef()) {
          if (!x->v.isInteger() || x->v.asLong() <= 0)
            raise(ErrorCode::TypeMismatch, "Value " + show(x->v) + " of :" + std::string(attr.ident.str()) + " is not a ref");
        } else {
          coerceScalar(attr, x->v);
        }
      }
    }
  }

  void checkRedefinition(const Attribute& old, const Attribute& def) {
    bool incompatible = (old.type != ValueType::Any && old.type != def.type) ||
                        (def.unique != Uniqueness::None && old.unique == Uniqueness::None) ||
                        old.tupleAttrs != def.tupleAttrs || (old.many && !def.many);
    keyBuf_.clear();
    encodeUnsigned(old.id, keyBuf_);
    const std::string prefix = keyBuf_;
    auto it = before_.currentTree(IndexOrder::AEVT).lowerBound(prefix);
    bool hasData = it.valid() && it.key().substr(0, prefix.size()) == prefix;
    // An untyped attribute may get a type only if its values already have it
    // (refs would also need VAET entries, so they never qualify).
    if (!incompatible && hasData && old.type == ValueType::Any && def.type != ValueType::Any) {
      if (def.isRef()) incompatible = true;
      for (; !incompatible && it.valid() && it.key().substr(0, prefix.size()) == prefix; it.next()) {
        std::string_view venc = splitKey(IndexOrder::AEVT, it.key(), false).value;
        const uint8_t* p = reinterpret_cast<const uint8_t*>(venc.data());
        try {
          incompatible = encodeValue(coerceScalar(def, decodeValue(p, p + venc.size()))) != venc;
        } catch (const DataliteError&) {
          incompatible = true;
        }
      }
    }
    if (!incompatible) return;
    if (hasData)
      raise(ErrorCode::SchemaViolation, "Cannot change the type, uniqueness, cardinality or tuple components of :" +
                                            std::string(old.ident.str()) + " while it has datoms");
  }

  void checkUniqueness() {
    for (auto& [key, adders] : uniqueAdds_) {
      const Attribute& attr = attrOf(key.a);
      if (!attr.isUnique()) continue;
      std::vector<int64_t> holders;
      for (int64_t e : adders) {
        ValEntry* x = findIn(state(e, key.a), key.venc);
        if (x && x->now && std::find(holders.begin(), holders.end(), e) == holders.end()) holders.push_back(e);
      }
      if (holders.empty()) continue;
      for (int64_t e : holdersBefore(key.a, key.venc)) {
        ValEntry* x = findVal(e, key.a, key.venc, Value());
        if (x && x->now && std::find(holders.begin(), holders.end(), e) == holders.end()) holders.push_back(e);
      }
      if (holders.size() > 1) {
        ValEntry* x = findIn(state(holders[0], key.a), key.venc);
        raise(ErrorCode::UniqueConflict, "Cannot add " + show(x->v) + " to :" + std::string(attr.ident.str()) +
                                             " of entity " + std::to_string(holders[1]) +
                                             ": unique constraint, already held by entity " + std::to_string(holders[0]));
      }
    }
  }

  // ---------------------------------------------------------------- publish
  TxReport publish() {
    TxReport report;
    report.dbBefore = before_;
    report.tx = tx_;
    Db after = before_;
    after.schema_ = schema_;
    after.maxTx_ = tx_;
    after.maxEid_ = std::max({before_.maxEid_, nextEid_ - 1, maxExplicit_});
    after.lastTxInstant_ = std::max(before_.lastTxInstant_, txInstant_);
    after.view_ = DbView::Current;

    internal::EditBatch batch;
    int64_t added = 0, retracted = 0;
    report.txData.reserve(log_.size());
    for (const LogRef& l : log_) {
      ValEntry* x = &l.entry();
      if (x->before == x->now) continue;
      const Attribute& attr = attrOf(l.a);
      bool history = before_.keepHistory_ && !attr.noHistory;
      if (x->now) {
        batch.add(l.e, l.a, x->venc, tx_, attr.isRef());
        ++added;
      } else {
        batch.retract(l.e, l.a, x->venc, x->beforeTx, tx_, attr.isRef(), history);
        ++retracted;
      }
      report.txData.push_back(Datom{l.e, l.a, x->v, tx_, x->now});
    }
    batch.applyTo(after.current_, after.temporal_);
    after.count_ = before_.count_ + static_cast<uint64_t>(added) - static_cast<uint64_t>(retracted);

    for (const TempInfo& t : temps_) {
      if (t.key.kind() == Kind::Tagged) continue;  // internal tempids
      report.tempids.emplace_back(t.key, tempidEid(t.key, ""));
    }
    report.tempids.emplace_back(Value::keyword("db/current-tx"), tx_);
    report.dbAfter = std::move(after);
    return report;
  }

  struct LogRef {
    int64_t e;
    AttrId a;
    EAState* state;  // stable: states live in a deque
    uint32_t index;  // into state->vals (entries are only appended)
    ValEntry& entry() const { return state->vals[index]; }
  };
  struct DirectComposite {
    int64_t e;
    AttrId a;
    Value v;
  };

  const Db& before_;
  const TxOptions& options_;
  std::shared_ptr<const Schema> schema_;
  std::shared_ptr<Schema> ownSchema_;
  int64_t tx_;
  int64_t nextEid_;
  int64_t maxExplicit_ = 0;
  int64_t txInstant_ = 0;
  int64_t autoTemp_ = 0;

  std::vector<Op> ops_;
  std::vector<TempInfo> temps_;
  std::unordered_map<Value, uint32_t, ValueHash, ValueEq> tempIndex_;

  EAIndex ea_;
  // Attributes touched per entity; only :db/retractEntity needs them.
  bool tracksAttrs_ = false;
  std::unordered_map<int64_t, std::vector<AttrId>> attrsOf_;
  std::unordered_map<UniqueKey, std::vector<int64_t>, UniqueKeyHash> uniqueAdds_;
  std::unordered_map<int64_t, std::vector<EAKey>> refAdds_;
  std::vector<LogRef> log_;
  std::vector<int64_t> schemaTouched_;
  std::vector<EAKey> compositeTouched_;
  std::vector<DirectComposite> directComposites_;
  std::string keyBuf_;
};

TxReport Db::transact(const std::vector<Value>& txData, const TxOptions& options) const {
  if (view_ != DbView::Current)
    raise(ErrorCode::InvalidInput, "cannot transact into an asOf, since or history view");
  TxProcessor processor(*this, options);
  return processor.run(txData);
}

Db Db::with(const std::vector<Value>& txData, const TxOptions& options) const {
  return transact(txData, options).dbAfter;
}

}  // namespace datalite
