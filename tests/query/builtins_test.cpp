// Tests for the query built-in functions (src/query/builtins.h).
#include <catch2/catch.hpp>

#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "edn/edn.h"
#include "query/builtins.h"

using namespace datalite;
using namespace datalite::query;

namespace {

std::vector<Value> argsOf(std::string_view ednArgs) {
  Value v = edn::readOne("[" + std::string(ednArgs) + "]");
  return v.items();
}

Value callFn(std::string_view name, const std::vector<Value>& args) {
  const Builtin* b = findBuiltin(name);
  if (!b) FAIL("no builtin " << name);
  return b->fn(std::span<const Value>(args.data(), args.size()));
}

// Calls `name` with the EDN-written arguments and prints the result as EDN.
std::string ev(std::string_view name, std::string_view ednArgs = "") {
  return edn::print(callFn(name, argsOf(ednArgs)));
}

struct Failure {
  ErrorCode code;
  std::string message;
};

Failure failure(std::string_view name, std::string_view ednArgs = "") {
  try {
    Value v = callFn(name, argsOf(ednArgs));
    FAIL("(" << name << " " << ednArgs << ") did not throw; returned " << edn::print(v));
  } catch (const DataliteError& e) {
    return Failure{e.code(), e.what()};
  }
  return {};
}

ErrorCode codeOf(std::string_view name, std::string_view ednArgs = "") { return failure(name, ednArgs).code; }

bool contains(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("builtins: lookup, table and arity", "[query][builtins]") {
  CHECK(findBuiltin("<") != nullptr);
  CHECK(findBuiltin("clojure.string/blank?") != nullptr);
  CHECK(findBuiltin("re-find") != nullptr);
  CHECK(findBuiltin("nope") == nullptr);
  CHECK(findBuiltin("blank?") == nullptr);            // only the full clojure.string/ names
  CHECK(findBuiltin("str/blank?") == nullptr);
  CHECK(findBuiltin("get-else") == nullptr);          // the executor's
  CHECK(findBuiltin("missing?") == nullptr);
  CHECK(findBuiltin("complement") == nullptr);        // higher-order: unsupported

  std::set<std::string_view> names;
  for (const Builtin& b : allBuiltins()) {
    CHECK(names.insert(b.name).second);  // unique
    CHECK(findBuiltin(b.name) == &b);
    CHECK(b.minArgs >= 0);
    CHECK((b.maxArgs == -1 || b.maxArgs >= b.minArgs));
  }
  CHECK(findBuiltin("rand")->pure == false);
  CHECK(findBuiltin("rand-int")->pure == false);
  CHECK(findBuiltin("+")->pure);

  // Every fn checks its own arity.
  for (const Builtin& b : allBuiltins()) {
    if (b.minArgs > 0) {
      std::vector<Value> few(static_cast<size_t>(b.minArgs - 1), Value::integer(1));
      CHECK_THROWS_MATCHES(b.fn(few), DataliteError, Catch::Predicate<DataliteError>([&](const DataliteError& e) {
        return e.code() == ErrorCode::InvalidInput && contains(e.what(), b.name) &&
               contains(e.what(), "(" + std::to_string(b.minArgs - 1) + ")");
      }));
    }
    if (b.maxArgs >= 0) {
      std::vector<Value> many(static_cast<size_t>(b.maxArgs + 1), Value::integer(1));
      CHECK_THROWS_AS(b.fn(many), DataliteError);
    }
  }
  Failure f = failure("subs", "\"abc\" 1 2 3");
  CHECK(f.code == ErrorCode::InvalidInput);
  CHECK(f.message == "wrong number of arguments (4) passed to subs, expected 2 or 3");
  CHECK(failure("inc").message == "wrong number of arguments (0) passed to inc, expected 1");
  CHECK(failure("-").message == "wrong number of arguments (0) passed to -, expected 1 or more");
}

TEST_CASE("builtins: truthy", "[query][builtins]") {
  CHECK_FALSE(truthy(Value()));
  CHECK_FALSE(truthy(Value::boolean(false)));
  CHECK(truthy(Value::boolean(true)));
  CHECK(truthy(Value::integer(0)));
  CHECK(truthy(Value::string("")));
  CHECK(truthy(Value::vector({})));
}

TEST_CASE("builtins: equality", "[query][builtins]") {
  CHECK(ev("=", "1") == "true");
  CHECK(ev("=", "1 1 1") == "true");
  CHECK(ev("=", "1 1 2") == "false");
  CHECK(ev("=", "\"a\" \"a\"") == "true");
  CHECK(ev("=", ":a :a") == "true");
  CHECK(ev("=", ":a :b") == "false");
  CHECK(ev("=", "[1 [2]] [1 [2]]") == "true");
  CHECK(ev("=", "{:a 1} {:a 1}") == "true");
  CHECK(ev("=", "nil nil") == "true");
  CHECK(ev("=", "nil false") == "false");
  // = is value equality (what joins use): kinds matter for numbers.
  CHECK(ev("=", "1 1.0") == "false");
  CHECK(ev("=", "1 1N") == "false");
  CHECK(ev("=", "1.5 1.5") == "true");
  CHECK(ev("not=", "1 2") == "true");
  CHECK(ev("not=", "1 1") == "false");
  CHECK(ev("not=", "1") == "false");
  CHECK(ev("!=", "\"a\" \"b\"") == "true");
  CHECK(ev("!=", "\"a\" \"a\"") == "false");

  // == is numeric equality across kinds.
  CHECK(ev("==", "1 1.0 1N") == "true");
  CHECK(ev("==", "1 2") == "false");
  CHECK(ev("==", "5") == "true");
  CHECK(ev("==", "0.5 0.5") == "true");
  CHECK(ev("==", "##NaN ##NaN") == "false");
  CHECK(ev("==", "9007199254740993 9007199254740992.0") == "false");  // exact, no rounding
  CHECK(codeOf("==", "1 \"1\"") == ErrorCode::TypeMismatch);
  Failure f = failure("==", "1 :a");
  CHECK(contains(f.message, "=="));
  CHECK(contains(f.message, ":a"));
}

TEST_CASE("builtins: ordering comparisons", "[query][builtins]") {
  CHECK(ev("<", "1 2 3") == "true");
  CHECK(ev("<", "1 3 2") == "false");
  CHECK(ev("<", "1 1") == "false");
  CHECK(ev("<", "7") == "true");
  CHECK(ev("<=", "1 1 2") == "true");
  CHECK(ev(">", "3 2 1") == "true");
  CHECK(ev(">", "3 3") == "false");
  CHECK(ev(">=", "3 3 1") == "true");
  CHECK(ev(">=", "1 3") == "false");
  // Mixed numeric kinds compare numerically.
  CHECK(ev("<", "1 1.5 2N") == "true");
  CHECK(ev("<", "1 1.0") == "false");
  CHECK(ev("<=", "1 1.0") == "true");
  CHECK(ev(">=", "1N 1") == "true");
  CHECK(ev("<", "-9223372036854775808 9223372036854775807") == "true");
  // Non-numbers: DataScript's value order.
  CHECK(ev("<", "\"a\" \"b\"") == "true");
  CHECK(ev("<", "\"b\" \"a\"") == "false");
  CHECK(ev("<", ":a :b") == "true");
  CHECK(ev("<", ":b :a/a") == "true");  // no namespace sorts first
  CHECK(ev("<", "[1 2] [1 3]") == "true");
  CHECK(ev("<", "#inst \"2020-01-01T00:00:00.000-00:00\" #inst \"2021-01-01T00:00:00.000-00:00\"") == "true");
  CHECK(ev("<", "nil 1") == "true");      // nil first
  CHECK(ev("<", "1 \"a\"") == "true");    // numbers before strings
  CHECK(ev("<", "1 ##NaN") == "true");    // NaN last among numbers

  CHECK(ev("compare", "1 2") == "-1");
  CHECK(ev("compare", "2 1") == "1");
  CHECK(ev("compare", "1 1.0") == "0");
  CHECK(ev("compare", "\"abc\" \"abd\"") == "-1");
  CHECK(ev("compare", ":x :x") == "0");

  CHECK(ev("-differ?", "1 2 1 2") == "false");
  CHECK(ev("-differ?", "1 2 1 3") == "true");
  CHECK(ev("-differ?", ":a :b") == "true");
  CHECK(ev("-differ?", ":a :a") == "false");
  CHECK(ev("-differ?", "") == "false");
  CHECK(ev("-differ?", "1 1 1") == "true");  // odd count: halves of different sizes
}

TEST_CASE("builtins: + - * /", "[query][builtins]") {
  CHECK(ev("+") == "0");
  CHECK(ev("+", "1") == "1");
  CHECK(ev("+", "1 2 3") == "6");
  CHECK(ev("+", "1 2.5") == "3.5");
  CHECK(ev("+", "1 2N") == "3N");
  CHECK(ev("+", "1N 2.0") == "3.0");
  CHECK(ev("+", "9223372036854775807 1") == "9223372036854775808.0");  // overflow -> double
  CHECK(ev("*") == "1");
  CHECK(ev("*", "2 3 4") == "24");
  CHECK(ev("*", "2 0.5") == "1.0");
  CHECK(ev("*", "4611686018427387904 4") == "18446744073709551616.0");
  CHECK(ev("-", "5") == "-5");
  CHECK(ev("-", "5.5") == "-5.5");
  CHECK(ev("-", "10 3 2") == "5");
  CHECK(ev("-", "1 0.5") == "0.5");
  CHECK(ev("-", "-9223372036854775808") == "9223372036854775808.0");
  CHECK(ev("-", "-9223372036854775808 1") == "-9223372036854775808.0");
  CHECK(ev("/", "6 3") == "2");
  CHECK(ev("/", "7 2") == "3.5");  // no ratios: inexact -> double
  CHECK(ev("/", "1 3") == ev("/", "1.0 3"));
  CHECK(ev("/", "12 2 3") == "2");
  CHECK(ev("/", "2") == "0.5");
  CHECK(ev("/", "1") == "1");
  CHECK(ev("/", "7.0 2") == "3.5");
  CHECK(ev("/", "6N 3") == "2N");
  CHECK(ev("/", "-9223372036854775808 -1") == "9223372036854775808.0");

  Failure f = failure("/", "1 0");
  CHECK(f.code == ErrorCode::InvalidInput);
  CHECK(f.message == "(/ 1 0): division by zero");
  CHECK(codeOf("/", "1.0 0.0") == ErrorCode::InvalidInput);
  CHECK(codeOf("/", "0") == ErrorCode::InvalidInput);
  CHECK(codeOf("/", "10 2 0") == ErrorCode::InvalidInput);

  f = failure("+", "1 \"2\"");
  CHECK(f.code == ErrorCode::TypeMismatch);
  CHECK(f.message == "+: argument 2 must be a number, got \"2\"");
  CHECK(codeOf("+", "nil") == ErrorCode::TypeMismatch);
  CHECK(codeOf("-", ":a") == ErrorCode::TypeMismatch);
  CHECK(codeOf("*", "1 [2]") == ErrorCode::TypeMismatch);
  CHECK(codeOf("/", "true 1") == ErrorCode::TypeMismatch);
  CHECK(codeOf("+", "#inst \"2020-01-01T00:00:00.000-00:00\" 1") == ErrorCode::TypeMismatch);
}

TEST_CASE("builtins: quot rem mod inc dec", "[query][builtins]") {
  CHECK(ev("quot", "7 2") == "3");
  CHECK(ev("quot", "-7 2") == "-3");
  CHECK(ev("quot", "7.5 2") == "3.0");
  CHECK(ev("quot", "-9223372036854775808 -1") == "9223372036854775808.0");
  CHECK(ev("rem", "7 2") == "1");
  CHECK(ev("rem", "-7 2") == "-1");
  CHECK(ev("rem", "7 -2") == "1");
  CHECK(ev("rem", "7.5 2") == "1.5");
  CHECK(ev("rem", "-9223372036854775808 -1") == "0");
  CHECK(ev("mod", "7 2") == "1");
  CHECK(ev("mod", "-7 2") == "1");
  CHECK(ev("mod", "7 -2") == "-1");
  CHECK(ev("mod", "-7 -2") == "-1");
  CHECK(ev("mod", "-7.5 2") == "0.5");
  CHECK(ev("mod", "6 3") == "0");
  CHECK(ev("mod", "7N 2") == "1N");
  for (const char* fn : {"quot", "rem", "mod"}) {
    CHECK(codeOf(fn, "1 0") == ErrorCode::InvalidInput);
    CHECK(codeOf(fn, "1 0.0") == ErrorCode::InvalidInput);
    CHECK(codeOf(fn, "\"a\" 1") == ErrorCode::TypeMismatch);
  }
  CHECK(ev("inc", "1") == "2");
  CHECK(ev("inc", "1.5") == "2.5");
  CHECK(ev("inc", "1N") == "2N");
  CHECK(ev("inc", "9223372036854775807") == "9223372036854775808.0");
  CHECK(ev("dec", "0") == "-1");
  CHECK(ev("dec", "-9223372036854775808") == "-9223372036854775808.0");
  CHECK(codeOf("inc", "nil") == ErrorCode::TypeMismatch);
  CHECK(codeOf("dec", "\"1\"") == ErrorCode::TypeMismatch);
}

TEST_CASE("builtins: max min and numeric predicates", "[query][builtins]") {
  CHECK(ev("max", "1 3 2") == "3");
  CHECK(ev("max", "1 3.5 2N") == "3.5");
  CHECK(ev("max", "4") == "4");
  CHECK(ev("min", "1 3 -2") == "-2");
  CHECK(ev("min", "2N 1.5") == "1.5");
  CHECK(ev("max", "1 ##NaN 3") == "##NaN");
  CHECK(codeOf("max", "1 \"a\"") == ErrorCode::TypeMismatch);  // numeric only, as clojure.core/max
  CHECK(codeOf("min", ":a :b") == ErrorCode::TypeMismatch);

  CHECK(ev("zero?", "0") == "true");
  CHECK(ev("zero?", "0.0") == "true");
  CHECK(ev("zero?", "0N") == "true");
  CHECK(ev("zero?", "1") == "false");
  CHECK(ev("pos?", "1") == "true");
  CHECK(ev("pos?", "0") == "false");
  CHECK(ev("pos?", "0.1") == "true");
  CHECK(ev("neg?", "-1") == "true");
  CHECK(ev("neg?", "-0.5") == "true");
  CHECK(ev("neg?", "0") == "false");
  CHECK(ev("even?", "2") == "true");
  CHECK(ev("even?", "-3") == "false");
  CHECK(ev("odd?", "-3") == "true");
  CHECK(ev("odd?", "4N") == "false");
  CHECK(codeOf("even?", "2.0") == ErrorCode::TypeMismatch);
  CHECK(codeOf("zero?", "nil") == ErrorCode::TypeMismatch);
  CHECK(codeOf("pos?", "\"1\"") == ErrorCode::TypeMismatch);
}

TEST_CASE("builtins: rand and rand-int", "[query][builtins]") {
  for (int i = 0; i < 200; ++i) {
    double r = callFn("rand", {}).asDouble();
    CHECK((r >= 0.0 && r < 1.0));
    double r5 = callFn("rand", {Value::integer(5)}).asDouble();
    CHECK((r5 >= 0.0 && r5 < 5.0));
    Value ri = callFn("rand-int", {Value::integer(10)});
    REQUIRE(ri.kind() == Kind::Long);
    CHECK((ri.asLong() >= 0 && ri.asLong() < 10));
  }
  CHECK(ev("rand-int", "0") == "0");
  CHECK(codeOf("rand-int", "\"a\"") == ErrorCode::TypeMismatch);
}

TEST_CASE("builtins: logic and identity", "[query][builtins]") {
  CHECK(ev("identity", "[1 2]") == "[1 2]");
  CHECK(ev("ground", ":a") == ":a");
  CHECK(ev("untuple", "[1 2]") == "[1 2]");
  CHECK(ev("true?", "true") == "true");
  CHECK(ev("true?", "1") == "false");
  CHECK(ev("false?", "false") == "true");
  CHECK(ev("false?", "nil") == "false");
  CHECK(ev("nil?", "nil") == "true");
  CHECK(ev("nil?", "false") == "false");
  CHECK(ev("some?", "false") == "true");
  CHECK(ev("some?", "nil") == "false");
  CHECK(ev("not", "nil") == "true");
  CHECK(ev("not", "0") == "false");
  CHECK(ev("and") == "true");
  CHECK(ev("and", "1 2") == "2");
  CHECK(ev("and", "1 nil 2") == "nil");
  CHECK(ev("and", "1 false 2") == "false");
  CHECK(ev("or") == "nil");
  CHECK(ev("or", "nil 2 3") == "2");
  CHECK(ev("or", "nil false") == "false");
  CHECK(ev("or", "false nil") == "nil");
  CHECK(ev("identical?", ":a :a") == "true");
  CHECK(ev("identical?", "1 1") == "true");
  CHECK(ev("identical?", "1 1.0") == "false");
  Value s = Value::string("x");
  CHECK(callFn("identical?", {s, s}).asBool());
  CHECK_FALSE(callFn("identical?", {s, Value::string("x")}).asBool());
}

TEST_CASE("builtins: collections", "[query][builtins]") {
  CHECK(ev("tuple", "1 :a \"b\"") == "[1 :a \"b\"]");
  CHECK(ev("tuple") == "[]");
  CHECK(ev("vector", "1 2") == "[1 2]");
  CHECK(ev("list", "1 2") == "(1 2)");
  CHECK(ev("list") == "()");
  CHECK(ev("set", "[3 1 2 1]") == "#{1 2 3}");
  CHECK(ev("set", "nil") == "#{}");
  CHECK(ev("set", "\"aba\"") == "#{\\a \\b}");
  CHECK(ev("=", "#{1 2 3}") == "true");
  CHECK(callFn("=", {callFn("set", argsOf("[3 2 1]")), callFn("set", argsOf("[1 2 3]"))}).asBool());
  CHECK(codeOf("set", "1") == ErrorCode::TypeMismatch);
  CHECK(ev("hash-map", ":a 1 :b 2") == "{:a 1, :b 2}");
  CHECK(ev("hash-map", ":a 1 :a 2") == "{:a 2}");
  CHECK(ev("array-map") == "{}");
  CHECK(codeOf("hash-map", ":a") == ErrorCode::InvalidInput);

  CHECK(ev("count", "[1 2 3]") == "3");
  CHECK(ev("count", "{:a 1 :b 2}") == "2");
  CHECK(ev("count", "#{1}") == "1");
  CHECK(ev("count", "(1 2)") == "2");
  CHECK(ev("count", "nil") == "0");
  CHECK(ev("count", "\"h\u00e9llo\"") == "5");  // code points, not bytes
  CHECK(ev("count", "\"\"") == "0");
  Failure f = failure("count", "42");
  CHECK(f.code == ErrorCode::TypeMismatch);
  CHECK(contains(f.message, "count"));
  CHECK(contains(f.message, "42"));
  CHECK(codeOf("count", ":kw") == ErrorCode::TypeMismatch);

  CHECK(ev("empty?", "[]") == "true");
  CHECK(ev("empty?", "nil") == "true");
  CHECK(ev("empty?", "\"\"") == "true");
  CHECK(ev("empty?", "[1]") == "false");
  CHECK(codeOf("empty?", "1") == ErrorCode::TypeMismatch);
  CHECK(ev("not-empty", "[]") == "nil");
  CHECK(ev("not-empty", "[1]") == "[1]");
  CHECK(ev("not-empty", "\"a\"") == "\"a\"");

  CHECK(ev("contains?", "{:a 1} :a") == "true");
  CHECK(ev("contains?", "{:a 1} :b") == "false");
  CHECK(ev("contains?", "#{1 2} 2") == "true");
  CHECK(ev("contains?", "[5 6] 1") == "true");
  CHECK(ev("contains?", "[5 6] 2") == "false");
  CHECK(ev("contains?", "\"ab\" 1") == "true");
  CHECK(ev("contains?", "nil 1") == "false");
  CHECK(codeOf("contains?", "(1 2) 1") == ErrorCode::TypeMismatch);

  CHECK(ev("get", "{:a 1} :a") == "1");
  CHECK(ev("get", "{:a 1} :b") == "nil");
  CHECK(ev("get", "{:a 1} :b 0") == "0");
  CHECK(ev("get", "[5 6] 1") == "6");
  CHECK(ev("get", "[5 6] 9 :none") == ":none");
  CHECK(ev("get", "#{:x} :x") == ":x");
  CHECK(ev("get", "\"h\u00e9\" 1") == "\\u00E9");  // the char é
  CHECK(ev("get", "nil :a") == "nil");
  CHECK(ev("get", "42 :a :d") == ":d");

  CHECK(ev("range", "4") == "(0 1 2 3)");
  CHECK(ev("range", "2 5") == "(2 3 4)");
  CHECK(ev("range", "10 0 -3") == "(10 7 4 1)");
  CHECK(ev("range", "0 1 0.25") == "(0.0 0.25 0.5 0.75)");
  CHECK(ev("range", "0") == "()");
  CHECK(ev("range", "5 1") == "()");
  CHECK(codeOf("range", "0 10 0") == ErrorCode::InvalidInput);
  CHECK(codeOf("range", "100000000000") == ErrorCode::LimitExceeded);
  CHECK(codeOf("range", ":a") == ErrorCode::TypeMismatch);
}

TEST_CASE("builtins: keyword name namespace", "[query][builtins]") {
  CHECK(ev("keyword", "\"a\"") == ":a");
  CHECK(ev("keyword", "\"person/name\"") == ":person/name");
  CHECK(callFn("keyword", argsOf("\"person/name\""))
            .identical(Value::keyword("person/name")));
  CHECK(ev("keyword", ":k") == ":k");
  CHECK(ev("keyword", "sym") == ":sym");
  CHECK(ev("keyword", "nil") == "nil");
  CHECK(ev("keyword", "\"ns\" \"n\"") == ":ns/n");
  CHECK(ev("keyword", "nil \"n\"") == ":n");
  CHECK(codeOf("keyword", "1") == ErrorCode::TypeMismatch);
  CHECK(codeOf("keyword", "\"\"") == ErrorCode::InvalidInput);
  CHECK(codeOf("keyword", "\"ns\" 1") == ErrorCode::TypeMismatch);

  CHECK(ev("name", ":a/b") == "\"b\"");
  CHECK(ev("name", ":b") == "\"b\"");
  CHECK(ev("name", "my.ns/sym") == "\"sym\"");
  CHECK(ev("name", "\"str\"") == "\"str\"");
  CHECK(codeOf("name", "1") == ErrorCode::TypeMismatch);
  CHECK(codeOf("name", "nil") == ErrorCode::TypeMismatch);
  CHECK(ev("namespace", ":a/b") == "\"a\"");
  CHECK(ev("namespace", ":b") == "nil");
  CHECK(ev("namespace", "x.y/z") == "\"x.y\"");
  CHECK(codeOf("namespace", "\"a/b\"") == ErrorCode::TypeMismatch);
}

TEST_CASE("builtins: str, pr-str and friends", "[query][builtins]") {
  CHECK(ev("str") == "\"\"");
  CHECK(ev("str", "nil") == "\"\"");
  CHECK(ev("str", "\"a\" \"b\"") == "\"ab\"");
  CHECK(ev("str", "\"a\" nil 1") == "\"a1\"");
  CHECK(ev("str", ":a/b") == "\":a/b\"");
  CHECK(ev("str", "sym") == "\"sym\"");
  CHECK(ev("str", "1.5 true false") == "\"1.5truefalse\"");
  CHECK(ev("str", "1.0") == "\"1.0\"");
  CHECK(ev("str", "12N") == "\"12\"");
  CHECK(ev("str", "\\x") == "\"x\"");
  CHECK(ev("str", "[1 \"a\" :k]") == "\"[1 \\\"a\\\" :k]\"");
  CHECK(ev("str", "{:a nil}") == "\"{:a nil}\"");
  CHECK(ev("str", "#uuid \"6ba7b810-9dad-11d1-80b4-00c04fd430c8\"") == "\"6ba7b810-9dad-11d1-80b4-00c04fd430c8\"");
  CHECK(ev("str", "#regex \"a+\"") == "\"a+\"");
  CHECK(ev("str", "\"\u65e5\u672c\"") == "\"\u65e5\u672c\"");
  CHECK(ev("pr-str", "\"a\" nil :k") == "\"\\\"a\\\" nil :k\"");
  CHECK(ev("prn-str", "1") == "\"1\\n\"");
  CHECK(ev("print-str", "\"a\" nil 1") == "\"a nil 1\"");
  CHECK(ev("println-str", "\"a\"") == "\"a\\n\"");
}

TEST_CASE("builtins: subs", "[query][builtins]") {
  CHECK(ev("subs", "\"hello\" 1") == "\"ello\"");
  CHECK(ev("subs", "\"hello\" 1 3") == "\"el\"");
  CHECK(ev("subs", "\"hello\" 5") == "\"\"");
  CHECK(ev("subs", "\"hello\" 0 0") == "\"\"");
  CHECK(ev("subs", "\"h\u00e9llo \u65e5\u672c\" 1 2") == "\"\u00e9\"");     // by character
  CHECK(ev("subs", "\"h\u00e9llo \u65e5\u672c\" 6") == "\"\u65e5\u672c\"");
  CHECK(ev("subs", "\"a\U0001F600b\" 1 2") == "\"\U0001F600\"");
  CHECK(ev("subs", "\"hello\" 1.0 2") == "\"e\"");  // integral doubles are fine
  Failure f = failure("subs", "\"hello\" 6");
  CHECK(f.code == ErrorCode::InvalidInput);
  CHECK(contains(f.message, "(subs \"hello\" 6)"));
  CHECK(codeOf("subs", "\"hello\" -1") == ErrorCode::InvalidInput);
  CHECK(codeOf("subs", "\"hello\" 3 2") == ErrorCode::InvalidInput);
  CHECK(codeOf("subs", "\"hello\" 1 9") == ErrorCode::InvalidInput);
  CHECK(codeOf("subs", ":a 1") == ErrorCode::TypeMismatch);
  CHECK(codeOf("subs", "nil 0") == ErrorCode::TypeMismatch);
  CHECK(codeOf("subs", "\"hello\" 1.5") == ErrorCode::TypeMismatch);
  CHECK(codeOf("subs", "\"hello\" \"1\"") == ErrorCode::TypeMismatch);
}

TEST_CASE("builtins: regexes", "[query][builtins]") {
  clearRegexCache();
  CHECK(ev("re-pattern", "\"a+\"") == "#regex \"a+\"");
  CHECK(ev("re-pattern", "#regex \"b\"") == "#regex \"b\"");
  CHECK(codeOf("re-pattern", "1") == ErrorCode::TypeMismatch);
  Failure f = failure("re-pattern", "\"(unclosed\"");
  CHECK(f.code == ErrorCode::InvalidInput);
  CHECK(contains(f.message, "(unclosed"));
  CHECK(codeOf("re-find", "\"[\" \"abc\"") == ErrorCode::InvalidInput);

  // No groups: the match string.
  CHECK(ev("re-find", "#regex \"\\\\d+\" \"ab123cd45\"") == "\"123\"");
  CHECK(ev("re-find", "\"\\\\d+\" \"ab123cd45\"") == "\"123\"");  // plain string pattern
  CHECK(ev("re-find", "#regex \"x\" \"abc\"") == "nil");
  // Groups: [match g1 ...]; non-participating groups are nil.
  CHECK(ev("re-find", "#regex \"(\\\\w+)@(\\\\w+)\" \"mail bob@example now\"") ==
        "[\"bob@example\" \"bob\" \"example\"]");
  CHECK(ev("re-find", "#regex \"a(x)?b\" \"zabz\"") == "[\"ab\" nil]");
  CHECK(ev("re-matches", "#regex \"\\\\d+\" \"123\"") == "\"123\"");
  CHECK(ev("re-matches", "#regex \"\\\\d+\" \"123a\"") == "nil");
  CHECK(ev("re-matches", "#regex \"(\\\\d)(\\\\d)\" \"12\"") == "[\"12\" \"1\" \"2\"]");
  CHECK(ev("re-seq", "#regex \"\\\\d\" \"a1b2c3\"") == "(\"1\" \"2\" \"3\")");
  CHECK(ev("re-seq", "#regex \"(\\\\w)=(\\\\d)\" \"a=1 b=2\"") == "([\"a=1\" \"a\" \"1\"] [\"b=2\" \"b\" \"2\"])");
  CHECK(ev("re-seq", "#regex \"z\" \"abc\"") == "nil");
  CHECK(ev("re-seq", "#regex \"x*\" \"ab\"") == "(\"\" \"\" \"\")");  // empty matches advance
  // Code points, not bytes.
  CHECK(ev("re-find", "#regex \"h.llo\" \"say h\u00e9llo\"") == "\"h\u00e9llo\"");
  CHECK(ev("re-matches", "#regex \"...\" \"\u65e5\u672c\u8a9e\"") == "\"\u65e5\u672c\u8a9e\"");
  // (?i) prefix.
  CHECK(ev("re-find", "#regex \"(?i)hello\" \"Say HELLO\"") == "\"HELLO\"");
  CHECK(ev("re-find", "#regex \"hello\" \"Say HELLO\"") == "nil");
  // Argument types.
  CHECK(codeOf("re-find", "1 \"a\"") == ErrorCode::TypeMismatch);
  CHECK(codeOf("re-find", "#regex \"a\" nil") == ErrorCode::TypeMismatch);
  CHECK(codeOf("re-find", "#regex \"a\" :a") == ErrorCode::TypeMismatch);
  CHECK(codeOf("re-seq", "#foo \"a\" \"a\"") == ErrorCode::TypeMismatch);
  // Inputs longer than kMaxRegexInput are refused rather than risking the stack.
  std::string longText(kMaxRegexInput - 1, 'a');
  longText += 'b';
  CHECK(callFn("re-find", {Value::string("ab"), Value::string(longText)}).asString() == "ab");
  longText += 'b';
  for (const char* fn : {"re-find", "re-matches", "re-seq"}) {
    try {
      callFn(fn, {Value::string("(a|b)*"), Value::string(longText)});
      FAIL(fn << " accepted a too long input");
    } catch (const DataliteError& e) {
      CHECK(e.code() == ErrorCode::LimitExceeded);
    }
  }
  CHECK_THROWS_AS(callFn("clojure.string/split", {Value::string(longText), Value::string(",")}), DataliteError);
  CHECK(callFn("clojure.string/replace", {Value::string(longText), Value::string("a"), Value::string("")})
            .asString() == "bb");  // literal replace has no limit
}

TEST_CASE("builtins: deeply nested regex patterns are refused, not compiled", "[query][builtins]") {
  // The std::regex compiler recurses per group; 10,000 groups overflowed
  // the wasm stack (found by tests/js/bad-input.test.mjs).
  std::string deep = std::string(10'000, '(') + std::string(10'000, ')');
  for (const char* fn : {"re-pattern", "re-find"}) {
    std::vector<Value> args{Value::string(deep)};
    if (std::string(fn) == "re-find") args.push_back(Value::string("x"));
    try {
      callFn(fn, args);
      FAIL(fn << " compiled a 10,000-deep pattern");
    } catch (const DataliteError& e) {
      CHECK(e.code() == ErrorCode::LimitExceeded);
    }
  }
  std::string fine = std::string(64, '(') + "a" + std::string(64, ')');
  CHECK(callFn("re-find", {Value::string(fine), Value::string("xa")}).isVector());
  CHECK(callFn("re-find", {Value::string("\\(\\(\\(a"), Value::string("(((a")}).asString() == "(((a");
}

TEST_CASE("builtins: regex cache", "[query][builtins]") {
  clearRegexCache();
  RegexCacheStats s0 = regexCacheStats();
  CHECK(s0.hits == 0);
  CHECK(s0.misses == 0);
  CHECK(s0.size == 0);
  ev("re-find", "#regex \"c+\" \"accc\"");
  ev("re-find", "#regex \"c+\" \"xcx\"");
  ev("re-matches", "\"c+\" \"cc\"");  // a string pattern shares the entry
  RegexCacheStats s1 = regexCacheStats();
  CHECK(s1.misses == 1);
  CHECK(s1.hits == 2);
  CHECK(s1.size == 1);
  // Failed compilations are counted but not cached.
  CHECK_THROWS_AS(ev("re-find", "\"(\" \"x\""), DataliteError);
  CHECK(regexCacheStats().size == 1);

  // Bounded, LRU: fill past capacity while keeping one entry hot.
  for (size_t i = 0; i < kRegexCacheCapacity + 20; ++i) {
    callFn("re-find", {Value::string("p" + std::to_string(i)), Value::string("p1")});
    ev("re-find", "#regex \"c+\" \"c\"");
  }
  RegexCacheStats s2 = regexCacheStats();
  CHECK(s2.size == kRegexCacheCapacity);
  uint64_t missesBefore = s2.misses;
  ev("re-find", "#regex \"c+\" \"c\"");  // still cached
  CHECK(regexCacheStats().misses == missesBefore);
  callFn("re-find", {Value::string("p0"), Value::string("p0")});  // evicted long ago
  CHECK(regexCacheStats().misses == missesBefore + 1);

#if !defined(__EMSCRIPTEN__) || defined(__EMSCRIPTEN_PTHREADS__)
  // Thread safety: concurrent matching with a shared cache (not in the
  // single-threaded wasm build, which cannot start threads).
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([t, &bad] {
      for (int i = 0; i < 300; ++i) {
        std::string pat = "(\\d)" + std::to_string((i + t) % 40);
        std::string text = "x7" + std::to_string((i + t) % 40);
        Value r = callFn("re-find", {Value::string(pat), Value::string(text)});
        if (!r.isVector() || r.at(1).asString() != "7") ++bad;
      }
    });
  for (auto& th : threads) th.join();
  CHECK(bad == 0);
#endif
  clearRegexCache();
  CHECK(regexCacheStats().size == 0);
}

TEST_CASE("builtins: clojure.string predicates", "[query][builtins]") {
  CHECK(ev("clojure.string/blank?", "nil") == "true");
  CHECK(ev("clojure.string/blank?", "\"\"") == "true");
  CHECK(ev("clojure.string/blank?", "\" \\t\\n\"") == "true");
  CHECK(ev("clojure.string/blank?", "\"\u3000\"") == "true");  // ideographic space
  CHECK(ev("clojure.string/blank?", "\" a \"") == "false");
  CHECK(codeOf("clojure.string/blank?", "1") == ErrorCode::TypeMismatch);
  CHECK(ev("clojure.string/includes?", "\"hello\" \"ell\"") == "true");
  CHECK(ev("clojure.string/includes?", "\"hello\" \"\"") == "true");
  CHECK(ev("clojure.string/includes?", "\"hello\" \"xyz\"") == "false");
  CHECK(ev("clojure.string/starts-with?", "\"hello\" \"he\"") == "true");
  CHECK(ev("clojure.string/starts-with?", "\"hello\" \"lo\"") == "false");
  CHECK(ev("clojure.string/starts-with?", "\"he\" \"hello\"") == "false");
  CHECK(ev("clojure.string/ends-with?", "\"hello\" \"lo\"") == "true");
  CHECK(ev("clojure.string/ends-with?", "\"lo\" \"hello\"") == "false");
  CHECK(codeOf("clojure.string/includes?", "nil \"a\"") == ErrorCode::TypeMismatch);
  CHECK(codeOf("clojure.string/starts-with?", "\"a\" :a") == ErrorCode::TypeMismatch);
  Failure f = failure("clojure.string/ends-with?", "42 \"a\"");
  CHECK(f.message == "clojure.string/ends-with?: argument 1 must be a string, got 42");
}

TEST_CASE("builtins: clojure.string transformations", "[query][builtins]") {
  CHECK(ev("clojure.string/lower-case", "\"HeLLo \u00c9\u0100\u0391\u0416\"") == "\"hello \u00e9\u0101\u03b1\u0436\"");
  CHECK(ev("clojure.string/upper-case", "\"hello \u00e9\u0101\u03b1\u0436\u00ff\"") == "\"HELLO \u00c9\u0100\u0391\u0416\u0178\"");
  CHECK(ev("clojure.string/upper-case", "\"\u65e5\"") == "\"\u65e5\"");
  CHECK(ev("clojure.string/capitalize", "\"hELLO wORLD\"") == "\"Hello world\"");
  CHECK(ev("clojure.string/capitalize", "\"\"") == "\"\"");
  CHECK(ev("clojure.string/trim", "\"  a b \\n\"") == "\"a b\"");
  CHECK(ev("clojure.string/triml", "\"  a \"") == "\"a \"");
  CHECK(ev("clojure.string/trimr", "\"  a \"") == "\"  a\"");
  CHECK(ev("clojure.string/trim", "\"   \"") == "\"\"");
  CHECK(ev("clojure.string/trim", "\"\u2003x\u2003\"") == "\"x\"");
  CHECK(ev("clojure.string/trim-newline", "\"a\\r\\n\\n\"") == "\"a\"");
  CHECK(ev("clojure.string/trim-newline", "\" a \"") == "\" a \"");
  CHECK(ev("clojure.string/reverse", "\"ab\u00e9\"") == "\"\u00e9ba\"");
  CHECK(ev("clojure.string/join", "[1 \"a\" :b nil]") == "\"1a:b\"");
  CHECK(ev("clojure.string/join", "\", \" [1 2 3]") == "\"1, 2, 3\"");
  CHECK(ev("clojure.string/join", "\", \" []") == "\"\"");
  CHECK(ev("clojure.string/join", "\"-\" nil") == "\"\"");
  CHECK(ev("clojure.string/join", "\\- \"abc\"") == "\"a-b-c\"");
  CHECK(codeOf("clojure.string/join", "\"-\" 5") == ErrorCode::TypeMismatch);
  CHECK(ev("clojure.string/index-of", "\"h\u00e9llo\" \"l\"") == "2");
  CHECK(ev("clojure.string/index-of", "\"hello\" \\l 3") == "3");
  CHECK(ev("clojure.string/index-of", "\"hello\" \"z\"") == "nil");
  CHECK(ev("clojure.string/last-index-of", "\"hello\" \"l\"") == "3");
  CHECK(ev("clojure.string/last-index-of", "\"hello\" \"l\" 2") == "2");
  CHECK(ev("clojure.string/last-index-of", "\"hello\" \"l\" 1") == "nil");
  CHECK(ev("clojure.string/escape", "\"a<b>\" {\\< \"&lt;\" \\> \"&gt;\"}") == "\"a&lt;b&gt;\"");
  CHECK(codeOf("clojure.string/escape", "\"a\" 1") == ErrorCode::TypeMismatch);

  CHECK(ev("clojure.string/replace", "\"a.b.c\" \".\" \"-\"") == "\"a-b-c\"");  // literal
  CHECK(ev("clojure.string/replace", "\"abc\" \"\" \"-\"") == "\"-a-b-c-\"");
  CHECK(ev("clojure.string/replace", "\"abca\" \\a \\x") == "\"xbcx\"");
  CHECK(ev("clojure.string/replace", "\"a1b22\" #regex \"\\\\d+\" \"#\"") == "\"a#b#\"");
  CHECK(ev("clojure.string/replace", "\"john smith\" #regex \"(\\\\w+) (\\\\w+)\" \"$2 $1\"") == "\"smith john\"");
  CHECK(ev("clojure.string/replace-first", "\"a.b.c\" \".\" \"-\"") == "\"a-b.c\"");
  CHECK(ev("clojure.string/replace-first", "\"a1b22\" #regex \"\\\\d+\" \"#\"") == "\"a#b22\"");
  CHECK(codeOf("clojure.string/replace", "\"a\" 1 \"b\"") == ErrorCode::TypeMismatch);
  CHECK(codeOf("clojure.string/replace", "\"a\" \\a \"b\"") == ErrorCode::TypeMismatch);

  CHECK(ev("clojure.string/split", "\"a,b,,c,,\" #regex \",\"") == "[\"a\" \"b\" \"\" \"c\"]");
  CHECK(ev("clojure.string/split", "\"a,b,,c,,\" #regex \",\" -1") == "[\"a\" \"b\" \"\" \"c\" \"\" \"\"]");
  CHECK(ev("clojure.string/split", "\"a,b,c\" #regex \",\" 2") == "[\"a\" \"b,c\"]");
  CHECK(ev("clojure.string/split", "\"a b  c\" \"\\\\s+\"") == "[\"a\" \"b\" \"c\"]");
  CHECK(ev("clojure.string/split", "\"abc\" #regex \"\"") == "[\"a\" \"b\" \"c\"]");
  CHECK(ev("clojure.string/split", "\"abc\" #regex \"x\"") == "[\"abc\"]");
  CHECK(ev("clojure.string/split", "\"\" #regex \",\"") == "[\"\"]");
  CHECK(ev("clojure.string/split", "\",,\" #regex \",\"") == "[]");
  CHECK(ev("clojure.string/split", "\",a\" #regex \",\"") == "[\"\" \"a\"]");
  CHECK(ev("clojure.string/split-lines", "\"a\\nb\\r\\nc\\n\\n\"") == "[\"a\" \"b\" \"c\"]");
  CHECK(ev("clojure.string/split-lines", "\"\"") == "[\"\"]");
  for (const char* fn : {"clojure.string/lower-case", "clojure.string/upper-case", "clojure.string/trim",
                         "clojure.string/capitalize", "clojure.string/reverse", "clojure.string/split-lines"})
    CHECK(codeOf(fn, ":kw") == ErrorCode::TypeMismatch);
}
