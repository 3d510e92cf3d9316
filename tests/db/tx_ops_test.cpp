// Operation vectors: :db/add, :db/retract, :db/retractEntity, :db/cas and
// transaction functions.
#include <catch2/catch.hpp>

#include "datalite.h"
#include "db_test_util.h"

using namespace datalite;
using namespace datalite::testing;

namespace {

const char* kSchema = R"({:p/friend  {:db/valueType :db.type/ref :db/cardinality :db.cardinality/many}
  :p/spouse  {:db/valueType :db.type/ref}
  :p/child   {:db/valueType :db.type/ref :db/cardinality :db.cardinality/many :db/isComponent true}
  :p/profile {:db/valueType :db.type/ref :db/isComponent true}
  :p/email   {:db/unique :db.unique/identity}
  :p/aka     {:db/cardinality :db.cardinality/many}
  :p/name    {}
  :p/age     {}})";

Db base() { return Db::empty(read(kSchema)); }

int countAdded(const TxReport& r, bool added) {
  int n = 0;
  for (const Datom& d : r.txData)
    if (d.e < kTx0 && d.added == added) ++n;
  return n;
}

}  // namespace

TEST_CASE("ops: :db/add creates and updates", "[db][ops]") {
  Db db = base();
  TxReport r = db.transact(tx(R"([[:db/add -1 :p/name "Ivan"] [:db/add -1 :p/age 30] [:db/add "x" :p/name "X"]])"));
  CHECK(all(r.dbAfter) == R"([[1 :p/name "Ivan"] [1 :p/age 30] [2 :p/name "X"]])");
  CHECK(txData(r) == R"([[1 :p/name "Ivan" true] [1 :p/age 30 true] [2 :p/name "X" true]])");
  // String op names are accepted too (JS style).
  TxReport r2 = r.dbAfter.transact(tx(R"([["db/add" 1 ":p/age" 31]])"));
  CHECK(eavt(r2.dbAfter, 1) == R"([[1 :p/name "Ivan"] [1 :p/age 31]])");
}

TEST_CASE("ops: cardinality one replacement and idempotent re-assertion", "[db][ops]") {
  Db db = base().with(tx(R"([[:db/add 1 :p/age 30]])"));
  TxReport r = db.transact(tx(R"([[:db/add 1 :p/age 31]])"));
  CHECK(txData(r) == "[[1 :p/age 30 false] [1 :p/age 31 true]]");
  CHECK(all(r.dbAfter) == "[[1 :p/age 31]]");

  // Re-asserting the current value changes nothing: only the txInstant datom.
  TxReport same = r.dbAfter.transact(tx(R"([[:db/add 1 :p/age 31] {:db/id 1 :p/age 31}])"));
  CHECK(txData(same) == "[]");
  CHECK(same.txData.size() == 1);
  CHECK(all(same.dbAfter) == "[[1 :p/age 31]]");
  CHECK(same.dbAfter.maxTx() == r.dbAfter.maxTx() + 1);

  // Two values for a card-one attribute in one tx: the last one wins and the
  // report shows the net change (deviation: DataScript reports each step).
  TxReport two = r.dbAfter.transact(tx(R"([[:db/add 1 :p/age 40] [:db/add 1 :p/age 41]])"));
  CHECK(txData(two) == "[[1 :p/age 31 false] [1 :p/age 41 true]]");
  CHECK(all(two.dbAfter) == "[[1 :p/age 41]]");
}

TEST_CASE("ops: :db/retract of a value and of all values", "[db][ops]") {
  Db db = base().with(tx(R"([{:db/id 1 :p/name "A" :p/age 30 :p/aka ["x" "y" "z"] :p/email "a@x"}
                              {:db/id 2 :p/name "B" :p/friend [1 3]} {:db/id 3 :p/name "C"}])"));
  SECTION("one value") {
    TxReport r = db.transact(tx(R"([[:db/retract 1 :p/age 30] [:db/retract 1 :p/aka "y"]])"));
    CHECK(txData(r) == R"([[1 :p/age 30 false] [1 :p/aka "y" false]])");
    CHECK(eavt(r.dbAfter, 1) == R"([[1 :p/email "a@x"] [1 :p/aka "x"] [1 :p/aka "z"] [1 :p/name "A"]])");
  }
  SECTION("a value that is not there is a no-op") {
    TxReport r = db.transact(tx(R"([[:db/retract 1 :p/age 99] [:db/retract 1 :p/unknown 1] [:db/retract 77 :p/age 30]
                                     [:db/retract [:p/email "nobody"] :p/age 30]])"));
    CHECK(txData(r) == "[]");
    CHECK(all(r.dbAfter) == all(db));
  }
  SECTION("all values of an attribute") {
    TxReport r = db.transact(tx(R"([[:db/retract 1 :p/aka] [:db/retract 1 :p/age]])"));
    CHECK(countAdded(r, false) == 4);
    CHECK(eavt(r.dbAfter, 1) == R"([[1 :p/email "a@x"] [1 :p/name "A"]])");
    // Nothing left to retract: a no-op.
    CHECK(txData(r.dbAfter.transact(tx("[[:db/retract 1 :p/aka]]"))) == "[]");
  }
  SECTION("lookup ref entity and ref values") {
    TxReport r = db.transact(tx(R"([[:db/retract [:p/email "a@x"] :p/name "A"] [:db/retract 2 :p/friend [:p/email "a@x"]]])"));
    CHECK(txData(r) == R"([[1 :p/name "A" false] [2 :p/friend 1 false]])");
  }
  SECTION("reverse attribute in :db/retract") {
    TxReport r = db.transact(tx(R"([[:db/retract 3 :p/_friend 2]])"));
    CHECK(txData(r) == "[[2 :p/friend 3 false]]");
  }
  SECTION("retract and re-add the same datom in one tx is no change") {
    // Deviation: DataScript would report the retraction and the assertion.
    TxReport r = db.transact(tx(R"([[:db/retract 1 :p/name "A"] [:db/add 1 :p/name "A"]])"));
    CHECK(txData(r) == "[]");
    CHECK(all(r.dbAfter) == all(db));
    // Adding and retracting a new datom in one tx leaves nothing.
    TxReport r2 = db.transact(tx(R"([[:db/add 1 :p/aka "new"] [:db/retract 1 :p/aka "new"]])"));
    CHECK(txData(r2) == "[]");
  }
}

TEST_CASE("ops: :db/retractEntity removes datoms, refs, and components recursively", "[db][ops]") {
  Db db = base().with(tx(R"([{:db/id 1 :p/name "root" :p/child [2 3] :p/profile 4}
                              {:db/id 2 :p/name "c2" :p/child 5}
                              {:db/id 3 :p/name "c3"}
                              {:db/id 4 :p/name "prof"}
                              {:db/id 5 :p/name "gc" :p/friend 7}
                              {:db/id 6 :p/name "other" :p/friend [1 5 7] :p/spouse 1}
                              {:db/id 7 :p/name "plain" :p/email "p@x"}])"));
  for (const char* op : {":db/retractEntity", ":db.fn/retractEntity"}) {
    TxReport r = db.transact(tx(std::string("[[") + op + " 1]]"));
    CHECK(all(r.dbAfter) == R"([[6 :p/friend 7] [6 :p/name "other"] [7 :p/email "p@x"] [7 :p/name "plain"]])");
    CHECK(countAdded(r, false) == 13);
    CHECK(countAdded(r, true) == 0);
    Value c[] = {Value::integer(1)};
    CHECK(r.dbAfter.datoms(IndexOrder::VAET, c).empty());
  }
  SECTION("non-component refs are not followed") {
    TxReport r = db.transact(tx("[[:db/retractEntity 5]]"));
    CHECK(eavt(r.dbAfter, 7) == R"([[7 :p/email "p@x"] [7 :p/name "plain"]])");
    CHECK(eavt(r.dbAfter, 6) == R"([[6 :p/friend 1] [6 :p/friend 7] [6 :p/spouse 1] [6 :p/name "other"]])");
    CHECK(eavt(r.dbAfter, 2) == R"([[2 :p/name "c2"]])");
  }
  SECTION("by lookup ref and by ident") {
    TxReport r = db.transact(tx(R"([[:db/retractEntity [:p/email "p@x"]]])"));
    CHECK(eavt(r.dbAfter, 7) == "[]");
    CHECK(eavt(r.dbAfter, 5) == R"([[5 :p/name "gc"]])");
    Db d2 = db.with(tx(R"([{:db/id 8 :db/ident :thing/eight :p/name "8"}])"));
    TxReport r2 = d2.transact(tx("[[:db/retractEntity :thing/eight]]"));
    CHECK(eavt(r2.dbAfter, 8) == "[]");
  }
  SECTION("missing entity is a no-op") {
    TxReport r = db.transact(tx(R"([[:db/retractEntity 99] [:db/retractEntity [:p/email "none"]]])"));
    CHECK(txData(r) == "[]");
  }
  SECTION("sees datoms added earlier in the same tx") {
    TxReport r = db.transact(tx(R"([[:db/add 3 :p/age 5] [:db/add 6 :p/friend 3] [:db/retractEntity 3]])"));
    CHECK(eavt(r.dbAfter, 3) == "[]");
    CHECK(eavt(r.dbAfter, 6) == R"([[6 :p/friend 1] [6 :p/friend 5] [6 :p/friend 7] [6 :p/spouse 1] [6 :p/name "other"]])");
    // 2 loses its child ref to 3? No: 3 is a child of 1, so 1 loses the ref.
    CHECK(eavt(r.dbAfter, 1) == R"([[1 :p/child 2] [1 :p/profile 4] [1 :p/name "root"]])");
  }
  SECTION("component cycles terminate") {
    Db cyc = base().with(tx(R"([{:db/id 1 :p/child 2} {:db/id 2 :p/child 1 :p/name "two"}])"));
    TxReport r = cyc.transact(tx("[[:db/retractEntity 1]]"));
    CHECK(all(r.dbAfter) == "[]");
  }
}

TEST_CASE("ops: :db/cas", "[db][ops]") {
  Db db = base().with(tx(R"([{:db/id 1 :p/age 30 :p/aka ["x" "y"] :p/email "a@x"} {:db/id 2 :p/email "b@x" :p/spouse 1}])"));
  SECTION("success replaces the value") {
    TxReport r = db.transact(tx("[[:db/cas 1 :p/age 30 31]]"));
    CHECK(txData(r) == "[[1 :p/age 30 false] [1 :p/age 31 true]]");
    TxReport r2 = db.transact(tx("[[:db.fn/cas 1 :p/age 30 32]]"));
    CHECK(txData(r2) == "[[1 :p/age 30 false] [1 :p/age 32 true]]");
  }
  SECTION("failure") {
    expectTxError(db, "[[:db/cas 1 :p/age 29 31]]", "cas-failed", ":p/age");
    Caught c = catchError([&] { db.transact(tx("[[:db/cas 1 :p/age 29 31]]")); });
    CHECK_THAT(c.message, Catch::Matchers::Contains("30"));
    CHECK_THAT(c.message, Catch::Matchers::Contains("29"));
    // No value at all while one is expected.
    expectTxError(db, "[[:db/cas 1 :p/name \"x\" \"y\"]]", "cas-failed", ":p/name");
  }
  SECTION("nil old value means 'no value yet'") {
    TxReport r = db.transact(tx(R"([[:db/cas 1 :p/name nil "N"]])"));
    CHECK(txData(r) == R"([[1 :p/name "N" true]])");
    expectTxError(db, "[[:db/cas 1 :p/age nil 5]]", "cas-failed", ":p/age");
  }
  SECTION("cardinality many: old must be among the values; new is added") {
    TxReport r = db.transact(tx(R"([[:db/cas 1 :p/aka "x" "z"]])"));
    CHECK(txData(r) == R"([[1 :p/aka "z" true]])");
    CHECK(eavt(r.dbAfter, 1) == R"([[1 :p/email "a@x"] [1 :p/aka "x"] [1 :p/aka "y"] [1 :p/aka "z"] [1 :p/age 30]])");
    expectTxError(db, R"([[:db/cas 1 :p/aka "q" "z"]])", "cas-failed", ":p/aka");
  }
  SECTION("ref attribute with lookup refs; entity by lookup ref") {
    TxReport r = db.transact(tx(R"([[:db/cas [:p/email "b@x"] :p/spouse [:p/email "a@x"] [:p/email "b@x"]]])"));
    CHECK(txData(r) == "[[2 :p/spouse 1 false] [2 :p/spouse 2 true]]");
    expectTxError(db, R"([[:db/cas 2 :p/spouse 2 1]])", "cas-failed", ":p/spouse");
  }
  SECTION("cas sees earlier operations of the same tx") {
    TxReport r = db.transact(tx("[[:db/add 1 :p/age 40] [:db/cas 1 :p/age 40 41]]"));
    CHECK(txData(r) == "[[1 :p/age 30 false] [1 :p/age 41 true]]");
  }
  SECTION("bad arity") { expectTxError(db, "[[:db/cas 1 :p/age 30]]", "invalid-input", ":db/cas"); }
}

TEST_CASE("ops: transaction functions", "[db][ops]") {
  Db db = base().with(tx(R"([{:db/id 1 :p/age 30 :p/name "A"}])"));
  TxFunctionRegistry fns;
  fns["inc-age"] = [](const Db& d, std::span<const Value> args) {
    int64_t e = args[0].asLong();
    Value c[] = {Value::integer(e), Value::keyword("p/age")};
    auto ds = d.datoms(IndexOrder::EAVT, c);
    int64_t age = ds.empty() ? 0 : ds[0].v.asLong();
    return std::vector<Value>{Value::vector({Value::keyword("db/add"), Value::integer(e), Value::keyword("p/age"),
                                             Value::integer(age + args[1].asLong())})};
  };
  fns["my/person"] = [](const Db&, std::span<const Value> args) {
    return std::vector<Value>{read("{:db/id \"new\" :p/name " + edn::print(args[0]) + "}"),
                              read("[:inc-age 1 100]")};
  };
  fns["loop"] = [](const Db&, std::span<const Value>) { return std::vector<Value>{read("[:loop]")}; };
  fns["age-seen"] = [](const Db& d, std::span<const Value>) {
    // Functions see the db before the transaction (Datomic semantics).
    Value c[] = {Value::integer(1), Value::keyword("p/age")};
    return std::vector<Value>{Value::vector({Value::keyword("db/add"), Value::integer(2), Value::keyword("p/age"),
                                             d.datoms(IndexOrder::EAVT, c)[0].v})};
  };
  TxOptions opts;
  opts.functions = &fns;

  SECTION(":db.fn/call with a symbol, a keyword and a string name") {
    for (const char* f : {"inc-age", ":inc-age", "\"inc-age\""}) {
      TxReport r = db.transact(tx(std::string("[[:db.fn/call ") + f + " 1 5]]"), opts);
      CHECK(txData(r) == "[[1 :p/age 30 false] [1 :p/age 35 true]]");
    }
  }
  SECTION("[:my/fn args] form, nested calls, tempids from functions") {
    TxReport r = db.transact(tx(R"([[:my/person "Zed"]])"), opts);
    CHECK(all(r.dbAfter) == R"([[1 :p/name "A"] [1 :p/age 130] [2 :p/name "Zed"]])");
    CHECK(tempid(r, "new") == 2);
  }
  SECTION("functions see the db before the transaction") {
    TxReport r = db.transact(tx(R"([[:db/add 1 :p/age 50] [:age-seen]])"), opts);
    CHECK(all(r.dbAfter) == R"([[1 :p/name "A"] [1 :p/age 50] [2 :p/age 30]])");
  }
  SECTION("unknown functions") {
    expectTxError(db, "[[:db.fn/call nope 1]]", "not-found", "nope", opts);
    expectTxError(db, "[[:nope/op 1]]", "invalid-input", "nope/op", opts);
    expectTxError(db, "[[:inc-age 1 1]]", "invalid-input", "inc-age");  // no registry given
    expectTxError(db, "[[:db.fn/call 42]]", "invalid-input", "42", opts);
  }
  SECTION("unbounded recursion") { expectTxError(db, "[[:loop]]", "limit-exceeded", "", opts); }
  SECTION("exceptions thrown by a function abort the transaction") {
    TxFunctionRegistry bad;
    bad["boom"] = [](const Db&, std::span<const Value>) -> std::vector<Value> {
      raise(ErrorCode::InvalidInput, "boom happened");
    };
    TxOptions o2;
    o2.functions = &bad;
    expectTxError(db, "[[:db/add 1 :p/age 1] [:boom]]", "invalid-input", "boom happened", o2);
  }
}

TEST_CASE("ops: Connection registerFn and listeners", "[db][ops][connection]") {
  Connection conn = Connection::create(read(kSchema));
  conn.registerFn(":add-name", [](const Db&, std::span<const Value> args) {
    return std::vector<Value>{Value::vector({Value::keyword("db/add"), args[0], Value::keyword("p/name"), args[1]})};
  });
  std::vector<int64_t> seen;
  int token = conn.listen([&](const TxReport& r) { seen.push_back(r.tx); });
  TxReport r1 = conn.transact(tx(R"([[:add-name "x" "X"]])"));
  TxReport r2 = conn.transact(tx(R"([[:db.fn/call add-name 1 "Y"]])"));
  CHECK(all(conn.db()) == R"([[1 :p/name "Y"]])");
  CHECK(seen == std::vector<int64_t>{r1.tx, r2.tx});
  conn.unlisten(token);
  conn.transact(tx(R"([[:db/add 1 :p/age 1]])"));
  CHECK(seen.size() == 2);
}
