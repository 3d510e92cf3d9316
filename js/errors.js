// DataliteError: every failure of the package, with a stable code
// (API.md section 8) that programs can branch on.
export const ERROR_CODES = Object.freeze([
  "parse-error", "schema-violation", "unique-conflict", "type-mismatch", "cas-failed",
  "not-found", "invalid-input", "store-error", "closed", "limit-exceeded",
]);

export class DataliteError extends Error {
  constructor(code, message, options) {
    super(message, options);
    this.name = "DataliteError";
    this.code = code;
  }
}
