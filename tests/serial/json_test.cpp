// The strict JSON reader and the writer helpers of src/serial/json.h.
#include <catch2/catch.hpp>

#include <cmath>

#include "serial/json.h"
#include "test_support.h"

using namespace datalite;
using namespace datalite::testing;
using datalite::serial::json::Document;
using datalite::serial::json::Limits;
using datalite::serial::json::Ref;
using datalite::serial::json::Type;

namespace {

Caught parseError(const std::string& text, const Limits& limits = {}) {
  return catchError([&] { Document::parse(text, limits); });
}

std::string str(const std::string& s) {
  std::string out;
  serial::json::appendString(s, out);
  return out;
}

}  // namespace

TEST_CASE("json: values, nesting and lookups", "[serial][json]") {
  Document doc = Document::parse(R"( {"a": [1, -2, 3.5, 1e3, true, false, null, "x"], "b": {"c": []}, "d": {}} )");
  Ref root = doc.root();
  REQUIRE(root.isObject());
  CHECK(root.size() == 3);
  Ref a;
  REQUIRE(root.find("a", a));
  REQUIRE(a.isArray());
  CHECK(a.size() == 8);
  CHECK(a.at(0).type() == Type::Integer);
  CHECK(a.at(0).asInteger() == 1);
  CHECK(a.at(1).asInteger() == -2);
  CHECK(a.at(2).type() == Type::Double);
  CHECK(a.at(2).asDouble() == 3.5);
  CHECK(a.at(3).type() == Type::Double);  // an exponent makes a double
  CHECK(a.at(3).asDouble() == 1000.0);
  CHECK(a.at(4).asBool());
  CHECK_FALSE(a.at(5).asBool());
  CHECK(a.at(6).isNull());
  CHECK(a.at(7).asString() == "x");
  Ref b, c, d, missing;
  REQUIRE(root.find("b", b));
  REQUIRE(b.find("c", c));
  CHECK(c.isArray());
  CHECK(c.size() == 0);
  REQUIRE(root.find("d", d));
  CHECK(d.isObject());
  CHECK(d.size() == 0);
  CHECK_FALSE(root.find("zz", missing));
  // Siblings skip whole subtrees.
  Document nested = Document::parse(R"([[1,[2,[3]]],{"k":[4]},5])");
  Ref first = nested.root().firstChild();
  CHECK(first.next().isObject());
  CHECK(first.next().next().asInteger() == 5);
}

TEST_CASE("json: numbers", "[serial][json]") {
  CHECK(Document::parse("0").root().asInteger() == 0);
  CHECK(Document::parse("-0").root().asInteger() == 0);
  CHECK(Document::parse("9223372036854775807").root().asInteger() == INT64_MAX);
  CHECK(Document::parse("-9223372036854775808").root().asInteger() == INT64_MIN);
  Document big = Document::parse("12345678901234567890");
  CHECK(big.root().type() == Type::Double);  // beyond int64, as JavaScript reads it
  CHECK(big.root().asDouble() == 12345678901234567890.0);
  CHECK(Document::parse("2.0").root().type() == Type::Double);
  CHECK(Document::parse("5e-324").root().asDouble() == 5e-324);
  CHECK(Document::parse("1E+2").root().asDouble() == 100.0);
  for (const char* bad : {"01", "-", "1.", ".5", "+1", "1e", "1e+", "0x10", "Infinity", "NaN", "-01", "1.e5"}) {
    INFO(bad);
    CHECK(parseError(bad).code == "invalid-input");
  }
  CHECK_THAT(parseError("1e400").message, Catch::Matchers::Contains("out of the double range"));
}

TEST_CASE("json: strings, escapes and UTF-8", "[serial][json]") {
  Document doc = Document::parse(R"(["a\"b\\c\/d\b\f\n\r\t", "\u00e9\u4e16\ud83d\ude00", "Grüße 😀", "\u0000x"])");
  Ref s = doc.root().firstChild();
  CHECK(s.asString() == "a\"b\\c/d\b\f\n\r\t");
  CHECK(s.next().asString() == "é世😀");
  CHECK(s.next().next().asString() == "Grüße 😀");
  CHECK(s.next().next().next().asString() == std::string("\0x", 2));
  CHECK_THAT(parseError(R"("\ud83d")").message, Catch::Matchers::Contains("surrogate"));
  CHECK_THAT(parseError(R"("\ude00")").message, Catch::Matchers::Contains("lone low surrogate"));
  CHECK_THAT(parseError(R"("\ud83dx")").message, Catch::Matchers::Contains("surrogate"));
  CHECK_THAT(parseError(R"("\u12")").message, Catch::Matchers::Contains("\\u"));
  CHECK_THAT(parseError(R"("\x")").message, Catch::Matchers::Contains("invalid escape"));
  CHECK_THAT(parseError("\"a\nb\"").message, Catch::Matchers::Contains("control character"));
  CHECK_THAT(parseError("\"\xff\"").message, Catch::Matchers::Contains("UTF-8"));
  CHECK_THAT(parseError("\"\xc3\"").message, Catch::Matchers::Contains("UTF-8"));
  CHECK_THAT(parseError("\"abc").message, Catch::Matchers::Contains("unterminated"));
}

TEST_CASE("json: syntax errors name the byte", "[serial][json]") {
  for (const char* bad : {"", " ", "[", "[1,]", "[1 2]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "{\"a\":}", "[1]]",
                          "tru", "nul", "[1] x", "{\"a\":1}{}", "'x'", "[,1]", "{,}"}) {
    INFO("input: " << bad);
    Caught c = parseError(bad);
    CHECK(c.code == "invalid-input");
    CHECK_THAT(c.message, Catch::Matchers::StartsWith("JSON syntax error at byte "));
  }
  CHECK_THAT(parseError("[1, ?]").message, Catch::Matchers::Contains("byte 4"));
  // Whitespace JSON allows, and nothing else.
  CHECK(Document::parse(" \t\r\n[ 1 ,\n2 ] \n").root().size() == 2);
  CHECK(parseError("[1,\f2]").code == "invalid-input");
}

TEST_CASE("json: limits", "[serial][json]") {
  Limits limits;
  limits.maxDepth = 4;
  CHECK(Document::parse("[[[[1]]]]", limits).root().isArray());
  Caught deep = parseError("[[[[[1]]]]]", limits);
  CHECK(deep.code == "limit-exceeded");
  CHECK_THAT(deep.message, Catch::Matchers::Contains("deeper than 4"));
  // The default depth stops pathological nesting without recursion.
  CHECK(parseError(std::string(100000, '[')).code == "limit-exceeded");
  Limits small;
  small.maxInputBytes = 10;
  CHECK(parseError("[1,2,3,4,5,6]", small).code == "limit-exceeded");
  Limits few;
  few.maxValues = 3;
  CHECK(Document::parse("[1,2]", few).root().size() == 2);
  CHECK(parseError("[1,2,3]", few).code == "limit-exceeded");
}

TEST_CASE("json: writing strings and numbers", "[serial][json]") {
  CHECK(str("plain") == "\"plain\"");
  CHECK(str("q\"b\\n\nt\tc\x01") == "\"q\\\"b\\\\n\\nt\\tc\\u0001\"");
  CHECK(str("é😀") == "\"é😀\"");
  CHECK(str("bad \xff byte") == "\"bad \\ufffd byte\"");  // always valid JSON
  CHECK(str(std::string("\0", 1)) == "\"\\u0000\"");
  // What we write reads back.
  std::string text = "[" + str("x\"\\\n\x1f😀") + "]";
  CHECK(Document::parse(text).root().firstChild().asString() == "x\"\\\n\x1f😀");
  std::string out;
  serial::json::appendDouble(2.0, out);
  out += ' ';
  serial::json::appendDouble(0.1, out);
  out += ' ';
  serial::json::appendDouble(1e21, out);
  out += ' ';
  serial::json::appendDouble(-5e-324, out);
  out += ' ';
  serial::json::appendInteger(INT64_MIN, out);
  CHECK(out == "2.0 0.1 1e+21 -5e-324 -9223372036854775808");
  for (double d : {2.0, 0.1, 1e21, -5e-324, 123456.789, 1.7976931348623157e308}) {
    std::string t;
    serial::json::appendDouble(d, t);
    Document doc = Document::parse(t);
    CHECK(doc.root().type() == Type::Double);
    CHECK(doc.root().asDouble() == d);
  }
}
