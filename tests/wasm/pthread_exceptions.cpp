// Wasm exception handling in the -pthread build (wasm/pthread_unwind.cpp):
// several threads throw and catch at the same time, through nested try
// blocks, catch clauses that do not match, destructors run during
// unwinding, rethrows and the engine's own DataliteError. Every exception
// must land in the right catch clause with its own payload, and every
// destructor must run exactly once. Exits non-zero on the first mismatch.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"
#include "edn/edn.h"

namespace {

std::atomic<long> g_destroyed{0};
std::atomic<int> g_failures{0};

struct CountsDestruction {
  ~CountsDestruction() { g_destroyed.fetch_add(1, std::memory_order_relaxed); }
};

struct Unrelated {};

void fail(const char* what, int thread, int round) {
  if (g_failures.fetch_add(1) < 10) std::fprintf(stderr, "thread %d round %d: %s\n", thread, round, what);
}

[[gnu::noinline]] void throwTagged(int tag) {
  CountsDestruction guard;
  if (tag % 3 == 0) throw std::out_of_range(std::to_string(tag));
  if (tag % 3 == 1) throw std::runtime_error(std::to_string(tag));
  throw tag;
}

[[gnu::noinline]] void throughNonMatchingClause(int tag) {
  CountsDestruction guard;
  try {
    throwTagged(tag);
  } catch (const Unrelated&) {
    g_failures.fetch_add(1);
  }
}

void exercise(int thread, int rounds, long* expectedDestructions) {
  for (int round = 0; round < rounds; ++round) {
    const int tag = thread * 1000003 + round;
    try {
      throughNonMatchingClause(tag);
      fail("nothing thrown", thread, round);
    } catch (const std::out_of_range& e) {
      if (tag % 3 != 0 || e.what() != std::to_string(tag)) fail("wrong out_of_range", thread, round);
    } catch (const std::runtime_error& e) {
      if (tag % 3 != 1 || e.what() != std::to_string(tag)) fail("wrong runtime_error", thread, round);
    } catch (int value) {
      if (tag % 3 != 2 || value != tag) fail("wrong int", thread, round);
    } catch (...) {
      fail("caught by catch (...)", thread, round);
    }
    *expectedDestructions += 2;

    // A rethrow from inside a catch clause, caught one level up.
    try {
      try {
        throwTagged(tag * 3 + 1);
      } catch (const std::exception&) {
        throw;
      }
    } catch (const std::runtime_error& e) {
      if (e.what() != std::to_string(tag * 3 + 1)) fail("wrong rethrown payload", thread, round);
    }
    *expectedDestructions += 1;

    // The engine's own error type, thrown deep inside the EDN reader.
    if (round % 8 == 0) {
      try {
        datalite::edn::readOne("[1 2 {:a");
        fail("bad EDN was accepted", thread, round);
      } catch (const datalite::DataliteError& e) {
        if (e.code() != datalite::ErrorCode::ParseError) fail("wrong error code", thread, round);
      }
    }
  }
}

// Thread A throws, and a destructor in A's unwinding waits for a mutex that
// thread B holds while B throws too. B must not wait for A's unwinding
// forever (wasm/pthread_unwind.cpp takes the lock over after a while).
bool unwindingWaitsForAThrowingThread() {
  std::mutex held;
  std::atomic<int> stage{0};
  std::atomic<bool> aCaught{false}, bCaught{false};
  struct LocksOnUnwind {
    std::mutex& m;
    std::atomic<int>& stage;
    ~LocksOnUnwind() {
      stage = 2;
      std::lock_guard<std::mutex> wait(m);
    }
  };
  std::thread b([&] {
    std::unique_lock<std::mutex> lock(held);
    stage = 1;
    while (stage.load() != 2) std::this_thread::yield();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // A is blocked in its destructor now
    try {
      throw std::runtime_error("b");
    } catch (const std::runtime_error&) {
      bCaught = true;
    }
  });
  while (stage.load() != 1) std::this_thread::yield();
  try {
    LocksOnUnwind guard{held, stage};
    throw std::runtime_error("a");
  } catch (const std::runtime_error&) {
    aCaught = true;
  }
  b.join();
  return aCaught && bCaught;
}

}  // namespace

int main() {
  constexpr int kThreads = 4;
  constexpr int kRounds = 4000;
  std::vector<long> expected(kThreads + 1, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) threads.emplace_back(exercise, t + 1, kRounds, &expected[t]);
  exercise(0, kRounds, &expected[kThreads]);  // the main thread takes part too
  for (auto& t : threads) t.join();

  long expectedTotal = 0;
  for (long n : expected) expectedTotal += n;
  if (g_destroyed.load() != expectedTotal) {
    std::fprintf(stderr, "destructors ran %ld times, expected %ld\n", g_destroyed.load(), expectedTotal);
    return 1;
  }
  if (g_failures.load() != 0) {
    std::fprintf(stderr, "%d mismatches\n", g_failures.load());
    return 1;
  }
  if (!unwindingWaitsForAThrowingThread()) {
    std::fprintf(stderr, "a throw while another thread's unwinding waited for it was not caught\n");
    return 1;
  }
  std::printf("ok: %d threads x %d rounds of concurrent throws and catches; a throw that an unwinding waits for\n",
              kThreads + 1, kRounds);
  return 0;
}
