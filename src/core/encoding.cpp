#include "core/encoding.h"

#include <cmath>
#include <cstring>

#include "core/error.h"

namespace datalite {

namespace {

[[noreturn]] void truncated() { raise(ErrorCode::StoreError, "corrupt key: truncated or malformed value encoding"); }

int byteLength(uint64_t n) {
  int len = 0;
  while (n) {
    ++len;
    n >>= 8;
  }
  return len;
}

void putBigEndian(uint64_t n, int len, std::string& out) {
  for (int i = len - 1; i >= 0; --i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xFF));
}

uint64_t getBigEndian(const uint8_t*& p, const uint8_t* end, int len) {
  if (end - p < len) truncated();
  uint64_t n = 0;
  for (int i = 0; i < len; ++i) n = (n << 8) | *p++;
  return n;
}

// Doubles as unsigned integers whose order is the numeric order.
uint64_t orderedDoubleBits(double d) {
  uint64_t bits;
  std::memcpy(&bits, &d, 8);
  return (bits & 0x8000000000000000ULL) ? ~bits : (bits | 0x8000000000000000ULL);
}
double doubleFromOrderedBits(uint64_t bits) {
  bits = (bits & 0x8000000000000000ULL) ? (bits & ~0x8000000000000000ULL) : ~bits;
  double d;
  std::memcpy(&d, &bits, 8);
  return d;
}

// Text bodies: 0x00 is escaped as 00 FF and the body ends with 00 01, so a
// shorter string sorts before any extension of it.
void encodeText(std::string_view s, std::string& out) {
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\0') {
      out.append(s.data() + start, i - start);
      out.push_back('\0');
      out.push_back(static_cast<char>(0xFF));
      start = i + 1;
    }
  }
  out.append(s.data() + start, s.size() - start);
  out.push_back('\0');
  out.push_back('\x01');
}

std::string decodeText(const uint8_t*& p, const uint8_t* end) {
  std::string s;
  const uint8_t* start = p;
  while (true) {
    const void* z = std::memchr(p, 0, static_cast<size_t>(end - p));
    if (!z) truncated();
    const uint8_t* zp = static_cast<const uint8_t*>(z);
    if (zp + 1 >= end) truncated();
    s.append(reinterpret_cast<const char*>(start), static_cast<size_t>(zp - start));
    if (zp[1] == 0x01) {
      p = zp + 2;
      return s;
    }
    if (zp[1] != 0xFF) truncated();
    s.push_back('\0');
    p = zp + 2;
    start = p;
  }
}

const uint8_t* skipText(const uint8_t* p, const uint8_t* end) {
  while (true) {
    const void* z = std::memchr(p, 0, static_cast<size_t>(end - p));
    if (!z) truncated();
    const uint8_t* zp = static_cast<const uint8_t*>(z);
    if (zp + 1 >= end) truncated();
    if (zp[1] == 0x01) return zp + 2;
    if (zp[1] != 0xFF) truncated();
    p = zp + 2;
  }
}

constexpr double kTwo63 = 9223372036854775808.0;

// Numbers: [kNum][signed int part][subtype] where subtype orders equal integer
// parts: 0 long, 1 bigint, 2 integral double, 3 double with a fraction (then 8
// bytes of the fraction's bits; positive doubles order by their bits).
void encodeNumber(const Value& v, std::string& out) {
  if (v.kind() != Kind::Double) {
    out.push_back(static_cast<char>(tag::kNum));
    encodeSigned(v.asLong(), out);
    out.push_back(v.kind() == Kind::Long ? 0 : 1);
    return;
  }
  double d = v.asDouble();
  if (std::isnan(d)) {
    out.push_back(static_cast<char>(tag::kNumNaN));
    return;
  }
  if (d < -kTwo63 || d >= kTwo63) {
    out.push_back(static_cast<char>(d < 0 ? tag::kNumNegHuge : tag::kNumPosHuge));
    putBigEndian(orderedDoubleBits(d), 8, out);
    return;
  }
  double fl = std::floor(d);
  out.push_back(static_cast<char>(tag::kNum));
  encodeSigned(static_cast<int64_t>(fl), out);
  double frac = d - fl;  // exact for every finite double
  if (frac == 0.0) {
    out.push_back(2);
  } else {
    out.push_back(3);
    uint64_t bits;
    std::memcpy(&bits, &frac, 8);
    putBigEndian(bits, 8, out);
  }
}

void encodeValueAt(const Value& v, std::string& out, int depth);

void encodeTuple(const Value& v, std::string& out, int depth) {
  if (depth > 8) raise(ErrorCode::TypeMismatch, "tuple values nest at most 8 levels deep");
  out.push_back(static_cast<char>(tag::kTuple));
  for (const Value& item : v.items()) {
    if (item.isNil()) out.push_back(static_cast<char>(tag::kNil));
    else encodeValueAt(item, out, depth + 1);
  }
  out.push_back(static_cast<char>(tag::kTupleEnd));
}

void encodeValueAt(const Value& v, std::string& out, int depth) {
  switch (v.kind()) {
    case Kind::Boolean: out.push_back(static_cast<char>(v.asBool() ? tag::kTrue : tag::kFalse)); return;
    case Kind::Long: case Kind::BigInt: case Kind::Double: encodeNumber(v, out); return;
    case Kind::Instant:
      out.push_back(static_cast<char>(tag::kInstant));
      encodeSigned(v.asLong(), out);
      return;
    case Kind::Char:
      out.push_back(static_cast<char>(tag::kChar));
      encodeUnsigned(v.asChar(), out);
      return;
    case Kind::String:
      out.push_back(static_cast<char>(tag::kString));
      encodeText(v.asString(), out);
      return;
    case Kind::Keyword: case Kind::Symbol:
      out.push_back(static_cast<char>(v.kind() == Kind::Keyword ? tag::kKeyword : tag::kSymbol));
      encodeText(v.interned().ns(), out);
      encodeText(v.interned().name(), out);
      return;
    case Kind::Uuid:
      out.push_back(static_cast<char>(tag::kUuid));
      out.append(reinterpret_cast<const char*>(v.uuidBytes()), 16);
      return;
    case Kind::Bytes:
      out.push_back(static_cast<char>(tag::kBytes));
      encodeText(v.asString(), out);
      return;
    case Kind::Vector: encodeTuple(v, out, depth); return;
    default:
      raise(ErrorCode::TypeMismatch,
            "a value of type " + std::string(kindName(v.kind())) + " cannot be stored in a datom");
  }
}

}  // namespace

// Header byte then `len` big-endian bytes of n, appended in one go.
static void appendHeaderAndBytes(char header, uint64_t n, int len, std::string& out) {
  char buf[9];
  buf[0] = header;
  for (int i = 0; i < len; ++i) buf[1 + i] = static_cast<char>((n >> (8 * (len - 1 - i))) & 0xFF);
  out.append(buf, static_cast<size_t>(len) + 1);
}

void encodeUnsigned(uint64_t n, std::string& out) {
  int len = byteLength(n);
  appendHeaderAndBytes(static_cast<char>(len), n, len, out);
}

void encodeSigned(int64_t n, std::string& out) {
  if (n >= 0) {
    int len = byteLength(static_cast<uint64_t>(n));
    appendHeaderAndBytes(static_cast<char>(0x80 + len), static_cast<uint64_t>(n), len, out);
  } else {
    int len = byteLength(~static_cast<uint64_t>(n));
    appendHeaderAndBytes(static_cast<char>(0x7F - len), static_cast<uint64_t>(n), len, out);
  }
}

uint64_t decodeUnsigned(const uint8_t*& p, const uint8_t* end) {
  if (p >= end || *p > 8) truncated();
  int len = *p++;
  return getBigEndian(p, end, len);
}

int64_t decodeSigned(const uint8_t*& p, const uint8_t* end) {
  if (p >= end) truncated();
  int h = *p++;
  if (h >= 0x80) {
    int len = h - 0x80;
    if (len > 8) truncated();
    return static_cast<int64_t>(getBigEndian(p, end, len));
  }
  int len = 0x7F - h;
  if (len > 8) truncated();
  uint64_t low = getBigEndian(p, end, len);
  // Sign-extend: the high bytes of a negative number are all ones.
  uint64_t high = len == 8 ? 0 : (~0ULL << (8 * len));
  return static_cast<int64_t>(high | low);
}

bool isEncodable(const Value& v) {
  switch (v.kind()) {
    case Kind::Nil: case Kind::List: case Kind::Map: case Kind::Set: case Kind::Tagged: return false;
    case Kind::Vector:
      for (const Value& item : v.items())
        if (!item.isNil() && !isEncodable(item)) return false;
      return true;
    default: return true;
  }
}

void encodeValue(const Value& v, std::string& out) {
  if (v.isNil()) raise(ErrorCode::InvalidInput, "nil cannot be stored as a datom value");
  encodeValueAt(v, out, 0);
}

std::string encodeValue(const Value& v) {
  std::string out;
  encodeValue(v, out);
  return out;
}

Value decodeValue(const uint8_t*& p, const uint8_t* end) {
  if (p >= end) truncated();
  uint8_t t = *p++;
  switch (t) {
    case tag::kNil: return Value();
    case tag::kFalse: return Value::boolean(false);
    case tag::kTrue: return Value::boolean(true);
    case tag::kNumNaN: return Value::real(std::nan(""));
    case tag::kNumNegHuge: case tag::kNumPosHuge: return Value::real(doubleFromOrderedBits(getBigEndian(p, end, 8)));
    case tag::kNum: {
      int64_t i = decodeSigned(p, end);
      if (p >= end) truncated();
      uint8_t sub = *p++;
      switch (sub) {
        case 0: return Value::integer(i);
        case 1: return Value::bigint(i);
        case 2: return Value::real(static_cast<double>(i));
        case 3: {
          uint64_t bits = getBigEndian(p, end, 8);
          double frac;
          std::memcpy(&frac, &bits, 8);
          return Value::real(static_cast<double>(i) + frac);
        }
        default: truncated();
      }
    }
    case tag::kInstant: return Value::instant(decodeSigned(p, end));
    case tag::kChar: return Value::character(static_cast<uint32_t>(decodeUnsigned(p, end)));
    case tag::kString: return Value::string(decodeText(p, end));
    case tag::kBytes: return Value::bytes(decodeText(p, end));
    case tag::kKeyword: case tag::kSymbol: {
      std::string ns = decodeText(p, end);
      std::string name = decodeText(p, end);
      std::string full = ns.empty() ? name : ns + "/" + name;
      return t == tag::kKeyword ? Value::keyword(full) : Value::symbol(full);
    }
    case tag::kUuid: {
      if (end - p < 16) truncated();
      Uuid16 u;
      std::memcpy(u.bytes, p, 16);
      p += 16;
      return Value::uuid(u);
    }
    case tag::kTuple: {
      std::vector<Value> items;
      while (true) {
        if (p >= end) truncated();
        if (*p == tag::kTupleEnd) {
          ++p;
          return Value::vector(std::move(items));
        }
        items.push_back(decodeValue(p, end));
      }
    }
    default: truncated();
  }
}

const uint8_t* skipValue(const uint8_t* p, const uint8_t* end) {
  if (p >= end) truncated();
  uint8_t t = *p++;
  switch (t) {
    case tag::kNil: case tag::kFalse: case tag::kTrue: case tag::kNumNaN: return p;
    case tag::kNumNegHuge: case tag::kNumPosHuge:
      if (end - p < 8) truncated();
      return p + 8;
    case tag::kNum: {
      decodeSigned(p, end);
      if (p >= end) truncated();
      uint8_t sub = *p++;
      if (sub == 3) {
        if (end - p < 8) truncated();
        p += 8;
      }
      return p;
    }
    case tag::kInstant: decodeSigned(p, end); return p;
    case tag::kChar: decodeUnsigned(p, end); return p;
    case tag::kString: case tag::kBytes: return skipText(p, end);
    case tag::kKeyword: case tag::kSymbol: return skipText(skipText(p, end), end);
    case tag::kUuid:
      if (end - p < 16) truncated();
      return p + 16;
    case tag::kTuple:
      while (true) {
        if (p >= end) truncated();
        if (*p == tag::kTupleEnd) return p + 1;
        p = skipValue(p, end);
      }
    default: truncated();
  }
}

}  // namespace datalite
