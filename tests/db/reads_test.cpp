// Raw reads: datoms, seek, indexRange, entid, count, Db::init.
#include <catch2/catch.hpp>

#include "datalite.h"
#include "db_test_util.h"

using namespace datalite;
using namespace datalite::testing;

namespace {

// ids: friend 13, email 14, name 15, age 16
const char* kSchema = R"({:p/friend {:db/valueType :db.type/ref :db/cardinality :db.cardinality/many}
  :p/email  {:db/unique :db.unique/identity}
  :p/name   {}
  :p/age    {:db/valueType :db.type/long}})";

const char* kData = R"([{:db/id 1 :p/email "a@x" :p/name "A" :p/age 30 :p/friend [2 3]}
  {:db/id 2 :p/email "b@x" :p/name "B" :p/age 20 :p/friend 3}
  {:db/id 3 :p/name "C" :p/age 40}
  {:db/id 4 :db/ident :thing/four :p/age 20}])";

Db sample() { return Db::empty(read(kSchema)).with(tx(kData)); }

std::string q(const Db& db, IndexOrder o, const std::string& comps) {
  std::vector<Value> c = read(comps).items();
  std::vector<Datom> ds;
  for (const Datom& d : db.datoms(o, c))
    if (d.e < kTx0) ds.push_back(d);
  return show3(db, ds);
}

}  // namespace

TEST_CASE("reads: datoms in each index with 0..4 components", "[db][reads]") {
  Db db = sample();
  int64_t t = db.maxTx();
  std::string ts = std::to_string(t);
  // EAVT
  CHECK(q(db, IndexOrder::EAVT, "[]") == all(db));
  CHECK(q(db, IndexOrder::EAVT, "[2]") == R"([[2 :p/friend 3] [2 :p/email "b@x"] [2 :p/name "B"] [2 :p/age 20]])");
  CHECK(q(db, IndexOrder::EAVT, "[1 :p/friend]") == "[[1 :p/friend 2] [1 :p/friend 3]]");
  CHECK(q(db, IndexOrder::EAVT, "[1 :p/friend 3]") == "[[1 :p/friend 3]]");
  CHECK(q(db, IndexOrder::EAVT, "[1 :p/friend 3 " + ts + "]") == "[[1 :p/friend 3]]");
  CHECK(q(db, IndexOrder::EAVT, "[1 :p/friend 3 " + std::to_string(t - 1) + "]") == "[]");
  CHECK(q(db, IndexOrder::EAVT, "[[:p/email \"b@x\"] :p/name]") == R"([[2 :p/name "B"]])");
  CHECK(q(db, IndexOrder::EAVT, "[:thing/four :p/age]") == "[[4 :p/age 20]]");
  CHECK(q(db, IndexOrder::EAVT, "[1 :p/friend [:p/email \"b@x\"]]") == "[[1 :p/friend 2]]");
  CHECK(q(db, IndexOrder::EAVT, "[99]") == "[]");
  CHECK(q(db, IndexOrder::EAVT, "[[:p/email \"none\"]]") == "[]");
  CHECK(q(db, IndexOrder::EAVT, "[1 :p/unknown]") == "[]");
  CHECK(q(db, IndexOrder::EAVT, "[1 :p/age \"thirty\"]") == "[]");  // uncoercible: no match
  // AEVT
  CHECK(q(db, IndexOrder::AEVT, "[:p/age]") == "[[1 :p/age 30] [2 :p/age 20] [3 :p/age 40] [4 :p/age 20]]");
  CHECK(q(db, IndexOrder::AEVT, "[:p/age 2]") == "[[2 :p/age 20]]");
  CHECK(q(db, IndexOrder::AEVT, "[:p/age 2 20]") == "[[2 :p/age 20]]");
  CHECK(q(db, IndexOrder::AEVT, "[:p/age 2 20 " + ts + "]") == "[[2 :p/age 20]]");
  CHECK(q(db, IndexOrder::AEVT, "[:p/age :thing/four]") == "[[4 :p/age 20]]");
  // AVET (every attribute is in AVET here: a deviation from DataScript,
  // which only indexes :db/index and unique attributes there).
  CHECK(q(db, IndexOrder::AVET, "[:p/age]") == "[[2 :p/age 20] [4 :p/age 20] [1 :p/age 30] [3 :p/age 40]]");
  CHECK(q(db, IndexOrder::AVET, "[:p/age 20]") == "[[2 :p/age 20] [4 :p/age 20]]");
  CHECK(q(db, IndexOrder::AVET, "[:p/age 20 4]") == "[[4 :p/age 20]]");
  CHECK(q(db, IndexOrder::AVET, "[:p/age 20 4 " + ts + "]") == "[[4 :p/age 20]]");
  CHECK(q(db, IndexOrder::AVET, "[:p/email \"a@x\"]") == R"([[1 :p/email "a@x"]])");
  // VAET: refs only.
  CHECK(q(db, IndexOrder::VAET, "[]") == "[[1 :p/friend 2] [1 :p/friend 3] [2 :p/friend 3]]");
  CHECK(q(db, IndexOrder::VAET, "[3]") == "[[1 :p/friend 3] [2 :p/friend 3]]");
  CHECK(q(db, IndexOrder::VAET, "[3 :p/friend]") == "[[1 :p/friend 3] [2 :p/friend 3]]");
  CHECK(q(db, IndexOrder::VAET, "[3 :p/friend 2]") == "[[2 :p/friend 3]]");
  CHECK(q(db, IndexOrder::VAET, "[3 :p/friend [:p/email \"a@x\"] " + ts + "]") == "[[1 :p/friend 3]]");
  CHECK(q(db, IndexOrder::VAET, "[[:p/email \"b@x\"]]") == "[[1 :p/friend 2]]");
  CHECK(q(db, IndexOrder::VAET, "[1]") == "[]");
  // Errors.
  CHECK(catchError([&] { q(db, IndexOrder::EAVT, "[1 :p/age 30 1 2]"); }).code == "invalid-input");
  CHECK(catchError([&] { q(db, IndexOrder::EAVT, "[1 nil]"); }).code == "invalid-input");
  CHECK(catchError([&] { q(db, IndexOrder::AEVT, "[1]"); }).code == "invalid-input");
  CHECK(catchError([&] { q(db, IndexOrder::EAVT, "[[:p/name \"A\"]]"); }).code == "invalid-input");
}

TEST_CASE("reads: datoms carry tx and added", "[db][reads]") {
  Db db = sample();
  Value c[] = {Value::integer(3)};
  CHECK(show5(db, db.datoms(IndexOrder::EAVT, c)) == R"([[3 :p/name "C" t1 true] [3 :p/age 40 t1 true]])");
  // The tx entity has its txInstant.
  Value ct[] = {Value::integer(db.maxTx())};
  auto txd = db.datoms(IndexOrder::EAVT, ct);
  REQUIRE(txd.size() == 1);
  CHECK(db.attrIdent(txd[0].a).str() == "db/txInstant");
  CHECK(txd[0].v.kind() == Kind::Instant);
}

TEST_CASE("reads: seek starts in the middle and runs to the end", "[db][reads]") {
  Db db = sample();
  auto collect = [&](IndexOrder o, const std::string& comps, size_t n) {
    std::vector<Value> c = read(comps).items();
    std::vector<Datom> out;
    for (auto cur = db.seek(o, c); cur.valid() && out.size() < n; cur.next()) out.push_back(cur.datom());
    return show3(db, out);
  };
  CHECK(collect(IndexOrder::EAVT, "[2 :p/name]", 3) == R"([[2 :p/name "B"] [2 :p/age 20] [3 :p/name "C"]])");
  CHECK(collect(IndexOrder::AVET, "[:p/age 25]", 10) == "[[1 :p/age 30] [3 :p/age 40]]");
  CHECK(collect(IndexOrder::AEVT, "[:p/age 3]", 2) == "[[3 :p/age 40] [4 :p/age 20]]");
  CHECK(collect(IndexOrder::VAET, "[3]", 10) == "[[1 :p/friend 3] [2 :p/friend 3]]");
  // Past the end of the entities: only the tx entity remains in EAVT.
  std::vector<Value> c = read("[5]").items();
  size_t n = 0;
  for (auto cur = db.seek(IndexOrder::EAVT, c); cur.valid(); cur.next()) {
    CHECK(cur.datom().e == db.maxTx());
    ++n;
  }
  CHECK(n == 1);
  // Seek with no components is a full scan.
  size_t total = 0;
  for (auto cur = db.seek(IndexOrder::EAVT); cur.valid(); cur.next()) ++total;
  CHECK(total == db.count());
}

TEST_CASE("reads: indexRange with open and closed bounds", "[db][reads]") {
  Db db = sample();
  auto range = [&](const char* lo, const char* hi) {
    return show3(db, db.indexRange(Keyword::intern("p/age"), read(lo), read(hi)));
  };
  CHECK(range("20", "30") == "[[2 :p/age 20] [4 :p/age 20] [1 :p/age 30]]");
  CHECK(range("21", "39") == "[[1 :p/age 30]]");
  CHECK(range("nil", "20") == "[[2 :p/age 20] [4 :p/age 20]]");
  CHECK(range("30", "nil") == "[[1 :p/age 30] [3 :p/age 40]]");
  CHECK(range("nil", "nil") == "[[2 :p/age 20] [4 :p/age 20] [1 :p/age 30] [3 :p/age 40]]");
  CHECK(range("50", "nil") == "[]");
  CHECK(range("40", "20") == "[]");
  CHECK(show3(db, db.indexRange(Keyword::intern("p/email"), read("\"a\""), read("\"b\""))) == R"([[1 :p/email "a@x"]])");
  CHECK(db.indexRange(Keyword::intern("p/nope"), Value(), Value()).empty());
}

TEST_CASE("reads: entid and count", "[db][reads]") {
  Db db = sample();
  CHECK(db.entid(read("3")) == 3);
  CHECK(db.entid(read("[:p/email \"b@x\"]")) == 2);
  CHECK(db.entid(read("[\":p/email\" \"b@x\"]")) == 2);
  CHECK(db.entid(read("[:p/email \"none\"]")) == 0);
  CHECK(db.entid(read("[:p/email nil]")) == 0);
  CHECK(db.entid(read(":thing/four")) == 4);
  CHECK(db.entid(read(":thing/none")) == 0);
  CHECK(db.entid(read(":p/age")) == 0);  // map-schema attributes have no ident entity
  CHECK(db.entid(read("0")) == 0);
  CHECK(db.entid(read("-1")) == 0);
  CHECK(db.entid(read("\"str\"")) == 0);
  CHECK(catchError([&] { db.entid(read("[:p/name \"A\"]")); }).code == "invalid-input");
  CHECK(db.entidStrict(read(":thing/four")) == 4);
  Caught c = catchError([&] { db.entidStrict(read("[:p/email \"none\"]")); });
  CHECK(c.code == "not-found");
  CHECK_THAT(c.message, Catch::Matchers::Contains("none"));
  CHECK(catchError([&] { db.entidStrict(read("\"x\"")); }).code == "invalid-input");
  // 13 user datoms + 1 txInstant.
  CHECK(db.count() == 14);
  CHECK(userDatoms(db).size() == 13);
  CHECK(Db::empty().count() == 0);
  Db after = db.with(tx("[[:db/retractEntity 3]]"));
  CHECK(after.count() == 14 - 4 + 1);  // 2 datoms of 3, 2 refs to it, 1 txInstant
}

TEST_CASE("reads: Db::init equals the same data transacted", "[db][reads]") {
  Db transacted = sample();
  std::vector<Db::InitDatom> ds;
  for (const Datom& d : userDatoms(transacted)) ds.push_back({d.e, transacted.attrIdent(d.a), d.v, 0});
  // Input order does not matter and duplicates collapse.
  std::reverse(ds.begin(), ds.end());
  ds.push_back(ds.front());
  Db init = Db::init(ds, read(kSchema));
  for (int o = 0; o < kIndexCount; ++o) {
    IndexOrder order = static_cast<IndexOrder>(o);
    std::vector<Datom> a, b;
    for (const Datom& d : transacted.datoms(order))
      if (d.e < kTx0) a.push_back(d);
    for (const Datom& d : init.datoms(order)) b.push_back(d);
    INFO(indexOrderName(order));
    CHECK(show5(init, b) == show5(transacted, a));
  }
  CHECK(init.count() == 13);
  CHECK(init.maxEid() == 4);
  CHECK(init.maxTx() == kTx0 + 1);
  CHECK(init.entid(read("[:p/email \"a@x\"]")) == 1);
  CHECK(init.entid(read(":thing/four")) == 4);
  Value v3[] = {Value::integer(3)};
  CHECK(init.datoms(IndexOrder::VAET, v3).size() == 2);
  // Transactions continue after init.
  TxReport r = init.transact(tx(R"([{:p/email "a@x" :p/age 31} {:p/name "new"}])"));
  CHECK(r.tx == kTx0 + 2);
  CHECK(eavt(r.dbAfter, 1) == R"([[1 :p/friend 2] [1 :p/friend 3] [1 :p/email "a@x"] [1 :p/name "A"] [1 :p/age 31]])");
  CHECK(eavt(r.dbAfter, 5) == R"([[5 :p/name "new"]])");
  // init checks values and ids.
  CHECK(catchError([&] { Db::init({{1, Keyword::intern("p/age"), Value::string("x")}}, read(kSchema)); }).code ==
        "type-mismatch");
  CHECK(catchError([&] { Db::init({{0, Keyword::intern("p/age"), Value::integer(1)}}, read(kSchema)); }).code ==
        "invalid-input");
  CHECK(catchError([&] { Db::init({{1, Keyword::intern("p/friend"), Value::string("x")}}, read(kSchema)); }).code ==
        "type-mismatch");
}

TEST_CASE("reads: Db::init with schema entities among the datoms", "[db][reads]") {
  std::vector<Db::InitDatom> ds = {
      {1, Keyword::intern("db/ident"), Value::keyword("x/ref")},
      {1, Keyword::intern("db/valueType"), Value::keyword("db.type/ref")},
      {2, Keyword::intern("x/ref"), Value::integer(3)},
      {3, Keyword::intern("db/ident"), Value::keyword("x/t")},
      {3, Keyword::intern("db/valueType"), Value::keyword("db.type/keyword")},
      {4, Keyword::intern("x/t"), Value::string("a/b")},
  };
  Db db = Db::init(ds);
  CHECK(db.attribute(Keyword::intern("x/ref"))->isRef());
  CHECK(eavt(db, 4) == "[[4 :x/t :a/b]]");
  Value c[] = {Value::integer(3)};
  CHECK(show3(db, db.datoms(IndexOrder::VAET, c)) == "[[2 :x/ref 3]]");
}

TEST_CASE("seek with a component that resolves to nothing is empty", "[db][reads]") {
  Db db = Db::empty(read("{:email {:db/unique :db.unique/identity}}"))
              .with(tx(R"([{:db/id 1 :email "a@x" :name "A"} {:db/id 2 :email "b@x" :name "B"}])"));
  Value missingEntity[] = {read("[:email \"nobody@x\"]")};
  CHECK_FALSE(db.seek(IndexOrder::EAVT, missingEntity).valid());
  Value unknownAttr[] = {Value::keyword("no/such")};
  CHECK_FALSE(db.seek(IndexOrder::AEVT, unknownAttr).valid());
  Value fromTwo[] = {Value::integer(2)};
  auto c = db.seek(IndexOrder::EAVT, fromTwo);
  REQUIRE(c.valid());
  CHECK(c.datom().e == 2);
}
