// DataScript's serializable JSON: fixtures produced by DataScript 1.8.1
// (tests/serial/fixtures/make_fixtures.mjs), our output's shape, round
// trips, errors, and (when node and bench/datascript are installed)
// DataScript loading our output.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <set>

#include "serial/json.h"
#include "serial_test_util.h"

using namespace datalite;
using namespace datalite::testing;
using serial::fromSerializableJson;
using serial::toSerializableJson;
namespace json = datalite::serial::json;

namespace {

Db fixture(const std::string& name) { return fromSerializableJson(readFile(fixturesDir() / name)); }

std::string eavtOf(const Db& db) { return datomLines(db, IndexOrder::EAVT); }

std::string t(int n) { return std::to_string(kTx0 + n); }

// A JSON value printed back canonically (for comparing parsed documents).
std::string canonical(const json::Ref& r) {
  std::string out;
  switch (r.type()) {
    case json::Type::Null: return "null";
    case json::Type::True: return "true";
    case json::Type::False: return "false";
    case json::Type::Integer: serial::json::appendInteger(r.asInteger(), out); return out;
    case json::Type::Double: serial::json::appendDouble(r.asDouble(), out); return out;
    case json::Type::String: serial::json::appendString(r.asString(), out); return out;
    case json::Type::Array: {
      out = "[";
      json::Ref x = r.firstChild();
      for (size_t i = 0; i < r.size(); ++i, x = x.next()) out += (i ? "," : "") + canonical(x);
      return out + "]";
    }
    case json::Type::Object: {
      out = "{";
      json::Ref k = r.firstChild();
      for (size_t i = 0; i < r.size(); ++i) {
        json::Ref v = k.next();
        out += (i ? "," : "") + canonical(k) + ":" + canonical(v);
        k = v.next();
      }
      return out + "}";
    }
  }
  return "?";
}

std::set<std::string> keysOf(const json::Ref& obj) {
  std::set<std::string> keys;
  json::Ref k = obj.firstChild();
  for (size_t i = 0; i < obj.size(); ++i) {
    keys.insert(std::string(k.asString()));
    k = k.next().next();
  }
  return keys;
}

std::string member(const json::Document& doc, const char* key) {
  json::Ref r;
  REQUIRE(doc.root().find(key, r));
  return canonical(r);
}

// An EDN map with its entries (and nested maps') sorted, for comparing
// schemas printed in different orders.
std::string sortedEdn(const Value& v) {
  if (!v.isMap()) return edn::print(v);
  std::vector<std::string> entries;
  for (size_t i = 0; i < v.mapSize(); ++i) entries.push_back(edn::print(v.mapKey(i)) + " " + sortedEdn(v.mapVal(i)));
  std::sort(entries.begin(), entries.end());
  std::string out = "{";
  for (size_t i = 0; i < entries.size(); ++i) out += (i ? ", " : "") + entries[i];
  return out + "}";
}

std::string schemaMember(const json::Document& doc) {
  json::Ref r;
  REQUIRE(doc.root().find("schema", r));
  return sortedEdn(read(std::string(r.asString())));
}

Caught loadError(const std::string& text) {
  return catchError([&] { fromSerializableJson(text); });
}

// A minimal DataScript-shaped document around the given eavt.
std::string doc(const std::string& eavt, const std::string& extra = "") {
  return R"({"tx0":536870912,"max-eid":1,"max-tx":536870913,"schema":"{}","attrs":["a"],"keywords":[":k"],"eavt":)" +
         eavt + extra + "}";
}

}  // namespace

TEST_CASE("datascript json: the people fixture loads with its schema and datoms", "[serial][json][datascript]") {
  Db db = fixture("people.json");
  // Attribute ids follow DataScript's attribute order: datoms iterate as there.
  CHECK(eavtOf(db) ==
        "[1 :address 3 " + t(1) + "]\n[1 :age 16 " + t(2) + "]\n[1 :alias \"Vanya\" " + t(1) +
            "]\n[1 :email \"ivan@example.org\" " + t(1) + "]\n[1 :friend 2 " + t(1) + "]\n[1 :name \"Ivan\" " +
            t(1) + "]\n"
            "[2 :active true " + t(1) + "]\n[2 :age 37 " + t(1) + "]\n[2 :email \"petr@example.org\" " + t(1) +
            "]\n[2 :name \"Petr\" " + t(1) + "]\n[2 :score -0.5 " + t(2) + "]\n"
            "[3 :alias \"O.\" " + t(3) + "]\n[3 :city \"Moscow\" " + t(1) + "]\n[3 :note \"\" " + t(3) +
            "]\n[3 :zip \"101000\" " + t(1) + "]\n"
            "[4 :active false " + t(1) + "]\n[4 :age 37 " + t(1) + "]\n[4 :friend 1 " + t(1) + "]\n[4 :friend 2 " +
            t(1) + "]\n[4 :name \"Oleg\" " + t(1) + "]\n");
  CHECK(sortedEdn(db.schema().toMap()) ==
        sortedEdn(read(R"({:email {:db/unique :db.unique/identity}
                           :friend {:db/valueType :db.type/ref :db/cardinality :db.cardinality/many}
                           :address {:db/valueType :db.type/ref :db/isComponent true}
                           :alias {:db/cardinality :db.cardinality/many}
                           :age {:db/index true}})")));
  CHECK(db.maxEid() == 4);
  CHECK(db.maxTx() == kTx0 + 3);
  CHECK(db.count() == 20);
  CHECK(runQuery(db, "[:find ?n . :where [?e :email \"petr@example.org\"] [?e :name ?n]]") == "\"Petr\"");
  CHECK(runQuery(db, "[:find ?n :where [?e :name \"Oleg\"] [?e :friend ?f] [?f :name ?n]]") ==
        "[[\"Ivan\"] [\"Petr\"]]");
  // The component cascades, the unique identity upserts.
  Db after = db.with(tx("[[:db/retractEntity 1]]"));
  CHECK(eavtOf(after).find("[3 ") == std::string::npos);
  TxReport up = db.transact(tx(R"([{:email "ivan@example.org" :age 17}])"));
  CHECK(up.dbAfter.entid(read("[:email \"ivan@example.org\"]")) == 1);
}

TEST_CASE("datascript json: the values fixture keeps every kind DataScript writes", "[serial][json][datascript]") {
  Db db = fixture("values.json");
  auto value = [&](int64_t e, const char* attr) {
    Value c[] = {Value::integer(e), Value::keyword(attr)};
    std::vector<Datom> ds = db.datoms(IndexOrder::EAVT, c);
    REQUIRE(ds.size() == 1);
    return edn::print(ds[0].v);
  };
  CHECK(value(1, "int") == "42");
  CHECK(value(1, "neg") == "-7");
  CHECK(value(1, "float") == "3.5");
  CHECK(value(1, "whole-float") == "2");  // DataScript writes 2.0 as 2
  CHECK(value(1, "big") == "9007199254740991");
  CHECK(value(1, "huge") == "1e+300");
  CHECK(value(1, "inf") == "##Inf");
  CHECK(value(1, "ninf") == "##-Inf");
  CHECK(value(1, "nan") == "##NaN");
  CHECK(value(1, "text") == R"("line\n\"quoted\" tab\t back\\slash")");
  CHECK(value(1, "unicode") == "\"Grüße, 世界 😀\"");
  CHECK(value(1, "empty") == "\"\"");
  CHECK(value(1, "yes") == "true");
  CHECK(value(1, "no") == "false");
  // Keywords arrive as dumps of cljs keyword objects (DataScript JS quirk).
  CHECK(value(1, "kw") == ":color/red");
  CHECK(value(1, "kw-plain") == ":plain");
  CHECK(value(1, "sym") == "foo/bar");
  CHECK(value(1, "uuid") == "#uuid \"550e8400-e29b-41d4-a716-446655440000\"");
  CHECK(value(1, "inst") == "#inst \"2024-02-29T12:34:56.789-00:00\"");
  CHECK(value(1, "vec") == "[1 \"two\" :three]");
  CHECK(value(2, "when") == "#inst \"2001-09-09T01:46:40.000-00:00\"");
  CHECK(value(2, "kw") == "\"not a keyword\"");
  CHECK(db.count() == 22);
  CHECK(db.maxTx() == kTx0 + 2);
  CHECK(runQuery(db, "[:find ?e . :where [?e :kw :color/red]]") == "1");
}

TEST_CASE("datascript json: the tuples fixture keeps tuple schema and idents", "[serial][json][datascript]") {
  Db db = fixture("tuples.json");
  const Attribute* ab = db.attribute(Keyword::intern("a+b"));
  REQUIRE(ab);
  CHECK(ab->isComposite());
  CHECK(db.attribute(Keyword::intern("pair"))->tupleTypes.size() == 2);
  CHECK(db.attribute(Keyword::intern("coords"))->hasTupleType);
  CHECK(db.attribute(Keyword::intern("code"))->doc == "a short code");
  CHECK(db.attribute(Keyword::intern("code"))->indexed);
  CHECK(eavtOf(db) == "[1 :a 1 " + t(1) + "]\n[1 :a+b [1 \"x\"] " + t(1) + "]\n[1 :b \"x\" " + t(1) +
                          "]\n[1 :code \"A1\" " + t(1) + "]\n[1 :coords [1.5 -2.25] " + t(1) +
                          "]\n[1 :pair [7 \"seven\"] " + t(1) + "]\n[2 :a 2 " + t(1) + "]\n[2 :a+b [2 \"y\"] " +
                          t(2) + "]\n[2 :b \"y\" " + t(2) + "]\n[2 :code \"B2\" " + t(1) +
                          "]\n[3 :db/ident :status/active " + t(1) + "]\n[3 :label \"Active\" " + t(1) + "]\n");
  // ":db/ident" from DataScript JS is datalite's :db/ident: the ident resolves.
  CHECK(db.entid(read(":status/active")) == 3);
  CHECK(runQuery(db, "[:find ?e . :where [?e :a+b [2 \"y\"]]]") == "2");
  // The composite stays maintained.
  TxReport r = db.transact(tx("[[:db/add 2 :b \"z\"]]"));
  Value c[] = {Value::integer(2), Value::keyword("a+b")};
  CHECK(edn::print(r.dbAfter.datoms(IndexOrder::EAVT, c).at(0).v) == "[2 \"z\"]");
}

TEST_CASE("datascript json: the empty fixture is schema only", "[serial][json][datascript]") {
  Db db = fixture("empty.json");
  CHECK(db.count() == 0);
  CHECK(db.attribute(Keyword::intern("tags"))->many);
  CHECK(db.attribute(Keyword::intern("owner"))->isRef());
  CHECK(db.maxTx() == kTx0);
}

TEST_CASE("datascript json: our output has DataScript's shape and order", "[serial][json][datascript]") {
  // Loaded from DataScript and written back, people.json comes out the same.
  std::string original = readFile(fixturesDir() / "people.json");
  json::Document theirs = json::Document::parse(original);
  json::Document ours = json::Document::parse(toSerializableJson(fromSerializableJson(original)));
  for (const char* key : {"count", "tx0", "max-eid", "max-tx", "attrs", "keywords", "eavt", "aevt", "avet"}) {
    INFO(key);
    CHECK(member(ours, key) == member(theirs, key));
  }
  CHECK(schemaMember(ours) == schemaMember(theirs));

  // Every fixture: the same members (plus our "datalite"), the same kinds.
  for (const char* name : {"people.json", "values.json", "tuples.json", "empty.json"}) {
    INFO(name);
    json::Document ds = json::Document::parse(readFile(fixturesDir() / name));
    json::Document back = json::Document::parse(toSerializableJson(fixture(name)));
    std::set<std::string> expected = keysOf(ds.root());
    expected.insert("datalite");
    CHECK(keysOf(back.root()) == expected);
    CHECK(member(back, "count") == member(ds, "count"));
    CHECK(member(back, "max-eid") == member(ds, "max-eid"));
    CHECK(member(back, "max-tx") == member(ds, "max-tx"));
    json::Ref eavt, dsEavt;
    REQUIRE(back.root().find("eavt", eavt));
    REQUIRE(ds.root().find("eavt", dsEavt));
    CHECK(eavt.size() == dsEavt.size());
  }

  // The values DataScript cannot tell apart in JSON stay exact here.
  Db db = Db::empty().with(tx(R"([{:db/id 1 :w 2.0 :b #datalite/bytes "AAE=" :l 9007199254740993 :n 5N :c \x
                                   :k :a/b :k2 :a/b :t [1 nil] :s sym}])"));
  std::string text = toSerializableJson(db);
  CHECK_THAT(text, Catch::Matchers::Contains(R"("keywords":[":a/b"])"));  // one table entry, used twice
  CHECK_THAT(text, Catch::Matchers::Contains("[1,\"9007199254740993\"]"));
  CHECK_THAT(text, Catch::Matchers::Contains("[1,\"5N\"]"));
  CHECK_THAT(text, Catch::Matchers::Contains("[1,\"\\\\x\"]"));
  CHECK_THAT(text, Catch::Matchers::Contains("[1,\"[1 nil]\"]"));
  CHECK_THAT(text, Catch::Matchers::Contains("\"AAE=\""));
  CHECK_THAT(text, Catch::Matchers::Contains(",2.0,"));
  CHECK(describe(fromSerializableJson(text)) == describe(db));
}

TEST_CASE("datascript json: a db with every value kind round-trips exactly", "[serial][json][datascript]") {
  Db db = richDb();
  std::string text = toSerializableJson(db);
  Db back = fromSerializableJson(text);
  CHECK(describe(back) == describe(db));
  CHECK(toSerializableJson(back) == text);
  for (const std::string& q : richQueries()) {
    INFO(q);
    CHECK(runQuery(back, q) == runQuery(db, q));
  }
  DbOptions nh;
  nh.keepHistory = false;
  CHECK_FALSE(fromSerializableJson(toSerializableJson(Db::empty(Value(), nh))).keepHistory());

  // Without our extension (as DataScript would write it back), the
  // DataScript-level schema and the data remain.
  std::string stripped = text.substr(0, text.find(",\"datalite\":")) + "}";
  Db plain = fromSerializableJson(stripped);
  CHECK(plain.count() == db.count());
  CHECK(plain.attribute(Keyword::intern("person/friends"))->isRef());
  CHECK(plain.attribute(Keyword::intern("person/email"))->unique == Uniqueness::Identity);
  CHECK(runQuery(plain, "[:find ?n . :where [?e :person/email \"ivan@x.org\"] [?e :person/name ?n]]") == "\"Ivan\"");
}

TEST_CASE("datascript json: 50k datoms round-trip", "[serial][json][datascript]") {
  Db db = bigDb(10'000);
  Db back = fromSerializableJson(toSerializableJson(db));
  CHECK(back.count() == db.count());
  CHECK(datomLines(back, IndexOrder::EAVT) == datomLines(db, IndexOrder::EAVT));
  CHECK(runQuery(back, "[:find (count ?e) . :where [?e :p/tags :t/tag3]]") ==
        runQuery(db, "[:find (count ?e) . :where [?e :p/tags :t/tag3]]"));
}

TEST_CASE("datascript json: bad JSON and bad shapes are invalid input", "[serial][json][datascript]") {
  auto expect = [](const std::string& text, const std::string& needle) {
    Caught c = loadError(text);
    INFO("input: " << text.substr(0, 300));
    CHECK(c.code == "invalid-input");
    CHECK_THAT(c.message, Catch::Matchers::Contains(needle));
    CHECK_THAT(c.message, Catch::Matchers::StartsWith("fromSerializableJson: "));
  };
  // The minimal document loads.
  Db ok = fromSerializableJson(doc("[[1,0,[0,0],1]]"));
  CHECK(eavtOf(ok) == "[1 :a :k " + t(1) + "]\n");

  expect("", "JSON syntax error at byte 0");
  expect("{\"eavt\": [}", "JSON syntax error");
  expect("[]", "expected an object");
  expect(R"({"eavt":[]})", "missing \"attrs\"");
  expect(R"({"attrs":[]})", "missing \"eavt\"");
  expect(R"({"attrs":{},"eavt":[]})", "\"attrs\" must be an array");
  expect(R"({"attrs":[1],"eavt":[]})", "\"attrs\"[0] must be a string");
  expect(R"({"attrs":[""],"eavt":[]})", "empty attribute name");
  expect(R"({"attrs":["a"],"eavt":{}})", "\"eavt\" must be an array");
  expect(doc("[[1,0,1]]"), "\"eavt\"[0] must be an array [e a v tx]");
  expect(doc("[5]"), "\"eavt\"[0] must be an array [e a v tx]");
  expect(doc("[[1,3,1,1]]"), "attribute index 3 is not in \"attrs\"");
  expect(doc("[[1,\"a\",1,1]]"), "attribute index must be an integer");
  expect(doc("[[0,0,1,1]]"), "entity id 0 out of range");
  expect(doc("[[1.5,0,1,1]]"), "entity id must be an integer");
  expect(doc("[[1,0,1,0]]"), "out of range");
  expect(doc("[[1,0,null,1]]"), "a value cannot be null");
  expect(doc("[[1,0,{},1]]"), "a value cannot be an object");
  expect(doc("[[1,0,[],1]]"), "empty value marker");
  expect(doc("[[1,0,[9],1]]"), "unknown value marker 9");
  expect(doc("[[1,0,[0,5],1]]"), "keyword index 5 is not in \"keywords\"");
  expect(doc("[[1,0,[0],1]]"), "value marker 0 takes 1 argument");
  expect(doc("[[1,0,[2,1],1]]"), "value marker 2 takes 0 argument");
  expect(doc("[[1,0,[1,5],1]]"), "value marker 1 takes an EDN string");
  expect(doc("[[1,0,[1,\"{:a 1}\"],1]]"), "cannot be stored");
  expect(doc("[[1,0,[1,\"nil\"],1]]"), "cannot be stored");
  expect(doc("[[1,0,[1,\"[1 2\"],1]]"), "EDN parse error");
  expect(doc("[[1,0,[1,\"#foo/bar 1\"],1]]"), "cannot be stored");
  expect(doc("[[1,0,1,1]]", ",\"aevt\":[7]"), "\"aevt\" index 7 is out of range");
  expect(doc("[[1,0,1,1]]", ",\"avet\":{}"), "\"avet\" must be an array");
  expect(R"({"count":3,"attrs":["a"],"eavt":[[1,0,1,1]]})", "\"count\" 3 does not match the 1 datoms");
  expect(R"({"schema":"{:a","attrs":[],"eavt":[]})", "\"schema\"");
  expect(R"({"schema":"[]","attrs":[],"eavt":[]})", "the schema must be a map");
  expect(R"({"schema":"{\"a\" {:db/isComponent true}}","attrs":[],"eavt":[]})", "isComponent");
  expect(R"({"schema":"{\"a\" {} :a {}}","attrs":[],"eavt":[]})", "names :a twice");
  expect(R"({"schema":"{\"u\" {:db/unique :db.unique/identity}}","attrs":["u"],"eavt":[[1,0,1,1],[2,0,1,1]]})",
         "held by entities 1 and 2");
  expect(R"({"attrs":["a"],"eavt":[[1,0,1,1],[1,0,2,1]]})", "several values of cardinality-one attribute :a");
  expect(R"({"attrs":["a"],"eavt":[],"datalite":{"format":2}})", "unsupported \"datalite\".\"format\"");
  expect(R"({"attrs":["a"],"eavt":[],"datalite":[]})", "\"datalite\" must be an object");
  expect(R"({"attrs":["a"],"eavt":[[1,0,"*",1]],"datalite":{"format":1,"bytes":[0]}})", "not valid base64");
  expect(R"({"attrs":["a"],"eavt":[],"datalite":{"format":1,"bytes":[3]}})", "index 3 is out of range");
  expect(R"({"attrs":["a"],"eavt":[],"datalite":{"format":1,"attrs":["a","a"]}})", "listed twice");
  expect(R"({"attrs":["a"],"eavt":[],"datalite":{"format":1,"schema":"{:db/ident {}}"}})", "built-in");
  // Limits pass through as limit-exceeded.
  CHECK(loadError(std::string(200, '[')).code == "limit-exceeded");
}

TEST_CASE("datascript json: lenient where DataScript is", "[serial][json][datascript]") {
  // Repeated datoms collapse; unknown members and schema properties are ignored;
  // ":name" and "name" are one attribute; counters below the datoms are raised.
  Db db = fromSerializableJson(
      R"({"schema":"{\"a\" {:db/cardinality :db.cardinality/many :my/own 1}}","attrs":["a",":b"],
          "eavt":[[1,0,1,1],[1,0,1,1],[2,1,"x",2]],"branching-factor":512,"max-eid":0})");
  CHECK(eavtOf(db) == "[1 :a 1 " + t(1) + "]\n[2 :b \"x\" " + t(2) + "]\n");
  CHECK(db.maxEid() == 2);
  CHECK(db.maxTx() == kTx0 + 2);
  CHECK(db.attribute(Keyword::intern("a"))->many);
}

TEST_CASE("datascript json: DataScript loads our output, in its own index order", "[serial][json][datascript]") {
  std::filesystem::path script = fixturesDir() / "check_datascript_loads.mjs";
  std::filesystem::path datascript = repoRoot() / "bench/datascript/node_modules/datascript";
  if (std::system("node --version > /dev/null 2>&1") != 0 || !std::filesystem::exists(datascript)) {
    WARN("node or bench/datascript/node_modules missing: DataScript check skipped");
    return;
  }
  auto tmp = std::filesystem::temp_directory_path();
  std::string stamp = std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
  for (auto& [name, db] : std::vector<std::pair<std::string, Db>>{
           {"rich", richDb()}, {"people", fixture("people.json")}, {"big", bigDb(500)}, {"empty", Db()}}) {
    INFO(name);
    auto in = tmp / ("datalite_serial_" + stamp + "_" + name + ".json");
    auto out = tmp / ("datalite_serial_" + stamp + "_" + name + ".out");
    auto err = tmp / ("datalite_serial_" + stamp + "_" + name + ".err");
    writeFile(in, toSerializableJson(db));
    std::string cmd = "node \"" + script.string() + "\" \"" + in.string() + "\" > \"" + out.string() + "\" 2> \"" +
                      err.string() + "\"";
    int rc = std::system(cmd.c_str());
    INFO("stderr: " << readFile(err));
    CHECK(rc == 0);
    json::Document loaded = json::Document::parse(readFile(out));
    CHECK(loaded.root().size() == db.count());
    if (name == "rich") {
      // Spot checks of what DataScript holds.
      std::string all = canonical(loaded.root());
      CHECK_THAT(all, Catch::Matchers::Contains(R"(,"person/name","Ivan",)"));
      CHECK_THAT(all, Catch::Matchers::Contains(R"(,"v/kw",":some/kw",)"));
      CHECK_THAT(all, Catch::Matchers::Contains(R"(,"v/inst",{"inst":"2020-01-02T03:04:05.678Z"},)"));
      CHECK_THAT(all, Catch::Matchers::Contains(R"(,"any/nan",{"number":"NaN"},)"));
    }
    std::filesystem::remove(in);
    std::filesystem::remove(out);
    std::filesystem::remove(err);
  }
}
