// Read/print speed on ~1 MB of typical EDN (a vector of entity maps).
// The plain test only guards against pathological slowness; run
// `test_edn "[perf]"` to print the measured throughput.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <functional>
#include <string>

#include "edn/edn.h"

using namespace datalite;
using namespace datalite::edn;

namespace {

std::string typicalEdn(size_t targetBytes) {
  std::string s = "[";
  for (int i = 0; s.size() < targetBytes; ++i) {
    s += "{:db/id " + std::to_string(100000 + i) + ", :person/name \"Person number " + std::to_string(i) +
         "\", :person/email \"p" + std::to_string(i) + "@example.com\", :person/age " + std::to_string(i % 90) +
         ", :person/score " + std::to_string(i % 1000) + ".25, :person/active " + (i % 2 ? "true" : "false") +
         ", :person/tags [:tag/a :tag/b \"free text\"], :person/friend {:db/id " + std::to_string(i * 7) +
         "}}\n";
  }
  s += "]";
  return s;
}

double secondsFor(int reps, const std::function<void()>& f) {
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < reps; ++i) f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / reps;
}

}  // namespace

TEST_CASE("reading 1 MB of typical EDN is fast", "[edn][speed]") {
  std::string text = typicalEdn(1 << 20);
  Value v;
  double t = secondsFor(3, [&] { v = readOne(text); });
  CHECK(v.count() > 3000);
  CHECK(t < 1.0);  // a generous bound (sanitizer builds); expect a few ms in release
}

TEST_CASE("EDN throughput", "[.][perf]") {
  std::string text = typicalEdn(1 << 20);
  Value v = readOne(text);
  // Reading only (the previous result is destroyed outside the timed part).
  double tr = 0;
  for (int i = 0; i < 50; ++i) {
    v = Value();
    tr += secondsFor(1, [&] { v = readOne(text); });
  }
  tr /= 50;
  std::string out;
  double tp = secondsFor(20, [&] {
    out.clear();
    print(v, out);
  });
  std::printf("read  %.2f MB: %.2f ms (%.0f MB/s), %zu maps\n", text.size() / 1e6, tr * 1e3, text.size() / 1e6 / tr,
              v.count());
  std::printf("print %.2f MB: %.2f ms (%.0f MB/s)\n", out.size() / 1e6, tp * 1e3, out.size() / 1e6 / tp);
}
