// EDN reader errors: codes, line/column, messages, and limits.
#include <catch2/catch.hpp>

#include <optional>
#include <string>

#include "edn/edn.h"

using namespace datalite;
using namespace datalite::edn;

namespace {

ReadError errorOf(std::string_view text, const ReadLimits& limits = {}) {
  try {
    readAll(text, limits);
  } catch (const ReadError& e) {
    return e;
  }
  FAIL("expected a ReadError for: " << text);
  throw 0;
}

struct Case {
  const char* text;
  uint32_t line, column;
  const char* fragment;  // part of the description
};

}  // namespace

TEST_CASE("parse errors carry code, line, column and a description", "[edn][errors]") {
  const Case cases[] = {
      {"\"abc", 1, 1, "unterminated string"},
      {"[1 2\n 3 \"x", 2, 4, "unterminated string"},
      {"{:a 1\n :b [1 2\n   3 \"unterminated", 3, 6, "unterminated string"},
      {"[1 2", 1, 1, "unterminated vector"},
      {"  (1 [2]", 1, 3, "unterminated list"},
      {"\n\n  {:a 1", 3, 3, "unterminated map"},
      {"#{1", 1, 1, "unterminated set"},
      {"[1 2)", 1, 5, "expected ']' to close the vector opened at line 1, column 1"},
      {"(1 2]", 1, 5, "expected ')'"},
      {"1 ]", 1, 3, "unexpected ']' with no open collection"},
      {"{:a 1 :b}", 1, 1, "even number of forms"},
      {"[\n {:a 1 :a 2}]", 2, 2, "duplicate key :a in map"},
      {"#{1 2 1}", 1, 1, "duplicate item 1 in set"},
      {"[01]", 1, 2, "leading zeros"},
      {"9223372036854775808", 1, 1, "out of the 64-bit range"},
      {"[1 2 99999999999999999999N]", 1, 6, "out of the 64-bit range"},
      {"1e999", 1, 1, "out of the double range"},
      {"1/2", 1, 1, "ratios are not supported"},
      {"12abc", 1, 1, "invalid number 12abc"},
      {":a ::b", 1, 4, "::b"},
      {"x :", 1, 3, "keyword without a name"},
      {"[a/b/c]", 1, 2, "invalid symbol a/b/c"},
      {"(\n@x)", 2, 1, "unexpected character '@'"},
      {"#", 1, 1, "'#' at end of input"},
      {"[#(+ 1)]", 1, 2, "unexpected '(' after '#'"},
      {"##Foo", 1, 1, "unknown symbolic value ##Foo"},
      {"#inst \"2020-02-30\"", 1, 1, "day out of range"},
      {"[1\n #uuid \"nope\"]", 2, 2, "invalid #uuid"},
      {"#inst 5", 1, 1, "#inst expects a string, found a long"},
      {"[1 #_]", 1, 6, "expected a form after #_ (at line 1, column 4), found ']'"},
      {"#my/tag", 1, 8, "expected a form after tag #my/tag"},
      {"\"a\\qb\"", 1, 3, "unsupported escape '\\q'"},
      {"\"\\uD800\"", 1, 2, "high surrogate"},
      {"\"\\uDC00\"", 1, 2, "lone low surrogate"},
      {"\\foo", 1, 1, "unsupported character literal \\foo"},
      {"1 2", 1, 3, "expected exactly one form"},  // readOne only; readAll accepts (see below)
      {"", 1, 1, "expected a form, found end of input"},
  };
  for (const Case& c : cases) {
    INFO("input: " << c.text);
    std::optional<ReadError> err;
    try {
      readOne(c.text);
    } catch (const ReadError& e) {
      err = e;
    }
    REQUIRE(err.has_value());
    CHECK(err->code() == ErrorCode::ParseError);
    CHECK(err->codeName() == "parse-error");
    CHECK(err->line() == c.line);
    CHECK(err->column() == c.column);
    CHECK_THAT(err->description(), Catch::Contains(c.fragment));
    std::string prefix = "EDN parse error at line " + std::to_string(c.line) + ", column " + std::to_string(c.column) + ": ";
    CHECK_THAT(std::string(err->what()), Catch::StartsWith(prefix));
  }
  CHECK(readAll("1 2").size() == 2);
}

TEST_CASE("columns count code points, lines count newlines", "[edn][errors]") {
  // "é" is 2 bytes but 1 column; "😀" is 4 bytes.
  ReadError e = errorOf("[\"\xC3\xA9\" \"\xF0\x9F\x98\x80\" ]]");
  CHECK(e.line() == 1);
  CHECK(e.column() == 11);
  CHECK(e.offset() == 14);
  ReadError e2 = errorOf("1\r\n2\r\n  )");
  CHECK(e2.line() == 3);
  CHECK(e2.column() == 3);
  // Invalid UTF-8 points at the bad byte.
  ReadError e3 = errorOf("\"ab\xFF\"");
  CHECK(e3.column() == 4);
  CHECK_THAT(e3.description(), Catch::Contains("invalid UTF-8"));
  ReadError e4 = errorOf(":ab\xC3");
  CHECK(e4.column() == 4);
}

TEST_CASE("ReadError is a DataliteError", "[edn][errors]") {
  try {
    readOne("[");
    FAIL();
  } catch (const DataliteError& e) {
    CHECK(e.code() == ErrorCode::ParseError);
    CHECK(dynamic_cast<const ReadError*>(&e) != nullptr);
  }
}

TEST_CASE("depth limit", "[edn][errors][limits]") {
  for (const char* open : {"[", "(", "{", "#{", "#t ", "#_ "}) {
    INFO("open: " << open);
    std::string deep;
    for (int i = 0; i < 100000; ++i) deep += open;
    ReadError e = errorOf(deep);
    CHECK(e.code() == ErrorCode::LimitExceeded);
    CHECK(e.codeName() == "limit-exceeded");
    CHECK_THAT(e.description(), Catch::Contains("maxDepth (512)"));
    CHECK(e.line() == 1);
    CHECK(e.column() == 512 * std::string(open).size() + 1);
    CHECK_THAT(std::string(e.what()), Catch::StartsWith("EDN limit exceeded at line 1"));
  }
  // Exactly maxDepth levels are fine; one more is not.
  auto nested = [](int depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  Value v = readOne(nested(512));
  int depth = 0;
  const Value* cur = &v;
  while (cur->kind() == Kind::Vector && cur->count() == 1) {
    cur = &cur->at(0);
    ++depth;
  }
  CHECK(depth == 511);
  CHECK(errorOf(nested(513)).code() == ErrorCode::LimitExceeded);
  ReadLimits lim;
  lim.maxDepth = 3;
  CHECK_NOTHROW(readOne("[[[1]]]", lim));
  CHECK(errorOf("[[[[1]]]]", lim).code() == ErrorCode::LimitExceeded);
  CHECK(errorOf("[#t #u #v 1]", lim).code() == ErrorCode::LimitExceeded);  // pending tags count as nesting
  lim.maxDepth = 100000;  // a deep but allowed read must not use the C stack either
  CHECK(readOne(nested(10000), lim).kind() == Kind::Vector);
}

TEST_CASE("size and item limits", "[edn][errors][limits]") {
  ReadLimits lim;
  lim.maxInputBytes = 10;
  CHECK_NOTHROW(readOne("[1 2 3 4 ]", lim));
  try {
    readOne("[1 2 3 4 5]", lim);
    FAIL();
  } catch (const ReadError& e) {
    CHECK(e.code() == ErrorCode::LimitExceeded);
    CHECK(e.line() == 0);
    CHECK_THAT(e.description(), Catch::Contains("maxInputBytes (10)"));
  }
  CHECK_THROWS_AS(Reader("[1 2 3 4 5]", lim), ReadError);
  ReadLimits items;
  items.maxItems = 4;
  CHECK_NOTHROW(readOne("[1 2 3]", items));  // 3 longs + the vector
  ReadError e = errorOf("[1 2 3 4]", items);
  CHECK(e.code() == ErrorCode::LimitExceeded);
  CHECK(e.column() == 9);
  CHECK_THAT(e.description(), Catch::Contains("maxItems (4)"));
  CHECK(errorOf("#_ [1 2 3 4]", items).code() == ErrorCode::LimitExceeded);  // discarded values count
}
