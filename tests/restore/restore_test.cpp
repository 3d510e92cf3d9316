// Current-state restore: random databases (refs, cycles, ref-only
// entities, components, card-many, composite and heterogeneous tuples,
// history with retractions) restored in both modes and with several
// parallelism settings; the destination's datoms must equal the source's
// current datoms after id mapping, with no history.
#include <catch2/catch.hpp>

#include <random>
#include <set>

#include "core/encoding.h"
#include "datalite.h"
#include "restore/restore.h"
#include "test_support.h"

using namespace datalite;
using namespace datalite::testing;

namespace {

constexpr const char* kSchema = R"({
  :n/name    {:db/unique :db.unique/identity}
  :n/next    {:db/valueType :db.type/ref}
  :n/links   {:db/valueType :db.type/ref :db/cardinality :db.cardinality/many}
  :n/part    {:db/valueType :db.type/ref :db/isComponent true}
  :n/tags    {:db/cardinality :db.cardinality/many}
  :n/score   {:db/valueType :db.type/double :db/index true}
  :n/pair    {:db/valueType :db.type/tuple :db/tupleTypes [:db.type/long :db.type/string]}
  :n/x       {}
  :n/y       {:db/valueType :db.type/ref}
  :n/x+y     {:db/valueType :db.type/tuple :db/tupleAttrs [:n/x :n/y]}
})";

// A random db: named entities with values, ref-only entities, cycles, and a
// history of updates and retractions.
Db randomDb(uint32_t seed, int entities) {
  std::mt19937 rng(seed);
  Db db = Db::empty(read(kSchema));
  TxOptions at;
  at.txInstantMs = 1'700'000'000'000;
  // Schema by :db/ident entities too, and an enum.
  db = db.with(tx(R"([{:db/ident :n/color :db/valueType :db.type/ref}
                      {:db/ident :color/red} {:db/ident :color/blue}])"), at);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint32_t>(n)); };
  std::vector<Value> t;
  for (int i = 1; i <= entities; ++i) {
    std::string e = std::to_string(1000 + i);
    switch (i % 5) {
      case 0:  // ref-only entity: only refs, some in cycles
        t.push_back(read("[:db/add " + e + " :n/next " + std::to_string(1000 + (i % entities) + 1) + "]"));
        t.push_back(read("[:db/add " + e + " :n/links " + std::to_string(1000 + 1 + pick(entities)) + "]"));
        break;
      default: {
        std::string m = "{:db/id " + e + " :n/name \"e" + e + "\" :n/score " + std::to_string(pick(1000) / 8.0) +
                        " :n/tags [\"a" + std::to_string(pick(4)) + "\" " + std::to_string(pick(9)) + "]" +
                        " :n/pair [" + std::to_string(pick(50)) + " \"p\"]";
        if (pick(2)) m += " :n/next " + std::to_string(1000 + 1 + pick(entities));
        if (pick(3) == 0) m += " :n/links [" + std::to_string(1000 + 1 + pick(entities)) + " " + e + "]";
        if (pick(4) == 0) m += " :n/part {:n/tags \"part\"}";
        if (pick(3) == 0) m += " :n/x " + std::to_string(pick(5)) + " :n/y " + std::to_string(1000 + 1 + pick(entities));
        if (pick(4) == 0) m += std::string(" :n/color ") + (pick(2) ? ":color/red" : ":color/blue");
        m += "}";
        t.push_back(read(m));
      }
    }
    if (t.size() >= 50) {
      db = db.with(t, at);
      t.clear();
    }
  }
  if (!t.empty()) db = db.with(t, at);
  // History: updates, retractions, retracted entities.
  for (int k = 0; k < entities / 4; ++k) {
    std::string e = std::to_string(1000 + 1 + pick(entities));
    switch (pick(3)) {
      case 0: db = db.with(tx("[[:db/add " + e + " :n/score 7.5]]"), at); break;
      case 1: db = db.with(tx("[[:db/retract " + e + " :n/next]]"), at); break;
      case 2: db = db.with(tx("[[:db/retractEntity " + e + "]]"), at); break;
    }
  }
  return db;
}

std::string mapValue(const Db& db, AttrId a, const Value& v, const std::vector<int64_t>& ids) {
  const Attribute& attr = db.schema().get(a);
  auto mapId = [&](const Value& x) {
    if (!x.isInteger()) return x;
    int64_t old = x.asLong();
    return Value::integer(old >= 0 && old < int64_t(ids.size()) && ids[size_t(old)] ? ids[size_t(old)] : -old);
  };
  if (attr.isRef()) return edn::print(mapId(v));
  if (attr.isComposite() || (attr.type == ValueType::Tuple && !attr.tupleTypes.empty())) {
    std::vector<Value> items = v.items();
    for (size_t i = 0; i < items.size(); ++i) {
      bool ref = attr.isComposite() ? db.schema().get(attr.tupleAttrs[i]).isRef()
                                    : attr.tupleTypes[i] == ValueType::Ref;
      if (ref) items[i] = mapId(items[i]);
    }
    return edn::print(Value::vector(std::move(items)));
  }
  return edn::print(v);
}

// The source's current data datoms, entity ids mapped.
std::multiset<std::string> mappedSource(const Db& db, const std::vector<int64_t>& ids) {
  std::multiset<std::string> out;
  for (const Datom& d : db.datoms(IndexOrder::EAVT)) {
    if (d.e >= kTx0 || d.a == attr::kTxInstant) continue;
    int64_t e = d.e < int64_t(ids.size()) ? ids[size_t(d.e)] : 0;
    out.insert(std::to_string(e) + " " + std::string(db.attrIdent(d.a).str()) + " " + mapValue(db, d.a, d.v, ids));
  }
  return out;
}

std::multiset<std::string> destDatoms(const Db& db) {
  std::multiset<std::string> out;
  for (const Datom& d : db.datoms(IndexOrder::EAVT)) {
    if (d.a == attr::kTxInstant) continue;
    out.insert(std::to_string(d.e) + " " + std::string(db.attrIdent(d.a).str()) + " " + edn::print(d.v));
  }
  return out;
}

std::string q(const Db& db, const std::string& text) {
  query::QueryArg args[] = {query::QueryArg::database(db)};
  Value r = query::q(read(text), args);
  if (r.isSet() || r.isVector()) {
    std::vector<Value> items = r.items();
    std::sort(items.begin(), items.end());
    return edn::print(Value::vector(std::move(items)));
  }
  return edn::print(r);
}

void checkRestored(const Db& source, const restore::Result& r) {
  REQUIRE(r.finalPendingCount == 0);
  CHECK(destDatoms(r.db) == mappedSource(source, r.oldToNew));
  // Every index agrees, and nothing but the current state was copied.
  size_t n = r.db.datoms(IndexOrder::EAVT).size();
  CHECK(r.db.datoms(IndexOrder::AEVT).size() == n);
  CHECK(r.db.datoms(IndexOrder::AVET).size() == n);
  CHECK(r.db.count() == n);
  CHECK(r.db.history().datoms(IndexOrder::EAVT).size() == n);  // no retractions kept
  for (int i = 0; i < kIndexCount; ++i) r.db.currentTree(static_cast<IndexOrder>(i)).checkInvariants();
  // Each index holds exactly appendKey's keys of the restored datoms (the
  // restore writes all four keys of a datom from parts encoded once).
  for (int i = 0; i < kIndexCount; ++i) {
    IndexOrder order = static_cast<IndexOrder>(i);
    std::vector<std::string> expected, actual;
    for (const Datom& d : r.db.datoms(IndexOrder::EAVT)) {
      if (order == IndexOrder::VAET && !r.db.schema().get(d.a).isRef()) continue;
      std::string k;
      appendKey(order, d.e, d.a, encodeValue(d.v), d.tx, k);
      expected.push_back(std::move(k));
    }
    std::sort(expected.begin(), expected.end());
    const index::BTree& tree = r.db.currentTree(order);
    for (auto it = tree.lowerBound(std::string_view()); it.valid(); it.next()) actual.emplace_back(it.key());
    INFO("index " << i);
    CHECK(actual == expected);
  }
  // Queries over values (ids differ) answer the same.
  for (const char* text : {
           "[:find ?n ?s :where [?e :n/name ?n] [?e :n/score ?s]]",
           "[:find ?n ?m :where [?e :n/name ?n] [?e :n/next ?f] [?f :n/name ?m]]",
           "[:find (count ?e) . :where [?e :n/next]]",
           "[:find (count ?l) . :where [_ :n/links ?l]]",
           "[:find ?n ?c :where [?e :n/name ?n] [?e :n/color ?k] [?k :db/ident ?c]]",
           "[:find ?x :where [_ :n/x+y ?t] [(untuple ?t) [?x _]]]",
           "[:find ?n ?t :where [?e :n/name ?n] [?e :n/part ?p] [?p :n/tags ?t]]",
           "[:find ?n :where [?e :n/name ?n] (not [?e :n/next])]",
       })
    CHECK(q(r.db, text) == q(source, text));
  // The schema, and its :db/ident entities, came along.
  CHECK(edn::print(r.db.schema().toMap()) == edn::print(source.schema().toMap()));
  CHECK(r.db.attribute(Keyword::intern("n/color"))->entity == r.oldToNew[size_t(source.attribute(Keyword::intern("n/color"))->entity)]);
}

}  // namespace

TEST_CASE("restore: random dbs, both modes, several parallelism settings", "[restore]") {
  for (uint32_t seed : {1u, 2u, 3u}) {
    Db source = randomDb(seed, 400 + 150 * static_cast<int>(seed));
    struct Setting {
      bool twoPass, threads;
      unsigned readers, workers;
      size_t batch, chunk;
    };
    for (Setting s : {Setting{false, false, 1, 1, 500, 5000}, Setting{true, false, 1, 1, 37, 100},
                      Setting{false, true, 1, 1, 500, 5000}, Setting{false, true, 2, 4, 64, 300},
                      Setting{true, true, 3, 2, 500, 128}, Setting{true, true, 1, 7, 11, 50}}) {
      INFO("seed " << seed << " twoPass " << s.twoPass << " threads " << s.threads << " readers " << s.readers
                   << " workers " << s.workers << " batch " << s.batch);
      restore::Options o;
      o.twoPass = s.twoPass;
      o.threads = s.threads;
      o.readParallelism = s.readers;
      o.txParallelism = s.workers;
      o.maxBatchSize = s.batch;
      o.readChunk = s.chunk;
      std::vector<restore::Metrics> progress;
      o.onProgress = [&](const restore::Metrics& m) { progress.push_back(m); };
      restore::Result r = restore::restore(source, o);
      checkRestored(source, r);
      REQUIRE_FALSE(progress.empty());
      CHECK(progress.back().datomsWritten == r.metrics.datomsWritten);
      CHECK(r.metrics.batches > 1);
      // Two-pass: only refs to ref-only entities can wait.
      if (s.twoPass) CHECK(r.metrics.batchEfficiency > 0.98);
      for (size_t i = 1; i < progress.size(); ++i) CHECK(progress[i].datomsWritten >= progress[i - 1].datomsWritten);
    }
  }
}

TEST_CASE("restore: cycles of ref-only entities and refs to entities without datoms", "[restore]") {
  Db db = Db::empty(read("{:r {:db/valueType :db.type/ref} :rs {:db/valueType :db.type/ref :db/cardinality :db.cardinality/many}}"));
  // 1 -> 2 -> 3 -> 1 (ref-only), 4 -> 99 (99 has no datoms), 5 refs itself.
  db = db.with(tx("[[:db/add 1 :r 2] [:db/add 2 :r 3] [:db/add 3 :r 1] [:db/add 4 :rs 99] [:db/add 4 :rs 1] [:db/add 5 :r 5]]"));
  for (bool twoPass : {false, true})
    for (bool threads : {false, true}) {
      restore::Options o;
      o.twoPass = twoPass;
      o.threads = threads;
      o.maxBatchSize = 1;
      restore::Result r = restore::restore(db, o);
      INFO("twoPass " << twoPass << " threads " << threads);
      CHECK(destDatoms(r.db) == mappedSource(db, r.oldToNew));
      CHECK(r.db.count() == 6 + r.metrics.batches);  // + one :db/txInstant per batch
      CHECK(r.oldToNew[99] != 0);
    }
}

TEST_CASE("restore: bad options and views are invalid-input", "[restore]") {
  Db db = randomDb(9, 30);
  restore::Options o;
  o.maxBatchSize = 0;
  CHECK(catchError([&] { restore::restore(db, o); }).code == "invalid-input");
  CHECK(catchError([&] { restore::restore(db.history()); }).code == "invalid-input");
  CHECK(catchError([&] { restore::restore(db.asOf(db.maxTx() - 1)); }).code == "invalid-input");
  restore::Result empty = restore::restore(Db());
  CHECK(empty.db.datoms(IndexOrder::EAVT).size() == empty.metrics.batches);
}

namespace {

// Refs declared before the values, so a single pass reads most refs before
// their targets have new ids: many refs wait in the pending index while the
// workers assign ids concurrently. `base` offsets the entity ids (>= 2^24:
// the id map's sparse, hashed form).
Db refsFirstDb(int entities, int64_t base, uint32_t seed) {
  Value schema = read(R"({:a/ref  {:db/valueType :db.type/ref}
                          :a/refs {:db/valueType :db.type/ref :db/cardinality :db.cardinality/many}
                          :a/name {}})");
  std::mt19937 rng(seed);
  Keyword ref = Keyword::intern("a/ref"), refs = Keyword::intern("a/refs"), name = Keyword::intern("a/name");
  std::vector<Db::InitDatom> datoms;
  for (int i = 0; i < entities; ++i) {
    int64_t e = base + i;
    datoms.push_back({e, ref, Value::integer(base + int64_t(rng() % uint32_t(entities)))});
    for (int k = 0; k < 2; ++k) datoms.push_back({e, refs, Value::integer(base + int64_t(rng() % uint32_t(entities)))});
    if (i % 7 != 0) datoms.push_back({e, name, Value::string("n" + std::to_string(i))});  // some ref-only entities
  }
  // Refs to entities with no datoms of their own.
  for (int i = 0; i < 20; ++i) datoms.push_back({base + i, refs, Value::integer(base + entities + 5 + i)});
  return Db::init(std::move(datoms), schema);
}

}  // namespace

TEST_CASE("restore: many waiting refs, dense and sparse ids, threads racing on the pending index", "[restore]") {
  for (int64_t base : {int64_t{1}, int64_t{1} << 24}) {
    Db source = refsFirstDb(3000, base, 7);
    struct Setting {
      unsigned readers, workers;
      size_t chunk;
    };
    for (int round = 0; round < (base == 1 ? 4 : 1); ++round)  // (a sparse oldToNew table is large)
      for (Setting s : {Setting{1, 1, 64}, Setting{1, 4, 32}, Setting{3, 2, 16}, Setting{2, 8, 100}}) {
        INFO("base " << base << " round " << round << " readers " << s.readers << " workers " << s.workers);
        restore::Options o;
        o.readParallelism = s.readers;
        o.txParallelism = s.workers;
        o.readChunk = s.chunk;
        o.maxBatchSize = 97;
        uint64_t maxPending = 0;
        o.onProgress = [&](const restore::Metrics& m) { maxPending = std::max(maxPending, m.pendingCount); };
        o.progressEveryBatches = 1;
        restore::Result r = restore::restore(source, o);
        REQUIRE(r.finalPendingCount == 0);
        CHECK(r.metrics.pendingCount == 0);
        CHECK(destDatoms(r.db) == mappedSource(source, r.oldToNew));
        CHECK(r.metrics.datomsWritten == mappedSource(source, r.oldToNew).size());
        if (s.workers == 1) CHECK(maxPending > 0);
      }
  }
}

TEST_CASE("restore: a throwing progress callback stops the pipeline and reaches the caller", "[restore]") {
  Db source = refsFirstDb(4000, 1, 3);
  for (bool threads : {false, true})
    for (unsigned workers : {1u, 3u})
      for (unsigned at : {1u, 5u}) {
        INFO("threads " << threads << " workers " << workers << " at " << at);
        restore::Options o;
        o.threads = threads;
        o.readParallelism = 2;
        o.txParallelism = workers;
        o.readChunk = 50;
        o.maxBatchSize = 20;
        o.progressEveryBatches = 1;
        unsigned calls = 0;
        o.onProgress = [&](const restore::Metrics&) {
          if (++calls == at) raise(ErrorCode::InvalidInput, "stop here");
        };
        Caught c = catchError([&] { restore::restore(source, o); });
        CHECK(c.code == "invalid-input");
        CHECK(calls == at);
        // The same options without the throw still restore everything.
        o.onProgress = nullptr;
        restore::Result r = restore::restore(source, o);
        CHECK(destDatoms(r.db) == mappedSource(source, r.oldToNew));
      }
}
