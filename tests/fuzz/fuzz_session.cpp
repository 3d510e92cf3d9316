// The JS boundary (api/session.h, what wasm/bindings.cpp exposes): a fresh
// session holding a small db (handles 1 and 2) receives a sequence of raw
// calls. Input: per call, one op byte, a 2-byte little-endian length, then
// that many request bytes. Every response must be well formed (length, status 0 or 1).
#include "api/session.h"
#include "fuzz_support.h"

using namespace datalite;
using api::Op;

namespace {

std::string_view call(api::Session& s, uint32_t op, std::string_view request) {
  std::string_view raw = s.call(op, request);
  if (raw.size() < 5) fuzz::violated("response shorter than its header");
  uint32_t len = 0;
  for (int i = 3; i >= 0; --i) len = (len << 8) | static_cast<uint8_t>(raw[i]);
  if (len != raw.size() - 4) fuzz::violated("response length field");
  if (raw[4] != 0 && raw[4] != 1) fuzz::violated("response status byte");
  return raw;
}

std::string request(const std::function<void(api::WireWriter&)>& fill) {
  std::string out;
  api::WireWriter w(out);
  fill(w);
  w.finish();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  api::Session s;
  call(s, static_cast<uint32_t>(Op::EmptyDb), request([](api::WireWriter& w) {
         w.value(edn::readOne("{:name {:db/unique :db.unique/identity} :friend {:db/valueType :db.type/ref}}"));
         w.byte(1);
       }));
  call(s, static_cast<uint32_t>(Op::Transact), request([](api::WireWriter& w) {
         w.varint(1);
         w.value(edn::readOne("[{:db/id -1 :name \"a\" :friend -2} {:db/id -2 :name \"b\" :age 3}]"));
         w.value(Value());
         w.signedVarint(1'700'000'000'000);
       }));
  size_t pos = 0;
  for (int calls = 0; calls < 8 && pos + 3 <= size; ++calls) {
    uint32_t op = data[pos] % 46;  // a few past the last op: unknown ops too
    size_t len = std::min<size_t>(data[pos + 1] | (size_t{data[pos + 2]} << 8), size - pos - 3);
    std::string_view body(reinterpret_cast<const char*>(data + pos + 3), len);
    pos += 3 + len;
    if (op == static_cast<uint32_t>(Op::Restore)) continue;  // threads: covered by tests/restore
    call(s, op, body);
  }
  return 0;
}
