// Db::initWithSchema: bulk build with a ready schema (attribute ids kept)
// and restored counters, the db-layer support of src/serial.
#include <catch2/catch.hpp>

#include "datalite.h"
#include "db_test_util.h"

using namespace datalite;
using namespace datalite::testing;

TEST_CASE("initWithSchema keeps attribute ids, tx ids and counters", "[db][init]") {
  // A schema whose ids are not the ones fromMap would give: :z first.
  auto schema = std::make_shared<Schema>(*Schema::bootstrap());
  AttrId z = schema->addImplicit(Keyword::intern("z"));
  Attribute name;
  name.ident = Keyword::intern("name");
  name.unique = Uniqueness::Identity;
  AttrId n = schema->define(name);
  CHECK(z == attr::kLastBuiltin + 1);
  CHECK(n == attr::kLastBuiltin + 2);
  std::vector<Db::InitDatom> datoms = {
      {1, Keyword::intern("name"), Value::string("a"), kTx0 + 3},
      {1, Keyword::intern("z"), Value::integer(5), kTx0 + 7},
      {kTx0 + 7, Keyword::intern("db/txInstant"), Value::instant(1'000'000), kTx0 + 7},
  };
  Db db = Db::initWithSchema(datoms, schema, {}, 10, kTx0 + 9);
  // EAVT follows attribute ids: :z (13) before :name (14).
  CHECK(show5(db, db.datoms(IndexOrder::EAVT)) ==
        "[[1 :z 5 t7 true] [1 :name \"a\" t3 true] [536870919 :db/txInstant #inst \"1970-01-01T00:16:40.000-00:00\" t7 true]]");
  CHECK(db.attribute(Keyword::intern("z"))->id == z);
  CHECK_FALSE(db.attribute(Keyword::intern("z"))->declared);
  CHECK(db.maxEid() == 10);
  CHECK(db.maxTx() == kTx0 + 9);
  CHECK(db.count() == 3);
  CHECK(db.entid(read("[:name \"a\"]")) == 1);
  // Transactions continue after the restored counters, and :db/txInstant
  // stays monotonic with the loaded transactions.
  TxOptions early;
  early.txInstantMs = 5;
  TxReport r = db.transact(tx("[{:name \"b\"}]"), early);
  CHECK(r.tx == kTx0 + 10);
  CHECK(r.dbAfter.entid(read("[:name \"b\"]")) == 11);
  Value comps[] = {Value::integer(r.tx), Value::keyword("db/txInstant")};
  CHECK(r.dbAfter.datoms(IndexOrder::EAVT, comps).at(0).v.asInstant() == 1'000'000);
  // Counters below the datoms are raised to them.
  Db raised = Db::initWithSchema(datoms, schema, {}, 0, kTx0);
  CHECK(raised.maxEid() == 1);
  CHECK(raised.maxTx() == kTx0 + 7);
}

TEST_CASE("initWithSchema checks its arguments", "[db][init]") {
  auto bare = std::make_shared<Schema>();  // without the built-in attributes
  CHECK(catchError([&] { Db::initWithSchema({}, bare); }).code == "invalid-input");
  CHECK(catchError([&] { Db::initWithSchema({}, nullptr); }).code == "invalid-input");
  CHECK(catchError([&] { Db::initWithSchema({}, Schema::bootstrap(), {}, -1); }).code == "invalid-input");
  CHECK(catchError([&] { Db::initWithSchema({}, Schema::bootstrap(), {}, 0, kTx0 - 1); }).code == "invalid-input");
  CHECK(catchError([&] { Db::initWithSchema({}, Schema::bootstrap(), {}, 0, kMaxSafeId + 1); }).code ==
        "invalid-input");
  // Db::init still works as before (it now goes through initWithSchema).
  Db db = Db::init({{1, Keyword::intern("a"), Value::integer(1)}}, read("{:a {:db/index true}}"));
  CHECK(db.attribute(Keyword::intern("a"))->indexed);
  CHECK(db.maxTx() == kTx0 + 1);
}
