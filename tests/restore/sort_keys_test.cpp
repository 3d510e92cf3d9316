// internal::sortKeys (the restore's and bulk load's key sort): 8-byte
// prefix records + LSD radix, runs of equal prefixes sorted further. Its
// order must be plain byte order, as std::sort of the string_views gives.
#include <algorithm>
#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "db/db_internal.h"

using datalite::internal::sortKeys;

namespace {

void checkSorted(const std::vector<std::string>& data) {
  std::vector<std::string_view> keys(data.begin(), data.end());
  std::vector<std::string_view> expected = keys;
  std::sort(expected.begin(), expected.end());
  sortKeys(keys);
  REQUIRE(keys.size() == expected.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    INFO("position " << i);
    REQUIRE(keys[i] == expected[i]);
  }
}

// Keys from a small alphabet with zero bytes (so zero padding and real zeros
// collide), many shared prefixes and lengths 0..maxLen.
std::vector<std::string> randomKeys(std::mt19937_64& rng, size_t n, size_t maxLen, int alphabet,
                                    const std::string& commonPrefix) {
  std::vector<std::string> out;
  out.reserve(n);
  std::uniform_int_distribution<size_t> len(0, maxLen);
  std::uniform_int_distribution<int> byte(0, alphabet - 1);
  std::uniform_int_distribution<int> coin(0, 3);
  for (size_t i = 0; i < n; ++i) {
    if (!out.empty() && coin(rng) == 0) {
      // A prefix or an extension of an earlier key, or a duplicate.
      std::string k = out[std::uniform_int_distribution<size_t>(0, out.size() - 1)(rng)];
      int what = coin(rng);
      if (what == 0 && !k.empty()) k.resize(len(rng) % k.size());
      else if (what == 1) k.push_back(static_cast<char>(byte(rng) == 0 ? 0 : 255));
      else if (what == 2) k.push_back('\0');
      out.push_back(k);
      continue;
    }
    std::string k = coin(rng) == 0 ? std::string() : commonPrefix;
    size_t l = len(rng);
    for (size_t j = 0; j < l; ++j) {
      int b = byte(rng);
      k.push_back(static_cast<char>(b == 1 ? 255 : b));  // 0x00, 0xff and small bytes
    }
    out.push_back(k);
  }
  return out;
}

}  // namespace

TEST_CASE("sortKeys: byte order, short, empty and prefix keys", "[restore][sortKeys]") {
  checkSorted({});
  checkSorted({""});
  checkSorted({"b", "", "a", ""});
  checkSorted({std::string("ab\0", 3), "ab", std::string("ab\0\0\0\0\0\0", 8),
               std::string("ab\0\0\0\0\0\0\0", 9), "abc", std::string("\xff"), std::string("\0", 1), ""});
  // 8-byte boundaries: equal chunks, keys ending exactly at 8 and 16 bytes.
  std::vector<std::string> edge;
  for (int rep = 0; rep < 40; ++rep)
    for (size_t l : {0, 1, 7, 8, 9, 15, 16, 17, 24, 25})
      edge.push_back(std::string(l, static_cast<char>(rep % 3 == 0 ? 0 : 'x')) + (rep % 2 ? "" : std::string(1, char(rep))));
  checkSorted(edge);
}

TEST_CASE("sortKeys: random keys match std::sort", "[restore][sortKeys]") {
  std::mt19937_64 rng(12345);
  // Sizes cover the std::sort (< 256), 8-bit (< 65536) and 16-bit radix paths.
  for (size_t n : {10, 31, 33, 100, 255, 256, 1000, 5000, 70000}) {
    for (size_t maxLen : {3, 9, 20, 40}) {
      for (int alphabet : {2, 4, 256}) {
        INFO("n " << n << " maxLen " << maxLen << " alphabet " << alphabet);
        checkSorted(randomKeys(rng, n, maxLen, alphabet, ""));
        if (n <= 5000) checkSorted(randomKeys(rng, n, maxLen, alphabet, std::string("\x01\x02\x03\x04\x05\x06\x07", 7)));
      }
    }
  }
  // Long shared prefixes (deep recursion, the depth cap) and key-like data:
  // a fixed header then big-endian ids.
  std::vector<std::string> deep = randomKeys(rng, 3000, 30, 3, std::string(70, 'p'));
  checkSorted(deep);
  std::vector<std::string> ids;
  for (uint64_t i = 0; i < 100000; ++i) {
    uint64_t e = (i * 2654435761u) % 50000;
    std::string k = "\x05";
    for (int b = 7; b >= 0; --b) k.push_back(static_cast<char>(e >> (8 * b)));
    k += "value" + std::to_string(i % 7);
    ids.push_back(k);
  }
  checkSorted(ids);
}

TEST_CASE("sortKeys: a few ascending runs are merged", "[restore][sortKeys]") {
  std::mt19937_64 rng(777);
  for (size_t runs : {1, 2, 3, 5, 17, 32, 33, 100}) {
    INFO("runs " << runs);
    std::vector<std::string> keys = randomKeys(rng, 4000, 12, 4, "");
    size_t per = keys.size() / runs + 1;
    for (size_t s = 0; s < keys.size(); s += per)
      std::sort(keys.begin() + s, keys.begin() + std::min(keys.size(), s + per));
    checkSorted(keys);
    std::reverse(keys.begin(), keys.end());  // descending runs: many runs
    checkSorted(keys);
  }
}
