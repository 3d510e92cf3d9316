// Pull patterns: attributes, wildcard, nested maps, reverse refs, options.
#include "pull_test_util.h"

using namespace datalite;
using namespace datalite::pulltest;

namespace {

const char* kSchema = R"({:name   {:db/unique :db.unique/identity}
  :aka    {:db/cardinality :db.cardinality/many}
  :child  {:db/cardinality :db.cardinality/many :db/valueType :db.type/ref}
  :friend {:db/cardinality :db.cardinality/many :db/valueType :db.type/ref}
  :enemy  {:db/cardinality :db.cardinality/many :db/valueType :db.type/ref}
  :father {:db/valueType :db.type/ref}
  :part   {:db/valueType :db.type/ref :db/isComponent true :db/cardinality :db.cardinality/many}
  :spec   {:db/valueType :db.type/ref :db/isComponent true}})";

const char* kData = R"([
  [:db/add 1 :name "Petr"] [:db/add 1 :aka "Devil"] [:db/add 1 :aka "Tupen"]
  [:db/add 2 :name "David"] [:db/add 3 :name "Thomas"] [:db/add 4 :name "Lucy"]
  [:db/add 5 :name "Elizabeth"] [:db/add 6 :name "Matthew"] [:db/add 7 :name "Eunan"]
  [:db/add 8 :name "Kerri"] [:db/add 9 :name "Rebecca"]
  [:db/add 1 :child 2] [:db/add 1 :child 3]
  [:db/add 2 :father 1] [:db/add 3 :father 1] [:db/add 6 :father 3]
  [:db/add 10 :name "Part A"] [:db/add 11 :name "Part A.A"] [:db/add 10 :part 11]
  [:db/add 12 :name "Part A.A.A"] [:db/add 11 :part 12]
  [:db/add 13 :name "Part A.A.A.A"] [:db/add 12 :part 13]
  [:db/add 14 :name "Part A.A.A.B"] [:db/add 12 :part 14]
  [:db/add 15 :name "Part A.B"] [:db/add 10 :part 15]
  [:db/add 16 :name "Part A.B.A"] [:db/add 15 :part 16]
  [:db/add 17 :name "Part A.B.A.A"] [:db/add 16 :part 17]
  [:db/add 18 :name "Part A.B.A.B"] [:db/add 16 :part 18]])";

Db testDb() { return Db::empty(read(kSchema)).with(tx(kData)); }

}  // namespace

TEST_CASE("pull: attributes, :db/id, card-many, refs", "[pull]") {
  Db db = testDb();
  CHECK(P(db, "[:name :aka]", "1") == R"({:name "Petr", :aka ["Devil" "Tupen"]})");
  CHECK(P(db, "[:name :father :db/id]", "6") == R"({:name "Matthew", :father {:db/id 3}, :db/id 6})");
  CHECK(P(db, "[:db/id :name]", "6") == R"({:db/id 6, :name "Matthew"})");
  CHECK(P(db, "[:child :name]", "1") == R"({:child [{:db/id 2} {:db/id 3}], :name "Petr"})");
  // Missing attributes are omitted; unknown attributes too.
  CHECK(P(db, "[:name :aka :father :nope/nope]", "2") == R"({:name "David", :father {:db/id 1}})");
  // Nothing matched: nil (DataScript).
  CHECK(P(db, "[:foo]", "1") == "nil");
  CHECK(P(db, "[]", "1") == "nil");
  // An entity without datoms: nil, even for :db/id and defaults.
  CHECK(P(db, "[:db/id :name]", "99") == "nil");
  CHECK(P(db, "[[:name :default \"x\"]]", "99") == "nil");
  // Repeated attribute: one key.
  CHECK(P(db, "[:name :name]", "1") == R"({:name "Petr"})");
}

TEST_CASE("pull: reverse refs", "[pull]") {
  Db db = testDb();
  CHECK(P(db, "[:name :_child]", "2") == R"({:name "David", :_child [{:db/id 1}]})");
  CHECK(P(db, "[:name {:_child [:name]}]", "2") == R"({:name "David", :_child [{:name "Petr"}]})");
  CHECK(P(db, "[:name :_father]", "3") == R"({:name "Thomas", :_father [{:db/id 6}]})");
  CHECK(P(db, "[:name :_father]", "1") == R"({:name "Petr", :_father [{:db/id 2} {:db/id 3}]})");
  CHECK(P(db, "[:name {:_father [:name]}]", "1") == R"({:name "Petr", :_father [{:name "David"} {:name "Thomas"}]})");
  CHECK(P(db, "[:name :_father :_child]", "1") == R"({:name "Petr", :_father [{:db/id 2} {:db/id 3}]})");
  CHECK(P(db, "[(limit :_father 1)]", "1") == R"({:_father [{:db/id 2}]})");
  // Reverse of an unknown attribute: omitted.
  CHECK(P(db, "[:name :_nothing]", "1") == R"({:name "Petr"})");
  // Namespaced reverse attributes.
  Db ns = Db::empty(read("{:p/friend {:db/valueType :db.type/ref :db/cardinality :db.cardinality/many}}"))
              .with(tx(R"([{:db/id 1 :p/name "A" :p/friend [2 3]} {:db/id 2 :p/name "B" :p/friend 3} {:db/id 3 :p/name "C"}])"));
  CHECK(P(ns, "[:p/name {:p/_friend [:p/name]}]", "3") == R"({:p/name "C", :p/_friend [{:p/name "A"} {:p/name "B"}]})");
  CHECK(P(ns, "[:p/_friend]", "3") == R"({:p/_friend [{:db/id 1} {:db/id 2}]})");
  // Only incoming refs: still an entity with datoms (as v).
  Db only = ns.with(tx("[[:db/add 1 :p/friend 50]]"));
  CHECK(P(only, "[:p/_friend]", "50") == R"({:p/_friend [{:db/id 1}]})");
  CHECK(P(only, "[:db/id]", "50") == "nil");
}

TEST_CASE("pull: components", "[pull]") {
  Db db = testDb();
  // Component refs are expanded recursively with [*].
  CHECK(P(db, "[:name :part]", "10") ==
        R"({:name "Part A", :part [{:db/id 11, :name "Part A.A", :part [{:db/id 12, :name "Part A.A.A", :part [{:db/id 13, :name "Part A.A.A.A"} {:db/id 14, :name "Part A.A.A.B"}]}]} {:db/id 15, :name "Part A.B", :part [{:db/id 16, :name "Part A.B.A", :part [{:db/id 17, :name "Part A.B.A.A"} {:db/id 18, :name "Part A.B.A.B"}]}]}]})");
  // The reverse of a component attribute is single-valued.
  CHECK(P(db, "[:name :_part]", "11") == R"({:name "Part A.A", :_part {:db/id 10}})");
  CHECK(P(db, "[:name {:_part [:name]}]", "11") == R"({:name "Part A.A", :_part {:name "Part A"}})");
  CHECK(P(db, "[:name {:_part ...}]", "14") ==
        R"({:name "Part A.A.A.B", :_part {:name "Part A.A.A", :_part {:name "Part A.A", :_part {:name "Part A"}}}})");
  CHECK(P(db, "[:name {:_part 2}]", "14") == R"({:name "Part A.A.A.B", :_part {:name "Part A.A.A", :_part {:name "Part A.A"}}})");
  // Map specs override component expansion.
  CHECK(P(db, "[:name {:part [:name]}]", "10") == R"({:name "Part A", :part [{:name "Part A.A"} {:name "Part A.B"}]})");
  CHECK(P(db, "[:name {:part 1}]", "10") == R"({:name "Part A", :part [{:name "Part A.A"} {:name "Part A.B"}]})");
  // Expansion stops on loops: an entity already entered on the path is {:db/id n}.
  Db loop = db.with(tx("[[:db/add 12 :part 10]]"));
  CHECK(P(loop, "[:name :part]", "10") ==
        R"({:name "Part A", :part [{:db/id 11, :name "Part A.A", :part [{:db/id 12, :name "Part A.A.A", :part [{:db/id 10, :name "Part A", :part [{:db/id 11} {:db/id 15, :name "Part A.B", :part [{:db/id 16, :name "Part A.B.A", :part [{:db/id 17, :name "Part A.B.A.A"} {:db/id 18, :name "Part A.B.A.B"}]}]}]} {:db/id 13, :name "Part A.A.A.A"} {:db/id 14, :name "Part A.A.A.B"}]}]} {:db/id 15, :name "Part A.B", :part [{:db/id 16, :name "Part A.B.A", :part [{:db/id 17, :name "Part A.B.A.A"} {:db/id 18, :name "Part A.B.A.B"}]}]}]})");
  // Card-one component, wildcard.
  Db spec = db.with(tx(R"([{:db/id 20 :name "car" :spec {:db/id 21 :name "engine" :spec {:db/id 22 :name "piston"}}}])"));
  CHECK(P(spec, "[*]", "20") ==
        R"({:db/id 20, :name "car", :spec {:db/id 21, :name "engine", :spec {:db/id 22, :name "piston"}}})");
  CHECK(P(spec, "[:name {:spec [:name]}]", "20") == R"({:name "car", :spec {:name "engine"}})");
  CHECK(P(spec, "[:name :_spec]", "22") == R"({:name "piston", :_spec {:db/id 21}})");
  CHECK(P(spec, "[:name {:_spec [:name {:_spec [:name]}]}]", "22") ==
        R"({:name "piston", :_spec {:name "engine", :_spec {:name "car"}}})");
}

TEST_CASE("pull: wildcard", "[pull]") {
  Db db = testDb();
  CHECK(P(db, "[*]", "1") == R"({:db/id 1, :name "Petr", :aka ["Devil" "Tupen"], :child [{:db/id 2} {:db/id 3}]})");
  CHECK(P(db, "[* :_child]", "2") == R"({:db/id 2, :name "David", :father {:db/id 1}, :_child [{:db/id 1}]})");
  CHECK(P(db, "[:_child *]", "2") == R"({:_child [{:db/id 1}], :db/id 2, :name "David", :father {:db/id 1}})");
  // Explicit specs take their attribute out of the wildcard and keep their place.
  CHECK(P(db, "[:name *]", "1") == R"({:name "Petr", :db/id 1, :aka ["Devil" "Tupen"], :child [{:db/id 2} {:db/id 3}]})");
  CHECK(P(db, "[* :db/id]", "1") == R"({:name "Petr", :aka ["Devil" "Tupen"], :child [{:db/id 2} {:db/id 3}], :db/id 1})");
  CHECK(P(db, "[[:aka :as :alias] [:name :as :first-name] *]", "1") ==
        R"({:alias ["Devil" "Tupen"], :first-name "Petr", :db/id 1, :child [{:db/id 2} {:db/id 3}]})");
  CHECK(P(db, "[* {:child ...}]", "1") ==
        R"({:db/id 1, :name "Petr", :aka ["Devil" "Tupen"], :child [{:db/id 2, :name "David", :father {:db/id 1}} {:db/id 3, :name "Thomas", :father {:db/id 1}}]})");
  CHECK(P(db, "[* {:child [:name]}]", "1") ==
        R"({:db/id 1, :name "Petr", :aka ["Devil" "Tupen"], :child [{:name "David"} {:name "Thomas"}]})");
  CHECK(P(db, "[*]", "99") == "nil");
  // Nested wildcard.
  CHECK(P(db, "[:name {:father [*]}]", "6") == R"({:name "Matthew", :father {:db/id 3, :name "Thomas", :father {:db/id 1}}})");
  // :as colliding with a wildcard key: the first one wins.
  CHECK(P(db, "[* [:aka :as :name]]", "1") == R"({:db/id 1, :name "Petr", :child [{:db/id 2} {:db/id 3}]})");
}

TEST_CASE("pull: nested maps", "[pull]") {
  Db db = testDb();
  CHECK(P(db, "[:name {:father [:name]}]", "6") == R"({:name "Matthew", :father {:name "Thomas"}})");
  CHECK(P(db, "[:name {:child [:name]}]", "1") == R"({:name "Petr", :child [{:name "David"} {:name "Thomas"}]})");
  CHECK(P(db, "[:name {:father [:name]}]", "1") == R"({:name "Petr"})");
  // Nested results that match nothing are dropped (and then the attribute).
  CHECK(P(db, "[:name {:child [:foo]}]", "1") == R"({:name "Petr"})");
  CHECK(P(db, "[:name {:child [:db/id]}]", "1") == R"({:name "Petr", :child [{:db/id 2} {:db/id 3}]})");
  // Several entries in one map; nested two levels.
  CHECK(P(db, "[{:child [:name {:_father [:name]}] :_father [:name]}]", "1") ==
        R"({:child [{:name "David"} {:name "Thomas", :_father [{:name "Matthew"}]}], :_father [{:name "David"} {:name "Thomas"}]})");
  // Seen ids are tracked per path, not globally: the same entity twice.
  Db two = Db::empty(read("{:friend {:db/valueType :db.type/ref} :enemy {:db/valueType :db.type/ref}}"))
               .with(tx(R"([{:db/id 1 :name "1" :friend 2 :enemy 2} {:db/id 2 :name "2"}])"));
  CHECK(P(two, "[:name {:friend [:name], :enemy [:name]}]", "1") == R"({:name "1", :friend {:name "2"}, :enemy {:name "2"}})");
  // A sub-pattern on a non-ref attribute is an error at pull time.
  CHECK(catchError([&] { P(db, "[{:name [:x]}]", "1"); }).code == "invalid-input");
  CHECK(catchError([&] { P(db, "[:_name]", "1"); }).code == "invalid-input");
}

TEST_CASE("pull: limit", "[pull]") {
  std::string data = "[[:db/add 4 :friend 5] [:db/add 4 :friend 6] [:db/add 4 :friend 7] [:db/add 4 :friend 8]";
  for (int i = 0; i < 2000; ++i) data += " [:db/add 8 :aka \"aka-" + std::to_string(10000 + i) + "\"]";
  data += "]";
  Db db = testDb().with(tx(data));
  auto akaCount = [&](const std::string& pattern) {
    Value v = pull::pull(db, read(pattern), Value::integer(8));
    return v.getKeyword("aka") ? v.getKeyword("aka")->count() : 0;
  };
  CHECK(akaCount("[:aka]") == 1000);
  CHECK(akaCount("[*]") == 1000);
  CHECK(akaCount("[(limit :aka 500)]") == 500);
  CHECK(akaCount("[[:aka :limit 500]]") == 500);
  CHECK(akaCount("[(limit :aka 1500)]") == 1500);
  CHECK(akaCount("[(limit :aka nil)]") == 2000);
  CHECK(akaCount("[[:aka :limit nil]]") == 2000);
  CHECK(P(db, "[[:aka :limit 2]]", "8") == R"({:aka ["aka-10000" "aka-10001"]})");
  CHECK(P(db, "[:name {(limit :friend 2) [:name]}]", "4") == R"({:name "Lucy", :friend [{:name "Elizabeth"} {:name "Matthew"}]})");
  CHECK(P(db, "[:name {[:friend :limit 3] [:name]}]", "4") ==
        R"({:name "Lucy", :friend [{:name "Elizabeth"} {:name "Matthew"} {:name "Eunan"}]})");
  CHECK(P(db, "[[:friend :limit 1]]", "4") == R"({:friend [{:db/id 5}]})");
  // A limit on a card-one attribute changes nothing.
  CHECK(P(db, "[(limit :name 1)]", "4") == R"({:name "Lucy"})");
}

TEST_CASE("pull: default and :as", "[pull]") {
  Db db = testDb();
  CHECK(P(db, "[(default :foo \"bar\")]", "1") == R"({:foo "bar"})");
  CHECK(P(db, "[[:foo :default \"bar\"]]", "1") == R"({:foo "bar"})");
  CHECK(P(db, "[[:foo :default false]]", "1") == R"({:foo false})");
  CHECK(P(db, "[[:foo :as :bar :default false]]", "1") == R"({:bar false})");
  CHECK(P(db, "[[:x :as \"Name\" :default \"Nothing\"]]", "1") == R"({"Name" "Nothing"})");
  CHECK(P(db, "[[:name :as \"Name\"] [:aka :as :alias]]", "1") == R"({"Name" "Petr", :alias ["Devil" "Tupen"]})");
  CHECK(P(db, "[[:name :as 42] [:db/id :as [1 2]]]", "1") == R"({42 "Petr", [1 2] 1})");
  // Defaults never override values.
  CHECK(P(db, R"([[:name :default "[name]"] [:aka :default "[aka]"] {[:child :default "[child]"] ...}])", "1") ==
        R"({:name "Petr", :aka ["Devil" "Tupen"], :child [{:name "David", :aka "[aka]", :child "[child]"} {:name "Thomas", :aka "[aka]", :child "[child]"}]})");
  CHECK(P(db, R"([[:name :default "[name]"] [:aka :default "[aka]"] {[:child :default "[child]"] ...}])", "2") ==
        R"({:name "David", :aka "[aka]", :child "[child]"})");
  // Ref defaults, reverse defaults.
  CHECK(P(db, "[:db/id [:child :default 1]]", "2") == R"({:db/id 2, :child 1})");
  CHECK(P(db, "[:db/id [:_child :default 2]]", "1") == R"({:db/id 1, :_child 2})");
  // Combined options, nested expressions.
  CHECK(P(db, "[[:aka :limit 1 :as :b :default 0]]", "1") == R"({:b ["Devil"]})");
  CHECK(P(db, "[[:aka :limit 1 :as :b :default 0]]", "2") == R"({:b 0})");
  CHECK(P(db, "[(default (limit :aka 1) :none)]", "1") == R"({:aka ["Devil"]})");
  CHECK(P(db, "[(limit (default :aka :none) 1)]", "3") == R"({:aka :none})");
  CHECK(P(db, "[(:aka :limit 1 :as :x)]", "1") == R"({:x ["Devil"]})");
  CHECK(P(db, "[{[:child :as :kids] [[:name :as :n]]}]", "1") == R"({:kids [{:n "David"} {:n "Thomas"}]})");
  CHECK(P(db, "[{[:_child :as :parents] [:name]}]", "3") == R"({:parents [{:name "Petr"}]})");
}

TEST_CASE("pull: recursion", "[pull]") {
  Db db = testDb().with(tx(R"([[:db/add 4 :friend 5] [:db/add 5 :friend 6] [:db/add 6 :friend 7] [:db/add 7 :friend 8]
      [:db/add 4 :enemy 6] [:db/add 5 :enemy 7] [:db/add 6 :enemy 8] [:db/add 7 :enemy 4]])"));
  const char* friends =
      R"({:db/id 4, :name "Lucy", :friend [{:db/id 5, :name "Elizabeth", :friend [{:db/id 6, :name "Matthew", :friend [{:db/id 7, :name "Eunan", :friend [{:db/id 8, :name "Kerri"}]}]}]}]})";
  CHECK(P(db, "[:db/id :name {:friend ...}]", "4") == friends);
  CHECK(P(db, "[:db/id :name {:friend 2}]", "4") ==
        R"({:db/id 4, :name "Lucy", :friend [{:db/id 5, :name "Elizabeth", :friend [{:db/id 6, :name "Matthew"}]}]})");
  CHECK(P(db, "[:db/id :name {:friend 2 :enemy 2}]", "4") ==
        R"({:db/id 4, :name "Lucy", :friend [{:db/id 5, :name "Elizabeth", :friend [{:db/id 6, :name "Matthew", :enemy [{:db/id 8, :name "Kerri"}]}], :enemy [{:db/id 7, :name "Eunan", :friend [{:db/id 8, :name "Kerri"}], :enemy [{:db/id 4, :name "Lucy", :friend [{:db/id 5}]}]}]}], :enemy [{:db/id 6, :name "Matthew", :friend [{:db/id 7, :name "Eunan", :friend [{:db/id 8, :name "Kerri"}], :enemy [{:db/id 4, :name "Lucy", :friend [{:db/id 5, :name "Elizabeth", :friend [{:db/id 6}], :enemy [{:db/id 7}]}], :enemy [{:db/id 6}]}]}], :enemy [{:db/id 8, :name "Kerri"}]}]})");
  // Reverse recursion.
  CHECK(P(db, "[:db/id {:_friend ...}]", "8") ==
        R"({:db/id 8, :_friend [{:db/id 7, :_friend [{:db/id 6, :_friend [{:db/id 5, :_friend [{:db/id 4}]}]}]}]})");
  CHECK(P(db, "[:db/id {:_friend 2}]", "8") == R"({:db/id 8, :_friend [{:db/id 7, :_friend [{:db/id 6}]}]})");
  // Cycles: an entity already entered through recursion on the current path
  // comes back as {:db/id n} (the starting entity is pulled once more, as in DataScript).
  Db cyc = db.with(tx("[[:db/add 8 :friend 4]]"));
  CHECK(P(cyc, "[:db/id :name {:friend ...}]", "4") ==
        R"({:db/id 4, :name "Lucy", :friend [{:db/id 5, :name "Elizabeth", :friend [{:db/id 6, :name "Matthew", :friend [{:db/id 7, :name "Eunan", :friend [{:db/id 8, :name "Kerri", :friend [{:db/id 4, :name "Lucy", :friend [{:db/id 5}]}]}]}]}]}]})");
  // Recursion inside a nested pattern re-applies the nested pattern.
  CHECK(P(db, "[:name {:child [:name {:_father ...}]}]", "1") ==
        R"({:name "Petr", :child [{:name "David"} {:name "Thomas", :_father [{:name "Matthew"}]}]})");
}

TEST_CASE("pull: dual recursion", "[pull]") {
  Db db = Db::empty(read("{:friend {:db/valueType :db.type/ref} :enemy {:db/valueType :db.type/ref}}"))
              .with(tx(R"([{:db/id 1 :friend 2} {:db/id 2 :enemy 3} {:db/id 3 :friend 4} {:db/id 4 :enemy 5}
                          {:db/id 5 :friend 6} {:db/id 6 :enemy 7}])"));
  CHECK(P(db, "[:db/id {:friend ...}]", "1") == "{:db/id 1, :friend {:db/id 2}}");
  CHECK(P(db, "[:db/id {:friend 1 :enemy 1}]", "1") == "{:db/id 1, :friend {:db/id 2, :enemy {:db/id 3}}}");
  CHECK(P(db, "[:db/id {:friend 2 :enemy 1}]", "1") == "{:db/id 1, :friend {:db/id 2, :enemy {:db/id 3, :friend {:db/id 4}}}}");
  CHECK(P(db, "[:db/id {:friend 2 :enemy 2}]", "1") ==
        "{:db/id 1, :friend {:db/id 2, :enemy {:db/id 3, :friend {:db/id 4, :enemy {:db/id 5}}}}}");
  Db db2 = Db::empty(read("{:part {:db/valueType :db.type/ref} :spec {:db/valueType :db.type/ref}}"))
               .with(tx("[[:db/add 1 :part 2] [:db/add 2 :part 3] [:db/add 3 :part 1] [:db/add 1 :spec 2] [:db/add 2 :spec 1]]"));
  CHECK(P(db2, "[:db/id {:part ...} {:spec ...}]", "1") ==
        "{:db/id 1, :part {:db/id 2, :part {:db/id 3, :part {:db/id 1, :part {:db/id 2}, :spec {:db/id 2}}}, :spec {:db/id 1, :part {:db/id 2}, :spec {:db/id 2}}}, :spec {:db/id 2, :part {:db/id 3, :part {:db/id 1, :part {:db/id 2}, :spec {:db/id 2}}}, :spec {:db/id 1, :part {:db/id 2}, :spec {:db/id 2}}}}");
}
