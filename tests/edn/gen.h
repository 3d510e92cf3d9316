// Deterministic random Value generator for EDN round-trip and fuzz tests.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "core/value.h"

namespace edntest {

using datalite::Value;

class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed * 0x9E3779B97F4A7C15ULL + 1) {}
  uint64_t next() {  // splitmix64: same sequence on every platform
    uint64_t z = (s_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  uint64_t below(uint64_t n) { return n ? next() % n : 0; }
  bool chance(int percent) { return below(100) < static_cast<uint64_t>(percent); }

 private:
  uint64_t s_;
};

inline void appendUtf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

class Gen {
 public:
  explicit Gen(uint64_t seed) : r(seed) {}
  Rng r;

  uint32_t scalarValue() {
    switch (r.below(4)) {
      case 0: return static_cast<uint32_t>(r.below(0x80));
      case 1: return static_cast<uint32_t>(0x80 + r.below(0xD800 - 0x80));
      case 2: return static_cast<uint32_t>(0xE000 + r.below(0x10000 - 0xE000));
      default: return static_cast<uint32_t>(0x10000 + r.below(0x110000 - 0x10000));
    }
  }

  std::string text(size_t maxLen) {
    std::string s;
    size_t n = r.below(maxLen + 1);
    for (size_t i = 0; i < n; ++i) {
      if (r.chance(70)) {
        static const char pool[] = "abcXYZ019 \"\\\n\t\r\b\f;,#:{}[]()/";
        s.push_back(pool[r.below(sizeof pool - 1)]);
      } else {
        appendUtf8(scalarValue(), s);
      }
    }
    return s;
  }

  std::string namePart() {
    static const char first[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ*!_?$%&=<>";
    static const char rest[] = "abcdefghijklmnopqrstuvwxyz0123456789.*+!-_?$%&=<>#";
    std::string s;
    s.push_back(first[r.below(sizeof first - 1)]);
    size_t n = r.below(8);
    for (size_t i = 0; i < n; ++i) s.push_back(rest[r.below(sizeof rest - 1)]);
    if (r.chance(5)) appendUtf8(0xE9, s);
    return s;
  }
  std::string name() {
    if (r.chance(3)) return r.chance(50) ? "-" : "...";
    return r.chance(40) ? namePart() + "/" + namePart() : namePart();
  }

  double randomDouble() {
    switch (r.below(6)) {
      case 0: {
        uint64_t b = r.next();
        double d;
        std::memcpy(&d, &b, 8);
        return d;  // any bit pattern: NaNs, infinities, subnormals
      }
      case 1: return static_cast<double>(static_cast<int64_t>(r.next() % 2000001) - 1000000) / 100.0;
      case 2: {
        static const double special[] = {0.0, 1.0, -1.0, 0.1, 1e308, 1.7976931348623157e308, 5e-324,
                                         2.2250738585072014e-308, 1e21, 1e22, 123456789012345678.0, 9007199254740993.0};
        return special[r.below(sizeof special / sizeof special[0])];
      }
      case 3: return static_cast<double>(static_cast<int64_t>(r.next()));
      default: return static_cast<double>(r.next() % 1000000) * std::pow(10.0, static_cast<int>(r.below(40)) - 20);
    }
  }

  int64_t randomLong() {
    switch (r.below(4)) {
      case 0: return INT64_MIN + static_cast<int64_t>(r.below(3));
      case 1: return INT64_MAX - static_cast<int64_t>(r.below(3));
      case 2: return static_cast<int64_t>(r.next());
      default: return static_cast<int64_t>(r.below(2001)) - 1000;
    }
  }

  Value scalar() {
    switch (r.below(14)) {
      case 0: return Value::nil();
      case 1: return Value::boolean(r.chance(50));
      case 2: case 3: return Value::integer(randomLong());
      case 4: return Value::bigint(randomLong());
      case 5: return Value::real(randomDouble());
      case 6: return Value::instant(r.chance(30) ? randomLong() : static_cast<int64_t>(r.below(4102444800000ULL)));
      case 7: {
        uint32_t named[] = {'\n', '\r', ' ', '\t', '\f', '\b', 'a', '\\', '"', '(', 0};
        return Value::character(r.chance(30) ? named[r.below(11)] : scalarValue());
      }
      case 8: case 9: return Value::string(text(12));
      case 10: return Value::keyword(name());
      case 11: return Value::symbol(name());
      case 12: {
        datalite::Uuid16 u;
        for (auto& b : u.bytes) b = static_cast<uint8_t>(r.next());
        return Value::uuid(u);
      }
      default: {
        std::string raw;
        size_t n = r.below(10);
        for (size_t i = 0; i < n; ++i) raw.push_back(static_cast<char>(r.next()));
        return Value::bytes(raw);
      }
    }
  }

  Value value(int depth) {
    if (depth <= 0 || r.chance(55)) return scalar();
    size_t n = r.below(6);
    switch (r.below(5)) {
      case 0: case 1: {
        std::vector<Value> items;
        for (size_t i = 0; i < n; ++i) items.push_back(value(depth - 1));
        return r.chance(50) ? Value::vector(std::move(items)) : Value::list(std::move(items));
      }
      case 2: {
        std::set<Value> seen;
        std::vector<Value> kv;
        for (size_t i = 0; i < n; ++i) {
          Value k = value(depth - 1);
          if (!seen.insert(k).second) continue;
          kv.push_back(k);
          kv.push_back(value(depth - 1));
        }
        return Value::map(std::move(kv));
      }
      case 3: {
        std::set<Value> seen;
        std::vector<Value> items;
        for (size_t i = 0; i < n; ++i) {
          Value k = value(depth - 1);
          if (seen.insert(k).second) items.push_back(k);
        }
        return Value::set(std::move(items));
      }
      default: {
        std::string tag = namePart();
        tag[0] = static_cast<char>('a' + r.below(26));
        if (tag == "inst" || tag == "uuid") tag = "x" + tag;
        return Value::tagged(tag, value(depth - 1));
      }
    }
  }
};

}  // namespace edntest
