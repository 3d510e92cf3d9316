// Entity: lazy entity view over a Db value.
#include "pull/entity.h"

#include <algorithm>
#include <string>

#include "core/error.h"
#include "db/show.h"
#include "pull/pull.h"

namespace datalite::pull {

namespace {

constexpr size_t kMaxTouchDepth = 256;

Value idMap(int64_t e) { return Value::map({Value::keyword("db/id"), Value::integer(e)}); }

// Splits :ns/_name into (:ns/name, true).
Keyword forwardOf(Keyword k, bool& reverse) {
  std::string_view name = k.name();
  reverse = name.size() > 1 && name[0] == '_';
  if (!reverse) return k;
  std::string fwd;
  if (!k.ns().empty()) {
    fwd.append(k.ns());
    fwd.push_back('/');
  }
  fwd.append(name.substr(1));
  return Keyword::intern(fwd);
}

std::span<const Datom> attrRange(const std::vector<Datom>& ds, AttrId a) {
  auto lo = std::lower_bound(ds.begin(), ds.end(), a, [](const Datom& d, AttrId x) { return d.a < x; });
  auto hi = lo;
  while (hi != ds.end() && hi->a == a) ++hi;
  return std::span<const Datom>(ds.data() + (lo - ds.begin()), static_cast<size_t>(hi - lo));
}

std::vector<Datom> reverseDatoms(const Db& db, const Attribute& a, int64_t e) {
  Value comps[] = {Value::integer(e), Value::keyword(a.ident)};
  return db.datoms(IndexOrder::VAET, comps);
}

void checkView(const Db& db) {
  if (db.isHistory()) raise(ErrorCode::InvalidInput, "entity does not support history views");
}

}  // namespace

std::optional<Entity> Entity::of(const Db& db, const Value& eidOrLookupRef) {
  checkView(db);
  int64_t e = resolveEntityArg(db, eidOrLookupRef);
  if (!e) return std::nullopt;
  return Entity(std::make_shared<const Db>(db), e);
}

Entity Entity::of(const Db& db, int64_t eid) {
  checkView(db);
  if (eid <= 0 || eid > kMaxSafeId) raise(ErrorCode::InvalidInput, "Expected a positive entity id, got " + std::to_string(eid));
  return Entity(std::make_shared<const Db>(db), eid);
}

const std::vector<Datom>& Entity::datoms() const {
  if (!datoms_) {
    Value comps[] = {Value::integer(id_)};
    datoms_ = std::make_shared<const std::vector<Datom>>(db_->datoms(IndexOrder::EAVT, comps));
  }
  return *datoms_;
}

bool Entity::exists() const { return !datoms().empty(); }

Value Entity::get(std::string_view attr) const {
  if (!attr.empty() && attr[0] == ':') attr.remove_prefix(1);
  return get(Keyword::intern(attr));
}

Value Entity::get(Keyword attr) const {
  if (attr.str() == "db/id") return Value::integer(id_);
  bool reverse = false;
  Keyword fwd = forwardOf(attr, reverse);
  const Attribute* a = db_->attribute(fwd);
  if (!a) return Value();
  if (reverse) {
    if (!a->isRef()) return Value();
    std::vector<Datom> ds = reverseDatoms(*db_, *a, id_);
    if (ds.empty()) return Value();
    if (a->component) return idMap(ds.front().e);
    std::vector<Value> out;
    out.reserve(ds.size());
    for (const Datom& d : ds) out.push_back(idMap(d.e));
    return Value::set(std::move(out));
  }
  std::span<const Datom> ds = attrRange(datoms(), a->id);
  if (ds.empty()) return Value();
  auto conv = [&](const Datom& d) { return a->isRef() ? idMap(d.v.asLong()) : d.v; };
  if (!a->many) return conv(ds.front());
  std::vector<Value> out;
  out.reserve(ds.size());
  for (const Datom& d : ds) out.push_back(conv(d));
  return Value::set(std::move(out));
}

std::vector<int64_t> Entity::targets(Keyword attr, bool& componentReverse, const Attribute*& fwd,
                                     bool& reverse) const {
  Keyword f = forwardOf(attr, reverse);
  fwd = db_->attribute(f);
  componentReverse = false;
  std::vector<int64_t> out;
  if (!fwd) return out;
  if (!fwd->isRef()) raise(ErrorCode::InvalidInput, "Entity navigation needs a ref attribute, got :" + std::string(attr.str()));
  if (reverse) {
    componentReverse = fwd->component;
    for (const Datom& d : reverseDatoms(*db_, *fwd, id_)) out.push_back(d.e);
  } else {
    for (const Datom& d : attrRange(datoms(), fwd->id)) out.push_back(d.v.asLong());
  }
  return out;
}

std::optional<Entity> Entity::ref(Keyword attr) const {
  bool comp = false, reverse = false;
  const Attribute* a = nullptr;
  std::vector<int64_t> ts = targets(attr, comp, a, reverse);
  if (ts.empty()) return std::nullopt;
  return Entity(db_, ts.front());
}

std::vector<Entity> Entity::refs(Keyword attr) const {
  bool comp = false, reverse = false;
  const Attribute* a = nullptr;
  std::vector<Entity> out;
  for (int64_t e : targets(attr, comp, a, reverse)) out.push_back(Entity(db_, e));
  return out;
}

std::vector<Keyword> Entity::keys() const {
  std::vector<Keyword> out;
  for (const Datom& d : datoms())
    if (out.empty() || out.back() != db_->attrIdent(d.a)) out.push_back(db_->attrIdent(d.a));
  return out;
}

Value Entity::touch() const {
  std::vector<int64_t> path;
  return touchImpl(path);
}

Value Entity::touchImpl(std::vector<int64_t>& path) const {
  if (path.size() >= kMaxTouchDepth)
    raise(ErrorCode::LimitExceeded, "touch: components nest deeper than " + std::to_string(kMaxTouchDepth) + " levels");
  path.push_back(id_);
  const std::vector<Datom>& ds = datoms();
  std::vector<Value> kv{Value::keyword("db/id"), Value::integer(id_)};
  for (size_t i = 0; i < ds.size();) {
    const Attribute& a = db_->schema().get(ds[i].a);
    size_t j = i;
    while (j < ds.size() && ds[j].a == ds[i].a) ++j;
    auto conv = [&](const Datom& d) -> Value {
      if (!a.isRef()) return d.v;
      int64_t t = d.v.asLong();
      if (!a.component || std::find(path.begin(), path.end(), t) != path.end()) return idMap(t);
      return Entity(db_, t).touchImpl(path);
    };
    Value v;
    if (!a.many) {
      v = conv(ds[i]);
    } else {
      std::vector<Value> items;
      items.reserve(j - i);
      for (size_t k = i; k < j; ++k) items.push_back(conv(ds[k]));
      // Touched components are distinct maps (distinct :db/id), values distinct datoms.
      v = Value::set(std::move(items));
    }
    kv.push_back(Value::keyword(a.ident));
    kv.push_back(std::move(v));
    i = j;
  }
  path.pop_back();
  return Value::map(std::move(kv));
}

}  // namespace datalite::pull
