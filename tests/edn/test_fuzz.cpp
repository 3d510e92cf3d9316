// Fuzz-ish robustness: random bytes and mutations of valid EDN. The reader may
// only ever throw DataliteError; whatever it accepts must print readably.
#include <catch2/catch.hpp>

#include <string>

#include "edn/edn.h"
#include "gen.h"

using namespace datalite;
using namespace datalite::edn;

namespace {

struct Outcome {
  size_t accepted = 0, parseErrors = 0, limitErrors = 0;
};

// Reads `input`; on success checks that the forms print and read back equal.
void feed(const std::string& input, Outcome& o, const ReadLimits& limits) {
  std::vector<Value> forms;
  try {
    forms = readAll(input, limits);
  } catch (const ReadError& e) {
    (e.code() == ErrorCode::LimitExceeded ? o.limitErrors : o.parseErrors)++;
    REQUIRE((e.code() == ErrorCode::ParseError || e.code() == ErrorCode::LimitExceeded));
    REQUIRE(e.offset() <= input.size());
    if (e.line() != 0) REQUIRE(e.column() >= 1);
    return;
  }
  // Anything other than a ReadError propagates and fails the test.
  ++o.accepted;
  for (const Value& v : forms) {
    std::string s = print(v);
    Value back;
    try {
      back = readOne(s);
    } catch (const DataliteError& e) {
      FAIL("accepted input prints unreadably.\n input: " << input << "\n printed: " << s << "\n error: " << e.what());
    }
    REQUIRE(compareValues(back, v) == 0);
  }
}

std::string mutate(edntest::Rng& r, std::string s) {
  static const char interesting[] = "()[]{}#_\\\";:,/-+.0123456789eENM \n\t{}#{##Inf\xC3\xA9\xFF\x80\x00";
  int edits = 1 + static_cast<int>(r.below(4));
  for (int k = 0; k < edits; ++k) {
    size_t pos = s.empty() ? 0 : r.below(s.size());
    switch (r.below(7)) {
      case 0:  // flip a byte
        if (!s.empty()) s[pos] = static_cast<char>(r.next());
        break;
      case 1:  // insert an interesting byte
        s.insert(s.begin() + static_cast<ptrdiff_t>(pos), interesting[r.below(sizeof interesting - 1)]);
        break;
      case 2:  // delete a range
        if (!s.empty()) s.erase(pos, 1 + r.below(8));
        break;
      case 3: {  // duplicate a range
        if (s.empty()) break;
        std::string piece = s.substr(pos, 1 + r.below(16));
        s.insert(r.below(s.size() + 1), piece);
        break;
      }
      case 4:  // truncate
        s.resize(pos);
        break;
      case 5:  // insert a prefix token
        {
          static const char* tokens[] = {"#_", "#inst", "#uuid", "#datalite/bytes", "#t", "##", "\\u", "\"", ":", "::",
                                         "#{", "N", "M", "e", "9223372036854775808", "\\uD800", "\\"};
          s.insert(pos, tokens[r.below(sizeof tokens / sizeof tokens[0])]);
        }
        break;
      default:  // swap two bytes
        if (s.size() > 1) std::swap(s[pos], s[r.below(s.size())]);
        break;
    }
  }
  return s;
}

}  // namespace

TEST_CASE("fuzz: random byte strings only raise DataliteError", "[edn][fuzz]") {
  edntest::Rng r(12345);
  Outcome o;
  ReadLimits limits;
  limits.maxDepth = 64;
  static const char alphabet[] = "()[]{}#_\\\";:,/-+.0123456789abcxyzeENMT \n\t\r^@'`~|%&*!?<>=$";
  for (int i = 0; i < 20000; ++i) {
    std::string s;
    size_t n = r.below(48);
    bool raw = r.chance(30);
    for (size_t k = 0; k < n; ++k)
      s.push_back(raw ? static_cast<char>(r.next()) : alphabet[r.below(sizeof alphabet - 1)]);
    feed(s, o, limits);
  }
  CHECK(o.parseErrors > 1000);
  CHECK(o.accepted > 100);
}

TEST_CASE("fuzz: mutations of valid EDN only raise DataliteError", "[edn][fuzz]") {
  edntest::Gen g(777);
  edntest::Rng r(4242);
  Outcome o;
  ReadLimits limits;
  limits.maxDepth = 8;  // small, so that depth errors happen too
  for (int i = 0; i < 3000; ++i) {
    std::string base = print(g.value(5));
    for (int m = 0; m < 4; ++m) feed(mutate(r, base), o, limits);
  }
  CHECK(o.accepted > 500);
  CHECK(o.parseErrors > 1000);
  CHECK(o.limitErrors > 0);
}

TEST_CASE("fuzz: item and size limits under mutation", "[edn][fuzz]") {
  edntest::Gen g(31337);
  edntest::Rng r(1);
  Outcome o;
  ReadLimits limits;
  limits.maxItems = 20;
  limits.maxInputBytes = 200;
  for (int i = 0; i < 2000; ++i) feed(mutate(r, print(g.value(4))), o, limits);
  CHECK(o.limitErrors > 0);
  CHECK(o.accepted > 0);
}
