// Checksums shared by every on-disk format: CRC-32 for record integrity and
// a 128-bit content hash for node addresses.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace datalite {

// CRC-32 (IEEE 802.3, reflected, init and final xor 0xFFFFFFFF):
// crc32("123456789") == 0xCBF43926.
uint32_t crc32(std::string_view bytes);

// A 128-bit non-cryptographic hash (two 64-bit lanes over 16-byte blocks,
// length-seeded, avalanche-finalised). Stable across platforms and versions:
// stored node addresses depend on it.
std::array<uint8_t, 16> hash128(std::string_view bytes);

// Whether decoders verify checksums and content addresses. The fuzz builds
// (tests/fuzz, compiled with libFuzzer's conventional macro) skip the checks
// so that mutated bytes reach the decoding logic behind them; every other
// build verifies.
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
inline constexpr bool kVerifyChecksums = false;
#else
inline constexpr bool kVerifyChecksums = true;
#endif

}  // namespace datalite
