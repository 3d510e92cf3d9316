#include "core/checksum.h"

#include <cstring>

namespace datalite {

namespace {

constexpr std::array<uint32_t, 256> makeCrcTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  return table;
}
constexpr std::array<uint32_t, 256> kCrcTable = makeCrcTable();

constexpr uint64_t kP1 = 0x9E3779B185EBCA87ull;
constexpr uint64_t kP2 = 0xC2B2AE3D27D4EB4Full;
constexpr uint64_t kP3 = 0x165667B19E3779F9ull;

inline uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

// Little-endian load, independent of the host's byte order.
inline uint64_t load64(const unsigned char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

inline uint64_t finalMix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xFF51AFD7ED558CCDull;
  x ^= x >> 33;
  x *= 0xC4CEB9FE1A85EC53ull;
  x ^= x >> 33;
  return x;
}

}  // namespace

uint32_t crc32(std::string_view bytes) {
  uint32_t c = 0xFFFFFFFFu;
  for (char ch : bytes) c = kCrcTable[(c ^ static_cast<unsigned char>(ch)) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

std::array<uint8_t, 16> hash128(std::string_view bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t n = bytes.size();
  uint64_t h1 = 0x6A09E667F3BCC908ull ^ (uint64_t(n) * kP1);
  uint64_t h2 = 0xBB67AE8584CAA73Bull ^ (uint64_t(n) * kP2);
  auto block = [&](uint64_t a, uint64_t b) {
    h1 = rotl(h1 ^ rotl(a * kP2, 31) * kP1, 27) * kP3 + h2;
    h2 = rotl(h2 ^ rotl(b * kP1, 33) * kP2, 31) * kP3 + h1;
  };
  size_t i = 0;
  for (; i + 16 <= n; i += 16) block(load64(p + i), load64(p + i + 8));
  unsigned char tail[16] = {};
  std::memcpy(tail, p + i, n - i);
  tail[15] ^= static_cast<unsigned char>(n - i);  // distinguishes trailing zeros
  block(load64(tail), load64(tail + 8));
  h1 += h2;
  h2 += h1;
  h1 = finalMix(h1);
  h2 = finalMix(h2);
  h1 += h2;
  h2 += h1;
  std::array<uint8_t, 16> out{};
  for (int k = 0; k < 8; ++k) {
    out[k] = static_cast<uint8_t>(h1 >> (8 * k));
    out[8 + k] = static_cast<uint8_t>(h2 >> (8 * k));
  }
  return out;
}

}  // namespace datalite
