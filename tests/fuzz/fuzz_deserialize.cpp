// Binary snapshots (d.deserialize): any bytes either give a db whose indexes
// are consistent and which serializes back to a db with the same datoms, or
// fail with DataliteError.
#include "fuzz_support.h"
#include "serial/serial.h"

using namespace datalite;
using namespace datalite::serial;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Db db;
  try {
    db = deserializeDb(fuzz::asText(data, size));
  } catch (const DataliteError&) {
    return 0;
  }
  fuzz::checkDbInvariants(db);
  std::string bytes = serializeDb(db);
  Db again = deserializeDb(bytes);
  if (!fuzz::sameDatoms(again, db))
    fuzz::violated("serialize(deserialize(x)) changed the datoms");
  return 0;
}
