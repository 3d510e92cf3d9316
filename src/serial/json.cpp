#include "serial/json.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <limits>

#include "core/error.h"
#include "edn/edn_detail.h"

namespace datalite::serial::json {

std::string_view typeName(Type t) {
  switch (t) {
    case Type::Null: return "null";
    case Type::False: case Type::True: return "a boolean";
    case Type::Integer: case Type::Double: return "a number";
    case Type::String: return "a string";
    case Type::Array: return "an array";
    case Type::Object: return "an object";
  }
  return "?";
}

// ------------------------------------------------------------------ reading

class Parser {
 public:
  Parser(std::string_view text, const Limits& limits, Document& doc) : s_(text), limits_(limits), doc_(doc) {}

  void run() {
    skipWhitespace();
    beginValue();
    while (!stack_.empty()) {
      // Here: just after '[' / '{', or after a complete child value.
      skipWhitespace();
      Frame& f = stack_.back();
      char closer = f.object ? '}' : ']';
      if (f.justOpened) {
        f.justOpened = false;
        if (peek() == closer) {
          close();
          continue;
        }
      } else if (peek() == ',') {
        ++pos_;
        skipWhitespace();
      } else if (peek() == closer) {
        close();
        continue;
      } else {
        fail(f.object ? "expected ',' or '}'" : "expected ',' or ']'");
      }
      uint32_t container = f.node;  // f dies when beginValue() opens a nested container
      if (f.object) {
        if (peek() != '"') fail("expected a string key");
        parseString();
        skipWhitespace();
        if (peek() != ':') fail("expected ':' after an object key");
        ++pos_;
        skipWhitespace();
      }
      ++doc_.nodes_[container].count;
      beginValue();
    }
    skipWhitespace();
    if (pos_ != s_.size()) fail("unexpected content after the JSON value");
  }

 private:
  struct Frame {
    uint32_t node;
    bool object;
    bool justOpened;
  };

  [[noreturn]] void fail(const std::string& what) const {
    raise(ErrorCode::InvalidInput, "JSON syntax error at byte " + std::to_string(pos_) + ": " + what);
  }

  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  bool atEnd() const { return pos_ >= s_.size(); }

  void skipWhitespace() {
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
      ++pos_;
    }
  }

  uint32_t addNode(Type type) {
    if (doc_.nodes_.size() >= limits_.maxValues || doc_.nodes_.size() >= std::numeric_limits<uint32_t>::max() - 1)
      raise(ErrorCode::LimitExceeded, "JSON has more than " + std::to_string(limits_.maxValues) + " values");
    Document::Node n;
    n.type = type;
    n.i = 0;
    doc_.nodes_.push_back(n);
    uint32_t index = static_cast<uint32_t>(doc_.nodes_.size() - 1);
    doc_.nodes_[index].end = index + 1;  // containers fix this when they close
    return index;
  }

  void close() {
    Frame f = stack_.back();
    stack_.pop_back();
    doc_.nodes_[f.node].end = static_cast<uint32_t>(doc_.nodes_.size());
    ++pos_;
  }

  void beginValue() {
    if (atEnd()) fail("unexpected end of input, expected a value");
    char c = s_[pos_];
    switch (c) {
      case '[': case '{': {
        if (stack_.size() >= limits_.maxDepth)
          raise(ErrorCode::LimitExceeded, "JSON nests deeper than " + std::to_string(limits_.maxDepth) + " levels");
        uint32_t n = addNode(c == '[' ? Type::Array : Type::Object);
        stack_.push_back(Frame{n, c == '{', true});
        ++pos_;
        return;
      }
      case '"': parseString(); return;
      case 't': literal("true", Type::True); return;
      case 'f': literal("false", Type::False); return;
      case 'n': literal("null", Type::Null); return;
      default:
        if (c == '-' || (c >= '0' && c <= '9')) {
          parseNumber();
          return;
        }
        fail(std::string("unexpected character '") + (static_cast<unsigned char>(c) < 0x20 ? '?' : c) +
             "', expected a value");
    }
  }

  void literal(std::string_view word, Type type) {
    if (s_.substr(pos_, word.size()) != word) fail("invalid literal, expected " + std::string(word));
    pos_ += word.size();
    addNode(type);
  }

  static bool isDigit(char c) { return c >= '0' && c <= '9'; }

  void parseNumber() {
    size_t start = pos_;
    bool negative = peek() == '-';
    if (negative) ++pos_;
    if (!isDigit(peek())) fail("expected a digit");
    if (peek() == '0') {
      ++pos_;
      if (isDigit(peek())) fail("leading zeros are not allowed");
    } else {
      while (isDigit(peek())) ++pos_;
    }
    bool integral = true;
    if (peek() == '.') {
      integral = false;
      ++pos_;
      if (!isDigit(peek())) fail("expected a digit after '.'");
      while (isDigit(peek())) ++pos_;
    }
    if (peek() == 'e' || peek() == 'E') {
      integral = false;
      ++pos_;
      if (peek() == '+' || peek() == '-') ++pos_;
      if (!isDigit(peek())) fail("expected a digit in the exponent");
      while (isDigit(peek())) ++pos_;
    }
    std::string_view text = s_.substr(start, pos_ - start);
    if (integral) {
      int64_t n = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
      if (ec == std::errc() && end == text.data() + text.size()) {
        uint32_t node = addNode(Type::Integer);
        doc_.nodes_[node].i = n;
        return;
      }
      // Beyond int64: a double, as JavaScript reads it.
    }
    double d = 0;
    if (edn::detail::parseDouble(text, d) != edn::detail::FloatStatus::Ok) {
      pos_ = start;
      fail("number " + std::string(text.substr(0, 40)) + " is out of the double range");
    }
    uint32_t node = addNode(Type::Double);
    doc_.nodes_[node].d = d;
  }

  uint32_t hex4() {
    if (s_.size() - pos_ < 4) fail("truncated \\u escape");
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      char c = s_[pos_++];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= static_cast<uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f') v |= static_cast<uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= static_cast<uint32_t>(c - 'A' + 10);
      else fail("invalid hex digit in a \\u escape");
    }
    return v;
  }

  void parseString() {
    size_t open = pos_;
    ++pos_;  // the opening quote
    std::string& out = doc_.strings_;
    size_t offset = out.size();
    while (true) {
      // Copy a run of plain ASCII at once.
      size_t runStart = pos_;
      while (pos_ < s_.size()) {
        unsigned char c = static_cast<unsigned char>(s_[pos_]);
        if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) break;
        ++pos_;
      }
      out.append(s_.data() + runStart, pos_ - runStart);
      if (atEnd()) {
        pos_ = open;
        fail("unterminated string");
      }
      unsigned char c = static_cast<unsigned char>(s_[pos_]);
      if (c == '"') {
        ++pos_;
        break;
      }
      if (c < 0x20) fail("raw control character in a string (escape it)");
      if (c >= 0x80) {
        uint32_t cp;
        size_t len = edn::detail::decodeUtf8(s_.data() + pos_, s_.data() + s_.size(), cp);
        if (len == 0) fail("invalid UTF-8 in a string");
        out.append(s_.data() + pos_, len);
        pos_ += len;
        continue;
      }
      // An escape.
      ++pos_;
      if (atEnd()) fail("truncated escape");
      char e = s_[pos_++];
      switch (e) {
        case '"': out.push_back('"'); break;
        case '\\': out.push_back('\\'); break;
        case '/': out.push_back('/'); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        case 'u': {
          uint32_t u = hex4();
          if (u >= 0xDC00 && u <= 0xDFFF) fail("lone low surrogate in a \\u escape");
          if (u >= 0xD800 && u <= 0xDBFF) {
            if (s_.substr(pos_, 2) != "\\u") fail("high surrogate without a following \\u low surrogate");
            pos_ += 2;
            uint32_t low = hex4();
            if (low < 0xDC00 || low > 0xDFFF) fail("high surrogate not followed by a low surrogate");
            u = 0x10000 + ((u - 0xD800) << 10) + (low - 0xDC00);
          }
          edn::detail::appendUtf8(u, out);
          break;
        }
        default: fail(std::string("invalid escape \\") + (static_cast<unsigned char>(e) < 0x20 ? '?' : e));
      }
    }
    size_t length = out.size() - offset;
    if (length > std::numeric_limits<uint32_t>::max()) fail("string longer than 4 GiB");
    uint32_t node = addNode(Type::String);
    doc_.nodes_[node].offset = offset;
    doc_.nodes_[node].count = static_cast<uint32_t>(length);
  }

  std::string_view s_;
  const Limits& limits_;
  Document& doc_;
  size_t pos_ = 0;
  std::vector<Frame> stack_;
};

Document Document::parse(std::string_view text, const Limits& limits) {
  if (text.size() > limits.maxInputBytes)
    raise(ErrorCode::LimitExceeded, "JSON input of " + std::to_string(text.size()) + " bytes exceeds the limit of " +
                                        std::to_string(limits.maxInputBytes));
  Document doc;
  // A guess (DataScript exports run ~6 bytes per value), capped so huge
  // inputs grow the tape as they go instead of reserving up front.
  doc.nodes_.reserve(std::min(text.size() / 6 + 1, size_t{1} << 22));
  Parser(text, limits, doc).run();
  return doc;
}

Type Ref::type() const { return doc_->nodes_[index_].type; }

int64_t Ref::asInteger() const { return doc_->nodes_[index_].i; }

double Ref::asDouble() const {
  const auto& n = doc_->nodes_[index_];
  return n.type == Type::Integer ? static_cast<double>(n.i) : n.d;
}

std::string_view Ref::asString() const {
  const auto& n = doc_->nodes_[index_];
  return std::string_view(doc_->strings_).substr(n.offset, n.count);
}

size_t Ref::size() const {
  const auto& n = doc_->nodes_[index_];
  return (n.type == Type::Array || n.type == Type::Object) ? n.count : 0;
}

Ref Ref::next() const { return Ref(doc_, doc_->nodes_[index_].end); }

Ref Ref::at(size_t i) const {
  Ref r = firstChild();
  for (; i > 0; --i) r = r.next();
  return r;
}

bool Ref::find(std::string_view key, Ref& out) const {
  Ref k = firstChild();
  for (size_t i = 0; i < size(); ++i) {
    Ref v = k.next();
    if (k.asString() == key) {
      out = v;
      return true;
    }
    k = v.next();
  }
  return false;
}

// ------------------------------------------------------------------ writing

void appendString(std::string_view s, std::string& out) {
  static const char kHex[] = "0123456789abcdef";
  out.push_back('"');
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      uint32_t cp;
      size_t len = edn::detail::decodeUtf8(s.data() + i, s.data() + s.size(), cp);
      if (len == 0) {
        out += "\\ufffd";
        ++i;
      } else {
        out.append(s.data() + i, len);
        i += len;
      }
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 15]);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
  out.push_back('"');
}

void appendDouble(double d, std::string& out) { edn::detail::formatDouble(d, out); }

void appendInteger(int64_t n, std::string& out) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
  out.append(buf, static_cast<size_t>(end - buf));
}

}  // namespace datalite::serial::json
