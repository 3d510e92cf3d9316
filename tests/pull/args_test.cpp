// Pull arguments, errors, pullMany, views, limits of the work.
#include "pull_test_util.h"

using namespace datalite;
using namespace datalite::pulltest;

namespace {

Db peopleDb() {
  return Db::empty(read(R"({:p/email {:db/unique :db.unique/identity}
      :p/friend {:db/valueType :db.type/ref :db/cardinality :db.cardinality/many}
      :p/color {:db/valueType :db.type/ref}
      :p/tags {:db/cardinality :db.cardinality/many}
      :p/pos {:db/valueType :db.type/tuple :db/tupleTypes [:db.type/long :db.type/long]}})"))
      .with(tx(R"([{:db/id 100 :db/ident :color/red}
                  {:db/id 1 :p/email "a@x" :p/name "A" :p/friend [2 3] :p/color :color/red
                   :p/tags [:t/b :t/a] :p/pos [1 2] :p/score 1.5}
                  {:db/id 2 :p/email "b@x" :p/name "B" :db/ident :person/b}
                  {:db/id 3 :p/name "C"}])"));
}

}  // namespace

TEST_CASE("pull: value types and ident refs", "[pull]") {
  Db db = peopleDb();
  // Keywords stay keywords, tuples are vectors, card-many values in index order;
  // a ref to an ident entity is {:db/id n} (DataScript).
  CHECK(P(db, "[:p/name :p/tags :p/pos :p/score :p/color]", "1") ==
        R"({:p/name "A", :p/tags [:t/a :t/b], :p/pos [1 2], :p/score 1.5, :p/color {:db/id 100}})");
  CHECK(P(db, "[:p/name {:p/color [:db/ident]}]", "1") == R"({:p/name "A", :p/color {:db/ident :color/red}})");
  CHECK(P(db, "[*]", "100") == "{:db/id 100, :db/ident :color/red}");
}

TEST_CASE("pull: entity arguments", "[pull]") {
  Db db = peopleDb();
  CHECK(P(db, "[:p/name]", "[:p/email \"b@x\"]") == R"({:p/name "B"})");
  CHECK(P(db, "[:p/name]", "(:p/email \"b@x\")") == R"({:p/name "B"})");
  CHECK(P(db, "[:p/name]", ":person/b") == R"({:p/name "B"})");
  CHECK(P(db, "[:db/ident]", ":color/red") == "{:db/ident :color/red}");
  // Not found: nil.
  CHECK(P(db, "[:p/name]", "[:p/email \"zzz\"]") == "nil");
  CHECK(P(db, "[*]", "[:p/email \"zzz\"]") == "nil");
  CHECK(P(db, "[:p/name]", "[:p/unknown 1]") == "nil");
  CHECK(P(db, "[:p/name]", ":no/such-ident") == "nil");
  CHECK(P(db, "[:p/name]", "12345") == "nil");
  // Bad shapes: invalid-input naming the argument.
  for (const char* bad : {"\"a@x\"", "0", "-1", "1.5", "{:a 1}", "[:p/email]", "[1 2 3]", "[1 2]", "nil", "#{1}"}) {
    Caught c = catchError([&] { P(db, "[:p/name]", bad); });
    INFO(bad << " -> " << c.message);
    CHECK(c.code == "invalid-input");
  }
  CHECK_THAT(catchError([&] { P(db, "[:p/name]", "\"a@x\""); }).message, Catch::Matchers::Contains("\"a@x\""));
  // A lookup ref on a non-unique attribute.
  CHECK(catchError([&] { P(db, "[:p/name]", "[:p/name \"A\"]"); }).code == "invalid-input");
  // The integer overload.
  CHECK(edn::print(pull::pull(db, pull::parsePattern(read("[:p/name]")), int64_t{3})) == R"({:p/name "C"})");
  CHECK(catchError([&] { pull::pull(db, pull::parsePattern(read("[:p/name]")), int64_t{0}); }).code == "invalid-input");
}

TEST_CASE("pull: pullMany", "[pull]") {
  Db db = peopleDb();
  CHECK(PM(db, "[:p/name]", "[1 2 3]") == R"([{:p/name "A"} {:p/name "B"} {:p/name "C"}])");
  CHECK(PM(db, "[:p/email]", R"([[:p/email "b@x"] [:p/email "a@x"] [:p/email "none"] 3 99 :person/b])") ==
        R"([{:p/email "b@x"} {:p/email "a@x"} nil nil nil {:p/email "b@x"}])");
  CHECK(PM(db, "[:p/name]", "[]") == "[]");
  CHECK(catchError([&] { PM(db, "[:p/name]", "[1 \"x\"]"); }).code == "invalid-input");
  // A pattern reused across calls and dbs.
  pull::Pattern p = pull::parsePattern(read("[:p/name {:p/friend [:p/name]}]"));
  Value ids[] = {Value::integer(1), Value::integer(2)};
  CHECK(edn::print(Value::vector(pull::pullMany(db, p, ids))) ==
        R"([{:p/name "A", :p/friend [{:p/name "B"} {:p/name "C"}]} {:p/name "B"}])");
  Db db2 = db.with(tx(R"([[:db/add 2 :p/friend 1]])"));
  CHECK(edn::print(Value::vector(pull::pullMany(db2, p, ids))) ==
        R"([{:p/name "A", :p/friend [{:p/name "B"} {:p/name "C"}]} {:p/name "B", :p/friend [{:p/name "A"}]}])");
  CHECK(edn::print(p.source()) == "[:p/name {:p/friend [:p/name]}]");
}

TEST_CASE("pull: asOf and since views; history raises", "[pull]") {
  Db db0 = peopleDb();
  int64_t t0 = db0.maxTx();
  Db db1 = db0.with(tx(R"([[:db/retract 1 :p/friend 3] [:db/add 1 :p/name "A2"] [:db/add 3 :p/friend 1] {:db/id 4 :p/name "D"}])"));
  int64_t t1 = db1.maxTx();
  const char* pat = "[:p/name :p/friend :p/_friend]";
  CHECK(P(db1, pat, "1") == R"({:p/name "A2", :p/friend [{:db/id 2}], :p/_friend [{:db/id 3}]})");
  CHECK(P(db1.asOf(t0), pat, "1") == R"({:p/name "A", :p/friend [{:db/id 2} {:db/id 3}]})");
  CHECK(P(db1.asOf(t1), pat, "1") == P(db1, pat, "1"));
  CHECK(P(db1.asOf(t0), "[:p/name]", "4") == "nil");
  CHECK(P(db1.since(t0), pat, "1") == R"({:p/name "A2", :p/_friend [{:db/id 3}]})");
  CHECK(P(db1.since(t0), "[:p/name]", "4") == R"({:p/name "D"})");
  CHECK(P(db1.since(t0), "[:p/name]", "2") == "nil");
  // Lookup refs resolve in the view.
  CHECK(P(db1.asOf(t0), "[:p/name]", "[:p/email \"a@x\"]") == R"({:p/name "A"})");
  Caught c = catchError([&] { P(db1.history(), pat, "1"); });
  CHECK(c.code == "invalid-input");
  CHECK_THAT(c.message, Catch::Matchers::Contains("history"));
  CHECK(catchError([&] { pull::Entity::of(db1.history(), read("1")); }).code == "invalid-input");
}

TEST_CASE("pull: pattern parse errors name the form", "[pull]") {
  struct Bad {
    const char* pattern;
    const char* needle;
  };
  for (Bad b : std::initializer_list<Bad>{
           {":name", ":name"},
           {"{:a [:b]}", "{:a [:b]}"},
           {"[\"name\"]", "\"name\""},
           {"[1]", "1"},
           {"[nil]", "nil"},
           {"[foo]", "foo"},
           {"[{:a foo}]", "foo"},
           {"[{:a 0}]", "0"},
           {"[{:a -2}]", "-2"},
           {"[{:a :b}]", ":b"},
           {"[{}]", "{}"},
           {"[{\"a\" [:b]}]", "\"a\""},
           {"[{:db/id [:b]}]", ":db/id"},
           {"[(limit :a)]", "(limit :a)"},
           {"[(limit :a 0)]", "(limit :a 0)"},
           {"[(limit :a -1)]", "(limit :a -1)"},
           {"[(limit :a \"x\")]", "(limit :a \"x\")"},
           {"[(default :a)]", "(default :a)"},
           {"[(foo :a 1)]", "(foo :a 1)"},
           {"[[:a :limit]]", "[:a :limit]"},
           {"[[:a :limit 0]]", "[:a :limit 0]"},
           {"[[:a :bogus 1]]", ":bogus"},
           {"[[:a :xform inc]]", ":xform"},
           {"[[\"a\" :limit 1]]", "[\"a\" :limit 1]"},
           {"[[]]", "[]"},
           {"[()]", "()"},
           {"[:_]", ":_"},
           {"[{(limit :a 2) [1]}]", "1"},
       }) {
    Caught c = catchError([&] { pull::parsePattern(read(b.pattern)); });
    INFO(b.pattern << " -> " << c.message);
    CHECK(c.code == "parse-error");
    CHECK_THAT(c.message, Catch::Matchers::Contains(b.needle));
  }
  // Valid corner cases.
  CHECK_NOTHROW(pull::parsePattern(read("[]")));
  CHECK_NOTHROW(pull::parsePattern(read("[* *]")));
  CHECK_NOTHROW(pull::parsePattern(read("[:db/id [:db/id :as :id] (limit :_a nil)]")));
}

TEST_CASE("pull: work limits", "[pull]") {
  // A chain of 400 entities: unbounded recursion hits maxDepth.
  std::string data = "[";
  for (int i = 1; i <= 400; ++i)
    data += "{:db/id " + std::to_string(i) + " :n " + std::to_string(i) + (i < 400 ? " :next " + std::to_string(i + 1) : "") + "} ";
  data += "]";
  Db db = Db::empty(read("{:next {:db/valueType :db.type/ref}}")).with(tx(data));
  Caught c = catchError([&] { P(db, "[:n {:next ...}]", "1"); });
  CHECK(c.code == "limit-exceeded");
  pull::PullOptions deep;
  deep.maxDepth = 1000;
  Value v = pull::pull(db, read("[:n {:next ...}]"), Value::integer(1), deep);
  const Value* cur = &v;
  int levels = 1;
  while (const Value* next = cur->getKeyword("next")) {
    cur = next;
    ++levels;
  }
  CHECK(levels == 400);
  CHECK(edn::print(*cur) == "{:n 400}");
  CHECK(P(db, "[:n {:next 255}]", "1").size() > 0);
  pull::PullOptions few;
  few.maxEntities = 10;
  CHECK(catchError([&] { pull::pull(db, read("[:n {:next 20}]"), Value::integer(1), few); }).code == "limit-exceeded");
  CHECK_NOTHROW(pull::pull(db, read("[:n {:next 8}]"), Value::integer(1), few));
}
