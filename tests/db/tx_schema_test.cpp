// Value types, coercions, composite tuples and schema (map form and
// transacted :db/ident entities).
#include <catch2/catch.hpp>

#include "datalite.h"
#include "db_test_util.h"

using namespace datalite;
using namespace datalite::testing;

namespace {

const char* kTypes = R"({:t/str  {:db/valueType :db.type/string}
  :t/long   {:db/valueType :db.type/long}
  :t/double {:db/valueType :db.type/double}
  :t/float  {:db/valueType :db.type/float}
  :t/bool   {:db/valueType :db.type/boolean}
  :t/kw     {:db/valueType :db.type/keyword}
  :t/uuid   {:db/valueType :db.type/uuid}
  :t/inst   {:db/valueType :db.type/instant}
  :t/big    {:db/valueType :db.type/bigint}
  :t/bytes  {:db/valueType :db.type/bytes}
  :t/sym    {:db/valueType :db.type/symbol}
  :t/ref    {:db/valueType :db.type/ref}
  :t/tt     {:db/valueType :db.type/tuple :db/tupleTypes [:db.type/long :db.type/string]}
  :t/th     {:db/valueType :db.type/tuple :db/tupleType :db.type/keyword}
  :t/any    {}})";

Db typed() { return Db::empty(read(kTypes)); }

// The stored value of [1 attr] after asserting `v`.
std::string stored(const Db& db, const std::string& attr, const std::string& v) {
  TxReport r = db.transact(tx("[[:db/add 1 " + attr + " " + v + "]]"));
  return all(r.dbAfter);
}

}  // namespace

TEST_CASE("types: values of the declared type are stored as given", "[db][types]") {
  Db db = typed();
  CHECK(stored(db, ":t/str", "\"s\"") == R"([[1 :t/str "s"]])");
  CHECK(stored(db, ":t/long", "42") == "[[1 :t/long 42]]");
  CHECK(stored(db, ":t/double", "1.5") == "[[1 :t/double 1.5]]");
  CHECK(stored(db, ":t/float", "1.5") == "[[1 :t/float 1.5]]");
  CHECK(stored(db, ":t/bool", "false") == "[[1 :t/bool false]]");
  CHECK(stored(db, ":t/kw", ":a/b") == "[[1 :t/kw :a/b]]");
  CHECK(stored(db, ":t/uuid", "#uuid \"6ba7b810-9dad-11d1-80b4-00c04fd430c8\"") ==
        "[[1 :t/uuid #uuid \"6ba7b810-9dad-11d1-80b4-00c04fd430c8\"]]");
  CHECK(stored(db, ":t/inst", "#inst \"2020-01-02T03:04:05.006-00:00\"") ==
        stored(db, ":t/inst", edn::print(Value::instant(1577934245006))));
  CHECK(stored(db, ":t/big", "5N") == "[[1 :t/big 5N]]");
  CHECK(stored(db, ":t/bytes", "#datalite/bytes \"AAEC\"") == "[[1 :t/bytes #datalite/bytes \"AAEC\"]]");
  CHECK(stored(db, ":t/sym", "foo") == "[[1 :t/sym foo]]");
  CHECK(stored(db, ":t/tt", "[1 \"a\"]") == R"([[1 :t/tt [1 "a"]]])");
  CHECK(stored(db, ":t/th", "[:a :b :c]") == "[[1 :t/th [:a :b :c]]]");
  CHECK(stored(db, ":t/any", "\"x\"") == R"([[1 :t/any "x"]])");
  CHECK(stored(db, ":t/any", "1.25") == "[[1 :t/any 1.25]]");
  // Tuples may hold nil elements.
  CHECK(stored(db, ":t/tt", "[nil \"a\"]") == R"([[1 :t/tt [nil "a"]]])");
}

TEST_CASE("types: coercions allowed by API.md", "[db][types]") {
  Db db = typed();
  CHECK(stored(db, ":t/kw", "\"a/b\"") == "[[1 :t/kw :a/b]]");
  CHECK(stored(db, ":t/kw", "\":c\"") == "[[1 :t/kw :c]]");
  CHECK(stored(db, ":t/uuid", "\"6ba7b810-9dad-11d1-80b4-00c04fd430c8\"") ==
        "[[1 :t/uuid #uuid \"6ba7b810-9dad-11d1-80b4-00c04fd430c8\"]]");
  CHECK(stored(db, ":t/double", "2") == "[[1 :t/double 2.0]]");
  CHECK(stored(db, ":t/th", "[\"a\" \":b\"]") == "[[1 :t/th [:a :b]]]");
  // Coerced values are found by reads with the uncoerced form too.
  Db d = db.with(tx(R"([[:db/add 1 :t/kw "x/y"]])"));
  Value c[] = {Value::keyword("t/kw"), Value::string("x/y")};
  CHECK(d.datoms(IndexOrder::AVET, c).size() == 1);
  // Retraction with the uncoerced form.
  TxReport r = d.transact(tx(R"([[:db/retract 1 :t/kw "x/y"]])"));
  CHECK(txData(r) == "[[1 :t/kw :x/y false]]");
}

TEST_CASE("types: mismatches", "[db][types]") {
  Db db = typed();
  struct Bad {
    const char* attr;
    const char* value;
  };
  const Bad bad[] = {
      {":t/str", "1"},          {":t/long", "\"1\""},       {":t/long", "1.5"},     {":t/double", "\"x\""},
      {":t/float", "true"},     {":t/bool", "1"},           {":t/kw", "1"},         {":t/uuid", "\"nope\""},
      {":t/inst", "\"x\""},     {":t/big", "\"x\""},        {":t/bytes", "\"x\""},  {":t/sym", "1"},
      {":t/tt", "[\"a\" 1]"},   {":t/tt", "[1 \"a\" 2]"},   {":t/tt", "1"},         {":t/th", "[:a 1]"},
      {":t/ref", "1.5"},        {":t/ref", "true"},         {":t/str", "[1 2]"},    {":t/th", "[:a]"},
  };
  for (const Bad& b : bad) {
    INFO(b.attr << " " << b.value);
    expectTxError(db, std::string("[[:db/add 1 ") + b.attr + " " + b.value + "]]", "type-mismatch", b.attr);
    expectTxError(db, std::string("[{:db/id 1 ") + b.attr + " " + b.value + "}]", "type-mismatch", b.attr);
  }
}

TEST_CASE("types: nil values are invalid input", "[db][types]") {
  Db db = typed();
  expectTxError(db, "[{:db/id 1 :t/str nil}]", "invalid-input", ":t/str");
  expectTxError(db, "[[:db/add 1 :t/any nil]]", "invalid-input", ":t/any");
  expectTxError(db, "[[:db/add 1 :t/ref nil]]", "invalid-input", ":t/ref");
  expectTxError(db, "[[:db/cas 1 :t/long nil nil]]", "invalid-input", ":t/long");
}

TEST_CASE("composite tuples are kept up to date", "[db][tuples]") {
  // ids: a 13, b 14, ab 15, x 16, y 17, xy 18
  Db db = Db::empty(read(R"({:c/a {} :c/b {} :c/ab {:db/tupleAttrs [:c/a :c/b]}
                               :c/x {} :c/y {} :c/xy {:db/tupleAttrs [:c/x :c/y] :db/unique :db.unique/value}})"));
  TxReport r1 = db.transact(tx("[{:db/id 1 :c/a 1}]"));
  CHECK(all(r1.dbAfter) == "[[1 :c/a 1] [1 :c/ab [1 nil]]]");
  TxReport r2 = r1.dbAfter.transact(tx("[[:db/add 1 :c/b 2]]"));
  CHECK(all(r2.dbAfter) == "[[1 :c/a 1] [1 :c/b 2] [1 :c/ab [1 2]]]");
  CHECK(txData(r2) == "[[1 :c/b 2 true] [1 :c/ab [1 nil] false] [1 :c/ab [1 2] true]]");
  TxReport r3 = r2.dbAfter.transact(tx("[[:db/add 1 :c/a 3]]"));
  CHECK(all(r3.dbAfter) == "[[1 :c/a 3] [1 :c/b 2] [1 :c/ab [3 2]]]");
  TxReport r4 = r3.dbAfter.transact(tx("[[:db/retract 1 :c/a 3]]"));
  CHECK(all(r4.dbAfter) == "[[1 :c/b 2] [1 :c/ab [nil 2]]]");
  TxReport r5 = r4.dbAfter.transact(tx("[[:db/retract 1 :c/b]]"));
  CHECK(all(r5.dbAfter) == "[]");
  CHECK(txData(r5) == "[[1 :c/b 2 false] [1 :c/ab [nil 2] false]]");
  TxReport r6 = r3.dbAfter.transact(tx("[[:db/retractEntity 1]]"));
  CHECK(all(r6.dbAfter) == "[]");
  // Both components in one tx.
  TxReport r7 = db.transact(tx("[{:db/id 1 :c/a 1 :c/b 2} {:db/id 2 :c/b 5}]"));
  CHECK(all(r7.dbAfter) == "[[1 :c/a 1] [1 :c/b 2] [1 :c/ab [1 2]] [2 :c/b 5] [2 :c/ab [nil 5]]]");
  // No change of the components, no change of the tuple.
  CHECK(txData(r7.dbAfter.transact(tx("[{:db/id 1 :c/a 1}]"))) == "[]");

  SECTION("direct assertion") {
    expectTxError(r2.dbAfter, "[[:db/add 1 :c/ab [5 6]]]", "schema-violation", ":c/ab");
    expectTxError(db, "[[:db/add 1 :c/ab [5 6]]]", "schema-violation", ":c/ab");
    // Agreeing with the components is accepted (DataScript allows it in maps).
    TxReport ok = db.transact(tx("[{:db/id 1 :c/a 5 :c/b 6 :c/ab [5 6]}]"));
    CHECK(all(ok.dbAfter) == "[[1 :c/a 5] [1 :c/b 6] [1 :c/ab [5 6]]]");
  }
  SECTION("unique composite tuples") {
    Db d = db.with(tx("[{:db/id 1 :c/x 1 :c/y 2}]"));
    CHECK(all(d) == "[[1 :c/x 1] [1 :c/y 2] [1 :c/xy [1 2]]]");
    expectTxError(d, "[{:db/id 2 :c/x 1 :c/y 2}]", "unique-conflict", ":c/xy");
    expectTxError(d, "[{:db/id 2 :c/x 1} [:db/add 2 :c/y 2]]", "unique-conflict", ":c/xy");
    // Changing one component frees the old tuple.
    TxReport r = d.transact(tx("[[:db/add 1 :c/y 3] {:db/id 2 :c/x 1 :c/y 2}]"));
    CHECK(all(r.dbAfter) == "[[1 :c/x 1] [1 :c/y 3] [1 :c/xy [1 3]] [2 :c/x 1] [2 :c/y 2] [2 :c/xy [1 2]]]");
    // Lookup by the tuple.
    CHECK(r.dbAfter.entid(read("[:c/xy [1 2]]")) == 2);
  }
}

TEST_CASE("schema: invalid map definitions", "[db][schema]") {
  struct Bad {
    const char* schema;
    const char* needle;
  };
  const Bad bad[] = {
      {"{:a/c {:db/isComponent true}}", ":a/c"},
      {"{:a/c {:db/isComponent true :db/valueType :db.type/string}}", ":a/c"},
      {"{:a/t {:db/valueType :db.type/nope}}", "db.type/nope"},
      {"{:a/t {:db/cardinality :db.cardinality/few}}", "db.cardinality/few"},
      {"{:a/t {:db/unique :db.unique/maybe}}", "db.unique/maybe"},
      {"{:a/t {:db/index 1}}", ":a/t"},
      {"{:a/t {:db/frobnicate true}}", "frobnicate"},
      {"{:a/t 1}", ":a/t"},
      {"{\"a/t\" {}}", "a/t"},
      {"[1 2]", "schema"},
      {"{:a/x {} :a/y {} :a/t {:db/tupleAttrs [:a/x :a/y] :db/cardinality :db.cardinality/many}}", ":a/t"},
      {"{:a/x {:db/cardinality :db.cardinality/many} :a/y {} :a/t {:db/tupleAttrs [:a/x :a/y]}}", ":a/x"},
      {"{:a/x {} :a/t {:db/tupleAttrs [:a/x]}}", ":a/t"},
      {"{:a/t {:db/valueType :db.type/tuple}}", ":a/t"},
      {"{:a/t {:db/valueType :db.type/long :db/tupleType :db.type/long}}", ":a/t"},
      {"{:a/t {:db/tupleTypes [:db.type/long :db.type/wat]}}", "db.type/wat"},
      {"{:db/ident {:db/valueType :db.type/string}}", "db/ident"},
  };
  for (const Bad& b : bad) {
    INFO(b.schema);
    Caught c = catchError([&] { Db::empty(read(b.schema)); });
    CHECK(c.code == "schema-violation");
    CHECK_THAT(c.message, Catch::Matchers::Contains(b.needle));
  }
  // A valid map with every property.
  Db ok = Db::empty(read(R"({:a/r {:db/valueType :db.type/ref :db/isComponent true :db/cardinality :db.cardinality/many
                                    :db/doc "refs" :db/index true :db/noHistory true}
                             :a/u {:db/unique :db.unique/value :db/valueType :db.type/string}})"));
  const Attribute* r = ok.attribute(Keyword::intern("a/r"));
  REQUIRE(r);
  CHECK(r->isRef());
  CHECK(r->component);
  CHECK(r->many);
  CHECK(r->noHistory);
  CHECK(r->doc == "refs");
  CHECK(ok.attribute(Keyword::intern("a/u"))->unique == Uniqueness::Value);
}

TEST_CASE("schema: transacted as :db/ident entities and used next", "[db][schema]") {
  Db db = Db::empty();
  TxReport s = db.transact(tx(R"([{:db/ident :x/tags :db/valueType :db.type/string :db/cardinality :db.cardinality/many}
                                   {:db/ident :x/id :db/valueType :db.type/long :db/unique :db.unique/identity}
                                   {:db/ident :x/color :db/valueType :db.type/ref}
                                   {:db/ident :x/parts :db/valueType :db.type/ref :db/isComponent true
                                    :db/cardinality :db.cardinality/many :db/doc "parts"}
                                   {:db/ident :color/red} {:db/ident :color/green}])"));
  const Db& d = s.dbAfter;
  REQUIRE(d.attribute(Keyword::intern("x/tags")));
  CHECK(d.attribute(Keyword::intern("x/tags"))->many);
  CHECK(d.attribute(Keyword::intern("x/id"))->unique == Uniqueness::Identity);
  CHECK(d.attribute(Keyword::intern("x/parts"))->component);
  CHECK(d.attribute(Keyword::intern("x/parts"))->doc == "parts");
  CHECK(d.attribute(Keyword::intern("x/parts"))->entity == 4);
  // The schema entities are ordinary datoms too.
  CHECK(eavt(d, 1) == "[[1 :db/ident :x/tags] [1 :db/valueType :db.type/string] [1 :db/cardinality :db.cardinality/many]]");
  CHECK(d.entid(read(":color/green")) == 6);

  TxReport r = d.transact(tx(R"([{:x/id 7 :x/tags ["a" "b"] :x/color :color/red :x/parts [{:x/tags "p"}]}])"));
  CHECK(all(r.dbAfter).find(R"([7 :x/tags "a"] [7 :x/tags "b"] [7 :x/id 7] [7 :x/color 5] [7 :x/parts 8] [8 :x/tags "p"])") !=
        std::string::npos);
  // Identity upsert through the transacted attribute.
  TxReport r2 = r.dbAfter.transact(tx(R"([{:x/id 7 :x/color :color/green}])"));
  CHECK(eavt(r2.dbAfter, 7) == R"([[7 :x/tags "a"] [7 :x/tags "b"] [7 :x/id 7] [7 :x/color 6] [7 :x/parts 8]])");
  // Typed.
  expectTxError(r.dbAfter, R"([{:x/id "seven"}])", "type-mismatch", ":x/id");
  expectTxError(r.dbAfter, R"([{:x/color :color/blue}])", "not-found", ":color/blue");
  // Component cascade through the transacted definition.
  TxReport r3 = r.dbAfter.transact(tx("[[:db/retractEntity 7]]"));
  CHECK(eavt(r3.dbAfter, 8) == "[]");
}

TEST_CASE("schema: definitions in the same transaction as their use", "[db][schema]") {
  Db db = Db::empty();
  TxReport r = db.transact(tx(R"([{:db/ident :x/n :db/valueType :db.type/long} {:db/id 10 :x/n 1}])"));
  CHECK(eavt(r.dbAfter, 10) == "[[10 :x/n 1]]");
  expectTxError(db, R"([{:db/ident :x/n :db/valueType :db.type/long} {:db/id 10 :x/n "one"}])", "type-mismatch", ":x/n");
}

TEST_CASE("schema: invalid transacted definitions and changes", "[db][schema]") {
  Db db = Db::empty().with(tx(R"([{:db/ident :x/n :db/valueType :db.type/long} {:db/ident :x/s :db/valueType :db.type/string}
                                   {:db/id 10 :x/n 1}])"));
  SECTION("changing the type of an attribute with datoms") {
    expectTxError(db, R"([{:db/ident :x/n :db/valueType :db.type/string}])", "schema-violation", ":x/n");
    expectTxError(db, R"([[:db/add 1 :db/valueType :db.type/string]])", "schema-violation", ":x/n");
  }
  SECTION("changing the type of an attribute without datoms is allowed") {
    TxReport r = db.transact(tx(R"([{:db/ident :x/s :db/valueType :db.type/long}])"));
    CHECK(r.dbAfter.attribute(Keyword::intern("x/s"))->type == ValueType::Long);
    TxReport r2 = r.dbAfter.transact(tx("[[:db/add 10 :x/s 5]]"));
    CHECK(eavt(r2.dbAfter, 10) == "[[10 :x/n 1] [10 :x/s 5]]");
  }
  SECTION("card many to one, adding uniqueness with datoms") {
    Db d = db.with(tx(R"([{:db/ident :x/m :db/valueType :db.type/long :db/cardinality :db.cardinality/many} [:db/add 10 :x/m 1]])"));
    expectTxError(d, R"([{:db/ident :x/m :db/cardinality :db.cardinality/one}])", "schema-violation", ":x/m");
    expectTxError(db, R"([{:db/ident :x/n :db/unique :db.unique/value}])", "schema-violation", ":x/n");
    // one -> many is fine.
    TxReport r = db.transact(tx(R"([{:db/ident :x/n :db/cardinality :db.cardinality/many}])"));
    CHECK(r.dbAfter.attribute(Keyword::intern("x/n"))->many);
  }
  SECTION("bad definitions") {
    expectTxError(db, R"([{:db/ident :x/q :db/valueType :db.type/nope}])", "schema-violation", "db.type/nope");
    expectTxError(db, R"([{:db/ident :x/q :db/cardinality :db.cardinality/many}])", "schema-violation", ":x/q");
    expectTxError(db, R"([{:db/ident :x/q :db/valueType :db.type/long :db/isComponent true}])", "schema-violation", ":x/q");
    expectTxError(db, R"([{:db/valueType :db.type/long :db/cardinality :db.cardinality/one}])", "schema-violation", "ident");
    expectTxError(db, R"([{:db/ident :db/txInstant :db/valueType :db.type/long}])", "schema-violation", "db/txInstant");
    // A string for the keyword-typed :db/valueType is coerced, then rejected.
    expectTxError(db, R"([{:db/ident :x/q :db/valueType "long"}])", "schema-violation", ":long");
  }
  SECTION("an implicit attribute with datoms cannot get an incompatible type") {
    Db d = Db::empty().with(tx(R"([[:db/add 1 :free/v "text"]])"));
    expectTxError(d, R"([{:db/ident :free/v :db/valueType :db.type/long}])", "schema-violation", ":free/v");
    expectTxError(d, R"([{:db/ident :free/v :db/valueType :db.type/ref}])", "schema-violation", ":free/v");
    // A compatible declaration is fine.
    TxReport r = d.transact(tx(R"([{:db/ident :free/v :db/valueType :db.type/string}])"));
    CHECK(r.dbAfter.attribute(Keyword::intern("free/v"))->type == ValueType::String);
  }
}
