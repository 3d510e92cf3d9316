// History: history(), asOf, since, asOfInstant, :db/noHistory, keepHistory.
#include <catch2/catch.hpp>

#include "datalite.h"
#include "db_test_util.h"

using namespace datalite;
using namespace datalite::testing;

namespace {

const char* kSchema = R"({:p/friend {:db/valueType :db.type/ref :db/cardinality :db.cardinality/many}
  :p/aka    {:db/cardinality :db.cardinality/many}
  :p/secret {:db/noHistory true}
  :p/name   {}
  :p/age    {}})";

struct Timeline {
  std::vector<Db> dbs;  // dbs[i] after tx i (dbs[0] empty)
  std::vector<int64_t> txs;
};

Timeline build(const DbOptions& options = {}) {
  Timeline t;
  t.dbs.push_back(Db::empty(read(kSchema), options));
  t.txs.push_back(kTx0);
  const char* steps[] = {
      R"([{:db/id 1 :p/name "A" :p/age 30 :p/aka ["x" "y"] :p/secret "s1"} {:db/id 2 :p/name "B" :p/friend 1}])",
      R"([[:db/add 1 :p/age 31] [:db/add 1 :p/secret "s2"]])",
      R"([[:db/retract 1 :p/aka "x"] [:db/add 1 :p/aka "z"] [:db/add 2 :p/friend 3] [:db/add 3 :p/name "C"]])",
      R"([[:db/retractEntity 1]])",
      R"([{:db/id 1 :p/name "A" :p/age 30} [:db/add 2 :p/friend 1]])",
      R"([[:db/retract 3 :p/name "C"] [:db/add 1 :p/aka "x"]])",
  };
  int64_t ms = 1000;
  for (const char* s : steps) {
    TxOptions o;
    o.txInstantMs = ms;
    ms += 1000;
    TxReport r = t.dbs.back().transact(tx(s), o);
    t.dbs.push_back(r.dbAfter);
    t.txs.push_back(r.tx);
  }
  return t;
}

std::string hist(const Db& db, std::initializer_list<Value> comps) {
  std::vector<Value> c(comps);
  return show5(db, db.history().datoms(IndexOrder::EAVT, c));
}

}  // namespace

TEST_CASE("history: datoms with added flags and tx", "[db][history]") {
  Timeline t = build();
  const Db& last = t.dbs.back();
  CHECK(hist(last, {Value::integer(1), Value::keyword("p/age")}) ==
        "[[1 :p/age 30 t1 true] [1 :p/age 30 t2 false] [1 :p/age 30 t5 true] [1 :p/age 31 t2 true] [1 :p/age 31 t4 false]]");
  CHECK(hist(last, {Value::integer(1), Value::keyword("p/aka")}) ==
        R"([[1 :p/aka "x" t1 true] [1 :p/aka "x" t3 false] [1 :p/aka "x" t6 true] [1 :p/aka "y" t1 true] [1 :p/aka "y" t4 false] [1 :p/aka "z" t3 true] [1 :p/aka "z" t4 false]])");
  CHECK(hist(last, {Value::integer(2), Value::keyword("p/friend")}) ==
        "[[2 :p/friend 1 t1 true] [2 :p/friend 1 t4 false] [2 :p/friend 1 t5 true] [2 :p/friend 3 t3 true]]");
  // noHistory: only the current value remains, nothing retracted is kept.
  CHECK(hist(last, {Value::integer(1), Value::keyword("p/secret")}) == "[]");
  CHECK(hist(t.dbs[3], {Value::integer(1), Value::keyword("p/secret")}) == R"([[1 :p/secret "s2" t2 true]])");
  // Views are flagged.
  CHECK(last.history().isHistory());
  CHECK(last.asOf(t.txs[2]).view() == DbView::AsOf);
  // History counts every record.
  CHECK(last.history().count() > last.count());
  // The report agrees with the history.
  TxReport r = t.dbs[1].transact(tx("[[:db/add 1 :p/age 31] [:db/add 1 :p/secret \"s2\"]]"));
  CHECK(txData(r) == R"([[1 :p/age 30 false] [1 :p/age 31 true] [1 :p/secret "s1" false] [1 :p/secret "s2" true]])");
}

TEST_CASE("history: asOf every tx equals the db of that time in all indexes", "[db][history]") {
  Timeline t = build();
  const Db& last = t.dbs.back();
  for (size_t i = 0; i < t.dbs.size(); ++i) {
    INFO("tx " << i);
    Db view = last.asOf(t.txs[i]);
    // Attributes with :db/noHistory are not reconstructible: compare without them.
    for (int o = 0; o < kIndexCount; ++o) {
      auto strip = [](const Db& db, std::vector<Datom> ds) {
        std::vector<Datom> out;
        for (Datom& d : ds)
          if (db.attrIdent(d.a).str() != "p/secret") out.push_back(std::move(d));
        return out;
      };
      IndexOrder order = static_cast<IndexOrder>(o);
      CHECK(show5(last, strip(last, view.datoms(order))) == show5(t.dbs[i], strip(t.dbs[i], t.dbs[i].datoms(order))));
    }
    // Only the :p/secret datom of txs 1..3 is missing from the views.
    CHECK(view.count() == t.dbs[i].count() - (i >= 1 && i <= 3 ? 1 : 0));
  }
  // Beyond the last tx: everything; before the first: nothing.
  CHECK(dumpAll(last.asOf(t.txs.back() + 10)) == dumpAll(last));
  CHECK(last.asOf(kTx0).datoms(IndexOrder::EAVT).empty());
  // asOf reads with components.
  Value c[] = {Value::integer(1)};
  CHECK(show3(last, last.asOf(t.txs[3]).datoms(IndexOrder::EAVT, c)) ==
        R"([[1 :p/aka "y"] [1 :p/aka "z"] [1 :p/name "A"] [1 :p/age 31]])");  // no :p/secret: noHistory
  // A view of a view cannot be transacted.
  Caught e = catchError([&] { last.asOf(t.txs[2]).transact(tx("[[:db/add 1 :p/age 1]]")); });
  CHECK(e.code == "invalid-input");
}

TEST_CASE("history: since", "[db][history]") {
  Timeline t = build();
  const Db& last = t.dbs.back();
  auto user = [&](const Db& v) {
    std::vector<Datom> out;
    for (const Datom& d : v.datoms(IndexOrder::EAVT))
      if (d.e < kTx0) out.push_back(d);
    return show5(last, out);
  };
  CHECK(user(last.since(t.txs[4])) == R"([[1 :p/aka "x" t6 true] [1 :p/name "A" t5 true] [1 :p/age 30 t5 true] [2 :p/friend 1 t5 true]])");
  CHECK(user(last.since(t.txs[5])) == R"([[1 :p/aka "x" t6 true]])");
  CHECK(user(last.since(t.txs[6])) == "[]");
  CHECK(user(last.since(kTx0)) == user(last));
}

TEST_CASE("history: asOfInstant and sinceInstant with explicit instants", "[db][history]") {
  Timeline t = build();  // tx i has instant i * 1000
  const Db& last = t.dbs.back();
  CHECK(dumpAll(last.asOfInstant(2500)) == dumpAll(last.asOf(t.txs[2])));
  CHECK(dumpAll(last.asOfInstant(2000)) == dumpAll(last.asOf(t.txs[2])));
  CHECK(dumpAll(last.asOfInstant(1999)) == dumpAll(last.asOf(t.txs[1])));
  CHECK(last.asOfInstant(500).datoms(IndexOrder::EAVT).empty());
  CHECK(dumpAll(last.asOfInstant(99999)) == dumpAll(last.asOf(t.txs.back())));
  CHECK(dumpAll(last.sinceInstant(4000)) == dumpAll(last.since(t.txs[4])));
  // The txInstant datoms hold the given instants.
  Value c[] = {Value::keyword("db/txInstant")};
  auto ds = last.datoms(IndexOrder::AEVT, c);
  REQUIRE(ds.size() == 6);
  for (size_t i = 0; i < ds.size(); ++i) {
    CHECK(ds[i].e == t.txs[i + 1]);
    CHECK(ds[i].v.asInstant() == static_cast<int64_t>((i + 1) * 1000));
  }
  // Instants never go backwards.
  TxOptions o;
  o.txInstantMs = 10;
  TxReport r = last.transact(tx("[[:db/add 1 :p/age 2]]"), o);
  Value c2[] = {Value::integer(r.tx), Value::keyword("db/txInstant")};
  CHECK(r.dbAfter.datoms(IndexOrder::EAVT, c2)[0].v.asInstant() == 6000);
}

TEST_CASE("history: keepHistory false keeps none", "[db][history]") {
  DbOptions o;
  o.keepHistory = false;
  Timeline t = build(o);
  const Db& last = t.dbs.back();
  CHECK_FALSE(last.keepHistory());
  CHECK(dumpAll(last.history()) == dumpAll(last));
  CHECK(hist(last, {Value::integer(1), Value::keyword("p/age")}) == "[[1 :p/age 30 t5 true]]");
  // asOf can only show what is still current.
  Value c[] = {Value::integer(1)};
  CHECK(show3(last, last.asOf(t.txs[3]).datoms(IndexOrder::EAVT, c)) == "[]");
  for (int i = 0; i < kIndexCount; ++i)
    CHECK(last.temporalTree(static_cast<IndexOrder>(i)).begin().valid() == false);
}
