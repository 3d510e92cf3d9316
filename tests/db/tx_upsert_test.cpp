// Tempids, explicit ids, lookup refs, idents, upserts and uniqueness.
#include <catch2/catch.hpp>

#include "datalite.h"
#include "db_test_util.h"

using namespace datalite;
using namespace datalite::testing;

namespace {

// ids: friend 13, spouse 14, email 15, ssn 16, code 17, made 18, name 19, age 20
const char* kSchema = R"({:p/friend {:db/valueType :db.type/ref :db/cardinality :db.cardinality/many}
  :p/spouse {:db/valueType :db.type/ref}
  :p/email  {:db/unique :db.unique/identity}
  :p/ssn    {:db/unique :db.unique/identity}
  :p/code   {:db/unique :db.unique/value}
  :p/made   {:db/valueType :db.type/ref}
  :p/name   {}
  :p/age    {}})";

Db base() { return Db::empty(read(kSchema)); }

}  // namespace

TEST_CASE("tempids: negative numbers and strings unify across the tx", "[db][tempids]") {
  Db db = base();
  TxReport r = db.transact(tx(R"([{:db/id -1 :p/name "A"} [:db/add -1 :p/age 3]
                                   {:db/id "x" :p/friend -1} [:db/add "x" :p/name "X"]
                                   {:db/id -2 :p/spouse "x"}])"));
  CHECK(all(r.dbAfter) == R"([[1 :p/name "A"] [1 :p/age 3] [2 :p/friend 1] [2 :p/name "X"] [3 :p/spouse 2]])");
  CHECK(tempidKey(r, "-1") == 1);
  CHECK(tempid(r, "x") == 2);
  CHECK(tempidKey(r, "-2") == 3);
  CHECK(tempidKey(r, ":db/current-tx") == r.tx);
  CHECK(r.tempids.size() == 4);
  CHECK(r.tx == kTx0 + 1);
  CHECK(r.dbAfter.maxEid() == 3);
}

TEST_CASE("tempids: a tempid used only as a value is an error", "[db][tempids]") {
  Db db = base();
  expectTxError(db, R"([{:db/id 1 :p/friend "ghost"}])", "invalid-input", "ghost");
  expectTxError(db, R"([[:db/add 1 :p/spouse -7]])", "invalid-input", "-7");
}

TEST_CASE("tempids: :db/current-tx and datomic.tx name the transaction", "[db][tempids]") {
  Db db = base();
  TxReport r = db.transact(tx(R"([{:db/id :db/current-tx :tx/source "import"}
                                   [:db/add "datomic.tx" :tx/user "bob"]
                                   {:db/id -1 :p/name "A" :p/made :db/current-tx}
                                   [:db/add -1 :p/spouse "datomic.tx"]])"));
  Value c[] = {Value::integer(r.tx)};
  auto txDatoms = r.dbAfter.datoms(IndexOrder::EAVT, c);
  REQUIRE(txDatoms.size() == 3);
  CHECK(r.dbAfter.attrIdent(txDatoms[0].a).str() == "db/txInstant");
  CHECK(show3(r.dbAfter, {txDatoms[1], txDatoms[2]}) ==
        "[[" + std::to_string(r.tx) + R"( :tx/source "import"] [)" + std::to_string(r.tx) + R"( :tx/user "bob"]])");
  CHECK(eavt(r.dbAfter, 1) == "[[1 :p/spouse " + std::to_string(r.tx) + "] [1 :p/made " + std::to_string(r.tx) +
                                  R"(] [1 :p/name "A"]])");
  // Tx ids do not count as entity ids.
  CHECK(r.dbAfter.maxEid() == 1);
}

TEST_CASE("tempids: tx metadata through TxOptions", "[db][tempids]") {
  Db db = base();
  TxOptions o;
  o.txMeta = read(R"({:tx/source "meta" :tx/n 2})");
  TxReport r = db.transact(tx(R"([[:db/add -1 :p/name "A"]])"), o);
  Value c[] = {Value::integer(r.tx), Value::keyword("tx/source")};
  CHECK(show3(r.dbAfter, r.dbAfter.datoms(IndexOrder::EAVT, c)) == "[[" + std::to_string(r.tx) + R"( :tx/source "meta"]])");
  o.txMeta = read("[1 2]");
  expectTxError(db, R"([[:db/add -1 :p/name "A"]])", "invalid-input", "[1 2]", o);
}

TEST_CASE("tempids: explicit entity ids create and update; maxEid grows", "[db][tempids]") {
  Db db = base();
  TxReport r = db.transact(tx(R"([{:db/id 100 :p/name "hundred"} [:db/add 5 :p/age 1]])"));
  CHECK(r.dbAfter.maxEid() == 100);
  CHECK(all(r.dbAfter) == R"([[5 :p/age 1] [100 :p/name "hundred"]])");
  TxReport r2 = r.dbAfter.transact(tx(R"([{:db/id "n" :p/name "next"} {:db/id 100 :p/age 7}])"));
  CHECK(tempid(r2, "n") == 101);
  CHECK(eavt(r2.dbAfter, 100) == R"([[100 :p/name "hundred"] [100 :p/age 7]])");
  // An explicit id only used as a ref value does not grow maxEid (DataScript).
  TxReport r3 = r2.dbAfter.transact(tx(R"([[:db/add 5 :p/spouse 500]])"));
  CHECK(r3.dbAfter.maxEid() == 101);
  // Bad ids.
  expectTxError(db, R"([{:db/id 0 :p/name "zero"}])", "invalid-input", "0");
  expectTxError(db, R"([{:db/id 1.5 :p/name "x"}])", "invalid-input", "1.5");
  expectTxError(db, R"([{:db/id 9007199254740993 :p/name "x"}])", "invalid-input", "9007199254740993");
  expectTxError(db, R"([{:db/id {:a 1} :p/name "x"}])", "invalid-input", ":db/id");
}

TEST_CASE("tempids: lookup refs and idents in entity and value position", "[db][tempids]") {
  Db db = base().with(tx(R"([{:db/id 1 :p/email "a@x"} {:db/id 2 :db/ident :color/red} {:db/id 3 :p/ssn "123"}])"));
  TxReport r = db.transact(tx(R"([[:db/add [:p/email "a@x"] :p/name "A"]
                                   {:db/id :color/red :p/name "Red"}
                                   [:db/add [:p/ssn "123"] :p/spouse [:p/email "a@x"]]
                                   {:db/id [:p/ssn "123"] :p/friend [:color/red [:p/email "a@x"]]}
                                   [:db/add 1 :p/made :color/red]])"));
  CHECK(all(r.dbAfter) == R"([[1 :p/email "a@x"] [1 :p/made 2] [1 :p/name "A"] [2 :db/ident :color/red] [2 :p/name "Red"] [3 :p/friend 1] [3 :p/friend 2] [3 :p/spouse 1] [3 :p/ssn "123"]])");
  SECTION("a lookup ref to a value asserted earlier in the same tx") {
    TxReport r2 = db.transact(tx(R"([[:db/add -1 :p/email "z@x"] [:db/add [:p/email "z@x"] :p/age 3]])"));
    CHECK(all(r2.dbAfter).find(R"([4 :p/email "z@x"] [4 :p/age 3])") != std::string::npos);
  }
  SECTION("missing targets") {
    expectTxError(db, R"([[:db/add [:p/email "none"] :p/age 1]])", "not-found", "none");
    expectTxError(db, R"([[:db/add :color/blue :p/age 1]])", "not-found", ":color/blue");
    expectTxError(db, R"([[:db/add 1 :p/spouse [:p/email "none"]]])", "not-found", "none");
    expectTxError(db, R"([[:db/add 1 :p/spouse :color/blue]])", "not-found", ":color/blue");
    expectTxError(db, R"([{:db/id [:p/email "none"] :p/age 1}])", "not-found", "none");
  }
  SECTION("lookup ref on a non-unique attribute") {
    expectTxError(db, R"([[:db/add [:p/name "A"] :p/age 1]])", "invalid-input", ":p/name");
  }
}

TEST_CASE("upsert: identity value updates the existing entity", "[db][upsert]") {
  Db db = base().with(tx(R"([{:db/id 1 :p/email "a@x" :p/name "A" :p/age 30}])"));
  SECTION("map without :db/id") {
    TxReport r = db.transact(tx(R"([{:p/email "a@x" :p/age 31}])"));
    CHECK(all(r.dbAfter) == R"([[1 :p/email "a@x"] [1 :p/name "A"] [1 :p/age 31]])");
    CHECK(txData(r) == "[[1 :p/age 30 false] [1 :p/age 31 true]]");
    CHECK(r.dbAfter.maxEid() == 1);
  }
  SECTION("tempid resolves to the existing entity and is reported") {
    TxReport r = db.transact(tx(R"([{:db/id "t" :p/email "a@x" :p/name "B"} {:p/name "C" :p/friend "t"}])"));
    CHECK(tempid(r, "t") == 1);
    CHECK(all(r.dbAfter) == R"([[1 :p/email "a@x"] [1 :p/name "B"] [1 :p/age 30] [2 :p/friend 1] [2 :p/name "C"]])");
  }
  SECTION("upsert through op vectors") {
    TxReport r = db.transact(tx(R"([[:db/add -5 :p/email "a@x"] [:db/add -5 :p/age 40]])"));
    CHECK(tempidKey(r, "-5") == 1);
    CHECK(txData(r) == "[[1 :p/age 30 false] [1 :p/age 40 true]]");
  }
  SECTION("explicit id that already holds the value") {
    TxReport r = db.transact(tx(R"([{:db/id 1 :p/email "a@x" :p/age 2}])"));
    CHECK(txData(r) == "[[1 :p/age 30 false] [1 :p/age 2 true]]");
  }
  SECTION(":db/ident upserts too") {
    Db d = db.with(tx(R"([{:db/ident :color/red}])"));
    TxReport r = d.transact(tx(R"([{:db/ident :color/red :p/name "Red"}])"));
    CHECK(eavt(r.dbAfter, 2) == R"([[2 :db/ident :color/red] [2 :p/name "Red"]])");
  }
}

TEST_CASE("upsert: two tempids with the same new identity value are one entity", "[db][upsert]") {
  Db db = base();
  TxReport r = db.transact(tx(R"([{:db/id "a" :p/email "n@x" :p/name "A"} {:db/id "b" :p/email "n@x" :p/age 1}
                                   {:db/id "c" :p/friend ["a" "b"]}])"));
  CHECK(tempid(r, "a") == 1);
  CHECK(tempid(r, "b") == 1);
  CHECK(tempid(r, "c") == 2);
  CHECK(all(r.dbAfter) == R"([[1 :p/email "n@x"] [1 :p/name "A"] [1 :p/age 1] [2 :p/friend 1]])");
  // Two maps without :db/id.
  TxReport r2 = db.transact(tx(R"([{:p/email "n@x" :p/name "A"} {:p/email "n@x" :p/age 1}])"));
  CHECK(all(r2.dbAfter) == R"([[1 :p/email "n@x"] [1 :p/name "A"] [1 :p/age 1]])");
}

TEST_CASE("upsert: conflicts", "[db][upsert]") {
  Db db = base().with(tx(R"([{:db/id 1 :p/email "a@x" :p/ssn "1"} {:db/id 2 :p/email "b@x" :p/ssn "2"}])"));
  SECTION("one tempid, two identity values of different entities") {
    expectTxError(db, R"([{:db/id "t" :p/email "a@x" :p/ssn "2"}])", "unique-conflict", "");
    expectTxError(db, R"([{:p/email "a@x" :p/ssn "2"}])", "unique-conflict", "");
  }
  SECTION("explicit id whose identity value belongs to another entity") {
    Caught c = expectTxError(db, R"([{:db/id 2 :p/email "a@x"}])", "unique-conflict", ":p/email");
    CHECK_THAT(c.message, Catch::Matchers::Contains("a@x"));
  }
  SECTION("explicit new entity with an existing identity value") {
    expectTxError(db, R"([[:db/add 3 :p/email "b@x"]])", "unique-conflict", "b@x");
  }
  SECTION("an identity value plus a new value of the other identity is fine") {
    TxReport r = db.transact(tx(R"([{:p/email "a@x" :p/ssn "9"}])"));
    CHECK(eavt(r.dbAfter, 1) == R"([[1 :p/email "a@x"] [1 :p/ssn "9"]])");
  }
}

TEST_CASE("unique value: conflicts and moves", "[db][unique]") {
  Db db = base().with(tx(R"([{:db/id 1 :p/code "c"} {:db/id 2 :p/code "d"}])"));
  SECTION("no upsert on :db.unique/value") {
    Caught c = expectTxError(db, R"([{:p/code "c" :p/name "x"}])", "unique-conflict", ":p/code");
    CHECK_THAT(c.message, Catch::Matchers::Contains("\"c\""));
    expectTxError(db, R"([[:db/add 2 :p/code "c"]])", "unique-conflict", ":p/code");
  }
  SECTION("two new entities with the same value in one tx") {
    expectTxError(db, R"([{:p/code "e"} {:p/code "e"}])", "unique-conflict", "\"e\"");
  }
  SECTION("moving a value from one entity to another in one tx") {
    TxReport r = db.transact(tx(R"([[:db/retract 1 :p/code "c"] [:db/add 3 :p/code "c"]])"));
    CHECK(all(r.dbAfter) == R"([[2 :p/code "d"] [3 :p/code "c"]])");
    // Order does not matter: uniqueness is checked on the final state.
    TxReport r2 = db.transact(tx(R"([[:db/add 3 :p/code "c"] [:db/retract 1 :p/code "c"]])"));
    CHECK(all(r2.dbAfter) == all(r.dbAfter));
  }
  SECTION("swapping values through card-one replacement") {
    TxReport r = db.transact(tx(R"([[:db/add 1 :p/code "d"] [:db/add 2 :p/code "c"]])"));
    CHECK(all(r.dbAfter) == R"([[1 :p/code "d"] [2 :p/code "c"]])");
  }
  SECTION("moving an identity value") {
    Db d = base().with(tx(R"([{:db/id 1 :p/email "a@x"}])"));
    TxReport r = d.transact(tx(R"([[:db/retract 1 :p/email "a@x"] [:db/add 2 :p/email "a@x"]])"));
    CHECK(all(r.dbAfter) == R"([[2 :p/email "a@x"]])");
    CHECK(r.dbAfter.entid(read(R"([:p/email "a@x"])")) == 2);
  }
  SECTION("retractEntity frees the value") {
    TxReport r = db.transact(tx(R"([[:db/retractEntity 1] {:p/code "c"}])"));
    CHECK(all(r.dbAfter) == R"([[2 :p/code "d"] [3 :p/code "c"]])");
  }
}
