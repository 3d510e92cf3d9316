// The text forms of a db: DataScript's `serializable` JSON and the EDN dump.
// The first input byte picks the reader; a db that reads must be consistent
// and survive writing and reading its own form again.
#include "fuzz_support.h"
#include "serial/serial.h"

using namespace datalite;
using namespace datalite::serial;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  bool json = (data[0] & 1) == 0;
  std::string_view text = fuzz::asText(data + 1, size - 1);
  Db db;
  try {
    db = json ? fromSerializableJson(text) : fromEdnDump(text);
  } catch (const DataliteError&) {
    return 0;
  }
  fuzz::checkDbInvariants(db);
  Db again = json ? fromSerializableJson(toSerializableJson(db)) : fromEdnDump(toEdnDump(db));
  if (again.datoms(IndexOrder::EAVT).size() != db.datoms(IndexOrder::EAVT).size())
    fuzz::violated("writing and reading the text form changed the datom count");
  return 0;
}
