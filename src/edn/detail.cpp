// Number, instant, base64 and UTF-8 helpers of the EDN reader and printer.
#include <cerrno>
#include <charconv>
#include <clocale>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>

#include "edn/edn_detail.h"

// Floating-point std::from_chars: libstdc++ 11+ (signalled by the feature
// macro). libc++ 14 (Emscripten 3.1.x) has floating-point to_chars but not
// from_chars, and does not define the macro.
#if defined(__cpp_lib_to_chars) && __cpp_lib_to_chars >= 201611L
#define DATALITE_EDN_FROM_CHARS_FP 1
#else
#define DATALITE_EDN_FROM_CHARS_FP 0
#endif
#if DATALITE_EDN_FROM_CHARS_FP || (defined(__GLIBCXX__) && defined(_GLIBCXX_RELEASE) && _GLIBCXX_RELEASE >= 11) || \
    (defined(_LIBCPP_VERSION) && _LIBCPP_VERSION >= 14000)
#define DATALITE_EDN_TO_CHARS_FP 1
#else
#define DATALITE_EDN_TO_CHARS_FP 0
#endif

namespace datalite::edn::detail {

namespace {

bool isDigit(char c) { return c >= '0' && c <= '9'; }

// Syntax of a float literal, split into parts.
struct FloatParts {
  bool negative = false;
  std::string_view intDigits, fracDigits;
  int64_t exponent = 0;  // saturated at +-1e12
};

bool scanFloat(std::string_view t, FloatParts& parts) {
  size_t i = 0, n = t.size();
  if (i < n && (t[i] == '+' || t[i] == '-')) parts.negative = t[i++] == '-';
  size_t s = i;
  while (i < n && isDigit(t[i])) ++i;
  if (i == s) return false;
  parts.intDigits = t.substr(s, i - s);
  if (i < n && t[i] == '.') {
    s = ++i;
    while (i < n && isDigit(t[i])) ++i;
    parts.fracDigits = t.substr(s, i - s);
  }
  if (i < n && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    bool neg = false;
    if (i < n && (t[i] == '+' || t[i] == '-')) neg = t[i++] == '-';
    s = i;
    int64_t e = 0;
    while (i < n && isDigit(t[i])) {
      if (e < 1'000'000'000'000LL) e = e * 10 + (t[i] - '0');
      ++i;
    }
    if (i == s) return false;
    parts.exponent = neg ? -e : e;
  }
  return i == n;
}

// Decimal exponent of the leading significant digit; false when all digits are 0.
bool leadingMagnitude(const FloatParts& p, int64_t& mag) {
  for (size_t k = 0; k < p.intDigits.size(); ++k)
    if (p.intDigits[k] != '0') {
      mag = static_cast<int64_t>(p.intDigits.size() - k - 1) + p.exponent;
      return true;
    }
  for (size_t k = 0; k < p.fracDigits.size(); ++k)
    if (p.fracDigits[k] != '0') {
      mag = -static_cast<int64_t>(k + 1) + p.exponent;
      return true;
    }
  return false;
}

FloatStatus outOfRange(const FloatParts& p, double& out) {
  int64_t mag = 0;
  if (leadingMagnitude(p, mag) && mag >= 0) return FloatStatus::Overflow;
  out = p.negative ? -0.0 : 0.0;  // underflow to zero (as Java's Double.parseDouble)
  return FloatStatus::Ok;
}

char localeDecimalPoint() {
  const struct lconv* lc = std::localeconv();
  return (lc && lc->decimal_point && lc->decimal_point[0] && !lc->decimal_point[1]) ? lc->decimal_point[0] : '.';
}

void ensureFloatMarker(std::string& out, size_t from) {
  for (size_t i = from; i < out.size(); ++i) {
    char c = out[i];
    if (c == '.' || c == 'e' || c == 'E' || c == 'n' || c == 'i') return;
  }
  out += ".0";
}

bool sameBits(double a, double b) {
  uint64_t x, y;
  std::memcpy(&x, &a, 8);
  std::memcpy(&y, &b, 8);
  return x == y;
}

}  // namespace

FloatStatus parseDoubleFallback(std::string_view text, double& out) {
  FloatParts p;
  if (!scanFloat(text, p)) return FloatStatus::Invalid;
  // Exact fast path (Clinger): at most 15 significant digits and a power of
  // ten that is itself exact, so one correctly rounded IEEE operation.
  {
    uint64_t m = 0;
    int digits = 0;
    bool tooMany = false;
    std::string_view parts[2] = {p.intDigits, p.fracDigits};
    // Trailing zeros of the fraction do not count; leading zeros do not either.
    size_t fracLen = p.fracDigits.size();
    while (fracLen > 0 && p.fracDigits[fracLen - 1] == '0') --fracLen;
    parts[1] = p.fracDigits.substr(0, fracLen);
    int64_t e10 = p.exponent - static_cast<int64_t>(fracLen);
    // Trailing zeros of the integer part (when there is no fraction) move into e10.
    if (fracLen == 0) {
      size_t intLen = p.intDigits.size();
      while (intLen > 1 && p.intDigits[intLen - 1] == '0') --intLen;
      e10 += static_cast<int64_t>(p.intDigits.size() - intLen);
      parts[0] = p.intDigits.substr(0, intLen);
    }
    for (std::string_view part : parts)
      for (char c : part) {
        if (digits == 0 && c == '0') continue;
        if (++digits > 15) {
          tooMany = true;
          break;
        }
        m = m * 10 + static_cast<uint64_t>(c - '0');
      }
    static const double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    if (!tooMany && (m == 0 || (e10 >= -22 && e10 <= 22))) {
      double d = static_cast<double>(m);
      if (m != 0) d = e10 < 0 ? d / kPow10[-e10] : d * kPow10[e10];
      out = p.negative ? -d : d;
      return FloatStatus::Ok;
    }
  }
  // General path: the C library's correctly rounded strtod, with '.' mapped to
  // the current locale's decimal point.
  std::string buf(text);
  char dp = localeDecimalPoint();
  if (dp != '.')
    for (char& c : buf)
      if (c == '.') c = dp;
  errno = 0;
  char* end = nullptr;
  double d = std::strtod(buf.c_str(), &end);
  if (end != buf.c_str() + buf.size()) return FloatStatus::Invalid;
  if (std::isinf(d)) return outOfRange(p, out);
  out = d;
  return FloatStatus::Ok;
}

FloatStatus parseDouble(std::string_view text, double& out) {
#if DATALITE_EDN_FROM_CHARS_FP
  FloatParts p;
  if (!scanFloat(text, p)) return FloatStatus::Invalid;
  const char* b = text.data();
  const char* e = b + text.size();
  if (*b == '+') ++b;  // from_chars does not take a plus sign
  double d = 0;
  auto r = std::from_chars(b, e, d, std::chars_format::general);
  if (r.ptr != e) return FloatStatus::Invalid;
  if (r.ec == std::errc::result_out_of_range) return outOfRange(p, out);
  if (r.ec != std::errc()) return FloatStatus::Invalid;
  out = d;
  return FloatStatus::Ok;
#else
  return parseDoubleFallback(text, out);
#endif
}

// ##NaN / ##Inf / ##-Inf; false for finite numbers.
static bool formatNonFinite(double d, std::string& out) {
  if (std::isnan(d)) {
    out += "##NaN";
    return true;
  }
  if (std::isinf(d)) {
    out += d < 0 ? "##-Inf" : "##Inf";
    return true;
  }
  return false;
}

void formatDoubleFallback(double d, std::string& out) {
  if (formatNonFinite(d, out)) return;
  // The same text as to_chars(d): the shortest digits that read back
  // exactly, laid out in fixed or scientific notation, whichever is shorter
  // (fixed on a tie). The shortest %.Ne that round-trips gives the digits;
  // round-tripping is monotone in N, so binary search.
  char dp = localeDecimalPoint();
  auto render = [&](int decimals, std::string& s) {
    char buf[64];
    int n = std::snprintf(buf, sizeof buf, "%.*e", decimals, d);
    s.assign(buf, n > 0 ? static_cast<size_t>(n) : 0);
    if (dp != '.')
      for (char& c : s)
        if (c == dp) c = '.';
  };
  std::string sci, s;
  render(16, sci);
  int lo = 0, hi = 16;  // hi always round-trips
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    render(mid, s);
    double back = 0;
    if (parseDoubleFallback(s, back) == FloatStatus::Ok && sameBits(back, d)) {
      hi = mid;
      sci = s;
    } else {
      lo = mid + 1;
    }
  }
  // sci = [-]d[.ddd]e(+|-)XX: split into sign, digits and exponent.
  bool negative = sci[0] == '-';
  size_t ePos = sci.find('e');
  std::string digits;
  for (size_t i = negative ? 1 : 0; i < ePos; ++i)
    if (sci[i] != '.') digits += sci[i];
  int exponent = std::atoi(sci.c_str() + ePos + 1);
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  std::string fixed = negative ? "-" : "";
  if (exponent >= 0) {
    size_t intDigits = static_cast<size_t>(exponent) + 1;
    if (digits.size() <= intDigits) {
      // An integer: fixed notation spells out its exact value.
      char buf[400];
      int n = std::snprintf(buf, sizeof buf, "%.0f", d);
      fixed.assign(buf, n > 0 ? static_cast<size_t>(n) : 0);
    } else {
      fixed += digits.substr(0, intDigits) + "." + digits.substr(intDigits);
    }
  } else {
    fixed += "0." + std::string(static_cast<size_t>(-exponent - 1), '0') + digits;
  }
  // to_chars' scientific form has no trailing zeros in the mantissa.
  std::string shortSci = negative ? "-" : "";
  shortSci += digits.substr(0, 1);
  if (digits.size() > 1) shortSci += "." + digits.substr(1);
  char expBuf[8];
  std::snprintf(expBuf, sizeof expBuf, "e%c%02d", exponent < 0 ? '-' : '+', exponent < 0 ? -exponent : exponent);
  shortSci += expBuf;
  size_t from = out.size();
  out += fixed.size() <= shortSci.size() ? fixed : shortSci;
  ensureFloatMarker(out, from);
}

void formatDouble(double d, std::string& out) {
#if DATALITE_EDN_TO_CHARS_FP
  if (formatNonFinite(d, out)) return;
  // The standard's plain to_chars picks the shorter of the shortest fixed
  // and scientific forms (fixed on a tie), but libc++ 14 does not: choose
  // explicitly so every platform prints the same text.
  char fixed[400], sci[64];
  auto f = std::to_chars(fixed, fixed + sizeof fixed, d, std::chars_format::fixed);
  auto e = std::to_chars(sci, sci + sizeof sci, d, std::chars_format::scientific);
  size_t from = out.size();
  if (f.ec == std::errc() && (e.ec != std::errc() || f.ptr - fixed <= e.ptr - sci)) out.append(fixed, f.ptr);
  else out.append(sci, e.ptr);
  ensureFloatMarker(out, from);
#else
  formatDoubleFallback(d, out);
#endif
}

// --- instants --------------------------------------------------------------

namespace {

constexpr int64_t kMsPerDay = 86'400'000;

// Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian).
int64_t daysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civilFromDays(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

bool isLeap(int64_t y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

unsigned daysInMonth(int64_t y, unsigned m) {
  static const unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && isLeap(y) ? 29 : kDays[m - 1];
}

void appendPadded(std::string& out, int64_t v, int width) {
  char buf[24];
  int n = 0;
  uint64_t u = static_cast<uint64_t>(v);
  do {
    buf[n++] = static_cast<char>('0' + u % 10);
    u /= 10;
  } while (u);
  for (int i = n; i < width; ++i) out.push_back('0');
  while (n) out.push_back(buf[--n]);
}

}  // namespace

const char* parseInstant(std::string_view t, int64_t& result) {
  size_t i = 0, n = t.size();
  auto fixed = [&](size_t count, int64_t& v) {
    if (i + count > n) return false;
    v = 0;
    for (size_t k = 0; k < count; ++k) {
      char c = t[i + k];
      if (!isDigit(c)) return false;
      v = v * 10 + (c - '0');
    }
    i += count;
    return true;
  };
  int64_t year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0, millis = 0, offsetMin = 0;
  if (i < n && (t[i] == '+' || t[i] == '-')) {
    bool neg = t[i++] == '-';
    size_t s = i;
    while (i < n && isDigit(t[i]) && i - s < 10) year = year * 10 + (t[i++] - '0');
    if (i - s < 4 || (i < n && isDigit(t[i]))) return "expanded year must have 4 to 10 digits";
    if (neg) year = -year;
  } else if (!fixed(4, year)) {
    return "expected a 4-digit year";
  }
  if (i < n && t[i] == '-') {
    ++i;
    if (!fixed(2, month)) return "expected a 2-digit month";
    if (i < n && t[i] == '-') {
      ++i;
      if (!fixed(2, day)) return "expected a 2-digit day";
      if (i < n && (t[i] == 'T' || t[i] == 't')) {
        ++i;
        if (!fixed(2, hour)) return "expected a 2-digit hour";
        if (i < n && t[i] == ':') {
          ++i;
          if (!fixed(2, minute)) return "expected 2-digit minutes";
          if (i < n && t[i] == ':') {
            ++i;
            if (!fixed(2, second)) return "expected 2-digit seconds";
            if (i < n && t[i] == '.') {
              ++i;
              size_t s = i;
              while (i < n && isDigit(t[i])) {
                if (i - s < 3) millis = millis * 10 + (t[i] - '0');
                ++i;
              }
              if (i == s) return "expected digits after '.'";
              for (size_t k = i - s; k < 3; ++k) millis *= 10;
            }
          }
        }
      }
    }
  }
  if (i < n && (t[i] == 'Z' || t[i] == 'z')) {
    ++i;
  } else if (i < n && (t[i] == '+' || t[i] == '-')) {
    bool neg = t[i++] == '-';
    int64_t oh = 0, om = 0;
    if (!fixed(2, oh) || i >= n || t[i] != ':') return "expected offset as +HH:MM or -HH:MM";
    ++i;
    if (!fixed(2, om)) return "expected offset as +HH:MM or -HH:MM";
    if (oh > 23 || om > 59) return "offset out of range";
    offsetMin = (neg ? -1 : 1) * (oh * 60 + om);
  }
  if (i != n) return "unexpected text in instant";
  if (month < 1 || month > 12) return "month out of range";
  if (day < 1 || day > static_cast<int64_t>(daysInMonth(year, static_cast<unsigned>(month)))) return "day out of range";
  if (hour > 23) return "hour out of range";
  if (minute > 59) return "minutes out of range";
  if (second > 59) return "seconds out of range";
  int64_t days = daysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  int64_t inDay = ((hour * 60 + minute) * 60 + second) * 1000 + millis - offsetMin * 60000;
  // days * kMsPerDay + inDay without overflowing when the sum is representable.
  if (days < 0) {
    days += 1;
    inDay -= kMsPerDay;
  }
  int64_t base = 0, ms = 0;
  if (__builtin_mul_overflow(days, kMsPerDay, &base) || __builtin_add_overflow(base, inDay, &ms))
    return "instant out of range";
  result = ms;
  return nullptr;
}

void formatInstant(int64_t ms, std::string& out) {
  int64_t days = ms / kMsPerDay, rem = ms % kMsPerDay;
  if (rem < 0) {
    rem += kMsPerDay;
    --days;
  }
  int64_t y;
  unsigned m, d;
  civilFromDays(days, y, m, d);
  if (y < 0) {
    out.push_back('-');
    appendPadded(out, -y, 4);
  } else if (y > 9999) {
    out.push_back('+');
    appendPadded(out, y, 4);
  } else {
    appendPadded(out, y, 4);
  }
  out.push_back('-');
  appendPadded(out, m, 2);
  out.push_back('-');
  appendPadded(out, d, 2);
  out.push_back('T');
  appendPadded(out, rem / 3'600'000, 2);
  out.push_back(':');
  appendPadded(out, rem / 60'000 % 60, 2);
  out.push_back(':');
  appendPadded(out, rem / 1000 % 60, 2);
  out.push_back('.');
  appendPadded(out, rem % 1000, 3);
  out += "-00:00";
}

// --- base64 ----------------------------------------------------------------

namespace {
const char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
int b64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}
}  // namespace

void base64Encode(std::string_view raw, std::string& out) {
  const auto* p = reinterpret_cast<const unsigned char*>(raw.data());
  size_t n = raw.size(), i = 0;
  out.reserve(out.size() + (n + 2) / 3 * 4);
  for (; i + 3 <= n; i += 3) {
    uint32_t v = (uint32_t(p[i]) << 16) | (uint32_t(p[i + 1]) << 8) | p[i + 2];
    out.push_back(kB64[v >> 18]);
    out.push_back(kB64[(v >> 12) & 63]);
    out.push_back(kB64[(v >> 6) & 63]);
    out.push_back(kB64[v & 63]);
  }
  if (n - i == 1) {
    uint32_t v = uint32_t(p[i]) << 16;
    out.push_back(kB64[v >> 18]);
    out.push_back(kB64[(v >> 12) & 63]);
    out += "==";
  } else if (n - i == 2) {
    uint32_t v = (uint32_t(p[i]) << 16) | (uint32_t(p[i + 1]) << 8);
    out.push_back(kB64[v >> 18]);
    out.push_back(kB64[(v >> 12) & 63]);
    out.push_back(kB64[(v >> 6) & 63]);
    out.push_back('=');
  }
}

bool base64Decode(std::string_view t, std::string& out) {
  if (t.size() % 4) return false;
  out.clear();
  out.reserve(t.size() / 4 * 3);
  for (size_t i = 0; i < t.size(); i += 4) {
    bool last = i + 4 == t.size();
    int a = b64Value(t[i]), b = b64Value(t[i + 1]);
    if (a < 0 || b < 0) return false;
    if (last && t[i + 2] == '=' && t[i + 3] == '=') {
      if (b & 15) return false;
      out.push_back(static_cast<char>((a << 2) | (b >> 4)));
      break;
    }
    int c = b64Value(t[i + 2]);
    if (c < 0) return false;
    if (last && t[i + 3] == '=') {
      if (c & 3) return false;
      out.push_back(static_cast<char>((a << 2) | (b >> 4)));
      out.push_back(static_cast<char>(((b & 15) << 4) | (c >> 2)));
      break;
    }
    int d = b64Value(t[i + 3]);
    if (d < 0) return false;
    uint32_t v = (uint32_t(a) << 18) | (uint32_t(b) << 12) | (uint32_t(c) << 6) | uint32_t(d);
    out.push_back(static_cast<char>(v >> 16));
    out.push_back(static_cast<char>((v >> 8) & 255));
    out.push_back(static_cast<char>(v & 255));
  }
  return true;
}

// --- UTF-8 -----------------------------------------------------------------

size_t decodeUtf8(const char* p, const char* end, uint32_t& cp) {
  auto u = [&](size_t i) { return static_cast<unsigned char>(p[i]); };
  unsigned char c0 = u(0);
  if (c0 < 0x80) {
    cp = c0;
    return 1;
  }
  auto cont = [&](size_t i) { return p + i < end && (u(i) & 0xC0) == 0x80; };
  if (c0 < 0xC2) return 0;
  if (c0 < 0xE0) {
    if (!cont(1)) return 0;
    cp = (uint32_t(c0 & 0x1F) << 6) | (u(1) & 0x3F);
    return 2;
  }
  if (c0 < 0xF0) {
    if (!cont(1) || !cont(2)) return 0;
    if (c0 == 0xE0 && u(1) < 0xA0) return 0;   // overlong
    if (c0 == 0xED && u(1) >= 0xA0) return 0;  // surrogate
    cp = (uint32_t(c0 & 0x0F) << 12) | (uint32_t(u(1) & 0x3F) << 6) | (u(2) & 0x3F);
    return 3;
  }
  if (c0 < 0xF5) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if (c0 == 0xF0 && u(1) < 0x90) return 0;   // overlong
    if (c0 == 0xF4 && u(1) >= 0x90) return 0;  // > U+10FFFF
    cp = (uint32_t(c0 & 0x07) << 18) | (uint32_t(u(1) & 0x3F) << 12) | (uint32_t(u(2) & 0x3F) << 6) | (u(3) & 0x3F);
    return 4;
  }
  return 0;
}

void appendUtf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

}  // namespace datalite::edn::detail
