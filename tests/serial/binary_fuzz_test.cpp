// Fuzz-style: valid snapshots with bytes flipped, replaced, inserted, cut
// or truncated (seeded, reproducible). Only DataliteError(InvalidInput) may
// escape deserializeDb; whatever loads must be a usable db. Most mutants get
// a re-sealed header (length and checksum fixed) so the mutation reaches the
// parser behind the checksum; the rest test the checksum itself.
#include <catch2/catch.hpp>

#include <random>

#include "serial/binary_format.h"
#include "serial_test_util.h"

using namespace datalite;
using namespace datalite::testing;

namespace {

void reseal(std::string& s) {
  if (s.size() < serial::binary::kHeaderSize) return;
  uint64_t n = s.size() - serial::binary::kHeaderSize;
  for (int i = 0; i < 8; ++i) s[8 + i] = static_cast<char>((n >> (8 * i)) & 0xFF);
  serial::binary::sealChecksum(s);
}

std::string mutate(std::string s, std::mt19937_64& rng) {
  auto pick = [&](size_t n) { return n ? static_cast<size_t>(rng() % n) : 0; };
  int edits = 1 + static_cast<int>(rng() % 3);
  for (int k = 0; k < edits && !s.empty(); ++k) {
    switch (rng() % 6) {
      case 0: s[pick(s.size())] ^= static_cast<char>(1u << (rng() % 8)); break;  // flip a bit
      case 1: s[pick(s.size())] = static_cast<char>(rng()); break;               // replace a byte
      case 2: s.resize(pick(s.size())); break;                                    // truncate
      case 3: s.insert(pick(s.size() + 1), std::string(1 + pick(4), static_cast<char>(rng()))); break;
      case 4: {  // cut a range
        size_t at = pick(s.size());
        s.erase(at, 1 + pick(8));
        break;
      }
      case 5: {  // duplicate a range
        size_t at = pick(s.size());
        s.insert(at, s.substr(at, 1 + pick(16)));
        break;
      }
    }
  }
  return s;
}

}  // namespace

TEST_CASE("binary fuzz: mutated snapshots raise only DataliteError", "[serial][binary][fuzz]") {
  std::vector<std::string> seeds = {serial::serializeDb(richDb()), serial::serializeDb(bigDb(60)),
                                    serial::serializeDb(Db::empty(read(kRichSchema))), serial::serializeDb(Db())};
  std::mt19937_64 rng(0x5eed2024);
  int loaded = 0, rejected = 0;
  for (int i = 0; i < 6000; ++i) {
    std::string bytes = mutate(seeds[static_cast<size_t>(i) % seeds.size()], rng);
    if (rng() % 8 != 0) reseal(bytes);
    try {
      Db db = serial::deserializeDb(bytes);
      ++loaded;
      // Whatever loads is a consistent db: it serializes and reloads to itself.
      std::string again = serial::serializeDb(db);
      CHECK(describe(serial::deserializeDb(again), false) == describe(db, false));
    } catch (const DataliteError& e) {
      ++rejected;
      if (e.code() != ErrorCode::InvalidInput) FAIL("mutant " << i << ": " << e.codeName() << ": " << e.what());
    }
  }
  INFO("loaded " << loaded << ", rejected " << rejected);
  CHECK(rejected > 3000);
}

TEST_CASE("binary fuzz: every truncation of a snapshot is rejected", "[serial][binary][fuzz]") {
  std::string good = serial::serializeDb(richDb());
  for (size_t n = 0; n < good.size(); n += 1 + n / 64) {
    std::string cut = good.substr(0, n);
    Caught plain = catchError([&] { serial::deserializeDb(cut); });
    CHECK(plain.code == "invalid-input");
    reseal(cut);  // also behind a matching length and checksum
    Caught sealed = catchError([&] { serial::deserializeDb(cut); });
    INFO("cut at " << n << ": " << sealed.message);
    CHECK(sealed.code == "invalid-input");
  }
}
