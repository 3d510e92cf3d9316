// Stored databases over the counting memory store: round trips through
// commits, tail and checkpoints; lazy opening (node reads counted);
// crash images; corruption; garbage collection; the node cache budget.
#include <catch2/catch.hpp>

#include <random>

#include "serial/serial_test_util.h"
#include "store/stored_database.h"

using namespace datalite;
using namespace datalite::store;
using namespace datalite::testing;

namespace {

// Everything a reopened db must reproduce: current state of every index,
// history, counters, query answers.
std::string fingerprint(const Db& db) {
  std::string out = describe(db) + "history\n" + datomLines(db.history(), IndexOrder::EAVT);
  for (const std::string& q : richQueries()) out += runQuery(db, q) + "\n";
  return out;
}

Db reopen(std::shared_ptr<Store> store, StorageOptions options = {}) {
  StoredDatabase sd(std::move(store), options);
  std::optional<Db> db = sd.open();
  REQUIRE(db.has_value());
  return *db;
}

// Commits a chain of transactions on top of `db`, one commit each.
Db commitChain(StoredDatabase& sd, Db db, int n, int seed) {
  std::mt19937 rng(seed);
  for (int i = 0; i < n; ++i) {
    int e = 1 + static_cast<int>(rng() % 40);
    std::string t = "[[:db/add " + std::to_string(1000 + e) + " :person/age " + std::to_string(rng() % 100) + "]";
    if (i % 3 == 0) t += " {:db/id \"n" + std::to_string(i) + "\" :person/name \"n" + std::to_string(i) + "\"}";
    if (i % 5 == 4) t += " [:db/retractEntity " + std::to_string(1000 + e) + "]";
    t += "]";
    TxReport r = db.transact(tx(t));
    sd.commit(r);
    db = r.dbAfter;
  }
  return db;
}

}  // namespace

TEST_CASE("store: a checkpointed db reopens identical", "[store]") {
  auto mem = std::make_shared<MemoryStore>();
  Db db = richDb();
  {
    StoredDatabase sd(mem);
    REQUIRE_FALSE(sd.open().has_value());
    sd.checkpoint(db);
    sd.sync();
  }
  Db back = reopen(mem);
  CHECK(fingerprint(back) == fingerprint(db));
  CHECK(back.maxTx() == db.maxTx());
  CHECK(back.maxEid() == db.maxEid());
}

TEST_CASE("store: commits through the tail and checkpoints reopen identical", "[store]") {
  for (uint32_t tailMax : {1u, 4u, 1000u}) {
    auto mem = std::make_shared<MemoryStore>();
    StorageOptions options;
    options.tailMaxTxs = tailMax;
    StoredDatabase sd(mem, options);
    Db db = richDb();
    sd.checkpoint(db);
    db = commitChain(sd, db, 30, 7);
    sd.sync();
    Db back = reopen(mem, options);
    INFO("tailMaxTxs " << tailMax);
    CHECK(fingerprint(back) == fingerprint(db));
    // Commits continue on the reopened db, then reopen again.
    StoredDatabase sd2(mem, options);
    Db again = *sd2.open();
    again = commitChain(sd2, again, 12, 8);
    sd2.sync();
    CHECK(fingerprint(reopen(mem, options)) == fingerprint(again));
    if (tailMax == 4) CHECK(sd.stats().checkpoints > 3);
    if (tailMax == 1000) CHECK(sd.stats().checkpoints == 1);
  }
}

TEST_CASE("store: schema changes inside the tail survive a reopen", "[store]") {
  auto mem = std::make_shared<MemoryStore>();
  StoredDatabase sd(mem);
  Db db = Db::empty(read("{:a/name {:db/unique :db.unique/identity}}"));
  sd.checkpoint(db);
  TxReport r = db.transact(tx(R"([{:db/ident :a/friend :db/valueType :db.type/ref :db/cardinality :db.cardinality/many}])"));
  sd.commit(r);
  TxReport r2 = r.dbAfter.transact(tx(R"([{:db/id "x" :a/name "x" :a/friend "y"} {:db/id "y" :a/name "y"}])"));
  sd.commit(r2);
  sd.sync();
  CHECK(sd.stats().checkpoints == 1);
  Db back = reopen(mem);
  CHECK(describe(back) == describe(r2.dbAfter));
  REQUIRE(back.attribute(Keyword::intern("a/friend")));
  CHECK(back.attribute(Keyword::intern("a/friend"))->isRef());
}

TEST_CASE("store: a small transaction writes one small tail node and the root", "[store][amplification]") {
  auto mem = std::make_shared<MemoryStore>();
  StoredDatabase sd(mem);
  Db db = bigDb(5000);
  sd.checkpoint(db);
  sd.sync();
  mem->resetCounters();
  uint64_t bytes = 0;
  const int n = 50;
  for (int i = 0; i < n; ++i) {
    TxReport r = db.transact(tx("[[:db/add " + std::to_string(1 + i * 37) + " :p/age " + std::to_string(i) + "]]"));
    CommitInfo info = sd.commit(r);
    CHECK_FALSE(info.checkpoint);
    bytes += info.bytesWritten;
    db = r.dbAfter;
  }
  auto c = mem->counters();
  CHECK(c.puts == n);           // one tail node per commit
  CHECK(c.rootWrites == n);
  CHECK(bytes / n < 400);       // a retraction + an assertion + the 228-byte root
  CHECK(fingerprint(reopen(mem)) == fingerprint(db));
}

TEST_CASE("store: opening reads the roots only; a point query reads about one path per index", "[store][lazy]") {
  auto mem = std::make_shared<MemoryStore>();
  Db db = bigDb(20000);
  {
    StoredDatabase sd(mem);
    sd.checkpoint(db);
    sd.sync();
  }
  mem->resetCounters();
  StoredDatabase sd(mem);
  Db back = *sd.open();
  auto opened = mem->counters();
  CHECK(opened.gets <= 1 + 2 * kIndexCount);  // schema node + non-empty index roots
  size_t height = db.currentTree(IndexOrder::AVET).height();
  REQUIRE(height >= 2);
  int64_t e = back.entid(read(R"([:p/email "p12345@x.org"])"));
  CHECK(e == 12346);
  auto afterLookup = mem->counters();
  CHECK(afterLookup.gets - opened.gets <= height);  // below the AVET root: one node per level
  std::vector<Datom> ds = back.datoms(IndexOrder::EAVT, std::vector<Value>{Value::integer(e)});
  CHECK(ds.size() == 6);
  auto afterEntity = mem->counters();
  CHECK(afterEntity.gets - afterLookup.gets <= height);
  CHECK(sd.stats().nodesLoaded == afterEntity.gets - opened.gets);
  // Everything read lazily equals the original.
  CHECK(describe(back, false) == describe(db, false));
}

TEST_CASE("store: the cache keeps to its budget and reloads what it evicted", "[store][lazy]") {
  auto mem = std::make_shared<MemoryStore>();
  Db db = bigDb(20000);
  {
    StoredDatabase sd(mem);
    sd.checkpoint(db);
  }
  StorageOptions options;
  options.cacheBytes = 256 * 1024;
  StoredDatabase sd(mem, options);
  Db back = *sd.open();
  std::string full = describe(back, false);  // touches every node
  CHECK(sd.stats().cacheResidentBytes > options.cacheBytes);
  CHECK(sd.evict() > 0);
  CHECK(sd.stats().cacheResidentBytes <= options.cacheBytes);
  CHECK(describe(back, false) == full);  // reloaded on demand
  sd.evict(true);
  CHECK(sd.stats().cacheResidentBytes == 0);
  CHECK(runQuery(back, "[:find ?n . :where [?e :p/email \"p7@x.org\"] [?e :p/name ?n]]") == "\"person 7\"");
}

TEST_CASE("store: transactions on a lazily opened db copy stored nodes, never edit them", "[store][lazy]") {
  auto mem = std::make_shared<MemoryStore>();
  Db db = bigDb(8000);
  {
    StoredDatabase sd(mem);
    sd.checkpoint(db);
  }
  StoredDatabase sd(mem);
  Db back = *sd.open();
  Db expected = db;
  for (int i = 0; i < 20; ++i) {
    std::string t = "[[:db/add " + std::to_string(1 + i * 311) + " :p/age 1000] [:db/retractEntity " +
                    std::to_string(2 + i * 311) + "]]";
    TxOptions at;
    at.txInstantMs = 1'700'000'000'000 + i;  // both sides get the same tx instants
    TxReport r = back.transact(tx(t), at);
    sd.commit(r);
    back = r.dbAfter;
    expected = expected.transact(tx(t), at).dbAfter;
  }
  Db snapshot = back;
  sd.checkpoint(back);
  for (int i = 0; i < kIndexCount; ++i) back.currentTree(static_cast<IndexOrder>(i)).checkInvariants();
  CHECK(describe(back) == describe(expected));
  CHECK(describe(reopen(mem)) == describe(expected));
  CHECK(describe(snapshot) == describe(expected));
}

TEST_CASE("store: a crash keeps exactly the synced commits", "[store][crash]") {
  auto mem = std::make_shared<MemoryStore>();
  StorageOptions options;
  options.tailMaxTxs = 3;
  StoredDatabase sd(mem, options);
  Db db = richDb();
  sd.checkpoint(db);
  sd.sync();
  std::vector<std::string> synced = {fingerprint(db)};
  for (int round = 0; round < 6; ++round) {
    db = commitChain(sd, db, 1 + round, 100 + round);
    // Not synced yet: a crash now shows the previous synced state.
    CHECK(fingerprint(reopen(mem->crashImage(), options)) == synced.back());
    sd.sync();
    synced.push_back(fingerprint(db));
    CHECK(fingerprint(reopen(mem->crashImage(), options)) == synced.back());
  }
}

TEST_CASE("store: corruption is a store-error naming the node, never a crash", "[store][corruption]") {
  auto mem = std::make_shared<MemoryStore>();
  Db db = bigDb(3000);
  StoredDatabase writer(mem);
  writer.checkpoint(db);
  TxReport r = db.transact(tx("[[:db/add 5 :p/age 99]]"));
  writer.commit(r);
  writer.sync();

  SECTION("a corrupt root record") {
    std::string root = *mem->readRoot();
    root[40] ^= 1;
    mem->writeRoot(root);
    Caught c = catchError([&] { StoredDatabase(mem).open(); });
    CHECK(c.code == "store-error");
    CHECK(c.message.find("root record") != std::string::npos);
  }
  SECTION("a corrupt or missing node") {
    std::vector<index::NodeAddress> all = mem->list();
    int checked = 0;
    for (const auto& addr : all) {
      std::string bytes = *mem->get(addr);
      for (int variant = 0; variant < 3; ++variant) {
        auto copy = mem->crashImage();
        if (variant == 0) {
          std::string bad = bytes;
          bad[bad.size() / 2] ^= 0x20;
          copy->corrupt(addr, bad);
        } else if (variant == 1) {
          copy->corrupt(addr, bytes.substr(0, bytes.size() / 2));
        } else {
          std::vector<index::NodeAddress> one = {addr};
          copy->del(one);
        }
        Caught c = catchError([&] {
          StoredDatabase sd(copy);
          Db back = *sd.open();
          describe(back);  // reads every node
        });
        CHECK(c.code == "store-error");
        CHECK(c.message.find(addr.hex()) != std::string::npos);
        ++checked;
      }
    }
    CHECK(checked >= 30);
  }
}

TEST_CASE("store: gc removes what no live db reaches, and the store shrinks back", "[store][gc]") {
  auto mem = std::make_shared<MemoryStore>();
  StorageOptions options;
  options.tailMaxTxs = 2;
  StoredDatabase sd(mem, options);
  Db db = bigDb(4000);
  sd.checkpoint(db);
  sd.sync();
  size_t baseline = mem->nodeCount();
  Db kept = db;  // an old value still in use
  std::string keptPrint = describe(kept);
  db = commitChain(sd, db, 60, 3);
  sd.checkpoint(db);
  size_t churned = mem->nodeCount();
  CHECK(churned > baseline + 20);

  const Db* liveWithOld[] = {&db, &kept};
  size_t removed = sd.gc(liveWithOld);
  CHECK(removed > 0);
  CHECK(describe(kept) == keptPrint);  // still readable: its nodes were kept
  size_t afterFirst = mem->nodeCount();

  const Db* liveNow[] = {&db};
  CHECK(sd.gc(liveNow) > 0);
  CHECK(mem->nodeCount() < afterFirst);
  CHECK(mem->nodeCount() <= baseline + baseline / 4);
  CHECK(describe(reopen(mem, options)) == describe(db));
}

TEST_CASE("store: a tree stored in one store and committed to another is copied whole", "[store]") {
  auto a = std::make_shared<MemoryStore>();
  auto b = std::make_shared<MemoryStore>();
  Db db = bigDb(3000);
  StoredDatabase sa(a);
  sa.checkpoint(db);
  Db fromA = *StoredDatabase(a).open();  // lazily loaded from a
  StoredDatabase sb(b);
  sb.checkpoint(fromA);
  CHECK(describe(reopen(b)) == describe(db));
}

namespace {

// A store whose next sync can be made to fail the hard way: everything
// written since the last good sync is lost (the crash image), as when a
// disk or a browser drops a batch it could not commit.
class LossyStore : public Store {
 public:
  std::shared_ptr<MemoryStore> inner = std::make_shared<MemoryStore>();
  bool failNextSync = false;

  std::optional<std::string> get(const NodeAddress& addr) override { return inner->get(addr); }
  void put(const NodeAddress& addr, std::string_view bytes) override { inner->put(addr, bytes); }
  void del(std::span<const NodeAddress> addrs) override { inner->del(addrs); }
  std::vector<NodeAddress> list() override { return inner->list(); }
  std::optional<std::string> readRoot() override { return inner->readRoot(); }
  void writeRoot(std::string_view bytes) override { inner->writeRoot(bytes); }
  void sync() override {
    if (failNextSync) {
      failNextSync = false;
      inner = inner->crashImage();
      raise(ErrorCode::StoreError, "sync failed (test)");
    }
    inner->sync();
  }
};

}  // namespace

// Commits one transaction per entity of [from, from + n): `attr` set to `value`.
Db commitEach(StoredDatabase& sd, Db db, int from, int n, const std::string& attr, const std::string& value) {
  for (int e = from; e < from + n; ++e) {
    TxReport r = db.transact(tx("[[:db/add " + std::to_string(e) + " " + attr + " " + value + "]]"));
    sd.commit(r);
    db = r.dbAfter;
  }
  return db;
}

TEST_CASE("store: revert undoes commits whose sync failed, even when a checkpoint among them lost its nodes",
          "[store][crash]") {
  auto lossy = std::make_shared<LossyStore>();
  StorageOptions options;
  options.tailMaxTxs = 3;
  StoredDatabase sd(lossy, options);
  std::string many = "[";
  for (int e = 1000; e < 4000; ++e)
    many += "{:db/id " + std::to_string(e) + " :person/name \"p" + std::to_string(e) + "\" :person/age " + std::to_string(e % 90) + "}";
  Db db0 = richDb().with(tx(many + "]"));
  REQUIRE(db0.currentTree(IndexOrder::EAVT).height() >= 2);
  sd.checkpoint(db0);
  sd.sync();
  // Two tail commits at the end of every index, synced: dbA's trees hold
  // new leaves no checkpoint wrote yet.
  Db dbA = commitEach(sd, db0, 3990, 2, ":person/age", "500");
  sd.sync();
  // Two more at the start; the second checkpoints, writing (and marking
  // stored) dbA's new leaves, which it shares; then the sync fails and
  // loses all of that.
  Db dbB = commitEach(sd, dbA, 1000, 2, ":person/name", "\"renamed\"");
  CHECK(sd.stats().checkpoints == 2);
  lossy->failNextSync = true;
  CHECK_THROWS_AS(sd.sync(), DataliteError);

  sd.revert(dbA);
  CHECK(fingerprint(reopen(lossy->inner, options)) == fingerprint(dbA));  // the root is dbA's again
  // Work goes on from dbA in the middle of the indexes, through more
  // checkpoints that still share dbA's new leaves: they must be in the store.
  Db dbC = commitEach(sd, dbA, 2000, 7, ":person/name", "\"middle\"");
  sd.sync();
  Db back = reopen(lossy->inner->crashImage(), options);
  for (int i = 0; i < kIndexCount; ++i) back.currentTree(static_cast<IndexOrder>(i)).checkInvariants();
  CHECK(fingerprint(back) == fingerprint(dbC));
  CHECK(fingerprint(back) != fingerprint(dbB));
}

TEST_CASE("store: revert of tail commits writes one root record; reverting to the current root writes nothing",
          "[store]") {
  auto mem = std::make_shared<MemoryStore>();
  StoredDatabase sd(mem);
  Db db0 = richDb();
  sd.checkpoint(db0);
  sd.sync();
  Db db1 = commitChain(sd, db0, 3, 11);
  CHECK(sd.revert(db1).bytesWritten == 0);
  mem->resetCounters();
  CommitInfo info = sd.revert(db0);
  CHECK(info.nodesWritten == 0);
  CHECK(mem->counters().rootWrites == 1);
  CHECK(mem->counters().puts == 0);
  sd.sync();
  CHECK(fingerprint(reopen(mem->crashImage())) == fingerprint(db0));
  // A schema change undone: the next commit must store the schema again.
  TxReport r = db0.transact(tx("[{:db/ident :person/nick :db/valueType :db.type/string :db/cardinality :db.cardinality/one}]"));
  sd.commit(r);
  sd.revert(db0);
  TxReport again = db0.transact(tx("[{:db/ident :person/nick :db/valueType :db.type/string :db/cardinality :db.cardinality/one}"
                                    " {:db/id \"x\" :person/nick \"nick\"}]"));
  sd.commit(again);
  sd.sync();
  CHECK(fingerprint(reopen(mem->crashImage())) == fingerprint(again.dbAfter));
}

TEST_CASE("store: revert to a db older than the recent roots checkpoints it afresh", "[store]") {
  auto mem = std::make_shared<MemoryStore>();
  StoredDatabase sd(mem);
  Db db0 = richDb();
  sd.checkpoint(db0);
  sd.sync();
  commitChain(sd, db0, 70, 12);  // more commits than the revert history keeps
  CommitInfo info = sd.revert(db0);
  CHECK(info.checkpoint);
  sd.sync();
  CHECK(fingerprint(reopen(mem->crashImage())) == fingerprint(db0));
  CHECK_THROWS_AS(sd.revert(db0.history()), DataliteError);
}
