// Internal helpers of the EDN reader/printer, exposed for unit tests only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace datalite::edn::detail {

// --- doubles ---------------------------------------------------------------
enum class FloatStatus { Ok, Overflow, Invalid };

// Parses a decimal float in EDN syntax without suffix: [+-]?digits[.digits*]
// ([eE][+-]?digits)?. Correctly rounded and locale-independent. Results too
// small for a double become (signed) zero; too large -> Overflow.
FloatStatus parseDouble(std::string_view text, double& out);
// The portable path used when std::from_chars(double) is not available
// (libc++ up to at least 14, i.e. Emscripten): exact fast path, else strtod
// with the locale's decimal point. Always compiled so tests can exercise it.
FloatStatus parseDoubleFallback(std::string_view text, double& out);

// Appends the shortest decimal text that parses back to exactly `d`; always
// contains '.', 'e' or is ##Inf / ##-Inf / ##NaN.
void formatDouble(double d, std::string& out);
// Portable path for standard libraries without floating-point to_chars.
void formatDoubleFallback(double d, std::string& out);

// --- instants --------------------------------------------------------------
// RFC 3339 / Clojure #inst text -> ms since the epoch. Accepts YYYY, YYYY-MM,
// YYYY-MM-DD, ...THH, ...THH:MM, ...THH:MM:SS, ...THH:MM:SS.fraction, each with
// an optional Z or +HH:MM / -HH:MM offset; years may be written [+-]YYYY...
// (expanded). Fractions below a millisecond are truncated. Returns nullptr on
// success, else a short description of the problem.
const char* parseInstant(std::string_view text, int64_t& ms);
// ms -> "YYYY-MM-DDTHH:MM:SS.mmm-00:00" (expanded year with sign outside 0..9999).
void formatInstant(int64_t ms, std::string& out);

// --- base64 (RFC 4648, standard alphabet, padded) --------------------------
void base64Encode(std::string_view raw, std::string& out);
// Strict: length multiple of 4, padding only at the end, zero unused bits.
bool base64Decode(std::string_view text, std::string& out);

// --- UTF-8 -----------------------------------------------------------------
// Length (1-4) of the valid UTF-8 sequence at p (p < end), 0 if invalid
// (overlong, surrogate, > U+10FFFF, truncated). Stores the code point.
size_t decodeUtf8(const char* p, const char* end, uint32_t& cp);
void appendUtf8(uint32_t cp, std::string& out);

// --- names -----------------------------------------------------------------
// Whether `text` reads back as a symbol (and ":" + text as a keyword) with
// exactly this name. Names that do not (spaces, ';', an empty name...) can
// still be made from strings (JS attribute names); the printer writes those
// as #datalite/keyword "..." and #datalite/symbol "..." so dumps read back.
bool readableName(std::string_view text);

}  // namespace datalite::edn::detail
