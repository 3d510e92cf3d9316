#include "core/value.h"

#include <cmath>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/error.h"

namespace datalite {

namespace {

// Process-wide intern table for keywords and symbols (two separate spaces).
// Entries are never freed: a Keyword is a stable pointer.
class InternTable {
 public:
  const Interned* intern(std::string_view text) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = index_.find(text);
    if (it != index_.end()) return it->second;
    Interned& entry = storage_.emplace_back();
    entry.full.assign(text.data(), text.size());
    // The namespace ends at the first '/' that is not the whole name ("/" alone
    // is the division symbol, "a/b/c" has namespace "a").
    size_t slash = entry.full.find('/');
    entry.nsLength = (slash == std::string::npos || slash == 0 || entry.full.size() == 1)
                         ? 0
                         : static_cast<uint32_t>(slash);
    entry.id = static_cast<uint32_t>(storage_.size());
    index_.emplace(std::string_view(entry.full), &entry);
    return &entry;
  }

 private:
  std::mutex mu_;
  std::deque<Interned> storage_;  // deque: stable addresses on growth
  std::unordered_map<std::string_view, const Interned*> index_;
};

InternTable& keywordTable() {
  static InternTable* table = new InternTable();  // leaked on purpose: lives forever
  return *table;
}
InternTable& symbolTable() {
  static InternTable* table = new InternTable();
  return *table;
}

template <class T>
int cmp3(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

int compareText(std::string_view a, std::string_view b) {
  int c = a.compare(b);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

// Numeric comparison across Long/BigInt (int64) and Double, exact for all
// int64 values (no rounding through double).
int compareNumbers(const Value& a, const Value& b) {
  bool ad = a.kind() == Kind::Double, bd = b.kind() == Kind::Double;
  int c;
  if (!ad && !bd) {
    c = cmp3(a.asLong(), b.asLong());
  } else if (ad && bd) {
    double x = a.asDouble(), y = b.asDouble();
    if (std::isnan(x) || std::isnan(y)) {
      c = std::isnan(x) ? (std::isnan(y) ? 0 : 1) : -1;  // NaN sorts after every number
    } else {
      c = cmp3(x, y);
    }
  } else {
    // One int64, one double.
    int64_t i = ad ? b.asLong() : a.asLong();
    double d = ad ? a.asDouble() : b.asDouble();
    int ci;  // compare(i, d)
    if (std::isnan(d)) {
      ci = -1;
    } else if (d >= 9223372036854775808.0) {
      ci = -1;
    } else if (d < -9223372036854775808.0) {
      ci = 1;
    } else {
      double fl = std::floor(d);
      int64_t di = static_cast<int64_t>(fl);
      if (i != di) {
        ci = i < di ? -1 : 1;
      } else {
        ci = (d > fl) ? -1 : 0;
      }
    }
    c = ad ? -ci : ci;
  }
  if (c != 0) return c;
  // Numerically equal: order by kind (Long < BigInt < Double).
  return cmp3(static_cast<int>(a.kind()), static_cast<int>(b.kind()));
}

int compareSeq(const std::vector<Value>& a, const std::vector<Value>& b) {
  size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    int c = compareValues(a[i], b[i]);
    if (c) return c;
  }
  return cmp3(a.size(), b.size());
}

int rank(Kind k) {
  // Numbers form one class.
  if (k == Kind::BigInt || k == Kind::Double) return static_cast<int>(Kind::Long);
  return static_cast<int>(k);
}

uint64_t mix(uint64_t h, uint64_t x) {
  h ^= x + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return h;
}

uint64_t hashBytes(std::string_view s) {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

}  // namespace

std::string_view kindName(Kind kind) {
  switch (kind) {
    case Kind::Nil: return "nil";
    case Kind::Boolean: return "boolean";
    case Kind::Long: return "long";
    case Kind::BigInt: return "bigint";
    case Kind::Double: return "double";
    case Kind::Instant: return "instant";
    case Kind::Char: return "char";
    case Kind::String: return "string";
    case Kind::Keyword: return "keyword";
    case Kind::Symbol: return "symbol";
    case Kind::Uuid: return "uuid";
    case Kind::Bytes: return "bytes";
    case Kind::Vector: return "vector";
    case Kind::List: return "list";
    case Kind::Map: return "map";
    case Kind::Set: return "set";
    case Kind::Tagged: return "tagged";
  }
  return "?";
}

Keyword Keyword::intern(std::string_view text) { return Keyword(keywordTable().intern(text)); }

Value Value::real(double d) {
  Value v;
  v.kind_ = Kind::Double;
  v.u_.d = (d == 0.0) ? 0.0 : d;  // -0.0 and 0.0 are one value
  return v;
}

Value Value::string(std::string_view s) {
  auto* o = new StringObject();
  o->text.assign(s.data(), s.size());
  Value v;
  v.kind_ = Kind::String;
  v.u_.p = o;
  return v;
}

Value Value::bytes(std::string_view raw) {
  Value v = string(raw);
  v.kind_ = Kind::Bytes;
  return v;
}

Value Value::keyword(std::string_view text) { return keyword(Keyword::intern(text)); }

Value Value::keyword(Keyword k) {
  Value v;
  v.kind_ = Kind::Keyword;
  v.u_.cp = k.ptr();
  return v;
}

Value Value::symbol(std::string_view text) {
  Value v;
  v.kind_ = Kind::Symbol;
  v.u_.cp = symbolTable().intern(text);
  return v;
}

Value Value::uuid(const Uuid16& u) {
  auto* o = new UuidObject();
  std::memcpy(o->bytes, u.bytes, 16);
  Value v;
  v.kind_ = Kind::Uuid;
  v.u_.p = o;
  return v;
}

Value Value::vector(std::vector<Value> items) {
  auto* o = new SeqObject();
  o->items = std::move(items);
  Value v;
  v.kind_ = Kind::Vector;
  v.u_.p = o;
  return v;
}

Value Value::list(std::vector<Value> items) {
  Value v = vector(std::move(items));
  v.kind_ = Kind::List;
  return v;
}

Value Value::set(std::vector<Value> items) {
  Value v = vector(std::move(items));
  v.kind_ = Kind::Set;
  return v;
}

Value Value::map(std::vector<Value> keysAndValues) {
  Value v = vector(std::move(keysAndValues));
  v.kind_ = Kind::Map;
  return v;
}

Value Value::tagged(std::string_view tag, Value inner) {
  auto* o = new TaggedObject();
  o->tag.assign(tag.data(), tag.size());
  o->inner = std::move(inner);
  Value v;
  v.kind_ = Kind::Tagged;
  v.u_.p = o;
  return v;
}

size_t Value::count() const {
  switch (kind_) {
    case Kind::Vector: case Kind::List: case Kind::Set: return items().size();
    case Kind::Map: return items().size() / 2;
    case Kind::String: case Kind::Bytes: return asString().size();
    default: return 0;
  }
}

const Value* Value::get(const Value& key) const {
  const auto& it = items();
  for (size_t i = 0; i + 1 < it.size(); i += 2)
    if (it[i] == key) return &it[i + 1];
  return nullptr;
}

const Value* Value::getKeyword(std::string_view kw) const {
  const auto& it = items();
  for (size_t i = 0; i + 1 < it.size(); i += 2)
    if (it[i].kind() == Kind::Keyword && it[i].interned().full == kw) return &it[i + 1];
  return nullptr;
}

std::string_view Value::taggedTag() const { return static_cast<const TaggedObject*>(u_.p)->tag; }
const Value& Value::taggedValue() const { return static_cast<const TaggedObject*>(u_.p)->inner; }

int compareValues(const Value& a, const Value& b) {
  Kind ka = a.kind(), kb = b.kind();
  int ra = rank(ka), rb = rank(kb);
  if (ra != rb) return ra < rb ? -1 : 1;
  switch (ka) {
    case Kind::Nil: return 0;
    case Kind::Boolean: return cmp3(a.asBool(), b.asBool());
    case Kind::Long: case Kind::BigInt: case Kind::Double: return compareNumbers(a, b);
    case Kind::Instant: case Kind::Char: return cmp3(a.asLong(), b.asLong());
    case Kind::String: case Kind::Bytes: return compareText(a.asString(), b.asString());
    case Kind::Keyword: case Kind::Symbol: {
      if (a.identical(b)) return 0;
      const Interned &x = a.interned(), &y = b.interned();
      // Namespace first (none sorts first), then name: Clojure's keyword order.
      int c = compareText(x.ns(), y.ns());
      return c ? c : compareText(x.name(), y.name());
    }
    case Kind::Uuid: {
      int c = std::memcmp(a.uuidBytes(), b.uuidBytes(), 16);
      return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
    case Kind::Vector: case Kind::List: case Kind::Map: case Kind::Set:
      return compareSeq(a.items(), b.items());
    case Kind::Tagged: {
      int c = compareText(a.taggedTag(), b.taggedTag());
      return c ? c : compareValues(a.taggedValue(), b.taggedValue());
    }
  }
  return 0;
}

size_t hashValue(const Value& v) {
  uint64_t h = static_cast<uint64_t>(v.kind()) * 0x100000001b3ULL;
  switch (v.kind()) {
    case Kind::Nil: break;
    case Kind::Boolean: case Kind::Long: case Kind::BigInt: case Kind::Instant: case Kind::Char:
      h = mix(h, static_cast<uint64_t>(v.asLong()));
      break;
    case Kind::Double: {
      double d = v.asDouble();
      uint64_t bits;
      if (std::isnan(d)) d = std::nan("");
      std::memcpy(&bits, &d, 8);
      h = mix(h, bits);
      break;
    }
    case Kind::String: case Kind::Bytes: h = mix(h, hashBytes(v.asString())); break;
    case Kind::Keyword: case Kind::Symbol: h = mix(h, reinterpret_cast<uintptr_t>(v.interned().full.data())); break;
    case Kind::Uuid: h = mix(h, hashBytes(std::string_view(reinterpret_cast<const char*>(v.uuidBytes()), 16))); break;
    case Kind::Vector: case Kind::List: case Kind::Map: case Kind::Set:
      for (const Value& x : v.items()) h = mix(h, hashValue(x));
      break;
    case Kind::Tagged:
      h = mix(h, hashBytes(v.taggedTag()));
      h = mix(h, hashValue(v.taggedValue()));
      break;
  }
  return static_cast<size_t>(h);
}

bool parseUuid(std::string_view text, Uuid16& out) {
  if (text.size() != 36) return false;
  size_t j = 0;
  for (size_t i = 0; i < 36; ++i) {
    char c = text[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
      continue;
    }
    int nib;
    if (c >= '0' && c <= '9') nib = c - '0';
    else if (c >= 'a' && c <= 'f') nib = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') nib = c - 'A' + 10;
    else return false;
    if (j % 2 == 0) out.bytes[j / 2] = static_cast<uint8_t>(nib << 4);
    else out.bytes[j / 2] |= static_cast<uint8_t>(nib);
    ++j;
  }
  return true;
}

std::string formatUuid(const uint8_t bytes[16]) {
  static const char* hex = "0123456789abcdef";
  std::string s;
  s.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s.push_back('-');
    s.push_back(hex[bytes[i] >> 4]);
    s.push_back(hex[bytes[i] & 15]);
  }
  return s;
}

}  // namespace datalite
