// Pull API (DataScript / Datomic semantics): patterns are parsed once into a
// Pattern (validated, db-independent, reusable) and evaluated against any Db
// view. Decisions and deviations: docs/adr/0005-pull.md.
//
//   Pattern p = parsePattern(edn::readOne("[:name {:friend ...}]"));
//   Value m = pull(db, p, eid);             // {:name "Ivan", :friend [...]} or nil
//
// Result maps list their keys in pattern order; `*` expands in place to
// :db/id followed by the entity's attributes in attribute-id order (attributes
// that also have an explicit spec in the same pattern are left to that spec).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "core/value.h"
#include "db/db.h"

namespace datalite::pull {

struct PatternImpl;

// A parsed, validated pull pattern. Cheap to copy (shared, immutable).
class Pattern {
 public:
  Pattern();
  const Value& source() const;  // the pattern as given
  const PatternImpl& impl() const { return *impl_; }

 private:
  friend Pattern parsePattern(const Value& pattern);
  std::shared_ptr<const PatternImpl> impl_;
};

// Parses a pull pattern (a vector). Throws DataliteError parse-error whose
// message names the offending form.
Pattern parsePattern(const Value& pattern);

struct PullOptions {
  // Nested entity maps below the pulled entity (each level is one C++
  // recursion step): deeper results raise limit-exceeded.
  uint32_t maxDepth = 256;
  // Entity maps built by one pull call (all levels): more raise limit-exceeded.
  uint64_t maxEntities = 1'000'000;
};

// The entity `eid` as a map, or nil when the entity has no datoms in this
// view (or nothing of the pattern matched, as in DataScript).
// Throws invalid-input on history views.
Value pull(const Db& db, const Pattern& p, int64_t eid, const PullOptions& options = {});
// `eid` may be an entity id, a lookup ref [attr value] or an ident keyword.
// Unresolvable lookup refs / idents give nil; other shapes (and ids <= 0)
// raise invalid-input.
Value pull(const Db& db, const Pattern& p, const Value& eid, const PullOptions& options = {});
Value pull(const Db& db, const Value& pattern, const Value& eid, const PullOptions& options = {});
// One result per eid, nil where pull gives nil.
std::vector<Value> pullMany(const Db& db, const Pattern& p, std::span<const Value> eids,
                            const PullOptions& options = {});
std::vector<Value> pullMany(const Db& db, const Value& pattern, std::span<const Value> eids,
                            const PullOptions& options = {});

// Resolves a pull/entity argument: the entity id, 0 when a lookup ref or ident
// finds nothing. Throws invalid-input for any other shape.
int64_t resolveEntityArg(const Db& db, const Value& eid);

}  // namespace datalite::pull
