#include <catch2/catch.hpp>

#include "datalite.h"
#include "query/query.h"

using namespace datalite;
using datalite::query::QueryArg;

namespace {

Db peopleDb() {
  Db db = Db::empty(edn::readOne(R"({:friend {:db/valueType :db.type/ref :db/cardinality :db.cardinality/many}
                                     :email {:db/unique :db.unique/identity}
                                     :alias {:db/cardinality :db.cardinality/many}})"));
  return db.with(edn::readOne(R"([{:db/id 1 :name "Ivan" :age 15 :sex :male :email "ivan@x" :alias ["Vanya" "I"]}
                                  {:db/id 2 :name "Petr" :age 37 :sex :male :friend [1 3]}
                                  {:db/id 3 :name "Ivan" :age 37 :sex :female :friend 4}
                                  {:db/id 4 :name "Oleg" :age 22 :friend 5}
                                  {:db/id 5 :name "Fedor" :age 51}])").items());
}

std::string run(const std::string& query, std::vector<QueryArg> args) {
  return edn::print(query::q(edn::readOne(query), args));
}

std::string run(const std::string& query, const Db& db) { return run(query, {QueryArg::database(db)}); }

// Relations are sets; print them sorted for stable comparisons.
std::string runSorted(const std::string& query, std::vector<QueryArg> args) {
  Value v = query::q(edn::readOne(query), args);
  std::vector<Value> items = v.items();
  std::sort(items.begin(), items.end(), [](const Value& a, const Value& b) { return compareValues(a, b) < 0; });
  return edn::print(Value::vector(items));
}
std::string runSorted(const std::string& query, const Db& db) { return runSorted(query, {QueryArg::database(db)}); }

}  // namespace

TEST_CASE("query: find specs", "[query]") {
  Db db = peopleDb();
  CHECK(runSorted("[:find ?e :where [?e :name \"Ivan\"]]", db) == "[[1] [3]]");
  CHECK(runSorted("[:find ?e ?a :where [?e :name \"Ivan\"] [?e :age ?a]]", db) == "[[1 15] [3 37]]");
  CHECK(run("[:find [?n ...] :where [?e :age 37] [?e :name ?n]]", db).size() > 0);
  CHECK(run("[:find ?n . :where [?e :age 51] [?e :name ?n]]", db) == "\"Fedor\"");
  CHECK(run("[:find [?n ?a] :where [?e :age 51] [?e :name ?n] [?e :age ?a]]", db) == "[\"Fedor\" 51]");
  CHECK(run("[:find ?n . :where [?e :age 99] [?e :name ?n]]", db) == "nil");
  CHECK(run("[:find ?n :keys name :where [?e :age 51] [?e :name ?n]]", db) == "[{:name \"Fedor\"}]");
}

TEST_CASE("query: clause order does not change results", "[query]") {
  Db db = peopleDb();
  CHECK(runSorted("[:find ?e ?a :where [?e :age ?a] [?e :name \"Ivan\"] [?e :sex :male]]", db) == "[[1 15]]");
  CHECK(runSorted("[:find ?e ?a :where [?e :sex :male] [?e :name \"Ivan\"] [?e :age ?a]]", db) == "[[1 15]]");
}

TEST_CASE("query: inputs", "[query]") {
  Db db = peopleDb();
  CHECK(runSorted("[:find ?e :in $ ?n :where [?e :name ?n]]", {QueryArg::database(db), QueryArg::data(Value::string("Ivan"))}) ==
        "[[1] [3]]");
  CHECK(runSorted("[:find ?e :in $ [?n ...] :where [?e :name ?n]]",
                  {QueryArg::database(db), QueryArg::data(edn::readOne("[\"Oleg\" \"Fedor\"]"))}) == "[[4] [5]]");
  CHECK(runSorted("[:find ?e ?a :in $ [[?n ?a]] :where [?e :name ?n] [?e :age ?a]]",
                  {QueryArg::database(db), QueryArg::data(edn::readOne("[[\"Ivan\" 37] [\"Oleg\" 22]]"))}) ==
        "[[3 37] [4 22]]");
  CHECK(runSorted("[:find ?x ?y :in [?x ?y]]", {QueryArg::data(edn::readOne("[1 2]"))}) == "[[1 2]]");
  CHECK(runSorted("[:find ?a ?b :in $data :where [$data ?a ?b]]",
                  {QueryArg::data(edn::readOne("[[1 :x] [2 :y]]"))}) == "[[1 :x] [2 :y]]");
}

TEST_CASE("query: predicates and functions", "[query]") {
  Db db = peopleDb();
  CHECK(runSorted("[:find ?e :where [?e :age ?a] [(> ?a 30)]]", db) == "[[2] [3] [5]]");
  CHECK(runSorted("[:find ?e ?b :where [?e :age ?a] [(inc ?a) ?b] [(< ?b 17)]]", db) == "[[1 16]]");
  CHECK(runSorted("[:find ?e ?x :where [?e :name \"Fedor\"] [(get-else $ ?e :email \"none\") ?x]]", db) ==
        "[[5 \"none\"]]");
  CHECK(runSorted("[:find ?e :where [?e :name] [(missing? $ ?e :friend)]]", db) == "[[1] [5]]");
  CHECK(runSorted("[:find ?x :where [(ground [1 2 3]) [?x ...]]]", db) == "[[1] [2] [3]]");
}

TEST_CASE("query: not, or, and", "[query]") {
  Db db = peopleDb();
  CHECK(runSorted("[:find ?e :where [?e :name] (not [?e :sex :male])]", db) == "[[3] [4] [5]]");
  CHECK(runSorted("[:find ?e :where [?e :name] (not-join [?e] [?e :friend ?f] [?f :name \"Oleg\"])]", db) ==
        "[[1] [2] [4] [5]]");
  CHECK(runSorted("[:find ?e :where (or [?e :name \"Oleg\"] [?e :age 51])]", db) == "[[4] [5]]");
  CHECK(runSorted("[:find ?e :where [?e :name] (or-join [?e] [?e :alias \"I\"] (and [?e :age ?a] [(> ?a 50)]))]", db) ==
        "[[1] [5]]");
}

TEST_CASE("query: rules, recursive and with required bindings", "[query]") {
  Db db = peopleDb();
  const char* rules = R"([[(follows ?x ?y) [?x :friend ?y]]
                          [(follows ?x ?y) [?x :friend ?t] (follows ?t ?y)]])";
  CHECK(runSorted("[:find ?y :in $ % :where [?x :name \"Petr\"] (follows ?x ?y)]",
                  {QueryArg::database(db), QueryArg::data(edn::readOne(rules))}) == "[[1] [3] [4] [5]]");
  CHECK(runSorted("[:find ?x ?y :in $ % :where (follows ?x ?y)]",
                  {QueryArg::database(db), QueryArg::data(edn::readOne(rules))}) ==
        "[[2 1] [2 3] [2 4] [2 5] [3 4] [3 5] [4 5]]");
  const char* required = R"([[(older [?a] ?e) [?e :age ?x] [(> ?x ?a)]]])";
  CHECK(runSorted("[:find ?e :in $ % :where (older 40 ?e)]",
                  {QueryArg::database(db), QueryArg::data(edn::readOne(required))}) == "[[5]]");
  CHECK_THROWS_AS(run("[:find ?e :in $ % :where (older ?z ?e)]",
                      {QueryArg::database(db), QueryArg::data(edn::readOne(required))}),
                  DataliteError);
}

TEST_CASE("query: aggregates", "[query]") {
  Db db = peopleDb();
  CHECK(run("[:find (count ?e) . :where [?e :name]]", db) == "5");
  CHECK(runSorted("[:find ?n (count ?e) :where [?e :name ?n]]", db) == "[[\"Fedor\" 1] [\"Ivan\" 2] [\"Oleg\" 1] [\"Petr\" 1]]");
  CHECK(run("[:find (sum ?a) . :with ?e :where [?e :age ?a]]", db) == "162");
  CHECK(run("[:find (max ?a) . :where [?e :age ?a]]", db) == "51");
}

TEST_CASE("query: errors name the problem", "[query]") {
  Db db = peopleDb();
  try {
    run("[:find ?x :where [?e :name ?n]]", db);
    FAIL("expected an error");
  } catch (const DataliteError& e) {
    CHECK(e.code() == ErrorCode::ParseError);
    CHECK(std::string(e.what()).find("?x") != std::string::npos);
  }
  CHECK_THROWS_AS(run("[:find ?e :where [?e :age ?a] [(nosuchfn ?a)]]", db), DataliteError);
  CHECK_THROWS_AS(run("[:find ?e :where [(> ?a 1)]]", db), DataliteError);
}

TEST_CASE("query: history views and the 5th element", "[query]") {
  Db db = peopleDb();
  TxReport r = db.transact(edn::readOne("[[:db/add 5 :age 52]]").items());
  Db h = r.dbAfter.history();
  CHECK(runSorted("[:find ?a ?added :where [5 :age ?a _ ?added]]", h) == "[[51 false] [51 true] [52 true]]");
  CHECK(runSorted("[:find ?a :where [5 :age ?a]]", r.dbAfter.asOf(db.maxTx())) == "[[51]]");
}

TEST_CASE("query: pull in find", "[query]") {
  Db db = peopleDb();
  CHECK(run("[:find (pull ?e [:name :age]) . :where [?e :email \"ivan@x\"]]", db) == "{:name \"Ivan\", :age 15}");
}

TEST_CASE("query: left-recursive and mutually recursive rules terminate on cyclic data", "[query][rules]") {
  Db db = Db::empty(edn::readOne("{:follows {:db/valueType :db.type/ref :db/cardinality :db.cardinality/many}}"))
              .with(edn::readOne("[[:db/add 1 :follows 2] [:db/add 2 :follows 3] [:db/add 3 :follows 1] "
                                 "[:db/add 3 :follows 4]]").items());
  const char* leftRecursive = R"([[(reach ?x ?y) (reach ?x ?t) [?t :follows ?y]]
                                   [(reach ?x ?y) [?x :follows ?y]]])";
  CHECK(runSorted("[:find ?y :in $ % :where (reach 1 ?y)]",
                  {QueryArg::database(db), QueryArg::data(edn::readOne(leftRecursive))}) == "[[1] [2] [3] [4]]");
  CHECK(runSorted("[:find ?x ?y :in $ % :where (reach ?x ?y)]",
                  {QueryArg::database(db), QueryArg::data(edn::readOne(leftRecursive))}) ==
        "[[1 1] [1 2] [1 3] [1 4] [2 1] [2 2] [2 3] [2 4] [3 1] [3 2] [3 3] [3 4]]");
  // even/odd path lengths, mutually recursive, over the cycle.
  const char* mutual = R"([[(odd ?x ?y) [?x :follows ?y]]
                           [(odd ?x ?y) (even ?x ?t) [?t :follows ?y]]
                           [(even ?x ?y) (odd ?x ?t) [?t :follows ?y]]])";
  CHECK(runSorted("[:find ?y :in $ % :where (even 1 ?y)]",
                  {QueryArg::database(db), QueryArg::data(edn::readOne(mutual))}) == "[[1] [2] [3] [4]]");
  CHECK(runSorted("[:find ?y :in $ % :where (odd 4 ?y)]",
                  {QueryArg::database(db), QueryArg::data(edn::readOne(mutual))}) == "[]");
}
