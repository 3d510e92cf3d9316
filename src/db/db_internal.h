// Helpers shared by the db/ implementation files; not part of the API.
#pragma once

#include <string>
#include <vector>

#include "core/value.h"
#include "db/datom.h"
#include "db/schema.h"
#include "index/btree.h"

namespace datalite::internal {

// The stored form of `v` for a non-ref attribute `attr`: checks the declared
// type and converts where API.md allows (long -> double, string -> keyword,
// string -> uuid, ...). Throws type-mismatch naming the attribute.
Value coerceValue(const Attribute& attr, const Value& v, const Schema& schema);

// Sorts encoded keys (byte order) quickly: integer compare of 8-byte
// prefixes first.
void sortKeys(std::vector<std::string_view>& keys);

// Collects the key edits of one transaction for all eight trees and merges
// them in one sorted pass per tree.
class EditBatch {
 public:
  void add(int64_t e, AttrId a, std::string_view venc, int64_t tx, bool isRef);
  // Removes the datom asserted at `assertedTx`; with history, records the
  // assertion and the retraction at `tx` in the temporal trees.
  void retract(int64_t e, AttrId a, std::string_view venc, int64_t assertedTx, int64_t tx, bool isRef,
               bool keepHistory);
  void applyTo(index::BTree (&current)[kIndexCount], index::BTree (&temporal)[kIndexCount]);

 private:
  struct Pending {
    uint32_t offset;
    uint32_t length;
    bool insert;
  };
  void push(int tree, bool insert, IndexOrder order, int64_t e, AttrId a, std::string_view venc, int64_t tx,
            int op);

  std::string arena_[2 * kIndexCount];
  std::vector<Pending> pending_[2 * kIndexCount];
};

}  // namespace datalite::internal
