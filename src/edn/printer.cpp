// EDN printer: iterative (explicit stack), so arbitrarily deep values print
// without recursing on the C stack.
#include <string>
#include <vector>

#include "edn/edn.h"
#include "edn/edn_detail.h"

namespace datalite::edn {

namespace {

const char kHex[] = "0123456789ABCDEF";

// "uXXXX" (the caller writes the backslash).
void appendU4(uint32_t cp, std::string& out) {
  out.push_back('u');
  out.push_back(kHex[(cp >> 12) & 15]);
  out.push_back(kHex[(cp >> 8) & 15]);
  out.push_back(kHex[(cp >> 4) & 15]);
  out.push_back(kHex[cp & 15]);
}

void appendInt(int64_t v, std::string& out) {
  char buf[24];
  int n = 0;
  uint64_t u = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  do {
    buf[n++] = static_cast<char>('0' + u % 10);
    u /= 10;
  } while (u);
  if (v < 0) out.push_back('-');
  while (n) out.push_back(buf[--n]);
}

// Quoted string; control characters as escapes, invalid UTF-8 as \uFFFD.
void appendString(std::string_view s, std::string& out) {
  out.push_back('"');
  const char* p = s.data();
  const char* end = p + s.size();
  const char* run = p;
  while (p < end) {
    unsigned char c = static_cast<unsigned char>(*p);
    if (c >= 0x20 && c != '"' && c != '\\' && c < 0x7F) {
      ++p;
      continue;
    }
    if (c >= 0x80) {
      uint32_t cp;
      size_t len = detail::decodeUtf8(p, end, cp);
      if (len) {
        p += len;
        continue;
      }
    }
    out.append(run, p);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        out.push_back('\\');
        appendU4(c >= 0x80 ? 0xFFFD : c, out);
        break;
    }
    run = ++p;
  }
  out.append(run, p);
  out.push_back('"');
}

// A keyword or symbol name: as is when it reads back, else as a tagged
// string (names made from JS strings may hold ';', spaces...).
void appendName(std::string_view name, std::string_view prefix, std::string_view tag, std::string& out) {
  if (detail::readableName(name)) {
    out += prefix;
    out += name;
  } else {
    out += tag;
    appendString(name, out);
  }
}

void appendChar(uint32_t cp, std::string& out) {
  out.push_back('\\');
  switch (cp) {
    case '\n': out += "newline"; return;
    case '\r': out += "return"; return;
    case ' ': out += "space"; return;
    case '\t': out += "tab"; return;
    case '\f': out += "formfeed"; return;
    case '\b': out += "backspace"; return;
    default: break;
  }
  if (cp > 0x20 && cp < 0x7F) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x10000 && !(cp >= 0xD800 && cp <= 0xDFFF)) {
    appendU4(cp, out);
  } else if (cp >= 0x10000 && cp <= 0x10FFFF) {
    detail::appendUtf8(cp, out);  // beyond \uXXXX: the character itself
  } else {
    appendU4(0xFFFD, out);  // not a Unicode scalar value
  }
}

// Scalars (and the opening of nothing): everything but collections and tags.
void appendScalar(const Value& v, std::string& out) {
  switch (v.kind()) {
    case Kind::Nil: out += "nil"; break;
    case Kind::Boolean: out += v.asBool() ? "true" : "false"; break;
    case Kind::Long: appendInt(v.asLong(), out); break;
    case Kind::BigInt:
      appendInt(v.asLong(), out);
      out.push_back('N');
      break;
    case Kind::Double: detail::formatDouble(v.asDouble(), out); break;
    case Kind::Instant:
      out += "#inst \"";
      detail::formatInstant(v.asInstant(), out);
      out.push_back('"');
      break;
    case Kind::Char: appendChar(v.asChar(), out); break;
    case Kind::String: appendString(v.asString(), out); break;
    case Kind::Keyword: appendName(v.interned().full, ":", "#datalite/keyword ", out); break;
    case Kind::Symbol: appendName(v.interned().full, "", "#datalite/symbol ", out); break;
    case Kind::Uuid:
      out += "#uuid \"";
      out += formatUuid(v.uuidBytes());
      out.push_back('"');
      break;
    case Kind::Bytes:
      out += "#datalite/bytes \"";
      detail::base64Encode(v.asString(), out);
      out.push_back('"');
      break;
    default: break;
  }
}

}  // namespace

void print(const Value& root, std::string& out) {
  struct Frame {
    const Value* coll;
    size_t next;
  };
  std::vector<Frame> stack;
  const Value* cur = &root;
  for (;;) {
    // Print `cur`: tags inline, collections open a frame.
    while (cur->kind() == Kind::Tagged) {
      out.push_back('#');
      out += cur->taggedTag();
      out.push_back(' ');
      cur = &cur->taggedValue();
    }
    switch (cur->kind()) {
      case Kind::Vector: out.push_back('['); stack.push_back({cur, 0}); break;
      case Kind::List: out.push_back('('); stack.push_back({cur, 0}); break;
      case Kind::Map: out.push_back('{'); stack.push_back({cur, 0}); break;
      case Kind::Set: out += "#{"; stack.push_back({cur, 0}); break;
      default: appendScalar(*cur, out); break;
    }
    // Advance to the next value to print, closing finished collections.
    cur = nullptr;
    while (!stack.empty()) {
      Frame& f = stack.back();
      const std::vector<Value>& items = f.coll->items();
      if (f.next < items.size()) {
        if (f.next > 0) {
          if (f.coll->kind() == Kind::Map && f.next % 2 == 0) out += ", ";
          else out.push_back(' ');
        }
        cur = &items[f.next++];
        break;
      }
      switch (f.coll->kind()) {
        case Kind::Vector: out.push_back(']'); break;
        case Kind::List: out.push_back(')'); break;
        default: out.push_back('}'); break;
      }
      stack.pop_back();
    }
    if (!cur) return;
  }
}

std::string print(const Value& v) {
  std::string out;
  print(v, out);
  return out;
}

}  // namespace datalite::edn
