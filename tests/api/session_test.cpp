// The JS boundary, natively: requests built with WireWriter go through
// Session::call exactly as js/ sends them, responses are read back with
// WireReader.
#include <catch2/catch.hpp>

#include <random>

#include "api/session.h"
#include "api/wire.h"
#include "edn/edn.h"
#include "store/store.h"
#include "test_support.h"

using namespace datalite;
using namespace datalite::api;
using datalite::testing::read;

namespace {

struct Response {
  bool ok = false;
  std::string code, message;
  std::string payload;
};

Response call(Session& s, Op op, const std::string& request) {
  std::string_view raw = s.call(static_cast<uint32_t>(op), request);
  REQUIRE(raw.size() >= 5);
  uint32_t len = 0;
  for (int i = 3; i >= 0; --i) len = (len << 8) | static_cast<uint8_t>(raw[i]);
  REQUIRE(len == raw.size() - 4);
  Response r;
  r.ok = raw[4] == 0;
  r.payload = std::string(raw.substr(5));
  if (!r.ok) {
    WireReader in(r.payload);
    r.code = std::string(in.text());
    r.message = std::string(in.text());
  }
  return r;
}

std::string request(const std::function<void(WireWriter&)>& fill) {
  std::string out;
  WireWriter w(out);
  fill(w);
  w.finish();
  return out;
}

uint32_t okDb(const Response& r) {
  INFO(r.code << ": " << r.message);
  REQUIRE(r.ok);
  WireReader in(r.payload);
  return static_cast<uint32_t>(in.varint());
}

Value okValue(const Response& r) {
  INFO(r.code << ": " << r.message);
  REQUIRE(r.ok);
  WireReader in(r.payload);
  Value v = in.value();
  in.expectEnd();
  return v;
}

uint32_t emptyDb(Session& s, const char* schemaEdn) {
  return okDb(call(s, Op::EmptyDb, request([&](WireWriter& w) {
    w.value(Value::string(schemaEdn));
    w.byte(1);
  })));
}

Response transact(Session& s, uint32_t db, const char* txEdn) {
  return call(s, Op::Transact, request([&](WireWriter& w) {
    w.varint(db);
    w.value(Value::string(txEdn));
    w.value(Value());
    w.signedVarint(-1);
  }));
}

Value runQuery(Session& s, const char* q, std::vector<uint32_t> dbs, std::vector<Value> inputs = {}) {
  return okValue(call(s, Op::Query, request([&](WireWriter& w) {
    w.value(Value::string(q));
    w.varint(dbs.size() + inputs.size());
    for (uint32_t db : dbs) {
      w.byte(0);
      w.varint(db);
    }
    for (const Value& v : inputs) {
      w.byte(1);
      w.value(v);
    }
  })));
}

}  // namespace

TEST_CASE("wire: values round-trip through writer and reader") {
  Value v = read(R"([nil true false 0 -1 42 9007199254740993 -4503599627370496 1.5 "héllo" :a/b :a/b sym
                    #uuid "6ba7b810-9dad-11d1-80b4-00c04fd430c8" #inst "2020-01-02T03:04:05.006Z" \x
                    {:k [1 2]} #{1 2} (1 2) #my/tag [1] 12N])");
  std::string buf;
  WireWriter w(buf);
  w.value(v);
  w.finish();
  WireReader r(buf);
  Value back = r.value();
  r.expectEnd();
  CHECK(edn::print(back) == edn::print(v));
}

TEST_CASE("wire: repeated keywords are written once") {
  std::string buf;
  WireWriter w(buf);
  w.value(read("[:person/name :person/name :person/name]"));
  w.finish();
  CHECK(buf.size() < 2 + 13 + 2 * 2 + 2);
}

TEST_CASE("wire: malformed input is an invalid-input error, never a crash") {
  std::mt19937 rng(7);
  std::string valid;
  WireWriter w(valid);
  w.value(read(R"([{:a "x" :b #{1 2}} (1 2.5 "s") #uuid "6ba7b810-9dad-11d1-80b4-00c04fd430c8"])"));
  w.finish();
  for (int i = 0; i < 5000; ++i) {
    std::string bad = valid;
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < edits; ++k) bad[rng() % bad.size()] = static_cast<char>(rng());
    if (rng() % 3 == 0) bad.resize(rng() % bad.size());
    try {
      WireReader r(bad);
      r.value();
    } catch (const DataliteError& e) {
      CHECK((e.code() == ErrorCode::InvalidInput || e.code() == ErrorCode::LimitExceeded));
    }
  }
}

TEST_CASE("wire: duplicate map keys and deep nesting are rejected") {
  std::string dup;
  WireWriter w(dup);
  w.tag(WireTag::Map);
  w.varint(2);
  for (int i = 0; i < 2; ++i) {
    w.value(Value::keyword("a"));
    w.value(Value::integer(i));
  }
  w.finish();
  CHECK(datalite::testing::catchError([&] { WireReader(dup).value(); }).code == "invalid-input");
  std::string deep(100000, static_cast<char>(WireTag::Vector));
  for (size_t i = 1; i < deep.size(); i += 2) deep[i] = 1;
  CHECK(datalite::testing::catchError([&] { WireReader(deep).value(); }).code == "limit-exceeded");
}

TEST_CASE("session: transact, query, pull and release through handles") {
  Session s;
  uint32_t db0 = emptyDb(s, "{:person/friend {:db/valueType :db.type/ref :db/cardinality :db.cardinality/many}}");
  Response tx = transact(s, db0, R"([{:db/id "a" :person/name "Ivan" :person/friend "b"}
                                     {:db/id "b" :person/name "Petr"}])");
  REQUIRE(tx.ok);
  WireReader in(tx.payload);
  uint32_t db1 = static_cast<uint32_t>(in.varint());
  in.varint();  // schema version
  int64_t txId = static_cast<int64_t>(in.varint());
  CHECK(txId > 0);
  uint64_t tempids = in.varint();
  CHECK(tempids == 3);  // "a", "b", :db/current-tx
  for (uint64_t i = 0; i < tempids; ++i) {
    in.value();
    in.varint();
  }
  uint64_t datoms = in.varint();
  CHECK(datoms == 4);  // 3 user datoms + :db/txInstant
  for (uint64_t i = 0; i < datoms; ++i) {
    REQUIRE(static_cast<WireTag>(in.byte()) == WireTag::Datom);
    in.varint();
    in.value();
    in.value();
    in.varint();
    in.byte();
  }
  in.expectEnd();

  Value names = runQuery(s, "[:find [?n ...] :where [_ :person/name ?n]]", {db1});
  CHECK(names.count() == 2);
  CHECK(runQuery(s, "[:find ?n . :in $ ?x :where [?e :person/name ?x] [?e :person/friend ?f] [?f :person/name ?n]]",
              {db1}, {Value::string("Ivan")}) == Value::string("Petr"));
  // :keys rows come back as maps with bare string keys
  Value rows = runQuery(s, "[:find ?n :keys name :where [_ :person/name ?n]]", {db1});
  REQUIRE(rows.count() == 2);
  CHECK(rows.at(0).get(Value::string("name")) != nullptr);

  Value pulled = okValue(call(s, Op::Pull, request([&](WireWriter& w) {
    w.varint(db1);
    w.value(Value::string("[:person/name {:person/friend [:person/name]}]"));
    w.value(Value::integer(1));
  })));
  CHECK(edn::print(pulled) == R"({:person/name "Ivan", :person/friend [{:person/name "Petr"}]})");

  CHECK(s.liveDbs() == 2);
  call(s, Op::Release, request([&](WireWriter& w) { w.varint(db0); }));
  CHECK(s.liveDbs() == 1);
  Response stale = call(s, Op::Info, request([&](WireWriter& w) { w.varint(db0); }));
  CHECK_FALSE(stale.ok);
  CHECK(stale.code == "invalid-input");
}

TEST_CASE("session: errors carry the engine's code and leave state alone") {
  Session s;
  uint32_t db = emptyDb(s, "{:email {:db/unique :db.unique/identity}}");
  Response bad = transact(s, db, "[[:db/add -1 :email]]");
  CHECK_FALSE(bad.ok);
  CHECK(bad.code == "invalid-input");
  Response parse = call(s, Op::Query, request([&](WireWriter& w) {
    w.value(Value::string("[:find ?e :where [?e"));
    w.varint(0);
  }));
  CHECK(parse.code == "parse-error");
  Response unknownOp = call(s, static_cast<Op>(999), "");
  CHECK(unknownOp.code == "invalid-input");
  CHECK(s.liveDbs() == 1);
}

TEST_CASE("session: seek cursors return datoms in chunks") {
  Session s;
  uint32_t db = emptyDb(s, "{}");
  std::string tx = "[";
  for (int i = 0; i < 100; ++i) tx += "{:n " + std::to_string(i) + "}";
  tx += "]";
  Response r = transact(s, db, tx.c_str());
  REQUIRE(r.ok);
  uint32_t db1 = static_cast<uint32_t>(WireReader(r.payload).varint());
  Response open = call(s, Op::SeekOpen, request([&](WireWriter& w) {
    w.varint(db1);
    w.value(Value::keyword("aevt"));
    w.value(read("[:n]"));
    w.varint(10);  // first chunk
  }));
  REQUIRE(open.ok);
  WireReader opened(open.payload);
  uint32_t cursor = static_cast<uint32_t>(opened.varint());
  REQUIRE(cursor != 0);
  uint64_t total = opened.varint();
  CHECK(total == 10);
  for (;;) {
    Response next = call(s, Op::SeekNext, request([&](WireWriter& w) {
      w.varint(cursor);
      w.varint(30);
    }));
    REQUIRE(next.ok);
    uint64_t n = WireReader(next.payload).varint();
    total += n;
    if (n < 30) break;
  }
  CHECK(total >= 100);  // :n datoms, then whatever follows in AEVT (tx instants)
  call(s, Op::SeekClose, request([&](WireWriter& w) { w.varint(cursor); }));
  Response closed = call(s, Op::SeekNext, request([&](WireWriter& w) {
    w.varint(cursor);
    w.varint(1);
  }));
  CHECK_FALSE(closed.ok);

  // A seek that ends within the first chunk leaves no cursor behind.
  Response all = call(s, Op::SeekOpen, request([&](WireWriter& w) {
    w.varint(db1);
    w.value(Value::keyword("eavt"));
    w.value(read("[1 :n]"));
    w.varint(1000);
  }));
  REQUIRE(all.ok);
  WireReader allIn(all.payload);
  CHECK(allIn.varint() == 0);
  CHECK(allIn.varint() > 0);
}

TEST_CASE("session: random requests to every op never crash") {
  Session s;
  uint32_t db = emptyDb(s, "{:r {:db/valueType :db.type/ref}}");
  REQUIRE(transact(s, db, "[{:db/id 1 :r 2 :name \"x\"}]").ok);
  std::mt19937 rng(11);
  for (int i = 0; i < 20000; ++i) {
    std::string req;
    size_t n = rng() % 24;
    for (size_t k = 0; k < n; ++k) req.push_back(static_cast<char>(rng() % 4 == 0 ? rng() % 4 : rng()));
    uint32_t op = 1 + rng() % 32;
    if (op == static_cast<uint32_t>(Op::Release)) continue;  // would free the db under test
    std::string_view raw = s.call(op, req);
    REQUIRE(raw.size() >= 5);
  }
}

// ---- stored databases through the session ------------------------------------

namespace {

struct Opened {
  uint32_t storage = 0, db = 0;
  bool created = false;
};

Opened storeOpen(Session& s, std::shared_ptr<store::Store> st, const char* schemaEdn) {
  uint32_t id = s.attachStore(std::move(st));
  Response r = call(s, Op::StoreOpen, request([&](WireWriter& w) {
    w.varint(id);
    w.varint(1 << 20);
    w.varint(0);
    w.value(Value::string(schemaEdn));
    w.byte(1);
  }));
  INFO(r.code << ": " << r.message);
  REQUIRE(r.ok);
  WireReader in(r.payload);
  Opened o;
  o.storage = static_cast<uint32_t>(in.varint());
  o.db = static_cast<uint32_t>(in.varint());
  in.varint();  // schema version
  o.created = in.byte() == 1;
  return o;
}

uint32_t storeTransact(Session& s, const Opened& o, uint32_t db, const char* txEdn) {
  Response r = call(s, Op::StoreTransact, request([&](WireWriter& w) {
    w.varint(o.storage);
    w.varint(db);
    w.value(Value::string(txEdn));
    w.value(Value());
    w.signedVarint(-1);
  }));
  return okDb(r);
}

Value runQuery(Session& s, uint32_t db, const char* q) {
  return okValue(call(s, Op::Query, request([&](WireWriter& w) {
    w.value(Value::string(q));
    w.varint(1);
    w.byte(0);
    w.varint(db);
  })));
}

}  // namespace

TEST_CASE("session: a stored database commits, syncs, reopens and collects garbage") {
  auto mem = std::make_shared<store::MemoryStore>();
  {
    Session s;
    Opened o = storeOpen(s, mem, "{:p/email {:db/unique :db.unique/identity}}");
    CHECK(o.created);
    uint32_t db = o.db;
    for (int i = 0; i < 30; ++i) {
      std::string tx = "[{:p/email \"p" + std::to_string(i % 10) + "\" :p/n " + std::to_string(i) + "}]";
      db = storeTransact(s, o, db, tx.c_str());
    }
    REQUIRE(call(s, Op::StoreSync, request([&](WireWriter& w) { w.varint(o.storage); })).ok);
    Response gc = call(s, Op::StoreGc, request([&](WireWriter& w) { w.varint(o.storage); }));
    REQUIRE(gc.ok);
    Response stats = call(s, Op::StoreStats, request([&](WireWriter& w) { w.varint(o.storage); }));
    REQUIRE(stats.ok);
    WireReader in(stats.payload);
    CHECK(in.varint() == 31);  // commits: the initial checkpoint + 30
    REQUIRE(call(s, Op::StoreClose, request([&](WireWriter& w) { w.varint(o.storage); })).ok);
    // A closed storage refuses writes with `closed`.
    Response after = call(s, Op::StoreSync, request([&](WireWriter& w) { w.varint(o.storage); }));
    CHECK(after.code == "closed");
  }
  Session s2;
  Opened o2 = storeOpen(s2, mem, "{}");
  CHECK_FALSE(o2.created);
  CHECK(runQuery(s2, o2.db, "[:find (count ?e) . :where [?e :p/email]]") == Value::integer(10));
  CHECK(runQuery(s2, o2.db, "[:find ?n . :where [?e :p/email \"p3\"] [?e :p/n ?n]]") == Value::integer(23));
}

TEST_CASE("session: random requests to the store ops never crash") {
  Session s;
  Opened o = storeOpen(s, std::make_shared<store::MemoryStore>(), "{}");
  storeTransact(s, o, o.db, "[{:a 1}]");
  std::mt19937 rng(12);
  for (int i = 0; i < 5000; ++i) {
    std::string req;
    size_t n = rng() % 24;
    if (rng() % 2) req.push_back(static_cast<char>(o.storage));
    for (size_t k = 0; k < n; ++k) req.push_back(static_cast<char>(rng() % 4 == 0 ? rng() % 4 : rng()));
    uint32_t op = static_cast<uint32_t>(Op::StoreOpen) + rng() % 9;
    if (op == static_cast<uint32_t>(Op::StoreClose)) continue;
    std::string_view raw = s.call(op, req);
    REQUIRE(raw.size() >= 5);
  }
}

TEST_CASE("session: limits are set per session, refused when unsafe, and fail calls without changing state") {
  Session s;
  uint64_t ceiling = 0;
  s.setMemoryLimit = [&](uint64_t bytes) { return ceiling = bytes; };
  auto setLimits = [&](std::vector<uint64_t> fields) {
    return call(s, Op::SetLimits, request([&](WireWriter& w) {
      for (uint64_t f : fields) w.varint(f);
    }));
  };
  auto limitsOf = [](const Response& r) {
    WireReader in(r.payload);
    std::vector<uint64_t> out;
    for (int i = 0; i < 6; ++i) out.push_back(in.varint());
    in.expectEnd();
    return out;
  };
  Response now = setLimits({0, 0, 0, 0, 0, 0});
  REQUIRE(now.ok);
  CHECK(limitsOf(now) == std::vector<uint64_t>{0, 20'000'000, 100'000, 256, 1'000'000, 512u << 20});

  Response refused = setLimits({0, 5, 0, 1'000'000, 0, 0});  // pull depth past the stack's reach
  CHECK(refused.code == "invalid-input");
  CHECK(s.limits().maxQueryRows == 20'000'000);  // nothing of the refused call applied

  uint32_t db = emptyDb(s, "{}");
  std::string tx = "[";
  for (int i = 0; i < 50; ++i) tx += "{:n " + std::to_string(i) + "}";
  tx += "]";
  uint32_t filled = okDb(transact(s, db, tx.c_str()));
  Response set = setLimits({64u << 20, 0, 0, 0, 0, 200});
  INFO(set.code << ": " << set.message);
  REQUIRE(set.ok);
  CHECK(ceiling == (64u << 20));  // the host hook saw the ceiling
  CHECK(limitsOf(set)[0] == (64u << 20));
  CHECK(limitsOf(set)[5] == 200);

  auto query = [&] {
    return call(s, Op::Query, request([&](WireWriter& w) {
      w.value(Value::string("[:find ?e ?n :where [?e :n ?n]]"));
      w.varint(1);
      w.byte(0);
      w.varint(filled);
    }));
  };
  Response big = query();
  CHECK(big.code == "limit-exceeded");
  CHECK(s.liveDbs() == 2);
  CHECK(setLimits({0, 0, 0, 0, 0, 1u << 20}).ok);
  CHECK(query().ok);
}
