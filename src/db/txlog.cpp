#include "db/txlog.h"

#include <algorithm>

#include "core/encoding.h"
#include "core/error.h"
#include "db/db_internal.h"

namespace datalite {

LoggedTx logTransaction(const TxReport& report) {
  const Db& before = report.dbBefore;
  const Db& after = report.dbAfter;
  LoggedTx log;
  log.tx = report.tx;
  log.maxEid = after.maxEid();
  log.lastTxInstant = dbParts(after).lastTxInstant;
  if (after.schemaPtr() != before.schemaPtr()) log.schema = after.schemaPtr();
  log.datoms.reserve(report.txData.size());
  const index::BTree& eavt = before.currentTree(IndexOrder::EAVT);
  std::string key;
  for (const Datom& d : report.txData) {
    LoggedDatom l;
    l.e = d.e;
    l.a = d.a;
    l.added = d.added;
    l.venc = encodeValue(d.v);
    if (!d.added) {
      // The assertion being retracted is in the db before: its tx goes into
      // the temporal keys.
      key.clear();
      appendKey(IndexOrder::EAVT, d.e, d.a, l.venc, 0, key);
      key.resize(splitKey(IndexOrder::EAVT, key, false).txOffset);
      auto it = eavt.lowerBound(key);
      if (!it.valid() || it.key().substr(0, key.size()) != key)
        raise(ErrorCode::StoreError, "transaction log: retracted datom of entity " + std::to_string(d.e) +
                                         " not found in the db before");
      l.assertedTx = splitKey(IndexOrder::EAVT, it.key(), false).tx;
    }
    log.datoms.push_back(std::move(l));
  }
  return log;
}

Db replayTransaction(const Db& before, const LoggedTx& tx) {
  DbParts p = dbParts(before);
  if (tx.schema) p.schema = tx.schema;
  const Schema& schema = *p.schema;
  internal::EditBatch batch;
  int64_t added = 0, retracted = 0;
  for (const LoggedDatom& d : tx.datoms) {
    if (!schema.has(d.a))
      raise(ErrorCode::StoreError, "transaction log: unknown attribute id " + std::to_string(d.a));
    const Attribute& attr = schema.get(d.a);
    if (d.added) {
      batch.add(d.e, d.a, d.venc, tx.tx, attr.isRef());
      ++added;
    } else {
      batch.retract(d.e, d.a, d.venc, d.assertedTx, tx.tx, attr.isRef(), p.keepHistory && !attr.noHistory);
      ++retracted;
    }
  }
  batch.applyTo(p.current, p.temporal);
  p.count = p.count + static_cast<uint64_t>(added) - static_cast<uint64_t>(retracted);
  p.maxTx = tx.tx;
  p.maxEid = std::max(p.maxEid, tx.maxEid);
  p.lastTxInstant = std::max(p.lastTxInstant, tx.lastTxInstant);
  return assembleDb(std::move(p));
}

DbParts dbParts(const Db& db) {
  DbParts p;
  p.schema = db.schema_;
  for (int i = 0; i < kIndexCount; ++i) {
    p.current[i] = db.current_[i];
    p.temporal[i] = db.temporal_[i];
  }
  p.maxEid = db.maxEid_;
  p.maxTx = db.maxTx_;
  p.lastTxInstant = db.lastTxInstant_;
  p.count = db.count_;  // views share the current count
  p.keepHistory = db.keepHistory_;
  p.options = db.options_;
  return p;
}

Db assembleDb(DbParts p) {
  Db db;
  db.schema_ = std::move(p.schema);
  for (int i = 0; i < kIndexCount; ++i) {
    db.current_[i] = std::move(p.current[i]);
    db.temporal_[i] = std::move(p.temporal[i]);
  }
  db.maxEid_ = p.maxEid;
  db.maxTx_ = p.maxTx;
  db.lastTxInstant_ = p.lastTxInstant;
  db.count_ = p.count;
  db.keepHistory_ = p.keepHistory;
  db.options_ = p.options;
  db.options_.keepHistory = p.keepHistory;
  return db;
}

}  // namespace datalite
