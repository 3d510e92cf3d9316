// :find specs, :keys/:strs/:syms, :with, pull in :find.
#include "query_test_util.h"

using namespace datalite;
using namespace datalite::qtest;

TEST_CASE("find: relation is a set of tuples", "[query][find]") {
  Db db = peopleDb();
  Value v = Q("[:find ?n :where [?e :name ?n]]", {D(db)});
  CHECK(v.isSet());
  CHECK(S("[:find ?n :where [?e :name ?n]]", db) == R"([["Fedor"] ["Ivan"] ["Oleg"] ["Petr"]])");
  CHECK(S("[:find ?e ?n :where [?e :name ?n] [?e :age 37]]", db) == R"([[2 "Petr"] [3 "Ivan"]])");
  // The same variable twice in :find.
  CHECK(S("[:find ?n ?n :where [?e :name ?n] [?e :age 15]]", db) == R"([["Ivan" "Ivan"]])");
  // Map form of the query.
  CHECK(S(R"({:find [?e] :where [[?e :name "Oleg"]]})", db) == "[[4]]");
  CHECK(S(R"({:find [?e] :in [$ ?n] :where [[?e :name ?n]]})", {D(db), V("\"Oleg\"")}) == "[[4]]");
}

TEST_CASE("find: collection, tuple and scalar", "[query][find]") {
  Db db = peopleDb();
  Value coll = Q("[:find [?n ...] :where [?e :age 37] [?e :name ?n]]", {D(db)});
  CHECK(coll.isVector());
  CHECK(C("[:find [?n ...] :where [?e :age 37] [?e :name ?n]]", db) == R"(["Ivan" "Petr"])");
  // Collections are distinct.
  CHECK(C("[:find [?n ...] :where [?e :name ?n]]", db) == R"(["Fedor" "Ivan" "Oleg" "Petr"])");
  CHECK(C("[:find [?n ...] :where [?e :age 99] [?e :name ?n]]", db) == "[]");
  Value tuple = Q("[:find [?n ?a] :where [?e :email \"petr@x\"] [?e :name ?n] [?e :age ?a]]", {D(db)});
  CHECK(edn::print(tuple) == R"(["Petr" 37])");
  CHECK(edn::print(Q("[:find [?n ?a] :where [?e :age 99] [?e :name ?n] [?e :age ?a]]", {D(db)})) == "nil");
  CHECK(edn::print(Q("[:find ?a . :where [?e :name \"Oleg\"] [?e :age ?a]]", {D(db)})) == "22");
  CHECK(edn::print(Q("[:find ?a . :where [?e :name \"Nobody\"] [?e :age ?a]]", {D(db)})) == "nil");
  // A scalar from several candidates is one of them.
  Value some = Q("[:find ?e . :where [?e :name \"Ivan\"]]", {D(db)});
  CHECK((edn::print(some) == "1" || edn::print(some) == "3"));
  // A tuple of an aggregate and a scalar of an aggregate.
  CHECK(edn::print(Q("[:find [(min ?a) (max ?a)] :where [_ :age ?a]]", {D(db)})) == "[15 51]");
  CHECK(edn::print(Q("[:find (count ?e) . :where [?e :age]]", {D(db)})) == "5");
  CHECK(edn::print(Q("[:find [(count ?e) ...] :where [?e :age]]", {D(db)})) == "[5]");
}

TEST_CASE("find: :keys, :strs, :syms", "[query][find]") {
  Db db = peopleDb();
  CHECK(S("[:find ?n ?a :keys name age :where [?e :name ?n] [?e :age ?a] [(< ?a 30)]]", db) ==
        R"([{:name "Ivan", :age 15} {:name "Oleg", :age 22}])");
  CHECK(S("[:find ?n ?a :strs name age :where [?e :email \"petr@x\"] [?e :name ?n] [?e :age ?a]]", db) ==
        R"([{"name" "Petr", "age" 37}])");
  CHECK(S("[:find ?n ?a :syms name age :where [?e :email \"petr@x\"] [?e :name ?n] [?e :age ?a]]", db) ==
        R"([{name "Petr", age 37}])");
  // With a tuple find: one map.
  CHECK(edn::print(Q("[:find [?n ?a] :keys name age :where [?e :email \"petr@x\"] [?e :name ?n] [?e :age ?a]]",
                     {D(db)})) == R"({:name "Petr", :age 37})");
  // With aggregates.
  CHECK(S("[:find ?s (count ?e) :keys sex n :where [?e :sex ?s]]", db) ==
        R"([{:sex :female, :n 1} {:sex :male, :n 2}])");
  // Map form.
  CHECK(S(R"({:find [?n] :keys [name] :where [[?e :age 51] [?e :name ?n]]})", db) == R"([{:name "Fedor"}])");
  // Empty result: an empty collection.
  CHECK(S("[:find ?n :keys name :where [?e :age 99] [?e :name ?n]]", db) == "[]");
}

TEST_CASE("find: :with keeps duplicates apart for aggregates", "[query][find]") {
  Db db = peopleDb();
  // Ages 15 37 37 22 51: without :with the two 37s collapse.
  CHECK(edn::print(Q("[:find (sum ?a) . :where [?e :age ?a]]", {D(db)})) == "125");
  CHECK(edn::print(Q("[:find (sum ?a) . :with ?e :where [?e :age ?a]]", {D(db)})) == "162");
  CHECK(S("[:find ?n (count ?a) :with ?e :where [?e :name ?n] [?e :age ?a]]", db) ==
        R"([["Fedor" 1] ["Ivan" 2] ["Oleg" 1] ["Petr" 1]])");
  CHECK(S("[:find ?n (sum ?a) :where [?e :name ?n] [?e :age ?a]]", db) ==
        R"([["Fedor" 51] ["Ivan" 52] ["Oleg" 22] ["Petr" 37]])");
  // :with on a relation without aggregates: :with vars are not returned.
  CHECK(S("[:find ?a :with ?e :where [?e :age ?a]]", db) == "[[15] [22] [37] [51]]");
  // DataScript's example: heads of monsters.
  Value monsters = read(R"([["Cerberus" 3] ["Medusa" 1] ["Cyclops" 1] ["Chimera" 1]])");
  CHECK(edn::print(Q("[:find (sum ?heads) . :in [[_ ?heads]]]", {V(monsters)})) == "4");
  CHECK(edn::print(Q("[:find (sum ?heads) . :with ?monster :in [[?monster ?heads]]]", {V(monsters)})) == "6");
}

TEST_CASE("find: pull expressions", "[query][find][pull]") {
  Db db = peopleDb();
  CHECK(S("[:find (pull ?e [:name]) :where [?e :age 37]]", db) == R"([[{:name "Ivan"}] [{:name "Petr"}]])");
  CHECK(S("[:find ?e (pull ?e [:name :age]) :where [?e :email \"petr@x\"]]", db) ==
        R"([[2 {:name "Petr", :age 37}]])");
  CHECK(edn::print(Q("[:find (pull ?e [:name {:friend [:name]}]) . :where [?e :email \"petr@x\"]]", {D(db)})) ==
        R"({:name "Petr", :friend [{:name "Ivan"} {:name "Ivan"}]})");
  CHECK(C("[:find [(pull ?e [:name]) ...] :where [?e :age 37]]", db) == R"([{:name "Ivan"} {:name "Petr"}])");
  // The pattern from an :in variable.
  CHECK(S("[:find (pull ?e ?p) :in $ ?p :where [?e :age 22]]", {D(db), V("[:name :age]")}) ==
        R"([[{:name "Oleg", :age 22}]])");
  // A named source.
  Db other = Db::empty().with(tx(R"([{:db/id 4 :name "Other"}])"));
  CHECK(S("[:find (pull $o ?e [:name]) :in $ $o :where [?e :age 22]]", {D(db), D(other)}) ==
        R"([[{:name "Other"}]])");
  // Pull and aggregates together, grouped by the pull.
  CHECK(S("[:find (pull ?e [:name]) (count ?f) :where [?e :friend ?f]]", db) ==
        R"([[{:name "Ivan"} 1] [{:name "Oleg"} 1] [{:name "Petr"} 2]])");
  // Wildcard and :db/id.
  CHECK(edn::print(Q("[:find (pull ?e [:db/id :name]) . :where [?e :age 51]]", {D(db)})) ==
        R"({:db/id 5, :name "Fedor"})");
  // :keys with pull.
  CHECK(S("[:find ?e (pull ?e [:name]) :keys id person :where [?e :age 51]]", db) ==
        R"([{:id 5, :person {:name "Fedor"}}])");
}
