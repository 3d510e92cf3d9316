// :where clauses: data patterns, predicates, functions, not / or.
#include "query_test_util.h"

#include <span>

using namespace datalite;
using namespace datalite::qtest;

TEST_CASE("where: constants, blanks, lookup refs and idents in patterns", "[query][where]") {
  Db db = peopleDb();
  CHECK(S("[:find ?a :where [1 :age ?a]]", db) == "[[15]]");
  CHECK(S("[:find ?a :where [[:email \"petr@x\"] :age ?a]]", db) == "[[37]]");
  CHECK(S("[:find ?a :where [[:email \"nobody\"] :age ?a]]", db) == "[]");
  CHECK(S("[:find ?e :where [?e :friend [:email \"ivan@x\"]]]", db) == "[[2]]");
  CHECK(S("[:find ?e :where [?e :friend 1]]", db) == "[[2]]");
  CHECK(S("[:find ?e :where [?e :color :red]]", db) == "[[1] [3]]");
  CHECK(S("[:find ?e :where [?e :color 11]]", db) == "[[2]]");
  CHECK(S("[:find ?c :where [1 :color ?c]]", db) == "[[10]]");
  CHECK(S("[:find ?e :where [?e :color :green]]", db) == "[]");
  // An ident as the entity.
  CHECK(S("[:find ?e :where [:red :db/ident ?i] [?e :color :red]]", db) == "[[1] [3]]");
  CHECK(S("[:find ?i :where [:red :db/ident ?i]]", db) == "[[:red]]");
  // Keyword values of a non-ref attribute stay keywords.
  CHECK(S("[:find ?e :where [?e :sex :male]]", db) == "[[1] [2]]");
  // Blanks.
  CHECK(S("[:find ?e :where [?e :friend _]]", db) == "[[2] [3] [4]]");
  CHECK(S("[:find ?e :where [?e _ \"Oleg\"]]", db) == "[[4]]");
  CHECK(S("[:find ?v :where [4 _ ?v]]", db) == R"([[5] [22] ["Oleg"]])");
  CHECK(S("[:find ?e :where [?e]]", db) == S("[:find ?e :where [?e _ _]]", db));
  // Unknown attribute: no match.
  CHECK(S("[:find ?e :where [?e :nope ?v]]", db) == "[]");
  // The same variable twice in one pattern.
  Db loops = Db::empty(read("{:r {:db/valueType :db.type/ref}}")).with(tx("[[:db/add 1 :r 1] [:db/add 2 :r 1]]"));
  CHECK(S("[:find ?e :where [?e :r ?e]]", loops) == "[[1]]");
  // A value that cannot be stored for the attribute just does not match.
  CHECK(S("[:find ?e :where [?e :friend \"text\"]]", db) == "[]");
  CHECK(S("[:find ?e :where [?e :age \"37\"]]", db) == "[]");
}

TEST_CASE("where: attribute variables", "[query][where]") {
  Db db = peopleDb();
  CHECK(S("[:find ?a :where [4 ?a _]]", db) == "[[:age] [:friend] [:name]]");
  CHECK(S("[:find ?a ?v :where [5 ?a ?v]]", db) == R"([[:age 51] [:name "Fedor"]])");
  // Bound attribute variables from :in.
  CHECK(S("[:find ?v :in $ ?a :where [4 ?a ?v]]", {D(db), V(":age")}) == "[[22]]");
  CHECK(S("[:find ?e ?v :in $ [?a ...] :where [?e ?a ?v] [(= ?e 1)]]", {D(db), V("[:age :sex]")}) ==
        "[[1 15] [1 :male]]");
  // Attribute var joined with another pattern.
  CHECK(S("[:find ?a :where [?e ?a 37] [?e :name \"Ivan\"]]", db) == "[[:age]]");
  // Values of a ref attribute via an attribute variable are entity ids.
  CHECK(S("[:find ?v :where [3 ?a ?v] [(= ?a :friend)]]", db) == "[[4]]");
}

TEST_CASE("where: predicates", "[query][where]") {
  Db db = peopleDb();
  CHECK(S("[:find ?e :where [?e :age ?a] [(< ?a 30)]]", db) == "[[1] [4]]");
  CHECK(S("[:find ?e :where [?e :age ?a] [(< 20 ?a 40)]]", db) == "[[2] [3] [4]]");
  CHECK(S("[:find ?e1 ?e2 :where [?e1 :name ?n] [?e2 :name ?n] [(< ?e1 ?e2)]]", db) == "[[1 3]]");
  CHECK(S("[:find ?e :where [?e :name ?n] [(= ?n \"Oleg\")]]", db) == "[[4]]");
  CHECK(S("[:find ?e :where [?e :age ?a] [(not= ?a 37)]]", db) == "[[1] [4] [5]]");
  CHECK(S("[:find ?e :where [?e :name ?n] [(clojure.string/starts-with? ?n \"I\")]]", db) == "[[1] [3]]");
  CHECK(S("[:find ?e :where [?e :name ?n] [(re-pattern \"^[OF]\") ?re] [(re-find ?re ?n)]]", db) == "[[4] [5]]");
  CHECK(S("[:find ?e :where [?e :age ?a] [(even? ?a)]]", db) == "[[4]]");
  // Constant-only predicates.
  CHECK(S("[:find ?e :where [?e :age 51] [(= 1 1)]]", db) == "[[5]]");
  CHECK(S("[:find ?e :where [?e :age 51] [(= 1 2)]]", db) == "[]");
  // Comparisons across types follow DataScript's total order (numbers < strings).
  CHECK(S("[:find ?x :in [?x ...] :where [(< ?x \"a\")]]", {V("[1 2.5 \"b\" \"0\"]")}) == R"([[1] [2.5] ["0"]])");
  CHECK(S("[:find ?x :in [?x ...] :where [(< 1 ?x)]]", {V("[0 1 2 1.5]")}) == "[[1.5] [2]]");
  // nil and false are falsy; everything else is truthy.
  CHECK(S("[:find ?x :in [?x ...] :where [(identity ?x)]]", {V("[0 false \"\" true]")}) == R"([[true] [0] [""]])");
}

TEST_CASE("where: function bindings of every form", "[query][where]") {
  Db db = peopleDb();
  // Scalar.
  CHECK(S("[:find ?e ?b :where [?e :age ?a] [(+ ?a 1) ?b] [(< ?b 20)]]", db) == "[[1 16]]");
  CHECK(S("[:find ?s :where [?e :age 22] [?e :name ?n] [(str ?n \"-\" ?e) ?s]]", db) == R"([["Oleg-4"]])");
  // Tuple.
  CHECK(S("[:find ?a ?b :where [(ground [1 2]) [?a ?b]]]", db) == "[[1 2]]");
  CHECK(S("[:find ?a :where [(ground [1 2]) [?a _]]]", db) == "[[1]]");
  // Collection.
  CHECK(S("[:find ?x :where [(ground [1 2 2 3]) [?x ...]]]", db) == "[[1] [2] [3]]");
  // Relation.
  CHECK(S("[:find ?x ?y :where [(ground [[1 :a] [2 :b]]) [[?x ?y]]]]", db) == "[[1 :a] [2 :b]]");
  CHECK(S("[:find ?y :where [(ground [[1 :a] [2 :b]]) [[_ ?y]]]]", db) == "[[:a] [:b]]");
  // Blank: the call only filters on a non-nil result.
  CHECK(S("[:find ?e :where [?e :age ?a] [(get-else $ ?e :email \"none\") _]]", db) == "[[1] [2] [3] [4] [5]]");
  // Already-bound binding variables act as filters.
  CHECK(S("[:find ?e :where [?e :age ?a] [(ground 37) ?a]]", db) == "[[2] [3]]");
  CHECK(S("[:find ?e ?a :where [?e :age ?a] [(ground [15 22]) [?a ...]]]", db) == "[[1 15] [4 22]]");
  CHECK(S("[:find ?e :where [?e :age ?a] [?e :name ?n] [(ground [[\"Ivan\" 37]]) [[?n ?a]]]]", db) == "[[3]]");
  CHECK(S("[:find ?e :where [?e :age ?a] [(inc ?a) ?a]]", db) == "[]");
  CHECK(S("[:find ?e :where [?e :age ?a] [(identity ?a) ?a]]", db) == "[[1] [2] [3] [4] [5]]");
  // Binding var bound in an unrelated relation: a join.
  CHECK(S("[:find ?e ?f :where [?e :age 15] [?f :age ?b] [(+ 7 ?b) ?c] [(ground 22) ?b]]", db) == "[[1 4]]");
  // nil results bind nothing.
  CHECK(S("[:find ?e ?x :where [?e :age ?a] [(get ?a :nope) ?x]]", db) == "[]");
  // Tuple / untuple.
  CHECK(S("[:find ?t :where [?e :age 22] [?e :name ?n] [(tuple ?n ?e) ?t]]", db) == R"([[["Oleg" 4]]])");
  CHECK(S("[:find ?a ?b :where [(ground [1 2]) ?t] [(untuple ?t) [?a ?b]]]", db) == "[[1 2]]");
  // get-else / get-some / missing?
  CHECK(S("[:find ?e ?m :where [?e :age ?a] [(< ?a 30)] [(get-else $ ?e :email \"-\") ?m]]", db) ==
        R"([[1 "ivan@x"] [4 "-"]])");
  CHECK(S("[:find ?e ?x :where [?e :age 37] [(get-some $ ?e :email :name) ?x]]", db) ==
        R"([[2 [:email "petr@x"]] [3 [:name "Ivan"]]])");
  CHECK(S("[:find ?e :where [?e :age] [(missing? $ ?e :email)]]", db) == "[[3] [4] [5]]");
  CHECK(S("[:find ?e :where [?e :age] (not [(missing? $ ?e :email)])]", db) == "[[1] [2]]");
  // count, str, subs, re-find with a binding
  CHECK(S("[:find ?n ?c :where [?e :age 51] [?e :name ?n] [(count ?n) ?c]]", db) == R"([["Fedor" 5]])");
  CHECK(S("[:find ?m :where [?e :age 51] [?e :name ?n] [(re-pattern \"e.\") ?re] [(re-find ?re ?n) ?m]]", db) == R"([["ed"]])");
  CHECK(S("[:find ?s :where [?e :age 51] [?e :name ?n] [(subs ?n 1 3) ?s]]", db) == R"([["ed"]])");
}

TEST_CASE("where: host functions", "[query][where]") {
  Db db = peopleDb();
  std::unordered_map<std::string, query::HostFunction> fns;
  fns["double"] = [](std::span<const Value> args) { return Value::integer(args[0].asLong() * 2); };
  fns["adult?"] = [](std::span<const Value> args) { return Value::boolean(args[0].asLong() >= 18); };
  fns["pairs"] = [](std::span<const Value> args) {
    int64_t n = args[0].asLong();
    std::vector<Value> out;
    for (int64_t i = 0; i < n; ++i) out.push_back(Value::vector({Value::integer(i), Value::integer(i * i)}));
    return Value::vector(out);
  };
  QueryOptions opts;
  opts.functions = &fns;
  CHECK(S("[:find ?e ?d :where [?e :age ?a] [(double ?a) ?d] [(< ?d 40)]]", db, opts) == "[[1 30]]");
  CHECK(S("[:find ?e :where [?e :age ?a] [(adult? ?a)]]", db, opts) == "[[2] [3] [4] [5]]");
  CHECK(S("[:find ?x ?y :where [(pairs 3) [[?x ?y]]]]", db, opts) == "[[0 0] [1 1] [2 4]]");
  // Host functions shadow built-ins of the same name.
  fns["inc"] = [](std::span<const Value> args) { return Value::integer(args[0].asLong() + 100); };
  CHECK(S("[:find ?b :where [?e :age 15] [(inc ?a) ?b] [?e :age ?a]]", db, opts) == "[[115]]");
}

TEST_CASE("where: not, not-join", "[query][where]") {
  Db db = peopleDb();
  CHECK(S("[:find ?e :where [?e :name] (not [?e :sex :male])]", db) == "[[3] [4] [5]]");
  CHECK(S("[:find ?e :where [?e :name] (not [?e :sex :male] [?e :age 15])]", db) == "[[2] [3] [4] [5]]");
  CHECK(S("[:find ?e :where [?e :name] (not [?e :sex :male]) (not [?e :age 51])]", db) == "[[3] [4]]");
  // Variables local to a 'not' body are existential.
  CHECK(S("[:find ?e :where [?e :name] (not [?e :friend ?f] [?f :age ?a] [(< ?a 30)])]", db) ==
        "[[1] [4] [5]]");
  CHECK(S("[:find ?e :where [?e :name] (not-join [?e] [?e :friend ?f] [?f :name \"Oleg\"])]", db) ==
        "[[1] [2] [4] [5]]");
  // not-join with two vars.
  CHECK(S("[:find ?e ?f :where [?e :friend ?f] (not-join [?e ?f] [?f :age ?a] [(> ?a 30)])]", db) ==
        "[[2 1] [3 4]]");
  // 'not' written before the clauses binding its vars.
  CHECK(S("[:find ?e :where (not [?e :sex :male]) [?e :age 37]]", db) == "[[3]]");
  // 'not' with predicates only.
  CHECK(S("[:find ?e :where [?e :age ?a] (not [(> ?a 30)])]", db) == "[[1] [4]]");
  // Nested not.
  CHECK(S("[:find ?e :where [?e :name] (not [?e :friend ?f] (not [?f :sex :male]))]", db) == "[[1] [5]]");
  // not over a bound input.
  CHECK(S("[:find ?x :in [?x ...] :where (not [(even? ?x)])]", {V("[1 2 3]")}) == "[[1] [3]]");
}

TEST_CASE("where: or, or-join, and", "[query][where]") {
  Db db = peopleDb();
  CHECK(S("[:find ?e :where (or [?e :name \"Oleg\"] [?e :age 51])]", db) == "[[4] [5]]");
  CHECK(S("[:find ?e :where [?e :sex :male] (or [?e :name \"Oleg\"] [?e :age 15])]", db) == "[[1]]");
  CHECK(S("[:find ?e :where (or (and [?e :name \"Ivan\"] [?e :age 37]) [?e :age 22])]", db) == "[[3] [4]]");
  CHECK(S("[:find ?e :where (or-join [?e] [?e :friend ?x] [?e :alias ?y])]", db) == "[[1] [2] [3] [4]]");
  CHECK(S("[:find ?e :where [?e :name] (or-join [?e] [?e :alias \"I\"] (and [?e :age ?a] [(> ?a 50)]))]", db) ==
        "[[1] [5]]");
  // Required vars of or-join.
  CHECK(S("[:find ?e ?x :where [?e :age 22] (or-join [[?e] ?x] [?e :friend ?x] [(ground 0) ?x])]", db) ==
        "[[4 0] [4 5]]");
  CHECK(S("[:find ?e ?x :where (or-join [[?e] ?x] [?e :friend ?x] [(ground 0) ?x]) [?e :age 22]]", db) ==
        "[[4 0] [4 5]]");
  // or nested in not, not nested in or.
  CHECK(S("[:find ?e :where [?e :name] (not (or [?e :age 15] [?e :age 51]))]", db) == "[[2] [3] [4]]");
  CHECK(S("[:find ?e :where [?e :name] (or (not [?e :age 37]) [?e :sex :female])]", db) == "[[1] [3] [4] [5]]");
  CHECK(S("[:find ?e :where [?e :name] (or (and [?e :sex :male] (not [?e :age 15])) [?e :age 51])]", db) ==
        "[[2] [5]]");
  // or binding a new variable from branches.
  CHECK(S("[:find ?e ?v :where [?e :age 37] (or [?e :email ?v] (and [?e :name ?v] [(= ?v \"Ivan\")]))]", db) ==
        R"([[2 "petr@x"] [3 "Ivan"]])");
  // Branches with no match.
  CHECK(S("[:find ?e :where (or [?e :age 99] [?e :age 98])]", db) == "[]");
  // or over an input collection.
  CHECK(S("[:find ?x :in [?x ...] :where (or [(< ?x 2)] [(> ?x 4)])]", {V("[1 2 3 4 5]")}) == "[[1] [5]]");
}

TEST_CASE("where: empty results and impossible clauses", "[query][where]") {
  Db db = peopleDb();
  CHECK(S("[:find ?e :where [?e :age 99] [?e :name ?n]]", db) == "[]");
  CHECK(S("[:find ?e ?n :where [?e :nope 1] [?x :name ?n]]", db) == "[]");
  CHECK(S("[:find ?e :where [?e :name] [(ground 1) ?x] [(= ?x 2)]]", db) == "[]");
  // After an impossible clause the rest is not evaluated: a failing function is never called.
  std::unordered_map<std::string, query::HostFunction> fns;
  int calls = 0;
  fns["boom"] = [&](std::span<const Value>) -> Value {
    ++calls;
    throw DataliteError(ErrorCode::InvalidInput, "boom");
  };
  QueryOptions opts;
  opts.functions = &fns;
  CHECK(S("[:find ?e :where [?e :nope ?v] [?e :name ?n] [(boom ?n)]]", db, opts) == "[]");
  CHECK(calls == 0);
  CHECK(edn::print(Q("[:find (count ?e) . :where [?e :nope]]", {D(db)})) == "0");
  CHECK(S("[:find ?e (count ?x) :where [?e :nope ?x]]", db) == "[]");
  Db empty = Db::empty();
  CHECK(S("[:find ?e :where [?e :name]]", empty) == "[]");
  CHECK(S("[:find ?a :where [_ ?a]]", empty) == "[]");
}
