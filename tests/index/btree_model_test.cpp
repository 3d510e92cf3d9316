// Model-based randomized test: BTree against std::set<std::string>, with many
// live versions (snapshots) that must stay exactly unchanged.
//
// Seed: fixed by default; override with DATALITE_BTREE_SEED=<number>.
// Scale: DATALITE_BTREE_OPS_SCALE=<float> multiplies the operation counts.
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "index/btree.h"

using datalite::index::BTree;
using datalite::index::BTreeConfig;

namespace {

using Model = std::set<std::string>;

uint64_t testSeed() {
  if (const char* s = std::getenv("DATALITE_BTREE_SEED")) return std::strtoull(s, nullptr, 10);
  return 20240607;
}

double opsScale() {
  if (const char* s = std::getenv("DATALITE_BTREE_OPS_SCALE")) return std::atof(s);
  return 1.0;
}

struct KeyGen {
  std::mt19937_64 rng;
  int maxLen;
  int bigEvery;  // one in bigEvery keys is "big" (longer than small leaves)
  explicit KeyGen(uint64_t seed, int maxLen, int bigEvery) : rng(seed), maxLen(maxLen), bigEvery(bigEvery) {}
  uint64_t below(uint64_t n) { return rng() % n; }
  std::string key() {
    static const unsigned char alphabet[] = {0x00, 0x01, 'a', 'b', 'c', 0x7F, 0x80, 0xFE, 0xFF};
    size_t len = below(static_cast<uint64_t>(maxLen) + 1);
    std::string k;
    if (bigEvery > 0 && below(bigEvery) == 0) len = 60 + below(200);
    for (size_t i = 0; i < len; ++i) k.push_back(static_cast<char>(alphabet[below(sizeof alphabet)]));
    return k;
  }
};

void verifyFull(const BTree& t, const Model& m, KeyGen& g) {
  t.checkInvariants();
  REQUIRE(t.size() == m.size());
  REQUIRE(t.empty() == m.empty());
  // Full forward and reverse iteration.
  auto mi = m.begin();
  size_t n = 0;
  for (auto it = t.begin(); it.valid(); it.next(), ++mi, ++n) {
    REQUIRE(mi != m.end());
    REQUIRE(it.key() == *mi);
  }
  REQUIRE(mi == m.end());
  REQUIRE(n == m.size());
  auto ri = m.rbegin();
  for (auto it = t.last(); it.valid(); it.prev(), ++ri) {
    REQUIRE(ri != m.rend());
    REQUIRE(it.key() == *ri);
  }
  REQUIRE(ri == m.rend());
  // Random seeks, short scans in both directions, membership.
  for (int q = 0; q < 40; ++q) {
    std::string probe = g.key();
    if (!m.empty() && g.below(3) == 0) {
      auto p = m.begin();
      std::advance(p, static_cast<long>(g.below(m.size())));
      probe = *p;
    }
    REQUIRE(t.contains(probe) == (m.count(probe) == 1));
    auto lb = m.lower_bound(probe);
    auto it = t.lowerBound(probe);
    REQUIRE(it.valid() == (lb != m.end()));
    if (it.valid()) {
      REQUIRE(it.key() == *lb);
      auto j = lb;
      for (int s = 0; s < 5 && it.valid(); ++s) {
        it.next();
        ++j;
        REQUIRE(it.valid() == (j != m.end()));
        if (it.valid()) REQUIRE(it.key() == *j);
      }
    }
    auto ub = m.upper_bound(probe);
    auto it2 = t.upperBound(probe);
    REQUIRE(it2.valid() == (ub != m.end()));
    if (it2.valid()) REQUIRE(it2.key() == *ub);
    auto it3 = t.seekBefore(probe);
    REQUIRE(it3.valid() == (lb != m.begin()));
    if (it3.valid()) {
      auto j = std::prev(lb);
      REQUIRE(it3.key() == *j);
      for (int s = 0; s < 5 && it3.valid(); ++s) {
        it3.prev();
        bool more = j != m.begin();
        REQUIRE(it3.valid() == more);
        if (!more) break;
        --j;
        REQUIRE(it3.key() == *j);
      }
    }
    std::string hi = g.key();
    size_t want = 0;
    if (probe < hi) want = static_cast<size_t>(std::distance(m.lower_bound(probe), m.lower_bound(hi)));
    REQUIRE(t.countRange(probe, hi) == want);
    REQUIRE(t.rank(probe) == static_cast<size_t>(std::distance(m.begin(), lb)));
  }
}

struct Snapshot {
  BTree tree;
  Model model;
};

// Runs `ops` random operations on one evolving tree, keeping several older
// versions alive and verifying all of them periodically and at the end.
void runModel(BTreeConfig cfg, size_t ops, int maxLen, int bigEvery, size_t maxBatch, uint64_t seed) {
  INFO("seed=" << seed << " leafBytes=" << cfg.leafBytes << " fanout=" << cfg.branchFanout);
  KeyGen g(seed, maxLen, bigEvery);
  BTree t(cfg);
  Model m;
  std::vector<Snapshot> snaps;
  const size_t kMaxSnaps = 6;
  const size_t verifyEvery = std::max<size_t>(ops / 12, 1);
  size_t applied = 0, singles = 0, builds = 0, restores = 0;
  const size_t checkEveryOpBelow = cfg.leafBytes <= 128 ? 4000 : 0;

  for (size_t op = 0; op < ops; ++op) {
    uint64_t r = g.below(1000);
    if (r < 400) {  // single insert
      std::string k = g.key();
      bool inserted = m.insert(k).second;
      REQUIRE(t.insert(k) == inserted);
      ++singles;
    } else if (r < 700) {  // single erase, biased to present keys
      std::string k = g.key();
      if (!m.empty() && g.below(2) == 0) {
        auto p = m.lower_bound(k);
        if (p == m.end()) p = m.begin();
        k = *p;
      }
      bool erased = m.erase(k) == 1;
      REQUIRE(t.erase(k) == erased);
      ++singles;
    } else if (r < 900) {  // apply a batch of mixed edits
      size_t n = 1 + g.below(g.below(8) == 0 ? maxBatch : 1 + maxBatch / 16);
      int insertPct = static_cast<int>(g.below(101));
      std::set<std::string> keys;
      for (size_t i = 0; i < n; ++i) {
        if (!m.empty() && g.below(3) == 0) {  // hit existing keys too
          auto p = m.lower_bound(g.key());
          if (p != m.end()) {
            keys.insert(*p);
            continue;
          }
        }
        keys.insert(g.key());
      }
      std::vector<BTree::Edit> edits;
      size_t changes = 0;
      for (const auto& k : keys) {
        bool ins = static_cast<int>(g.below(100)) < insertPct;
        edits.push_back({k, ins});
      }
      for (const auto& e : edits) {
        if (e.insert)
          changes += m.insert(std::string(e.key)).second ? 1 : 0;
        else
          changes += m.erase(std::string(e.key));
      }
      REQUIRE(t.apply(edits) == changes);
      REQUIRE(t.size() == m.size());
      ++applied;
    } else if (r < 915) {  // rebuild in bulk from the model
      std::vector<std::string_view> sv(m.begin(), m.end());
      t = BTree::buildSorted(sv, cfg);
      ++builds;
    } else if (r < 975) {  // take a snapshot (copy of the tree + model)
      Snapshot s{t, m};
      if (snaps.size() < kMaxSnaps)
        snaps.push_back(std::move(s));
      else
        snaps[g.below(kMaxSnaps)] = std::move(s);
    } else if (r < 995) {  // continue from an older version
      if (!snaps.empty()) {
        const Snapshot& s = snaps[g.below(snaps.size())];
        t = s.tree;
        m = s.model;
        ++restores;
      }
    } else {  // occasionally start over
      if (g.below(4) == 0) {
        t = BTree(cfg);
        m.clear();
      }
    }
    // Structural invariants after every operation while the tree is small
    // (cheap), so transient violations cannot be healed before detection.
    if (t.size() <= checkEveryOpBelow) t.checkInvariants();
    if (op % verifyEvery == verifyEvery - 1) {
      verifyFull(t, m, g);
      for (const Snapshot& s : snaps) verifyFull(s.tree, s.model, g);
    }
  }
  verifyFull(t, m, g);
  for (const Snapshot& s : snaps) verifyFull(s.tree, s.model, g);
  if (std::getenv("DATALITE_BTREE_VERBOSE"))
    std::printf("final size %zu height %zu snapshots %zu\n", t.size(), t.height(), snaps.size());
  // Sanity on the mix that actually ran.
  CHECK(applied > 0);
  CHECK(singles > 0);
  CHECK(builds > 0);
  CHECK(restores > 0);
  // Drop the snapshots one by one; the live tree must be unaffected.
  while (!snaps.empty()) {
    snaps.pop_back();
    t.checkInvariants();
  }
  verifyFull(t, m, g);
}

size_t scaled(size_t n) { return static_cast<size_t>(static_cast<double>(n) * opsScale()); }

}  // namespace

TEST_CASE("model: tiny nodes (leafBytes 64, fanout 4), small key space", "[btree][model]") {
  // ~6k distinct short keys: dense, many collisions, deep trees.
  runModel(BTreeConfig{64, 4}, scaled(120000), 4, 0, 400, testSeed());
}

TEST_CASE("model: tiny nodes with keys larger than a leaf", "[btree][model]") {
  runModel(BTreeConfig{64, 4}, scaled(60000), 6, 40, 300, testSeed() + 1);
}

TEST_CASE("model: tiny nodes, mid-size keys (awkward packing, underfull leaves)", "[btree][model]") {
  // Keys of 0..45 bytes in 64-byte leaves: many leaves cannot merge with a
  // neighbour, which exercises the tolerated-underfull rule.
  runModel(BTreeConfig{64, 4}, scaled(60000), 45, 0, 200, testSeed() + 5);
}

TEST_CASE("model: fanout 3, leafBytes 128", "[btree][model]") {
  runModel(BTreeConfig{128, 3}, scaled(60000), 5, 200, 300, testSeed() + 2);
}

TEST_CASE("model: default config, larger trees and batches", "[btree][model]") {
  runModel(BTreeConfig{}, scaled(40000), 7, 500, 2000, testSeed() + 3);
}

TEST_CASE("model: large apply batches into a bulk-built tree", "[btree][model]") {
  // Many big batches against a tree built in bulk, with a snapshot per batch.
  uint64_t seed = testSeed() + 4;
  INFO("seed=" << seed);
  for (BTreeConfig cfg : {BTreeConfig{64, 4}, BTreeConfig{512, 8}, BTreeConfig{}}) {
    KeyGen g(seed, 10, 0);
    Model m;
    const int initial = cfg.leafBytes >= 4096 ? 150000 : 20000;  // default: 3 levels
    for (int i = 0; i < initial; ++i) m.insert(g.key());
    std::vector<std::string_view> sv(m.begin(), m.end());
    BTree t = BTree::buildSorted(sv, cfg);
    verifyFull(t, m, g);
    if (cfg.leafBytes >= 4096) CHECK(t.height() >= 3);
    std::vector<Snapshot> snaps;
    for (int round = 0; round < 12; ++round) {
      snaps.push_back(Snapshot{t, m});
      std::set<std::string> keys;
      size_t n = 1 + g.below(8000);
      for (size_t i = 0; i < n; ++i) keys.insert(g.key());
      // Alternate insert-heavy, delete-heavy (incl. clearing ranges) rounds.
      int insertPct = round % 3 == 0 ? 90 : (round % 3 == 1 ? 10 : 50);
      if (round % 4 == 3)
        for (const auto& k : m)
          if (!k.empty() && static_cast<unsigned char>(k[0]) < 0x80) keys.insert(k);
      std::vector<BTree::Edit> edits;
      size_t changes = 0;
      for (const auto& k : keys) {
        bool ins = static_cast<int>(g.below(100)) < insertPct;
        if (round % 4 == 3 && !k.empty() && static_cast<unsigned char>(k[0]) < 0x80) ins = false;
        edits.push_back({k, ins});
        changes += ins ? (m.insert(k).second ? 1 : 0) : m.erase(k);
      }
      REQUIRE(t.apply(edits) == changes);
      verifyFull(t, m, g);
    }
    for (const Snapshot& s : snaps) verifyFull(s.tree, s.model, g);
  }
}
