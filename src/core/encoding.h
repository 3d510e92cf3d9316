// Order-preserving byte encodings of values and datoms.
//
// For every pair of encodable values a, b:
//   compareValues(a, b) has the sign of memcmp-order(encodeValue(a), encodeValue(b)).
// Every value encoding is self-delimiting and prefix-free, so the components
// of a datom key can be concatenated and a key prefix selects a range.
// The byte layout is documented in docs/adr/0001-key-encoding.md.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/value.h"

namespace datalite {

// Type tags; their numeric order is the cross-type order of compareValues.
namespace tag {
constexpr uint8_t kNil = 0x01;  // only inside tuples
constexpr uint8_t kFalse = 0x02;
constexpr uint8_t kTrue = 0x03;
constexpr uint8_t kNumNegHuge = 0x10;  // doubles below -2^63, incl. -Inf
constexpr uint8_t kNum = 0x11;         // integer part as signed varint, then subtype
constexpr uint8_t kNumPosHuge = 0x12;  // doubles >= 2^63, incl. +Inf
constexpr uint8_t kNumNaN = 0x13;
constexpr uint8_t kInstant = 0x20;
constexpr uint8_t kChar = 0x28;
constexpr uint8_t kString = 0x30;
constexpr uint8_t kKeyword = 0x38;
constexpr uint8_t kSymbol = 0x40;
constexpr uint8_t kUuid = 0x48;
constexpr uint8_t kBytes = 0x50;
constexpr uint8_t kTuple = 0x60;
constexpr uint8_t kTupleEnd = 0x00;
}  // namespace tag

// Integers: a length header then big-endian bytes; byte order = numeric order.
void encodeUnsigned(uint64_t n, std::string& out);
void encodeSigned(int64_t n, std::string& out);
// Decoders advance `p`; they throw DataliteError(store-error) on truncated input.
uint64_t decodeUnsigned(const uint8_t*& p, const uint8_t* end);
int64_t decodeSigned(const uint8_t*& p, const uint8_t* end);

// True when the value can be stored in a datom (scalars, and vectors of
// scalars or nil as tuples). Nil is encodable only inside tuples.
bool isEncodable(const Value& v);
// Appends the encoding. Throws type-mismatch for values that cannot be stored.
void encodeValue(const Value& v, std::string& out);
std::string encodeValue(const Value& v);
Value decodeValue(const uint8_t*& p, const uint8_t* end);
// Skips one encoded value; returns the pointer just after it.
const uint8_t* skipValue(const uint8_t* p, const uint8_t* end);

}  // namespace datalite
