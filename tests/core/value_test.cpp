#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <random>

#include "core/encoding.h"
#include "core/error.h"
#include "core/value.h"

using namespace datalite;

namespace {

int sign(int x) { return (x > 0) - (x < 0); }

int byteOrder(const std::string& a, const std::string& b) {
  int c = a.compare(b);
  return sign(c);
}

Value randomScalar(std::mt19937_64& rng, int depth = 0) {
  std::uniform_int_distribution<int> pick(0, depth < 2 ? 13 : 12);
  using namespace std::string_view_literals;
  static const std::string_view words[] = {""sv, "a"sv, "ab"sv, "b"sv, "a\0b"sv, "zz"sv, "\xc3\xa9t\xc3\xa9"sv,
                                           "Ivan"sv, "Ivanov"sv};
  switch (pick(rng)) {
    case 0: return Value::boolean(rng() & 1);
    case 1: return Value::integer(static_cast<int64_t>(rng()) >> (rng() % 64));
    case 2: return Value::integer(static_cast<int64_t>(rng() % 21) - 10);
    case 3: return Value::real(static_cast<double>(static_cast<int64_t>(rng() % 2001) - 1000) / 8.0);
    case 4: {
      static const double specials[] = {0.0, -0.5, 1e300, -1e300, 9223372036854775808.0, -9223372036854775808.0,
                                        std::numeric_limits<double>::infinity(),
                                        -std::numeric_limits<double>::infinity(), 5e-324, 1.0 + 1e-15,
                                        std::nan("")};
      return Value::real(specials[rng() % 11]);
    }
    case 5: return Value::bigint(static_cast<int64_t>(rng() % 21) - 10);
    case 6: return Value::instant(static_cast<int64_t>(rng() % 2000000) - 1000000);
    case 7: return Value::string(words[rng() % 9]);
    case 8: {
      static const char* kws[] = {"a", "b", "a/b", "a/c", "ab/a", "person/name", "z"};
      return Value::keyword(kws[rng() % 7]);
    }
    case 9: {
      static const char* syms[] = {"x", "y", "ns/x", "+"};
      return Value::symbol(syms[rng() % 4]);
    }
    case 10: {
      Uuid16 u;
      for (auto& b : u.bytes) b = static_cast<uint8_t>(rng() % 3);
      return Value::uuid(u);
    }
    case 11: return Value::bytes(std::string(rng() % 3, static_cast<char>(rng() % 2 ? 0 : 0xff)));
    case 12: return Value::integer(static_cast<int64_t>(rng() % 3) + 9007199254740991LL);
    default: {
      std::vector<Value> items;
      size_t n = rng() % 4;
      for (size_t i = 0; i < n; ++i) items.push_back(rng() % 5 == 0 ? Value() : randomScalar(rng, depth + 1));
      return Value::vector(std::move(items));
    }
  }
}

}  // namespace

TEST_CASE("keywords are interned and split into namespace and name", "[value]") {
  Keyword a = Keyword::intern("person/name");
  Keyword b = Keyword::intern("person/name");
  CHECK(a == b);
  CHECK(a.ns() == "person");
  CHECK(a.name() == "name");
  Keyword plain = Keyword::intern("name");
  CHECK(plain.ns().empty());
  CHECK(plain.name() == "name");
  CHECK(Value::symbol("/").interned().name() == "/");
}

TEST_CASE("numbers compare numerically across long, bigint and double", "[value]") {
  CHECK(compareValues(Value::integer(1), Value::real(1.5)) < 0);
  CHECK(compareValues(Value::real(2.5), Value::integer(2)) > 0);
  CHECK(compareValues(Value::integer(-3), Value::real(-2.5)) < 0);
  CHECK(compareValues(Value::integer(1), Value::real(1.0)) < 0);  // tie broken by kind
  CHECK(compareValues(Value::integer(INT64_MAX), Value::real(9223372036854775808.0)) < 0);
  CHECK(compareValues(Value::integer(9007199254740993LL), Value::real(9007199254740992.0)) > 0);
  CHECK(compareValues(Value::real(std::nan("")), Value::real(1e308)) > 0);
  CHECK(Value::real(-0.0) == Value::real(0.0));
  CHECK(compareValues(Value::integer(5), Value::string("a")) < 0);  // numbers before strings
}

TEST_CASE("signed and unsigned varints round-trip and keep order", "[encoding]") {
  std::vector<int64_t> samples = {INT64_MIN, INT64_MIN + 1, -65537, -65536, -257, -256, -255, -2, -1,
                                  0, 1, 255, 256, 65535, 65536, INT64_MAX - 1, INT64_MAX};
  std::string prev;
  for (size_t i = 0; i < samples.size(); ++i) {
    std::string enc;
    encodeSigned(samples[i], enc);
    const uint8_t* p = reinterpret_cast<const uint8_t*>(enc.data());
    CHECK(decodeSigned(p, p + enc.size()) == samples[i]);
    if (i) CHECK(prev < enc);
    prev = enc;
  }
  for (uint64_t n : {0ULL, 1ULL, 255ULL, 256ULL, ~0ULL}) {
    std::string enc;
    encodeUnsigned(n, enc);
    const uint8_t* p = reinterpret_cast<const uint8_t*>(enc.data());
    CHECK(decodeUnsigned(p, p + enc.size()) == n);
  }
}

TEST_CASE("value encoding order agrees with compareValues", "[encoding]") {
  std::mt19937_64 rng(42);
  std::vector<Value> values;
  for (int i = 0; i < 3000; ++i) values.push_back(randomScalar(rng));
  std::vector<std::string> encoded;
  for (const Value& v : values) encoded.push_back(encodeValue(v));
  for (int i = 0; i < 200000; ++i) {
    size_t x = rng() % values.size(), y = rng() % values.size();
    INFO("x=" << x << " y=" << y);
    REQUIRE(sign(compareValues(values[x], values[y])) == byteOrder(encoded[x], encoded[y]));
  }
}

TEST_CASE("value encoding round-trips and is self-delimiting", "[encoding]") {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 20000; ++i) {
    Value v = randomScalar(rng);
    std::string enc = encodeValue(v);
    enc += "\x42tail";
    const uint8_t* p = reinterpret_cast<const uint8_t*>(enc.data());
    const uint8_t* end = p + enc.size();
    Value back = decodeValue(p, end);
    REQUIRE(compareValues(back, v) == 0);
    REQUIRE(back.kind() == v.kind());
    REQUIRE(std::string_view(reinterpret_cast<const char*>(p), static_cast<size_t>(end - p)) == "\x42tail");
    const uint8_t* q = reinterpret_cast<const uint8_t*>(enc.data());
    REQUIRE(skipValue(q, end) == p);
  }
}

TEST_CASE("values that cannot be stored are rejected with a code", "[encoding]") {
  try {
    encodeValue(Value::map({Value::keyword("a"), Value::integer(1)}));
    FAIL("expected an error");
  } catch (const DataliteError& e) {
    CHECK(e.code() == ErrorCode::TypeMismatch);
  }
  CHECK_THROWS_AS(encodeValue(Value()), DataliteError);
  CHECK_FALSE(isEncodable(Value::list({})));
  CHECK(isEncodable(Value::vector({Value(), Value::integer(1)})));
}

TEST_CASE("corrupt encodings raise store-error instead of crashing", "[encoding]") {
  std::mt19937_64 rng(3);
  for (int i = 0; i < 20000; ++i) {
    std::string junk(rng() % 12, '\0');
    for (auto& c : junk) c = static_cast<char>(rng());
    const uint8_t* p = reinterpret_cast<const uint8_t*>(junk.data());
    try {
      decodeValue(p, p + junk.size());
    } catch (const DataliteError& e) {
      REQUIRE(e.code() == ErrorCode::StoreError);
    }
  }
}

TEST_CASE("uuids parse and format", "[value]") {
  Uuid16 u;
  REQUIRE(parseUuid("5f2b3c4d-0000-4abc-8def-0123456789AB", u));
  CHECK(formatUuid(u.bytes) == "5f2b3c4d-0000-4abc-8def-0123456789ab");
  CHECK_FALSE(parseUuid("5f2b3c4d-0000-4abc-8def-0123456789", u));
  CHECK_FALSE(parseUuid("5f2b3c4d+0000-4abc-8def-0123456789ab", u));
}
