// A small strict JSON reader and writer helpers, for DataScript's
// `serializable` shape (serial.h).
//
// The reader parses RFC 8259 JSON into a flat tape of nodes: one vector of
// 24-byte nodes and one buffer of string bytes, so a DataScript export with
// millions of values stays compact. It is iterative (no recursion), rejects
// anything outside the grammar (leading zeros, trailing commas, raw control
// characters, invalid UTF-8, lone surrogate escapes, content after the root)
// with DataliteError InvalidInput "JSON syntax error at byte N: ...", and
// bounds input size, nesting depth and value count with LimitExceeded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace datalite::serial::json {

struct Limits {
  size_t maxInputBytes = size_t{1} << 30;
  uint32_t maxDepth = 64;            // open arrays/objects
  size_t maxValues = 200'000'000;    // nodes on the tape (keys count too)
};

enum class Type : uint8_t { Null, False, True, Integer, Double, String, Array, Object };

// Integer: a number literal without fraction or exponent that fits int64.
// Every other number (1.0, 1e3, 2^63) is a Double.
std::string_view typeName(Type t);

class Document;

// A node of a parsed document (valid while the Document lives).
class Ref {
 public:
  Ref() = default;  // refers to nothing until assigned (e.g. by find)
  Type type() const;
  bool isNull() const { return type() == Type::Null; }
  bool isBool() const { return type() == Type::True || type() == Type::False; }
  bool isNumber() const { return type() == Type::Integer || type() == Type::Double; }
  bool isString() const { return type() == Type::String; }
  bool isArray() const { return type() == Type::Array; }
  bool isObject() const { return type() == Type::Object; }

  bool asBool() const { return type() == Type::True; }
  int64_t asInteger() const;       // Integer only
  double asDouble() const;         // Integer or Double
  std::string_view asString() const;

  // Arrays: items; objects: members.
  size_t size() const;
  // Arrays: the i-th item (walks the siblings: O(i)).
  Ref at(size_t i) const;
  // Objects: the value of `key`; false when absent.
  bool find(std::string_view key, Ref& out) const;

  // Iteration over array items (or, for objects, keys and values
  // alternating): first child, then next() until size() children were seen.
  Ref firstChild() const { return Ref(doc_, index_ + 1); }
  Ref next() const;  // the following sibling

 private:
  friend class Document;
  Ref(const Document* doc, uint32_t index) : doc_(doc), index_(index) {}
  const Document* doc_ = nullptr;
  uint32_t index_ = 0;
};

class Document {
 public:
  static Document parse(std::string_view text, const Limits& limits = {});
  Ref root() const { return Ref(this, 0); }

 private:
  friend class Ref;
  friend class Parser;
  struct Node {
    Type type;
    uint32_t count = 0;  // array items, object members, string bytes
    uint32_t end = 0;    // index just past this node's subtree
    union {
      int64_t i;
      double d;
      uint64_t offset;  // strings: into strings_
    };
  };
  std::vector<Node> nodes_;
  std::string strings_;
};

// --- writing ---------------------------------------------------------------
// A JSON string literal (quotes included). Invalid UTF-8 bytes become
// \ufffd, so the output is always valid JSON.
void appendString(std::string_view s, std::string& out);
// A finite double in the shortest form that reads back exactly, always with
// '.' or an exponent ("2.0", "1e+21"), so readers that care can tell it from
// an integer.
void appendDouble(double d, std::string& out);
void appendInteger(int64_t n, std::string& out);

}  // namespace datalite::serial::json
