#include <catch2/catch.hpp>

#include "datalite.h"
#include "db_test_util.h"

using namespace datalite;
using namespace datalite::testing;

TEST_CASE("smoke: transact entity maps and read them back", "[db]") {
  Db db = Db::empty(edn::readOne("{:person/friend {:db/valueType :db.type/ref :db/cardinality :db.cardinality/many}"
                                 " :person/email {:db/unique :db.unique/identity}}"));
  TxReport r = db.transact(tx(R"([{:db/id "ivan" :person/name "Ivan" :person/email "i@x" :person/friend "petr"}
                                            {:db/id "petr" :person/name "Petr"}])"));
  // EAVT orders attributes by attribute id (first definition/use), as Datomic.
  CHECK(eavt(r.dbAfter, 1) == "[[1 :person/friend 2] [1 :person/email \"i@x\"] [1 :person/name \"Ivan\"]]");
  CHECK(r.dbAfter.entid(edn::readOne("[:person/email \"i@x\"]")) == 1);
  CHECK(tempid(r, "ivan") == 1);
  CHECK(tempid(r, "petr") == 2);
}
