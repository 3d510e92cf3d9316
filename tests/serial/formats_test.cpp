// All three formats agree with each other, and a timing run (hidden: run
// with `test_serial "[.perf]"`; it prints numbers and asserts nothing about
// time).
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>

#include "serial_test_util.h"

using namespace datalite;
using namespace datalite::testing;

TEST_CASE("formats: binary, JSON and EDN load the same db", "[serial]") {
  for (const Db& db : {richDb(), bigDb(200), Db::empty(read(kRichSchema)), Db()}) {
    std::string expected = describe(db);
    Db viaBinary = serial::deserializeDb(serial::serializeDb(db));
    Db viaJson = serial::fromSerializableJson(serial::toSerializableJson(db));
    Db viaEdn = serial::fromEdnDump(serial::toEdnDump(db));
    CHECK(describe(viaBinary) == expected);
    CHECK(describe(viaJson) == expected);
    CHECK(describe(viaEdn) == expected);
    // Chained conversions stay exact.
    Db chained = serial::fromEdnDump(serial::toEdnDump(serial::fromSerializableJson(
        serial::toSerializableJson(serial::deserializeDb(serial::serializeDb(db))))));
    CHECK(describe(chained) == expected);
  }
}

TEST_CASE("formats: a db after retractions keeps only its current state", "[serial]") {
  Db db = Db::empty(read("{:tags {:db/cardinality :db.cardinality/many}}"))
              .with(tx(R"([{:db/id 1 :name "a" :tags ["x" "y"]} {:db/id 2 :name "b"}])"))
              .with(tx("[[:db/retract 1 :tags \"x\"] [:db/retractEntity 2] [:db/add 1 :name \"a2\"]]"));
  for (const Db& back : {serial::deserializeDb(serial::serializeDb(db)),
                         serial::fromSerializableJson(serial::toSerializableJson(db)),
                         serial::fromEdnDump(serial::toEdnDump(db))}) {
    CHECK(datomLines(back, IndexOrder::EAVT) == datomLines(db, IndexOrder::EAVT));
    CHECK(back.maxEid() == 2);  // entity 2 is gone but its id stays used
    CHECK(back.maxTx() == db.maxTx());
    // No history: the retracted values are not reachable.
    CHECK(back.history().count() == back.count());
    CHECK(runQuery(back.asOf(kTx0 + 1), "[:find ?n . :where [1 :name ?n]]") == "nil");
    CHECK(runQuery(db.asOf(kTx0 + 1), "[:find ?n . :where [1 :name ?n]]") == "\"a\"");
    // New entities do not reuse entity 2.
    TxReport r = back.transact(tx("[{:db/id \"n\" :name \"c\"}]"));
    CHECK(runQuery(r.dbAfter, "[:find ?e . :where [?e :name \"c\"]]") == "3");
  }
}

TEST_CASE("formats: timing of 200k datoms", "[.perf][serial]") {
  Db db = bigDb(40'000);  // ~200k datoms (5 per entity, plus tx datoms)
  auto time = [](const char* what, auto&& f) {
    auto start = std::chrono::steady_clock::now();
    auto result = f();
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    std::printf("%-28s %8.1f ms\n", what, ms);
    return result;
  };
  std::printf("datoms: %llu\n", static_cast<unsigned long long>(db.count()));
  std::string bytes;
  for (int i = 0; i < 3; ++i) bytes = time("serializeDb", [&] { return serial::serializeDb(db); });
  std::printf("binary size: %zu bytes (%.1f per datom)\n", bytes.size(), double(bytes.size()) / double(db.count()));
  for (int i = 0; i < 2; ++i) time("deserializeDb", [&] { return serial::deserializeDb(bytes); });
  std::string js = time("toSerializableJson", [&] { return serial::toSerializableJson(db); });
  std::printf("json size: %zu bytes\n", js.size());
  time("fromSerializableJson", [&] { return serial::fromSerializableJson(js); });
  std::string text = time("toEdnDump", [&] { return serial::toEdnDump(db); });
  std::printf("edn size: %zu bytes\n", text.size());
  time("fromEdnDump", [&] { return serial::fromEdnDump(text); });
  CHECK(bytes.size() > 0);
}
