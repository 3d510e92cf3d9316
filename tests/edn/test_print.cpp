// EDN printer: canonical text, doubles, instants, and print -> read round trips.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>

#include "edn/edn.h"
#include "edn/edn_detail.h"
#include "gen.h"

using namespace datalite;
using namespace datalite::edn;

namespace {

uint64_t bits(double d) {
  uint64_t b;
  std::memcpy(&b, &d, 8);
  return b;
}

std::string fmt(double d) {
  std::string s;
  detail::formatDouble(d, s);
  return s;
}
std::string fmtFallback(double d) {
  std::string s;
  detail::formatDoubleFallback(d, s);
  return s;
}

// Same structure and, for doubles, the same bits (NaNs: both NaN).
bool sameDoubleBits(const Value& a, const Value& b) {
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Kind::Double:
      return std::isnan(a.asDouble()) ? std::isnan(b.asDouble()) : bits(a.asDouble()) == bits(b.asDouble());
    case Kind::Vector: case Kind::List: case Kind::Map: case Kind::Set:
      if (a.items().size() != b.items().size()) return false;
      for (size_t i = 0; i < a.items().size(); ++i)
        if (!sameDoubleBits(a.items()[i], b.items()[i])) return false;
      return true;
    case Kind::Tagged: return sameDoubleBits(a.taggedValue(), b.taggedValue());
    default: return true;
  }
}

}  // namespace

TEST_CASE("canonical printing of every kind", "[edn][print]") {
  CHECK(print(Value::nil()) == "nil");
  CHECK(print(Value::boolean(true)) == "true");
  CHECK(print(Value::boolean(false)) == "false");
  CHECK(print(Value::integer(-42)) == "-42");
  CHECK(print(Value::integer(INT64_MIN)) == "-9223372036854775808");
  CHECK(print(Value::integer(INT64_MAX)) == "9223372036854775807");
  CHECK(print(Value::bigint(7)) == "7N");
  CHECK(print(Value::bigint(INT64_MIN)) == "-9223372036854775808N");
  CHECK(print(Value::real(2.5)) == "2.5");
  CHECK(print(Value::real(1.0)) == "1.0");
  CHECK(print(Value::real(-3.0)) == "-3.0");
  CHECK(print(Value::real(0.1)) == "0.1");
  CHECK(print(Value::real(-0.0)) == "0.0");
  CHECK(print(Value::real(1e100)) == "1e+100");
  CHECK(print(Value::real(5e-324)) == "5e-324");
  CHECK(print(Value::real(std::numeric_limits<double>::infinity())) == "##Inf");
  CHECK(print(Value::real(-std::numeric_limits<double>::infinity())) == "##-Inf");
  CHECK(print(Value::real(std::nan(""))) == "##NaN");
  CHECK(print(Value::string("x\n")) == "\"x\\n\"");
  CHECK(print(Value::string("q\"b\\t\tr\rb\bf\f")) == R"("q\"b\\t\tr\rb\bf\f")");
  CHECK(print(Value::string(std::string("\0\x01\x1F\x7F", 4))) == R"("\u0000\u0001\u001F\u007F")");
  CHECK(print(Value::string("\xC3\xA9\xF0\x9F\x98\x80")) == "\"\xC3\xA9\xF0\x9F\x98\x80\"");  // UTF-8 kept
  CHECK(print(Value::string("a\xFF" "b\xC3")) == R"("a\uFFFDb\uFFFD")");  // invalid UTF-8 -> U+FFFD
  CHECK(print(Value::character('a')) == "\\a");
  CHECK(print(Value::character('\n')) == "\\newline");
  CHECK(print(Value::character(' ')) == "\\space");
  CHECK(print(Value::character('\t')) == "\\tab");
  CHECK(print(Value::character('\r')) == "\\return");
  CHECK(print(Value::character('\f')) == "\\formfeed");
  CHECK(print(Value::character('\b')) == "\\backspace");
  CHECK(print(Value::character(0)) == "\\u0000");
  CHECK(print(Value::character(0xE9)) == "\\u00E9");
  CHECK(print(Value::character(0x1F600)) == "\\\xF0\x9F\x98\x80");
  CHECK(print(Value::character(0xD800)) == "\\uFFFD");
  CHECK(print(Value::keyword("a")) == ":a");
  CHECK(print(Value::keyword("ns/a")) == ":ns/a");
  CHECK(print(Value::symbol("ns/a")) == "ns/a");
  CHECK(print(Value::instant(0)) == "#inst \"1970-01-01T00:00:00.000-00:00\"");
  CHECK(print(Value::instant(1577836800000)) == "#inst \"2020-01-01T00:00:00.000-00:00\"");
  CHECK(print(Value::instant(-1)) == "#inst \"1969-12-31T23:59:59.999-00:00\"");
  CHECK(print(Value::instant(482196050520)) == "#inst \"1985-04-12T23:20:50.520-00:00\"");
  Uuid16 u;
  REQUIRE(parseUuid("f81d4fae-7dec-11d0-a765-00a0c91e6bf6", u));
  CHECK(print(Value::uuid(u)) == "#uuid \"f81d4fae-7dec-11d0-a765-00a0c91e6bf6\"");
  CHECK(print(Value::bytes(std::string("\x00\x01\x02\xFF", 4))) == "#datalite/bytes \"AAEC/w==\"");
  CHECK(print(Value::bytes("")) == "#datalite/bytes \"\"");
  CHECK(print(Value::tagged("my/tag", Value::integer(1))) == "#my/tag 1");
  CHECK(print(Value::vector({})) == "[]");
  CHECK(print(Value::list({})) == "()");
  CHECK(print(Value::map({})) == "{}");
  CHECK(print(Value::set({})) == "#{}");
  Value m = Value::map({Value::keyword("a"), Value::integer(1), Value::keyword("b"),
                        Value::vector({Value::integer(1), Value::real(2.5), Value::string("x\n")})});
  CHECK(print(m) == "{:a 1, :b [1 2.5 \"x\\n\"]}");
  CHECK(print(Value::set({Value::integer(1), Value::list({Value::symbol("f"), Value::nil()})})) == "#{1 (f nil)}");
  CHECK(print(Value::tagged("a", Value::tagged("b", Value::vector({Value::integer(1)})))) == "#a #b [1]");
  // Appending form.
  std::string out = "x=";
  print(Value::integer(5), out);
  CHECK(out == "x=5");
}

TEST_CASE("instants: printing and reading agree over the whole int64 range", "[edn][print]") {
  for (int64_t ms : {int64_t(0), int64_t(-1), int64_t(1), int64_t(951782400000), int64_t(-62135596800000),
                     int64_t(-62135596800001), int64_t(-62167219200001), int64_t(253402300799999), int64_t(253402300800000), INT64_MIN,
                     INT64_MAX, INT64_MIN + 1, INT64_MAX - 1}) {
    std::string s = print(Value::instant(ms));
    INFO(s);
    CHECK(readOne(s).asInstant() == ms);
  }
  CHECK(print(Value::instant(253402300800000)) == "#inst \"+10000-01-01T00:00:00.000-00:00\"");
  CHECK(print(Value::instant(-62135596800001)) == "#inst \"0000-12-31T23:59:59.999-00:00\"");
  CHECK(print(Value::instant(-62167219200001)) == "#inst \"-0001-12-31T23:59:59.999-00:00\"");
  edntest::Rng r(7);
  for (int i = 0; i < 20000; ++i) {
    int64_t ms = static_cast<int64_t>(r.next()) >> r.below(40);
    REQUIRE(readOne(print(Value::instant(ms))).asInstant() == ms);
  }
  int64_t ms = 0;
  CHECK(detail::parseInstant("-292275055-05-16T16:47:04.192Z", ms) == nullptr);
  CHECK(ms == INT64_MIN);
  CHECK(detail::parseInstant("-292275055-05-16T16:47:04.191Z", ms) != nullptr);  // one ms below
  CHECK(detail::parseInstant("+292278994-08-17T07:12:55.808Z", ms) != nullptr);  // one ms above
  CHECK(detail::parseInstant("99999", ms) != nullptr);                           // 5 digits need a sign
}

TEST_CASE("doubles print shortest and read back bit-exactly", "[edn][print][double]") {
  CHECK(fmt(0.3) == "0.3");
  CHECK(fmt(0.1 + 0.2) == "0.30000000000000004");
  CHECK(fmt(1e21) == "1e+21");
  CHECK(fmt(123456.0) == "123456.0");
  CHECK(fmt(1.7976931348623157e308) == "1.7976931348623157e+308");
  edntest::Rng r(42);
  for (int i = 0; i < 200000; ++i) {
    uint64_t b = r.next();
    if (i % 4 == 1) b &= 0x800FFFFFFFFFFFFFULL;  // subnormals
    if (i % 4 == 2) b = (b & 0x8000FFFFFFFFFFFFULL) | (uint64_t(0x3F0 + r.below(0x20)) << 52);  // "normal" magnitudes
    double d;
    std::memcpy(&d, &b, 8);
    std::string s = fmt(d);
    if (std::isnan(d)) {
      REQUIRE(s == "##NaN");
      continue;
    }
    if (std::isinf(d)) continue;
    REQUIRE(s.find_first_of(".e") != std::string::npos);
    double back = 0;
    REQUIRE(detail::parseDouble(s, back) == detail::FloatStatus::Ok);
    INFO(s);
    REQUIRE(bits(back) == bits(d));
    // Through the whole reader as well.
    if (i % 16 == 0) {
      Value v = readOne(s);
      REQUIRE(v.kind() == Kind::Double);
      REQUIRE(bits(v.asDouble()) == bits(d == 0 ? 0.0 : d));
    }
  }
}

TEST_CASE("portable double fallbacks (used where from_chars/to_chars are missing)", "[edn][print][double]") {
  // parseDoubleFallback must agree with the primary parser everywhere.
  for (const char* t : {"0", "1", "-1", "0.1", "1e308", "1.7976931348623157e308", "5e-324", "4.9406564584124654e-324",
                        "2.4703282292062328e-324", "2.4703282292062327e-324", "2.2250738585072011e-308",
                        "9007199254740993", "9007199254740993.0000000001", "123456789012345678901234567890",
                        "0.000000000000000000000000000001", "1e22", "1e23", "8.5e-7", "1000000000000000000000000",
                        "+3.25", "-0.0", "1e-400", "00.5", "1.", "0e999999999999999999999"}) {
    INFO(t);
    double a = 1, b = 2;
    auto sa = detail::parseDouble(t, a);
    auto sb = detail::parseDoubleFallback(t, b);
    CHECK(sa == sb);
    if (sa == detail::FloatStatus::Ok) CHECK(bits(a) == bits(b));
  }
  double x;
  CHECK(detail::parseDoubleFallback("1e309", x) == detail::FloatStatus::Overflow);
  CHECK(detail::parseDouble("1e309", x) == detail::FloatStatus::Overflow);
  CHECK(detail::parseDoubleFallback("-1e99999999999999999999", x) == detail::FloatStatus::Overflow);
  CHECK(detail::parseDoubleFallback("1e-99999999999999999999", x) == detail::FloatStatus::Ok);
  CHECK(x == 0.0);
  for (const char* t : {"", "-", "e5", ".5", "1e", "1x", "1.5.", "inf", "nan", "0x10", "1e+-5"}) {
    CHECK(detail::parseDouble(t, x) == detail::FloatStatus::Invalid);
    CHECK(detail::parseDoubleFallback(t, x) == detail::FloatStatus::Invalid);
  }
  edntest::Rng r(99);
  for (int i = 0; i < 20000; ++i) {
    uint64_t b = r.next();
    double d;
    std::memcpy(&d, &b, 8);
    if (std::isnan(d) || std::isinf(d)) continue;
    std::string s = fmtFallback(d);
    REQUIRE(s.find_first_of(".e") != std::string::npos);
    double back1 = 0, back2 = 0;
    INFO(s);
    REQUIRE(detail::parseDoubleFallback(s, back1) == detail::FloatStatus::Ok);
    REQUIRE(bits(back1) == bits(d));
    REQUIRE(detail::parseDouble(s, back2) == detail::FloatStatus::Ok);
    REQUIRE(bits(back2) == bits(d));
    // Shortest: no more significant digits than the primary formatter (which,
    // in fixed notation for large integers, may print more digits than needed).
    std::string p = fmt(d);
    auto digits = [](const std::string& t) {
      std::string m = t.substr(0, t.find('e'));
      std::string ds;
      for (char c : m)
        if (c >= '0' && c <= '9') ds.push_back(c);
      size_t a = ds.find_first_not_of('0');
      if (a == std::string::npos) return size_t(1);
      size_t z = ds.find_last_not_of('0');
      return z - a + 1;
    };
    REQUIRE(digits(s) <= digits(p));
    if (p.find('e') != std::string::npos) REQUIRE(digits(s) == digits(p));
  }
  // The fallback lays the digits out as to_chars does (fixed when not
  // longer than scientific), so every platform prints the same text.
  edntest::Rng r2(7);
  for (int i = 0; i < 20000; ++i) {
    double d = std::ldexp(static_cast<double>(r2.next() >> 11), static_cast<int>(r2.next() % 160) - 100);
    if (i % 3 == 0) d = std::round(d);
    if (i % 2 == 0) d = -d;
    INFO(d);
    REQUIRE(fmtFallback(d) == fmt(d));
  }
  CHECK(fmtFallback(9223372036854775808.0) == "9223372036854775808.0");
  CHECK(fmtFallback(1e20) == "1e+20");
  CHECK(fmtFallback(123456.789) == "123456.789");
  CHECK(fmtFallback(1e-7) == "1e-07");
  CHECK(fmtFallback(0.001) == "0.001");
  CHECK(fmtFallback(1.0) == "1.0");
  CHECK(fmtFallback(0.1) == "0.1");
  CHECK((fmtFallback(5e-324) == "5e-324" || fmtFallback(5e-324) == "5e-324.0"));
  CHECK(fmtFallback(std::nan("")) == "##NaN");
  CHECK(fmtFallback(-std::numeric_limits<double>::infinity()) == "##-Inf");
}

TEST_CASE("base64 round trip", "[edn][print]") {
  edntest::Rng r(5);
  for (int i = 0; i < 2000; ++i) {
    std::string raw;
    size_t n = r.below(40);
    for (size_t k = 0; k < n; ++k) raw.push_back(static_cast<char>(r.next()));
    std::string enc, dec;
    detail::base64Encode(raw, enc);
    REQUIRE(enc.size() % 4 == 0);
    REQUIRE(detail::base64Decode(enc, dec));
    REQUIRE(dec == raw);
  }
}

TEST_CASE("randomized corpus: read(print(v)) == v, bit-exact doubles, canonical", "[edn][print][roundtrip]") {
  edntest::Gen g(20240601);
  size_t total = 0;
  for (int i = 0; i < 3000; ++i) {
    Value v = g.value(6);
    std::string s = print(v);
    total += s.size();
    Value back;
    try {
      back = readOne(s);
    } catch (const DataliteError& e) {
      FAIL("cannot read back: " << s << "\n  error: " << e.what());
    }
    INFO(s);
    REQUIRE(compareValues(back, v) == 0);
    REQUIRE(sameDoubleBits(back, v));
    REQUIRE(print(back) == s);
  }
  // All of them as one readAll stream, separated by nothing but what print emits + newline.
  edntest::Gen g2(7);
  std::vector<Value> vs;
  std::string all;
  for (int i = 0; i < 500; ++i) {
    vs.push_back(g2.value(4));
    print(vs.back(), all);
    all += i % 2 ? "\n" : " ;comment\n";
  }
  auto back = readAll(all);
  REQUIRE(back.size() == vs.size());
  for (size_t i = 0; i < vs.size(); ++i) REQUIRE(compareValues(back[i], vs[i]) == 0);
  CHECK(total > 100000);
}

TEST_CASE("printing very deep values does not recurse", "[edn][print]") {
  // Build 100000 levels iteratively; print must not overflow the C stack.
  Value v = Value::vector({});
  for (int i = 0; i < 100000; ++i) v = Value::vector({std::move(v)});
  std::string s = print(v);
  CHECK(s.size() == 2 * 100001);
  CHECK(s.substr(0, 3) == "[[[");
  // Destroying such a value recurses in core: unwrap it level by level.
  while (v.kind() == Kind::Vector && v.count() == 1) {
    Value inner = v.at(0);
    v = std::move(inner);
  }
  // Deep tags too.
  Value t = Value::integer(1);
  for (int i = 0; i < 100000; ++i) t = Value::tagged("t", std::move(t));
  CHECK(print(t).size() == 3 * 100000 + 1);
  while (t.kind() == Kind::Tagged) {
    Value inner = t.taggedValue();
    t = std::move(inner);
  }
}
