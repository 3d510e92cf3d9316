// Concurrency stress: one writer thread transacts "bank transfers" through a
// Connection while reader threads take db() snapshots, hold old ones and
// check invariants on every read, through every read path (datoms over
// EAVT/AEVT/AVET, a cursor, q with aggregates, pull, entity, asOf/since/
// history views). Once over an in-memory Connection, once over a
// StoredDatabase (MemoryStore) opened lazily with a tiny node cache, where
// readers load stored nodes concurrently with the writer's commits and
// checkpoints, the writer evicts the cache at quiescent points while
// readers keep holding (and dropping) old snapshots, and every 16 transfers
// it reopens the store (the connection's value is lazily loaded again).
//
// Lives with the store tests because it needs the store, query and pull
// layers (test_store links them all).
//
// The invariants of a snapshot whose counter says T transfers happened:
//   - the 50 balances sum to 50 * 1000 (q sum/count with :with, AEVT, AVET,
//     EAVT per account, a cursor, pullMany);
//   - the balances and tags are exactly what the writer committed as
//     transfer T (a hash the writer publishes before each transaction);
//   - T == maxTx - the setup tx == the number of tx entities marked
//     :tx/transfer (q count) == entity/pull of the counter;
//   - the tag count entity equals the tags visible in AEVT, AVET and q;
//   - asOf(setup + T/2) is transfer T/2 (its own hash), since() shows the
//     other T - T/2 transfers, history holds T + 1 counter values;
//   - a snapshot read again later answers exactly as the first time, and a
//     reader never sees T go backwards.
// Readers collect violations as text; only the main thread asserts (Catch2
// is not thread safe).
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "datalite.h"
#include "test_support.h"

// The wasm32 build of the Catch2 suites (DATALITE_WASM_TESTS) has no
// threads: std::thread cannot start there, so these tests are native only.
#if !defined(__EMSCRIPTEN__) || defined(__EMSCRIPTEN_PTHREADS__)

using namespace datalite;
using namespace datalite::store;
using namespace datalite::testing;

namespace {

constexpr int kAccounts = 50;
constexpr int64_t kInitial = 1000;
constexpr int64_t kTotal = kAccounts * kInitial;
constexpr int64_t kCounter = 100;  // the counter entity
constexpr int kReaders = 4;
constexpr int kMaxTransfers = 1500;
constexpr int kMinTransfers = 100;  // a slow (sanitizer) build takes longer rather than testing less
constexpr auto kWriterBudget = std::chrono::milliseconds(1200);  // per variant

const char* kSchema = R"({:acct/id       {:db/valueType :db.type/long :db/unique :db.unique/identity}
  :acct/balance  {:db/valueType :db.type/long}
  :acct/tags     {:db/cardinality :db.cardinality/many}
  :meta/transfers {:db/valueType :db.type/long}
  :meta/tags     {:db/valueType :db.type/long}
  :tx/transfer   {:db/valueType :db.type/long}})";

uint64_t fnv(uint64_t h, std::string_view s) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h ^ 0xff;  // field separator
}

// The state of the accounts as one hash: balances and tags per account.
struct Accounts {
  int64_t balance[kAccounts] = {};
  std::set<std::string> tags[kAccounts];
  uint64_t hash() const {
    uint64_t h = 14695981039346656037ull;
    for (int i = 0; i < kAccounts; ++i) {
      h = fnv(h, std::to_string(balance[i]));
      for (const std::string& t : tags[i]) h = fnv(h, t);
      h = fnv(h, "|");
    }
    return h;
  }
};

// What the writer committed as transfer T (T = 0: the setup), published
// before the transaction so that a reader can never see an unpublished T.
class Expected {
 public:
  void publish(int64_t t, uint64_t hash) {
    std::lock_guard<std::mutex> lock(mu_);
    hashes_[t] = hash;
  }
  bool lookup(int64_t t, uint64_t& hash) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = hashes_.find(t);
    if (it == hashes_.end()) return false;
    hash = it->second;
    return true;
  }

 private:
  mutable std::mutex mu_;
  std::map<int64_t, uint64_t> hashes_;
};

// Readers pass through the gate for every read; the writer closes it to
// evict the node cache (NodeCache::evict needs a moment when no thread
// traverses a tree). Holding and dropping Db values needs no gate.
class Gate {
 public:
  void enter() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return !closing_; });
    ++active_;
  }
  void leave() {
    std::lock_guard<std::mutex> lock(mu_);
    if (--active_ == 0) cv_.notify_all();
  }
  template <class F>
  void exclusive(F&& f) {
    std::unique_lock<std::mutex> lock(mu_);
    closing_ = true;
    cv_.wait(lock, [&] { return active_ == 0; });
    f();
    closing_ = false;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int active_ = 0;
  bool closing_ = false;
};

struct Shared {
  Connection* conn = nullptr;
  int64_t baseTx = 0;  // the setup transaction
  Expected expected;
  Gate gate;
  std::atomic<bool> writerDone{false};
  std::mutex mu;
  std::vector<std::string> violations;
  void violation(std::string what) {
    std::lock_guard<std::mutex> lock(mu);
    if (violations.size() < 20) violations.push_back(std::move(what));
  }
};

Value kw(std::string_view k) { return Value::keyword(k); }

using query::QueryArg;

Value q1(const Db& db, const Value& form) {
  QueryArg args[] = {QueryArg::database(db)};
  return query::q(form, args);
}

// The parsed forms each reader uses (parsed once per thread).
struct Forms {
  Value counter = read("[:find ?n . :where [100 :meta/transfers ?n]]");
  Value tagCounter = read("[:find ?n . :where [100 :meta/tags ?n]]");
  Value sumCount = read("[:find (sum ?b) (count ?e) :with ?e :where [?e :acct/balance ?b]]");
  Value transfers = read("[:find (count ?t) . :where [?t :tx/transfer]]");
  Value tagCount = read("[:find (count ?v) . :with ?e :where [?e :acct/tags ?v]]");
  Value historyCount = read("[:find (count ?v) . :where [100 :meta/transfers ?v _ true]]");
  Value pullAccount = read("[:acct/id :acct/balance :acct/tags]");
  Value pullCounter = read("[:meta/transfers :meta/tags]");
};

// What one read of a snapshot saw; equal for every read of the same value.
struct Seen {
  int64_t t = -1;
  uint64_t hash = 0;
  int64_t tags = 0;
  int64_t historyValues = 0;
  bool operator==(const Seen&) const = default;
};

class Checker {
 public:
  explicit Checker(Shared& s) : s_(s) {}

  // Checks every invariant of `db` (a current view); "" when all hold.
  std::string check(const Db& db, Seen& seen) {
    std::string err;
    auto fail = [&](const std::string& what) {
      if (err.empty()) err = what;
    };
    // The counter, four ways.
    Value tv = q1(db, f_.counter);
    if (!tv.isInteger()) return "counter missing: " + edn::print(tv);
    int64_t t = tv.asLong();
    seen.t = t;
    if (db.maxTx() - s_.baseTx != t) fail("maxTx " + std::to_string(db.maxTx() - s_.baseTx) + " != counter " + std::to_string(t));
    Value txs = q1(db, f_.transfers);
    if ((t == 0 ? !txs.isNil() && txs.asLong() != 0 : !txs.isInteger() || txs.asLong() != t))
      fail("transfer txs " + edn::print(txs) + " != counter " + std::to_string(t));
    pull::Entity counter = pull::Entity::of(db, kCounter);
    if (counter.get("meta/transfers").asLong() != t) fail("entity counter " + edn::print(counter.get("meta/transfers")));
    Value pc = pull::pull(db, f_.pullCounter, Value::integer(kCounter));
    const Value* pcv = pc.isMap() ? pc.getKeyword("meta/transfers") : nullptr;
    if (!pcv || pcv->asLong() != t) fail("pulled counter " + edn::print(pc));

    // Balances: q aggregates.
    Value sc = q1(db, f_.sumCount);
    if (!sc.isSet() || sc.count() != 1 || sc.items()[0].at(0).asLong() != kTotal ||
        sc.items()[0].at(1).asLong() != kAccounts)
      fail("q sum/count " + edn::print(sc));

    // AEVT: balances and tags, the basis of the hash.
    Accounts acc;
    int64_t sum = 0;
    Value aBalance[] = {kw("acct/balance")};
    std::vector<Datom> aevt = db.datoms(IndexOrder::AEVT, aBalance);
    if (aevt.size() != kAccounts) fail("AEVT balances: " + std::to_string(aevt.size()));
    for (const Datom& d : aevt) {
      if (d.e < 1 || d.e > kAccounts) {
        fail("AEVT balance of entity " + std::to_string(d.e));
        continue;
      }
      acc.balance[d.e - 1] = d.v.asLong();
      sum += d.v.asLong();
    }
    if (sum != kTotal) fail("AEVT sum " + std::to_string(sum));
    Value aTags[] = {kw("acct/tags")};
    std::vector<Datom> tagDatoms = db.datoms(IndexOrder::AEVT, aTags);
    for (const Datom& d : tagDatoms)
      if (d.e >= 1 && d.e <= kAccounts) acc.tags[d.e - 1].insert(std::string(d.v.asString()));
    seen.hash = acc.hash();
    seen.tags = static_cast<int64_t>(tagDatoms.size());
    uint64_t want = 0;
    if (!s_.expected.lookup(t, want)) fail("counter " + std::to_string(t) + " was never published by the writer");
    else if (want != seen.hash) fail("state of counter " + std::to_string(t) + " differs from what the writer committed");

    // AVET: the same balances, ordered by value.
    std::vector<Datom> avet = db.datoms(IndexOrder::AVET, aBalance);
    int64_t avetSum = 0, prev = INT64_MIN;
    for (const Datom& d : avet) {
      avetSum += d.v.asLong();
      if (d.v.asLong() < prev) fail("AVET out of order");
      prev = d.v.asLong();
      if (d.e >= 1 && d.e <= kAccounts && acc.balance[d.e - 1] != d.v.asLong()) fail("AVET disagrees with AEVT");
    }
    if (avet.size() != kAccounts || avetSum != kTotal) fail("AVET balances " + std::to_string(avet.size()) + " sum " + std::to_string(avetSum));
    if (db.datoms(IndexOrder::AVET, aTags).size() != tagDatoms.size()) fail("AVET tags differ from AEVT");

    // EAVT per account, and a cursor over AEVT.
    int64_t eavtSum = 0;
    for (int e = 1; e <= kAccounts; ++e) {
      Value comps[] = {Value::integer(e), kw("acct/balance")};
      std::vector<Datom> ds = db.datoms(IndexOrder::EAVT, comps);
      if (ds.size() != 1) {
        fail("EAVT balance datoms of " + std::to_string(e) + ": " + std::to_string(ds.size()));
        continue;
      }
      eavtSum += ds[0].v.asLong();
    }
    if (eavtSum != kTotal) fail("EAVT sum " + std::to_string(eavtSum));
    int64_t cursorSum = 0;
    for (Db::Cursor c = db.datomsCursor(IndexOrder::AEVT, aBalance); c.valid(); c.next()) cursorSum += c.datom().v.asLong();
    if (cursorSum != kTotal) fail("cursor sum " + std::to_string(cursorSum));

    // Tags: the counter entity, q, the index.
    Value tc = q1(db, f_.tagCounter);
    Value tq = q1(db, f_.tagCount);
    int64_t tagsQ = tq.isNil() ? 0 : tq.asLong();
    if (!tc.isInteger() || tc.asLong() != seen.tags || tagsQ != seen.tags)
      fail("tags: counter " + edn::print(tc) + ", q " + std::to_string(tagsQ) + ", AEVT " + std::to_string(seen.tags));

    // pullMany over lookup refs, and entities.
    std::vector<Value> refs;
    for (int e = 1; e <= kAccounts; ++e) refs.push_back(Value::vector({kw("acct/id"), Value::integer(e)}));
    int64_t pullSum = 0, pullTags = 0;
    for (const Value& m : pull::pullMany(db, f_.pullAccount, refs)) {
      const Value* b = m.isMap() ? m.getKeyword("acct/balance") : nullptr;
      if (!b) {
        fail("pull without balance: " + edn::print(m));
        continue;
      }
      pullSum += b->asLong();
      if (const Value* tg = m.getKeyword("acct/tags")) pullTags += static_cast<int64_t>(tg->count());
    }
    if (pullSum != kTotal || pullTags != seen.tags) fail("pullMany sum " + std::to_string(pullSum) + " tags " + std::to_string(pullTags));
    for (int e : {1 + static_cast<int>(t % kAccounts), kAccounts}) {
      Value b = pull::Entity::of(db, e).get("acct/balance");
      if (!b.isInteger() || b.asLong() != acc.balance[e - 1]) fail("entity balance of " + std::to_string(e));
    }

    // Views: asOf the middle transfer, since it, the counter's history.
    int64_t half = t / 2;
    Db asOf = db.asOf(s_.baseTx + half);
    Value ah = q1(asOf, f_.counter);
    if (!ah.isInteger() || ah.asLong() != half) fail("asOf counter " + edn::print(ah) + " != " + std::to_string(half));
    Value asc = q1(asOf, f_.sumCount);
    if (!asc.isSet() || asc.count() != 1 || asc.items()[0].at(0).asLong() != kTotal) fail("asOf sum " + edn::print(asc));
    Accounts old;
    for (const Datom& d : asOf.datoms(IndexOrder::AEVT, aBalance))
      if (d.e >= 1 && d.e <= kAccounts) old.balance[d.e - 1] = d.v.asLong();
    for (const Datom& d : asOf.datoms(IndexOrder::AEVT, aTags))
      if (d.e >= 1 && d.e <= kAccounts) old.tags[d.e - 1].insert(std::string(d.v.asString()));
    uint64_t wantOld = 0;
    if (!s_.expected.lookup(half, wantOld) || wantOld != old.hash()) fail("asOf state differs from transfer " + std::to_string(half));
    Value since = q1(db.since(s_.baseTx + half), f_.transfers);
    int64_t sinceN = since.isNil() ? 0 : since.asLong();
    if (sinceN != t - half) fail("since: " + std::to_string(sinceN) + " transfers, want " + std::to_string(t - half));
    Value hist = q1(db.history(), f_.historyCount);
    seen.historyValues = hist.isInteger() ? hist.asLong() : -1;
    if (seen.historyValues != t + 1) fail("history: " + edn::print(hist) + " counter values, want " + std::to_string(t + 1));
    return err;
  }

 private:
  Shared& s_;
  Forms f_;
};

struct ReaderStats {
  uint64_t reads = 0, rereads = 0, distinctT = 0, concurrentReads = 0;
  int64_t firstT = -1, lastT = -1;
};

void reader(Shared& s, int id, ReaderStats& stats) {
  Checker checker(s);
  std::mt19937 rng(1000 + id);
  struct Held {
    Db db;
    Seen seen;
  };
  std::vector<Held> held;
  int64_t lastT = -1;
  auto readOnce = [&](const Db& db, Seen& seen, const char* what) {
    s.gate.enter();
    std::string err;
    try {
      err = checker.check(db, seen);
    } catch (const std::exception& e) {
      err = std::string("threw: ") + e.what();
    }
    s.gate.leave();
    if (!err.empty()) s.violation("reader " + std::to_string(id) + " " + what + " T=" + std::to_string(seen.t) + ": " + err);
  };
  auto reread = [&](Held& h) {
    Seen again;
    readOnce(h.db, again, "re-read");
    ++stats.rereads;
    if (!(again == h.seen))
      s.violation("reader " + std::to_string(id) + ": snapshot T=" + std::to_string(h.seen.t) + " answered differently later (T=" +
                  std::to_string(again.t) + ")");
  };
  for (;;) {
    bool last = s.writerDone.load();
    Db db = s.conn->db();
    Seen seen;
    readOnce(db, seen, "read");
    ++stats.reads;
    if (!last) ++stats.concurrentReads;
    if (seen.t < lastT) s.violation("reader " + std::to_string(id) + ": counter went back from " + std::to_string(lastT) + " to " + std::to_string(seen.t));
    if (seen.t != lastT) ++stats.distinctT;
    if (stats.firstT < 0) stats.firstT = seen.t;
    lastT = seen.t;
    // Hold some old values (dropping a random one, outside the gate), and
    // read an old one again now and then.
    if (held.size() < 6) held.push_back({db, seen});
    else if (rng() % 3 == 0) held[rng() % held.size()] = {db, seen};
    if (rng() % 3 == 0) reread(held[rng() % held.size()]);
    if (last && stats.reads >= 5) break;
  }
  for (Held& h : held) reread(h);  // every held snapshot once more, after the writer
  stats.lastT = lastT;
}

struct WriterStats {
  int64_t transfers = 0, commits = 0, checkpoints = 0, evictions = 0, unloaded = 0;
};

// Transfers until kMaxTransfers, or until the time budget is spent and at
// least kMinTransfers were made; `afterCommit` runs after each transaction
// (the stored variant commits, evicts and reopens there).
void writer(Shared& s, WriterStats& stats, const std::function<void(const TxReport&, int64_t)>& afterCommit) {
  std::mt19937 rng(42);
  Accounts model;
  for (int i = 0; i < kAccounts; ++i) model.balance[i] = kInitial;
  int64_t tagCount = 0;
  auto deadline = std::chrono::steady_clock::now() + kWriterBudget;
  try {
    for (int64_t k = 1; k <= kMaxTransfers && (k <= kMinTransfers || std::chrono::steady_clock::now() < deadline); ++k) {
      int a = static_cast<int>(rng() % kAccounts);
      int b = (a + 1 + static_cast<int>(rng() % (kAccounts - 1))) % kAccounts;
      int64_t m = 1 + static_cast<int64_t>(rng() % 100);
      std::string t = "[[:db/cas " + std::to_string(a + 1) + " :acct/balance " + std::to_string(model.balance[a]) + " " +
                      std::to_string(model.balance[a] - m) + "] [:db/cas " + std::to_string(b + 1) + " :acct/balance " +
                      std::to_string(model.balance[b]) + " " + std::to_string(model.balance[b] + m) + "]" +
                      " [:db/add 100 :meta/transfers " + std::to_string(k) + "]";
      model.balance[a] -= m;
      model.balance[b] += m;
      // Cardinality-many churn: add a tag, retract one, or retract all of an account's.
      int c = static_cast<int>(rng() % kAccounts);
      std::string ce = std::to_string(c + 1);
      if (k % 17 == 0 && !model.tags[c].empty()) {
        t += " [:db/retract " + ce + " :acct/tags]";
        tagCount -= static_cast<int64_t>(model.tags[c].size());
        model.tags[c].clear();
      } else if (k % 3 == 0 && !model.tags[c].empty()) {
        std::string victim = *std::next(model.tags[c].begin(), static_cast<long>(rng() % model.tags[c].size()));
        t += " [:db/retract " + ce + " :acct/tags \"" + victim + "\"]";
        model.tags[c].erase(victim);
        --tagCount;
      } else {
        std::string tag = "t" + std::to_string(k);
        t += " [:db/add " + ce + " :acct/tags \"" + tag + "\"]";
        model.tags[c].insert(tag);
        ++tagCount;
      }
      t += " [:db/add 100 :meta/tags " + std::to_string(tagCount) + "]]";
      s.expected.publish(k, model.hash());
      TxReport r = s.conn->transact(tx(t), read("{:tx/transfer " + std::to_string(k) + "}"));
      stats.transfers = k;
      afterCommit(r, k);
    }
  } catch (const DataliteError& e) {
    s.violation(std::string("writer: ") + e.what());  // a failed cas means a lost update
  } catch (const std::exception& e) {
    s.violation(std::string("writer threw: ") + e.what());
  }
  s.writerDone.store(true);
}

// The setup: 50 accounts with 1000 each, the counter at 0. Small nodes, so
// that the trees are several levels deep and transfers split and merge.
Db setupDb() {
  DbOptions options;
  options.btree.leafBytes = 256;
  options.btree.branchFanout = 6;
  Db db = Db::empty(read(kSchema), options);
  std::string t = "[";
  for (int i = 1; i <= kAccounts; ++i)
    t += "{:db/id " + std::to_string(i) + " :acct/id " + std::to_string(i) + " :acct/balance " + std::to_string(kInitial) + "}";
  t += " {:db/id 100 :meta/transfers 0 :meta/tags 0}]";
  return db.transact(tx(t)).dbAfter;
}

struct RunResult {
  WriterStats writer;
  std::vector<ReaderStats> readers;
  std::vector<std::string> violations;
  Db final;
};

RunResult runStress(Connection& conn, const std::function<void(const TxReport&, int64_t)>& afterCommit,
                    Shared& shared) {
  shared.conn = &conn;
  shared.baseTx = conn.db().maxTx();
  Accounts initial;
  for (int i = 0; i < kAccounts; ++i) initial.balance[i] = kInitial;
  shared.expected.publish(0, initial.hash());
  RunResult res;
  res.readers.resize(kReaders);
  std::vector<std::thread> threads;
  for (int i = 0; i < kReaders; ++i) threads.emplace_back(reader, std::ref(shared), i, std::ref(res.readers[i]));
  std::thread w(writer, std::ref(shared), std::ref(res.writer), std::cref(afterCommit));
  w.join();
  for (std::thread& t : threads) t.join();
  res.violations = shared.violations;
  res.final = conn.db();
  return res;
}

// What a run did: printed with DATALITE_TEST_VERBOSE=1, and shown with any
// failure of the test case.
std::string summary(const char* name, const RunResult& r, const std::string& extra = "") {
  uint64_t reads = 0, rereads = 0, distinct = 0, concurrent = 0;
  for (const ReaderStats& s : r.readers) {
    reads += s.reads;
    rereads += s.rereads;
    distinct += s.distinctT;
    concurrent += s.concurrentReads;
  }
  std::string out = std::string(name) + ": " + std::to_string(r.writer.transfers) + " transfers";
  if (r.writer.commits)
    out += ", " + std::to_string(r.writer.commits) + " commits (" + std::to_string(r.writer.checkpoints) + " checkpoints), " +
           std::to_string(r.writer.evictions) + " evictions (" + std::to_string(r.writer.unloaded) + " nodes unloaded)";
  out += extra + "; " + std::to_string(kReaders) + " readers: " + std::to_string(reads) + " snapshot reads (" +
         std::to_string(concurrent) + " while the writer ran) + " + std::to_string(rereads) + " re-reads of held snapshots, " +
         std::to_string(distinct) + " distinct counters seen";
  const char* verbose = std::getenv("DATALITE_TEST_VERBOSE");
  if (verbose && *verbose && *verbose != '0') std::printf("%s\n", out.c_str());
  return out;
}

// The pass criteria: no violation, the writer got somewhere, the readers
// read concurrently with it and then read its final state.
void checkRun(const RunResult& r) {
  std::string all;
  for (const std::string& v : r.violations) all += v + "\n";
  INFO("violations:\n" << all);
  CHECK(r.violations.empty());
  CHECK(r.writer.transfers >= kMinTransfers);
  uint64_t concurrent = 0, distinct = 0;
  for (const ReaderStats& s : r.readers) {
    CHECK(s.reads >= 5);
    CHECK(s.rereads >= 1);
    CHECK(s.lastT == r.writer.transfers);  // every reader read the final state
    concurrent += s.concurrentReads;
    distinct += s.distinctT;
  }
  CHECK(concurrent >= 10);                 // reads overlapped the writer
  CHECK(distinct > r.readers.size());      // and saw it progress
}

}  // namespace

TEST_CASE("concurrency: readers of an in-memory connection always see consistent snapshots while a writer transacts",
          "[store][concurrency]") {
  Connection conn(setupDb());
  Shared shared;
  RunResult r = runStress(conn, [](const TxReport&, int64_t) {}, shared);
  INFO(summary("in-memory connection", r));
  checkRun(r);
  Checker checker(shared);
  Seen seen;
  CHECK(checker.check(r.final, seen) == "");
  CHECK(seen.t == r.writer.transfers);
}

TEST_CASE("concurrency: readers of a lazily loaded stored db see consistent snapshots while a writer commits, "
          "checkpoints and evicts",
          "[store][concurrency][lazy]") {
  auto mem = std::make_shared<MemoryStore>();
  {
    StoredDatabase sd(mem);
    sd.checkpoint(setupDb());
    sd.sync();
  }
  StorageOptions options;
  options.cacheBytes = 8 * 1024;  // far less than the trees: evictions unload most nodes
  options.tailMaxTxs = 8;          // a checkpoint every 9th commit
  StoredDatabase sd(mem, options);
  Connection conn(*sd.open());
  uint64_t loadedAtOpen = sd.stats().nodesLoaded;
  Shared shared;
  uint64_t evictions = 0, unloaded = 0, reopens = 0;
  RunResult r = runStress(
      conn,
      [&](const TxReport& report, int64_t k) {
        sd.commit(report);
        if (k % 4 == 0) {
          shared.gate.exclusive([&] {
            unloaded += sd.evict();
            ++evictions;
          });
        }
        if (k % 16 == 0) {
          // Reopen from the store: the connection's value becomes a lazily
          // loaded one again (roots only), which the readers load while
          // the writer goes on transacting from it.
          sd.sync();
          conn.reset(*sd.open());
          ++reopens;
        }
      },
      shared);
  StorageStats st = sd.stats();
  r.writer.commits = static_cast<int64_t>(st.commits);
  r.writer.checkpoints = static_cast<int64_t>(st.checkpoints);
  r.writer.evictions = static_cast<int64_t>(evictions);
  r.writer.unloaded = static_cast<int64_t>(unloaded);
  INFO(summary("stored db (MemoryStore, lazy, 8 KB cache)", r,
               ", " + std::to_string(reopens) + " reopens, " + std::to_string(st.nodesLoaded) + " nodes loaded lazily"));
  checkRun(r);
  CHECK(loadedAtOpen == 0);  // opening read the roots only: the readers loaded the rest
  CHECK(st.nodesLoaded > 100);
  CHECK(r.writer.checkpoints >= 2);
  CHECK(reopens >= 1);
  CHECK(unloaded > 0);
  // The final value, after a full eviction, and reopened from the store.
  Checker checker(shared);
  Seen before, afterEvict, reopened;
  CHECK(checker.check(r.final, before) == "");
  sd.evict(true);
  CHECK(checker.check(r.final, afterEvict) == "");
  CHECK(afterEvict == before);
  sd.sync();
  StoredDatabase again(mem);
  Db back = *again.open();
  CHECK(checker.check(back, reopened) == "");
  CHECK(reopened == before);
  CHECK(before.t == r.writer.transfers);
}

#endif  // threads available
