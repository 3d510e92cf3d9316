// EDN reader: any bytes either read or fail with DataliteError; what reads
// prints back to text that reads to an equal value.
#include "fuzz_support.h"

using namespace datalite;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<Value> forms;
  try {
    forms = edn::readAll(fuzz::asText(data, size), fuzz::fuzzReadLimits());
  } catch (const DataliteError&) {
    return 0;
  }
  for (const Value& form : forms) {
    std::string printed = edn::print(form);
    Value again;
    try {
      again = edn::readOne(printed);
    } catch (const DataliteError& e) {
      std::fprintf(stderr, "printed form does not read back: %s\n%s\n", e.what(), printed.c_str());
      fuzz::violated("print/read round trip");
    }
    // NaN is the one value unequal to itself; compare the printed forms then.
    if (!(again == form) && edn::print(again) != printed) {
      std::fprintf(stderr, "printed: %s\nreread:  %s\n", printed.c_str(), edn::print(again).c_str());
      fuzz::violated("print/read round trip changed the value");
    }
  }
  return 0;
}
