// Entity: lazy get / navigation / touch / keys.
#include "pull_test_util.h"

using namespace datalite;
using namespace datalite::pulltest;

namespace {

Db familyDb() {
  return Db::empty(read(R"({:name {:db/unique :db.unique/identity}
      :aka {:db/cardinality :db.cardinality/many}
      :child {:db/valueType :db.type/ref :db/cardinality :db.cardinality/many}
      :father {:db/valueType :db.type/ref}
      :part {:db/valueType :db.type/ref :db/isComponent true :db/cardinality :db.cardinality/many}
      :spec {:db/valueType :db.type/ref :db/isComponent true}})"))
      .with(tx(R"([{:db/id 1 :name "Petr" :aka ["Devil" "Tupen"] :child [2 3]}
                  {:db/id 2 :name "David" :father 1}
                  {:db/id 3 :name "Thomas" :father 1}
                  {:db/id 10 :name "Part A" :part [{:db/id 11 :name "A.A" :spec {:db/id 13 :name "A.A.spec"}}
                                                    {:db/id 12 :name "A.B"}]}])"));
}

Keyword kw(const char* s) { return Keyword::intern(s); }

}  // namespace

TEST_CASE("entity: get", "[entity]") {
  Db db = familyDb();
  std::optional<pull::Entity> petr = pull::Entity::of(db, read("[:name \"Petr\"]"));
  REQUIRE(petr);
  CHECK(petr->id() == 1);
  CHECK(petr->exists());
  CHECK(edn::print(petr->get(kw("name"))) == "\"Petr\"");
  CHECK(edn::print(petr->get(":name")) == "\"Petr\"");
  CHECK(edn::print(petr->get("aka")) == R"(#{"Devil" "Tupen"})");
  CHECK(edn::print(petr->get("child")) == "#{{:db/id 2} {:db/id 3}}");
  CHECK(edn::print(petr->get("db/id")) == "1");
  CHECK(petr->get("father").isNil());
  CHECK(petr->get("nope/nope").isNil());
  CHECK(edn::print(petr->get("_father")) == "#{{:db/id 2} {:db/id 3}}");
  CHECK(petr->get("_child").isNil());
  pull::Entity david = pull::Entity::of(db, 2);
  CHECK(edn::print(david.get("father")) == "{:db/id 1}");
  CHECK(edn::print(david.get("_child")) == "#{{:db/id 1}}");
  // Reverse of a component attribute: single.
  CHECK(edn::print(pull::Entity::of(db, 11).get("_part")) == "{:db/id 10}");
  CHECK(edn::print(pull::Entity::of(db, 13).get("_spec")) == "{:db/id 11}");
  // Arguments.
  CHECK(!pull::Entity::of(db, read("[:name \"Nobody\"]")));
  std::optional<pull::Entity> ghost = pull::Entity::of(db, read("999"));
  REQUIRE(ghost);
  CHECK(!ghost->exists());
  CHECK(ghost->touch() == read("{:db/id 999}"));
  CHECK(catchError([&] { pull::Entity::of(db, read("\"x\"")); }).code == "invalid-input");
  CHECK(catchError([&] { pull::Entity::of(db, int64_t{0}); }).code == "invalid-input");
}

TEST_CASE("entity: navigation", "[entity]") {
  Db db = familyDb();
  pull::Entity petr = pull::Entity::of(db, 1);
  std::vector<pull::Entity> kids = petr.refs(kw("child"));
  REQUIRE(kids.size() == 2);
  CHECK(edn::print(kids[0].get("name")) == "\"David\"");
  CHECK(edn::print(kids[1].get("name")) == "\"Thomas\"");
  CHECK(kids[1].ref(kw("father"))->id() == 1);
  CHECK(kids[1].ref(kw("_child"))->id() == 1);
  std::vector<pull::Entity> back = petr.refs(kw("_father"));
  REQUIRE(back.size() == 2);
  CHECK(back[0].id() == 2);
  CHECK(back[1].id() == 3);
  CHECK(!petr.ref(kw("father")));
  CHECK(petr.refs(kw("nothing")).empty());
  CHECK(pull::Entity::of(db, 13).ref(kw("_spec"))->ref(kw("_part"))->id() == 10);
  CHECK(catchError([&] { petr.ref(kw("name")); }).code == "invalid-input");
  CHECK(catchError([&] { petr.refs(kw("_aka")); }).code == "invalid-input");
  // The Entity keeps its db value: later transactions do not change it.
  pull::Entity e = pull::Entity::of(db.with(tx(R"([[:db/add 1 :name "Petr2"]])")), 1);
  CHECK(edn::print(petr.get("name")) == "\"Petr\"");
  CHECK(edn::print(e.get("name")) == "\"Petr2\"");
}

TEST_CASE("entity: touch and keys", "[entity]") {
  Db db = familyDb();
  CHECK(edn::print(pull::Entity::of(db, 1).touch()) ==
        R"({:db/id 1, :name "Petr", :aka #{"Devil" "Tupen"}, :child #{{:db/id 2} {:db/id 3}}})");
  CHECK(edn::print(pull::Entity::of(db, 10).touch()) ==
        R"({:db/id 10, :name "Part A", :part #{{:db/id 11, :name "A.A", :spec {:db/id 13, :name "A.A.spec"}} {:db/id 12, :name "A.B"}}})");
  std::vector<Keyword> keys = pull::Entity::of(db, 1).keys();
  std::string ks;
  for (Keyword k : keys) ks += std::string(k.str()) + " ";
  CHECK(ks == "name aka child ");
  // Component loops stop: an entity on the path is {:db/id n}.
  Db loop = db.with(tx("[[:db/add 13 :part 10]]"));
  CHECK(edn::print(pull::Entity::of(loop, 11).touch()) ==
        R"({:db/id 11, :name "A.A", :spec {:db/id 13, :name "A.A.spec", :part #{{:db/id 10, :name "Part A", :part #{{:db/id 11} {:db/id 12, :name "A.B"}}}}}})");
  // asOf view.
  Db later = db.with(tx(R"([[:db/retract 1 :aka "Devil"]])"));
  CHECK(edn::print(pull::Entity::of(later.asOf(db.maxTx()), 1).get("aka")) == R"(#{"Devil" "Tupen"})");
  CHECK(edn::print(pull::Entity::of(later, 1).get("aka")) == R"(#{"Tupen"})");
}
