// Query parser and executor: the input is EDN text — a query form and
// optionally its :in arguments — run over a small fixed db.
#include "fuzz_support.h"
#include "query/query.h"

using namespace datalite;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::expectSuccessOrError([&] {
    std::vector<Value> forms = edn::readAll(fuzz::asText(data, size), fuzz::fuzzReadLimits());
    if (forms.empty()) return;
    std::vector<query::QueryArg> args;
    args.push_back(query::QueryArg::database(fuzz::sampleDb()));
    for (size_t i = 1; i < forms.size() && i < 6; ++i) args.push_back(query::QueryArg::data(forms[i]));
    query::QueryOptions options;
    options.maxRows = 200'000;  // small: a slow blow-up shows as limit-exceeded
    options.maxRuleIterations = 2'000;
    query::q(forms[0], args, options);
    query::explain(forms[0], args, options);
  });
  return 0;
}
