// Unit tests for datalite::index::BTree: edge cases of the API.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "index/btree.h"

using datalite::index::BTree;
using datalite::index::BTreeConfig;

namespace {

std::vector<std::string> collectForward(const BTree& t) {
  std::vector<std::string> out;
  for (auto it = t.begin(); it.valid(); it.next()) out.emplace_back(it.key());
  return out;
}

std::vector<std::string> collectBackward(const BTree& t) {
  std::vector<std::string> out;
  for (auto it = t.last(); it.valid(); it.prev()) out.emplace_back(it.key());
  return out;
}

std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (int x : b) s.push_back(static_cast<char>(x));
  return s;
}

const BTreeConfig kTiny{64, 4};
const BTreeConfig kDefault{};

BTree fromKeys(const std::vector<std::string>& keys, BTreeConfig cfg) {
  BTree t(cfg);
  for (const auto& k : keys) t.insert(k);
  return t;
}

}  // namespace

TEST_CASE("empty tree", "[btree]") {
  for (BTreeConfig cfg : {kTiny, kDefault}) {
    BTree t(cfg);
    CHECK(t.empty());
    CHECK(t.size() == 0);
    CHECK_FALSE(t.contains(""));
    CHECK_FALSE(t.contains("a"));
    CHECK_FALSE(t.begin().valid());
    CHECK_FALSE(t.last().valid());
    CHECK_FALSE(t.lowerBound("a").valid());
    CHECK_FALSE(t.upperBound("").valid());
    CHECK_FALSE(t.seekBefore("z").valid());
    CHECK(t.countRange("", "\xff") == 0);
    CHECK(t.rank("q") == 0);
    CHECK(t.nodeCount() == 0);
    CHECK(t.memoryBytes() == 0);
    CHECK(t.height() == 0);
    CHECK_FALSE(t.erase("a"));
    std::vector<BTree::Edit> rm{{"a", false}, {"b", false}};
    CHECK(t.apply(rm) == 0);
    CHECK(t.empty());
    t.checkInvariants();
    auto it = t.begin();
    it.next();
    it.prev();
    CHECK_FALSE(it.valid());
  }
}

TEST_CASE("single key, duplicates, erase absent", "[btree]") {
  BTree t;
  CHECK(t.insert("hello"));
  CHECK_FALSE(t.insert("hello"));
  CHECK(t.size() == 1);
  CHECK(t.contains("hello"));
  CHECK_FALSE(t.contains("hell"));
  CHECK_FALSE(t.contains("hello!"));
  CHECK_FALSE(t.erase("hell"));
  CHECK_FALSE(t.erase("zzz"));
  CHECK(t.size() == 1);
  auto it = t.begin();
  REQUIRE(it.valid());
  CHECK(it.key() == "hello");
  it.next();
  CHECK_FALSE(it.valid());
  CHECK(t.last().key() == "hello");
  CHECK(t.erase("hello"));
  CHECK_FALSE(t.erase("hello"));
  CHECK(t.empty());
  CHECK_FALSE(t.begin().valid());
  t.checkInvariants();
}

TEST_CASE("forward and backward iteration across many leaves", "[btree]") {
  for (BTreeConfig cfg : {kTiny, kDefault}) {
    std::set<std::string> model;
    BTree t(cfg);
    for (int i = 0; i < 3000; ++i) {
      std::string k = "key" + std::to_string((i * 7919) % 3001);
      CHECK(t.insert(k) == model.insert(k).second);
    }
    t.checkInvariants();
    std::vector<std::string> fwd(model.begin(), model.end());
    CHECK(collectForward(t) == fwd);
    std::vector<std::string> bwd(model.rbegin(), model.rend());
    CHECK(collectBackward(t) == bwd);
    // Walk forward then back again with the same iterator.
    auto it = t.begin();
    for (int i = 0; i < 1000; ++i) it.next();
    for (int i = 0; i < 1000; ++i) it.prev();
    REQUIRE(it.valid());
    CHECK(it.key() == fwd.front());
    it.prev();
    CHECK_FALSE(it.valid());
    if (cfg.leafBytes == 64) CHECK(t.height() >= 4);
  }
}

TEST_CASE("seeks at boundaries", "[btree]") {
  std::vector<std::string> keys = {"b", "d", "dd", "f"};
  const std::string f0("f\0", 2);
  for (BTreeConfig cfg : {kTiny, kDefault}) {
    BTree t = fromKeys(keys, cfg);
    // lowerBound: first key >= probe
    CHECK(t.lowerBound("").key() == "b");
    CHECK(t.lowerBound("a").key() == "b");
    CHECK(t.lowerBound("b").key() == "b");
    CHECK(t.lowerBound("c").key() == "d");
    CHECK(t.lowerBound("d").key() == "d");
    CHECK(t.lowerBound("d\x01").key() == "dd");
    CHECK(t.lowerBound("dd").key() == "dd");
    CHECK(t.lowerBound("e").key() == "f");
    CHECK(t.lowerBound("f").key() == "f");
    CHECK_FALSE(t.lowerBound(f0).valid());
    CHECK_FALSE(t.lowerBound("g").valid());
    // upperBound: first key > probe
    CHECK(t.upperBound("").key() == "b");
    CHECK(t.upperBound("b").key() == "d");
    CHECK(t.upperBound("d").key() == "dd");
    CHECK(t.upperBound("dd").key() == "f");
    CHECK(t.upperBound("e").key() == "f");
    CHECK_FALSE(t.upperBound("f").valid());
    CHECK_FALSE(t.upperBound("zz").valid());
    // seekBefore: last key < probe
    CHECK_FALSE(t.seekBefore("").valid());
    CHECK_FALSE(t.seekBefore("a").valid());
    CHECK_FALSE(t.seekBefore("b").valid());
    CHECK(t.seekBefore(std::string("b\0", 2)).key() == "b");
    CHECK(t.seekBefore("c").key() == "b");
    CHECK(t.seekBefore("d").key() == "b");
    CHECK(t.seekBefore("dd").key() == "d");
    CHECK(t.seekBefore("de").key() == "dd");
    CHECK(t.seekBefore("f").key() == "dd");
    CHECK(t.seekBefore(f0).key() == "f");
    CHECK(t.seekBefore("\xff\xff").key() == "f");
    // last() and reverse from a seek
    CHECK(t.last().key() == "f");
    auto it = t.seekBefore("f");
    it.prev();
    CHECK(it.key() == "d");
    it.next();
    it.next();
    CHECK(it.key() == "f");
    it.next();
    CHECK_FALSE(it.valid());
  }
}

TEST_CASE("seeks over a deep tree agree with std::set", "[btree]") {
  std::set<std::string> model;
  for (int i = 0; i < 2000; ++i) model.insert(std::to_string(i * 3));
  std::vector<std::string_view> sorted(model.begin(), model.end());
  BTree t = BTree::buildSorted(sorted, kTiny);
  t.checkInvariants();
  for (int i = -1; i < 6001; ++i) {
    std::string probe = i < 0 ? std::string() : std::to_string(i);
    auto lb = model.lower_bound(probe);
    auto it = t.lowerBound(probe);
    REQUIRE(it.valid() == (lb != model.end()));
    if (it.valid()) REQUIRE(it.key() == *lb);
    auto ub = model.upper_bound(probe);
    auto it2 = t.upperBound(probe);
    REQUIRE(it2.valid() == (ub != model.end()));
    if (it2.valid()) REQUIRE(it2.key() == *ub);
    auto it3 = t.seekBefore(probe);
    REQUIRE(it3.valid() == (lb != model.begin()));
    if (it3.valid()) REQUIRE(it3.key() == *std::prev(lb));
    REQUIRE(t.rank(probe) == size_t(std::distance(model.begin(), lb)));
  }
}

TEST_CASE("empty key, prefixes, 0x00 and 0xFF bytes", "[btree]") {
  std::vector<std::string> keys = {
      "",
      bytes({0x00}),
      bytes({0x00, 0x00}),
      bytes({0x00, 0xFF}),
      bytes({0x01}),
      "a",
      "ab",
      "abc",
      bytes({'a', 'b', 'c', 0x00}),
      bytes({'a', 'b', 'c', 0xFF}),
      "abd",
      bytes({0x7F}),
      bytes({0x80}),
      bytes({0xFE, 0xFF}),
      bytes({0xFF}),
      bytes({0xFF, 0x00}),
      bytes({0xFF, 0xFF}),
      bytes({0xFF, 0xFF, 0xFF}),
  };
  std::vector<std::string> sorted = keys;
  std::sort(sorted.begin(), sorted.end());  // std::string compares bytes unsigned
  CHECK(sorted == keys);  // the list above is written in the expected order
  for (BTreeConfig cfg : {kTiny, kDefault}) {
    std::vector<std::string> shuffled = keys;
    std::reverse(shuffled.begin(), shuffled.end());
    std::swap(shuffled[2], shuffled[9]);
    BTree t = fromKeys(shuffled, cfg);
    t.checkInvariants();
    CHECK(collectForward(t) == keys);
    std::vector<std::string> rev(keys.rbegin(), keys.rend());
    CHECK(collectBackward(t) == rev);
    for (const auto& k : keys) CHECK(t.contains(k));
    CHECK_FALSE(t.contains(bytes({0x00, 0x01})));
    CHECK_FALSE(t.contains("abcd"));
    CHECK(t.lowerBound("").key() == "");
    CHECK(t.upperBound("").key() == bytes({0x00}));
    CHECK(t.lowerBound("abc").key() == "abc");
    CHECK(t.upperBound("abc").key() == bytes({'a', 'b', 'c', 0x00}));
    CHECK(t.seekBefore("abc").key() == "ab");
    CHECK(t.seekBefore(bytes({0xFF})).key() == bytes({0xFE, 0xFF}));
    CHECK(t.countRange("", bytes({0x01})) == 4);
    CHECK(t.countRange("a", "abd") == 5);
    CHECK(t.countRange(bytes({0xFF}), bytes({0xFF, 0xFF, 0xFF, 0x00})) == 4);
    CHECK(t.erase(""));
    CHECK_FALSE(t.contains(""));
    CHECK(t.begin().key() == bytes({0x00}));
    CHECK(t.erase(bytes({0xFF, 0xFF, 0xFF})));
    CHECK(t.last().key() == bytes({0xFF, 0xFF}));
    t.checkInvariants();
  }
}

TEST_CASE("huge keys mixed with small ones", "[btree]") {
  for (BTreeConfig cfg : {kTiny, kDefault, BTreeConfig{256, 3}}) {
    std::string huge1(200 * 1024, 'm');
    huge1.back() = '\x01';
    std::string huge2(200 * 1024, 'm');  // shares a 200 KB prefix with huge1
    huge2.back() = '\x02';
    std::string huge3(100 * 1024, '\xFF');
    std::set<std::string> model;
    BTree t(cfg);
    for (int i = 0; i < 500; ++i) {
      std::string k = std::string(1, char('a' + i % 26)) + std::to_string(i);
      t.insert(k);
      model.insert(k);
      if (i == 100) {
        t.insert(huge1);
        model.insert(huge1);
      }
      if (i == 200) {
        t.insert(huge2);
        model.insert(huge2);
      }
      if (i == 300) {
        t.insert(huge3);
        model.insert(huge3);
      }
    }
    t.checkInvariants();
    CHECK(t.contains(huge1));
    CHECK(t.contains(huge2));
    CHECK(t.contains(huge3));
    CHECK_FALSE(t.contains(huge1.substr(0, 1000)));
    std::vector<std::string> want(model.begin(), model.end());
    CHECK(collectForward(t) == want);
    CHECK(t.lowerBound(huge1.substr(0, 5000)).key() == huge1);
    CHECK(t.upperBound(huge1).key() == huge2);
    CHECK(t.seekBefore(huge2).key() == huge1);
    CHECK(t.countRange(huge1, huge3) == size_t(std::distance(model.find(huge1), model.find(huge3))));
    // Rebuild in bulk and erase the small keys around the huge ones.
    std::vector<std::string_view> sv(model.begin(), model.end());
    BTree b = BTree::buildSorted(sv, cfg);
    b.checkInvariants();
    CHECK(collectForward(b) == want);
    std::vector<BTree::Edit> edits;
    for (const auto& k : model)
      if (k.size() < 100) edits.push_back({k, false});
    CHECK(b.apply(edits) == edits.size());
    b.checkInvariants();
    CHECK(collectForward(b) == std::vector<std::string>{huge1, huge2, huge3});
    CHECK(b.erase(huge2));
    CHECK(b.erase(huge1));
    b.checkInvariants();
    CHECK(collectForward(b) == std::vector<std::string>{huge3});
    CHECK(b.erase(huge3));
    CHECK(b.empty());
    b.checkInvariants();
  }
}

TEST_CASE("countRange", "[btree]") {
  std::vector<std::string> keys;
  for (int i = 0; i < 5000; ++i) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "k%05d", i * 2);
    keys.emplace_back(buf);
  }
  std::vector<std::string_view> sv(keys.begin(), keys.end());
  for (BTreeConfig cfg : {kTiny, kDefault}) {
    BTree t = BTree::buildSorted(sv, cfg);
    t.checkInvariants();
    CHECK(t.countRange("", "\xff") == 5000);
    CHECK(t.countRange("k00000", "k00000") == 0);
    CHECK(t.countRange("k00010", "k00000") == 0);  // hi < lo
    CHECK(t.countRange("k00000", "k00001") == 1);
    CHECK(t.countRange("k00001", "k00002") == 0);
    CHECK(t.countRange("k00001", "k00003") == 1);
    CHECK(t.countRange("k00100", "k00200") == 50);
    CHECK(t.countRange("k00100", "k00201") == 51);
    CHECK(t.countRange("k09998", "l") == 1);
    CHECK(t.countRange("a", "k") == 0);
    CHECK(t.countRange("a", "k00000") == 0);
    CHECK(t.rank("k05000") == 2500);
    CHECK(t.rank("zzz") == 5000);
  }
}

TEST_CASE("apply: counts only real changes, bulk inserts and removes", "[btree]") {
  for (BTreeConfig cfg : {kTiny, kDefault}) {
    BTree t(cfg);
    std::vector<std::string> ks;
    for (int i = 0; i < 1000; ++i) ks.push_back("x" + std::to_string(1000 + i));
    std::vector<BTree::Edit> ins;
    for (int i = 0; i < 1000; i += 2) ins.push_back({ks[i], true});
    CHECK(t.apply(ins) == 500);
    CHECK(t.apply(ins) == 0);  // all present
    std::vector<BTree::Edit> mix;
    for (int i = 0; i < 1000; ++i) mix.push_back({ks[i], i % 4 != 0});
    // i%4==0: remove present (even) -> 250; odd: insert absent -> 500; i%4==2: insert present.
    CHECK(t.apply(mix) == 750);
    CHECK(t.size() == 750);
    t.checkInvariants();
    std::vector<BTree::Edit> all;
    for (int i = 0; i < 1000; ++i) all.push_back({ks[i], false});
    CHECK(t.apply(all) == 750);
    CHECK(t.empty());
    CHECK(t.nodeCount() == 0);
    t.checkInvariants();
  }
}

TEST_CASE("buildSorted fills nodes and is equivalent to inserts", "[btree]") {
  std::vector<std::string> keys;
  for (int i = 0; i < 20000; ++i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "entity-%08d", i);
    keys.emplace_back(buf);
  }
  std::vector<std::string_view> sv(keys.begin(), keys.end());
  for (size_t n : {size_t(0), size_t(1), size_t(2), size_t(100), size_t(20000)}) {
    for (BTreeConfig cfg : {kTiny, kDefault}) {
      BTree t = BTree::buildSorted(std::span<const std::string_view>(sv.data(), n), cfg);
      t.checkInvariants();
      CHECK(t.size() == n);
      std::vector<std::string> want(keys.begin(), keys.begin() + n);
      CHECK(collectForward(t) == want);
    }
  }
  BTree bulk = BTree::buildSorted(sv);
  // 20000 keys * (17 bytes + 2 offset bytes) fit in ~93 leaves of 4 KB.
  CHECK(bulk.nodeCount() <= 100);
  CHECK(bulk.memoryBytes() < 20000 * (17 + 4));
}
