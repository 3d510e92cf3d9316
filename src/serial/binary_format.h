// Building blocks of the binary snapshot format (serial.h, byte layout in
// docs/adr/0008-serialization.md): constants, CRC-32, LEB128 varints.
// Internal to src/serial; exposed for tests (the fuzz test re-seals mutated
// snapshots so mutations reach the parser behind the checksum).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/varint.h"

namespace datalite::serial::binary {

constexpr char kMagic[4] = {'\x89', 'D', 'L', 'S'};
constexpr uint16_t kVersion = 1;
constexpr uint16_t kFlagKeepHistory = 0x0001;
constexpr uint16_t kKnownFlags = kFlagKeepHistory;
// magic(4) version(2) flags(2) bodyLength(8) crc32(4)
constexpr size_t kHeaderSize = 20;
constexpr size_t kCrcOffset = 16;

// Per-attribute flag bits.
namespace attrflag {
constexpr uint8_t kDeclared = 0x01;
constexpr uint8_t kMany = 0x02;
constexpr uint8_t kIndexed = 0x04;
constexpr uint8_t kComponent = 0x08;
constexpr uint8_t kNoHistory = 0x10;
constexpr uint8_t kHasTupleType = 0x20;
constexpr uint8_t kHasDoc = 0x40;
constexpr uint8_t kHasEntity = 0x80;
}  // namespace attrflag

// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, init and final xor
// 0xFFFFFFFF): crc32("123456789") == 0xCBF43926.
uint32_t crc32(std::string_view bytes);

// Varints and zigzag as in every stored format (core/varint.h).
using datalite::putVarint;
using datalite::unzigzag;
using datalite::zigzag;

// Recomputes the header's checksum over the body (tests only need this).
void sealChecksum(std::string& snapshot);

}  // namespace datalite::serial::binary
