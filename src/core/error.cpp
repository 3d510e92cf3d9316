#include "core/error.h"

namespace datalite {

std::string_view errorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::ParseError: return "parse-error";
    case ErrorCode::SchemaViolation: return "schema-violation";
    case ErrorCode::UniqueConflict: return "unique-conflict";
    case ErrorCode::TypeMismatch: return "type-mismatch";
    case ErrorCode::CasFailed: return "cas-failed";
    case ErrorCode::NotFound: return "not-found";
    case ErrorCode::InvalidInput: return "invalid-input";
    case ErrorCode::StoreError: return "store-error";
    case ErrorCode::Closed: return "closed";
    case ErrorCode::LimitExceeded: return "limit-exceeded";
  }
  return "invalid-input";
}

void raise(ErrorCode code, const std::string& message) { throw DataliteError(code, message); }

}  // namespace datalite
