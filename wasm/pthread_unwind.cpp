// The wasm unwinder entry points for the -pthread builds, replacing
// libunwind's Unwind-wasm.o from Emscripten 3.1.6's libunwind-mt-except.a.
//
// Why: that library defines the landing-pad context `__wasm_lpad_context`
// as thread_local, but clang 14 writes the context from every catch clause
// as a plain global (an absolute address, which for a TLS symbol resolves
// to its offset inside the TLS block: a few bytes above address 0). The
// personality routine reads the thread's TLS copy, never finds the landing
// pad, and no C++ exception is ever caught (not even by catch (...)). That
// forced JS exception handling onto the threaded builds, which cost ~1.7x
// CPU per datom in the restore pipeline. With this file the compiler's
// writes and the personality routine agree on one context again, and the
// threaded builds use -fwasm-exceptions like the single-threaded one.
//
// One context for all threads is only correct while one exception at a
// time is in flight between its throw and its catch, so throwing takes an
// owner lock (_Unwind_RaiseException) that __cxa_begin_catch releases
// (linked with --wrap=__cxa_begin_catch). The lock is re-entrant for its
// owner and counts: an exception thrown and caught inside a destructor
// during unwinding releases only its own level, and an exception that left
// wasm for JS without a catch on this thread cannot deadlock the thread
// against itself. A thread that throws while another one unwinds
// waits for that unwinding, which is short: exceptions here signal errors.
// It waits at most kMaxWait, then takes the lock over: an unwinding that
// long is blocked (a destructor waiting for a mutex that the waiting thread
// holds), and a blocked owner is not inside the few instructions where the
// shared context matters, so going on beats a deadlock.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <pthread.h>
#include <sched.h>

#if !defined(__wasm__) || !defined(__EMSCRIPTEN_PTHREADS__)
#error "wasm/pthread_unwind.cpp belongs in the -pthread wasm builds only"
#endif

extern "C" {

struct _Unwind_Exception;
struct _Unwind_Context;
typedef void (*_Unwind_Exception_Cleanup_Fn)(int reason, _Unwind_Exception* exception);

// libunwind's layout (unwind.h), which libc++abi's personality expects.
struct _Unwind_Exception {
  uint64_t exception_class;
  _Unwind_Exception_Cleanup_Fn exception_cleanup;
  uintptr_t private_1;
  uintptr_t private_2;
  uint32_t reserved[3];
} __attribute__((__aligned__));

// What a catch clause writes before it asks the personality routine whether
// it handles the exception, and where the routine answers (selector).
struct WasmLandingPadContext {
  uintptr_t lpad_index;
  uintptr_t lsda;
  uintptr_t selector;
};

// A plain global on purpose: see the top of this file.
WasmLandingPadContext __wasm_lpad_context;

int __gxx_personality_wasm0(int version, int actions, uint64_t exception_class,
                            _Unwind_Exception* exception, _Unwind_Context* context);
void* __real___cxa_begin_catch(void* exception);

}  // extern "C"

namespace {

constexpr int kUnwindActionCleanupPhase = 2;   // _UA_CLEANUP_PHASE: wasm unwinds in one phase
constexpr int kForeignExceptionCaught = 1;     // _URC_FOREIGN_EXCEPTION_CAUGHT
constexpr int kSelectorRegister = 1;           // the only register the personality sets

std::atomic<uintptr_t> g_unwinding_thread{0};
std::atomic<int> g_unwinding_depth{0};  // exceptions of the owner in flight

uintptr_t currentThread() { return reinterpret_cast<uintptr_t>(pthread_self()); }

constexpr std::chrono::seconds kMaxWait{2};

void acquireUnwinding() {
  const uintptr_t self = currentThread();
  const auto deadline = std::chrono::steady_clock::now() + kMaxWait;
  for (;;) {
    uintptr_t owner = 0;
    if (g_unwinding_thread.compare_exchange_weak(owner, self, std::memory_order_acquire)) {
      g_unwinding_depth.store(1, std::memory_order_relaxed);
      return;
    }
    if (owner == self) {
      g_unwinding_depth.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      g_unwinding_thread.store(self, std::memory_order_seq_cst);
      g_unwinding_depth.store(1, std::memory_order_relaxed);
      return;
    }
    sched_yield();
  }
}

// A catch clause took an exception: one level less, the lock free at none.
// Foreign (JS) exceptions reach catch (...) without a throw here: no-op.
void releaseUnwinding() {
  uintptr_t self = currentThread();
  if (g_unwinding_thread.load(std::memory_order_relaxed) != self) return;
  if (g_unwinding_depth.fetch_sub(1, std::memory_order_relaxed) > 1) return;
  g_unwinding_depth.store(0, std::memory_order_relaxed);
  g_unwinding_thread.compare_exchange_strong(self, 0, std::memory_order_release);
}

WasmLandingPadContext* padContext(_Unwind_Context* context) {
  return reinterpret_cast<WasmLandingPadContext*>(context);
}

}  // namespace

extern "C" {

int _Unwind_CallPersonality(void* exception_ptr) {
  auto* exception = static_cast<_Unwind_Exception*>(exception_ptr);
  __wasm_lpad_context.selector = 0;
  return __gxx_personality_wasm0(1, kUnwindActionCleanupPhase, exception->exception_class, exception,
                                 reinterpret_cast<_Unwind_Context*>(&__wasm_lpad_context));
}

int _Unwind_RaiseException(_Unwind_Exception* exception) {
  acquireUnwinding();
  __builtin_wasm_throw(0, exception);
}

void* __wrap___cxa_begin_catch(void* exception) {
  releaseUnwinding();
  return __real___cxa_begin_catch(exception);
}

void _Unwind_DeleteException(_Unwind_Exception* exception) {
  if (exception->exception_cleanup) exception->exception_cleanup(kForeignExceptionCaught, exception);
}

void _Unwind_SetGR(_Unwind_Context* context, int index, uintptr_t value) {
  if (index == kSelectorRegister) padContext(context)->selector = value;
}

// The personality routine finds the call site by this "instruction pointer";
// in wasm it is the landing pad's index, offset as libunwind does.
uintptr_t _Unwind_GetIP(_Unwind_Context* context) { return padContext(context)->lpad_index + 2; }

void _Unwind_SetIP(_Unwind_Context*, uintptr_t) {}

uintptr_t _Unwind_GetLanguageSpecificData(_Unwind_Context* context) { return padContext(context)->lsda; }

uintptr_t _Unwind_GetRegionStart(_Unwind_Context*) { return 0; }

}  // extern "C"
