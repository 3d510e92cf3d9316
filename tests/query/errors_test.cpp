// Query errors: codes and messages naming the offending form; no input crashes.
#include "query_test_util.h"

#include <random>

using namespace datalite;
using namespace datalite::qtest;

namespace {
void expectError(const std::string& query, std::vector<QueryArg> args, ErrorCode code,
                 std::vector<std::string> mentions) {
  INFO(query);
  Caught c = E(query, std::move(args));
  REQUIRE(c.thrown);
  INFO(c.message);
  CHECK(c.code == code);
  for (const auto& m : mentions) CHECK(has(c.message, m));
}
}  // namespace

TEST_CASE("errors: parse errors name the form", "[query][errors]") {
  Db db = peopleDb();
  expectError("[:find :where [?e :name]]", {D(db)}, ErrorCode::ParseError, {":find"});
  expectError("[:where [?e :name]]", {D(db)}, ErrorCode::ParseError, {":find"});
  expectError("[?e :find ?e]", {D(db)}, ErrorCode::ParseError, {":find"});
  expectError("[:find ?e :wher [?e :name]]", {D(db)}, ErrorCode::ParseError, {":wher"});
  expectError("[:find ?e :where ?e]", {D(db)}, ErrorCode::ParseError, {"?e"});
  expectError("[:find ?e :where []]", {D(db)}, ErrorCode::ParseError, {"[]"});
  expectError("[:find ?e :where [?e :a ?v ?t ?x ?y]]", {D(db)}, ErrorCode::ParseError, {"[?e :a ?v ?t ?x ?y]"});
  expectError("[:find ?e :where [?e :name $x]]", {D(db)}, ErrorCode::ParseError, {"$x"});
  expectError("[:find ?e :where [(> ?e 1) ?a ?b]]", {D(db)}, ErrorCode::ParseError, {"(> ?e 1)"});
  expectError("[:find ?e :where [(1 ?e)]]", {D(db)}, ErrorCode::ParseError, {"(1 ?e)"});
  expectError("[:find ?e :where (or [?e :name] [?x :age])]", {D(db)}, ErrorCode::ParseError,
              {"or", "(or [?e :name] [?x :age])"});
  expectError("[:find ?e :where [?e :name] (or [?e :name \"Ivan\"] [?e :friend ?f])]", {D(db)},
              ErrorCode::ParseError, {"(or [?e :name \"Ivan\"] [?e :friend ?f])"});
  expectError("[:find ?e :where (and [?e :name])]", {D(db)}, ErrorCode::ParseError, {"and"});
  expectError("[:find ?e :where (not-join ?e [?e :name])]", {D(db)}, ErrorCode::ParseError, {"not-join"});
  expectError("[:find ?e :where (not)]", {D(db)}, ErrorCode::ParseError, {"(not)"});
  expectError("[:find ?e :where (or-join [?e])]", {D(db)}, ErrorCode::ParseError, {"or-join"});
  expectError("[:find [?e ...] ?x :where [?e :name ?x]]", {D(db)}, ErrorCode::ParseError, {"..."});
  expectError("[:find ?e . ?x :where [?e :name ?x]]", {D(db)}, ErrorCode::ParseError, {":find"});
  expectError("[:find [] :where [?e :name]]", {D(db)}, ErrorCode::ParseError, {":find"});
  expectError("[:find \"x\" :where [?e :name]]", {D(db)}, ErrorCode::ParseError, {"\"x\""});
  expectError("[:find (pull ?e) :where [?e :name]]", {D(db)}, ErrorCode::ParseError, {"(pull ?e)"});
  expectError("[:find ?e :in [?x 1] :where [?e :name]]", {V("[1 1]")}, ErrorCode::ParseError, {"[?x 1]"});
  expectError("[:find ?e :in 42 :where [?e :name]]", {V("1")}, ErrorCode::ParseError, {"42"});
  expectError("[:find ?e ?n :keys a :where [?e :name ?n]]", {D(db)}, ErrorCode::ParseError, {":keys"});
  expectError("[:find [?e ...] :keys a :where [?e :name ?n]]", {D(db)}, ErrorCode::ParseError, {":keys"});
  expectError("\"not a query\"", {D(db)}, ErrorCode::ParseError, {"not a query"});
  expectError("{:find ?e :where [[?e :name]]}", {D(db)}, ErrorCode::ParseError, {":find"});
}

TEST_CASE("errors: unknown vars in :find and :with", "[query][errors]") {
  Db db = peopleDb();
  expectError("[:find ?x :where [?e :name ?n]]", {D(db)}, ErrorCode::ParseError, {"?x"});
  expectError("[:find ?e ?x ?y :where [?e :name ?n]]", {D(db)}, ErrorCode::ParseError, {"?x", "?y"});
  expectError("[:find (count ?x) :where [?e :name ?n]]", {D(db)}, ErrorCode::ParseError, {"?x"});
  expectError("[:find ?e :with ?z :where [?e :name ?n]]", {D(db)}, ErrorCode::ParseError, {"?z"});
  expectError("[:find (pull ?x [*]) :where [?e :name ?n]]", {D(db)}, ErrorCode::ParseError, {"?x"});
  // A var only used inside 'not' is not bound for :find.
  expectError("[:find ?f :where [?e :name] (not [?e :friend ?f])]", {D(db)}, ErrorCode::ParseError, {"?f"});
}

TEST_CASE("errors: insufficient bindings name the clause", "[query][errors]") {
  Db db = peopleDb();
  expectError("[:find ?e :where [?e :age ?a] [(> ?b 1)]]", {D(db)}, ErrorCode::InvalidInput,
              {"Insufficient bindings", "?b", "(> ?b 1)"});
  expectError("[:find ?x :where [(inc ?y) ?x]]", {D(db)}, ErrorCode::InvalidInput, {"?y", "(inc ?y)"});
  expectError("[:find ?e :where [?e :name] (not-join [?z] [?z :age 1])]", {D(db)}, ErrorCode::InvalidInput,
              {"?z", "not-join"});
  expectError("[:find ?e ?x :where [?e :age 22] (or-join [[?x] ?e] [?e :friend ?x] [?e :age ?x])]", {D(db)},
              ErrorCode::InvalidInput, {"?x", "or-join"});
  expectError("[:find ?n :where [?x :name ?n] (not [?e :sex :male])]", {D(db)}, ErrorCode::InvalidInput,
              {"Insufficient bindings", "(not [?e :sex :male])"});
}

TEST_CASE("errors: unknown functions, rules, sources", "[query][errors]") {
  Db db = peopleDb();
  expectError("[:find ?e :where [?e :age ?a] [(nosuchfn ?a)]]", {D(db)}, ErrorCode::InvalidInput,
              {"nosuchfn", "(nosuchfn ?a)"});
  expectError("[:find ?e ?b :where [?e :age ?a] [(nosuchfn ?a) ?b]]", {D(db)}, ErrorCode::InvalidInput,
              {"nosuchfn"});
  expectError("[:find ?e :where (norule ?e)]", {D(db)}, ErrorCode::InvalidInput, {"norule", "(norule ?e)"});
  expectError("[:find ?e :in $ % :where (norule ?e)]", {D(db), V("[[(r ?x) [?x :name]]]")}, ErrorCode::InvalidInput,
              {"norule"});
  expectError("[:find ?e :in $ % :where (r ?e 1)]", {D(db), V("[[(r ?x) [?x :name]]]")}, ErrorCode::InvalidInput,
              {"(r ?e 1)"});
  expectError("[:find ?e :where [$nope ?e :name]]", {D(db)}, ErrorCode::InvalidInput, {"$nope"});
  expectError("[:find ?e :in $ % :where (r ?e)]", {D(db), V("[[(r) [?x :name]]]")}, ErrorCode::ParseError,
              {"(r)"});
  expectError("[:find ?e :in $ % :where (r ?e)]", {D(db), V("[[(r ?x) [?x :name]] [(r ?x ?y) [?x :age ?y]]]")},
              ErrorCode::ParseError, {"arity"});
  expectError("[:find ?e :in $ % :where (r ?e)]", {D(db), V("[[(r ?x) [?y :name]]]")}, ErrorCode::InvalidInput,
              {"?x"});
}

TEST_CASE("errors: wrong :in arity and bad inputs", "[query][errors]") {
  Db db = peopleDb();
  expectError("[:find ?e :in $ ?n :where [?e :name ?n]]", {D(db)}, ErrorCode::InvalidInput, {"expected 2, got 1"});
  expectError("[:find ?e :where [?e :name]]", {D(db), D(db)}, ErrorCode::InvalidInput, {"expected 1, got 2"});
  expectError("[:find ?e :where [?e :name]]", {}, ErrorCode::InvalidInput, {"expected 1, got 0"});
  expectError("[:find ?e :in $ [?n ...] :where [?e :name ?n]]", {D(db), V("1")}, ErrorCode::InvalidInput,
              {"collection"});
  expectError("[:find ?e :in $ [?a ?b] :where [?e :name ?a]]", {D(db), V("[1]")}, ErrorCode::InvalidInput,
              {"[1]"});
  expectError("[:find ?e :in $ [[?a ?b]] :where [?e :name ?a]]", {D(db), V("[1 2]")}, ErrorCode::InvalidInput,
              {"tuples"});
  expectError("[:find ?e :in $ :where [?e :name]]", {V("42")}, ErrorCode::InvalidInput, {"42"});
  expectError("[:find ?x :in ?x]", {D(db)}, ErrorCode::InvalidInput, {"?x"});
}

namespace {

// Random mutations of valid queries: every outcome is a result or a DataliteError.
Value mutate(const Value& v, std::mt19937& rng, int depth = 0) {
  static const char* atoms[] = {"?e", "?x", "_", ":name", ":friend", "1", "\"s\"", "...", ".", "$", "$2",
                                "%", "not", "or", "and", "or-join", "not-join", "pull", "count", "nil",
                                "[]", "()", "[?e]", "[[?x]]", "(count)", ":find", ":where", ":in", "[?x ...]",
                                "(> ?x)", "[(ground 1) ?q]", "#{1}", "{:a 1}", "-1", "9999999999999"};
  std::uniform_int_distribution<int> pick(0, 9);
  if (v.isCollection() && !v.isMap() && depth < 6) {
    std::vector<Value> items = v.items();
    int op = pick(rng);
    std::uniform_int_distribution<size_t> at(0, items.empty() ? 0 : items.size() - 1);
    if (op <= 1 && !items.empty()) {
      items.erase(items.begin() + static_cast<long>(at(rng)));
    } else if (op <= 3) {
      std::uniform_int_distribution<size_t> a(0, std::size(atoms) - 1);
      items.insert(items.begin() + static_cast<long>(items.empty() ? 0 : at(rng)), edn::readOne(atoms[a(rng)]));
    } else if (op <= 5 && !items.empty()) {
      std::uniform_int_distribution<size_t> a(0, std::size(atoms) - 1);
      items[at(rng)] = edn::readOne(atoms[a(rng)]);
    } else if (!items.empty()) {
      size_t i = at(rng);
      items[i] = mutate(items[i], rng, depth + 1);
    }
    if (v.isVector()) return Value::vector(items);
    if (v.isList()) return Value::list(items);
    return Value::set(items);
  }
  return v;
}

}  // namespace

TEST_CASE("errors: fuzzed queries throw only DataliteError", "[query][errors][fuzz]") {
  Db db = peopleDb();
  const char* rules = "[[(r ?a ?b) [?a :friend ?b]] [(r ?a ?b) [?a :friend ?t] (r ?t ?b)] [(q [?a] ?b) [(+ ?a 1) ?b]]]";
  std::vector<std::string> seeds = {
      "[:find ?e ?n :where [?e :name ?n] [?e :age ?a] [(> ?a 20)]]",
      "[:find [?n ...] :in $ [?x ...] :where [?e :age ?x] [?e :name ?n]]",
      "[:find (count ?e) . :where [?e :name] (not [?e :sex :male])]",
      "[:find ?e :where (or [?e :name \"Oleg\"] (and [?e :age ?a] [(< ?a 20)]))]",
      "[:find ?e ?f :in $ % :where (r ?e ?f)]",
      "[:find ?b :in $ % :where (q 1 ?b)]",
      "[:find (pull ?e [:name {:friend [:name]}]) :where [?e :friend ?f]]",
      "[:find ?x ?y :where [(ground [[1 2] [3 4]]) [[?x ?y]]] (or-join [[?x] ?y] [(ground 2) ?y] [(ground 4) ?y])]",
      "[:find ?e ?n :keys e n :with ?a :where [?e :name ?n] [?e :age ?a] (not-join [?e] [?e :friend ?f] [?f :age 15])]",
      "[:find ?a ?v :where [1 ?a ?v] [(str ?v) ?s] [(count ?s) ?c] [(max ?c 2) ?m]]",
  };
  std::mt19937 rng(1234);
  int errors = 0, ok = 0;
  for (int round = 0; round < 1500; ++round) {
    const std::string& seed = seeds[static_cast<size_t>(round) % seeds.size()];
    Value form = edn::readOne(seed);
    int n = 1 + static_cast<int>(rng() % 3);
    for (int i = 0; i < n; ++i) form = mutate(form, rng);
    std::string text = edn::print(form);
    INFO(text);
    // Supply inputs matching the :in section roughly; mismatches must be clean errors too.
    std::vector<QueryArg> args = {D(db)};
    if (has(text, "%")) args.push_back(V(rules));
    if (has(text, "[?x ...]")) args.push_back(V("[15 22]"));
    QueryOptions opts;
    opts.maxRows = 200000;
    opts.maxRuleIterations = 10000;
    try {
      query::q(form, args, opts);
      ++ok;
    } catch (const DataliteError&) {
      ++errors;
    } catch (const std::exception& e) {
      FAIL("non-DataliteError exception: " << e.what());
    }
  }
  CHECK(ok > 50);
  CHECK(errors > 50);
}

TEST_CASE("errors: unknown functions and rules are reported even when nothing matches", "[query][errors]") {
  Db db = peopleDb();
  expectError("[:find ?e :where [?e :nope] [(nosuchfn ?e)]]", {D(db)}, ErrorCode::InvalidInput, {"nosuchfn"});
  expectError("[:find ?e :where [?e :nope] (not [(nosuchfn ?e)])]", {D(db)}, ErrorCode::InvalidInput, {"nosuchfn"});
  expectError("[:find ?e :where [?e :nope] (norule ?e)]", {D(db)}, ErrorCode::InvalidInput, {"norule"});
  expectError("[:find ?e :in $ % :where [?e :nope] (r ?e)]", {D(db), V("[[(r ?x) [(nofn ?x)]]]")},
              ErrorCode::InvalidInput, {"nofn", "(nofn ?x)"});
}
