// Pull patterns: the input is EDN text — a pattern and an entity argument
// (id, lookup ref or ident) — pulled from a small fixed db, one and many.
#include "fuzz_support.h"
#include "pull/pull.h"

using namespace datalite;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::expectSuccessOrError([&] {
    std::vector<Value> forms = edn::readAll(fuzz::asText(data, size), fuzz::fuzzReadLimits());
    if (forms.empty()) return;
    const Db& db = fuzz::sampleDb();
    Value eid = forms.size() > 1 ? forms[1] : Value::integer(1);
    fuzz::expectSuccessOrError([&] { pull::pull(db, forms[0], eid); });
    std::vector<Value> eids{Value::integer(1), Value::integer(2), eid};
    pull::pullMany(db, forms[0], eids);
  });
  return 0;
}
