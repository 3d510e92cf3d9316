// The binary snapshot: serializeDb / deserializeDb. Byte layout in
// docs/adr/0008-serialization.md.
#include <array>
#include <cstring>

#include "core/checksum.h"
#include "core/encoding.h"
#include "db/show.h"
#include "serial/binary_format.h"
#include "serial/serial.h"
#include "serial/snapshot.h"

namespace datalite::serial {

namespace binary {

namespace {


void putLittleEndian(uint64_t n, int bytes, std::string& out) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xFF));
}

uint64_t getLittleEndian(std::string_view s, size_t at, int bytes) {
  uint64_t n = 0;
  for (int i = bytes - 1; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(s[at + i]);
  return n;
}

}  // namespace

uint32_t crc32(std::string_view bytes) { return datalite::crc32(bytes); }

void sealChecksum(std::string& snapshot) {
  if (snapshot.size() < kHeaderSize) return;
  uint32_t crc = crc32(std::string_view(snapshot).substr(kHeaderSize));
  std::string le;
  putLittleEndian(crc, 4, le);
  snapshot.replace(kCrcOffset, 4, le);
}

// The value type codes of the attribute table are the ValueType enumerators;
// pinned here because they are part of the format.
static_assert(static_cast<int>(ValueType::Any) == 0 && static_cast<int>(ValueType::String) == 1 &&
              static_cast<int>(ValueType::Long) == 2 && static_cast<int>(ValueType::Double) == 3 &&
              static_cast<int>(ValueType::Float) == 4 && static_cast<int>(ValueType::BigInt) == 5 &&
              static_cast<int>(ValueType::Boolean) == 6 && static_cast<int>(ValueType::Keyword) == 7 &&
              static_cast<int>(ValueType::Symbol) == 8 && static_cast<int>(ValueType::Uuid) == 9 &&
              static_cast<int>(ValueType::Instant) == 10 && static_cast<int>(ValueType::Ref) == 11 &&
              static_cast<int>(ValueType::Bytes) == 12 && static_cast<int>(ValueType::Tuple) == 13);
constexpr uint8_t kMaxValueType = 13;

namespace {

using detail::invalid;

// ------------------------------------------------------------------ writing

void writeAttribute(const Attribute& a, std::string& out) {
  putVarint(a.ident.str().size(), out);
  out += a.ident.str();
  uint8_t flags = 0;
  if (a.declared) flags |= attrflag::kDeclared;
  if (a.many) flags |= attrflag::kMany;
  if (a.indexed) flags |= attrflag::kIndexed;
  if (a.component) flags |= attrflag::kComponent;
  if (a.noHistory) flags |= attrflag::kNoHistory;
  if (a.hasTupleType) flags |= attrflag::kHasTupleType;
  if (!a.doc.empty()) flags |= attrflag::kHasDoc;
  if (a.entity) flags |= attrflag::kHasEntity;
  out.push_back(static_cast<char>(flags));
  out.push_back(static_cast<char>(a.type));
  out.push_back(static_cast<char>(a.unique));
  if (a.hasTupleType) out.push_back(static_cast<char>(a.tupleType));
  putVarint(a.tupleAttrs.size(), out);
  for (AttrId c : a.tupleAttrs) putVarint(c, out);
  putVarint(a.tupleTypes.size(), out);
  for (ValueType t : a.tupleTypes) out.push_back(static_cast<char>(t));
  if (!a.doc.empty()) {
    putVarint(a.doc.size(), out);
    out += a.doc;
  }
  if (a.entity) putVarint(static_cast<uint64_t>(a.entity), out);
}

// ------------------------------------------------------------------ reading

// Bounds-checked cursor over the body.
class BodyReader {
 public:
  explicit BodyReader(std::string_view body) : p_(reinterpret_cast<const uint8_t*>(body.data())), end_(p_ + body.size()) {}

  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  bool atEnd() const { return p_ == end_; }
  const uint8_t* ptr() const { return p_; }
  const uint8_t* end() const { return end_; }
  void advanceTo(const uint8_t* p) { p_ = p; }

  uint64_t varint(const char* what) {
    VarintRead r = readVarint(p_, end_);
    if (r.error == VarintError::Truncated) invalid(std::string("truncated ") + what);
    if (r.error != VarintError::None) invalid(std::string(what) + " " + describe(r.error));
    p_ = r.next;
    return r.value;
  }

  uint8_t byte(const char* what) {
    if (p_ == end_) invalid(std::string("truncated ") + what);
    return *p_++;
  }

  std::string_view bytes(uint64_t n, const char* what) {
    if (n > remaining()) invalid(std::string(what) + " of " + std::to_string(n) + " bytes runs past the end");
    std::string_view s(reinterpret_cast<const char*>(p_), static_cast<size_t>(n));
    p_ += n;
    return s;
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

// Tuples nest at most this deep in stored values (encodeValue's limit).
constexpr int kMaxTupleNesting = 9;

// Checks that one encoded value is complete and nests no deeper than the
// encoder allows (decodeValue recurses into tuples); returns its end.
const uint8_t* checkEncodedValue(const uint8_t* p, const uint8_t* end, int depth) {
  if (p >= end) invalid("truncated value");
  if (*p != tag::kTuple) return skipValue(p, end);
  if (depth >= kMaxTupleNesting) invalid("tuple values nest too deeply");
  ++p;
  while (true) {
    if (p >= end) invalid("truncated tuple value");
    if (*p == tag::kTupleEnd) return p + 1;
    p = checkEncodedValue(p, end, depth + 1);
  }
}

// The stored value kinds of each declared type (values are stored coerced,
// so anything else is corruption).
bool fitsType(const Attribute& a, const Value& v) {
  switch (a.type) {
    case ValueType::Any: return true;
    case ValueType::String: return v.kind() == Kind::String;
    case ValueType::Long: return v.kind() == Kind::Long;
    case ValueType::Double: case ValueType::Float: return v.kind() == Kind::Double;
    case ValueType::BigInt: return v.kind() == Kind::BigInt;
    case ValueType::Boolean: return v.kind() == Kind::Boolean;
    case ValueType::Keyword: return v.kind() == Kind::Keyword;
    case ValueType::Symbol: return v.kind() == Kind::Symbol;
    case ValueType::Uuid: return v.kind() == Kind::Uuid;
    case ValueType::Instant: return v.kind() == Kind::Instant;
    case ValueType::Ref: return v.kind() == Kind::Long && v.asLong() > 0;
    case ValueType::Bytes: return v.kind() == Kind::Bytes;
    case ValueType::Tuple: return v.kind() == Kind::Vector;
  }
  return false;
}

struct AttributeRecord {
  Attribute def;
  std::vector<uint64_t> tupleAttrIds;
};

AttributeRecord readAttribute(BodyReader& r, size_t index) {
  std::string where = "attribute #" + std::to_string(index);
  AttributeRecord rec;
  Attribute& a = rec.def;
  std::string_view ident = r.bytes(r.varint("attribute name length"), "attribute name");
  if (ident.empty() || ident[0] == ':') invalid(where + " has an invalid name");
  a.ident = Keyword::intern(ident);
  where = "attribute :" + std::string(ident);
  uint8_t flags = r.byte("attribute flags");
  uint8_t type = r.byte("attribute type");
  uint8_t unique = r.byte("attribute uniqueness");
  if (type > kMaxValueType) invalid(where + " has unknown value type code " + std::to_string(type));
  if (unique > 2) invalid(where + " has unknown uniqueness code " + std::to_string(unique));
  a.type = static_cast<ValueType>(type);
  a.unique = static_cast<Uniqueness>(unique);
  a.declared = flags & attrflag::kDeclared;
  a.many = flags & attrflag::kMany;
  a.indexed = flags & attrflag::kIndexed;
  a.component = flags & attrflag::kComponent;
  a.noHistory = flags & attrflag::kNoHistory;
  a.hasTupleType = flags & attrflag::kHasTupleType;
  if (a.hasTupleType) {
    uint8_t t = r.byte("tuple type");
    if (t > kMaxValueType || t == static_cast<uint8_t>(ValueType::Tuple) || t == 0)
      invalid(where + " has invalid tuple type code " + std::to_string(t));
    a.tupleType = static_cast<ValueType>(t);
  }
  uint64_t nAttrs = r.varint("tuple attribute count");
  if (nAttrs > r.remaining()) invalid(where + ": tuple attribute count runs past the end");
  for (uint64_t i = 0; i < nAttrs; ++i) rec.tupleAttrIds.push_back(r.varint("tuple attribute id"));
  uint64_t nTypes = r.varint("tuple type count");
  if (nTypes > r.remaining()) invalid(where + ": tuple type count runs past the end");
  for (uint64_t i = 0; i < nTypes; ++i) {
    uint8_t t = r.byte("tuple element type");
    if (t > kMaxValueType || t == static_cast<uint8_t>(ValueType::Tuple) || t == 0)
      invalid(where + " has invalid tuple element type code " + std::to_string(t));
    a.tupleTypes.push_back(static_cast<ValueType>(t));
  }
  if (flags & attrflag::kHasDoc) {
    a.doc = std::string(r.bytes(r.varint("doc length"), "doc"));
    if (a.doc.empty()) invalid(where + " has an empty doc marked present");
  }
  if (flags & attrflag::kHasEntity) {
    uint64_t e = r.varint("schema entity id");
    if (e == 0 || e > static_cast<uint64_t>(kMaxSafeId)) invalid(where + " has an invalid entity id");
    a.entity = static_cast<int64_t>(e);
  }
  bool hasDefinition = flags != 0 || type != 0 || unique != 0 || nAttrs || nTypes;
  if (!a.declared && hasDefinition) invalid(where + " is undeclared but carries a definition");
  return rec;
}

// Attribute table: ids follow the built-in ones in table order.
void writeSchemaTable(const Schema& schema, std::string& out) {
  std::vector<const Attribute*> attrs = detail::userAttributes(schema);
  putVarint(attrs.size(), out);
  for (const Attribute* a : attrs) writeAttribute(*a, out);
}

std::shared_ptr<Schema> readSchemaTable(BodyReader& r) {
  // Attribute table: ids follow the built-in ones in table order.
  uint64_t attrCount = r.varint("attribute count");
  if (attrCount > r.remaining() / 5) invalid("attribute count " + std::to_string(attrCount) + " exceeds the data");
  std::vector<AttributeRecord> records;
  records.reserve(attrCount);
  auto schema = std::make_shared<Schema>(*Schema::bootstrap());
  for (uint64_t i = 0; i < attrCount; ++i) {
    records.push_back(readAttribute(r, i));
    Keyword k = records.back().def.ident;
    if (schema->find(k)) invalid("attribute :" + std::string(k.str()) + " appears twice or redefines a built-in");
    schema->addImplicit(k);
  }
  uint64_t lastId = attr::kLastBuiltin + attrCount;
  for (AttributeRecord& rec : records) {
    if (!rec.def.declared) continue;
    for (uint64_t c : rec.tupleAttrIds) {
      if (c == 0 || c > lastId)
        invalid("attribute :" + std::string(rec.def.ident.str()) + " names unknown tuple attribute id " +
                std::to_string(c));
      rec.def.tupleAttrs.push_back(static_cast<AttrId>(c));
    }
    schema->define(std::move(rec.def));
  }
  return schema;
}

}  // namespace
}  // namespace binary

std::string encodeSchema(const Schema& schema) {
  std::string out;
  binary::writeSchemaTable(schema, out);
  return out;
}

std::shared_ptr<const Schema> decodeSchema(std::string_view bytes) {
  binary::BodyReader r(bytes);
  auto schema = binary::readSchemaTable(r);
  if (!r.atEnd()) binary::invalid("trailing bytes after the attribute table");
  return schema;
}

std::string serializeDb(const Db& db) {
  using namespace binary;
  std::string body;
  putVarint(static_cast<uint64_t>(db.maxEid()), body);
  putVarint(static_cast<uint64_t>(db.maxTx() - kTx0), body);
  writeSchemaTable(db.schema(), body);

  // Datoms go to their own buffer: their count precedes them and is known
  // only after the walk for views.
  std::string datoms;
  if (db.view() == DbView::Current) datoms.reserve(db.count() * 12);
  uint64_t n = 0;
  int64_t prevE = 0, prevTx = kTx0;
  detail::forEachDatom(db, [&](const KeyParts& k) {
    putVarint(static_cast<uint64_t>(k.e - prevE), datoms);
    putVarint(k.a, datoms);
    datoms.append(k.value);
    putVarint(zigzag(k.tx - prevTx), datoms);
    prevE = k.e;
    prevTx = k.tx;
    ++n;
  });
  putVarint(n, body);
  body += datoms;

  std::string out;
  out.reserve(kHeaderSize + body.size());
  out.append(kMagic, 4);
  putLittleEndian(kVersion, 2, out);
  putLittleEndian(db.keepHistory() ? kFlagKeepHistory : 0, 2, out);
  putLittleEndian(body.size(), 8, out);
  putLittleEndian(crc32(body), 4, out);
  out += body;
  return out;
}

Db deserializeDb(std::string_view bytes) {
  using namespace binary;
  return detail::guardLoad("deserializeDb", false, [&] {
    if (bytes.size() < kHeaderSize)
      invalid("truncated: " + std::to_string(bytes.size()) + " bytes, a snapshot has a " +
              std::to_string(kHeaderSize) + "-byte header");
    if (std::memcmp(bytes.data(), kMagic, 4) != 0) invalid("not a datalite snapshot (bad magic bytes)");
    uint64_t version = getLittleEndian(bytes, 4, 2);
    if (version != kVersion)
      invalid("unsupported snapshot format version " + std::to_string(version) + " (this build reads version " +
              std::to_string(kVersion) + ")");
    uint64_t flags = getLittleEndian(bytes, 6, 2);
    if (flags & ~static_cast<uint64_t>(kKnownFlags)) invalid("unknown snapshot flags " + std::to_string(flags));
    uint64_t bodyLength = getLittleEndian(bytes, 8, 8);
    if (bodyLength != bytes.size() - kHeaderSize)
      invalid("the header announces " + std::to_string(bodyLength) + " body bytes but " +
              std::to_string(bytes.size() - kHeaderSize) + " follow (truncated or padded)");
    std::string_view body = bytes.substr(kHeaderSize);
    if (kVerifyChecksums && crc32(body) != getLittleEndian(bytes, kCrcOffset, 4)) invalid("checksum mismatch: the snapshot is corrupt");

    BodyReader r(body);
    uint64_t maxEid = r.varint("maxEid");
    uint64_t maxTxDelta = r.varint("maxTx");
    if (maxEid > static_cast<uint64_t>(kMaxSafeId) || maxTxDelta > static_cast<uint64_t>(kMaxSafeId - kTx0))
      invalid("maxEid or maxTx out of range");

    auto schema = readSchemaTable(r);
    const uint64_t lastId = schema->size();  // attribute ids are dense: 1..lastId

    // Datoms, EAVT order, strictly increasing.
    uint64_t count = r.varint("datom count");
    if (count > r.remaining() / 4) invalid("datom count " + std::to_string(count) + " exceeds the data");
    std::vector<Db::InitDatom> datoms;
    datoms.reserve(count);
    int64_t e = 0, tx = kTx0;
    AttrId a = 0;
    std::string_view prevValue;
    std::string canonical;
    for (uint64_t i = 0; i < count; ++i) {
      auto where = [i] { return "datom #" + std::to_string(i); };
      uint64_t eDelta = r.varint("entity id");
      if (eDelta > static_cast<uint64_t>(kMaxSafeId - e)) invalid(where() + ": entity id out of range");
      int64_t prevE = e;
      AttrId prevA = a;
      e += static_cast<int64_t>(eDelta);
      if (e == 0) invalid(where() + ": entity id 0");
      uint64_t attrIndex = r.varint("attribute index");
      if (attrIndex == 0 || attrIndex > lastId)
        invalid(where() + ": unknown attribute index " + std::to_string(attrIndex));
      a = static_cast<AttrId>(attrIndex);
      const uint8_t* vstart = r.ptr();
      const uint8_t* vend = checkEncodedValue(vstart, r.end(), 0);
      if (*vstart == tag::kNil) invalid(where() + ": nil value");
      std::string_view venc(reinterpret_cast<const char*>(vstart), static_cast<size_t>(vend - vstart));
      const uint8_t* p = vstart;
      Value v = decodeValue(p, vend);
      // Non-canonical bytes would break the order checks below.
      canonical.clear();
      encodeValue(v, canonical);
      if (canonical != venc) invalid(where() + ": value bytes are not in canonical form");
      r.advanceTo(vend);
      int64_t txDelta = unzigzag(r.varint("tx"));
      if (txDelta > kMaxSafeId || txDelta < -kMaxSafeId || tx + txDelta <= kTx0 || tx + txDelta > kMaxSafeId)
        invalid(where() + ": tx out of range");
      tx += txDelta;
      if (i > 0) {
        bool ordered = e > prevE || (e == prevE && (a > prevA || (a == prevA && venc > prevValue)));
        if (!ordered) invalid(where() + " is out of EAVT order or repeats the previous datom");
      }
      prevValue = venc;
      const Attribute& attr = schema->get(a);
      if (!fitsType(attr, v)) invalid(where() + ": value " + show(v) + " does not fit :" + std::string(attr.ident.str()));
      datoms.push_back(Db::InitDatom{e, attr.ident, std::move(v), tx});
    }
    if (!r.atEnd()) invalid(std::to_string(r.remaining()) + " unexpected bytes after the datoms");
    return detail::build(std::move(datoms), std::move(schema), flags & kFlagKeepHistory,
                         static_cast<int64_t>(maxEid), kTx0 + static_cast<int64_t>(maxTxDelta), true);
  });
}

}  // namespace datalite::serial
