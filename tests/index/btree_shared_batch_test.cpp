// Small edit batches applied to *shared* trees: the path of every database
// transaction while the previous database value is alive. Covers the
// one-pass "copy leaf with edits" path (mixed inserts/removes, no-ops, leaves
// emptied, results that overflow a leaf and fall back to the split path,
// huge keys) and checks that every older version stays intact.
#include <catch2/catch.hpp>

#include <cstdio>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "index/btree.h"

using datalite::index::BTree;
using datalite::index::BTreeConfig;

namespace {

std::string key(uint32_t i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "k%08u", i);
  return buf;
}

std::vector<std::string> contents(const BTree& t) {
  std::vector<std::string> out;
  for (auto it = t.begin(); it.valid(); it.next()) out.emplace_back(it.key());
  return out;
}

// Applies `batch` (key -> insert?) to both the tree and the model.
size_t applyBoth(BTree& t, std::set<std::string>& model,
                 const std::vector<std::pair<std::string, bool>>& batch) {
  std::vector<BTree::Edit> edits;
  size_t expect = 0;
  for (const auto& [k, ins] : batch) {
    edits.push_back({k, ins});
    if (ins)
      expect += model.insert(k).second;
    else
      expect += model.erase(k);
  }
  return t.apply(edits) == expect;
}

}  // namespace

TEST_CASE("shared tree: many small batches, each on a shared version", "[btree][cow][batch]") {
  for (BTreeConfig cfg : {BTreeConfig{64, 4}, BTreeConfig{256, 5}, BTreeConfig{}}) {
    std::mt19937 rng(7 + cfg.leafBytes);
    std::set<std::string> model;
    BTree t(cfg);
    // Older versions kept alive (like old database values) with their contents.
    std::vector<std::pair<BTree, std::vector<std::string>>> kept;
    for (int round = 0; round < 3000; ++round) {
      BTree prev = t;  // t is now shared with prev: no in-place edits
      size_t n = 1 + rng() % (round % 5 == 0 ? 24 : 6);
      std::set<uint32_t> picks;
      // Clustered keys so that several edits land in the same leaf.
      uint32_t base = rng() % 4000;
      while (picks.size() < n) picks.insert(base + rng() % 64);
      std::vector<std::pair<std::string, bool>> batch;
      for (uint32_t p : picks) batch.emplace_back(key(p), rng() % 3 != 0);
      REQUIRE(applyBoth(t, model, batch));
      if (round % 97 == 0) {
        t.checkInvariants();
        prev.checkInvariants();
        kept.emplace_back(prev, contents(prev));
      }
    }
    t.checkInvariants();
    CHECK(t.size() == model.size());
    CHECK(contents(t) == std::vector<std::string>(model.begin(), model.end()));
    for (auto& [v, c] : kept) {
      v.checkInvariants();
      CHECK(contents(v) == c);
    }
  }
}

TEST_CASE("shared tree: no-op batches copy nothing", "[btree][cow][batch]") {
  std::vector<std::string> keys;
  for (uint32_t i = 0; i < 5000; i += 2) keys.push_back(key(i));
  std::vector<std::string_view> sv(keys.begin(), keys.end());
  BTree a = BTree::buildSorted(sv);
  BTree b = a;
  // Inserting present keys and removing absent ones, within one leaf.
  std::string k0 = key(100), k1 = key(101), k2 = key(102), k3 = key(103);
  std::vector<BTree::Edit> edits{{k0, true}, {k1, false}, {k2, true}, {k3, false}};
  uint64_t before = BTree::debugNodeAllocations();
  CHECK(b.apply(edits) == 0);
  CHECK(BTree::debugNodeAllocations() == before);
  CHECK(b.debugRootId() == a.debugRootId());
}

TEST_CASE("shared tree: a small batch copies one path, exactly sized", "[btree][cow][batch]") {
  std::vector<std::string> keys;
  for (uint32_t i = 0; i < 200000; i += 2) keys.push_back(key(i));
  std::vector<std::string_view> sv(keys.begin(), keys.end());
  BTree a = BTree::buildSorted(sv);
  std::vector<std::string> orig = contents(a);
  size_t bytesA = a.memoryBytes();
  BTree b = a;
  // Bulk-built leaves are full: as many removals as insertions (same key
  // size) keep the result within one leaf, so no split happens.
  std::string i1 = key(5001), r0 = key(5002), i2 = key(5003), r1 = key(5004);
  std::vector<BTree::Edit> edits{{i1, true}, {r0, false}, {i2, true}, {r1, false}};
  uint64_t before = BTree::debugNodeAllocations();
  CHECK(b.apply(edits) == 4);
  CHECK(BTree::debugNodeAllocations() - before == b.height());  // one node per level
  b.checkInvariants();
  CHECK(b.size() == a.size());
  CHECK(b.contains(i2));
  CHECK_FALSE(b.contains(r1));
  CHECK(a.contains(r1));
  CHECK_FALSE(a.contains(i2));
  CHECK(contents(a) == orig);
  // The union grows by about one path (the new leaf is not bigger than the old).
  const BTree* both[] = {&a, &b};
  CHECK(BTree::memoryBytes(both) <= bytesA + 2 * b.height() * 4096);
}

TEST_CASE("shared tree: batches that empty, fill or overflow a leaf", "[btree][cow][batch]") {
  BTreeConfig cfg{128, 4};
  std::vector<std::string> keys;
  for (uint32_t i = 0; i < 2000; i += 4) keys.push_back(key(i));
  std::vector<std::string_view> sv(keys.begin(), keys.end());
  BTree a = BTree::buildSorted(sv, cfg);
  std::vector<std::string> orig = contents(a);
  std::set<std::string> model(keys.begin(), keys.end());

  // Remove a whole run of keys (empties at least one leaf) in one batch.
  {
    BTree b = a;
    std::set<std::string> m = model;
    std::vector<std::pair<std::string, bool>> batch;
    for (uint32_t i = 400; i < 440; i += 4) batch.emplace_back(key(i), false);
    REQUIRE(applyBoth(b, m, batch));
    b.checkInvariants();
    CHECK(contents(b) == std::vector<std::string>(m.begin(), m.end()));
  }
  // Insert 16 keys into the gaps of one leaf: overflows, must split.
  {
    BTree b = a;
    std::set<std::string> m = model;
    std::vector<std::pair<std::string, bool>> batch;
    for (uint32_t i = 800; i < 816; ++i)
      if (i % 4) batch.emplace_back(key(i), true);
    REQUIRE(applyBoth(b, m, batch));
    b.checkInvariants();
    CHECK(contents(b) == std::vector<std::string>(m.begin(), m.end()));
  }
  // Huge keys: a key larger than the leaf budget, then removing it again.
  {
    BTree b = a;
    std::set<std::string> m = model;
    std::string huge = key(1201) + std::string(5000, 'x');
    std::vector<std::pair<std::string, bool>> batch{{key(1200), false}, {huge, true}, {key(1202), true}};
    REQUIRE(applyBoth(b, m, batch));
    b.checkInvariants();
    BTree c = b;
    std::vector<std::pair<std::string, bool>> batch2{{key(1199), true}, {huge, false}};
    REQUIRE(applyBoth(c, m, batch2));
    c.checkInvariants();
    CHECK(contents(c) == std::vector<std::string>(m.begin(), m.end()));
  }
  CHECK(contents(a) == orig);
  a.checkInvariants();
}
