// Entity: a lazy, navigable view of one entity of a Db value (DataScript's
// `d/entity`). The entity's datoms are read with one EAVT prefix scan on first
// access and cached in the Entity object (copies made after loading share the
// cache). An Entity keeps its Db value alive. Not safe for concurrent first
// access from several threads (like any non-const object).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "core/value.h"
#include "db/db.h"

namespace datalite::pull {

class Entity {
 public:
  // nullopt when a lookup ref or ident finds nothing. An entity id gives an
  // Entity even without datoms (as DataScript does; see exists()). Bad shapes
  // raise invalid-input, history views raise invalid-input.
  static std::optional<Entity> of(const Db& db, const Value& eidOrLookupRef);
  static Entity of(const Db& db, int64_t eid);

  int64_t id() const { return id_; }
  const Db& db() const { return *db_; }
  bool exists() const;  // has datoms in this view

  // Card-one: the value; card-many: a set (index order); refs as {:db/id n};
  // reverse :ns/_attr: the referencing entities as a set of {:db/id n}
  // ({:db/id n} alone for component attributes); :db/id: the id.
  // nil when absent or unknown.
  Value get(Keyword attr) const;
  Value get(std::string_view attr) const;  // "ns/name" or ":ns/name"
  // Navigation over ref attributes (forward or reverse :ns/_attr).
  // ref(): the first target (card-one: the target); refs(): all targets in
  // index order. Non-ref attributes raise invalid-input.
  std::optional<Entity> ref(Keyword attr) const;
  std::vector<Entity> refs(Keyword attr) const;

  // All attributes as a map {:db/id n, attr value ...} in attribute-id order,
  // values as get() gives them, component entities touched recursively
  // (an entity already on the path comes back as {:db/id n}).
  Value touch() const;
  // The attributes the entity has, in attribute-id order.
  std::vector<Keyword> keys() const;

 private:
  Entity(std::shared_ptr<const Db> db, int64_t id) : db_(std::move(db)), id_(id) {}
  const std::vector<Datom>& datoms() const;
  std::vector<int64_t> targets(Keyword attr, bool& componentReverse, const Attribute*& fwd, bool& reverse) const;
  Value touchImpl(std::vector<int64_t>& path) const;

  std::shared_ptr<const Db> db_;
  int64_t id_ = 0;
  mutable std::shared_ptr<const std::vector<Datom>> datoms_;
};

}  // namespace datalite::pull
