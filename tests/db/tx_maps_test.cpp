// Entity maps: plain, nested, components, reverse refs, multi values.
#include <catch2/catch.hpp>

#include "datalite.h"
#include "db_test_util.h"

using namespace datalite;
using namespace datalite::testing;

namespace {

// Attribute ids follow this order: friend 13, spouse 14, child 15, profile 16,
// email 17, aka 18, name 19, age 20, pair 21, pairs 22.
const char* kSchema = R"({:p/friend  {:db/valueType :db.type/ref :db/cardinality :db.cardinality/many}
  :p/spouse  {:db/valueType :db.type/ref}
  :p/child   {:db/valueType :db.type/ref :db/cardinality :db.cardinality/many :db/isComponent true}
  :p/profile {:db/valueType :db.type/ref :db/isComponent true}
  :p/email   {:db/unique :db.unique/identity}
  :p/aka     {:db/cardinality :db.cardinality/many}
  :p/name    {}
  :p/age     {}
  :p/pair    {:db/valueType :db.type/tuple :db/tupleType :db.type/long}
  :p/pairs   {:db/valueType :db.type/tuple :db/tupleType :db.type/long :db/cardinality :db.cardinality/many}})";

Db base() { return Db::empty(read(kSchema)); }

}  // namespace

TEST_CASE("maps: plain entity map with tempid, without :db/id, explicit id", "[db][maps]") {
  Db db = base();
  TxReport r = db.transact(tx(R"([{:db/id -1 :p/name "Ivan" :p/age 30}])"));
  CHECK(all(r.dbAfter) == R"([[1 :p/name "Ivan"] [1 :p/age 30]])");
  CHECK(txData(r) == R"([[1 :p/name "Ivan" true] [1 :p/age 30 true]])");
  CHECK(tempidKey(r, "-1") == 1);
  CHECK(r.dbAfter.maxEid() == 1);

  // No :db/id: a new entity.
  TxReport r2 = r.dbAfter.transact(tx(R"([{:p/name "Petr"} {:p/name "Oleg"}])"));
  CHECK(all(r2.dbAfter) == R"([[1 :p/name "Ivan"] [1 :p/age 30] [2 :p/name "Petr"] [3 :p/name "Oleg"]])");
  CHECK(r2.dbAfter.maxEid() == 3);
  // Auto tempids are not reported; :db/current-tx is.
  CHECK(r2.tempids.size() == 1);
  CHECK(tempidKey(r2, ":db/current-tx") == r2.tx);

  // Explicit id: updates the existing entity (card-one replaced).
  TxReport r3 = r2.dbAfter.transact(tx(R"([{:db/id 1 :p/age 31}])"));
  CHECK(eavt(r3.dbAfter, 1) == R"([[1 :p/name "Ivan"] [1 :p/age 31]])");
  CHECK(txData(r3) == R"([[1 :p/age 30 false] [1 :p/age 31 true]])");
  // The db before is untouched.
  CHECK(eavt(r2.dbAfter, 1) == R"([[1 :p/name "Ivan"] [1 :p/age 30]])");
}

TEST_CASE("maps: a map with only :db/id adds nothing", "[db][maps]") {
  Db db = base();
  TxReport r = db.transact(tx(R"([{:db/id 7}])"));
  CHECK(all(r.dbAfter) == "[]");
  CHECK(txData(r) == "[]");
}

TEST_CASE("maps: nested map under a ref attribute creates a child", "[db][maps]") {
  Db db = base();
  TxReport r = db.transact(tx(R"([{:db/id "a" :p/name "A" :p/spouse {:p/name "B"}}])"));
  CHECK(all(r.dbAfter) == R"([[1 :p/spouse 2] [1 :p/name "A"] [2 :p/name "B"]])");
  CHECK(tempid(r, "a") == 1);

  // Card-many ref: a vector of nested maps is several children.
  TxReport r2 = r.dbAfter.transact(tx(R"([{:db/id 1 :p/friend [{:p/name "X"} {:p/name "Y"}]}])"));
  CHECK(eavt(r2.dbAfter, 1) == R"([[1 :p/friend 3] [1 :p/friend 4] [1 :p/spouse 2] [1 :p/name "A"]])");
  CHECK(eavt(r2.dbAfter, 3) == R"([[3 :p/name "X"]])");
  CHECK(eavt(r2.dbAfter, 4) == R"([[4 :p/name "Y"]])");
  // A single nested map under a card-many ref.
  TxReport r3 = r2.dbAfter.transact(tx(R"([{:db/id 2 :p/friend {:p/name "Z"}}])"));
  CHECK(eavt(r3.dbAfter, 2) == R"([[2 :p/friend 5] [2 :p/name "B"]])");
}

TEST_CASE("maps: nested map with its own :db/id", "[db][maps]") {
  Db db = base();
  SECTION("tempid shared with a top-level map") {
    TxReport r = db.transact(tx(R"([{:db/id "a" :p/spouse {:db/id "b" :p/name "B"}}
                                     {:db/id "b" :p/age 3}])"));
    CHECK(all(r.dbAfter) == R"([[1 :p/spouse 2] [2 :p/name "B"] [2 :p/age 3]])");
    CHECK(tempid(r, "b") == 2);
  }
  SECTION("existing entity id updates it") {
    Db d1 = db.with(tx(R"([{:db/id 1 :p/name "One"}])"));
    TxReport r = d1.transact(tx(R"([{:p/name "Two" :p/spouse {:db/id 1 :p/age 9}}])"));
    CHECK(all(r.dbAfter) == R"([[1 :p/name "One"] [1 :p/age 9] [2 :p/spouse 1] [2 :p/name "Two"]])");
  }
  SECTION("lookup ref as nested :db/id") {
    Db d1 = db.with(tx(R"([{:p/email "e@x" :p/name "E"}])"));
    TxReport r = d1.transact(tx(R"([{:p/name "F" :p/spouse {:db/id [:p/email "e@x"] :p/age 1}}])"));
    CHECK(all(r.dbAfter) == R"([[1 :p/email "e@x"] [1 :p/name "E"] [1 :p/age 1] [2 :p/spouse 1] [2 :p/name "F"]])");
  }
  SECTION("nested map upserts through a unique identity") {
    Db d1 = db.with(tx(R"([{:p/email "e@x" :p/name "E"}])"));
    TxReport r = d1.transact(tx(R"([{:p/name "F" :p/spouse {:p/email "e@x" :p/age 1}}])"));
    CHECK(all(r.dbAfter) == R"([[1 :p/email "e@x"] [1 :p/name "E"] [1 :p/age 1] [2 :p/spouse 1] [2 :p/name "F"]])");
  }
}

TEST_CASE("maps: nested map under a non-ref attribute is rejected", "[db][maps]") {
  Db db = base();
  expectTxError(db, R"([{:p/name {:p/age 1}}])", "invalid-input", ":p/name");
}

TEST_CASE("maps: components, single and many, multi-level", "[db][maps]") {
  Db db = base();
  TxReport r = db.transact(tx(R"([{:db/id "p" :p/name "P"
                                   :p/profile {:p/name "prof"}
                                   :p/child [{:p/name "c1" :p/child {:p/name "gc"}} {:p/name "c2"}]}])"));
  CHECK(all(r.dbAfter) ==
        R"([[1 :p/child 3] [1 :p/child 5] [1 :p/profile 2] [1 :p/name "P"] [2 :p/name "prof"] [3 :p/child 4] [3 :p/name "c1"] [4 :p/name "gc"] [5 :p/name "c2"]])");
}

TEST_CASE("maps: reverse references", "[db][maps]") {
  Db db = base();
  SECTION("single tempid value") {
    TxReport r = db.transact(tx(R"([{:db/id "b" :p/name "B" :p/_friend "a"} {:db/id "a" :p/name "A"}])"));
    CHECK(all(r.dbAfter) == R"([[1 :p/name "B"] [2 :p/friend 1] [2 :p/name "A"]])");
    CHECK(txData(r) == R"([[1 :p/name "B" true] [2 :p/friend 1 true] [2 :p/name "A" true]])");
  }
  SECTION("several values in a vector and in a set") {
    Db d1 = db.with(tx(R"([{:db/id 1 :p/name "A"} {:db/id 2 :p/name "C"}])"));
    TxReport r = d1.transact(tx(R"([{:db/id "b" :p/name "B" :p/_friend [1 2]}])"));
    CHECK(all(r.dbAfter) == R"([[1 :p/friend 3] [1 :p/name "A"] [2 :p/friend 3] [2 :p/name "C"] [3 :p/name "B"]])");
    TxReport r2 = d1.transact(tx(R"([{:db/id "b" :p/name "B" :p/_friend #{1 2}}])"));
    CHECK(all(r2.dbAfter) == all(r.dbAfter));
  }
  SECTION("lookup ref value is one reference") {
    Db d1 = db.with(tx(R"([{:db/id 1 :p/email "a@x"}])"));
    TxReport r = d1.transact(tx(R"([{:p/name "B" :p/_friend [:p/email "a@x"]}])"));
    CHECK(all(r.dbAfter) == R"([[1 :p/friend 2] [1 :p/email "a@x"] [2 :p/name "B"]])");
  }
  SECTION("nested map value") {
    TxReport r = db.transact(tx(R"([{:p/name "B" :p/_friend {:p/name "A"}}])"));
    CHECK(all(r.dbAfter) == R"([[1 :p/name "B"] [2 :p/friend 1] [2 :p/name "A"]])");
    TxReport r2 = db.transact(tx(R"([{:p/name "B" :p/_friend [{:p/name "A"} {:p/name "C"}]}])"));
    CHECK(all(r2.dbAfter) == R"([[1 :p/name "B"] [2 :p/friend 1] [2 :p/name "A"] [3 :p/friend 1] [3 :p/name "C"]])");
  }
  SECTION("card-one reverse ref") {
    Db d1 = db.with(tx(R"([{:db/id 1 :p/name "A"}])"));
    TxReport r = d1.transact(tx(R"([{:db/id "b" :p/name "B" :p/_spouse 1}])"));
    CHECK(all(r.dbAfter) == R"([[1 :p/spouse 2] [1 :p/name "A"] [2 :p/name "B"]])");
  }
  SECTION("reverse name of a non-ref attribute is rejected") {
    expectTxError(db, R"([{:p/name "B" :p/_name 1}])", "schema-violation", ":p/_name");
    expectTxError(db, R"([{:p/name "B" :p/_unknown 1}])", "schema-violation", ":p/_unknown");
  }
}

TEST_CASE("maps: cardinality-many values as vectors and sets", "[db][maps]") {
  Db db = base();
  TxReport r = db.transact(tx(R"([{:db/id 1 :p/aka ["x" "y" "x"]} {:db/id 2 :p/aka #{"z" "w"}} {:db/id 3 :p/aka "v"}])"));
  CHECK(all(r.dbAfter) ==
        R"([[1 :p/aka "x"] [1 :p/aka "y"] [2 :p/aka "w"] [2 :p/aka "z"] [3 :p/aka "v"]])");
  // Duplicates inside one tx are one datom.
  CHECK(r.txData.size() == 6);  // five values and the txInstant
  // Adding more values keeps the old ones (no replacement for card-many).
  TxReport r2 = r.dbAfter.transact(tx(R"([{:db/id 1 :p/aka ["y" "q"]}])"));
  CHECK(eavt(r2.dbAfter, 1) == R"([[1 :p/aka "q"] [1 :p/aka "x"] [1 :p/aka "y"]])");
  CHECK(txData(r2) == R"([[1 :p/aka "q" true]])");
}

TEST_CASE("maps: card-many ref with a lookup ref vs a vector of refs", "[db][maps]") {
  Db db = base().with(tx(R"([{:db/id 1 :p/email "a@x"} {:db/id 2 :p/email "b@x"} {:db/id 3 :p/email "c@x"}])"));
  TxReport r = db.transact(tx(R"([{:db/id 4 :p/friend [:p/email "a@x"]}])"));
  CHECK(eavt(r.dbAfter, 4) == "[[4 :p/friend 1]]");
  TxReport r2 = db.transact(tx(R"([{:db/id 4 :p/friend [2 3]}])"));
  CHECK(eavt(r2.dbAfter, 4) == "[[4 :p/friend 2] [4 :p/friend 3]]");
  TxReport r3 = db.transact(tx(R"([{:db/id 4 :p/friend [[:p/email "a@x"] [:p/email "c@x"]]}])"));
  CHECK(eavt(r3.dbAfter, 4) == "[[4 :p/friend 1] [4 :p/friend 3]]");
  TxReport r4 = db.transact(tx(R"([{:db/id 4 :p/friend #{[:p/email "b@x"] 1}}])"));
  CHECK(eavt(r4.dbAfter, 4) == "[[4 :p/friend 1] [4 :p/friend 2]]");
  // Card-one ref with a lookup ref value.
  TxReport r5 = db.transact(tx(R"([{:db/id 4 :p/spouse [:p/email "b@x"]}])"));
  CHECK(eavt(r5.dbAfter, 4) == "[[4 :p/spouse 2]]");
}

TEST_CASE("maps: tuples vs multi values", "[db][maps]") {
  Db db = base();
  // Untyped card-one: a vector is one tuple value.
  TxReport r = db.transact(tx(R"([{:db/id 1 :p/age [1 2]}])"));
  CHECK(all(r.dbAfter) == "[[1 :p/age [1 2]]]");
  // Untyped card-many: a vector is several values.
  TxReport r2 = db.transact(tx(R"([{:db/id 1 :p/aka [1 2]}])"));
  CHECK(all(r2.dbAfter) == "[[1 :p/aka 1] [1 :p/aka 2]]");
  // Typed tuple card-one.
  TxReport r3 = db.transact(tx(R"([{:db/id 1 :p/pair [1 2]}])"));
  CHECK(all(r3.dbAfter) == "[[1 :p/pair [1 2]]]");
  // Typed tuple card-many: a vector of vectors is several tuples, a flat vector one.
  TxReport r4 = db.transact(tx(R"([{:db/id 1 :p/pairs [[1 2] [3 4]]} {:db/id 2 :p/pairs [5 6]}])"));
  CHECK(all(r4.dbAfter) == "[[1 :p/pairs [1 2]] [1 :p/pairs [3 4]] [2 :p/pairs [5 6]]]");
}
