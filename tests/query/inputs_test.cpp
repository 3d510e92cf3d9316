// :in bindings and data sources.
#include "query_test_util.h"

using namespace datalite;
using namespace datalite::qtest;

TEST_CASE("inputs: scalar, tuple, collection, relation, blank", "[query][inputs]") {
  Db db = peopleDb();
  CHECK(S("[:find ?e :in $ ?n :where [?e :name ?n]]", {D(db), V("\"Ivan\"")}) == "[[1] [3]]");
  CHECK(S("[:find ?e :in $ [?n ?a] :where [?e :name ?n] [?e :age ?a]]", {D(db), V("[\"Ivan\" 37]")}) == "[[3]]");
  CHECK(S("[:find ?e :in $ [?n _] :where [?e :name ?n]]", {D(db), V("[\"Oleg\" 99]")}) == "[[4]]");
  CHECK(S("[:find ?e :in $ [?n ...] :where [?e :name ?n]]", {D(db), V("[\"Oleg\" \"Fedor\" \"Nobody\"]")}) ==
        "[[4] [5]]");
  CHECK(S("[:find ?e :in $ [?n ...] :where [?e :name ?n]]", {D(db), V("#{\"Oleg\"}")}) == "[[4]]");
  CHECK(S("[:find ?e :in $ [?n ...] :where [?e :name ?n]]", {D(db), V("[]")}) == "[]");
  CHECK(S("[:find ?e ?a :in $ [[?n ?a]] :where [?e :name ?n] [?e :age ?a]]",
          {D(db), V("[[\"Ivan\" 37] [\"Oleg\" 22] [\"Ivan\" 99]]")}) == "[[3 37] [4 22]]");
  CHECK(S("[:find ?e :in $ [[?n _]] :where [?e :name ?n]]", {D(db), V("[[\"Oleg\" 1] [\"Petr\" 2]]")}) ==
        "[[2] [4]]");
  CHECK(S("[:find ?e :in $ [[?n ?a]] :where [?e :name ?n] [?e :age ?a]]", {D(db), V("[]")}) == "[]");
  // `_` ignores the whole input.
  CHECK(S("[:find ?e :in $ _ :where [?e :age 51]]", {D(db), V("whatever")}) == "[[5]]");
  // Inputs without a database.
  CHECK(S("[:find ?x ?y :in ?x [?y ...]]", {V("1"), V("[2 3]")}) == "[[1 2] [1 3]]");
  CHECK(S("[:find ?x :in [?x ...] :where [(> ?x 1)]]", {V("[1 2 3]")}) == "[[2] [3]]");
  // An input that binds a var also used in a pattern joins with it.
  CHECK(S("[:find ?n :in $ ?e :where [?e :name ?n]]", {D(db), V("4")}) == R"([["Oleg"]])");
  // A lookup ref or ident bound through :in is data: used as an entity it is resolved.
  CHECK(S("[:find ?n :in $ ?e :where [?e :name ?n]]", {D(db), V("[:email \"petr@x\"]")}) == R"([["Petr"]])");
  CHECK(S("[:find ?e ?a :in $ [?e ...] :where [?e :age ?a]]", {D(db), V("[[:email \"petr@x\"] 4]")}) ==
        R"([[4 22] [[:email "petr@x"] 37]])");
  CHECK(S("[:find ?e :in $ [?e ...] :where [?e :friend 5]]", {D(db), V("[1 2 3 4 \"A\" :red]")}) == "[[4]]");
  CHECK(S("[:find ?e :in $ ?c :where [?e :color ?c]]", {D(db), V(":red")}) == "[[1] [3]]");
  // Inputs may come in any order and name the default source explicitly.
  CHECK(S("[:find ?e :in ?n $ :where [?e :name ?n]]", {V("\"Oleg\""), D(db)}) == "[[4]]");
}

TEST_CASE("inputs: several sources and source prefixes", "[query][inputs]") {
  Db db = peopleDb();
  Db db2 = Db::empty().with(tx(R"([{:db/id 1 :name "Ivan" :likes "pizza"} {:db/id 2 :name "Masha" :likes "soup"}])"));
  // Join by name across databases.
  CHECK(S("[:find ?e1 ?e2 ?l :in $1 $2 :where [$1 ?e1 :name ?n] [$2 ?e2 :name ?n] [$2 ?e2 :likes ?l]]",
          {D(db), D(db2)}) == R"([[1 1 "pizza"] [3 1 "pizza"]])");
  // $ and $h.
  Db after = db.with(tx("[[:db/add 4 :age 23]]"));
  CHECK(S("[:find ?a :in $ $h :where [$ ?e :name \"Oleg\"] [$h ?e :age ?a]]", {D(after), D(after.history())}) ==
        "[[22] [23]]");
  // A collection of tuples as a source.
  Value coll = read(R"([[1 :likes "pizza"] [3 :likes "soup"] [9 :likes "tea"]])");
  CHECK(S("[:find ?n ?f :in $ $c :where [$c ?e :likes ?f] [?e :name ?n]]", {D(db), V(coll)}) ==
        R"([["Ivan" "pizza"] ["Ivan" "soup"]])");
  CHECK(S("[:find ?e :in $c :where [$c ?e _ \"tea\"]]", {V(coll)}) == "[[9]]");
  CHECK(S("[:find ?e ?f :in $ :where [?e :likes ?f]]", {V(coll)}) ==
        R"([[1 "pizza"] [3 "soup"] [9 "tea"]])");
  // Shorter tuples only match shorter patterns; a repeated var must agree.
  Value pairs = read("[[1 1] [1 2] [2 2]]");
  CHECK(S("[:find ?x :in $ :where [?x ?x]]", {V(pairs)}) == "[[1] [2]]");
  CHECK(S("[:find ?x ?y ?z :in $ :where [?x ?y ?z]]", {V(pairs)}) == "[]");
  // Source prefixes inside not / or / rules / functions.
  CHECK(S("[:find ?n :in $ $2 :where [?e :name ?n] (not [$2 _ :name ?n])]", {D(db), D(db2)}) ==
        R"([["Fedor"] ["Oleg"] ["Petr"]])");
  CHECK(S("[:find ?n :in $ $2 :where [$2 ?e :name ?n] ($2 or [?e :likes \"soup\"] [?e :likes \"tea\"])]",
          {D(db), D(db2)}) == R"([["Masha"]])");
  CHECK(S("[:find ?e ?x :in $ $2 :where [$2 ?e :name] [(get-else $2 ?e :likes \"?\") ?x]]", {D(db), D(db2)}) ==
        R"([[1 "pizza"] [2 "soup"]])");
  CHECK(S("[:find ?e :in $ $2 :where [?e :name] [(missing? $2 ?e :likes)]]", {D(db), D(db2)}) ==
        "[[3] [4] [5]]");
}

TEST_CASE("inputs: lookup refs bound through :in (DataScript lookup_refs)", "[query][inputs]") {
  Db db = peopleDb();
  Db db2 = Db::empty().with(tx(R"([{:db/id 1 :name "Ivan"} {:db/id 2 :name "Masha"}])"));
  // Values keep the lookup ref as given; it is resolved for matching only.
  CHECK(S("[:find ?e ?v :in $ ?e :where [?e :age ?v]]", {D(db), V("[:email \"ivan@x\"]")}) ==
        R"([[[:email "ivan@x"] 15]])");
  CHECK(S("[:find ?e :in $ ?v :where [?e :friend ?v]]", {D(db), V("[:email \"ivan@x\"]")}) == "[[2]]");
  CHECK(S("[:find ?e :in $ [?v ...] :where [?e :friend ?v]]", {D(db), V("[[:email \"ivan@x\"] 4 [:email \"none\"]]")}) ==
        "[[2] [3]]");
  // ($2 not ...) runs the body against $2.
  CHECK(S("[:find ?n :in $ $2 :where [?e :name ?n] ($2 not [?x :name ?n])]", {D(db), D(db2)}) ==
        R"([["Fedor"] ["Oleg"] ["Petr"]])");
  CHECK(S("[:find ?n :in $ $2 :where [$2 ?e :name ?n] ($2 or [?e :name \"Masha\"] (and [?e :name \"Ivan\"] [(ground 1) ?e]))]",
          {D(db), D(db2)}) == R"([["Ivan"] ["Masha"]])");
}
