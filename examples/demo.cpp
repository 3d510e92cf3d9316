// A tour of the engine core: schema, transactions, raw index reads and the
// history views (asOf, since, history) of an immutable database value.
#include <cstdio>
#include <string>

#include "datalite.h"

using namespace datalite;

namespace {

void printDatoms(const char* title, const Db& db, const std::vector<Datom>& datoms) {
  std::printf("\n%s\n", title);
  for (const Datom& d : datoms) {
    if (d.e >= kTx0 && db.attrIdent(d.a).str() == "db/txInstant") continue;  // tx bookkeeping
    std::printf("  [%lld :%s %s %lld%s]\n", static_cast<long long>(d.e), std::string(db.attrIdent(d.a).str()).c_str(),
                edn::print(d.v).c_str(), static_cast<long long>(d.tx), d.added ? "" : " retracted");
  }
}

std::vector<Value> txData(const char* edn) { return edn::readOne(edn).items(); }

}  // namespace

int main() {
  // DataScript-style schema map.
  Db empty = Db::empty(edn::readOne(R"({:person/email  {:db/unique :db.unique/identity}
                                        :person/friend {:db/valueType :db.type/ref
                                                        :db/cardinality :db.cardinality/many}
                                        :person/age    {:db/valueType :db.type/long}})"));

  TxReport r1 = empty.transact(txData(R"([{:db/id "ivan" :person/name "Ivan" :person/email "ivan@example.org"
                                           :person/age 30 :person/friend "petr"}
                                          {:db/id "petr" :person/name "Petr" :person/email "petr@example.org"
                                           :person/age 25}])"));
  std::printf("tx %lld: ivan=%lld petr=%lld\n", static_cast<long long>(r1.tx),
              static_cast<long long>(r1.dbAfter.entid(edn::readOne("[:person/email \"ivan@example.org\"]"))),
              static_cast<long long>(r1.dbAfter.entid(edn::readOne("[:person/email \"petr@example.org\"]"))));

  // An upsert through the unique identity: Ivan has a birthday.
  TxReport r2 = r1.dbAfter.transact(txData(R"([{:person/email "ivan@example.org" :person/age 31}])"));
  // Petr leaves.
  TxReport r3 = r2.dbAfter.transact(txData(R"([[:db/retractEntity [:person/email "petr@example.org"]]])"));
  Db db = r3.dbAfter;

  printDatoms("current EAVT:", db, db.datoms(IndexOrder::EAVT));
  Value ageComps[] = {Value::keyword("person/age")};
  printDatoms("current AVET :person/age:", db, db.datoms(IndexOrder::AVET, ageComps));
  printDatoms("tx-data of the upsert:", db, r2.txData);
  printDatoms(("as of tx " + std::to_string(r1.tx) + ":").c_str(), db, db.asOf(r1.tx).datoms(IndexOrder::EAVT));
  printDatoms(("since tx " + std::to_string(r1.tx) + ":").c_str(), db, db.since(r1.tx).datoms(IndexOrder::EAVT));
  printDatoms("history (every assertion and retraction):", db, db.history().datoms(IndexOrder::EAVT));

  // Old values stay valid and unchanged.
  std::printf("\ndatoms now: %llu, as of the first tx: %llu, in the value we kept from then: %llu\n",
              static_cast<unsigned long long>(db.count()), static_cast<unsigned long long>(db.asOf(r1.tx).count()),
              static_cast<unsigned long long>(r1.dbAfter.count()));

  // Bad input is a DataliteError with a code, and changes nothing.
  try {
    db.transact(txData(R"([{:person/name "Oleg" :person/age "forty"}])"));
  } catch (const DataliteError& e) {
    std::printf("\nrejected (%s): %s\n", std::string(e.codeName()).c_str(), e.what());
  }
  return 0;
}
