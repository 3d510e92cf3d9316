// Internal representation of a parsed pull pattern (not part of the API).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/value.h"

namespace datalite::pull {

struct Node;

enum class SubKind : uint8_t {
  None,     // plain attribute: values, refs as {:db/id n}, components expanded
  Nested,   // {:attr [sub-pattern]}
  Recurse,  // {:attr ...} or {:attr n}: re-applies the enclosing pattern
};

struct Spec {
  bool isDbId = false;
  bool reverse = false;     // :ns/_attr
  Keyword attr;             // the forward attribute (also for reverse specs)
  Value key;                // result key (the keyword as written, or :as)
  bool hasAs = false;
  bool unlimited = false;   // (limit :a nil)
  uint64_t limit = 1000;    // card-many / reverse values kept
  bool hasDefault = false;
  Value defaultValue;
  SubKind sub = SubKind::None;
  const Node* nested = nullptr;  // Nested: the sub-pattern; Recurse: the enclosing pattern
  uint32_t recursionLimit = 0;   // Recurse: 0 = unbounded (`...`), else max levels
  uint32_t recursionIndex = 0;   // Recurse: slot of this spec's depth counter
};

struct Node {
  bool wildcard = false;
  size_t wildcardPos = 0;   // `*` expands before specs[wildcardPos]
  bool hasDbIdSpec = false;
  bool mayCollide = false;  // result keys may repeat (:as or repeated specs)
  bool needsForward = false;  // reads the entity's own datoms (EAVT)
  std::vector<Spec> specs;
};

struct PatternImpl {
  Value source;
  std::vector<std::unique_ptr<Node>> nodes;  // nodes[0] is the root
  uint32_t recursionSlots = 0;
  const Node& root() const { return *nodes.front(); }
};

// The pattern [*], used to expand component entities.
const Node& wildcardNode();

}  // namespace datalite::pull
