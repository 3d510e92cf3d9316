// The stored database the store harness corrupts: built deterministically
// (fixed tx instants), with small leaves so every index has branch and leaf
// nodes, a checkpoint, and a tail of three commits.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "fuzz_support.h"
#include "store/stored_database.h"

namespace datalite::fuzz {

struct StoreImage {
  std::map<std::string, std::pair<index::NodeAddress, std::string>> nodes;  // by hex address: ordered
  std::string root;
};

inline StoreImage buildStoreImage() {
  auto mem = std::make_shared<store::MemoryStore>();
  store::StoredDatabase sd(mem);
  DbOptions options;
  options.btree.leafBytes = 256;
  options.btree.branchFanout = 4;
  Value schema = edn::readOne(R"({:name {:db/unique :db.unique/identity}
    :friend {:db/valueType :db.type/ref :db/cardinality :db.cardinality/many}
    :age {:db/index true}})");
  Db db = Db::empty(schema, options);
  std::vector<Value> people;
  for (int i = 0; i < 60; ++i)
    people.push_back(edn::readOne("{:db/id -" + std::to_string(i + 1) + " :name \"p" + std::to_string(i) +
                                  "\" :age " + std::to_string(i % 17) + " :friend -" +
                                  std::to_string((i + 7) % 60 + 1) + "}"));
  TxOptions tx;
  tx.txInstantMs = 1'700'000'000'000;
  db = db.transact(people, tx).dbAfter;
  sd.checkpoint(db);
  for (int i = 0; i < 3; ++i) {
    tx.txInstantMs += 1000;
    TxReport r = db.transact(edn::readOne("[[:db/add 1 :age " + std::to_string(100 + i) +
                                          "] [:db/retract 2 :friend 9] {:name \"new" + std::to_string(i) + "\"}]")
                                 .items(),
                             tx);
    sd.commit(r);
    db = r.dbAfter;
  }
  sd.sync();
  StoreImage image;
  for (const index::NodeAddress& a : mem->list()) image.nodes[a.hex()] = {a, *mem->get(a)};
  image.root = *mem->readRoot();
  return image;
}

}  // namespace datalite::fuzz
