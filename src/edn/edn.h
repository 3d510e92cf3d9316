// EDN reader and printer (https://github.com/edn-format/edn) over datalite::Value.
//
// Reading is iterative (explicit stack, no C-stack recursion), bounded by
// ReadLimits, and reports failures as edn::ReadError, a DataliteError with
// code ParseError or LimitExceeded that also carries the 1-based line and
// column of the problem. Printing is iterative too and produces canonical EDN
// that reads back to an equal Value (compareValues == 0; doubles bit-exact).
// Decisions and deviations from the spec: docs/adr/0003-edn.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/value.h"

namespace datalite::edn {

struct ReadLimits {
  size_t maxInputBytes = 64u << 20;  // longer input -> LimitExceeded before parsing
  uint32_t maxDepth = 512;           // open collections + pending #tag / #_ prefixes
  size_t maxItems = 50'000'000;      // values read (scalars and collections, discarded ones too)
};

// 1-based line and column. Lines end at '\n'; the column counts Unicode code
// points (not bytes) from the start of the line.
struct Position {
  uint32_t line = 0;
  uint32_t column = 0;
};

// Every error the reader raises. code() is ErrorCode::ParseError or
// ErrorCode::LimitExceeded. what() is "EDN parse error at line L, column C:
// <description>" (or "EDN limit exceeded at ..."). line() == 0 when the error
// has no position (input larger than maxInputBytes).
class ReadError : public DataliteError {
 public:
  ReadError(ErrorCode code, size_t offset, Position pos, std::string description);
  size_t offset() const noexcept { return offset_; }  // byte offset into the input
  uint32_t line() const noexcept { return pos_.line; }
  uint32_t column() const noexcept { return pos_.column; }
  const std::string& description() const noexcept { return description_; }

 private:
  size_t offset_;
  Position pos_;
  std::string description_;
};

// Exactly one form, optionally surrounded by whitespace, commas, comments and
// #_ discarded forms. No form, or more than one -> ReadError(ParseError).
Value readOne(std::string_view text, const ReadLimits& limits = {});

// Zero or more top-level forms.
std::vector<Value> readAll(std::string_view text, const ReadLimits& limits = {});

// Streaming reader: one top-level form at a time. The text is not copied and
// must outlive the Reader. Limits apply to the whole text (maxItems counts
// across all forms). After next() throws, the Reader is failed and every
// further next() rethrows the same error.
class Reader {
 public:
  explicit Reader(std::string_view text, const ReadLimits& limits = {});
  ~Reader();
  Reader(Reader&&) noexcept;
  Reader& operator=(Reader&&) noexcept;

  // Reads the next form into `out`. Returns false (out untouched) when only
  // whitespace, commas and comments remain.
  bool next(Value& out);
  // Byte offset just past the last form read (0 before the first).
  size_t offset() const;
  // Byte offset where the last form read starts.
  size_t formStart() const;
  // Line/column of a byte offset of this reader's text (e.g. of formStart()).
  Position positionOf(size_t offset) const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// Canonical EDN text. Maps print as `{:a 1, :b 2}` (", " between entries),
// vectors/lists/sets with single spaces. Doubles print in the shortest form
// that reads back bit-exactly and always contain '.' or 'e' (or are ##Inf,
// ##-Inf, ##NaN). Instants print as #inst "YYYY-MM-DDTHH:MM:SS.mmm-00:00",
// Bytes as #datalite/bytes "<base64>", BigInt with an N suffix.
std::string print(const Value& v);
void print(const Value& v, std::string& out);  // appends to out

}  // namespace datalite::edn
