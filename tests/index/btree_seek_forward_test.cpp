#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "index/btree.h"

using datalite::index::BTree;
using datalite::index::BTreeConfig;

namespace {

std::string keyOf(uint32_t n) {
  std::string k(4, '\0');
  for (int i = 0; i < 4; ++i) k[3 - i] = static_cast<char>((n >> (8 * i)) & 0xFF);
  return k;
}

}  // namespace

TEST_CASE("seekForward agrees with lowerBound for ascending probes", "[index][seek]") {
  for (BTreeConfig cfg : {BTreeConfig{64, 4}, BTreeConfig{}}) {
    std::mt19937 rng(11);
    std::vector<std::string> keys;
    for (uint32_t i = 0; i < 20000; i += 1 + rng() % 5) keys.push_back(keyOf(i));
    std::vector<std::string_view> views(keys.begin(), keys.end());
    BTree tree = BTree::buildSorted(views, cfg);
    std::vector<std::string> probes;
    for (int i = 0; i < 3000; ++i) probes.push_back(keyOf(rng() % 21000));
    std::sort(probes.begin(), probes.end());
    BTree::Iterator it = tree.lowerBound(probes.front());
    for (const std::string& p : probes) {
      it.seekForward(p);
      BTree::Iterator expected = tree.lowerBound(p);
      REQUIRE(it.valid() == expected.valid());
      if (expected.valid()) REQUIRE(it.key() == expected.key());
      // Walking on from a forward-seeked iterator stays in order.
      if (it.valid()) {
        BTree::Iterator a = it, b = expected;
        for (int s = 0; s < 3 && a.valid(); ++s, a.next(), b.next()) REQUIRE(a.key() == b.key());
      }
    }
  }
}

TEST_CASE("seekForward past the end leaves the iterator invalid", "[index][seek]") {
  std::vector<std::string> keys = {keyOf(1), keyOf(2), keyOf(3)};
  std::vector<std::string_view> views(keys.begin(), keys.end());
  BTree tree = BTree::buildSorted(views);
  BTree::Iterator it = tree.begin();
  it.seekForward(keyOf(9));
  CHECK_FALSE(it.valid());
  it.seekForward(keyOf(10));
  CHECK_FALSE(it.valid());
}
