// Error codes, messages naming the input, atomicity, and Connection behaviour.
#include <catch2/catch.hpp>

#include "datalite.h"
#include "db_test_util.h"

using namespace datalite;
using namespace datalite::testing;

namespace {

const char* kSchema = R"({:p/friend {:db/valueType :db.type/ref :db/cardinality :db.cardinality/many}
  :p/email  {:db/unique :db.unique/identity}
  :p/code   {:db/unique :db.unique/value}
  :p/age    {:db/valueType :db.type/long}
  :p/name   {}})";

Db sample() {
  return Db::empty(read(kSchema)).with(tx(R"([{:db/id 1 :p/email "a@x" :p/code "c1" :p/age 30 :p/name "A"}
                                               {:db/id 2 :p/email "b@x" :p/name "B" :p/friend 1}])"));
}

}  // namespace

TEST_CASE("errors: parse-error from bad EDN", "[db][errors]") {
  for (const char* bad : {"[{:db/id 1 :p/name \"x\"", "[[:db/add 1 :p/name #inst \"nope\"]]", "{:a}", "[1 2))"}) {
    INFO(bad);
    Caught c = catchError([&] { Db::empty().transact(tx(bad)); });
    CHECK(c.code == "parse-error");
    CHECK_FALSE(c.message.empty());
  }
}

TEST_CASE("errors: a float attribute refuses finite doubles beyond the float range", "[db][errors]") {
  Db db = Db::empty(read("{:p/f {:db/valueType :db.type/float}}"));
  for (const char* bad : {"[[:db/add 1 :p/f 1e300]]", "[[:db/add 1 :p/f -3.5e38]]"}) {
    INFO(bad);
    CHECK(catchError([&] { db.transact(tx(bad)); }).code == "type-mismatch");
  }
  Db ok = db.with(tx("[[:db/add 1 :p/f 3.0e38] [:db/add 2 :p/f ##Inf] [:db/add 3 :p/f 1.5]]"));
  CHECK(ok.datoms(IndexOrder::EAVT).size() == 4);  // three values and the tx instant
}

TEST_CASE("errors: invalid-input for bad tx-data shapes", "[db][errors]") {
  Db db = sample();
  expectTxError(db, "[[:db/frob 1 :p/name 1]]", "invalid-input", "db/frob");
  expectTxError(db, "[[1 2 3]]", "invalid-input", "[1 2 3]");
  expectTxError(db, "[\"just a string\"]", "invalid-input", "just a string");
  expectTxError(db, "[42]", "invalid-input", "42");
  expectTxError(db, "[[]]", "invalid-input", "[]");
  expectTxError(db, "[[:db/add 1 :p/name]]", "invalid-input", ":db/add");
  expectTxError(db, "[[:db/add 1 :p/name 1 2]]", "invalid-input", ":db/add");
  expectTxError(db, "[[:db/retract 1]]", "invalid-input", ":db/retract");
  expectTxError(db, "[[:db/retractEntity]]", "invalid-input", ":db/retractEntity");
  expectTxError(db, "[[:db/add 1 5 6]]", "invalid-input", "5");
  expectTxError(db, "[[:db/add \"\" :p/name 1] [:db/add 1 \"\" 2]]", "invalid-input", "");
  expectTxError(db, "[[:db/add -1 :p/name {:a 1}]]", "invalid-input", ":db/add");
  expectTxError(db, "[[:db/add 0 :p/name \"x\"]]", "invalid-input", "0");
  expectTxError(db, "[[:db/add true :p/name \"x\"]]", "invalid-input", "true");
  expectTxError(db, "[[:db/add 1 :p/name nil]]", "invalid-input", ":p/name");
  expectTxError(db, "[{:db/id 1 :p/name nil}]", "invalid-input", ":p/name");
}

TEST_CASE("errors: each core error code, message and atomicity", "[db][errors]") {
  Db db = sample();
  // Every error below comes after valid operations that must not leak.
  const std::string prefix = R"([{:db/id 1 :p/name "changed"} [:db/add 9 :p/name "new"] )";
  expectTxError(db, prefix + R"({:db/id 3 :p/code "c1"}])", "unique-conflict", "c1");
  expectTxError(db, prefix + R"({:db/id 3 :p/email "a@x"}])", "unique-conflict", "a@x");
  expectTxError(db, prefix + R"([:db/add 3 :p/age "old"]])", "type-mismatch", "\"old\"");
  expectTxError(db, prefix + R"([:db/cas 1 :p/age 1 2]])", "cas-failed", ":p/age");
  expectTxError(db, prefix + R"([:db/add [:p/email "zz@x"] :p/age 1]])", "not-found", "zz@x");
  expectTxError(db, prefix + R"([:db/add 3 :p/friend :no/such]])", "not-found", ":no/such");
  expectTxError(db, prefix + R"({:db/ident :p/age :db/valueType :db.type/string}])", "schema-violation", ":p/age");
  expectTxError(db, prefix + R"({:p/_name 1}])", "schema-violation", ":p/_name");
  expectTxError(db, prefix + R"([:db/add 3 :p/friend "nobody"]])", "invalid-input", "nobody");
  // A retraction that would be fine, followed by an error.
  expectTxError(db, R"([[:db/retractEntity 1] [:db/add 2 :p/age "x"]])", "type-mismatch", ":p/age");
  TxFunctionRegistry fns;
  fns["rec"] = [](const Db&, std::span<const Value> args) {
    return std::vector<Value>{Value::vector({Value::keyword("rec"), Value::integer(args[0].asLong() + 1)})};
  };
  TxOptions o;
  o.functions = &fns;
  expectTxError(db, prefix + "[:rec 0]]", "limit-exceeded", "", o);
  // Errors have stable names.
  CHECK(errorCodeName(ErrorCode::StoreError) == "store-error");
  CHECK(errorCodeName(ErrorCode::Closed) == "closed");
}

TEST_CASE("errors: Connection stays usable after a failing transaction", "[db][errors][connection]") {
  Connection conn(sample());
  std::vector<TxReport> reports;
  conn.listen([&](const TxReport& r) { reports.push_back(r); });
  Db before = conn.db();
  std::string snap = snapshot(before);
  Caught c = catchError([&] { conn.transact(tx(R"([{:db/id 3 :p/code "c1"}])")); });
  CHECK(c.code == "unique-conflict");
  CHECK(snapshot(conn.db()) == snap);
  CHECK(reports.empty());
  // The next transaction works and listeners get it.
  TxReport r = conn.transact(tx(R"([{:db/id 3 :p/code "c3"}])"), read(R"({:tx/who "me"})"));
  CHECK(r.tx == before.maxTx() + 1);
  CHECK(eavt(conn.db(), 3) == R"([[3 :p/code "c3"]])");
  REQUIRE(reports.size() == 1);
  CHECK(reports[0].tx == r.tx);
  CHECK(txData(reports[0]) == R"([[3 :p/code "c3" true] [)" + std::to_string(r.tx) + R"( :tx/who "me" true]])");
  CHECK(snapshot(reports[0].dbBefore) == snap);
  CHECK(snapshot(reports[0].dbAfter) == snapshot(conn.db()));
  // Values taken earlier stay valid.
  CHECK(snapshot(before) == snap);
  // reset replaces the value without notifying.
  conn.reset(before);
  CHECK(snapshot(conn.db()) == snap);
  CHECK(reports.size() == 1);
}
