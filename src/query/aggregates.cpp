// Aggregate functions; semantics in aggregates.h.
#include "query/aggregates.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "query/builtins.h"

namespace datalite::query {

namespace {

using detail::describe;

bool valueLess(const Value& a, const Value& b) { return compareValues(a, b) < 0; }
bool valueSame(const Value& a, const Value& b) { return compareValues(a, b) == 0; }

void checkConstArgs(std::string_view name, std::span<const Value> args, size_t expected) {
  if (args.size() != expected)
    raise(ErrorCode::InvalidInput, "aggregate " + std::string(name) + ": expected " + std::to_string(expected) +
                                       " constant argument(s), got " + std::to_string(args.size()));
}

// The n of (max n ?x): a non-negative integer (an integral Double is accepted).
int64_t countArg(std::string_view name, std::span<const Value> args) {
  checkConstArgs(name, args, 1);
  const Value& v = args[0];
  int64_t n;
  if (v.isInteger()) {
    n = v.asLong();
  } else if (v.kind() == Kind::Double && std::trunc(v.asDouble()) == v.asDouble() && std::abs(v.asDouble()) < 9.0e18) {
    n = static_cast<int64_t>(v.asDouble());
  } else {
    raise(ErrorCode::TypeMismatch, "aggregate " + std::string(name) + ": n must be an integer, got " + describe(v));
  }
  if (n < 0) raise(ErrorCode::InvalidInput, "aggregate " + std::string(name) + ": n must not be negative, got " + describe(v));
  return n;
}

void requireNumbers(std::string_view name, const std::vector<Value>& values) {
  for (const Value& v : values)
    if (!v.isNumber())
      raise(ErrorCode::TypeMismatch, "aggregate " + std::string(name) + ": expected numbers, got " + describe(v));
}

Value sumOf(std::string_view name, const std::vector<Value>& values) {
  requireNumbers(name, values);
  Value acc = Value::integer(0);
  for (const Value& v : values) acc = detail::add(acc, v, name);
  return acc;
}

double meanOf(std::string_view name, const std::vector<Value>& values) {
  return sumOf(name, values).toDouble() / static_cast<double>(values.size());
}

// --- the aggregates ---

Value aggCount(std::span<const Value> args, std::vector<Value>& values) {
  checkConstArgs("count", args, 0);
  return Value::integer(static_cast<int64_t>(values.size()));
}

void sortUnique(std::vector<Value>& values) {
  std::sort(values.begin(), values.end(), valueLess);
  values.erase(std::unique(values.begin(), values.end(), valueSame), values.end());
}

Value aggCountDistinct(std::span<const Value> args, std::vector<Value>& values) {
  checkConstArgs("count-distinct", args, 0);
  sortUnique(values);
  return Value::integer(static_cast<int64_t>(values.size()));
}

Value aggDistinct(std::span<const Value> args, std::vector<Value>& values) {
  checkConstArgs("distinct", args, 0);
  sortUnique(values);
  return Value::set(std::move(values));
}

Value aggSum(std::span<const Value> args, std::vector<Value>& values) {
  checkConstArgs("sum", args, 0);
  return sumOf("sum", values);
}

Value aggAvg(std::span<const Value> args, std::vector<Value>& values) {
  checkConstArgs("avg", args, 0);
  if (values.empty()) return Value();
  return Value::real(meanOf("avg", values));
}

Value aggMedian(std::span<const Value> args, std::vector<Value>& values) {
  checkConstArgs("median", args, 0);
  requireNumbers("median", values);
  if (values.empty()) return Value();
  size_t mid = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(mid), values.end(), valueLess);
  Value upper = values[mid];
  if (values.size() % 2 == 1) return upper;
  // The lower middle value is the largest of the first half.
  Value lower = *std::max_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(mid), valueLess);
  return detail::divide(detail::add(lower, upper, "median"), Value::integer(2), "median");
}

double varianceOf(std::string_view name, const std::vector<Value>& values) {
  double mean = meanOf(name, values);
  double sum = 0;
  for (const Value& v : values) {
    double d = v.toDouble() - mean;
    sum += d * d;
  }
  return sum / static_cast<double>(values.size());
}

Value aggVariance(std::span<const Value> args, std::vector<Value>& values) {
  checkConstArgs("variance", args, 0);
  requireNumbers("variance", values);
  if (values.empty()) return Value();
  return Value::real(varianceOf("variance", values));
}

Value aggStddev(std::span<const Value> args, std::vector<Value>& values) {
  checkConstArgs("stddev", args, 0);
  requireNumbers("stddev", values);
  if (values.empty()) return Value();
  return Value::real(std::sqrt(varianceOf("stddev", values)));
}

template <bool Max>
Value aggMinMax(std::span<const Value> args, std::vector<Value>& values) {
  checkConstArgs(Max ? "max" : "min", args, 0);
  if (values.empty()) return Value();
  size_t best = 0;
  for (size_t i = 1; i < values.size(); ++i) {
    int c = detail::orderCompare(values[i], values[best]);
    if (Max ? c > 0 : c < 0) best = i;
  }
  return values[best];
}

template <bool Max>
Value aggMinMaxN(std::span<const Value> args, std::vector<Value>& values) {
  int64_t n = countArg(Max ? "max" : "min", args);
  size_t k = static_cast<size_t>(std::min<int64_t>(n, static_cast<int64_t>(values.size())));
  auto mid = values.begin() + static_cast<std::ptrdiff_t>(k);
  if (Max) {
    std::partial_sort(values.begin(), mid, values.end(), [](const Value& a, const Value& b) { return valueLess(b, a); });
    std::reverse(values.begin(), mid);
  } else {
    std::partial_sort(values.begin(), mid, values.end(), valueLess);
  }
  return Value::vector(std::vector<Value>(values.begin(), mid));
}

Value aggRand(std::span<const Value> args, std::vector<Value>& values) {
  checkConstArgs("rand", args, 0);
  if (values.empty()) return Value();
  return values[detail::randomBelow(values.size())];
}

Value aggRandN(std::span<const Value> args, std::vector<Value>& values) {
  int64_t n = countArg("rand", args);
  if (n > kMaxAggregateN)
    raise(ErrorCode::LimitExceeded,
          "aggregate rand: n = " + std::to_string(n) + " exceeds the limit of " + std::to_string(kMaxAggregateN));
  if (values.empty()) return Value();
  std::vector<Value> out;
  out.reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) out.push_back(values[detail::randomBelow(values.size())]);
  return Value::vector(std::move(out));
}

// A partial Fisher-Yates shuffle of the first min(n, size) positions.
Value aggSample(std::span<const Value> args, std::vector<Value>& values) {
  int64_t n = countArg("sample", args);
  size_t k = static_cast<size_t>(std::min<int64_t>(n, static_cast<int64_t>(values.size())));
  for (size_t i = 0; i < k; ++i) {
    size_t j = i + static_cast<size_t>(detail::randomBelow(values.size() - i));
    std::swap(values[i], values[j]);
  }
  return Value::vector(std::vector<Value>(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(k)));
}

constexpr Aggregate kAggregates[] = {
    {"count", aggCount, 0},
    {"count-distinct", aggCountDistinct, 0},
    {"distinct", aggDistinct, 0},
    {"sum", aggSum, 0},
    {"avg", aggAvg, 0},
    {"median", aggMedian, 0},
    {"variance", aggVariance, 0},
    {"stddev", aggStddev, 0},
    {"min", aggMinMax<false>, 0},
    {"max", aggMinMax<true>, 0},
    {"min", aggMinMaxN<false>, 1},
    {"max", aggMinMaxN<true>, 1},
    {"rand", aggRand, 0},
    {"rand", aggRandN, 1},
    {"sample", aggSample, 1},
};

}  // namespace

const Aggregate* findAggregate(std::string_view name, size_t constArgCount) {
  for (const Aggregate& a : kAggregates)
    if (a.name == name && static_cast<size_t>(a.constArgs) == constArgCount) return &a;
  return nullptr;
}

bool isAggregateName(std::string_view name) {
  for (const Aggregate& a : kAggregates)
    if (a.name == name) return true;
  return false;
}

void seedAggregateRandom(uint64_t seed) { detail::seedRandom(seed); }

}  // namespace datalite::query
