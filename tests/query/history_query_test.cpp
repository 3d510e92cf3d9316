// Queries over asOf / since / history views, and the tx and added
// positions of patterns.
#include "query_test_util.h"

using namespace datalite;
using namespace datalite::qtest;

TEST_CASE("history: tx and added positions", "[query][history]") {
  Db db0 = Db::empty(read("{:email {:db/unique :db.unique/identity}}"));
  TxReport r1 = db0.transact(tx(R"([{:db/id 1 :name "Ivan" :age 15 :email "i@x"}])"));
  int64_t t1 = r1.dbAfter.maxTx();
  TxReport r2 = r1.dbAfter.transact(tx("[[:db/add 1 :age 16]]"));
  int64_t t2 = r2.dbAfter.maxTx();
  TxReport r3 = r2.dbAfter.transact(tx("[[:db/retract 1 :name \"Ivan\"]]"));
  int64_t t3 = r3.dbAfter.maxTx();
  Db now = r3.dbAfter;
  Db h = now.history();
  std::string T1 = std::to_string(t1), T2 = std::to_string(t2), T3 = std::to_string(t3);

  CHECK(S("[:find ?a ?t ?added :where [1 :age ?a ?t ?added]]", h) ==
        "[[15 " + T1 + " true] [15 " + T2 + " false] [16 " + T2 + " true]]");
  CHECK(S("[:find ?a ?added :where [1 :age ?a " + T2 + " ?added]]", h) == "[[15 false] [16 true]]");
  CHECK(S("[:find ?a :where [1 :age ?a _ false]]", h) == "[[15]]");
  CHECK(S("[:find ?a :where [1 :age ?a _ true]]", h) == "[[15] [16]]");
  CHECK(S("[:find ?n ?t :where [1 :name ?n ?t false]]", h) == "[[\"Ivan\" " + T3 + "]]");
  // The current db has only current datoms; tx binds the asserting tx.
  CHECK(S("[:find ?a ?t :where [1 :age ?a ?t]]", now) == "[[16 " + T2 + "]]");
  CHECK(S("[:find ?n :where [1 :name ?n]]", now) == "[]");
  // The tx entity is joinable.
  CHECK(S("[:find ?a :in $ ?t :where [?e :age ?a ?t]]", {D(h), V(Value::integer(t2))}) == "[[15] [16]]");
  // asOf / since.
  CHECK(S("[:find ?a :where [1 :age ?a]]", now.asOf(t1)) == "[[15]]");
  CHECK(S("[:find ?n :where [1 :name ?n]]", now.asOf(t2)) == "[[\"Ivan\"]]");
  CHECK(S("[:find ?a :where [1 :age ?a]]", now.since(t1)) == "[[16]]");
  CHECK(S("[:find ?e :where [?e :email]]", now.since(t1)) == "[]");
  // Lookup refs resolve against the view.
  CHECK(S("[:find ?a :where [[:email \"i@x\"] :age ?a]]", now.asOf(t1)) == "[[15]]");
  // Aggregates over history.
  CHECK(edn::print(Q("[:find (count ?t) . :where [1 :age _ ?t true]]", {D(h)})) == "2");
  // Current and history together.
  CHECK(S("[:find ?old :in $ $h :where [$ ?e :age ?a] [$h ?e :age ?old _ false]]", {D(now), D(h)}) == "[[15]]");
  CHECK(T1 != T2);
}
