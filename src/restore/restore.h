// Current-state restore (API.md section 7): copies the schema and the
// current datoms of a source db into a fresh db with new, dense entity ids,
// through a pipeline of threads:
//
//   readers (readParallelism) -- scan the source per attribute in chunks
//     | bounded mailboxes, one per worker; datoms partitioned by entity
//   tx workers (txParallelism) -- assign new ids to their entities, remap
//     |                           refs, encode the destination keys, cut
//     |                           batches of maxBatchSize datoms
//     | worker 0's mailbox (bounded)
//   committer -- applies batches in order of arrival, reports progress
//
// The calling thread is worker 0 and the committer: it builds and commits
// its own batches and commits the other workers', so with one reader and
// one worker the pipeline runs on two threads, and the caller waits only
// when no stage has work for it. The first error of any stage stops the
// others and is rethrown on the calling thread; so is an exception thrown
// by onProgress.
//
// A ref whose target has no new id yet waits in the pending index and is
// written by the worker that assigns the target its id. An entity gets its
// id with its first datom of any kind, so ref-only entities and cycles among
// them resolve; refs to entities without datoms in the source get ids at the
// end. finalPendingCount is 0 or the restore throws.
//
// Two-pass mode copies every non-ref datom first (no pending at all), then
// the refs. Composite tuples and tuples holding refs are written at the end,
// their ref components remapped (equal to rebuilding them from their
// components). Schema entities (:db/ident ...) get the first ids and keep
// their schema datoms; transaction entities (ids >= kTx0) are not data.
//
// The destination's indexes are built bottom-up from the committed batches
// (one sorted build per index, in parallel). Each batch is one destination
// transaction with a :db/txInstant; the destination has no other history.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "db/db.h"

namespace datalite::restore {

struct Metrics {
  uint64_t datomsRead = 0;
  uint64_t datomsWritten = 0;
  uint64_t pendingCount = 0;     // refs waiting for their target now
  uint64_t batches = 0;
  double lastTxMs = 0;           // committer time of the last batch
  double avgTxMs = 0;
  double batchEfficiency = 1;    // share of the datoms workers took in that went into a batch at once
  double utilizationPct = 0;     // fill of the bounded queues (sampled)
  double elapsedMs = 0;
};

struct Options {
  bool twoPass = false;
  size_t maxBatchSize = 500;
  unsigned readParallelism = 0;  // 0: available threads
  size_t readChunk = 5000;
  unsigned txParallelism = 4;
  bool threads = true;           // false: the same pipeline inline, on the calling thread
  unsigned progressEveryBatches = 10;
  std::function<void(const Metrics&)> onProgress;  // on the calling thread
  int64_t txInstantMs = -1;      // :db/txInstant of the batches (-1: now)
};

struct Result {
  Db db;
  Metrics metrics;
  double durationSec = 0;
  uint64_t finalPendingCount = 0;
  std::vector<int64_t> oldToNew;  // indexed by source entity id (< kTx0); 0: not copied
};

// Throws DataliteError: invalid-input for a non-current view or bad
// options, store-error when source nodes cannot be read.
Result restore(const Db& source, const Options& options = {});

}  // namespace datalite::restore
