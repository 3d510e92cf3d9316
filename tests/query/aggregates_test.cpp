// Tests for the query aggregates (src/query/aggregates.h).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "edn/edn.h"
#include "query/aggregates.h"

using namespace datalite;
using namespace datalite::query;

namespace {

std::vector<Value> vals(std::string_view edn) { return edn::readOne("[" + std::string(edn) + "]").items(); }

Value agg(std::string_view name, std::vector<Value> values, std::vector<Value> args = {}) {
  const Aggregate* a = findAggregate(name, args.size());
  if (!a) FAIL("no aggregate " << name << "/" << args.size());
  return a->fn(std::span<const Value>(args.data(), args.size()), values);
}

// EDN in, EDN out: (name consts... ?x) over the values.
std::string ag(std::string_view name, std::string_view values, std::string_view consts = "") {
  return edn::print(agg(name, vals(values), vals(consts)));
}

ErrorCode codeOf(std::string_view name, std::string_view values, std::string_view consts = "") {
  try {
    Value v = agg(name, vals(values), vals(consts));
    FAIL("(" << name << ") did not throw; returned " << edn::print(v));
  } catch (const DataliteError& e) {
    return e.code();
  }
  return ErrorCode::ParseError;
}

std::vector<Value> range(int n) {
  std::vector<Value> out;
  for (int i = 0; i < n; ++i) out.push_back(Value::integer(i));
  return out;
}

}  // namespace

TEST_CASE("aggregates: lookup", "[query][aggregates]") {
  for (const char* n : {"count", "count-distinct", "sum", "avg", "median", "variance", "stddev", "distinct", "min",
                        "max", "rand"})
    CHECK(findAggregate(n, 0) != nullptr);
  for (const char* n : {"min", "max", "rand", "sample"}) CHECK(findAggregate(n, 1) != nullptr);
  CHECK(findAggregate("sample", 0) == nullptr);
  CHECK(findAggregate("sum", 1) == nullptr);
  CHECK(findAggregate("max", 2) == nullptr);
  CHECK(findAggregate("nope", 0) == nullptr);
  CHECK(findAggregate("max", 1)->constArgs == 1);
  CHECK(findAggregate("max", 0)->constArgs == 0);
  CHECK(isAggregateName("sample"));
  CHECK_FALSE(isAggregateName("frobnicate"));
  // A fn called with the wrong number of constant args refuses.
  std::vector<Value> v = vals("1 2");
  std::vector<Value> one = vals("1");
  CHECK_THROWS_AS(findAggregate("sum", 0)->fn(one, v), DataliteError);
  CHECK_THROWS_AS(findAggregate("sample", 1)->fn({}, v), DataliteError);
}

TEST_CASE("aggregates: count, count-distinct, distinct", "[query][aggregates]") {
  CHECK(ag("count", "1 2 2 nil") == "4");
  CHECK(ag("count", "") == "0");
  CHECK(ag("count-distinct", "1 2 2 :a :a \"a\" nil nil") == "5");
  CHECK(ag("count-distinct", "") == "0");
  CHECK(ag("count-distinct", "1 1.0 1N") == "3");  // distinct values, as joins see them
  CHECK(ag("distinct", "3 1 2 1 3") == "#{1 2 3}");
  CHECK(ag("distinct", "") == "#{}");
  CHECK(ag("distinct", ":b \"a\" :b [1]") == "#{\"a\" :b [1]}");
}

TEST_CASE("aggregates: sum and avg", "[query][aggregates]") {
  CHECK(ag("sum", "1 2 3") == "6");
  CHECK(ag("sum", "") == "0");
  CHECK(ag("sum", "1 2.5") == "3.5");
  CHECK(ag("sum", "1N 2") == "3N");
  CHECK(ag("sum", "1N 2 0.5") == "3.5");
  CHECK(ag("sum", "9223372036854775807 1") == "9223372036854775808.0");
  CHECK(ag("sum", "-5 5") == "0");
  CHECK(codeOf("sum", "1 \"2\"") == ErrorCode::TypeMismatch);
  CHECK(codeOf("sum", "1 nil") == ErrorCode::TypeMismatch);
  CHECK(codeOf("sum", ":a") == ErrorCode::TypeMismatch);

  CHECK(ag("avg", "1 2") == "1.5");
  CHECK(ag("avg", "2 4") == "3.0");
  CHECK(ag("avg", "1.5 2.5 2N") == "2.0");
  CHECK(ag("avg", "7") == "7.0");
  CHECK(ag("avg", "") == "nil");
  CHECK(codeOf("avg", "1 :x") == ErrorCode::TypeMismatch);
}

TEST_CASE("aggregates: median, variance, stddev", "[query][aggregates]") {
  CHECK(ag("median", "3 1 2") == "2");
  CHECK(ag("median", "5") == "5");
  CHECK(ag("median", "4 1 3 2") == "2.5");
  CHECK(ag("median", "1 3") == "2");       // exact mean of the middle pair stays integer
  CHECK(ag("median", "1 2 3 10") == "2.5");
  CHECK(ag("median", "1.0 3") == "2.0");
  CHECK(ag("median", "2 2 2 2") == "2");
  CHECK(ag("median", "10 -1 7 3 3 8") == "5");  // (3 + 7) / 2
  CHECK(ag("median", "") == "nil");
  CHECK(codeOf("median", "1 \"a\"") == ErrorCode::TypeMismatch);

  CHECK(ag("variance", "1 2 3 4") == "1.25");  // population variance
  CHECK(ag("variance", "5") == "0.0");
  CHECK(ag("variance", "2 4 4 4 5 5 7 9") == "4.0");
  CHECK(ag("variance", "") == "nil");
  CHECK(ag("stddev", "2 4 4 4 5 5 7 9") == "2.0");
  CHECK(ag("stddev", "1.5 1.5") == "0.0");
  CHECK(ag("stddev", "") == "nil");
  CHECK(codeOf("variance", "1 nil") == ErrorCode::TypeMismatch);
  CHECK(codeOf("stddev", ":a") == ErrorCode::TypeMismatch);
}

TEST_CASE("aggregates: min and max", "[query][aggregates]") {
  CHECK(ag("min", "3 1 2") == "1");
  CHECK(ag("max", "3 1 2") == "3");
  CHECK(ag("min", "2 1.5 3N") == "1.5");
  CHECK(ag("max", "2 1.5 3N") == "3N");
  CHECK(ag("min", "\"b\" \"a\" \"c\"") == "\"a\"");
  CHECK(ag("max", ":b :a :c") == ":c");
  CHECK(ag("max", "#inst \"2020-01-01T00:00:00.000-00:00\" #inst \"2021-01-01T00:00:00.000-00:00\"") ==
        "#inst \"2021-01-01T00:00:00.000-00:00\"");
  CHECK(ag("min", "1 1.0") == "1");    // ties keep the first value seen
  CHECK(ag("min", "1.0 1") == "1.0");
  CHECK(ag("min", "") == "nil");
  CHECK(ag("max", "") == "nil");
  CHECK(ag("max", "nil 1") == "1");
  CHECK(ag("min", "nil 1") == "nil");

  CHECK(ag("min", "5 3 9 1 7", "2") == "[1 3]");
  CHECK(ag("max", "5 3 9 1 7", "2") == "[7 9]");  // ascending, as DataScript
  CHECK(ag("max", "5 3 9 1 7", "10") == "[1 3 5 7 9]");
  CHECK(ag("min", "5 3", "0") == "[]");
  CHECK(ag("min", "", "3") == "[]");
  CHECK(ag("max", "\"b\" \"a\" \"c\"", "2") == "[\"b\" \"c\"]");
  CHECK(ag("min", "2 2 1 1", "3") == "[1 1 2]");  // duplicates kept
  CHECK(ag("max", "1 2", "2.0") == "[1 2]");      // integral double n
  CHECK(codeOf("max", "1 2", "-1") == ErrorCode::InvalidInput);
  CHECK(codeOf("max", "1 2", "\"2\"") == ErrorCode::TypeMismatch);
  CHECK(codeOf("min", "1 2", "1.5") == ErrorCode::TypeMismatch);

  // Large input and large n.
  std::vector<Value> big = range(100000);
  std::reverse(big.begin(), big.end());
  Value top = agg("max", big, {Value::integer(3)});
  CHECK(edn::print(top) == "[99997 99998 99999]");
  Value all = agg("min", range(1000), {Value::integer(1000000000)});
  CHECK(all.count() == 1000);
  CHECK(edn::print(agg("min", range(100000), {})) == "0");
}

TEST_CASE("aggregates: rand and sample", "[query][aggregates]") {
  seedAggregateRandom(42);
  std::vector<Value> in = vals("1 2 3 4 5");

  Value r = agg("rand", in);
  CHECK(r.isNumber());
  CHECK((r.asLong() >= 1 && r.asLong() <= 5));
  CHECK(ag("rand", "") == "nil");
  CHECK(ag("rand", ":only") == ":only");

  Value rn = agg("rand", in, {Value::integer(50)});
  REQUIRE(rn.isVector());
  CHECK(rn.count() == 50);
  std::set<int64_t> seen;
  for (const Value& v : rn.items()) {
    CHECK((v.asLong() >= 1 && v.asLong() <= 5));
    seen.insert(v.asLong());
  }
  CHECK(seen.size() > 1);  // with replacement, 50 draws from 5 hit several values
  CHECK(ag("rand", "1 2", "0") == "[]");
  CHECK(ag("rand", "", "3") == "nil");
  CHECK(ag("rand", ":x", "3") == "[:x :x :x]");
  CHECK(codeOf("rand", "1", "-2") == ErrorCode::InvalidInput);
  CHECK(codeOf("rand", "1", "10000000000") == ErrorCode::LimitExceeded);

  Value s = agg("sample", in, {Value::integer(3)});
  REQUIRE(s.isVector());
  CHECK(s.count() == 3);
  std::set<int64_t> distinct;
  for (const Value& v : s.items()) distinct.insert(v.asLong());
  CHECK(distinct.size() == 3);  // without replacement
  for (int64_t x : distinct) CHECK((x >= 1 && x <= 5));
  Value sAll = agg("sample", in, {Value::integer(100)});
  CHECK(sAll.count() == 5);
  std::vector<Value> sorted = sAll.items();
  std::sort(sorted.begin(), sorted.end());
  CHECK(edn::print(Value::vector(sorted)) == "[1 2 3 4 5]");
  CHECK(ag("sample", "", "2") == "[]");
  CHECK(ag("sample", "1 2", "0") == "[]");
  CHECK(codeOf("sample", "1", "-1") == ErrorCode::InvalidInput);
  CHECK(codeOf("sample", "1", "nil") == ErrorCode::TypeMismatch);

  // Seeding makes the choices reproducible.
  seedAggregateRandom(7);
  std::string a1 = edn::print(agg("sample", range(1000), {Value::integer(10)}));
  std::string a2 = edn::print(agg("rand", range(1000), {Value::integer(10)}));
  seedAggregateRandom(7);
  CHECK(edn::print(agg("sample", range(1000), {Value::integer(10)})) == a1);
  CHECK(edn::print(agg("rand", range(1000), {Value::integer(10)})) == a2);

  // Every element can be chosen (no off-by-one at the ends).
  std::set<int64_t> hit;
  for (int i = 0; i < 400; ++i) hit.insert(agg("rand", vals("0 1 2 3")).asLong());
  CHECK(hit.size() == 4);
  // A large sample from a large group is a permutation prefix.
  Value bigSample = agg("sample", range(50000), {Value::integer(40000)});
  std::set<int64_t> uniq;
  for (const Value& v : bigSample.items()) uniq.insert(v.asLong());
  CHECK(uniq.size() == 40000);
}
