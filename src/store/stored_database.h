// StoredDatabase: one database kept in a Store, with copy-on-write commits,
// a tail of recent transactions, lazy loading and garbage collection
// (docs/adr/0009-storage.md).
//
// A commit never rewrites what is stored. Small transactions go to the tail:
// one small node per commit holding the transaction's datoms (linked to the
// previous tail node), plus a new root record. When the tail grows past its
// limits, a checkpoint writes the index nodes changed since the last one
// (only those: nodes remember their address) and starts an empty tail.
// Opening reads the root record, the schema node, the index roots and the
// tail, and replays the tail; every other node loads on first touch through
// a NodeCache with a byte budget.
//
// Threads: one thread at a time calls the methods below (the writer); any
// number of threads may read db values of this store meanwhile, loading
// nodes concurrently (tests/store/concurrency_stress_test.cpp), except
// during evict().
//
// Root record (little-endian, 228 bytes):
//   "DLRT" | u16 version (1) | u16 flags (bit 0: keepHistory) | u64 sequence |
//   i64 maxEid | i64 maxTx | i64 lastTxInstant | u64 datom count |
//   u32 leafBytes | u32 branchFanout | schema address (16) |
//   8 x index root address (16; EAVT AEVT AVET VAET current, then temporal) |
//   tail head address (16) | u32 tail transactions | u32 tail datoms | u32 crc32
// The metadata describes the checkpointed trees; the tail's records carry
// their own. Null addresses (all zero) mean "none" / empty tree.
// Schema node: 'S' | version | the snapshot attribute table | crc32.
// Tail node:   'T' | version | previous tail address (16) | tx record | crc32
//   tx record = varint tx | varint maxEid | zigzag varint lastTxInstant |
//               schema address (16, null: unchanged) | varint datom count |
//               datoms: flag byte (1 added) | varint e | varint attribute id |
//                       varint value length | value bytes |
//                       varint asserted tx (retractions only)
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "db/db.h"
#include "store/store.h"

namespace datalite::store {

struct StorageOptions {
  size_t cacheBytes = size_t{64} << 20;  // budget for loaded nodes
  uint32_t tailMaxTxs = 256;             // checkpoint when the tail holds more transactions
  uint32_t tailMaxDatoms = 8192;         // ... or more datoms
};

struct CommitInfo {
  uint64_t nodesWritten = 0;
  uint64_t bytesWritten = 0;  // node bytes + root record
  bool checkpoint = false;
};

struct StorageStats {
  uint64_t commits = 0, checkpoints = 0, nodesWritten = 0, bytesWritten = 0;
  uint32_t tailTxs = 0, tailDatoms = 0;
  size_t cacheResidentBytes = 0, cacheResidentNodes = 0, cacheBudgetBytes = 0;
  uint64_t nodesLoaded = 0;
};

class StoredDatabase {
 public:
  StoredDatabase(std::shared_ptr<Store> store, StorageOptions options = {});
  ~StoredDatabase();

  // The stored db (tail replayed), or nothing for an empty store. Throws
  // store-error for a corrupt root record or missing/corrupt nodes.
  std::optional<Db> open();

  // Stores `db` as the new root with an empty tail (bulk loads, close).
  CommitInfo checkpoint(const Db& db);
  // Stores report.dbAfter as the new root; report.dbBefore must be the
  // current root. Appends to the tail, or checkpoints when it is full.
  CommitInfo commit(const TxReport& report);
  // Makes every commit so far durable (Store::sync).
  void sync();
  // Makes `db`, a value committed here earlier, the current root again, as
  // a new root record that points at its trees and tail: a strict
  // transaction whose sync failed is undone this way, so that a later sync
  // (stores retry failed ones) cannot make it durable after all. Nodes
  // written since stay behind as garbage for gc(). A db that is no longer
  // among the last kRecentRoots commits is checkpointed afresh instead,
  // every node rewritten.
  CommitInfo revert(const Db& db);

  // Deletes every node reachable neither from the current root nor from
  // `live` (db values still in use); syncs first. Returns nodes removed.
  size_t gc(std::span<const Db* const> live);

  // Unloads nodes beyond the cache budget. Only at a quiescent point (no
  // iterator alive over any db of this store, no read or transaction
  // running on another thread); other threads may hold and drop db values.
  size_t evict(bool all = false);

  StorageStats stats() const;
  Store& store() { return *store_; }
  uint32_t storeId() const { return storeId_; }
  const std::shared_ptr<index::NodeCache>& cache() const { return cache_; }
  void setCacheBytes(size_t bytes);

 private:
  struct Root;
  struct Recent;
  class Reader;
  static constexpr size_t kRecentRoots = 64;
  void remember(int64_t basisTx, bool checkpoint);
  void writeRoot(const Db& db);
  NodeAddress putNode(std::string bytes, CommitInfo& info);
  NodeAddress storeSchema(const Schema& schema, CommitInfo& info);

  std::shared_ptr<Store> store_;
  StorageOptions options_;
  uint32_t storeId_;
  std::shared_ptr<index::NodeCache> cache_;
  std::unique_ptr<Root> root_;  // the current root record, decoded
  std::shared_ptr<const Schema> storedSchema_;  // the latest stored schema
  NodeAddress storedSchemaAddr_;                // ... and its node
  bool rewriteAll_ = false;     // a write failed: the store may lack nodes we think stored
  std::vector<Recent> recent_;  // the last roots written, oldest first (for revert)
  StorageStats stats_;
};

}  // namespace datalite::store
