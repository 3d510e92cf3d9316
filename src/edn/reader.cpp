// EDN reader: a single pass over the input with an explicit stack of open
// collections and pending #tag / #_ prefixes, so nesting never recurses on the
// C stack. Tokens are string_views into the input; strings without escapes go
// straight into Value::string.
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "edn/edn.h"
#include "edn/edn_detail.h"

namespace datalite::edn {

namespace {

// Character classes, one table lookup per byte.
enum : uint8_t { kWs = 1, kDelim = 2, kDigit = 4, kSymChar = 8, kAlpha = 16 };

struct CharTable {
  uint8_t t[256] = {};
  constexpr CharTable() {
    for (int c : {' ', '\t', '\n', '\r', '\f', '\v', ','}) t[c] |= kWs | kDelim;
    // A backslash ends a token too (as in Clojure): \a\b is two characters.
    for (int c : {'(', ')', '[', ']', '{', '}', '"', ';', '\\'}) t[c] |= kDelim;
    for (int c = '0'; c <= '9'; ++c) t[c] |= kDigit | kSymChar;
    for (int c = 'a'; c <= 'z'; ++c) t[c] |= kAlpha | kSymChar;
    for (int c = 'A'; c <= 'Z'; ++c) t[c] |= kAlpha | kSymChar;
    for (int c : {'.', '*', '+', '!', '-', '_', '?', '$', '%', '&', '=', '<', '>', '/', ':', '#'}) t[c] |= kSymChar;
    for (int c = 0x80; c < 256; ++c) t[c] |= kSymChar;  // UTF-8, validated separately
  }
};
constexpr CharTable kChars;

inline uint8_t cls(char c) { return kChars.t[static_cast<unsigned char>(c)]; }
inline bool isDigit(char c) { return c >= '0' && c <= '9'; }

// Printable, bounded excerpt of input for messages.
std::string excerpt(std::string_view s) {
  std::string out;
  size_t n = s.size() > 40 ? 40 : s.size();
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7F) {
      out.push_back(static_cast<char>(c));
    } else {
      static const char* hex = "0123456789ABCDEF";
      out += "\\x";
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  if (n < s.size()) out += "...";
  return out;
}

std::string describeChar(const char* p, const char* end) {
  if (p >= end) return "end of input";
  return "'" + excerpt(std::string_view(p, 1)) + "'";
}

// EDN symbol rules (also for keyword text without the colon).
bool validNamePart(std::string_view s) {
  if (s.empty()) return false;
  char c0 = s[0];
  if (isDigit(c0) || c0 == ':' || c0 == '#') return false;
  if ((c0 == '+' || c0 == '-' || c0 == '.') && s.size() > 1 && isDigit(s[1])) return false;
  if (s.back() == ':') return false;
  return s.find("::") == std::string_view::npos;
}

bool validSymbol(std::string_view s) {
  for (char c : s)
    if (!(cls(c) & kSymChar)) return false;
  if (s == "/") return true;
  size_t slash = s.find('/');
  if (slash == std::string_view::npos) return validNamePart(s);
  if (s.find('/', slash + 1) != std::string_view::npos) return false;
  return validNamePart(s.substr(0, slash)) && validNamePart(s.substr(slash + 1));
}

// compareValues(a, b) == 0, with shortcuts: values of different kinds are
// never equal, and interned or inline values are equal iff identical.
bool sameValue(const Value& a, const Value& b) {
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Kind::Nil: case Kind::Boolean: case Kind::Long: case Kind::BigInt: case Kind::Instant: case Kind::Char:
    case Kind::Keyword: case Kind::Symbol:
      return a.identical(b);
    default:
      return compareValues(a, b) == 0;
  }
}

// Duplicate detection among xs[0], xs[stride], xs[2*stride], ...: pairwise for
// small collections, else an open-addressing table keyed by hashValue.
// Returns the index (into xs) of a duplicate, or npos.
size_t findDuplicate(const std::vector<Value>& xs, size_t stride) {
  size_t n = xs.size() / stride;
  if (n < 2) return std::string::npos;
  if (n <= 12) {
    for (size_t i = 1; i < n; ++i)
      for (size_t j = 0; j < i; ++j)
        if (sameValue(xs[i * stride], xs[j * stride])) return i * stride;
    return std::string::npos;
  }
  size_t cap = 16;
  while (cap < n * 2) cap <<= 1;
  std::vector<uint32_t> slots(cap, 0);  // item index + 1
  std::vector<uint64_t> hashes(n);  // 64-bit on every target (size_t is 32 on wasm32)
  for (size_t i = 0; i < n; ++i) {
    const Value& v = xs[i * stride];
    uint64_t h = hashValue(v);
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 32;
    hashes[i] = h;
    size_t s = h & (cap - 1);
    while (slots[s]) {
      size_t j = slots[s] - 1;
      if (hashes[j] == h && sameValue(xs[j * stride], v)) return i * stride;
      s = (s + 1) & (cap - 1);
    }
    slots[s] = static_cast<uint32_t>(i + 1);
  }
  return std::string::npos;
}

}  // namespace

ReadError::ReadError(ErrorCode code, size_t offset, Position pos, std::string description)
    : DataliteError(code, [&] {
        std::string m = code == ErrorCode::LimitExceeded ? "EDN limit exceeded" : "EDN parse error";
        if (pos.line) m += " at line " + std::to_string(pos.line) + ", column " + std::to_string(pos.column);
        return m + ": " + description;
      }()),
      offset_(offset),
      pos_(pos),
      description_(std::move(description)) {}

struct Reader::Impl {
  enum class FrameType : uint8_t { List, Vector, Map, Set, Tag, Discard };
  struct Frame {
    FrameType type;
    size_t start;         // byte offset of the opening token
    size_t base;          // collections: first item's index in vals
    std::string_view tag;  // Tag frames
  };

  std::string_view text;
  const char* begin;
  const char* p;
  const char* end;
  ReadLimits limits;
  size_t items = 0;
  size_t lastStart = 0, lastEnd = 0;
  std::vector<Frame> frames;
  std::vector<Value> vals;
  std::string scratch;
  std::optional<ReadError> failed;
  std::unique_ptr<Value[]> internCache;  // recently read keywords and symbols, by token hash
  static constexpr size_t kCacheSize = 512;

  Impl(std::string_view t, const ReadLimits& l)
      : text(t), begin(t.data()), p(t.data()), end(t.data() + t.size()), limits(l) {
    if (t.size() > limits.maxInputBytes)
      throw ReadError(ErrorCode::LimitExceeded, 0, Position{},
                      "input of " + std::to_string(t.size()) + " bytes is larger than maxInputBytes (" +
                          std::to_string(limits.maxInputBytes) + ")");
  }

  Position positionOf(size_t offset) const {
    if (offset > text.size()) offset = text.size();
    Position pos{1, 1};
    for (size_t i = 0; i < offset; ++i) {
      unsigned char c = static_cast<unsigned char>(text[i]);
      if (c == '\n') {
        ++pos.line;
        pos.column = 1;
      } else if ((c & 0xC0) != 0x80) {
        ++pos.column;
      }
    }
    return pos;
  }

  [[noreturn]] void fail(const char* at, std::string description, ErrorCode code = ErrorCode::ParseError) {
    size_t off = static_cast<size_t>(at - begin);
    throw ReadError(code, off, positionOf(off), std::move(description));
  }
  [[noreturn]] void failAt(size_t off, std::string description) { fail(begin + off, std::move(description)); }

  std::string where(size_t off) const {
    Position pos = positionOf(off);
    return "line " + std::to_string(pos.line) + ", column " + std::to_string(pos.column);
  }

  void skipWhitespace() {
    while (p < end) {
      char c = *p;
      if (cls(c) & kWs) {
        ++p;
      } else if (c == ';') {
        const void* nl = std::memchr(p, '\n', static_cast<size_t>(end - p));
        p = nl ? static_cast<const char*>(nl) + 1 : end;
      } else {
        break;
      }
    }
  }

  const char* tokenEnd(const char* from) const {
    while (from < end && !(cls(*from) & kDelim)) ++from;
    return from;
  }

  void checkUtf8(std::string_view tok) {
    for (size_t i = 0; i < tok.size();) {
      if (static_cast<unsigned char>(tok[i]) < 0x80) {
        ++i;
        continue;
      }
      uint32_t cp;
      size_t len = detail::decodeUtf8(tok.data() + i, tok.data() + tok.size(), cp);
      if (!len) fail(tok.data() + i, "invalid UTF-8");
      i += len;
    }
  }

  void pushFrame(FrameType type, const char* at, std::string_view tag = {}) {
    if (frames.size() >= limits.maxDepth)
      fail(at, "nesting deeper than maxDepth (" + std::to_string(limits.maxDepth) + ")", ErrorCode::LimitExceeded);
    frames.push_back(Frame{type, static_cast<size_t>(at - begin), vals.size(), tag});
  }

  static const char* frameName(FrameType t) {
    switch (t) {
      case FrameType::List: return "list";
      case FrameType::Vector: return "vector";
      case FrameType::Map: return "map";
      case FrameType::Set: return "set";
      case FrameType::Tag: return "tagged literal";
      case FrameType::Discard: return "#_ discard";
    }
    return "?";
  }

  [[noreturn]] void failPendingPrefix(const Frame& f, const char* at) {
    std::string what = f.type == FrameType::Tag ? "tag #" + excerpt(f.tag) : std::string("#_");
    fail(at, "expected a form after " + what + " (at " + where(f.start) + "), found " + describeChar(at, end));
  }

  Value closeCollection(char c) {
    static const char* names[] = {"list", "vector", "map", "set"};
    if (frames.empty()) fail(p, std::string("unexpected '") + c + "' with no open collection");
    Frame& f = frames.back();
    if (f.type == FrameType::Tag || f.type == FrameType::Discard) failPendingPrefix(f, p);
    char want = f.type == FrameType::List ? ')' : f.type == FrameType::Vector ? ']' : '}';
    if (c != want)
      fail(p, std::string("unexpected '") + c + "': expected '" + want + "' to close the " +
                  names[static_cast<int>(f.type)] + " opened at " + where(f.start));
    size_t base = f.base;
    std::vector<Value> items(std::make_move_iterator(vals.begin() + static_cast<ptrdiff_t>(base)),
                             std::make_move_iterator(vals.end()));
    vals.resize(base);
    FrameType type = f.type;
    size_t start = f.start;
    frames.pop_back();
    ++p;
    switch (type) {
      case FrameType::List: return Value::list(std::move(items));
      case FrameType::Vector: return Value::vector(std::move(items));
      case FrameType::Map: {
        if (items.size() % 2)
          failAt(start, "map literal must contain an even number of forms (has " + std::to_string(items.size()) + ")");
        size_t dup = findDuplicate(items, 2);
        if (dup != std::string::npos) failAt(start, "duplicate key " + excerpt(print(items[dup])) + " in map");
        return Value::map(std::move(items));
      }
      default: {
        size_t dup = findDuplicate(items, 1);
        if (dup != std::string::npos) failAt(start, "duplicate item " + excerpt(print(items[dup])) + " in set");
        return Value::set(std::move(items));
      }
    }
  }

  Value applyTag(const Frame& f, Value v) {
    std::string_view tag = f.tag;
    const char* at = begin + f.start;
    if (tag == "datalite/keyword" || tag == "datalite/symbol") {
      if (v.kind() != Kind::String) fail(at, "#" + std::string(tag) + " expects a string, found a " + std::string(kindName(v.kind())));
      return tag == "datalite/keyword" ? Value::keyword(v.asString()) : Value::symbol(v.asString());
    }
    if (tag == "inst" || tag == "uuid" || tag == "datalite/bytes") {
      if (v.kind() != Kind::String) fail(at, "#" + std::string(tag) + " expects a string, found a " + std::string(kindName(v.kind())));
      std::string_view s = v.asString();
      if (tag == "inst") {
        int64_t ms = 0;
        if (const char* err = detail::parseInstant(s, ms)) fail(at, "invalid #inst \"" + excerpt(s) + "\": " + err);
        return Value::instant(ms);
      }
      if (tag == "uuid") {
        Uuid16 u;
        if (!parseUuid(s, u)) fail(at, "invalid #uuid \"" + excerpt(s) + "\"");
        return Value::uuid(u);
      }
      if (!detail::base64Decode(s, scratch)) fail(at, "invalid base64 in #datalite/bytes");
      return Value::bytes(scratch);
    }
    return Value::tagged(tag, std::move(v));
  }

  // Cache slot hash: collisions only cost a cache miss.
  static uint32_t hashToken(std::string_view s) {
    uint64_t h = s.size() * 0x9E3779B97F4A7C15ULL;
    if (s.size() >= 8) {
      uint64_t a, b;
      std::memcpy(&a, s.data(), 8);
      std::memcpy(&b, s.data() + s.size() - 8, 8);
      h ^= a * 0xBF58476D1CE4E5B9ULL;
      h ^= (b ^ (h >> 29)) * 0x94D049BB133111EBULL;
    } else {
      for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001B3ULL;
    }
    return static_cast<uint32_t>(h ^ (h >> 32));
  }

  // Interning takes a global lock and a hash lookup; a small per-reader cache
  // makes repeated keywords (map keys) cheap.
  // Only valid names enter the cache, so a hit needs no validation.
  Value* cached(std::string_view name, Kind kind) {
    if (!internCache) internCache.reset(new Value[kCacheSize]);
    Value& e = internCache[(hashToken(name) + static_cast<uint32_t>(kind)) & (kCacheSize - 1)];
    if (e.kind() == kind && std::string_view(e.interned().full) == name) return &e;
    return nullptr;
  }
  Value intern(std::string_view name, Kind kind) {
    Value& e = internCache[(hashToken(name) + static_cast<uint32_t>(kind)) & (kCacheSize - 1)];
    e = kind == Kind::Keyword ? Value::keyword(name) : Value::symbol(name);
    return e;
  }

  Value readString() {
    const char* start = p++;
    const char* run = p;
    // Fast path: no escapes.
    while (p < end) {
      unsigned char c = static_cast<unsigned char>(*p);
      if (c == '"') {
        Value v = Value::string(std::string_view(run, static_cast<size_t>(p - run)));
        ++p;
        return v;
      }
      if (c == '\\') break;
      if (c < 0x80) {
        ++p;
      } else {
        uint32_t cp;
        size_t len = detail::decodeUtf8(p, end, cp);
        if (!len) fail(p, "invalid UTF-8 in string");
        p += len;
      }
    }
    if (p >= end) fail(start, "unterminated string");
    scratch.assign(run, p);
    run = p;
    while (p < end) {
      unsigned char c = static_cast<unsigned char>(*p);
      if (c == '"') {
        scratch.append(run, p);
        ++p;
        return Value::string(scratch);
      }
      if (c < 0x80 && c != '\\') {
        ++p;
        continue;
      }
      if (c >= 0x80) {
        uint32_t cp;
        size_t len = detail::decodeUtf8(p, end, cp);
        if (!len) fail(p, "invalid UTF-8 in string");
        p += len;
        continue;
      }
      scratch.append(run, p);
      const char* esc = p++;
      if (p >= end) break;
      switch (*p++) {
        case 't': scratch.push_back('\t'); break;
        case 'r': scratch.push_back('\r'); break;
        case 'n': scratch.push_back('\n'); break;
        case '\\': scratch.push_back('\\'); break;
        case '"': scratch.push_back('"'); break;
        case 'b': scratch.push_back('\b'); break;
        case 'f': scratch.push_back('\f'); break;
        case 'u': {
          uint32_t cp = readHex4(esc);
          if (cp >= 0xDC00 && cp <= 0xDFFF) fail(esc, "lone low surrogate in \\u escape");
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (end - p < 6 || p[0] != '\\' || p[1] != 'u') fail(esc, "high surrogate not followed by a low surrogate \\u escape");
            const char* esc2 = p;
            p += 2;
            uint32_t lo = readHex4(esc2);
            if (lo < 0xDC00 || lo > 0xDFFF) fail(esc, "high surrogate not followed by a low surrogate \\u escape");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          detail::appendUtf8(cp, scratch);
          break;
        }
        default:
          fail(esc, "unsupported escape '\\" + excerpt(std::string_view(p - 1, 1)) + "' in string");
      }
      run = p;
    }
    fail(start, "unterminated string");
  }

  // p is just past "\\u" (which starts at esc); reads 4 hex digits.
  uint32_t readHex4(const char* esc) {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i, ++p) {
      if (p >= end) fail(esc, "\\u escape needs 4 hex digits");
      char c = *p;
      int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
      if (d < 0) fail(esc, "\\u escape needs 4 hex digits");
      v = v * 16 + static_cast<uint32_t>(d);
    }
    return v;
  }

  Value readChar() {
    const char* start = p++;
    if (p >= end) fail(start, "backslash at end of input");
    uint32_t cp;
    size_t len = detail::decodeUtf8(p, end, cp);
    if (!len) fail(p, "invalid UTF-8 in character literal");
    const char* q = tokenEnd(p + len);
    if (q == p + len) {
      if (cls(*p) & kWs && *p != ',') fail(start, "backslash followed by whitespace");
      p = q;
      return Value::character(cp);
    }
    std::string_view tok(p, static_cast<size_t>(q - p));
    p = q;
    if (tok == "newline") return Value::character('\n');
    if (tok == "space") return Value::character(' ');
    if (tok == "tab") return Value::character('\t');
    if (tok == "return") return Value::character('\r');
    if (tok == "formfeed") return Value::character('\f');
    if (tok == "backspace") return Value::character('\b');
    if (tok.size() == 5 && tok[0] == 'u') {
      uint32_t v = 0;
      bool ok = true;
      for (char c : tok.substr(1)) {
        int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
        if (d < 0) ok = false;
        v = v * 16 + static_cast<uint32_t>(d < 0 ? 0 : d);
      }
      if (ok) {
        if (v >= 0xD800 && v <= 0xDFFF) fail(start, "surrogate code point in character literal \\" + excerpt(tok));
        return Value::character(v);
      }
    }
    if (tok.size() >= 2 && tok.size() <= 4 && tok[0] == 'o') {
      uint32_t v = 0;
      bool ok = true;
      for (char c : tok.substr(1)) {
        if (c < '0' || c > '7') ok = false;
        v = v * 8 + static_cast<uint32_t>(c - '0');
      }
      if (ok && v <= 0377) return Value::character(v);
    }
    fail(start, "unsupported character literal \\" + excerpt(tok));
  }

  Value readNumber(std::string_view t, const char* at) {
    size_t i = 0, n = t.size();
    bool neg = false;
    if (t[0] == '+' || t[0] == '-') {
      neg = t[0] == '-';
      ++i;
    }
    size_t ds = i;
    while (i < n && isDigit(t[i])) ++i;
    size_t intDigits = i - ds;
    if (intDigits > 1 && t[ds] == '0') fail(at, "leading zeros are not allowed in number " + excerpt(t));
    if (i == n || (t[i] == 'N' && i + 1 == n)) {
      bool big = i != n;
      uint64_t limit = neg ? (uint64_t(1) << 63) : (uint64_t(1) << 63) - 1;
      uint64_t v = 0;
      for (size_t k = ds; k < ds + intDigits; ++k) {
        uint64_t d = static_cast<uint64_t>(t[k] - '0');
        if (v > (limit - d) / 10)
          fail(at, std::string(big ? "bigint" : "integer") + " literal " + excerpt(t) +
                       " is out of the 64-bit range" + (big ? " (BigInt values are limited to int64)" : ""));
        v = v * 10 + d;
      }
      int64_t r = neg ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
      return big ? Value::bigint(r) : Value::integer(r);
    }
    bool isFloat = false;
    if (t[i] == '.') {
      isFloat = true;
      ++i;
      while (i < n && isDigit(t[i])) ++i;
    }
    if (i < n && (t[i] == 'e' || t[i] == 'E')) {
      size_t e = ++i;
      if (i < n && (t[i] == '+' || t[i] == '-')) ++i;
      size_t es = i;
      while (i < n && isDigit(t[i])) ++i;
      if (i == es) fail(at, "invalid number " + excerpt(t) + " (exponent without digits)");
      isFloat = true;
      (void)e;
    }
    size_t numEnd = i;
    if (i < n && t[i] == 'M') {
      isFloat = true;
      ++i;
    }
    if (i != n || !isFloat) {
      if (i < n && t[i] == '/') fail(at, "ratios are not supported: " + excerpt(t));
      fail(at, "invalid number " + excerpt(t));
    }
    double d = 0;
    detail::FloatStatus st = detail::parseDouble(t.substr(0, numEnd), d);
    if (st == detail::FloatStatus::Overflow) fail(at, "float literal " + excerpt(t) + " is out of the double range");
    if (st != detail::FloatStatus::Ok) fail(at, "invalid number " + excerpt(t));
    return Value::real(d);
  }

  // Reads a token-based atom: number, nil/true/false, symbol.
  Value readAtom() {
    const char* start = p;
    const char* q = tokenEnd(p);
    std::string_view t(p, static_cast<size_t>(q - p));
    p = q;
    char c0 = t[0];
    if (isDigit(c0) || ((c0 == '+' || c0 == '-') && t.size() > 1 && isDigit(t[1]))) return readNumber(t, start);
    if (t == "nil") return Value::nil();
    if (t == "true") return Value::boolean(true);
    if (t == "false") return Value::boolean(false);
    if (Value* hit = cached(t, Kind::Symbol)) return *hit;
    checkUtf8(t);
    if (!validSymbol(t)) {
      if (!(cls(c0) & kSymChar) || c0 == '#' || c0 == ':') fail(start, "unexpected character " + describeChar(start, end));
      fail(start, "invalid symbol " + excerpt(t));
    }
    return intern(t, Kind::Symbol);
  }

  Value readKeyword() {
    const char* start = p++;
    const char* q = tokenEnd(p);
    std::string_view t(p, static_cast<size_t>(q - p));
    p = q;
    if (Value* hit = cached(t, Kind::Keyword)) return *hit;
    if (t.empty()) fail(start, "keyword without a name");
    if (t[0] == ':') fail(start, "auto-resolved keywords (::name) are not EDN: ::" + excerpt(t.substr(1)));
    checkUtf8(t);
    if (!validSymbol(t)) fail(start, "invalid keyword :" + excerpt(t));
    return intern(t, Kind::Keyword);
  }

  // Reads the next complete top-level form. False at end of input.
  bool next(Value& out) {
    for (;;) {
      skipWhitespace();
      if (frames.empty()) lastStart = static_cast<size_t>(p - begin);
      if (p >= end) {
        if (frames.empty()) return false;
        const Frame& f = frames.back();
        if (f.type == FrameType::Tag || f.type == FrameType::Discard) failPendingPrefix(f, end);
        failAt(f.start, std::string("unterminated ") + frameName(f.type) + " (reached end of input)");
      }
      const char* at = p;
      Value v;
      switch (*p) {
        case '(': pushFrame(FrameType::List, p++); continue;
        case '[': pushFrame(FrameType::Vector, p++); continue;
        case '{': pushFrame(FrameType::Map, p++); continue;
        case ')': case ']': case '}': v = closeCollection(*p); break;
        case '"': v = readString(); break;
        case '\\': v = readChar(); break;
        case ':': v = readKeyword(); break;
        case '#': {
          if (p + 1 >= end) fail(p, "'#' at end of input");
          char c = p[1];
          if (c == '{') {
            pushFrame(FrameType::Set, p);
            p += 2;
            continue;
          }
          if (c == '_') {
            pushFrame(FrameType::Discard, p);
            p += 2;
            continue;
          }
          if (c == '#') {
            const char* q = tokenEnd(p + 2);
            std::string_view t(p + 2, static_cast<size_t>(q - p - 2));
            if (t == "Inf") v = Value::real(std::numeric_limits<double>::infinity());
            else if (t == "-Inf") v = Value::real(-std::numeric_limits<double>::infinity());
            else if (t == "NaN") v = Value::real(std::numeric_limits<double>::quiet_NaN());
            else fail(p, "unknown symbolic value ##" + excerpt(t));
            p = q;
            break;
          }
          if (cls(c) & kAlpha) {
            const char* q = tokenEnd(p + 1);
            std::string_view t(p + 1, static_cast<size_t>(q - p - 1));
            checkUtf8(t);
            if (!validSymbol(t)) fail(p, "invalid tag #" + excerpt(t));
            pushFrame(FrameType::Tag, p, t);
            p = q;
            continue;
          }
          fail(p, "unexpected " + describeChar(p + 1, end) + " after '#'");
        }
        default:
          if (cls(*p) & kSymChar && *p != '#') {
            v = readAtom();
          } else {
            fail(p, "unexpected character " + describeChar(p, end));
          }
      }
      if (++items > limits.maxItems)
        fail(at, "more than maxItems (" + std::to_string(limits.maxItems) + ") values", ErrorCode::LimitExceeded);
      // Deliver v to the innermost frame, resolving pending prefixes.
      for (;;) {
        if (frames.empty()) {
          out = std::move(v);
          lastEnd = static_cast<size_t>(p - begin);
          return true;
        }
        Frame& f = frames.back();
        if (f.type == FrameType::Discard) {
          frames.pop_back();
          break;
        }
        if (f.type == FrameType::Tag) {
          Frame tagFrame = f;
          frames.pop_back();
          v = applyTag(tagFrame, std::move(v));
          continue;
        }
        vals.push_back(std::move(v));
        break;
      }
    }
  }

  bool nextChecked(Value& out) {
    if (failed) throw *failed;
    try {
      return next(out);
    } catch (const ReadError& e) {
      failed = e;
      throw;
    }
  }
};

Reader::Reader(std::string_view text, const ReadLimits& limits) : impl_(std::make_unique<Impl>(text, limits)) {}
Reader::~Reader() = default;
Reader::Reader(Reader&&) noexcept = default;
Reader& Reader::operator=(Reader&&) noexcept = default;
bool Reader::next(Value& out) { return impl_->nextChecked(out); }
size_t Reader::offset() const { return impl_->lastEnd; }
size_t Reader::formStart() const { return impl_->lastStart; }
Position Reader::positionOf(size_t offset) const { return impl_->positionOf(offset); }

Value readOne(std::string_view text, const ReadLimits& limits) {
  Reader::Impl r(text, limits);
  Value v;
  if (!r.next(v)) r.fail(r.end, "expected a form, found end of input");
  Value extra;
  if (r.next(extra)) r.failAt(r.lastStart, "expected exactly one form, found another one");
  return v;
}

std::vector<Value> readAll(std::string_view text, const ReadLimits& limits) {
  Reader::Impl r(text, limits);
  std::vector<Value> out;
  Value v;
  while (r.next(v)) out.push_back(std::move(v));
  return out;
}

namespace detail {
bool readableName(std::string_view text) {
  if (!validSymbol(text)) return false;
  for (size_t i = 0; i < text.size();) {  // bytes >= 0x80 must be UTF-8
    uint32_t cp = 0;
    size_t n = decodeUtf8(text.data() + i, text.data() + text.size(), cp);
    if (n == 0) return false;
    i += n;
  }
  return true;
}
}  // namespace detail

}  // namespace datalite::edn
