// Upserts through unique composite tuples (:db/tupleAttrs with
// :db.unique/identity), as in DataScript: a tuple value given in the
// transaction, or all of its components given for a new entity, name the
// entity that already holds it.
#include <catch2/catch.hpp>

#include "datalite.h"
#include "db_test_util.h"

using namespace datalite;
using namespace datalite::testing;

namespace {

// ids: a 13, b 14, ab 15, c 16, email 17, x 18, n 19, xn 20
Db base() {
  return Db::empty(read(R"({:t/a {} :t/b {} :t/ab {:db/tupleAttrs [:t/a :t/b] :db/unique :db.unique/identity}
                            :t/c {} :t/email {:db/unique :db.unique/identity}
                            :r/x {:db/valueType :db.type/ref} :r/n {}
                            :r/xn {:db/tupleAttrs [:r/x :r/n] :db/unique :db.unique/identity}})"))
      .with(tx(R"([{:db/id 1 :t/a 1 :t/b 2 :t/c 0} {:db/id 2 :t/email "e@x"} {:db/id 3 :r/x 1 :r/n "a"}])"));
}

}  // namespace

TEST_CASE("tuple upserts: the given tuple value names the existing entity", "[db][tuples][upsert]") {
  Db db = base();
  REQUIRE(all(db) == R"([[1 :t/a 1] [1 :t/b 2] [1 :t/ab [1 2]] [1 :t/c 0] [2 :t/email "e@x"] [3 :r/x 1] [3 :r/n "a"] [3 :r/xn [1 "a"]]])");
  // Map form with the components and the tuple.
  TxReport r = db.transact(tx("[{:db/id \"u\" :t/a 1 :t/b 2 :t/ab [1 2] :t/c 5}]"));
  CHECK(tempid(r, "u") == 1);
  CHECK(txData(r) == "[[1 :t/c 0 false] [1 :t/c 5 true]]");
  // The tuple alone, without its components.
  TxReport r2 = db.transact(tx("[{:t/ab [1 2] :t/c 6}]"));
  CHECK(all(r2.dbAfter) == R"([[1 :t/a 1] [1 :t/b 2] [1 :t/ab [1 2]] [1 :t/c 6] [2 :t/email "e@x"] [3 :r/x 1] [3 :r/n "a"] [3 :r/xn [1 "a"]]])");
  // Op vectors.
  TxReport r3 = db.transact(tx("[[:db/add \"x\" :t/ab [1 2]] [:db/add \"x\" :t/c 7]]"));
  CHECK(tempid(r3, "x") == 1);
  // A tuple of a ref and a string.
  TxReport r4 = db.transact(tx("[{:db/id \"y\" :r/xn [1 \"a\"] :r/n \"a\" :t/c 8}]"));
  CHECK(tempid(r4, "y") == 3);
  // A new tuple value makes a new entity; two tempids naming it are one.
  TxReport r5 = db.transact(tx("[{:db/id \"p\" :t/a 5 :t/b 6 :t/ab [5 6]} {:db/id \"q\" :t/ab [5 6] :t/c 1}]"));
  CHECK(tempid(r5, "p") == 4);
  CHECK(tempid(r5, "q") == 4);
  CHECK(r5.dbAfter.entid(read("[:t/ab [5 6]]")) == 4);
}

TEST_CASE("tuple upserts: a new entity's components name the entity holding their tuple", "[db][tuples][upsert]") {
  // DataScript issue 473 (test-upsert-by-tuple-components).
  Db db = base();
  const char* expected =
      R"([[1 :t/a 1] [1 :t/b 2] [1 :t/ab [1 2]] [1 :t/c 5] [2 :t/email "e@x"] [3 :r/x 1] [3 :r/n "a"] [3 :r/xn [1 "a"]]])";
  TxReport r = db.transact(tx("[{:t/a 1 :t/b 2 :t/c 5}]"));
  CHECK(all(r.dbAfter) == expected);
  CHECK(txData(r) == "[[1 :t/c 0 false] [1 :t/c 5 true]]");
  TxReport r2 = db.transact(tx("[{:db/id -1 :t/a 1 :t/b 2 :t/c 5}]"));
  CHECK(tempidKey(r2, "-1") == 1);
  CHECK(all(r2.dbAfter) == expected);
  TxReport r3 = db.transact(tx("[[:db/add \"n\" :t/a 1] [:db/add \"n\" :t/b 2] [:db/add \"n\" :t/c 5]]"));
  CHECK(tempid(r3, "n") == 1);
  CHECK(all(r3.dbAfter) == expected);
  // A ref component, named by a lookup ref.
  TxReport r4 = db.transact(tx("[{:db/id \"y\" :r/x [:t/ab [1 2]] :r/n \"a\" :t/c 9}]"));
  CHECK(tempid(r4, "y") == 3);
  // Only some components: a new entity (its tuple [1 nil] is new too).
  TxReport r5 = db.transact(tx("[{:db/id \"z\" :t/a 1 :t/c 1}]"));
  CHECK(tempid(r5, "z") == 4);
  // Components of a tuple nobody holds: a new entity.
  TxReport r6 = db.transact(tx("[{:db/id \"w\" :t/a 1 :t/b 3}]"));
  CHECK(tempid(r6, "w") == 4);
}

TEST_CASE("tuple upserts: errors", "[db][tuples][upsert]") {
  Db db = base();
  // Components of an existing tuple plus an identity of another entity.
  expectTxError(db, "[{:t/a 1 :t/b 2 :t/email \"e@x\"}]", "unique-conflict", "Conflicting upserts");
  // Two new entities whose components make the same new tuple.
  expectTxError(db, "[{:t/a 7 :t/b 8} {:t/a 7 :t/b 8 :t/c 1}]", "unique-conflict", ":t/ab");
  // The tuple upserts to entity 1, whose components then disagree with it.
  expectTxError(db, "[{:t/a 1 :t/b 9 :t/ab [1 2]}]", "schema-violation", ":t/ab");
  // One tempid resolving to two entities.
  expectTxError(db, "[{:t/ab [1 2] :t/email \"e@x\"}]", "unique-conflict", "Conflicting upserts");
  // A tuple of the wrong shape.
  expectTxError(db, "[{:t/ab [1] :t/c 1}]", "type-mismatch", ":t/ab");
  // Nothing changed by the failures.
  CHECK(all(db) == R"([[1 :t/a 1] [1 :t/b 2] [1 :t/ab [1 2]] [1 :t/c 0] [2 :t/email "e@x"] [3 :r/x 1] [3 :r/n "a"] [3 :r/xn [1 "a"]]])");
}
