// What the storage layer needs from a Db beyond its public API: a
// transaction in loggable form (to keep a tail of recent transactions
// instead of rewriting index nodes on every commit) and its replay, and a
// Db taken apart into / assembled from its stored parts.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "db/db.h"

namespace datalite {

struct LoggedDatom {
  int64_t e = 0;
  AttrId a = 0;
  std::string venc;        // encoded value, as in index keys
  int64_t assertedTx = 0;  // retractions: the tx of the assertion removed
  bool added = true;
};

struct LoggedTx {
  int64_t tx = 0;
  int64_t maxEid = 0;
  int64_t lastTxInstant = 0;
  std::shared_ptr<const Schema> schema;  // set when the transaction changed the schema
  std::vector<LoggedDatom> datoms;
};

// The loggable form of a transaction that report.dbBefore -> report.dbAfter.
LoggedTx logTransaction(const TxReport& report);
// Applies a logged transaction to the db it was logged against, giving the
// db after it (same trees, counts and metadata as the original).
Db replayTransaction(const Db& before, const LoggedTx& tx);

struct DbParts {
  std::shared_ptr<const Schema> schema;
  index::BTree current[kIndexCount];
  index::BTree temporal[kIndexCount];
  int64_t maxEid = 0;
  int64_t maxTx = kTx0;
  int64_t lastTxInstant = 0;
  uint64_t count = 0;
  bool keepHistory = true;
  DbOptions options;
};
DbParts dbParts(const Db& db);   // of the current view
Db assembleDb(DbParts parts);

}  // namespace datalite
