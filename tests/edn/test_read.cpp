// EDN reader: every literal kind, escapes, numbers, collections, tags, discard.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>

#include "edn/edn.h"

using namespace datalite;
using namespace datalite::edn;

namespace {

Value kw(std::string_view s) { return Value::keyword(s); }
Value sym(std::string_view s) { return Value::symbol(s); }
Value i64(int64_t v) { return Value::integer(v); }

uint64_t bits(double d) {
  uint64_t b;
  std::memcpy(&b, &d, 8);
  return b;
}

ErrorCode codeOf(std::string_view text) {
  try {
    readAll(text);
  } catch (const DataliteError& e) {
    return e.code();
  }
  FAIL("expected an error for: " << text);
  return ErrorCode::InvalidInput;
}

}  // namespace

TEST_CASE("nil, booleans", "[edn][read]") {
  CHECK(readOne("nil").kind() == Kind::Nil);
  CHECK(readOne("true").kind() == Kind::Boolean);
  CHECK(readOne("true").asBool());
  CHECK_FALSE(readOne("false").asBool());
  CHECK(readOne("  nil  ").isNil());
  // Prefixed by these words, they are symbols.
  CHECK(readOne("nilly") == sym("nilly"));
  CHECK(readOne("true?") == sym("true?"));
  CHECK(readOne("nil/x") == sym("nil/x"));
}

TEST_CASE("strings and escapes", "[edn][read]") {
  CHECK(readOne("\"\"").asString() == "");
  CHECK(readOne("\"hello\"").asString() == "hello");
  CHECK(readOne(R"("a\tb\rc\nd\\e\"f\bg\fh")").asString() == "a\tb\rc\nd\\e\"f\bg\fh");
  CHECK(readOne(R"("\u0041\u00e9\u20AC")").asString() == "A\xC3\xA9\xE2\x82\xAC");
  CHECK(readOne(R"("\u0000")").asString() == std::string("\0", 1));
  // Surrogate pair -> one 4-byte UTF-8 sequence (U+1F600).
  CHECK(readOne(R"("\uD83D\uDE00")").asString() == "\xF0\x9F\x98\x80");
  CHECK(readOne(R"("x\ud83d\ude00y")").asString() == "x\xF0\x9F\x98\x80y");
  // Raw UTF-8 and raw newlines pass through.
  CHECK(readOne("\"\xC3\xA9\xF0\x9F\x98\x80\"").asString() == "\xC3\xA9\xF0\x9F\x98\x80");
  CHECK(readOne("\"a\nb\"").asString() == "a\nb");
  // Mixed fast/slow paths.
  CHECK(readOne("\"\xC3\xA9\\n\xC3\xA9\"").asString() == "\xC3\xA9\n\xC3\xA9");
  // Lone surrogates and bad escapes are parse errors.
  CHECK(codeOf(R"("\uD83D")") == ErrorCode::ParseError);
  CHECK(codeOf(R"("\uD83Dx")") == ErrorCode::ParseError);
  CHECK(codeOf(R"("\uDE00")") == ErrorCode::ParseError);
  CHECK(codeOf(R"("\uD83D\u0041")") == ErrorCode::ParseError);
  CHECK(codeOf(R"("\u12")") == ErrorCode::ParseError);
  CHECK(codeOf(R"("\u12G4")") == ErrorCode::ParseError);
  CHECK(codeOf(R"("\x")") == ErrorCode::ParseError);
  CHECK(codeOf(R"("\/")") == ErrorCode::ParseError);
  CHECK(codeOf("\"abc") == ErrorCode::ParseError);
  CHECK(codeOf("\"abc\\") == ErrorCode::ParseError);
  CHECK(codeOf("\"abc\\u00") == ErrorCode::ParseError);
  // Invalid UTF-8: stray continuation, overlong, encoded surrogate, truncated, > U+10FFFF.
  for (const char* bad : {"\"\x80\"", "\"\xC0\xAF\"", "\"\xED\xA0\x80\"", "\"\xE2\x82\"", "\"\xF4\x90\x80\x80\"",
                          "\"\xFF\"", "\"a\\n\xC3\""})
    CHECK(codeOf(bad) == ErrorCode::ParseError);
}

TEST_CASE("characters", "[edn][read]") {
  CHECK(readOne("\\a").kind() == Kind::Char);
  CHECK(readOne("\\a").asChar() == 'a');
  CHECK(readOne("\\newline").asChar() == '\n');
  CHECK(readOne("\\return").asChar() == '\r');
  CHECK(readOne("\\space").asChar() == ' ');
  CHECK(readOne("\\tab").asChar() == '\t');
  CHECK(readOne("\\formfeed").asChar() == '\f');
  CHECK(readOne("\\backspace").asChar() == '\b');
  CHECK(readOne("\\u0041").asChar() == 'A');
  CHECK(readOne("\\u20ac").asChar() == 0x20AC);
  CHECK(readOne("\\o101").asChar() == 'A');
  CHECK(readOne("\\o7").asChar() == 7);
  CHECK(readOne("\\u").asChar() == 'u');
  CHECK(readOne("\\o").asChar() == 'o');
  CHECK(readOne("\\\\").asChar() == '\\');
  CHECK(readOne("\\\"").asChar() == '"');
  CHECK(readOne("\\,").asChar() == ',');
  CHECK(readOne("\\\xC3\xA9").asChar() == 0xE9);
  CHECK(readOne("\\\xF0\x9F\x98\x80").asChar() == 0x1F600);
  // Delimiters are characters right after the backslash and end the token after it.
  Value v = readOne("[\\( \\) \\[ \\] \\{\\}]");
  REQUIRE(v.count() == 6);
  CHECK(v.at(0).asChar() == '(');
  CHECK(v.at(5).asChar() == '}');
  CHECK(readOne("(\\a)").at(0).asChar() == 'a');
  CHECK(readOne("[\\a\"s\"]").at(1).asString() == "s");
  // A backslash ends a token (as in Clojure): \a\b is two characters, a\b a symbol and a char.
  CHECK(readOne("[\\a\\b]").count() == 2);
  CHECK(readOne("[a\\b]").at(1).asChar() == 'b');
  CHECK(readOne("[:k\\b]").at(0) == Value::keyword("k"));
  CHECK(codeOf("\\") == ErrorCode::ParseError);
  CHECK(codeOf("\\ ") == ErrorCode::ParseError);
  CHECK(codeOf("\\\n") == ErrorCode::ParseError);
  CHECK(codeOf("\\ab") == ErrorCode::ParseError);
  CHECK(codeOf("\\newlines") == ErrorCode::ParseError);
  CHECK(codeOf("\\uD800") == ErrorCode::ParseError);
  CHECK(codeOf("\\u12") == ErrorCode::ParseError);
  CHECK(codeOf("\\o400") == ErrorCode::ParseError);
  CHECK(codeOf("\\o8") == ErrorCode::ParseError);
}

TEST_CASE("integers", "[edn][read]") {
  CHECK(readOne("0") == i64(0));
  CHECK(readOne("0").kind() == Kind::Long);
  CHECK(readOne("-0") == i64(0));
  CHECK(readOne("+0") == i64(0));
  CHECK(readOne("42") == i64(42));
  CHECK(readOne("+42") == i64(42));
  CHECK(readOne("-42") == i64(-42));
  CHECK(readOne("9223372036854775807").asLong() == std::numeric_limits<int64_t>::max());
  CHECK(readOne("-9223372036854775808").asLong() == std::numeric_limits<int64_t>::min());
  CHECK(readOne("42N").kind() == Kind::BigInt);
  CHECK(readOne("42N").asLong() == 42);
  CHECK(readOne("-9223372036854775808N").asLong() == std::numeric_limits<int64_t>::min());
  CHECK(readOne("9223372036854775807N").asLong() == std::numeric_limits<int64_t>::max());
  CHECK(readOne("0N").kind() == Kind::BigInt);
  // Out of range: error that says so, no wrapping.
  for (const char* t : {"9223372036854775808", "-9223372036854775809", "99999999999999999999999",
                        "9223372036854775808N", "-9223372036854775809N"}) {
    try {
      readOne(t);
      FAIL("no error for " << t);
    } catch (const ReadError& e) {
      CHECK(e.code() == ErrorCode::ParseError);
      CHECK_THAT(e.what(), Catch::Contains("out of the 64-bit range"));
    }
  }
  // Leading zeros, radix/hex/octal, ratios, junk suffixes.
  for (const char* t : {"01", "-01", "00", "0x10", "1/2", "12a", "1N2", "1NN", "2r101", "1_000", "1-2"})
    CHECK(codeOf(t) == ErrorCode::ParseError);
}

TEST_CASE("floats", "[edn][read]") {
  auto d = [](const char* t) {
    Value v = readOne(t);
    REQUIRE(v.kind() == Kind::Double);
    return v.asDouble();
  };
  CHECK(d("1.5") == 1.5);
  CHECK(d("-1.5") == -1.5);
  CHECK(d("+1.5") == 1.5);
  CHECK(d("0.0") == 0.0);
  CHECK(d("1.") == 1.0);
  CHECK(d("1e3") == 1000.0);
  CHECK(d("1E3") == 1000.0);
  CHECK(d("1e+3") == 1000.0);
  CHECK(d("2.5e-3") == 0.0025);
  CHECK(d("1M") == 1.0);
  CHECK(d("1.25M") == 1.25);
  CHECK(d("0.1") == 0.1);
  CHECK(d("1e308") == 1e308);
  CHECK(d("1.7976931348623157e308") == std::numeric_limits<double>::max());
  CHECK(bits(d("5e-324")) == bits(std::numeric_limits<double>::denorm_min()));
  CHECK(bits(d("4.9406564584124654e-324")) == bits(std::numeric_limits<double>::denorm_min()));
  CHECK(d("2.2250738585072014e-308") == std::numeric_limits<double>::min());
  // -0.0 is read; Value normalizes it to 0.0 (one value, as in core/value.h).
  CHECK(bits(d("-0.0")) == bits(0.0));
  CHECK(readOne("-0.0") == Value::real(0.0));
  // Underflow to zero is accepted (as in Java); overflow is an error.
  CHECK(d("1e-400") == 0.0);
  CHECK(codeOf("1e309") == ErrorCode::ParseError);
  CHECK(codeOf("-1e400") == ErrorCode::ParseError);
  // Symbolic values.
  CHECK(d("##Inf") == std::numeric_limits<double>::infinity());
  CHECK(d("##-Inf") == -std::numeric_limits<double>::infinity());
  CHECK(std::isnan(d("##NaN")));
  CHECK(readOne("[##NaN ##Inf]").count() == 2);
  // Correct rounding of long and hard inputs.
  CHECK(d("0.30000000000000004") == 0.1 + 0.2);
  CHECK(d("123456789012345678901234567890.0") == 123456789012345678901234567890.0);
  CHECK(d("2.4703282292062328e-324") == std::numeric_limits<double>::denorm_min());  // just above halfway
  CHECK(d("9007199254740993.0") == 9007199254740992.0);                              // ties to even
  for (const char* t : {"1.5N", "1e", "1e+", "01.5", "1.5.5", "1e5e5", ".5", "1.5x", "##inf", "##nan",
                        "##Infinity", "##", "1M2"})
    CHECK(codeOf(t) == ErrorCode::ParseError);
}

TEST_CASE("keywords", "[edn][read]") {
  Value v = readOne(":a");
  CHECK(v.kind() == Kind::Keyword);
  CHECK(v.asKeyword().str() == "a");
  CHECK(readOne(":person/name").asKeyword().ns() == "person");
  CHECK(readOne(":person/name").asKeyword().name() == "name");
  CHECK(readOne(":db.type/string") == kw("db.type/string"));
  CHECK(readOne(":a-b?*!_$%&=<>.c") == kw("a-b?*!_$%&=<>.c"));
  CHECK(readOne(":nil") == kw("nil"));
  CHECK(readOne(":true").kind() == Kind::Keyword);
  CHECK(readOne(":a#b") == kw("a#b"));
  CHECK(readOne(":a:b") == kw("a:b"));
  CHECK(readOne(":-") == kw("-"));
  CHECK(readOne(":+a") == kw("+a"));
  CHECK(readOne(":/") == kw("/"));  // keyword of the symbol `/`, as Clojure reads it
  CHECK(readOne(":\xC3\xA9t\xC3\xA9") == kw("\xC3\xA9t\xC3\xA9"));
  // Same keyword read twice is the same interned pointer.
  Value two = readOne("[:x/y :x/y]");
  CHECK(two.at(0).identical(two.at(1)));
  for (const char* t : {":", "::a", "::", ":a/", ":/a", ":a/b/c", ":1", ":1a", ":a/1", ":-1", ":.5", ":a::b", ":a:",
                        ": a", ":a'b", ":a@b", ":a/:b"})
    CHECK(codeOf(t) == ErrorCode::ParseError);
}

TEST_CASE("symbols", "[edn][read]") {
  CHECK(readOne("a").kind() == Kind::Symbol);
  for (const char* s : {"a", "/", "ns/name", "+", "-", ".", "...", "-foo", "+foo", ".foo", "?e", "$", "%", "_",
                        "a1", "a.b.c/d", "<=", "*ns*", "a#", "a:b", "->>", "ns/-", "ns/+x", "!"}) {
    Value v = readOne(s);
    CHECK(v.kind() == Kind::Symbol);
    CHECK(v == sym(s));
  }
  CHECK(readOne("a1").asKeyword().str() == "a1");
  for (const char* t : {"a/", "/a", "a/b/c", "ns/1", "a'", "a@b", "a^b", "a`b", "a~b", "'a", "@a", "^a",
                        "`a", "~a", "|", "a|b", "ns/:a", "a::b", "a:"})
    CHECK(codeOf(t) == ErrorCode::ParseError);
}

TEST_CASE("collections", "[edn][read]") {
  Value l = readOne("(1 2 3)");
  CHECK(l.kind() == Kind::List);
  CHECK(l.count() == 3);
  Value v = readOne("[1, 2 ,3,]");
  CHECK(v.kind() == Kind::Vector);
  CHECK(v == Value::vector({i64(1), i64(2), i64(3)}));
  CHECK(readOne("[]").count() == 0);
  CHECK(readOne("()").count() == 0);
  CHECK(readOne("{}").kind() == Kind::Map);
  CHECK(readOne("#{}").kind() == Kind::Set);
  Value m = readOne("{:a 1, :b {:c [nil]}}");
  CHECK(m.kind() == Kind::Map);
  CHECK(m.mapSize() == 2);
  REQUIRE(m.getKeyword("a") != nullptr);
  CHECK(*m.getKeyword("a") == i64(1));
  CHECK(m.getKeyword("b")->getKeyword("c")->at(0).isNil());
  Value s = readOne("#{1 :a \"x\"}");
  CHECK(s.kind() == Kind::Set);
  CHECK(s.count() == 3);
  // Order of items is kept as written.
  CHECK(readOne("{:b 1 :a 2}").mapKey(0) == kw("b"));
  // Distinct by compareValues: 1, 1N and 1.0 are different keys.
  CHECK(readOne("#{1 1N 1.0}").count() == 3);
  CHECK(readOne("{[1 2] 1 [1 3] 2 (1 2) 3}").mapSize() == 3);
  // No whitespace needed around delimiters.
  CHECK(readOne("[\"a\"\"b\"[1][2]{:a 1}#{}]").count() == 6);
  // Odd maps and duplicates.
  CHECK(codeOf("{:a}") == ErrorCode::ParseError);
  CHECK(codeOf("{:a 1 :b}") == ErrorCode::ParseError);
  CHECK(codeOf("{:a 1 :a 2}") == ErrorCode::ParseError);
  CHECK(codeOf("{[1 2] 1 [1 2] 2}") == ErrorCode::ParseError);
  CHECK(codeOf("#{1 2 1}") == ErrorCode::ParseError);
  CHECK(codeOf("#{\"a\" \"a\"}") == ErrorCode::ParseError);
  CHECK(codeOf("#{##NaN ##NaN}") == ErrorCode::ParseError);  // NaN equals NaN under compareValues
  // Big map/set: duplicate detection via hashing (not quadratic), first and last.
  std::string big = "{";
  for (int i = 0; i < 20000; ++i) big += ":k" + std::to_string(i) + " " + std::to_string(i) + " ";
  CHECK(readOne(big + "}").mapSize() == 20000);
  CHECK(codeOf(big + ":k0 0}") == ErrorCode::ParseError);
  std::string bigSet = "#{";
  for (int i = 0; i < 20000; ++i) bigSet += "\"s" + std::to_string(i) + "\" ";
  CHECK(readOne(bigSet + "}").count() == 20000);
  CHECK(codeOf(bigSet + "\"s19999\"}") == ErrorCode::ParseError);
  // Mismatched or unbalanced.
  for (const char* t : {"[1 2", "(1 2]", "{:a 1)", "#{1]", "]", ")", "}", "[1]]", "#{", "(", "{"})
    CHECK(codeOf(t) == ErrorCode::ParseError);
}

TEST_CASE("#inst, #uuid, #datalite/bytes", "[edn][read]") {
  CHECK(readOne("#inst \"1970-01-01T00:00:00Z\"").kind() == Kind::Instant);
  CHECK(readOne("#inst \"1970-01-01T00:00:00Z\"").asInstant() == 0);
  CHECK(readOne("#inst \"1985-04-12T23:20:50.52Z\"").asInstant() == 482196050520);
  CHECK(readOne("#inst \"1985-04-12T23:20:50.520Z\"").asInstant() == 482196050520);
  CHECK(readOne("#inst \"1985-04-12T23:20:50.5209999Z\"").asInstant() == 482196050520);  // truncated
  CHECK(readOne("#inst \"1985-04-12T23:20:50.52-00:00\"").asInstant() == 482196050520);
  CHECK(readOne("#inst \"1985-04-13T00:20:50.52+01:00\"").asInstant() == 482196050520);
  CHECK(readOne("#inst \"1985-04-12T22:50:50.52-00:30\"").asInstant() == 482196050520);
  CHECK(readOne("#inst \"2020-01-01\"").asInstant() == 1577836800000);
  CHECK(readOne("#inst \"2020\"").asInstant() == 1577836800000);
  CHECK(readOne("#inst \"2020-01\"").asInstant() == 1577836800000);
  CHECK(readOne("#inst \"2020-01-01T00:00\"").asInstant() == 1577836800000);
  CHECK(readOne("#inst \"2020-01-01T00Z\"").asInstant() == 1577836800000);
  CHECK(readOne("#inst \"2020-01-01t00:00:00z\"").asInstant() == 1577836800000);
  CHECK(readOne("#inst \"1969-12-31T23:59:59.999Z\"").asInstant() == -1);
  CHECK(readOne("#inst \"2000-02-29T00:00:00Z\"").asInstant() == 951782400000);
  CHECK(readOne("#inst\"1970-01-01T00:00:00.001Z\"").asInstant() == 1);  // no space needed
  for (const char* t : {"#inst \"2021-02-29\"", "#inst \"1900-02-29\"", "#inst \"2020-13-01\"", "#inst \"2020-00-01\"",
                        "#inst \"2020-01-32\"", "#inst \"2020-01-01T24:00:00Z\"", "#inst \"2020-01-01T00:60:00Z\"",
                        "#inst \"2020-01-01T00:00:60Z\"", "#inst \"2020-01-01T00:00:00.Z\"", "#inst \"2020-1-1\"",
                        "#inst \"2020-01-01T00:00:00+0100\"", "#inst \"2020-01-01 00:00:00Z\"", "#inst \"\"",
                        "#inst \"x\"", "#inst 0", "#inst nil", "#inst [\"2020\"]", "#inst \"2020-01-01T00:00:00Zjunk\""})
    CHECK(codeOf(t) == ErrorCode::ParseError);

  Value u = readOne("#uuid \"f81d4fae-7dec-11d0-a765-00a0c91e6bf6\"");
  CHECK(u.kind() == Kind::Uuid);
  CHECK(formatUuid(u.uuidBytes()) == "f81d4fae-7dec-11d0-a765-00a0c91e6bf6");
  CHECK(formatUuid(readOne("#uuid \"F81D4FAE-7DEC-11D0-A765-00A0C91E6BF6\"").uuidBytes()) ==
        "f81d4fae-7dec-11d0-a765-00a0c91e6bf6");
  for (const char* t : {"#uuid \"f81d4fae7dec11d0a76500a0c91e6bf6\"", "#uuid \"f81d4fae-7dec-11d0-a765-00a0c91e6bf\"",
                        "#uuid \"g81d4fae-7dec-11d0-a765-00a0c91e6bf6\"", "#uuid 1", "#uuid"})
    CHECK(codeOf(t) == ErrorCode::ParseError);

  Value b = readOne("#datalite/bytes \"AAEC/w==\"");
  CHECK(b.kind() == Kind::Bytes);
  CHECK(b.asString() == std::string("\x00\x01\x02\xFF", 4));
  CHECK(readOne("#datalite/bytes \"\"").asString().empty());
  CHECK(readOne("#datalite/bytes \"YWI=\"").asString() == "ab");
  CHECK(readOne("#datalite/bytes \"YWJj\"").asString() == "abc");
  for (const char* t : {"#datalite/bytes \"YWI\"", "#datalite/bytes \"Y===\"", "#datalite/bytes \"YW=j\"",
                        "#datalite/bytes \"YWJ=\"", "#datalite/bytes \"YR==\"", "#datalite/bytes \"YW I=\"",
                        "#datalite/bytes 12"})
    CHECK(codeOf(t) == ErrorCode::ParseError);
}

TEST_CASE("generic tagged literals", "[edn][read]") {
  Value t = readOne("#my/tag [1 2]");
  CHECK(t.kind() == Kind::Tagged);
  CHECK(t.taggedTag() == "my/tag");
  CHECK(t.taggedValue() == Value::vector({i64(1), i64(2)}));
  Value nested = readOne("#a #b/c {:x #d 1}");
  CHECK(nested.taggedTag() == "a");
  CHECK(nested.taggedValue().taggedTag() == "b/c");
  CHECK(nested.taggedValue().taggedValue().getKeyword("x")->taggedTag() == "d");
  CHECK(readOne("#foo\"x\"").taggedValue().asString() == "x");
  // A tag wrapping a built-in tag.
  Value wrapped = readOne("#x #inst \"2020\"");
  CHECK(wrapped.taggedValue().kind() == Kind::Instant);
  // Tag followed by discard: the tag applies to the next kept form.
  CHECK(readOne("#t #_ 1 2").taggedValue() == i64(2));
  for (const char* t : {"#", "#1", "#:a{}", "#(1)", "#\"re\"", "#[1]", "#-a 1", "#.a 1", "#a/ 1", "#foo", "[#foo]",
                        "#foo #_ 1", "# foo 1", "#'a", "#?(:clj 1)"})
    CHECK(codeOf(t) == ErrorCode::ParseError);
}

TEST_CASE("#_ discard in every position", "[edn][read]") {
  CHECK(readOne("#_ 1 2") == i64(2));
  CHECK(readOne("2 #_ 1") == i64(2));
  CHECK(readOne("#_1 2") == i64(2));
  CHECK(readOne("#_ #_ 1 2 3") == i64(3));
  CHECK(readOne("[#_ #_ 1 2 3]") == Value::vector({i64(3)}));
  CHECK(readOne("[1 #_ 2]") == Value::vector({i64(1)}));
  CHECK(readOne("[#_ 2]").count() == 0);
  CHECK(readOne("[1 #_ [2 3] 4]") == Value::vector({i64(1), i64(4)}));
  CHECK(readOne("{:a #_ :b 1}").mapSize() == 1);
  CHECK(readOne("{:a 1 #_ :b}").mapSize() == 1);
  CHECK(readOne("#{1 #_ 1}").count() == 1);  // the discarded item is not a duplicate
  CHECK(readOne("(#_ x)").count() == 0);
  CHECK(readOne("#_ #foo 1 :kept") == kw("kept"));
  CHECK(readOne("#_ {:a [1 (2)]} :kept") == kw("kept"));
  CHECK(readOne("#_\"s\" 1") == i64(1));
  CHECK(readAll("#_ 1").empty());
  CHECK(readAll("1 #_ 2 3").size() == 2);
  // Discarded forms must still be valid.
  CHECK(codeOf("#_ {:a} 1") == ErrorCode::ParseError);
  CHECK(codeOf("#_ 01 1") == ErrorCode::ParseError);
  CHECK(codeOf("#_") == ErrorCode::ParseError);
  CHECK(codeOf("[1 #_]") == ErrorCode::ParseError);
  CHECK(codeOf("#_ #_ 1") == ErrorCode::ParseError);
}

TEST_CASE("comments and whitespace", "[edn][read]") {
  CHECK(readOne("; comment\n42 ; trailing") == i64(42));
  CHECK(readOne(";c1\n;c2\n[1 ;inside\n 2]") == Value::vector({i64(1), i64(2)}));
  CHECK(readOne("[1;c\n2]").count() == 2);
  CHECK(readOne(",,, 1 ,,,") == i64(1));
  CHECK(readOne("\t\r\n\f\v1") == i64(1));
  CHECK(readAll(";only a comment").empty());
  CHECK(readAll("").empty());
  CHECK(readAll(" , \n ").empty());
  CHECK(readOne("\"; not a comment\"").asString() == "; not a comment");
  CHECK(readOne("1;no newline at end") == i64(1));
}

TEST_CASE("readOne wants exactly one form; readAll reads many", "[edn][read]") {
  try {
    readOne("");
    FAIL();
  } catch (const ReadError& e) {
    CHECK(e.code() == ErrorCode::ParseError);
  }
  CHECK_THROWS_AS(readOne("1 2"), ReadError);
  CHECK_THROWS_AS(readOne("  "), ReadError);
  CHECK_THROWS_AS(readOne("; x"), ReadError);
  auto all = readAll("1 :a \"s\" [x] {:k v} #inst \"2020\"");
  REQUIRE(all.size() == 6);
  CHECK(all[1] == kw("a"));
  CHECK(all[5].kind() == Kind::Instant);
  // Adjacent forms need no whitespace when delimited.
  CHECK(readAll("[1][2]\"a\"\"b\"").size() == 4);
  CHECK(readAll("a(b)").size() == 2);
}

TEST_CASE("streaming Reader", "[edn][read]") {
  std::string text = "1\n  [2 3]\n;c\n  :x #_ 4";
  Reader r(text);
  Value v;
  REQUIRE(r.next(v));
  CHECK(v == i64(1));
  CHECK(r.formStart() == 0);
  CHECK(r.offset() == 1);
  REQUIRE(r.next(v));
  CHECK(v.count() == 2);
  Position pos = r.positionOf(r.formStart());
  CHECK(pos.line == 2);
  CHECK(pos.column == 3);
  REQUIRE(r.next(v));
  CHECK(v == kw("x"));
  CHECK(r.positionOf(r.formStart()).line == 4);
  CHECK_FALSE(r.next(v));
  CHECK_FALSE(r.next(v));

  // A failed Reader keeps failing with the same error.
  Reader bad("1 ]");
  REQUIRE(bad.next(v));
  CHECK_THROWS_AS(bad.next(v), ReadError);
  try {
    bad.next(v);
    FAIL();
  } catch (const ReadError& e) {
    CHECK(e.column() == 3);
  }
  // maxItems counts across forms.
  ReadLimits lim;
  lim.maxItems = 3;
  Reader r2("1 2 3 4", lim);
  CHECK(r2.next(v));
  CHECK(r2.next(v));
  CHECK(r2.next(v));
  try {
    r2.next(v);
    FAIL();
  } catch (const ReadError& e) {
    CHECK(e.code() == ErrorCode::LimitExceeded);
  }
}
