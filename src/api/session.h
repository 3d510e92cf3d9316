// Session: the engine as the JS package sees it, one request buffer in and
// one response buffer out per call (wire.h), with Db values and cursors held
// in handle tables. wasm/bindings.cpp exposes exactly this to JS; keeping it
// here, free of Emscripten, lets the native tests cover the whole boundary.
//
// Response layout: u32 little-endian length of what follows, a status byte
// (0 ok, 1 error), then either the op's payload or, for errors, the error
// code and message as wire texts.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "api/wire.h"
#include "db/db.h"

namespace datalite::store {
class Store;
class StoredDatabase;
}  // namespace datalite::store

namespace datalite::query {
struct Query;
struct QueryOptions;
}  // namespace datalite::query
namespace datalite::pull {
class Pattern;
struct PullOptions;
}  // namespace datalite::pull

namespace datalite::api {

// Request and response payloads are listed next to each op; "db" in a
// request is a handle varint, "dbref" in a response is a handle varint and
// a schema version varint (equal versions: same schema).
enum class Op : uint32_t {
  EmptyDb = 1,         // schema (nil | map | EDN string), keepHistory byte -> dbref
  Release = 2,         // db -> ()
  Transact = 3,        // db, txData, txMeta, txInstant signed varint (-1: now) -> dbref, tx, tempids, datoms
  With = 4,            // db, txData, txMeta -> dbref
  Query = 5,           // query, argc, args (byte 0 + db | byte 1 + value) -> result
  Explain = 6,         // same as Query -> plan value
  Pull = 7,            // db, pattern, eid -> value
  PullMany = 8,        // db, pattern, eids vector -> vector
  EntityId = 9,        // db, eid or lookup ref -> entity id (0: none)
  EntityGet = 10,      // db, eid varint, attr -> byte (1: refs inside), value
  EntityTouch = 11,    // db, eid varint -> map
  Datoms = 12,         // db, index keyword, components vector -> datom count, datoms
  SeekOpen = 13,       // db, index keyword, components vector, max count -> cursor handle
                       // (0: exhausted already), datom count, datoms
  SeekNext = 14,       // cursor handle, max count -> datom count, datoms (fewer: exhausted)
  SeekClose = 15,      // cursor handle -> ()
  IndexRange = 16,     // db, attr, start, end -> datom count, datoms
  AsOf = 17,           // db, t (long tx or instant) -> dbref
  Since = 18,          // db, t -> dbref
  History = 19,        // db -> dbref
  Entid = 20,          // db, ident or lookup ref -> value (long or nil)
  Schema = 21,         // db -> schema map (DataScript style, keyword keys)
  Info = 22,           // db -> maxTx, maxEid, count (varints), view byte
  Serialize = 23,      // db -> bytes value
  Deserialize = 24,    // bytes value -> dbref
  ToSerializable = 25, // db -> string (JSON text)
  FromSerializable = 26, // string (JSON text) -> dbref
  ToEdn = 27,          // db -> string
  FromEdn = 28,        // string -> dbref
  InitDb = 29,         // datoms vector of [e a v tx?], schema, keepHistory byte -> dbref
  Stats = 30,          // () -> live dbs, live cursors, heap bytes (varints)
  ReadEdn = 31,        // string -> value (tests and the JS `edn` helper)
  SchemaVersion = 32,  // db -> schema version
  EntityAttrs = 33,    // db, eid varint -> count, then per attribute: keyword, flags byte
                       // (1: ref, 2: many), value (many: vector of values)
  // Stored databases (src/store). "storage" is a handle of an open
  // StoredDatabase; "commit" = nodes written, bytes written, checkpoint byte.
  StoreOpen = 34,      // attached store id, cacheBytes, tailMaxTxs (0: default), schema,
                       // keepHistory byte -> storage, dbref, created byte
  StoreTransact = 35,  // storage, then as Transact (db must be the stored current value)
                       // -> as Transact, then commit
  StoreCheckpoint = 36,  // storage, db -> commit
  StoreSync = 37,      // storage -> ()
  StoreGc = 38,        // storage -> nodes removed (every live db handle is kept readable)
  StoreClose = 39,     // storage -> () (syncs; live db values keep reading the store)
  StoreStats = 40,     // storage -> commits, checkpoints, nodesWritten, bytesWritten, tailTxs,
                       // tailDatoms, cacheResidentBytes, cacheResidentNodes, cacheBudgetBytes,
                       // nodesLoaded (varints)
  StoreLoad = 41,      // storage, db, datoms vector of [e a v tx?] -> dbref, commit
  StoreSetCache = 42,  // storage, cacheBytes -> ()
  // Current-state restore (src/restore): db, twoPass byte, maxBatchSize, readParallelism,
  // readChunk, txParallelism, progressEveryBatches -> dbref, metrics, durationSec (double
  // value), oldToNew count + varints. Metrics: datomsRead, datomsWritten, pendingCount,
  // batches (varints), lastTxMs, avgTxMs, batchEfficiency, utilizationPct, elapsedMs
  // (double values). Progress goes to `restoreProgress` during the call.
  Restore = 43,
  // Limits (Session::Limits): 6 varints in field order, 0 = leave as is ->
  // the 6 values now in force.
  SetLimits = 44,
  StoreRevert = 45,    // storage, db (committed there earlier) -> commit
};

// What one call may use before it fails with limit-exceeded (the engine
// stays usable and no db changes). Defaults in README.md "Limits".
struct Limits {
  uint64_t maxMemoryBytes = 0;          // heap ceiling; 0: the wasm maximum (host hook below)
  uint64_t maxQueryRows = 20'000'000;   // intermediate rows of one query (all relations)
  uint64_t maxRuleSteps = 100'000;      // table evaluations of one rule fixpoint
  uint64_t maxPullDepth = 256;          // nested levels of one pull result
  uint64_t maxPullEntities = 1'000'000; // entity maps built by one pull call
  uint64_t maxResultBytes = 512u << 20; // encoded size of one response

  // The fields in wire order (Op::SetLimits).
  std::array<uint64_t*, 6> fields() {
    return {&maxMemoryBytes, &maxQueryRows, &maxRuleSteps, &maxPullDepth, &maxPullEntities, &maxResultBytes};
  }
};

class Session {
 public:
  Session();
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Runs one request. The returned bytes stay valid until the next call.
  std::string_view call(uint32_t op, std::string_view request);

  // A buffer of at least n bytes for the next request (the JS side writes
  // into wasm memory here, then calls call() over it).
  char* requestBuffer(size_t n);

  // Adds a Db to the handle table (used by tests and future store code).
  uint32_t adopt(Db db);
  const Db& db(uint32_t handle) const;
  size_t liveDbs() const { return dbs_.size(); }

  // Makes a store (a JS backend behind a bridge, or a native one) available
  // to StoreOpen; returns its id.
  uint32_t attachStore(std::shared_ptr<store::Store> store);

  // Threads the host lets one call start (0: run pipelines inline). The
  // threaded wasm build has a fixed pthread pool: more threads than the pool
  // would wait for a worker the blocked main thread cannot create.
  unsigned maxThreads = 0;
  // Receives restore progress (the metrics fields, in Op::Restore order).
  std::function<void(const std::vector<double>&)> restoreProgress;

  // How the host measures its heap (wasm: mallinfo); 0 when unset.
  std::function<size_t()> heapBytes;
  // Sets the host's heap ceiling (wasm: the allocator's footprint limit;
  // 0: none below the wasm maximum) and returns the ceiling in force.
  std::function<uint64_t(uint64_t)> setMemoryLimit;

  const Limits& limits() const { return limits_; }

 private:
  struct Cursor;
  class Request;

  void dispatch(uint32_t op, Request& in, WireWriter& out);
  void writeDbRef(WireWriter& out, uint32_t handle);
  void writeTxReport(WireWriter& out, const TxReport& report);
  uint32_t schemaVersion(const Db& db);
  std::shared_ptr<const query::Query> parsedQuery(const Value& form);
  std::shared_ptr<const pull::Pattern> parsedPattern(const Value& form);
  query::QueryOptions queryOptions() const;
  pull::PullOptions pullOptions() const;

  std::unordered_map<uint32_t, Db> dbs_;
  std::unordered_map<uint32_t, std::unique_ptr<Cursor>> cursors_;
  std::unordered_map<uint32_t, std::shared_ptr<store::Store>> attachedStores_;
  std::unordered_map<uint32_t, std::unique_ptr<store::StoredDatabase>> storages_;
  store::StoredDatabase& storage(uint64_t handle);
  void dispatchStore(Op op, Request& in, WireWriter& out);
  uint32_t nextHandle_ = 1;
  std::unordered_map<const void*, std::pair<std::weak_ptr<const void>, uint32_t>> schemaVersions_;
  uint32_t nextSchemaVersion_ = 1;
  std::unordered_map<std::string, std::shared_ptr<const query::Query>> queryCache_;
  std::unordered_map<std::string, std::shared_ptr<const pull::Pattern>> patternCache_;
  std::string response_;
  std::string request_;
  Limits limits_;
  KeywordCache keywords_;
};

}  // namespace datalite::api
