// Embind bindings: the JS <-> engine boundary is three functions over one
// Session (src/api/session.h). JS writes a request into the buffer that
// requestBuffer() returns, calls call(op, length) and decodes the response
// in place from HEAPU8 (js/wire.js). Errors never cross as C++ exceptions:
// the session turns them into an error response.
//
// A fourth, attachStore(bridge), lets the engine call a JS store
// (js/stores/bridge.js) synchronously while it commits or loads nodes.
#include <emscripten/bind.h>
#include <emscripten/val.h>
#include <malloc.h>

#include <cstdint>
#include <new>

#include "api/session.h"
#include "core/error.h"
#include "store/store.h"

// Emscripten's dlmalloc (system/lib/dlmalloc.c) defines these; its
// malloc.h does not declare them.
extern "C" size_t malloc_set_footprint_limit(size_t bytes);

namespace {

using emscripten::val;
using datalite::index::NodeAddress;

// A Store over a JS bridge object. The bridge never throws: a failed call
// returns false and leaves the reason in bridge.error, which becomes a
// store-error here (a JS exception unwinding through wasm frames would skip
// C++ destructors).
class JsStore : public datalite::store::Store {
 public:
  explicit JsStore(val bridge) : bridge_(std::move(bridge)) {}

  std::optional<std::string> get(const NodeAddress& addr) override {
    val r = bridge_.call<val>("get", addr.hex());
    if (r.isNull() || r.isUndefined()) return std::nullopt;
    check(r);
    return copyBytes(r);
  }
  void put(const NodeAddress& addr, std::string_view bytes) override {
    check(bridge_.call<val>("put", addr.hex(), view(bytes)));
  }
  void del(std::span<const NodeAddress> addrs) override {
    std::string hex;
    hex.reserve(addrs.size() * 32);
    for (const NodeAddress& a : addrs) hex += a.hex();
    check(bridge_.call<val>("del", hex));
  }
  std::vector<NodeAddress> list() override {
    val r = bridge_.call<val>("list");
    check(r);
    std::string hex = r.as<std::string>();
    std::vector<NodeAddress> out;
    out.reserve(hex.size() / 32);
    for (size_t i = 0; i + 32 <= hex.size(); i += 32) {
      NodeAddress a;
      if (NodeAddress::fromHex(std::string_view(hex).substr(i, 32), a)) out.push_back(a);
    }
    return out;
  }
  std::optional<std::string> readRoot() override {
    val r = bridge_.call<val>("readRoot");
    if (r.isNull() || r.isUndefined()) return std::nullopt;
    check(r);
    return copyBytes(r);
  }
  void writeRoot(std::string_view bytes) override { check(bridge_.call<val>("writeRoot", view(bytes))); }
  void sync() override { check(bridge_.call<val>("sync")); }

 private:
  static val view(std::string_view bytes) {
    return val(emscripten::typed_memory_view(bytes.size(), reinterpret_cast<const uint8_t*>(bytes.data())));
  }
  void check(const val& r) const {
    if (r.isFalse()) {
      val message = bridge_["error"];
      datalite::raise(datalite::ErrorCode::StoreError,
                      message.isString() ? message.as<std::string>() : std::string("store operation failed"));
    }
  }
  static std::string copyBytes(const val& bytes) {
    size_t n = bytes["length"].as<size_t>();
    std::string out(n, '\0');
    if (n) view(out).call<void>("set", bytes);
    return out;
  }
  val bridge_;
};

datalite::api::Session& session() {
  static datalite::api::Session* s = [] {
    auto* created = new datalite::api::Session();
    created->heapBytes = [] { return static_cast<size_t>(mallinfo().uordblks); };
    // dlmalloc's footprint limit: past it malloc returns null, operator new
    // throws bad_alloc and the call fails with limit-exceeded (session.cpp).
    created->setMemoryLimit = [](uint64_t bytes) -> uint64_t {
      size_t limit = bytes >= SIZE_MAX ? SIZE_MAX : static_cast<size_t>(bytes);
      return malloc_set_footprint_limit(limit);
    };
#ifdef __EMSCRIPTEN_PTHREADS__
    created->maxThreads = DATALITE_PTHREAD_POOL;  // the prestarted workers (cmake/wasm.cmake)
#endif
    return created;
  }();
  return *s;
}

// Returns the address of a request buffer of at least n bytes, or 0 when
// the heap cannot hold it (an exception must not unwind into Embind).
uintptr_t requestBuffer(uint32_t n) {
  try {
    return reinterpret_cast<uintptr_t>(session().requestBuffer(n));
  } catch (const std::bad_alloc&) {
    return 0;
  }
}

// Runs op over the first `length` bytes of the request buffer; returns the
// address of the response (u32 length, status, payload).
uintptr_t call(uint32_t op, uint32_t length) {
  auto& s = session();
  std::string_view response = s.call(op, std::string_view(s.requestBuffer(length), length));
  return reinterpret_cast<uintptr_t>(response.data());
}

// The JS function restore progress goes to (fields as in Op::Restore). It
// returns false when the caller's onProgress threw: that stops the restore
// (the JS side then rejects with the caller's error).
void setRestoreProgress(val fn) {
  static val* callback = nullptr;
  delete callback;
  callback = fn.isNull() || fn.isUndefined() ? nullptr : new val(std::move(fn));
  if (!callback) {
    session().restoreProgress = nullptr;
    return;
  }
  session().restoreProgress = [](const std::vector<double>& m) {
    val arr = val::array();
    for (double x : m) arr.call<void>("push", x);
    if (!(*callback)(arr).as<bool>())
      datalite::raise(datalite::ErrorCode::InvalidInput, "restore: stopped by an exception in onProgress");
  };
}

// Makes a JS store bridge available to the StoreOpen op; returns its id.
uint32_t attachStore(val bridge) { return session().attachStore(std::make_shared<JsStore>(std::move(bridge))); }

}  // namespace

EMSCRIPTEN_BINDINGS(datalite) {
  emscripten::function("requestBuffer", &requestBuffer);
  emscripten::function("call", &call);
  emscripten::function("attachStore", &attachStore);
  emscripten::function("setRestoreProgress", &setRestoreProgress);
}
