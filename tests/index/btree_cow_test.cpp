// Persistence tests: in-place (transient) mutation of uniquely held trees,
// copy-on-write when shared, iterator stability, concurrent readers.
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdio>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "index/btree.h"

using datalite::index::BTree;
using datalite::index::BTreeConfig;

namespace {

std::string numKey(int i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "e%07d/a", i);
  return buf;
}

std::vector<std::string> contents(const BTree& t) {
  std::vector<std::string> out;
  for (auto it = t.begin(); it.valid(); it.next()) out.emplace_back(it.key());
  return out;
}

BTree buildEven(int n, BTreeConfig cfg) {
  std::vector<std::string> keys;
  for (int i = 0; i < n; ++i) keys.push_back(numKey(2 * i));
  std::vector<std::string_view> sv(keys.begin(), keys.end());
  return BTree::buildSorted(sv, cfg);
}

}  // namespace

TEST_CASE("unique tree: erase + re-insert is in place (no allocation, same root)", "[btree][cow]") {
  for (BTreeConfig cfg : {BTreeConfig{64, 4}, BTreeConfig{}}) {
    BTree t = buildEven(20000, cfg);
    const void* root = t.debugRootId();
    uint64_t before = BTree::debugNodeAllocations();
    for (int i = 0; i < 20000; i += 7) {
      REQUIRE(t.erase(numKey(2 * i)));
      REQUIRE(t.insert(numKey(2 * i)));  // fits in the capacity just freed
    }
    CHECK(BTree::debugNodeAllocations() == before);
    CHECK(t.debugRootId() == root);
    t.checkInvariants();
    CHECK(t.size() == 20000);
  }
}

TEST_CASE("unique tree: a stream of inserts allocates only for splits/growth", "[btree][cow]") {
  BTree t = buildEven(200000, BTreeConfig{});
  size_t nodes0 = t.nodeCount();
  uint64_t before = BTree::debugNodeAllocations();
  const int n = 50000;
  for (int i = 0; i < n; ++i) REQUIRE(t.insert(numKey(2 * ((i * 7919) % 200000) + 1)));
  uint64_t allocs = BTree::debugNodeAllocations() - before;
  t.checkInvariants();
  // Path copying would allocate >= height (3) nodes per insert, i.e. >= 150000.
  // In place we only pay for leaf splits and capacity growth.
  INFO("allocations " << allocs << " nodes before " << nodes0 << " after " << t.nodeCount());
  CHECK(allocs < static_cast<uint64_t>(n) / 10);
}

TEST_CASE("shared tree: mutation copies only the touched path, copy stays intact", "[btree][cow]") {
  for (BTreeConfig cfg : {BTreeConfig{64, 4}, BTreeConfig{}}) {
    BTree a = buildEven(30000, cfg);
    std::vector<std::string> orig = contents(a);
    size_t bytesA = a.memoryBytes();
    BTree b = a;  // O(1) copy sharing every node
    CHECK(b.debugRootId() == a.debugRootId());
    const BTree* both[] = {&a, &b};
    CHECK(BTree::memoryBytes(both) == bytesA);

    uint64_t before = BTree::debugNodeAllocations();
    REQUIRE(b.insert(numKey(1001)));
    uint64_t allocs = BTree::debugNodeAllocations() - before;
    // One path copy: height nodes, plus at most a split per level.
    CHECK(allocs <= 2 * b.height() + 1);
    CHECK(b.debugRootId() != a.debugRootId());
    // Union memory grows by about one path, not by a whole tree.
    CHECK(BTree::memoryBytes(both) < bytesA + bytesA / 4);

    // Further inserts into b are now in place along the copied path.
    before = BTree::debugNodeAllocations();
    REQUIRE(b.erase(numKey(1001)));
    REQUIRE(b.insert(numKey(1001)));
    CHECK(BTree::debugNodeAllocations() == before);

    REQUIRE(b.erase(numKey(0)));
    std::vector<std::string> ks;
    for (int i = 0; i < 60000; i += 3) ks.push_back(numKey(i));
    std::vector<BTree::Edit> edits;
    for (int i = 0; i < static_cast<int>(ks.size()); ++i) edits.push_back({ks[i], i % 2 == 1});  // ks[0] == numKey(0) stays removed
    b.apply(edits);
    b.checkInvariants();
    a.checkInvariants();
    CHECK(contents(a) == orig);  // the old version is exactly unchanged
    CHECK(a.size() == 30000);
    CHECK(a.contains(numKey(0)));
    CHECK_FALSE(a.contains(numKey(1001)));
    CHECK_FALSE(b.contains(numKey(0)));
    CHECK(b.contains(numKey(1001)));

    // Mutating the original after the copy leaves the copy intact, too.
    std::vector<std::string> bContents = contents(b);
    for (int i = 0; i < 30000; ++i) a.erase(numKey(2 * i));
    CHECK(a.empty());
    a.checkInvariants();
    CHECK(contents(b) == bContents);
    b.checkInvariants();
  }
}

TEST_CASE("iterators survive mutation and destruction of their tree", "[btree][cow]") {
  for (BTreeConfig cfg : {BTreeConfig{64, 4}, BTreeConfig{}}) {
    auto t = std::make_unique<BTree>(buildEven(5000, cfg));
    std::vector<std::string> orig = contents(*t);
    auto it = t->lowerBound(numKey(5000));
    REQUIRE(it.key() == numKey(5000));
    // The tree is uniquely held except for the iterator: mutations must not
    // modify the nodes the iterator walks.
    for (int i = 0; i < 5000; ++i) t->erase(numKey(2 * i));
    for (int i = 0; i < 5000; ++i) t->insert(numKey(2 * i + 1));
    t->checkInvariants();
    t.reset();  // the iterator keeps its version alive
    std::vector<std::string> seen;
    auto back = it;
    for (; it.valid(); it.next()) seen.emplace_back(it.key());
    std::vector<std::string> want(orig.begin() + 2500, orig.end());
    CHECK(seen == want);
    back.prev();
    REQUIRE(back.valid());
    CHECK(back.key() == numKey(4998));
  }
}

#if defined(__EMSCRIPTEN__) && !defined(__EMSCRIPTEN_PTHREADS__)
// The single-threaded wasm build has no threads to start.
#else
TEST_CASE("concurrent readers of a shared version while a copy is mutated", "[btree][cow]") {
  BTree base = buildEven(50000, BTreeConfig{512, 8});
  std::vector<std::string> orig = contents(base);
  std::atomic<bool> ok{true};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&, r] {
      BTree mine = base;  // each reader takes its own handle (a copy)
      for (int round = 0; round < 3; ++round) {
        size_t i = 0;
        for (auto it = mine.begin(); it.valid(); it.next(), ++i)
          if (i >= orig.size() || it.key() != orig[i]) ok = false;
        if (i != orig.size()) ok = false;
        for (int q = 0; q < 2000; ++q)
          if (!mine.contains(numKey(2 * ((q * 31 + r) % 50000)))) ok = false;
      }
    });
  }
  BTree writer = base;
  for (int i = 0; i < 20000; ++i) {
    writer.insert(numKey(2 * i + 1));
    if (i % 3 == 0) writer.erase(numKey(2 * i));
  }
  for (auto& th : readers) th.join();
  CHECK(ok.load());
  writer.checkInvariants();
  CHECK(contents(base) == orig);
}
#endif
