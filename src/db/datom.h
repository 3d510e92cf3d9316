// Datoms and their index keys.
//
// A key is the order-preserving encoding of a datom's components in the
// index's order (see docs/adr/0001-key-encoding.md):
//   EAVT: U(e) U(a) V U(t)      AEVT: U(a) U(e) V U(t)
//   AVET: U(a) V U(e) U(t)      VAET: U(v) U(a) U(e) U(t)   (refs only)
// U = encodeUnsigned, V = encodeValue, t = tx - kTx0. Keys in the temporal
// (history) trees carry one more byte: 1 for an assertion, 0 for a retraction.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/value.h"
#include "db/schema.h"

namespace datalite {

// DataScript's id layout: entity ids below kTx0, transaction ids above it.
constexpr int64_t kTx0 = 0x20000000;  // 536870912
constexpr int64_t kMaxSafeId = (int64_t{1} << 53) - 1;

enum class IndexOrder : uint8_t { EAVT, AEVT, AVET, VAET };
constexpr int kIndexCount = 4;
std::string_view indexOrderName(IndexOrder order);  // "eavt"
bool parseIndexOrder(std::string_view name, IndexOrder& out);

struct Datom {
  int64_t e = 0;
  AttrId a = 0;
  Value v;
  int64_t tx = 0;
  bool added = true;
};

constexpr char kOpRetract = 0;
constexpr char kOpAssert = 1;

// Appends the key of (e, a, encodedValue, tx) in `order`.
void appendKey(IndexOrder order, int64_t e, AttrId a, std::string_view encodedValue, int64_t tx, std::string& out);

// A key split into its components (value still encoded).
struct KeyParts {
  int64_t e = 0;
  AttrId a = 0;
  std::string_view value;   // encoded value bytes
  int64_t tx = 0;
  bool added = true;        // from the op byte of temporal keys
  size_t txOffset = 0;      // where the tx component starts: key[0, txOffset) identifies (e, a, v)
};
// Throws store-error on malformed keys. `temporal`: the key has an op byte.
KeyParts splitKey(IndexOrder order, std::string_view key, bool temporal);
Datom decodeDatom(IndexOrder order, std::string_view key, bool temporal);

}  // namespace datalite
