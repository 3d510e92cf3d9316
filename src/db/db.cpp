#include "db/db.h"

#include <algorithm>
#include <cstring>

#include "core/encoding.h"
#include "core/error.h"
#include "db/db_internal.h"
#include "db/show.h"

namespace datalite {

namespace {

bool hasPrefix(std::string_view key, std::string_view prefix) { return index::hasKeyPrefix(key, prefix); }

// Orders a current-tree key (which stands for key + assertion byte) against a
// temporal-tree key.
int compareCurrentToTemporal(std::string_view cur, std::string_view tmp) {
  size_t n = std::min(cur.size(), tmp.size());
  int c = std::memcmp(cur.data(), tmp.data(), n);
  if (c) return c < 0 ? -1 : 1;
  if (cur.size() >= tmp.size()) return 1;
  unsigned char next = static_cast<unsigned char>(tmp[cur.size()]);
  if (next != static_cast<unsigned char>(kOpAssert)) return next > kOpAssert ? -1 : 1;
  return cur.size() + 1 < tmp.size() ? -1 : (cur.size() + 1 == tmp.size() ? 0 : 1);
}

}  // namespace

// ------------------------------------------------------------------ creation

Db::Db() : schema_(Schema::bootstrap()) {}

Db Db::empty(const Value& schemaMap, const DbOptions& options) {
  Db db;
  db.schema_ = Schema::fromMap(schemaMap);
  db.keepHistory_ = options.keepHistory;
  db.options_ = options;
  for (int i = 0; i < kIndexCount; ++i) {
    db.current_[i] = index::BTree(options.btree);
    db.temporal_[i] = index::BTree(options.btree);
  }
  return db;
}

Db Db::init(std::vector<InitDatom> datoms, const Value& schemaMap, const DbOptions& options) {
  return initWithSchema(std::move(datoms), Schema::fromMap(schemaMap), options);
}

Db Db::initWithSchema(std::vector<InitDatom> datoms, std::shared_ptr<const Schema> base, const DbOptions& options,
                      int64_t minMaxEid, int64_t minMaxTx) {
  // Attribute ids 1..kLastBuiltin are wired into the engine: a schema not
  // built on the bootstrap one would misread every key.
  if (!base || !base->has(attr::kLastBuiltin) ||
      base->get(attr::kTxInstant).ident != Schema::bootstrap()->get(attr::kTxInstant).ident)
    raise(ErrorCode::InvalidInput, "initWithSchema: the schema must extend the built-in attributes");
  if (minMaxEid < 0 || minMaxEid > kMaxSafeId || minMaxTx < kTx0 || minMaxTx > kMaxSafeId)
    raise(ErrorCode::InvalidInput, "initWithSchema: maxEid " + std::to_string(minMaxEid) + " or maxTx " +
                                       std::to_string(minMaxTx) + " out of range");
  Db db = empty(Value(), options);
  auto schema = std::make_shared<Schema>(*base);
  // Schema entities among the datoms (:db/ident + :db/valueType ...) define
  // attributes first, so the other datoms are coerced by them.
  {
    std::vector<size_t> schemaDatoms;
    for (size_t i = 0; i < datoms.size(); ++i) {
      const Attribute* a = schema->find(datoms[i].a);
      if (a && isSchemaAttr(a->id)) schemaDatoms.push_back(i);
    }
    std::stable_sort(schemaDatoms.begin(), schemaDatoms.end(),
                     [&](size_t x, size_t y) { return datoms[x].e < datoms[y].e; });
    for (size_t i = 0; i < schemaDatoms.size();) {
      int64_t e = datoms[schemaDatoms[i]].e;
      Value ident;
      std::vector<Value> props;
      bool defines = false;
      for (; i < schemaDatoms.size() && datoms[schemaDatoms[i]].e == e; ++i) {
        const auto& d = datoms[schemaDatoms[i]];
        if (d.a.str() == "db/ident") {
          ident = d.v;
          continue;
        }
        if (d.a.str() != "db/doc") defines = true;
        props.push_back(Value::keyword(d.a));
        props.push_back(d.v);
      }
      if (!defines || !ident.isKeyword()) continue;
      Attribute def;
      def.ident = ident.asKeyword();
      def.entity = e;
      parseAttributeDefinition(Value::map(std::move(props)), *schema, def);
      schema->define(std::move(def));
    }
  }

  std::string arenas[kIndexCount];
  std::vector<std::pair<uint32_t, uint32_t>> spans[kIndexCount];
  int64_t maxEid = minMaxEid, maxTx = minMaxTx;
  int64_t lastTxInstant = 0;  // keeps later :db/txInstant values monotonic, as after transactions
  std::string venc;
  for (auto& d : datoms) {
    if (d.e <= 0 || d.e > kMaxSafeId) raise(ErrorCode::InvalidInput, "Bad entity id " + std::to_string(d.e) + " in init datoms");
    if (!d.a) raise(ErrorCode::InvalidInput, "init datom without an attribute");
    AttrId a = schema->find(d.a) ? schema->find(d.a)->id : schema->addImplicit(d.a);
    const Attribute& attr = schema->get(a);
    Value v = attr.isRef() ? (d.v.isInteger() && d.v.asLong() > 0
                                  ? d.v
                                  : (raise(ErrorCode::TypeMismatch, "ref value " + show(d.v) + " of :" +
                                                                        std::string(attr.ident.str()) +
                                                                        " must be an entity id in init datoms"),
                                     Value()))
                           : internal::coerceValue(attr, d.v, *schema);
    int64_t tx = d.tx ? d.tx : kTx0 + 1;
    if (tx <= kTx0 || tx > kMaxSafeId) raise(ErrorCode::InvalidInput, "Bad tx " + std::to_string(tx) + " in init datoms");
    venc.clear();
    encodeValue(v, venc);
    for (int i = 0; i < kIndexCount; ++i) {
      IndexOrder order = static_cast<IndexOrder>(i);
      if (order == IndexOrder::VAET && !attr.isRef()) continue;
      size_t start = arenas[i].size();
      appendKey(order, d.e, a, venc, tx, arenas[i]);
      spans[i].emplace_back(static_cast<uint32_t>(start), static_cast<uint32_t>(arenas[i].size() - start));
    }
    if (d.e < kTx0) maxEid = std::max(maxEid, d.e);
    maxTx = std::max(maxTx, tx);
    if (a == attr::kTxInstant) lastTxInstant = std::max(lastTxInstant, v.asInstant());
  }
  uint64_t count = 0;
  bool hadDuplicates = false;
  for (int i = 0; i < kIndexCount; ++i) {
    std::vector<std::string_view> keys;
    keys.reserve(spans[i].size());
    for (auto [off, len] : spans[i]) keys.push_back(std::string_view(arenas[i]).substr(off, len));
    internal::sortKeys(keys);
    // The same (e, a, v) given twice (with any tx) is one datom: the first
    // tx wins. Keys of one (e, a, v) are adjacent in every order; EAVT is
    // checked first and the others only when it had duplicates.
    IndexOrder order = static_cast<IndexOrder>(i);
    if (order == IndexOrder::EAVT || hadDuplicates) {
      size_t out = 0;
      std::string_view prevGroup;
      for (size_t k = 0; k < keys.size(); ++k) {
        std::string_view group = keys[k].substr(0, splitKey(order, keys[k], false).txOffset);
        if (out > 0 && group == prevGroup) continue;
        prevGroup = group;
        keys[out++] = keys[k];
      }
      if (order == IndexOrder::EAVT) hadDuplicates = out != keys.size();
      keys.resize(out);
    }
    if (order == IndexOrder::EAVT) count = keys.size();
    db.current_[i] = index::BTree::buildSorted(std::span<const std::string_view>(keys), options.btree);
  }
  db.schema_ = std::move(schema);
  db.maxEid_ = maxEid;
  db.maxTx_ = maxTx;
  db.lastTxInstant_ = lastTxInstant;
  db.count_ = count;
  return db;
}

// ------------------------------------------------------------------ views

Db Db::withView(DbView view, int64_t tx) const {
  if (view_ != DbView::Current && view != DbView::Current) {
    // Repeating a view narrows it; different views do not combine yet (a Db
    // has one view bound), and silently dropping one would give wrong reads.
    if (view != view_) {
      auto name = [](DbView v) { return v == DbView::AsOf ? "asOf" : v == DbView::Since ? "since" : "history"; };
      auto article = [](DbView v) { return v == DbView::AsOf ? "an " : "a "; };
      raise(ErrorCode::InvalidInput, std::string("Cannot derive ") + article(view) + name(view) +
                                         " view from a db that is already " + article(view_) + name(view_) +
                                         " view: derive every view from a current db");
    }
    if (view == DbView::AsOf) tx = std::min(tx, viewTx_);
    if (view == DbView::Since) tx = std::max(tx, viewTx_);
  }
  Db d = *this;
  d.view_ = view;
  d.viewTx_ = tx;
  return d;
}

Db Db::currentView() const { return withView(DbView::Current, 0); }
Db Db::asOf(int64_t tx) const { return withView(DbView::AsOf, tx); }
Db Db::since(int64_t tx) const { return withView(DbView::Since, tx); }
Db Db::history() const { return withView(DbView::History, 0); }

// The last transaction whose :db/txInstant is at or before `ms` (kTx0 if none).
static int64_t txAtOrBefore(const Db& db, int64_t ms) {
  std::string lo, hi;
  encodeUnsigned(attr::kTxInstant, lo);
  hi = lo;
  encodeValue(Value::instant(ms), hi);
  hi.push_back('\xff');  // past every entity id after that value
  // Several transactions can share an instant: take the greatest tx among
  // those at the last instant <= ms.
  int64_t best = kTx0;
  std::string instant;
  for (auto it = db.currentTree(IndexOrder::AVET).seekBefore(hi); it.valid() && hasPrefix(it.key(), lo); it.prev()) {
    KeyParts k = splitKey(IndexOrder::AVET, it.key(), false);
    if (instant.empty()) instant.assign(k.value);
    else if (k.value != instant) break;
    best = std::max(best, k.e);
  }
  return best;
}

Db Db::asOfInstant(int64_t ms) const { return asOf(txAtOrBefore(currentView(), ms)); }
Db Db::sinceInstant(int64_t ms) const { return since(txAtOrBefore(currentView(), ms)); }

// ------------------------------------------------------------------ cursor

Db::Cursor::Cursor(const Db& db, IndexOrder order, std::string_view start, std::string prefix)
    : db_(&db), order_(order), prefix_(std::move(prefix)) {
  cur_ = db.currentTree(order).lowerBound(start);
  merge_ = db.view_ == DbView::History || db.view_ == DbView::AsOf;
  if (merge_) tmp_ = db.temporalTree(order).lowerBound(start);
  advance();
}

const Datom& Db::Cursor::datom() {
  if (!decoded_) {
    datom_ = decodeDatom(order_, key_, temporal_);
    if (db_->view_ == DbView::AsOf) datom_.added = true;
    decoded_ = true;
  }
  return datom_;
}

void Db::Cursor::emit(std::string_view key, bool temporal) {
  key_ = key;
  temporal_ = temporal;
  parts_ = splitKey(order_, key, temporal);
  if (db_->view_ == DbView::AsOf) parts_.added = true;
  decoded_ = false;
  valid_ = true;
}

// Takes the next key in merged (current + temporal) order; false at the end.
bool Db::Cursor::pickNext(std::string_view& key, bool& temporal) {
  if (hasPending_) {
    hasPending_ = false;
    key = pendingKey_;
    temporal = pendingTemporal_;
    return true;
  }
  bool hasCur = cur_.valid() && (prefix_.empty() || hasPrefix(cur_.key(), prefix_));
  bool hasTmp = merge_ && tmp_.valid() && (prefix_.empty() || hasPrefix(tmp_.key(), prefix_));
  if (!hasCur && !hasTmp) return false;
  if (hasCur && (!hasTmp || compareCurrentToTemporal(cur_.key(), tmp_.key()) < 0)) {
    key = cur_.key();
    temporal = false;
    cur_.next();
  } else {
    key = tmp_.key();
    temporal = true;
    tmp_.next();
  }
  return true;
}

void Db::Cursor::advance() {
  valid_ = false;
  std::string_view key;
  bool temporal = false;
  switch (db_->view_) {
    case DbView::Current:
      if (cur_.valid() && (prefix_.empty() || hasPrefix(cur_.key(), prefix_))) {
        emit(cur_.key(), false);
        cur_.next();
      }
      return;
    case DbView::Since:
      while (cur_.valid() && (prefix_.empty() || hasPrefix(cur_.key(), prefix_))) {
        std::string_view k = cur_.key();
        cur_.next();
        KeyParts parts = splitKey(order_, k, false);
        if (parts.tx > db_->viewTx_) {
          emit(k, false);
          return;
        }
      }
      return;
    case DbView::History:
      if (pickNext(key, temporal)) emit(key, temporal);
      return;
    case DbView::AsOf: {
      // Records of one (e, a, v) are adjacent, ordered by tx then op: the last
      // one at or before the view's tx decides whether the datom is visible.
      std::string_view group, lastKey;
      bool lastTemporal = false, haveLast = false;
      auto visible = [&]() { return haveLast && (!lastTemporal || splitKey(order_, lastKey, true).added); };
      while (pickNext(key, temporal)) {
        KeyParts k = splitKey(order_, key, temporal);
        std::string_view g = key.substr(0, k.txOffset);
        if (!group.empty() && g != group) {
          if (visible()) {
            pendingKey_ = key;  // the next group starts here
            pendingTemporal_ = temporal;
            hasPending_ = true;
            emit(lastKey, lastTemporal);
            return;
          }
          haveLast = false;
        }
        group = g;
        if (k.tx <= db_->viewTx_) {
          lastKey = key;
          lastTemporal = temporal;
          haveLast = true;
        }
      }
      if (visible()) emit(lastKey, lastTemporal);
      return;
    }
  }
}

// ------------------------------------------------------------------ reads

namespace {

// Builds the key prefix for leading components; false when a component can
// match nothing (unknown attribute, unresolvable entity, uncoercible value).
bool buildPrefix(const Db& db, IndexOrder order, std::span<const Value> comps, std::string& out) {
  if (comps.size() > 4) raise(ErrorCode::InvalidInput, "an index has 4 components, got " + std::to_string(comps.size()));
  const Attribute* attr = nullptr;
  // Find the attribute first: value coercion needs it.
  static const int attrPos[] = {1, 0, 0, 1};
  int ap = attrPos[static_cast<int>(order)];
  if (static_cast<int>(comps.size()) > ap && !comps[ap].isNil()) {
    const Value& av = comps[ap];
    Keyword k;
    if (av.isKeyword()) k = av.asKeyword();
    else if (av.isString()) {
      std::string_view s = av.asString();
      if (!s.empty() && s[0] == ':') s.remove_prefix(1);
      k = Keyword::intern(s);
    } else {
      raise(ErrorCode::InvalidInput, "attribute component must be a keyword, got " + show(av));
    }
    attr = db.attribute(k);
    if (!attr) return false;
  }
  auto entity = [&](const Value& v) -> bool {
    // A reference that resolves to nothing matches nothing; a value that
    // cannot be a reference at all is bad input (as in entity() and entid).
    if (!(v.isInteger() || v.isKeyword() || (v.isSequential() && v.count() == 2)))
      raise(ErrorCode::InvalidInput, "Expected an entity id, lookup ref or ident as an index component, got " + show(v));
    int64_t e = db.entid(v);
    if (e <= 0) return false;
    encodeUnsigned(static_cast<uint64_t>(e), out);
    return true;
  };
  auto value = [&](const Value& v) -> bool {
    if (!attr) raise(ErrorCode::InvalidInput, "a value component needs the attribute component before it");
    try {
      Value c = db.coerceForAttribute(*attr, v);
      if (c.isNil()) return false;
      encodeValue(c, out);
    } catch (const DataliteError& e) {
      if (e.code() == ErrorCode::TypeMismatch || e.code() == ErrorCode::NotFound) return false;
      throw;
    }
    return true;
  };
  auto tx = [&](const Value& v) -> bool {
    int64_t t = db.entid(v);
    if (t <= kTx0) return false;
    encodeUnsigned(static_cast<uint64_t>(t - kTx0), out);
    return true;
  };
  for (size_t i = 0; i < comps.size(); ++i) {
    const Value& c = comps[i];
    if (c.isNil()) raise(ErrorCode::InvalidInput, "index components cannot be nil (components are a prefix)");
    bool ok = true;
    switch (order) {
      case IndexOrder::EAVT:
        ok = i == 0 ? entity(c) : i == 1 ? (encodeUnsigned(attr->id, out), true) : i == 2 ? value(c) : tx(c);
        break;
      case IndexOrder::AEVT:
        ok = i == 0 ? (encodeUnsigned(attr->id, out), true) : i == 1 ? entity(c) : i == 2 ? value(c) : tx(c);
        break;
      case IndexOrder::AVET:
        ok = i == 0 ? (encodeUnsigned(attr->id, out), true) : i == 1 ? value(c) : i == 2 ? entity(c) : tx(c);
        break;
      case IndexOrder::VAET:
        ok = i == 0 ? entity(c) : i == 1 ? (encodeUnsigned(attr->id, out), true) : i == 2 ? entity(c) : tx(c);
        break;
    }
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::vector<Datom> Db::datoms(IndexOrder order, std::span<const Value> components) const {
  std::vector<Datom> out;
  for (Cursor c = datomsCursor(order, components); c.valid(); c.next()) out.push_back(c.datom());
  return out;
}

Db::Cursor Db::datomsCursor(IndexOrder order, std::span<const Value> components) const {
  std::string prefix;
  // A component that matches nothing: the prefix 0xFF selects no key (see seek).
  if (!buildPrefix(*this, order, components, prefix)) return Cursor(*this, order, "\xff", "\xff");
  return Cursor(*this, order, prefix, prefix);
}

Db::Cursor Db::seek(IndexOrder order, std::span<const Value> components) const {
  std::string prefix;
  if (!buildPrefix(*this, order, components, prefix)) {
    // A component that matches nothing (unknown attribute, entity that does
    // not resolve): an empty cursor. Every key starts with a length header
    // <= 8, so the prefix 0xFF selects nothing.
    return Cursor(*this, order, "\xff", "\xff");
  }
  return Cursor(*this, order, prefix, "");
}

Db::Cursor Db::scan(IndexOrder order, std::string prefix) const {
  std::string start = prefix;
  return Cursor(*this, order, start, std::move(prefix));
}

std::vector<Datom> Db::indexRange(Keyword attrName, const Value& start, const Value& end) const {
  std::vector<Datom> out;
  const Attribute* attr = attribute(attrName);
  if (!attr) return out;
  std::string prefix, from, endEnc;
  encodeUnsigned(attr->id, prefix);
  from = prefix;
  if (!start.isNil()) encodeValue(coerceForAttribute(*attr, start), from);
  if (!end.isNil()) encodeValue(coerceForAttribute(*attr, end), endEnc);
  for (Cursor c(*this, IndexOrder::AVET, from, prefix); c.valid(); c.next()) {
    if (!end.isNil() && c.parts().value > endEnc) break;
    out.push_back(c.datom());
  }
  return out;
}

int64_t Db::entid(const Value& ref) const {
  switch (ref.kind()) {
    case Kind::Long: case Kind::BigInt:
      return ref.asLong() > 0 && ref.asLong() <= kMaxSafeId ? ref.asLong() : 0;
    case Kind::Keyword: {
      Value comps[] = {Value::keyword("db/ident"), ref};
      auto found = datoms(IndexOrder::AVET, comps);
      return found.empty() ? 0 : found.front().e;
    }
    case Kind::Vector: case Kind::List: {
      if (ref.count() != 2 || !(ref.at(0).isKeyword() || ref.at(0).isString())) return 0;
      const Value& a = ref.at(0);
      Keyword k = a.isKeyword() ? a.asKeyword() : Keyword::intern(a.asString().substr(a.asString()[0] == ':' ? 1 : 0));
      const Attribute* attr = attribute(k);
      if (!attr) return 0;
      if (!attr->isUnique())
        raise(ErrorCode::InvalidInput, "Lookup ref attribute should be marked as :db/unique: " + show(ref));
      if (ref.at(1).isNil()) return 0;
      Value comps[] = {Value::keyword(k), ref.at(1)};
      auto found = datoms(IndexOrder::AVET, comps);
      return found.empty() ? 0 : found.front().e;
    }
    default:
      return 0;
  }
}

int64_t Db::entidStrict(const Value& ref) const {
  bool shapeOk = ref.isInteger() || ref.isKeyword() || (ref.isSequential() && ref.count() == 2);
  if (!shapeOk) raise(ErrorCode::InvalidInput, "Expected an entity id, lookup ref or ident, got " + show(ref));
  int64_t e = entid(ref);
  if (!e) raise(ErrorCode::NotFound, "Nothing found for entity reference " + show(ref));
  return e;
}

Value Db::coerceForAttribute(const Attribute& a, const Value& v) const {
  if (a.isRef()) {
    int64_t e = entid(v);
    if (!e) {
      if (v.isInteger()) return Value();
      if (v.isKeyword() || v.isSequential()) return Value();
      raise(ErrorCode::TypeMismatch, "Bad value " + show(v) + " for ref attribute :" + std::string(a.ident.str()));
    }
    return Value::integer(e);
  }
  return internal::coerceValue(a, v, *schema_);
}

uint64_t Db::count() const {
  if (view_ == DbView::Current) return count_;
  uint64_t n = 0;
  for (Cursor c(*this, IndexOrder::EAVT, "", ""); c.valid(); c.next()) ++n;
  return n;
}

size_t Db::memoryBytes() const {
  size_t n = 0;
  for (int i = 0; i < kIndexCount; ++i) n += current_[i].memoryBytes() + temporal_[i].memoryBytes();
  return n;
}

}  // namespace datalite
