// The wire format: how Values cross the JS <-> wasm boundary in one buffer.
//
// JS encodes tx-data, query inputs and patterns into one byte buffer that C++
// reads here, and C++ writes a whole result (a query relation, a pull tree, a
// list of datoms) into one buffer that JS decodes in one pass (js/wire.js).
// This keeps the boundary to one crossing per call; Embind per-value objects
// cost about 1 µs each (see docs/adr/0007-js-boundary.md).
//
// Each value is a tag byte and a body. Integers are LEB128 varints (signed
// ones zigzagged), multi-byte fixed fields are little-endian.
//
//   Nil, False, True                      no body
//   Int        zigzag varint              longs with |v| < 2^52
//   Int64      8 bytes                    other longs (JS: number when safe, else bigint)
//   Double     8 bytes IEEE-754
//   BigInt     8 bytes                    :db.type/bigint values (JS bigint)
//   Instant    zigzag varint ms           JS Date
//   String     varint length, UTF-8
//   Keyword    varint length, UTF-8       no leading colon; gets the next table index
//   KeywordRef varint index               a keyword seen before in this buffer
//   Symbol     varint length, UTF-8
//   Uuid       16 bytes
//   Bytes      varint length, raw
//   Char       varint code point
//   Vector, List, Set   varint count, items
//   Map        varint entry count, key value key value ...
//   Tagged     varint length, tag UTF-8, value
//   Datom      varint e, keyword a, value v, varint tx, byte added (results only)
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/value.h"
#include "db/datom.h"

namespace datalite {
class Db;
}

namespace datalite::api {

enum class WireTag : uint8_t {
  Nil = 0,
  False = 1,
  True = 2,
  Int = 3,
  Int64 = 4,
  Double = 5,
  BigInt = 6,
  Instant = 7,
  String = 8,
  Keyword = 9,
  KeywordRef = 10,
  Symbol = 11,
  Uuid = 12,
  Bytes = 13,
  Char = 14,
  Vector = 15,
  List = 16,
  Set = 17,
  Map = 18,
  Tagged = 19,
  Datom = 20,
};

constexpr int64_t kSmallIntLimit = int64_t{1} << 52;

// Requests name the same few attributes over and over: a small direct-mapped
// cache in front of Keyword::intern (which hashes the text and takes a lock)
// saves most of the work.
class KeywordCache {
 public:
  Keyword get(std::string_view text) {
    size_t h = text.size() * 31 + static_cast<uint8_t>(text.front()) * 7 + static_cast<uint8_t>(text.back()) +
               static_cast<uint8_t>(text[text.size() / 2]) * 131;
    Keyword& slot = slots_[h % kSlots];
    if (slot && slot.str() == text) return slot;
    slot = Keyword::intern(text);
    return slot;
  }

 private:
  static constexpr size_t kSlots = 256;
  Keyword slots_[kSlots];
};

// Reads one request buffer. Every malformed input raises invalid-input (or
// limit-exceeded for nesting deeper than maxDepth); nothing is trusted.
class WireReader {
 public:
  explicit WireReader(std::string_view bytes, KeywordCache* cache = nullptr, uint32_t maxDepth = 512)
      : data_(bytes), maxDepth_(maxDepth), cache_(cache) {}

  Value value();
  uint64_t varint();
  int64_t signedVarint();
  uint8_t byte();
  std::string_view text();  // varint length + bytes
  bool atEnd() const { return pos_ == data_.size(); }
  void expectEnd() const;

 private:
  Value valueAt(uint32_t depth);
  std::string_view take(size_t n);
  Keyword keywordText();

  std::string_view data_;
  size_t pos_ = 0;
  uint32_t maxDepth_;
  KeywordCache* cache_;
  std::vector<Keyword> keywords_;
};

// Appends values to a response buffer. Keywords are written once per buffer
// and referenced by index afterwards: pull results and datom lists repeat the
// same few attribute names many times.
//
// Writes go straight into the string's storage (grown geometrically, trimmed
// by finish() or the destructor): appending byte by byte through
// std::string costs an out-of-line call per byte in wasm builds.
class WireWriter {
 public:
  explicit WireWriter(std::string& out) : out_(out), len_(out.size()) {}
  ~WireWriter() { finish(); }
  WireWriter(const WireWriter&) = delete;
  WireWriter& operator=(const WireWriter&) = delete;

  void value(const Value& v);
  void datom(const Db& db, const Datom& d);
  void keyword(Keyword k);
  void varint(uint64_t n) {
    char* p = room(10);
    while (n >= 0x80) {
      *p++ = static_cast<char>((n & 0x7f) | 0x80);
      n >>= 7;
    }
    *p++ = static_cast<char>(n);
    len_ = static_cast<size_t>(p - out_.data());
  }
  void signedVarint(int64_t n) { varint((static_cast<uint64_t>(n) << 1) ^ static_cast<uint64_t>(n >> 63)); }
  void byte(uint8_t b) {
    *room(1) = static_cast<char>(b);
    ++len_;
  }
  void raw(std::string_view s) {
    if (!s.empty()) std::memcpy(room(s.size()), s.data(), s.size());
    len_ += s.size();
  }
  void text(std::string_view s) {  // varint length + bytes
    varint(s.size());
    raw(s);
  }
  void tag(WireTag t) { byte(static_cast<uint8_t>(t)); }
  void integer(int64_t n);
  // Drops everything after the first `keep` bytes and forgets the keywords
  // written so far (error responses start over).
  void rewind(size_t keep) {
    len_ = keep;
    keywordIndex_.clear();
  }
  size_t size() const { return len_; }
  // Trims the string to what was written.
  void finish() { out_.resize(len_); }

 private:
  char* room(size_t n) {
    if (len_ + n > out_.size()) out_.resize(std::max(out_.size() * 2, len_ + n + 256));
    return out_.data() + len_;
  }
  std::string& out_;
  size_t len_;
  std::unordered_map<const Interned*, uint32_t> keywordIndex_;
};

}  // namespace datalite::api
