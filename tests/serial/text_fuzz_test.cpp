// Fuzz-style for the text loaders: JSON and EDN dumps with characters
// changed (biased towards digits and structure, so many mutants still parse
// and reach the shape checks). Only DataliteError may escape.
#include <catch2/catch.hpp>

#include <random>

#include "serial_test_util.h"

using namespace datalite;
using namespace datalite::testing;

namespace {

std::string mutateText(std::string s, std::mt19937_64& rng) {
  static const std::string kPool = "0123456789-.,:[]{}\"e\\ 12345:a/#N";
  auto pick = [&](size_t n) { return n ? static_cast<size_t>(rng() % n) : 0; };
  int edits = 1 + static_cast<int>(rng() % 3);
  for (int k = 0; k < edits && !s.empty(); ++k) {
    size_t at = pick(s.size());
    switch (rng() % 5) {
      case 0: s[at] = kPool[pick(kPool.size())]; break;
      case 1: s.insert(at, 1, kPool[pick(kPool.size())]); break;
      case 2: s.erase(at, 1 + pick(4)); break;
      case 3: s.resize(at); break;
      case 4:  // replace a digit run's digit: numbers change, structure stays
        for (size_t i = at; i < s.size(); ++i)
          if (s[i] >= '0' && s[i] <= '9') {
            s[i] = static_cast<char>('0' + rng() % 10);
            break;
          }
        break;
    }
  }
  return s;
}

template <class Load>
void fuzz(const std::vector<std::string>& seeds, Load&& load, uint64_t seed, int rounds) {
  std::mt19937_64 rng(seed);
  int loaded = 0;
  for (int i = 0; i < rounds; ++i) {
    std::string text = mutateText(seeds[static_cast<size_t>(i) % seeds.size()], rng);
    try {
      Db db = load(text);
      db.count();
      ++loaded;
    } catch (const DataliteError& e) {
      std::string code(e.codeName());
      if (code != "invalid-input" && code != "parse-error" && code != "limit-exceeded")
        FAIL("mutant " << i << ": " << code << ": " << e.what());
    }
  }
  INFO("loaded " << loaded << " of " << rounds);
  CHECK(loaded > 0);  // some mutants are valid: the checks run on real data
}

}  // namespace

TEST_CASE("text fuzz: mutated JSON raises only DataliteError", "[serial][json][fuzz]") {
  std::vector<std::string> seeds = {serial::toSerializableJson(richDb()), readFile(fixturesDir() / "people.json"),
                                    readFile(fixturesDir() / "values.json"), readFile(fixturesDir() / "tuples.json")};
  fuzz(seeds, [](const std::string& t) { return serial::fromSerializableJson(t); }, 0x15011, 3000);
}

TEST_CASE("text fuzz: mutated EDN dumps raise only DataliteError", "[serial][edn][fuzz]") {
  std::vector<std::string> seeds = {serial::toEdnDump(richDb()), serial::toEdnDump(bigDb(20))};
  fuzz(seeds, [](const std::string& t) { return serial::fromEdnDump(t); }, 0xED11, 2000);
}
