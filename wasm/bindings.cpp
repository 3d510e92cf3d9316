// Embind bindings: the whole JS <-> engine boundary is three functions over
// one Session (src/api/session.h). JS writes a request into the buffer that
// requestBuffer() returns, calls call(op, length) and decodes the response
// in place from HEAPU8 (js/wire.js). Errors never cross as C++ exceptions:
// the session turns them into an error response.
#include <emscripten/bind.h>
#include <malloc.h>

#include "api/session.h"

namespace {

datalite::api::Session& session() {
  static datalite::api::Session* s = [] {
    auto* created = new datalite::api::Session();
    created->heapBytes = [] { return static_cast<size_t>(mallinfo().uordblks); };
    return created;
  }();
  return *s;
}

// Returns the address of a request buffer of at least n bytes.
uintptr_t requestBuffer(uint32_t n) { return reinterpret_cast<uintptr_t>(session().requestBuffer(n)); }

// Runs op over the first `length` bytes of the request buffer; returns the
// address of the response (u32 length, status, payload).
uintptr_t call(uint32_t op, uint32_t length) {
  auto& s = session();
  std::string_view response = s.call(op, std::string_view(s.requestBuffer(length), length));
  return reinterpret_cast<uintptr_t>(response.data());
}

}  // namespace

EMSCRIPTEN_BINDINGS(datalite) {
  emscripten::function("requestBuffer", &requestBuffer);
  emscripten::function("call", &call);
}
