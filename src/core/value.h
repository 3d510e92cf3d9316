// Value: the one dynamic data type of the engine. It covers every datom value
// type of API.md section 1 and the rest of EDN (lists, maps, sets, chars,
// tagged literals), so tx-data, queries and pull patterns are plain Values.
//
// A Value is 16 bytes: a kind tag and an 8-byte payload. Scalars live inline;
// strings, uuids, bytes and collections live in immutable, reference-counted
// heap objects shared between copies; keywords and symbols are interned.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace datalite {

// Declaration order is the cross-type ordering rank (numbers are one class).
enum class Kind : uint8_t {
  Nil,
  Boolean,
  Long,     // int64
  BigInt,   // EDN `N` integers; 64-bit range (API.md: enough for :db.type/bigint)
  Double,   // also :db.type/float (rounded to float precision on the way in)
  Instant,  // milliseconds since the Unix epoch
  Char,     // EDN character literal, a Unicode code point
  String,
  Keyword,
  Symbol,
  Uuid,
  Bytes,
  Vector,   // also the representation of tuple values
  List,
  Map,
  Set,
  Tagged,   // generic EDN tagged literal: #tag value
};

std::string_view kindName(Kind kind);

// An interned keyword or symbol name: `ns/name` or `name`. Never freed, so
// identity comparison is equality and pointers stay valid forever.
struct Interned {
  std::string full;        // "ns/name"
  uint32_t nsLength;       // 0 when there is no namespace
  uint32_t id;             // process-wide sequence number (not persistent)
  std::string_view ns() const { return std::string_view(full).substr(0, nsLength); }
  std::string_view name() const {
    return nsLength ? std::string_view(full).substr(nsLength + 1) : std::string_view(full);
  }
  bool hasNs() const { return nsLength != 0; }
};

class Keyword {
 public:
  Keyword() = default;
  // `text` without the leading colon: "person/name".
  static Keyword intern(std::string_view text);
  const Interned* ptr() const { return p_; }
  std::string_view str() const { return p_ ? std::string_view(p_->full) : std::string_view(); }
  std::string_view ns() const { return p_->ns(); }
  std::string_view name() const { return p_->name(); }
  explicit operator bool() const { return p_ != nullptr; }
  bool operator==(const Keyword& o) const { return p_ == o.p_; }
  bool operator!=(const Keyword& o) const { return p_ != o.p_; }

 private:
  explicit Keyword(const Interned* p) : p_(p) {}
  const Interned* p_ = nullptr;
  friend class Value;
};

class Value;

// Heap payloads. Users never touch these directly.
struct HeapObject {
  mutable std::atomic<uint32_t> refs{1};
  virtual ~HeapObject() = default;
};
struct StringObject final : HeapObject {
  std::string text;  // UTF-8 for strings; raw for bytes
};
struct UuidObject final : HeapObject {
  uint8_t bytes[16];
};
struct SeqObject;  // defined after Value: it holds a vector of Values
struct TaggedObject;

struct Uuid16 {
  uint8_t bytes[16];
};

class Value {
 public:
  Value() noexcept : kind_(Kind::Nil) { u_.i = 0; }
  Value(const Value& o) noexcept : kind_(o.kind_), u_(o.u_) { retain(); }
  Value(Value&& o) noexcept : kind_(o.kind_), u_(o.u_) {
    o.kind_ = Kind::Nil;
    o.u_.i = 0;
  }
  Value& operator=(const Value& o) noexcept {
    if (this != &o) {
      o.retain();
      release();
      kind_ = o.kind_;
      u_ = o.u_;
    }
    return *this;
  }
  Value& operator=(Value&& o) noexcept {
    if (this != &o) {
      release();
      kind_ = o.kind_;
      u_ = o.u_;
      o.kind_ = Kind::Nil;
      o.u_.i = 0;
    }
    return *this;
  }
  ~Value() { release(); }

  // --- construction ---
  static Value nil() { return Value(); }
  static Value boolean(bool b) { return Value(Kind::Boolean, static_cast<int64_t>(b)); }
  static Value integer(int64_t i) { return Value(Kind::Long, i); }
  static Value bigint(int64_t i) { return Value(Kind::BigInt, i); }
  static Value real(double d);
  static Value instant(int64_t ms) { return Value(Kind::Instant, ms); }
  static Value character(uint32_t cp) { return Value(Kind::Char, static_cast<int64_t>(cp)); }
  static Value string(std::string_view s);
  static Value bytes(std::string_view raw);
  static Value keyword(std::string_view text);  // without the leading ':'
  static Value keyword(Keyword k);
  static Value symbol(std::string_view text);
  static Value uuid(const Uuid16& u);
  static Value vector(std::vector<Value> items);
  static Value list(std::vector<Value> items);
  // Items must already be distinct (the EDN reader and builders check it).
  static Value set(std::vector<Value> items);
  // Flattened k0 v0 k1 v1 ...; keys must already be distinct.
  static Value map(std::vector<Value> keysAndValues);
  static Value tagged(std::string_view tag, Value inner);
  // Entity ids and ref values are plain longs, as in DataScript.
  static Value ref(int64_t eid) { return integer(eid); }

  // --- inspection ---
  Kind kind() const { return kind_; }
  bool isNil() const { return kind_ == Kind::Nil; }
  bool isNumber() const { return kind_ == Kind::Long || kind_ == Kind::BigInt || kind_ == Kind::Double; }
  bool isInteger() const { return kind_ == Kind::Long || kind_ == Kind::BigInt; }
  bool isKeyword() const { return kind_ == Kind::Keyword; }
  bool isSymbol() const { return kind_ == Kind::Symbol; }
  bool isString() const { return kind_ == Kind::String; }
  bool isVector() const { return kind_ == Kind::Vector; }
  bool isList() const { return kind_ == Kind::List; }
  bool isMap() const { return kind_ == Kind::Map; }
  bool isSet() const { return kind_ == Kind::Set; }
  // Vectors and lists: the sequential collections.
  bool isSequential() const { return kind_ == Kind::Vector || kind_ == Kind::List; }
  bool isCollection() const { return kind_ >= Kind::Vector && kind_ <= Kind::Set; }

  bool asBool() const { return u_.i != 0; }
  int64_t asLong() const { return u_.i; }          // Long, BigInt, Instant, Char
  double asDouble() const { return u_.d; }         // Double only
  double toDouble() const { return kind_ == Kind::Double ? u_.d : static_cast<double>(u_.i); }
  int64_t asInstant() const { return u_.i; }
  uint32_t asChar() const { return static_cast<uint32_t>(u_.i); }
  std::string_view asString() const { return static_cast<const StringObject*>(u_.p)->text; }  // String, Bytes
  Keyword asKeyword() const { return Keyword(static_cast<const Interned*>(u_.cp)); }           // Keyword, Symbol
  const Interned& interned() const { return *static_cast<const Interned*>(u_.cp); }
  const uint8_t* uuidBytes() const { return static_cast<const UuidObject*>(u_.p)->bytes; }
  // Vector, List, Set: the items. Map: keys and values interleaved.
  const std::vector<Value>& items() const;
  size_t count() const;  // collections: number of items (map: entries); strings: bytes
  const Value& at(size_t i) const { return items()[i]; }
  // Map lookup (linear for small maps); nullptr when absent.
  const Value* get(const Value& key) const;
  const Value* getKeyword(std::string_view kw) const;
  size_t mapSize() const { return items().size() / 2; }
  const Value& mapKey(size_t i) const { return items()[2 * i]; }
  const Value& mapVal(size_t i) const { return items()[2 * i + 1]; }
  std::string_view taggedTag() const;
  const Value& taggedValue() const;

  // Same kind and payload identity: cheap, used for interned things.
  bool identical(const Value& o) const { return kind_ == o.kind_ && u_.i == o.u_.i; }

 private:
  Value(Kind k, int64_t i) : kind_(k) { u_.i = i; }
  void retain() const noexcept {
    if (isHeap()) static_cast<const HeapObject*>(u_.p)->refs.fetch_add(1, std::memory_order_relaxed);
  }
  void release() noexcept {
    if (isHeap() && static_cast<const HeapObject*>(u_.p)->refs.fetch_sub(1, std::memory_order_acq_rel) == 1)
      delete static_cast<const HeapObject*>(u_.p);
  }
  bool isHeap() const noexcept {
    switch (kind_) {
      case Kind::String: case Kind::Bytes: case Kind::Uuid: case Kind::Vector:
      case Kind::List: case Kind::Map: case Kind::Set: case Kind::Tagged:
        return true;
      default:
        return false;
    }
  }

  Kind kind_;
  union {
    int64_t i;
    double d;
    const void* cp;
    const HeapObject* p;
  } u_;
};

struct SeqObject final : HeapObject {
  std::vector<Value> items;  // vector/list/set items; map: k0 v0 k1 v1 ...
};

inline const std::vector<Value>& Value::items() const { return static_cast<const SeqObject*>(u_.p)->items; }

struct TaggedObject final : HeapObject {
  std::string tag;
  Value inner;
};

// Total order over all values, consistent with DataScript's value comparison:
// numbers compare numerically across Long/BigInt/Double (ties broken by kind),
// otherwise values of different kinds order by kind rank, then by content.
// Agrees with the byte order of encodeValue() for every encodable value.
int compareValues(const Value& a, const Value& b);
inline bool operator==(const Value& a, const Value& b) { return compareValues(a, b) == 0; }
inline bool operator!=(const Value& a, const Value& b) { return compareValues(a, b) != 0; }
inline bool operator<(const Value& a, const Value& b) { return compareValues(a, b) < 0; }

// Consistent with ==: equal values hash equally.
size_t hashValue(const Value& v);
struct ValueHash {
  size_t operator()(const Value& v) const { return hashValue(v); }
};
struct ValueEq {
  bool operator()(const Value& a, const Value& b) const { return compareValues(a, b) == 0; }
};

// Parses "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"; false when malformed.
bool parseUuid(std::string_view text, Uuid16& out);
std::string formatUuid(const uint8_t bytes[16]);

}  // namespace datalite
