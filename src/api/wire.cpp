#include "api/wire.h"

#include <cstring>
#include <unordered_set>

#include "core/error.h"
#include "db/db.h"

namespace datalite::api {

namespace {

[[noreturn]] void malformed(const std::string& what) {
  raise(ErrorCode::InvalidInput, "Malformed wire input: " + what);
}

uint64_t loadLe64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

std::string_view le64(uint64_t v, char (&b)[8]) {
  for (int i = 0; i < 8; ++i) b[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  return std::string_view(b, 8);
}

// Maps and sets must not repeat a key: the engine relies on it.
void requireDistinct(const std::vector<Value>& items, size_t stride, const char* what) {
  if (items.size() / stride < 2) return;
  std::unordered_set<Value, ValueHash, ValueEq> seen;
  seen.reserve(items.size() / stride);
  for (size_t i = 0; i < items.size(); i += stride)
    if (!seen.insert(items[i]).second) malformed(std::string("duplicate ") + what);
}

}  // namespace

// ------------------------------------------------------------------ reader

std::string_view WireReader::take(size_t n) {
  if (n > data_.size() - pos_) malformed("truncated buffer");
  std::string_view s = data_.substr(pos_, n);
  pos_ += n;
  return s;
}

uint8_t WireReader::byte() { return static_cast<uint8_t>(take(1)[0]); }

uint64_t WireReader::varint() {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    uint8_t b = byte();
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
  }
  malformed("varint longer than 10 bytes");
}

int64_t WireReader::signedVarint() {
  uint64_t z = varint();
  return static_cast<int64_t>((z >> 1) ^ (~(z & 1) + 1));
}

std::string_view WireReader::text() {
  uint64_t n = varint();
  if (n > data_.size() - pos_) malformed("length beyond the buffer");
  return take(static_cast<size_t>(n));
}

void WireReader::expectEnd() const {
  if (pos_ != data_.size()) malformed("trailing bytes");
}

Keyword WireReader::keywordText() {
  std::string_view s = text();
  if (s.empty()) malformed("empty keyword");
  Keyword k = cache_ ? cache_->get(s) : Keyword::intern(s);
  keywords_.push_back(k);
  return k;
}

Value WireReader::value() { return valueAt(0); }

Value WireReader::valueAt(uint32_t depth) {
  if (depth > maxDepth_) raise(ErrorCode::LimitExceeded, "Input nested deeper than " + std::to_string(maxDepth_) + " levels");
  auto tag = static_cast<WireTag>(byte());
  switch (tag) {
    case WireTag::Nil: return Value();
    case WireTag::False: return Value::boolean(false);
    case WireTag::True: return Value::boolean(true);
    case WireTag::Int: return Value::integer(signedVarint());
    case WireTag::Int64: return Value::integer(static_cast<int64_t>(loadLe64(take(8).data())));
    case WireTag::BigInt: return Value::bigint(static_cast<int64_t>(loadLe64(take(8).data())));
    case WireTag::Double: {
      uint64_t bits = loadLe64(take(8).data());
      double d;
      std::memcpy(&d, &bits, 8);
      return Value::real(d);
    }
    case WireTag::Instant: return Value::instant(signedVarint());
    case WireTag::String: return Value::string(text());
    case WireTag::Keyword: return Value::keyword(keywordText());
    case WireTag::KeywordRef: {
      uint64_t i = varint();
      if (i >= keywords_.size()) malformed("keyword reference out of range");
      return Value::keyword(keywords_[i]);
    }
    case WireTag::Symbol: {
      std::string_view s = text();
      if (s.empty()) malformed("empty symbol");
      return Value::symbol(s);
    }
    case WireTag::Uuid: {
      Uuid16 u;
      std::memcpy(u.bytes, take(16).data(), 16);
      return Value::uuid(u);
    }
    case WireTag::Bytes: return Value::bytes(text());
    case WireTag::Char: {
      uint64_t cp = varint();
      if (cp > 0x10FFFF) malformed("character out of range");
      return Value::character(static_cast<uint32_t>(cp));
    }
    case WireTag::Vector:
    case WireTag::List:
    case WireTag::Set:
    case WireTag::Map: {
      uint64_t n = varint();
      uint64_t items = tag == WireTag::Map ? n * 2 : n;
      // Every item takes at least one byte: a count beyond the rest of the
      // buffer is a lie, and must not drive a huge reserve().
      if (n > data_.size() - pos_ || items > data_.size() - pos_) malformed("count beyond the buffer");
      std::vector<Value> out;
      out.reserve(static_cast<size_t>(items));
      for (uint64_t i = 0; i < items; ++i) out.push_back(valueAt(depth + 1));
      if (tag == WireTag::Vector) return Value::vector(std::move(out));
      if (tag == WireTag::List) return Value::list(std::move(out));
      if (tag == WireTag::Set) {
        requireDistinct(out, 1, "set element");
        return Value::set(std::move(out));
      }
      requireDistinct(out, 2, "map key");
      return Value::map(std::move(out));
    }
    case WireTag::Tagged: {
      std::string_view t = text();
      if (t.empty()) malformed("empty tag");
      std::string tagName(t);
      return Value::tagged(tagName, valueAt(depth + 1));
    }
    case WireTag::Datom: break;
  }
  malformed("unknown tag " + std::to_string(static_cast<int>(tag)));
}

// ------------------------------------------------------------------ writer

void WireWriter::integer(int64_t n) {
  // Zigzag varints decode exactly in JS doubles only below 2^52.
  if (n > -kSmallIntLimit && n < kSmallIntLimit) {
    tag(WireTag::Int);
    signedVarint(n);
  } else {
    tag(WireTag::Int64);
    char b[8];
    raw(le64(static_cast<uint64_t>(n), b));
  }
}

void WireWriter::keyword(Keyword k) {
  auto [it, inserted] = keywordIndex_.emplace(k.ptr(), static_cast<uint32_t>(keywordIndex_.size()));
  if (inserted) {
    tag(WireTag::Keyword);
    text(k.str());
  } else {
    tag(WireTag::KeywordRef);
    varint(it->second);
  }
}

void WireWriter::value(const Value& v) {
  switch (v.kind()) {
    case Kind::Nil: tag(WireTag::Nil); return;
    case Kind::Boolean: tag(v.asBool() ? WireTag::True : WireTag::False); return;
    case Kind::Long: integer(v.asLong()); return;
    case Kind::BigInt:
      tag(WireTag::BigInt);
      char b[8];
      raw(le64(static_cast<uint64_t>(v.asLong()), b));
      return;
    case Kind::Double: {
      tag(WireTag::Double);
      double d = v.asDouble();
      uint64_t bits;
      std::memcpy(&bits, &d, 8);
      char b[8];
      raw(le64(bits, b));
      return;
    }
    case Kind::Instant:
      tag(WireTag::Instant);
      signedVarint(v.asInstant());
      return;
    case Kind::Char:
      tag(WireTag::Char);
      varint(v.asChar());
      return;
    case Kind::String:
      tag(WireTag::String);
      text(v.asString());
      return;
    case Kind::Keyword: keyword(v.asKeyword()); return;
    case Kind::Symbol:
      tag(WireTag::Symbol);
      text(v.asKeyword().str());
      return;
    case Kind::Uuid:
      tag(WireTag::Uuid);
      raw(std::string_view(reinterpret_cast<const char*>(v.uuidBytes()), 16));
      return;
    case Kind::Bytes:
      tag(WireTag::Bytes);
      text(v.asString());
      return;
    case Kind::Vector:
    case Kind::List:
    case Kind::Set: {
      tag(v.kind() == Kind::Vector ? WireTag::Vector : v.kind() == Kind::List ? WireTag::List : WireTag::Set);
      const auto& items = v.items();
      varint(items.size());
      for (const Value& item : items) value(item);
      return;
    }
    case Kind::Map: {
      tag(WireTag::Map);
      varint(v.mapSize());
      for (const Value& item : v.items()) value(item);
      return;
    }
    case Kind::Tagged:
      tag(WireTag::Tagged);
      text(v.taggedTag());
      value(v.taggedValue());
      return;
  }
}

void WireWriter::datom(const Db& db, const Datom& d) {
  tag(WireTag::Datom);
  varint(static_cast<uint64_t>(d.e));
  keyword(db.attrIdent(d.a));
  value(d.v);
  varint(static_cast<uint64_t>(d.tx));
  byte(d.added ? 1 : 0);
}

}  // namespace datalite::api
