// Stored databases: one record of a real store — the root record or any
// node (index leaf or branch, schema node, tail node) — is replaced by the
// input; the fuzz build skips checksum and address checks so the bytes reach
// the decoders. Opening, reading every index and committing on top must
// either work or fail with DataliteError (store-error). Input: one byte
// picking the record (0: the root), then its replacement bytes.
#include "store_fixture.h"

using namespace datalite;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const fuzz::StoreImage image = fuzz::buildStoreImage();
  if (size == 0) return 0;
  size_t victim = data[0] % (image.nodes.size() + 1);
  std::string_view replacement = fuzz::asText(data + 1, size - 1);

  auto mem = std::make_shared<store::MemoryStore>();
  size_t i = 1;
  for (const auto& [hex, node] : image.nodes)
    mem->put(node.first, i++ == victim ? replacement : std::string_view(node.second));
  mem->writeRoot(victim == 0 ? replacement : std::string_view(image.root));
  mem->sync();

  store::StorageOptions options;
  options.cacheBytes = 4096;  // tiny: eviction runs between the steps below
  store::StoredDatabase sd(mem, options);
  fuzz::expectSuccessOrError([&] {
    std::optional<Db> db = sd.open();
    if (!db) return;
    for (auto order : {IndexOrder::EAVT, IndexOrder::AEVT, IndexOrder::AVET, IndexOrder::VAET}) {
      fuzz::expectSuccessOrError([&] { db->datoms(order); });
      sd.evict();
    }
    fuzz::expectSuccessOrError([&] { db->history().datoms(IndexOrder::EAVT); });
    TxOptions tx;
    tx.txInstantMs = 1'800'000'000'000;
    TxReport r = db->transact(edn::readOne("[[:db/add 3 :age 1] {:name \"fuzz\" :friend 4}]").items(), tx);
    sd.commit(r);
    sd.checkpoint(r.dbAfter);
    const Db* live[] = {&r.dbAfter};
    sd.gc(live);
  });
  return 0;
}
