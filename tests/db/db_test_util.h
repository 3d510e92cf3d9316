// Helpers for db tests: datoms printed as compact EDN for readable asserts.
#pragma once

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "datalite.h"
#include "test_support.h"

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

// "[[e :attr v tx added] ...]" with tx printed relative to kTx0 ("t1" = kTx0 + 1).
inline std::string show5(const Db& db, const std::vector<Datom>& ds) {
  std::string out = "[";
  for (size_t i = 0; i < ds.size(); ++i) {
    if (i) out += " ";
    out += "[" + std::to_string(ds[i].e) + " :" + std::string(db.attrIdent(ds[i].a).str()) + " " +
           edn::print(ds[i].v) + " t" + std::to_string(ds[i].tx - kTx0) + (ds[i].added ? " true" : " false") + "]";
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
// The tempid entry whose key prints as `key` (e.g. "-1", ":db/current-tx").
inline int64_t tempidKey(const TxReport& r, const std::string& key) {
  for (const auto& [k, e] : r.tempids)
    if (edn::print(k) == key) return e;
  return -1;
}

// The report's datoms except the automatic :db/txInstant, as
// "[[e :attr v added] ...]" in report order.
inline std::string txData(const TxReport& r) {
  const Db& db = r.dbAfter;
  std::string out = "[";
  bool first = true;
  for (const Datom& d : r.txData) {
    if (d.e == r.tx && db.attrIdent(d.a).str() == "db/txInstant") continue;
    if (!first) out += " ";
    first = false;
    out += "[" + std::to_string(d.e) + " :" + std::string(db.attrIdent(d.a).str()) + " " + edn::print(d.v) +
           (d.added ? " true" : " false") + "]";
  }
  return out + "]";
}

// Every datom of a db in all four indexes (tx and added included), for
// comparing whole database values.
inline std::string dumpAll(const Db& db) {
  std::string out;
  for (int i = 0; i < kIndexCount; ++i) {
    IndexOrder o = static_cast<IndexOrder>(i);
    out += std::string(indexOrderName(o)) + " " + show5(db, db.datoms(o)) + "\n";
  }
  return out;
}

// Everything observable about a db value, including its history view.
inline std::string snapshot(const Db& db) {
  return dumpAll(db) + "history " + dumpAll(db.history()) + "maxEid " + std::to_string(db.maxEid()) + " maxTx " +
         std::to_string(db.maxTx()) + " count " + std::to_string(db.count());
}

// Transacting `txEdn` into db must fail with `code`, with a message that
// contains `needle`, and leave db unchanged and usable.
inline Caught expectTxError(const Db& db, const std::string& txEdn, const std::string& code,
                            const std::string& needle = "", const TxOptions& options = {}) {
  std::string before = snapshot(db);
  Caught c = catchError([&] { db.transact(tx(txEdn), options); });
  INFO("tx: " << txEdn << "\nmessage: " << c.message);
  CHECK(c.code == code);
  if (!needle.empty()) CHECK_THAT(c.message, Catch::Matchers::Contains(needle));
  CHECK(snapshot(db) == before);
  // Still usable: an unrelated transaction succeeds on it.
  TxReport ok = db.transact(tx("[[:db/add -1 :test/probe 1]]"));
  CHECK(ok.dbAfter.maxTx() == db.maxTx() + 1);
  return c;
}

}  // namespace datalite::testing
