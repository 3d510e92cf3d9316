// Micro-benchmark for datalite::index::BTree (not part of the CMake build).
// Build: g++ -std=c++20 -O2 -DNDEBUG -Isrc bench/native_index/btree_bench.cpp \
//          src/index/btree.cpp -o /tmp/btree_bench && /tmp/btree_bench [leafBytes fanout]
#include <algorithm>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "index/btree.h"

using datalite::index::BTree;
using datalite::index::BTreeConfig;
// Timings are process CPU time (std::clock), not wall-clock: on a shared,
// loaded machine this excludes time spent waiting for a core (still noisy
// through shared caches; repeat runs). The bench is single-threaded.
struct Clock {
  using time_point = std::clock_t;
  static time_point now() { return std::clock(); }
};

static double nsPer(Clock::time_point a, Clock::time_point b, size_t n) {
  return double(b - a) * (1e9 / double(CLOCKS_PER_SEC)) / double(n);
}

// 16-byte datom-like keys: 8-byte big-endian entity, 4-byte attr, 4-byte value.
static std::string datomKey(uint64_t e, uint32_t a, uint32_t v) {
  std::string k(16, '\0');
  for (int i = 0; i < 8; ++i) k[i] = char(e >> (56 - 8 * i));
  for (int i = 0; i < 4; ++i) k[8 + i] = char(a >> (24 - 8 * i));
  for (int i = 0; i < 4; ++i) k[12 + i] = char(v >> (24 - 8 * i));
  return k;
}

int main(int argc, char** argv) {
  BTreeConfig cfg;
  if (argc > 2) cfg = BTreeConfig{uint32_t(std::atoi(argv[1])), uint32_t(std::atoi(argv[2]))};
  const size_t N = 1000000;
  std::mt19937_64 rng(42);
  std::vector<std::string> keys;
  keys.reserve(N);
  for (size_t i = 0; i < N; ++i) keys.push_back(datomKey(1000 + i / 8, uint32_t(i % 8), uint32_t(rng())));
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  std::vector<std::string_view> sv(keys.begin(), keys.end());

  auto t0 = Clock::now();
  BTree t = BTree::buildSorted(sv, cfg);
  auto t1 = Clock::now();
  std::printf("config leafBytes=%u fanout=%u\n", t.config().leafBytes, t.config().branchFanout);
  std::printf("buildSorted %zu x 16B keys: %.1f ns/key, height %zu, nodes %zu, %.2f bytes/key\n", sv.size(),
              nsPer(t0, t1, sv.size()), t.height(), t.nodeCount(), double(t.memoryBytes()) / double(t.size()));

  // Point lookups (hits), random order.
  std::vector<size_t> order(sv.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng);
  size_t hits = 0;
  t0 = Clock::now();
  for (size_t i = 0; i < 1000000; ++i) hits += t.contains(sv[order[i % order.size()]]);
  t1 = Clock::now();
  std::printf("contains (hit, random): %.1f ns/op (%zu)\n", nsPer(t0, t1, 1000000), hits);

  // lowerBound + short scan of 8 keys.
  size_t acc = 0;
  t0 = Clock::now();
  for (size_t i = 0; i < 300000; ++i) {
    auto it = t.lowerBound(sv[order[i]]);
    for (int s = 0; s < 8 && it.valid(); ++s, it.next()) acc += it.key().size();
  }
  t1 = Clock::now();
  std::printf("lowerBound + 8 next: %.1f ns/op (%zu)\n", nsPer(t0, t1, 300000), acc);

  // countRange over random ranges.
  t0 = Clock::now();
  for (size_t i = 0; i < 300000; ++i) {
    auto a = sv[order[i]], b = sv[order[i + 1]];
    acc += a < b ? t.countRange(a, b) : t.countRange(b, a);
  }
  t1 = Clock::now();
  std::printf("countRange: %.1f ns/op\n", nsPer(t0, t1, 300000));

  // apply: K random edits (half inserts of new keys, half removes) into a copy.
  for (size_t K : {size_t(1000), size_t(100000), size_t(200000)}) {
    std::vector<std::string> ins;
    for (size_t i = 0; i < K / 2; ++i) ins.push_back(datomKey(1000 + rng() % (N / 8), 9, uint32_t(rng())));
    std::vector<BTree::Edit> edits;
    for (auto& k : ins) edits.push_back({k, true});
    for (size_t i = 0; i < K / 2; ++i) edits.push_back({sv[order[i]], false});
    std::sort(edits.begin(), edits.end(), [](auto& x, auto& y) { return x.key < y.key; });
    edits.erase(std::unique(edits.begin(), edits.end(), [](auto& x, auto& y) { return x.key == y.key; }),
                edits.end());
    BTree c = t;  // shared: path copying
    t0 = Clock::now();
    size_t changed = c.apply(edits);
    t1 = Clock::now();
    const BTree* both[] = {&t, &c};
    std::printf("apply %zu random edits into shared 1M tree: %.1f ns/edit (%zu changed), new bytes %zu\n",
                edits.size(), nsPer(t0, t1, edits.size()), changed,
                BTree::memoryBytes(both) - t.memoryBytes());
  }

  // Single inserts into a uniquely held tree (transient path), then erases.
  {
    BTree u = BTree::buildSorted(sv, cfg);
    std::vector<std::string> ins;
    for (size_t i = 0; i < 200000; ++i) ins.push_back(datomKey(1000 + rng() % (N / 8), 9, uint32_t(rng())));
    uint64_t a0 = BTree::debugNodeAllocations();
    t0 = Clock::now();
    for (auto& k : ins) u.insert(k);
    t1 = Clock::now();
    std::printf("insert (unique tree, random): %.1f ns/op, %.3f node allocs/op\n", nsPer(t0, t1, ins.size()),
                double(BTree::debugNodeAllocations() - a0) / double(ins.size()));
    t0 = Clock::now();
    for (auto& k : ins) u.erase(k);
    t1 = Clock::now();
    std::printf("erase (unique tree, random): %.1f ns/op\n", nsPer(t0, t1, ins.size()));
    BTree s = u;
    t0 = Clock::now();
    for (size_t i = 0; i < 100000; ++i) {
      BTree v = s;  // every insert into a fresh shared version: full path copy
      v.insert(ins[i]);
    }
    t1 = Clock::now();
    std::printf("insert into a shared version (path copy): %.1f ns/op\n", nsPer(t0, t1, 100000));
  }

  // Transaction chain (the database's pattern): every step applies a small
  // sorted batch to a tree whose nodes are all shared with the previous
  // version, then the previous version is dropped (db = db.with(tx)).
  for (size_t B : {size_t(2), size_t(10)}) {
    BTree v = t;
    std::vector<std::string> pool;
    for (size_t i = 0; i < 100000 * B; ++i)
      pool.push_back(datomKey(1000 + rng() % (N / 8), uint32_t(8 + i % 4), uint32_t(rng())));
    std::vector<BTree::Edit> batch;
    const size_t steps = 100000;
    uint64_t a0 = BTree::debugNodeAllocations();
    t0 = Clock::now();
    for (size_t s = 0; s < steps; ++s) {
      batch.clear();
      // B/2 new keys, B/2 removals of present keys (clustered like an entity).
      for (size_t j = 0; j < B / 2 + (B == 1); ++j) batch.push_back({pool[s * B + j], true});
      for (size_t j = 0; j < B / 2; ++j) batch.push_back({sv[(order[s] + j) % sv.size()], false});
      std::sort(batch.begin(), batch.end(), [](auto& x, auto& y) { return x.key < y.key; });
      BTree next = v;  // next shares every node with v ...
      next.apply(batch);
      v = std::move(next);  // ... and the old version is dropped
    }
    t1 = Clock::now();
    std::printf("tx chain, %zu edits/tx on a shared tree: %.1f ns/tx, %.2f node allocs/tx\n", B,
                nsPer(t0, t1, steps), double(BTree::debugNodeAllocations() - a0) / double(steps));
  }

  // Memory of a tree built by random single inserts.
  {
    std::vector<std::string_view> shuffled(sv.begin(), sv.end());
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    BTree r(cfg);
    t0 = Clock::now();
    for (auto k : shuffled) r.insert(k);
    t1 = Clock::now();
    std::printf("1M random inserts from empty: %.1f ns/op, %.2f bytes/key, nodes %zu\n",
                nsPer(t0, t1, shuffled.size()), double(r.memoryBytes()) / double(r.size()), r.nodeCount());
  }
  return 0;
}
