// The pure built-in functions of the query language (DataScript's
// datascript.built-ins/query-fns), callable from predicate and function
// clauses: [(< ?a ?b)], [(str ?a "x") ?s], [(re-find ?re ?s) [?m ?g1]].
//
// The executor resolves a clause's function symbol with findBuiltin(), checks
// the argument count against minArgs/maxArgs (every fn checks it again and
// raises InvalidInput naming the function and the count) and calls fn. The
// database-dependent built-ins get-else, get-some and missing? are the
// executor's; the higher-order ones (complement, ...) are not supported.
//
// Semantics, where Clojure/ClojureScript/DataScript disagree or cannot be
// matched exactly (see also builtins.cpp):
//  * `=`, `not=`, `!=`, `-differ?`: value equality, the same equality joins
//    use (compareValues == 0): 1, 1N and 1.0 are three different values, as
//    on the JVM for 1 vs 1.0. `==` is numeric equality across kinds.
//  * `<` `>` `<=` `>=` `compare`: any values (DataScript's value-compare):
//    numbers numerically across Long/BigInt/Double (1 and 1.0 compare equal),
//    otherwise compareValues' total order. NaN sorts above every number.
//  * Arithmetic over Long/BigInt/Double. Any Double operand -> Double. Longs
//    stay Long while exact; a result outside int64 becomes a Double (JS-like,
//    no BigInteger growth). A BigInt operand (and no Double) -> BigInt.
//    `/` of integers that divide exactly -> integer, otherwise Double (no
//    ratios). Division (and quot/rem/mod) by zero -> InvalidInput.
//  * Strings are UTF-8; subs, count, index-of and the regex functions work on
//    Unicode code points, not UTF-16 units or bytes.
//  * Regexes are ECMAScript (std::regex). A regex Value is Tagged "regex"
//    wrapping the source string (the EDN form #regex "a+"); every regex
//    argument may also be a plain string. A leading "(?i)" turns on case-
//    insensitive matching; other inline flags are not supported.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/value.h"

namespace datalite::query {

// Throws DataliteError on bad arguments: InvalidInput for a wrong argument
// count or a bad value (division by zero, index out of range, invalid
// regex), TypeMismatch for an argument of the wrong type.
using BuiltinFn = Value (*)(std::span<const Value> args);

struct Builtin {
  std::string_view name;  // the symbol as written in the query: "<", "clojure.string/blank?"
  BuiltinFn fn;
  int minArgs;
  int maxArgs;            // -1 = variadic
  // False for rand and rand-int: the result differs between calls, so the
  // planner must not fold or cache a call with constant arguments.
  bool pure = true;
};

// nullptr when the symbol is not a built-in.
const Builtin* findBuiltin(std::string_view symbolName);

// Every built-in, in no particular order (for docs, tests and the planner).
std::span<const Builtin> allBuiltins();

// Clojure truthiness: only nil and false are falsy.
bool truthy(const Value& v);

// The tag of a regex Value (Value::tagged(kRegexTag, Value::string(src))).
inline constexpr std::string_view kRegexTag = "regex";

// Longest string (in code points) a regex is run over; longer ones raise
// LimitExceeded. std::regex matches recursively, so stack use grows with the
// input and unbounded inputs could overflow the (small, in wasm) stack.
inline constexpr size_t kMaxRegexInput = 4096;

// The regex cache: compiled patterns keyed by their source, shared by all
// threads (LRU, kRegexCacheCapacity entries).
inline constexpr size_t kRegexCacheCapacity = 128;
struct RegexCacheStats {
  uint64_t hits = 0;
  uint64_t misses = 0;  // compilations (failed ones included)
  size_t size = 0;
};
RegexCacheStats regexCacheStats();
void clearRegexCache();  // also resets the counters

namespace detail {
// The query layer's random source (rand, rand-int and the rand/sample
// aggregates): a thread-local std::mt19937_64 seeded from std::random_device.
void seedRandom(uint64_t seed);
uint64_t randomBelow(uint64_t n);  // uniform in [0, n); n > 0
double randomUnit();               // uniform in [0, 1)

// Arithmetic with the semantics above, for the aggregates. `fn` names the
// caller in error messages.
Value add(const Value& a, const Value& b, std::string_view fn);
Value divide(const Value& a, const Value& b, std::string_view fn);
// DataScript's value order (as `compare`): numbers numerically across kinds
// (1, 1N and 1.0 tie), everything else by compareValues. -1, 0 or 1.
int orderCompare(const Value& a, const Value& b);
// "... got <edn>" text of a value for error messages (truncated when long).
std::string describe(const Value& v);
}  // namespace detail

}  // namespace datalite::query
