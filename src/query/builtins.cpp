// The pure built-in query functions. Semantics and deviations from
// Clojure/DataScript are summarised in builtins.h; details are next to each
// function below.
#include "query/builtins.h"

#include <algorithm>
#include <array>
#include <climits>
#include <cmath>
#include <list>
#include <memory>
#include <mutex>
#include <random>
#include <regex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "edn/edn.h"

namespace datalite::query {

bool truthy(const Value& v) {
  return !(v.isNil() || (v.kind() == Kind::Boolean && !v.asBool()));
}

namespace detail {

std::string describe(const Value& v) {
  std::string s = edn::print(v);
  constexpr size_t kMax = 160;
  if (s.size() > kMax) {
    size_t cut = kMax - 3;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // keep UTF-8 whole
    s.resize(cut);
    s += "...";
  }
  return s;
}

}  // namespace detail

namespace {

using detail::describe;

// ---------------------------------------------------------------------------
// Call context: argument access with typed checks and errors naming the call.

struct Call {
  std::string_view name;
  std::span<const Value> args;

  size_t size() const { return args.size(); }
  const Value& operator[](size_t i) const { return args[i]; }

  std::string form() const {
    std::string s = "(";
    s += name;
    for (const Value& a : args) {
      s += ' ';
      s += describe(a);
    }
    s += ')';
    return s;
  }
  [[noreturn]] void typeError(size_t i, std::string_view expected) const {
    raise(ErrorCode::TypeMismatch, std::string(name) + ": argument " + std::to_string(i + 1) + " must be " +
                                       std::string(expected) + ", got " + describe(args[i]));
  }
  [[noreturn]] void invalid(const std::string& what) const {
    raise(ErrorCode::InvalidInput, form() + ": " + what);
  }
  const Value& number(size_t i) const {
    if (!args[i].isNumber()) typeError(i, "a number");
    return args[i];
  }
  const Value& integer(size_t i) const {
    if (!args[i].isInteger()) typeError(i, "an integer");
    return args[i];
  }
  std::string_view string(size_t i) const {
    if (!args[i].isString()) typeError(i, "a string");
    return args[i].asString();
  }
  // An index or count: Long/BigInt, or a Double with an integral value.
  int64_t index(size_t i) const {
    const Value& v = args[i];
    if (v.isInteger()) return v.asLong();
    if (v.kind() == Kind::Double) {
      double d = v.asDouble();
      if (std::trunc(d) == d && d >= -9.0e18 && d <= 9.0e18) return static_cast<int64_t>(d);
    }
    typeError(i, "an integer");
  }
};

using Impl = Value (*)(const Call&);

// ---------------------------------------------------------------------------
// UTF-8 <-> code points. Invalid input bytes decode as U+FFFD.

std::u32string decodeUtf8(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  size_t i = 0, n = s.size();
  while (i < n) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    char32_t cp;
    int len;
    if (c < 0x80) { cp = c; len = 1; }
    else if ((c & 0xE0) == 0xC0) { cp = c & 0x1F; len = 2; }
    else if ((c & 0xF0) == 0xE0) { cp = c & 0x0F; len = 3; }
    else if ((c & 0xF8) == 0xF0) { cp = c & 0x07; len = 4; }
    else { out.push_back(0xFFFD); ++i; continue; }
    if (i + len > n) { out.push_back(0xFFFD); ++i; continue; }
    bool ok = true;
    for (int k = 1; k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) { ok = false; break; }
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (!ok) { out.push_back(0xFFFD); ++i; continue; }
    out.push_back(cp);
    i += len;
  }
  return out;
}

void appendUtf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x110000) {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    appendUtf8(out, 0xFFFD);
  }
}

template <typename It>
std::string encodeUtf8(It begin, It end) {
  std::string out;
  out.reserve(static_cast<size_t>(end - begin));
  for (It it = begin; it != end; ++it) appendUtf8(out, static_cast<char32_t>(*it));
  return out;
}
std::string encodeUtf8(const std::u32string& s) { return encodeUtf8(s.begin(), s.end()); }

size_t countCodePoints(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

// java.lang.Character.isWhitespace, which clojure.string's trim/blank? use.
bool isWhitespace(char32_t c) {
  if (c == ' ' || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F)) return true;
  if (c < 0x1680) return false;
  return c == 0x1680 || (c >= 0x2000 && c <= 0x2006) || (c >= 0x2008 && c <= 0x200A) || c == 0x2028 ||
         c == 0x2029 || c == 0x205F || c == 0x3000;
}

// Simple case mapping for ASCII, Latin-1, Latin Extended-A, basic Greek and
// basic Cyrillic. Other scripts are left unchanged.
char32_t toLowerCp(char32_t c) {
  if (c < 0x80) return (c >= 'A' && c <= 'Z') ? c + 32 : c;
  if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 32;
  if (c >= 0x100 && c <= 0x17F) {
    if (c == 0x130) return 'i';
    if (c == 0x178) return 0xFF;
    if ((c <= 0x137 || (c >= 0x14A && c <= 0x177)) && c % 2 == 0) return c + 1;
    if (((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) && c % 2 == 1) return c + 1;
    return c;
  }
  if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2) return c + 32;
  if (c >= 0x410 && c <= 0x42F) return c + 32;
  if (c >= 0x400 && c <= 0x40F) return c + 80;
  return c;
}

char32_t toUpperCp(char32_t c) {
  if (c < 0x80) return (c >= 'a' && c <= 'z') ? c - 32 : c;
  if (c >= 0xE0 && c <= 0xFE && c != 0xF7) return c - 32;
  if (c == 0xFF) return 0x178;
  if (c >= 0x100 && c <= 0x17F) {
    if (c == 0x131) return 'I';
    if ((c <= 0x137 || (c >= 0x14A && c <= 0x177)) && c % 2 == 1) return c - 1;
    if (((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) && c % 2 == 0) return c - 1;
    return c;
  }
  if (c >= 0x3B1 && c <= 0x3C9 && c != 0x3C2) return c - 32;
  if (c == 0x3C2) return 0x3A3;  // final sigma
  if (c >= 0x430 && c <= 0x44F) return c - 32;
  if (c >= 0x450 && c <= 0x45F) return c - 80;
  return c;
}

std::string mapCase(std::string_view s, char32_t (*f)(char32_t)) {
  std::u32string cps = decodeUtf8(s);
  for (char32_t& c : cps) c = f(c);
  return encodeUtf8(cps);
}

// ---------------------------------------------------------------------------
// Numbers.

bool isDouble(const Value& v) { return v.kind() == Kind::Double; }
bool isBig(const Value& v) { return v.kind() == Kind::BigInt; }
Value intResult(int64_t r, bool big) { return big ? Value::bigint(r) : Value::integer(r); }
bool isZero(const Value& v) { return isDouble(v) ? v.asDouble() == 0.0 : v.asLong() == 0; }

// Numeric equality across kinds (1 == 1N == 1.0; NaN equals nothing).
bool numEqual(const Value& a, const Value& b) {
  bool ad = isDouble(a), bd = isDouble(b);
  if (!ad && !bd) return a.asLong() == b.asLong();
  if (ad && bd) return a.asDouble() == b.asDouble();
  double d = ad ? a.asDouble() : b.asDouble();
  int64_t i = ad ? b.asLong() : a.asLong();
  if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0) || std::trunc(d) != d) return false;
  return static_cast<int64_t>(d) == i;
}

// DataScript's value-compare: numbers numerically (kinds do not break ties),
// everything else by compareValues.
int orderCompare(const Value& a, const Value& b) {
  int c = compareValues(a, b);
  if (c != 0 && a.isNumber() && b.isNumber() && a.kind() != b.kind() && numEqual(a, b)) return 0;
  return c;
}

Value addNum(const Value& a, const Value& b) {
  if (isDouble(a) || isDouble(b)) return Value::real(a.toDouble() + b.toDouble());
  int64_t r;
  if (__builtin_add_overflow(a.asLong(), b.asLong(), &r))
    return Value::real(static_cast<double>(a.asLong()) + static_cast<double>(b.asLong()));
  return intResult(r, isBig(a) || isBig(b));
}

Value subNum(const Value& a, const Value& b) {
  if (isDouble(a) || isDouble(b)) return Value::real(a.toDouble() - b.toDouble());
  int64_t r;
  if (__builtin_sub_overflow(a.asLong(), b.asLong(), &r))
    return Value::real(static_cast<double>(a.asLong()) - static_cast<double>(b.asLong()));
  return intResult(r, isBig(a) || isBig(b));
}

Value mulNum(const Value& a, const Value& b) {
  if (isDouble(a) || isDouble(b)) return Value::real(a.toDouble() * b.toDouble());
  int64_t r;
  if (__builtin_mul_overflow(a.asLong(), b.asLong(), &r))
    return Value::real(static_cast<double>(a.asLong()) * static_cast<double>(b.asLong()));
  return intResult(r, isBig(a) || isBig(b));
}

// b must not be zero.
Value divNum(const Value& a, const Value& b) {
  if (isDouble(a) || isDouble(b)) return Value::real(a.toDouble() / b.toDouble());
  int64_t x = a.asLong(), y = b.asLong();
  bool big = isBig(a) || isBig(b);
  if (y == -1 && x == INT64_MIN) return Value::real(-static_cast<double>(x));
  if (x % y == 0) return intResult(x / y, big);
  return Value::real(static_cast<double>(x) / static_cast<double>(y));
}

Value negNum(const Value& a) {
  if (isDouble(a)) return Value::real(-a.asDouble());
  if (a.asLong() == INT64_MIN) return Value::real(-static_cast<double>(a.asLong()));
  return intResult(-a.asLong(), isBig(a));
}

}  // namespace

namespace detail {

Value add(const Value& a, const Value& b, std::string_view fn) {
  if (!a.isNumber() || !b.isNumber())
    raise(ErrorCode::TypeMismatch,
          std::string(fn) + ": expected a number, got " + describe(a.isNumber() ? b : a));
  return addNum(a, b);
}

int orderCompare(const Value& a, const Value& b) {
  int c = query::orderCompare(a, b);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

Value divide(const Value& a, const Value& b, std::string_view fn) {
  if (!a.isNumber() || !b.isNumber())
    raise(ErrorCode::TypeMismatch,
          std::string(fn) + ": expected a number, got " + describe(a.isNumber() ? b : a));
  if (isZero(b))
    raise(ErrorCode::InvalidInput, std::string(fn) + ": division by zero (" + describe(a) + " / " + describe(b) + ")");
  return divNum(a, b);
}

// --- random source ---

namespace {
std::mt19937_64& rng() {
  thread_local std::mt19937_64 engine = [] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd()};
    return std::mt19937_64(seq);
  }();
  return engine;
}
}  // namespace

void seedRandom(uint64_t seed) { rng().seed(seed); }
uint64_t randomBelow(uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng()); }
double randomUnit() { return std::uniform_real_distribution<double>(0.0, 1.0)(rng()); }

}  // namespace detail

namespace {

// ---------------------------------------------------------------------------
// Equality and comparison.

Value fnEq(const Call& c) {
  for (size_t i = 1; i < c.size(); ++i)
    if (compareValues(c[i - 1], c[i]) != 0) return Value::boolean(false);
  return Value::boolean(true);
}

Value fnNotEq(const Call& c) { return Value::boolean(!fnEq(c).asBool()); }

Value fnNumEq(const Call& c) {
  for (size_t i = 0; i < c.size(); ++i) c.number(i);
  for (size_t i = 1; i < c.size(); ++i)
    if (!numEqual(c[i - 1], c[i])) return Value::boolean(false);
  return Value::boolean(true);
}

template <bool (*Ok)(int)>
Value chainCompare(const Call& c) {
  for (size_t i = 1; i < c.size(); ++i)
    if (!Ok(orderCompare(c[i - 1], c[i]))) return Value::boolean(false);
  return Value::boolean(true);
}
bool isLt(int x) { return x < 0; }
bool isGt(int x) { return x > 0; }
bool isLe(int x) { return x <= 0; }
bool isGe(int x) { return x >= 0; }

Value fnCompare(const Call& c) {
  int r = orderCompare(c[0], c[1]);
  return Value::integer(r < 0 ? -1 : (r > 0 ? 1 : 0));
}

// True when the first half of the arguments differs from the second half
// (with an odd count the first "half" is the larger one, as in DataScript).
Value fnDiffer(const Call& c) {
  size_t n = c.size(), h = (n + 1) / 2;
  if (h != n - h) return Value::boolean(true);
  for (size_t i = 0; i < h; ++i)
    if (compareValues(c[i], c[h + i]) != 0) return Value::boolean(true);
  return Value::boolean(false);
}

// ---------------------------------------------------------------------------
// Arithmetic.

Value fnAdd(const Call& c) {
  Value acc = Value::integer(0);
  for (size_t i = 0; i < c.size(); ++i) acc = addNum(acc, c.number(i));
  return acc;
}

Value fnMul(const Call& c) {
  Value acc = Value::integer(1);
  for (size_t i = 0; i < c.size(); ++i) acc = mulNum(acc, c.number(i));
  return acc;
}

Value fnSub(const Call& c) {
  for (size_t i = 0; i < c.size(); ++i) c.number(i);
  if (c.size() == 1) return negNum(c[0]);
  Value acc = c[0];
  for (size_t i = 1; i < c.size(); ++i) acc = subNum(acc, c[i]);
  return acc;
}

Value fnDiv(const Call& c) {
  for (size_t i = 0; i < c.size(); ++i) c.number(i);
  if (c.size() == 1) {
    if (isZero(c[0])) c.invalid("division by zero");
    return divNum(Value::integer(1), c[0]);
  }
  Value acc = c[0];
  for (size_t i = 1; i < c.size(); ++i) {
    if (isZero(c[i])) c.invalid("division by zero");
    acc = divNum(acc, c[i]);
  }
  return acc;
}

enum class DivOp { Quot, Rem, Mod };

template <DivOp Op>
Value integerDivision(const Call& c) {
  const Value& a = c.number(0);
  const Value& b = c.number(1);
  if (isZero(b)) c.invalid("division by zero");
  if (isDouble(a) || isDouble(b)) {
    double x = a.toDouble(), y = b.toDouble();
    if (Op == DivOp::Quot) return Value::real(std::trunc(x / y));
    double r = std::fmod(x, y);
    if (Op == DivOp::Mod && r != 0 && ((r < 0) != (y < 0))) r += y;
    return Value::real(r);
  }
  int64_t x = a.asLong(), y = b.asLong();
  bool big = isBig(a) || isBig(b);
  if (y == -1) {  // avoids INT64_MIN / -1 overflow
    if (Op != DivOp::Quot) return intResult(0, big);
    return negNum(intResult(x, big));
  }
  if (Op == DivOp::Quot) return intResult(x / y, big);
  int64_t r = x % y;
  if (Op == DivOp::Mod && r != 0 && ((r < 0) != (y < 0))) r += y;
  return intResult(r, big);
}

Value fnInc(const Call& c) { return addNum(c.number(0), Value::integer(1)); }
Value fnDec(const Call& c) { return subNum(c.number(0), Value::integer(1)); }

template <bool Max>
Value minMax(const Call& c) {
  for (size_t i = 0; i < c.size(); ++i) c.number(i);
  Value best = c[0];
  for (size_t i = 1; i < c.size(); ++i) {
    const Value& x = c[i];
    if (isDouble(best) && std::isnan(best.asDouble())) break;  // NaN wins, as in Clojure
    if (isDouble(x) && std::isnan(x.asDouble())) { best = x; break; }
    int r = orderCompare(x, best);
    if (Max ? r > 0 : r < 0) best = x;
  }
  return best;
}

Value fnZero(const Call& c) { return Value::boolean(isZero(c.number(0))); }
Value fnPos(const Call& c) {
  const Value& v = c.number(0);
  return Value::boolean(isDouble(v) ? v.asDouble() > 0 : v.asLong() > 0);
}
Value fnNeg(const Call& c) {
  const Value& v = c.number(0);
  return Value::boolean(isDouble(v) ? v.asDouble() < 0 : v.asLong() < 0);
}
Value fnEven(const Call& c) { return Value::boolean(c.integer(0).asLong() % 2 == 0); }
Value fnOdd(const Call& c) { return Value::boolean(c.integer(0).asLong() % 2 != 0); }

// (rand) -> [0, 1); (rand n) -> [0, n).
Value fnRand(const Call& c) {
  double u = detail::randomUnit();
  if (c.size() == 0) return Value::real(u);
  return Value::real(u * c.number(0).toDouble());
}

// (rand-int n): (int (rand n)), so 0 for n = 0 and (n, 0] for negative n.
Value fnRandInt(const Call& c) {
  double x = detail::randomUnit() * c.number(0).toDouble();
  if (!(x > -9.2e18 && x < 9.2e18)) c.invalid("bound out of range");
  return Value::integer(static_cast<int64_t>(x));
}

// ---------------------------------------------------------------------------
// Logic and identity.

Value fnIdentity(const Call& c) { return c[0]; }
Value fnTrueP(const Call& c) { return Value::boolean(c[0].kind() == Kind::Boolean && c[0].asBool()); }
Value fnFalseP(const Call& c) { return Value::boolean(c[0].kind() == Kind::Boolean && !c[0].asBool()); }
Value fnNilP(const Call& c) { return Value::boolean(c[0].isNil()); }
Value fnSomeP(const Call& c) { return Value::boolean(!c[0].isNil()); }
Value fnNot(const Call& c) { return Value::boolean(!truthy(c[0])); }

// (and) -> true; otherwise the first falsy argument, or the last one.
Value fnAnd(const Call& c) {
  Value v = Value::boolean(true);
  for (const Value& a : c.args) {
    v = a;
    if (!truthy(a)) break;
  }
  return v;
}

// (or) -> nil; otherwise the first truthy argument, or the last one.
Value fnOr(const Call& c) {
  Value v;
  for (const Value& a : c.args) {
    v = a;
    if (truthy(a)) break;
  }
  return v;
}

// Same kind and payload: the same interned keyword, the same heap object, or
// the same scalar.
Value fnIdentical(const Call& c) { return Value::boolean(c[0].identical(c[1])); }

// ---------------------------------------------------------------------------
// Collections.

Value fnVector(const Call& c) { return Value::vector(std::vector<Value>(c.args.begin(), c.args.end())); }
Value fnList(const Call& c) { return Value::list(std::vector<Value>(c.args.begin(), c.args.end())); }

// Sorted, deduplicated (canonical item order, so equal sets compare equal).
Value makeSet(std::vector<Value> items) {
  std::sort(items.begin(), items.end(), [](const Value& a, const Value& b) { return compareValues(a, b) < 0; });
  items.erase(std::unique(items.begin(), items.end(),
                          [](const Value& a, const Value& b) { return compareValues(a, b) == 0; }),
              items.end());
  return Value::set(std::move(items));
}

// The items of a seqable argument: collections (map entries as [k v]
// vectors), strings (as chars) and nil (empty).
std::vector<Value> seqItems(const Call& c, size_t i) {
  const Value& v = c[i];
  switch (v.kind()) {
    case Kind::Nil: return {};
    case Kind::Vector: case Kind::List: case Kind::Set: return v.items();
    case Kind::Map: {
      std::vector<Value> out;
      out.reserve(v.mapSize());
      for (size_t k = 0; k < v.mapSize(); ++k) out.push_back(Value::vector({v.mapKey(k), v.mapVal(k)}));
      return out;
    }
    case Kind::String: {
      std::vector<Value> out;
      for (char32_t cp : decodeUtf8(v.asString())) out.push_back(Value::character(cp));
      return out;
    }
    default: c.typeError(i, "a collection, a string or nil");
  }
}

Value fnSet(const Call& c) { return makeSet(seqItems(c, 0)); }

// Later keys win, in the position of their first occurrence.
Value fnHashMap(const Call& c) {
  if (c.size() % 2 != 0) c.invalid("no value supplied for key " + describe(c[c.size() - 1]));
  std::vector<Value> kv;
  kv.reserve(c.size());
  for (size_t i = 0; i < c.size(); i += 2) {
    bool found = false;
    for (size_t k = 0; k < kv.size(); k += 2)
      if (compareValues(kv[k], c[i]) == 0) {
        kv[k + 1] = c[i + 1];
        found = true;
        break;
      }
    if (!found) {
      kv.push_back(c[i]);
      kv.push_back(c[i + 1]);
    }
  }
  return Value::map(std::move(kv));
}

Value fnCount(const Call& c) {
  const Value& v = c[0];
  switch (v.kind()) {
    case Kind::Nil: return Value::integer(0);
    case Kind::String: return Value::integer(static_cast<int64_t>(countCodePoints(v.asString())));
    case Kind::Bytes: case Kind::Vector: case Kind::List: case Kind::Set: case Kind::Map:
      return Value::integer(static_cast<int64_t>(v.count()));
    default: c.typeError(0, "a collection, a string or nil");
  }
}

bool isCountable(const Value& v) { return v.isNil() || v.isString() || v.isCollection() || v.kind() == Kind::Bytes; }

Value fnEmptyP(const Call& c) {
  if (!isCountable(c[0])) c.typeError(0, "a collection, a string or nil");
  return Value::boolean(c[0].isNil() || c[0].count() == 0);
}

Value fnNotEmpty(const Call& c) {
  if (!isCountable(c[0])) c.typeError(0, "a collection, a string or nil");
  return (c[0].isNil() || c[0].count() == 0) ? Value() : c[0];
}

// Maps: key present; sets: member; vectors and strings: index in range.
Value fnContainsP(const Call& c) {
  const Value& coll = c[0];
  const Value& key = c[1];
  switch (coll.kind()) {
    case Kind::Nil: return Value::boolean(false);
    case Kind::Map: return Value::boolean(coll.get(key) != nullptr);
    case Kind::Set:
      for (const Value& x : coll.items())
        if (compareValues(x, key) == 0) return Value::boolean(true);
      return Value::boolean(false);
    case Kind::Vector: case Kind::String: {
      if (!key.isInteger()) return Value::boolean(false);
      int64_t n = static_cast<int64_t>(coll.isString() ? countCodePoints(coll.asString()) : coll.count());
      return Value::boolean(key.asLong() >= 0 && key.asLong() < n);
    }
    default: c.typeError(0, "a map, set, vector, string or nil");
  }
}

// (get coll key) / (get coll key default). Unsupported collections give the
// default, as in Clojure.
Value fnGet(const Call& c) {
  const Value& coll = c[0];
  const Value& key = c[1];
  Value dflt = c.size() > 2 ? c[2] : Value();
  switch (coll.kind()) {
    case Kind::Map: {
      const Value* v = coll.get(key);
      return v ? *v : dflt;
    }
    case Kind::Set:
      for (const Value& x : coll.items())
        if (compareValues(x, key) == 0) return x;
      return dflt;
    case Kind::Vector:
      if (key.isInteger() && key.asLong() >= 0 && static_cast<uint64_t>(key.asLong()) < coll.count())
        return coll.at(static_cast<size_t>(key.asLong()));
      return dflt;
    case Kind::String: {
      if (!key.isInteger() || key.asLong() < 0) return dflt;
      std::u32string cps = decodeUtf8(coll.asString());
      if (static_cast<uint64_t>(key.asLong()) >= cps.size()) return dflt;
      return Value::character(cps[static_cast<size_t>(key.asLong())]);
    }
    default: return dflt;
  }
}

// (range end), (range start end), (range start end step): a list. Integers
// give longs, any Double gives doubles. At most kMaxRange items.
constexpr int64_t kMaxRange = 10'000'000;
Value fnRange(const Call& c) {
  for (size_t i = 0; i < c.size(); ++i) c.number(i);
  Value start = c.size() == 1 ? Value::integer(0) : c[0];
  Value end = c.size() == 1 ? c[0] : c[1];
  Value step = c.size() == 3 ? c[2] : Value::integer(1);
  double s = start.toDouble(), e = end.toDouble(), st = step.toDouble();
  if (std::isnan(s) || std::isnan(e) || std::isnan(st)) c.invalid("NaN bound");
  if (st == 0) {
    if (s == e) return Value::list({});
    c.invalid("step 0 gives an infinite sequence");
  }
  double approx = std::ceil((e - s) / st);
  if (approx <= 0) return Value::list({});
  if (approx > static_cast<double>(kMaxRange))
    raise(ErrorCode::LimitExceeded, c.form() + ": more than " + std::to_string(kMaxRange) + " items");
  std::vector<Value> out;
  out.reserve(static_cast<size_t>(approx));
  if (isDouble(start) || isDouble(end) || isDouble(step)) {
    for (int64_t i = 0;; ++i) {
      double x = s + static_cast<double>(i) * st;
      if (st > 0 ? x >= e : x <= e) break;
      out.push_back(Value::real(x));
    }
  } else {
    bool big = isBig(start) || isBig(end) || isBig(step);
    int64_t x = start.asLong(), en = end.asLong(), sp = step.asLong();
    while (sp > 0 ? x < en : x > en) {
      out.push_back(intResult(x, big));
      if (__builtin_add_overflow(x, sp, &x)) break;
    }
  }
  return Value::list(std::move(out));
}

// ---------------------------------------------------------------------------
// Keywords and names.

Value fnKeyword(const Call& c) {
  if (c.size() == 1) {
    const Value& v = c[0];
    switch (v.kind()) {
      case Kind::Nil: return Value();
      case Kind::Keyword: return v;
      case Kind::Symbol: return Value::keyword(v.interned().full);
      case Kind::String:
        if (v.asString().empty()) c.invalid("empty keyword name");
        return Value::keyword(v.asString());
      default: c.typeError(0, "a string, keyword, symbol or nil");
    }
  }
  std::string_view name = c.string(1);
  if (name.empty()) c.invalid("empty keyword name");
  if (c[0].isNil()) return Value::keyword(name);
  std::string_view ns = c.string(0);
  if (ns.empty()) return Value::keyword(name);
  std::string full(ns);
  full += '/';
  full += name;
  return Value::keyword(full);
}

Value fnName(const Call& c) {
  const Value& v = c[0];
  if (v.isString()) return v;
  if (v.isKeyword() || v.isSymbol()) return Value::string(v.interned().name());
  c.typeError(0, "a keyword, symbol or string");
}

Value fnNamespace(const Call& c) {
  const Value& v = c[0];
  if (!v.isKeyword() && !v.isSymbol()) c.typeError(0, "a keyword or symbol");
  if (!v.interned().hasNs()) return Value();
  return Value::string(v.interned().ns());
}

// ---------------------------------------------------------------------------
// Strings.

bool isRegex(const Value& v) {
  return v.kind() == Kind::Tagged && v.taggedTag() == kRegexTag && v.taggedValue().isString();
}

// Clojure's str of one value: nil -> "", strings and chars raw, keywords with
// ':', bigints without 'N', uuids bare, regexes as their source, everything
// else as EDN.
void strOf(const Value& v, std::string& out) {
  switch (v.kind()) {
    case Kind::Nil: return;
    case Kind::String: out += v.asString(); return;
    case Kind::Char: appendUtf8(out, v.asChar()); return;
    case Kind::BigInt: out += std::to_string(v.asLong()); return;
    case Kind::Uuid: out += formatUuid(v.uuidBytes()); return;
    case Kind::Symbol: out += v.interned().full; return;
    case Kind::Tagged:
      if (isRegex(v)) {
        out += v.taggedValue().asString();
        return;
      }
      break;
    default: break;
  }
  edn::print(v, out);
}

Value fnStr(const Call& c) {
  std::string out;
  for (const Value& a : c.args) strOf(a, out);
  return Value::string(out);
}

// pr-str / prn-str: EDN of each argument, space separated.
template <bool Newline>
Value fnPrStr(const Call& c) {
  std::string out;
  for (size_t i = 0; i < c.size(); ++i) {
    if (i) out += ' ';
    edn::print(c[i], out);
  }
  if (Newline) out += '\n';
  return Value::string(out);
}

// print-str / println-str: like str per argument, but nil prints "nil";
// strings inside collections keep their quotes (unlike Clojure's print).
template <bool Newline>
Value fnPrintStr(const Call& c) {
  std::string out;
  for (size_t i = 0; i < c.size(); ++i) {
    if (i) out += ' ';
    if (c[i].isNil()) out += "nil";
    else strOf(c[i], out);
  }
  if (Newline) out += '\n';
  return Value::string(out);
}

// (subs s start) / (subs s start end), by code point index.
Value fnSubs(const Call& c) {
  std::string_view s = c.string(0);
  int64_t start = c.index(1);
  std::u32string cps = decodeUtf8(s);
  int64_t n = static_cast<int64_t>(cps.size());
  int64_t end = c.size() > 2 ? c.index(2) : n;
  if (start < 0 || end > n || start > end)
    c.invalid("index out of range for a string of " + std::to_string(n) + " characters");
  return Value::string(encodeUtf8(cps.begin() + start, cps.begin() + end));
}

Value fnBlankP(const Call& c) {
  if (c[0].isNil()) return Value::boolean(true);
  for (char32_t cp : decodeUtf8(c.string(0)))
    if (!isWhitespace(cp)) return Value::boolean(false);
  return Value::boolean(true);
}

Value fnIncludesP(const Call& c) {
  return Value::boolean(c.string(0).find(c.string(1)) != std::string_view::npos);
}
Value fnStartsWithP(const Call& c) {
  std::string_view s = c.string(0), p = c.string(1);
  return Value::boolean(s.substr(0, p.size()) == p);
}
Value fnEndsWithP(const Call& c) {
  std::string_view s = c.string(0), p = c.string(1);
  return Value::boolean(s.size() >= p.size() && s.substr(s.size() - p.size()) == p);
}

Value fnLowerCase(const Call& c) { return Value::string(mapCase(c.string(0), toLowerCp)); }
Value fnUpperCase(const Call& c) { return Value::string(mapCase(c.string(0), toUpperCp)); }

Value fnCapitalize(const Call& c) {
  std::u32string cps = decodeUtf8(c.string(0));
  for (size_t i = 0; i < cps.size(); ++i) cps[i] = i == 0 ? toUpperCp(cps[i]) : toLowerCp(cps[i]);
  return Value::string(encodeUtf8(cps));
}

template <bool Left, bool Right>
Value trimImpl(const Call& c) {
  std::u32string cps = decodeUtf8(c.string(0));
  size_t b = 0, e = cps.size();
  if (Left)
    while (b < e && isWhitespace(cps[b])) ++b;
  if (Right)
    while (e > b && isWhitespace(cps[e - 1])) --e;
  return Value::string(encodeUtf8(cps.begin() + b, cps.begin() + e));
}

Value fnTrimNewline(const Call& c) {
  std::string_view s = c.string(0);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.remove_suffix(1);
  return Value::string(s);
}

Value fnReverse(const Call& c) {
  std::u32string cps = decodeUtf8(c.string(0));
  std::reverse(cps.begin(), cps.end());
  return Value::string(encodeUtf8(cps));
}

// (join coll) / (join separator coll): items and separator as by str.
Value fnJoin(const Call& c) {
  size_t collIdx = c.size() == 1 ? 0 : 1;
  std::vector<Value> items = seqItems(c, collIdx);
  std::string sep;
  if (c.size() == 2) strOf(c[0], sep);
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += sep;
    strOf(items[i], out);
  }
  return Value::string(out);
}

// (escape s cmap): cmap is a map from chars to replacements (str'd); chars
// not in the map, or mapped to nil, are kept.
Value fnEscape(const Call& c) {
  std::string_view s = c.string(0);
  if (!c[1].isMap()) c.typeError(1, "a map from characters to replacements");
  const Value& m = c[1];
  std::string out;
  for (char32_t cp : decodeUtf8(s)) {
    const Value* r = m.get(Value::character(cp));
    if (r && !r->isNil()) strOf(*r, out);
    else appendUtf8(out, cp);
  }
  return Value::string(out);
}

// The needle of index-of / last-index-of: a string or a char.
std::u32string needleOf(const Call& c, size_t i) {
  if (c[i].kind() == Kind::Char) return std::u32string(1, c[i].asChar());
  return decodeUtf8(c.string(i));
}

// Code point index of the first occurrence at or after `from`, or nil.
Value fnIndexOf(const Call& c) {
  std::u32string s = decodeUtf8(c.string(0));
  std::u32string needle = needleOf(c, 1);
  int64_t from = c.size() > 2 ? c.index(2) : 0;
  if (from < 0) from = 0;
  if (from > static_cast<int64_t>(s.size())) return Value();
  size_t pos = s.find(needle, static_cast<size_t>(from));
  return pos == std::u32string::npos ? Value() : Value::integer(static_cast<int64_t>(pos));
}

// Code point index of the last occurrence starting at or before `from`, or nil.
Value fnLastIndexOf(const Call& c) {
  std::u32string s = decodeUtf8(c.string(0));
  std::u32string needle = needleOf(c, 1);
  size_t from = std::u32string::npos;
  if (c.size() > 2) {
    int64_t f = c.index(2);
    if (f < 0) return Value();
    from = static_cast<size_t>(f);
  }
  size_t pos = s.rfind(needle, from);
  return pos == std::u32string::npos ? Value() : Value::integer(static_cast<int64_t>(pos));
}

// ---------------------------------------------------------------------------
// Regexes: std::wregex over UTF-32 (wchar_t is 32 bits on Linux and in
// Emscripten), so '.' and character classes see whole code points.

static_assert(sizeof(wchar_t) == 4, "regex matching assumes a 32-bit wchar_t");

using RegexPtr = std::shared_ptr<const std::wregex>;
constexpr int kMaxRegexNesting = 64;
constexpr size_t kMaxRegexSource = 32 * 1024;

std::wstring toWide(std::string_view s) {
  std::u32string cps = decodeUtf8(s);
  return std::wstring(cps.begin(), cps.end());
}

std::string fromWide(std::wstring::const_iterator b, std::wstring::const_iterator e) { return encodeUtf8(b, e); }

class RegexCache {
 public:
  RegexPtr get(std::string_view source, const Call& c) {
    std::string key(source);
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = index_.find(key);
      if (it != index_.end()) {
        ++hits_;
        lru_.splice(lru_.begin(), lru_, it->second);
        return it->second->second;
      }
      ++misses_;
    }
    RegexPtr compiled = compile(key, c);  // outside the lock: compilation is slow
    std::lock_guard<std::mutex> lock(mu_);
    auto it = index_.find(key);
    if (it != index_.end()) return it->second->second;  // another thread won the race
    lru_.emplace_front(key, compiled);
    index_.emplace(std::move(key), lru_.begin());
    if (lru_.size() > kRegexCacheCapacity) {
      index_.erase(lru_.back().first);
      lru_.pop_back();
    }
    return compiled;
  }

  RegexCacheStats stats() {
    std::lock_guard<std::mutex> lock(mu_);
    return RegexCacheStats{hits_, misses_, lru_.size()};
  }

  void clear() {
    std::lock_guard<std::mutex> lock(mu_);
    lru_.clear();
    index_.clear();
    hits_ = misses_ = 0;
  }

 private:
  static RegexPtr compile(std::string_view source, const Call& c) {
    auto flags = std::regex_constants::ECMAScript;
    std::string_view body = source;
    if (body.substr(0, 4) == "(?i)") {
      body.remove_prefix(4);
      flags |= std::regex_constants::icase;
    }
    // The std::regex compiler recurses per nested group: bound the nesting
    // so a hostile pattern cannot overflow the (wasm) stack.
    int depth = 0, deepest = 0;
    for (size_t i = 0; i < body.size(); ++i) {
      if (body[i] == '\\') ++i;
      else if (body[i] == '(') deepest = std::max(deepest, ++depth);
      else if (body[i] == ')') --depth;
    }
    if (deepest > kMaxRegexNesting || body.size() > kMaxRegexSource)
      raise(ErrorCode::LimitExceeded, std::string(c.name) + ": the regular expression nests " + std::to_string(deepest) +
                                          " groups in " + std::to_string(body.size()) + " characters (limits: " +
                                          std::to_string(kMaxRegexNesting) + " groups, " +
                                          std::to_string(kMaxRegexSource) + " characters)");
    try {
      return std::make_shared<const std::wregex>(toWide(body), flags);
    } catch (const std::regex_error& e) {
      raise(ErrorCode::InvalidInput,
            std::string(c.name) + ": invalid regular expression " + describe(Value::string(source)) + ": " + e.what());
    }
  }

  std::mutex mu_;
  std::list<std::pair<std::string, RegexPtr>> lru_;  // most recently used first
  std::unordered_map<std::string, std::list<std::pair<std::string, RegexPtr>>::iterator> index_;
  uint64_t hits_ = 0;
  uint64_t misses_ = 0;
};

RegexCache& regexCache() {
  static RegexCache* cache = new RegexCache();  // never destroyed: usable during static destruction
  return *cache;
}

// Argument i as a regex: a #regex tagged value or a plain string pattern.
RegexPtr regexArg(const Call& c, size_t i) {
  const Value& v = c[i];
  if (isRegex(v)) return regexCache().get(v.taggedValue().asString(), c);
  if (v.isString()) return regexCache().get(v.asString(), c);
  c.typeError(i, "a regex or a pattern string");
}

// Clojure's re-groups: the match string, or [match group1 ...] when the
// pattern has groups (groups that did not participate are nil).
Value groupsOf(const std::wsmatch& m) {
  if (m.size() <= 1) return Value::string(fromWide(m[0].first, m[0].second));
  std::vector<Value> out;
  out.reserve(m.size());
  for (size_t g = 0; g < m.size(); ++g)
    out.push_back(m[g].matched ? Value::string(fromWide(m[g].first, m[g].second)) : Value());
  return Value::vector(std::move(out));
}

// The text a regex runs over. std::regex matches recursively (libstdc++ and
// libc++ alike): stack use grows with the input, and a long enough input
// overflows the stack (about 20k characters with an 8 MB native stack for
// "(a|b)*"). Longer inputs are refused instead of crashing.
std::wstring regexSubject(const Call& c, size_t i) {
  std::string_view s = c.string(i);
  if (countCodePoints(s) > kMaxRegexInput)
    raise(ErrorCode::LimitExceeded, std::string(c.name) + ": string of " + std::to_string(countCodePoints(s)) +
                                        " characters is too long for regex matching (limit " +
                                        std::to_string(kMaxRegexInput) + ")");
  return toWide(s);
}

template <typename F>
auto guardRegex(const Call& c, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::regex_error& e) {
    raise(ErrorCode::LimitExceeded, c.form() + ": regex matching failed: " + e.what());
  }
}

Value fnRePattern(const Call& c) {
  const Value& v = c[0];
  if (isRegex(v)) return v;
  if (!v.isString()) c.typeError(0, "a string");
  regexCache().get(v.asString(), c);  // validate (and warm the cache)
  return Value::tagged(kRegexTag, v);
}

Value fnReFind(const Call& c) {
  RegexPtr re = regexArg(c, 0);
  std::wstring s = regexSubject(c, 1);
  return guardRegex(c, [&]() -> Value {
    std::wsmatch m;
    if (!std::regex_search(s, m, *re)) return Value();
    return groupsOf(m);
  });
}

Value fnReMatches(const Call& c) {
  RegexPtr re = regexArg(c, 0);
  std::wstring s = regexSubject(c, 1);
  return guardRegex(c, [&]() -> Value {
    std::wsmatch m;
    if (!std::regex_match(s, m, *re)) return Value();
    return groupsOf(m);
  });
}

// A list of every match (as re-find would give it), nil when none.
Value fnReSeq(const Call& c) {
  RegexPtr re = regexArg(c, 0);
  std::wstring s = regexSubject(c, 1);
  return guardRegex(c, [&]() -> Value {
    std::vector<Value> out;
    for (std::wsregex_iterator it(s.begin(), s.end(), *re), end; it != end; ++it) out.push_back(groupsOf(*it));
    if (out.empty()) return Value();
    return Value::list(std::move(out));
  });
}

// (split s re) / (split s re limit), java.lang.String.split semantics: a
// zero-width match at the start gives no leading empty string; without a
// positive limit trailing empty strings are removed; a positive limit caps
// the number of pieces.
Value fnSplit(const Call& c) {
  std::wstring s = regexSubject(c, 0);
  RegexPtr re = regexArg(c, 1);
  int64_t limit = c.size() > 2 ? c.index(2) : 0;
  return guardRegex(c, [&]() -> Value {
    std::vector<Value> out;
    size_t last = 0;
    for (std::wsregex_iterator it(s.begin(), s.end(), *re), end; it != end; ++it) {
      if (limit > 0 && static_cast<int64_t>(out.size()) >= limit - 1) break;
      size_t ms = static_cast<size_t>(it->position(0)), me = ms + static_cast<size_t>(it->length(0));
      if (me == 0) continue;  // zero-width match at the beginning
      if (ms == me && ms >= s.size()) break;  // zero-width match at the very end
      out.push_back(Value::string(fromWide(s.begin() + last, s.begin() + ms)));
      last = me;
    }
    out.push_back(Value::string(fromWide(s.begin() + last, s.end())));
    if (limit == 0)
      while (out.size() > 1 && out.back().asString().empty()) out.pop_back();
    if (limit == 0 && out.size() == 1 && out[0].asString().empty() && !s.empty()) out.clear();
    return Value::vector(std::move(out));
  });
}

// Lines split on \n or \r\n, trailing empty lines removed.
Value fnSplitLines(const Call& c) {
  std::string_view s = c.string(0);
  std::vector<Value> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == '\n') {
      size_t e = i;
      if (i < s.size() && e > start && s[e - 1] == '\r') --e;
      out.push_back(Value::string(s.substr(start, e - start)));
      start = i + 1;
    }
  }
  while (out.size() > 1 && out.back().asString().empty()) out.pop_back();
  return Value::vector(std::move(out));
}

// Literal replacement of one or all occurrences (an empty match matches
// between every pair of characters, as in Java).
std::string replaceLiteral(std::string_view s, std::string_view match, std::string_view repl, bool all) {
  std::string out;
  if (match.empty()) {
    std::u32string cps = decodeUtf8(s);
    out += repl;
    for (size_t i = 0; i < cps.size(); ++i) {
      appendUtf8(out, cps[i]);
      if (all) out += repl;
      else {
        out += encodeUtf8(cps.begin() + static_cast<std::ptrdiff_t>(i) + 1, cps.end());
        break;
      }
    }
    return out;
  }
  size_t pos = 0;
  while (true) {
    size_t f = s.find(match, pos);
    if (f == std::string_view::npos) break;
    out.append(s.substr(pos, f - pos));
    out.append(repl);
    pos = f + match.size();
    if (!all) break;
  }
  out.append(s.substr(pos));
  return out;
}

// (replace s match replacement): match a string (literal replacement), a
// char (replacement a char) or a regex (replacement a string that may use
// ECMAScript $1 / $& references, as in ClojureScript).
template <bool All>
Value replaceImpl(const Call& c) {
  std::string_view s = c.string(0);
  const Value& match = c[1];
  const Value& repl = c[2];
  if (match.kind() == Kind::Char) {
    if (repl.kind() != Kind::Char) c.typeError(2, "a char (the match is a char)");
    std::string m, r;
    appendUtf8(m, match.asChar());
    appendUtf8(r, repl.asChar());
    return Value::string(replaceLiteral(s, m, r, All));
  }
  if (match.isString()) return Value::string(replaceLiteral(s, match.asString(), c.string(2), All));
  if (!isRegex(match)) c.typeError(1, "a string, char or regex");
  RegexPtr re = regexArg(c, 1);
  std::wstring ws = regexSubject(c, 0);
  std::wstring wr = toWide(c.string(2));
  return guardRegex(c, [&]() -> Value {
    auto flags = All ? std::regex_constants::format_default : std::regex_constants::format_first_only;
    std::wstring out = std::regex_replace(ws, *re, wr, flags);
    return Value::string(fromWide(out.begin(), out.end()));
  });
}

// ---------------------------------------------------------------------------
// The table.

struct Def {
  std::string_view name;
  Impl impl;
  int minArgs;
  int maxArgs;
  bool pure;
};

constexpr int kAny = -1;

constexpr Def kDefs[] = {
    {"=", fnEq, 1, kAny, true},
    {"==", fnNumEq, 1, kAny, true},
    {"not=", fnNotEq, 1, kAny, true},
    {"!=", fnNotEq, 1, kAny, true},
    {"<", chainCompare<isLt>, 1, kAny, true},
    {">", chainCompare<isGt>, 1, kAny, true},
    {"<=", chainCompare<isLe>, 1, kAny, true},
    {">=", chainCompare<isGe>, 1, kAny, true},
    {"compare", fnCompare, 2, 2, true},
    {"-differ?", fnDiffer, 0, kAny, true},
    {"+", fnAdd, 0, kAny, true},
    {"-", fnSub, 1, kAny, true},
    {"*", fnMul, 0, kAny, true},
    {"/", fnDiv, 1, kAny, true},
    {"quot", integerDivision<DivOp::Quot>, 2, 2, true},
    {"rem", integerDivision<DivOp::Rem>, 2, 2, true},
    {"mod", integerDivision<DivOp::Mod>, 2, 2, true},
    {"inc", fnInc, 1, 1, true},
    {"dec", fnDec, 1, 1, true},
    {"max", minMax<true>, 1, kAny, true},
    {"min", minMax<false>, 1, kAny, true},
    {"zero?", fnZero, 1, 1, true},
    {"pos?", fnPos, 1, 1, true},
    {"neg?", fnNeg, 1, 1, true},
    {"even?", fnEven, 1, 1, true},
    {"odd?", fnOdd, 1, 1, true},
    {"rand", fnRand, 0, 1, false},
    {"rand-int", fnRandInt, 1, 1, false},
    {"true?", fnTrueP, 1, 1, true},
    {"false?", fnFalseP, 1, 1, true},
    {"nil?", fnNilP, 1, 1, true},
    {"some?", fnSomeP, 1, 1, true},
    {"not", fnNot, 1, 1, true},
    {"and", fnAnd, 0, kAny, true},
    {"or", fnOr, 0, kAny, true},
    {"identical?", fnIdentical, 2, 2, true},
    {"identity", fnIdentity, 1, 1, true},
    {"ground", fnIdentity, 1, 1, true},
    {"untuple", fnIdentity, 1, 1, true},
    {"tuple", fnVector, 0, kAny, true},
    {"vector", fnVector, 0, kAny, true},
    {"list", fnList, 0, kAny, true},
    {"set", fnSet, 1, 1, true},
    {"hash-map", fnHashMap, 0, kAny, true},
    {"array-map", fnHashMap, 0, kAny, true},
    {"count", fnCount, 1, 1, true},
    {"range", fnRange, 1, 3, true},
    {"not-empty", fnNotEmpty, 1, 1, true},
    {"empty?", fnEmptyP, 1, 1, true},
    {"contains?", fnContainsP, 2, 2, true},
    {"get", fnGet, 2, 3, true},
    {"keyword", fnKeyword, 1, 2, true},
    {"name", fnName, 1, 1, true},
    {"namespace", fnNamespace, 1, 1, true},
    {"str", fnStr, 0, kAny, true},
    {"pr-str", fnPrStr<false>, 0, kAny, true},
    {"prn-str", fnPrStr<true>, 0, kAny, true},
    {"print-str", fnPrintStr<false>, 0, kAny, true},
    {"println-str", fnPrintStr<true>, 0, kAny, true},
    {"subs", fnSubs, 2, 3, true},
    {"re-find", fnReFind, 2, 2, true},
    {"re-matches", fnReMatches, 2, 2, true},
    {"re-seq", fnReSeq, 2, 2, true},
    {"re-pattern", fnRePattern, 1, 1, true},
    {"clojure.string/blank?", fnBlankP, 1, 1, true},
    {"clojure.string/includes?", fnIncludesP, 2, 2, true},
    {"clojure.string/starts-with?", fnStartsWithP, 2, 2, true},
    {"clojure.string/ends-with?", fnEndsWithP, 2, 2, true},
    {"clojure.string/lower-case", fnLowerCase, 1, 1, true},
    {"clojure.string/upper-case", fnUpperCase, 1, 1, true},
    {"clojure.string/capitalize", fnCapitalize, 1, 1, true},
    {"clojure.string/join", fnJoin, 1, 2, true},
    {"clojure.string/index-of", fnIndexOf, 2, 3, true},
    {"clojure.string/last-index-of", fnLastIndexOf, 2, 3, true},
    {"clojure.string/escape", fnEscape, 2, 2, true},
    {"clojure.string/replace", replaceImpl<true>, 3, 3, true},
    {"clojure.string/replace-first", replaceImpl<false>, 3, 3, true},
    {"clojure.string/reverse", fnReverse, 1, 1, true},
    {"clojure.string/split", fnSplit, 2, 3, true},
    {"clojure.string/split-lines", fnSplitLines, 1, 1, true},
    {"clojure.string/trim", trimImpl<true, true>, 1, 1, true},
    {"clojure.string/triml", trimImpl<true, false>, 1, 1, true},
    {"clojure.string/trimr", trimImpl<false, true>, 1, 1, true},
    {"clojure.string/trim-newline", fnTrimNewline, 1, 1, true},
};

constexpr size_t kCount = sizeof(kDefs) / sizeof(kDefs[0]);

std::string arityText(int mn, int mx) {
  if (mx == kAny) return std::to_string(mn) + " or more";
  if (mn == mx) return std::to_string(mn);
  if (mx == mn + 1) return std::to_string(mn) + " or " + std::to_string(mx);
  return std::to_string(mn) + " to " + std::to_string(mx);
}

template <size_t I>
Value dispatch(std::span<const Value> args) {
  constexpr const Def& d = kDefs[I];
  if (args.size() < static_cast<size_t>(d.minArgs) || (d.maxArgs != kAny && args.size() > static_cast<size_t>(d.maxArgs)))
    raise(ErrorCode::InvalidInput, "wrong number of arguments (" + std::to_string(args.size()) + ") passed to " +
                                       std::string(d.name) + ", expected " + arityText(d.minArgs, d.maxArgs));
  return d.impl(Call{d.name, args});
}

template <size_t... I>
constexpr std::array<Builtin, kCount> makeTable(std::index_sequence<I...>) {
  return {{Builtin{kDefs[I].name, &dispatch<I>, kDefs[I].minArgs, kDefs[I].maxArgs, kDefs[I].pure}...}};
}

constexpr std::array<Builtin, kCount> kTable = makeTable(std::make_index_sequence<kCount>{});

}  // namespace

const Builtin* findBuiltin(std::string_view symbolName) {
  static const auto* index = [] {
    auto* m = new std::unordered_map<std::string_view, const Builtin*>();
    for (const Builtin& b : kTable) m->emplace(b.name, &b);
    return m;
  }();
  auto it = index->find(symbolName);
  return it == index->end() ? nullptr : it->second;
}

std::span<const Builtin> allBuiltins() { return std::span<const Builtin>(kTable.data(), kTable.size()); }

RegexCacheStats regexCacheStats() { return regexCache().stats(); }
void clearRegexCache() { regexCache().clear(); }

}  // namespace datalite::query
