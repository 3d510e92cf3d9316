// Aggregate functions of :find specs: (count ?x), (sum ?x), (max 3 ?x), ...
// as DataScript's datascript.built-ins/aggregates.
//
// The executor groups the rows, collects each group's values of the
// aggregated variable (duplicates included, as :with semantics give them)
// and calls fn with the constant leading arguments (n in (max n ?x)).
//
// Semantics:
//  * count, count-distinct: Long. distinct: a Set (items sorted by
//    compareValues).
//  * min, max: any values, by DataScript's value order (numbers numerically
//    across kinds, otherwise compareValues); ties keep the first value seen.
//    (min n ?x) / (max n ?x): a vector of the n smallest / largest values,
//    sorted ascending (fewer when the group is smaller).
//  * sum: numbers only; Longs stay Long while exact (overflow -> Double), any
//    Double -> Double, BigInt (without Double) -> BigInt. avg, variance
//    (population) and stddev -> Double. median: the middle value of the
//    sorted numbers; for an even count the mean of the two middle ones, by
//    the `/` built-in (an integer when exact, otherwise a Double).
//  * rand: one random value. (rand n ?x): n random values, with replacement.
//    (sample n ?x): min(n, count) distinct positions, without replacement.
//  * Empty input: count and count-distinct -> 0, sum -> 0, distinct -> #{},
//    (min n)/(max n)/(sample n) -> [], everything else -> nil.
//  * Errors: TypeMismatch for a non-number given to sum/avg/median/variance/
//    stddev or a non-integer n; InvalidInput for a negative n or a wrong
//    number of constant arguments; LimitExceeded for (rand n ?x) with n above
//    kMaxAggregateN.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/value.h"

namespace datalite::query {

// values: the grouped values (with duplicates as :with semantics give them);
// args: the constant leading args (e.g. n for (max n ?x), (sample n ?x),
// (rand n ?x)).
using AggregateFn = Value (*)(std::span<const Value> args, std::vector<Value>& values /* may be reordered */);

struct Aggregate {
  std::string_view name;
  AggregateFn fn;
  int constArgs;  // 0, or 1 for (max n ?x)
};

// nullptr when there is no aggregate of that name taking constArgCount
// constant arguments (e.g. ("sample", 0) or ("sum", 1)).
const Aggregate* findAggregate(std::string_view name, size_t constArgCount);

// True when some aggregate has this name (for telling "unknown aggregate"
// from "wrong number of arguments" in error messages).
bool isAggregateName(std::string_view name);

// Largest n accepted by (rand n ?x), whose result does not shrink with the
// input.
inline constexpr int64_t kMaxAggregateN = 1'000'000;

// Seeds the calling thread's random source used by rand and sample (and the
// rand / rand-int built-ins), for reproducible tests.
void seedAggregateRandom(uint64_t seed);

}  // namespace datalite::query
