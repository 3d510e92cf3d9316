// Helpers for db tests: datoms printed as compact EDN for readable asserts.
#pragma once

#include <string>
#include <vector>

#include "datalite.h"

namespace datalite::testing {

// "[[e :attr v] ...]" for the given datoms (tx and added omitted).
inline std::string show3(const Db& db, const std::vector<Datom>& ds) {
  std::string out = "[";
  for (size_t i = 0; i < ds.size(); ++i) {
    if (i) out += " ";
    out += "[" + std::to_string(ds[i].e) + " :" + std::string(db.attrIdent(ds[i].a).str()) + " " +
           edn::print(ds[i].v) + "]";
  }
  return out + "]";
}

// Entity e's datoms, excluding none.
inline std::string eavt(const Db& db, int64_t e) {
  Value comps[] = {Value::integer(e)};
  return show3(db, db.datoms(IndexOrder::EAVT, comps));
}

// Datoms of user entities (e < tx0), i.e. without :db/txInstant.
inline std::vector<Datom> userDatoms(const Db& db) {
  std::vector<Datom> out;
  for (const Datom& d : db.datoms(IndexOrder::EAVT))
    if (d.e < kTx0) out.push_back(d);
  return out;
}
inline std::string all(const Db& db) { return show3(db, userDatoms(db)); }

inline int64_t tempid(const TxReport& r, const std::string& name) {
  for (const auto& [k, e] : r.tempids)
    if (k.isString() && k.asString() == name) return e;
  return -1;
}

// tx-data written as one EDN vector.
inline std::vector<Value> tx(const std::string& text) { return edn::readOne(text).items(); }
inline Value read(const std::string& text) { return edn::readOne(text); }

}  // namespace datalite::testing
