// DataliteError: the one exception type the engine throws at its API edge.
// Every failure carries a stable code (API.md section 8) and a message that
// names the offending input.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace datalite {

enum class ErrorCode {
  ParseError,       // "parse-error"
  SchemaViolation,  // "schema-violation"
  UniqueConflict,   // "unique-conflict"
  TypeMismatch,     // "type-mismatch"
  CasFailed,        // "cas-failed"
  NotFound,         // "not-found"
  InvalidInput,     // "invalid-input"
  StoreError,       // "store-error"
  Closed,           // "closed"
  LimitExceeded,    // "limit-exceeded"
};

// The stable string form of a code, as JS sees it in `err.code`.
std::string_view errorCodeName(ErrorCode code);

class DataliteError : public std::runtime_error {
 public:
  DataliteError(ErrorCode code, const std::string& message)
      : std::runtime_error(message), code_(code) {}
  ErrorCode code() const noexcept { return code_; }
  std::string_view codeName() const noexcept { return errorCodeName(code_); }

 private:
  ErrorCode code_;
};

[[noreturn]] void raise(ErrorCode code, const std::string& message);

}  // namespace datalite
