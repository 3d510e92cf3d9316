// The integer encoding of every stored format (B-tree nodes, the store's
// schema and tail records, binary snapshots): LEB128 varints and zigzag for
// signed values; and the CRC-32 trailer that seals a node or record.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/checksum.h"

namespace datalite {

inline void putVarint(uint64_t n, std::string& out) {
  while (n >= 0x80) {
    out.push_back(static_cast<char>((n & 0x7F) | 0x80));
    n >>= 7;
  }
  out.push_back(static_cast<char>(n));
}

enum class VarintError : uint8_t { None, Truncated, Overflow, NotMinimal };

// One varint read from [p, end): its value and the byte after it, or why it
// is malformed. The encoders write minimal varints only, so anything longer
// is corruption too.
struct VarintRead {
  uint64_t value = 0;
  const uint8_t* next = nullptr;
  VarintError error = VarintError::None;
};

inline VarintRead readVarint(const uint8_t* p, const uint8_t* end) {
  VarintRead r;
  for (int shift = 0; shift < 64; shift += 7) {
    if (p == end) {
      r.error = VarintError::Truncated;
      return r;
    }
    uint8_t b = *p++;
    if (shift == 63 && b > 1) {
      r.error = VarintError::Overflow;
      return r;
    }
    r.value |= static_cast<uint64_t>(b & 0x7F) << shift;
    if (!(b & 0x80)) {
      if (b == 0 && shift > 0) r.error = VarintError::NotMinimal;
      r.next = p;
      return r;
    }
  }
  r.error = VarintError::Overflow;  // unreachable: shift 63 admits no continuation
  return r;
}

// "truncated", "overflows 64 bits", "is not minimally encoded".
inline const char* describe(VarintError e) {
  switch (e) {
    case VarintError::None: return "ok";
    case VarintError::Truncated: return "truncated";
    case VarintError::Overflow: return "overflows 64 bits";
    case VarintError::NotMinimal: return "is not minimally encoded";
  }
  return "malformed";
}

inline uint64_t zigzag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
inline int64_t unzigzag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

// Appends the CRC-32 of `out` so far, little-endian: the trailer that seals
// a stored node or record.
inline void appendCrc32(std::string& out) {
  uint32_t crc = crc32(out);
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((crc >> (8 * i)) & 0xFF));
}

}  // namespace datalite
