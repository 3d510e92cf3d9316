// Db: an immutable database value.
//
// A Db holds the schema and two sets of persistent B+trees: the current trees
// (EAVT, AEVT, AVET for every datom, VAET for ref datoms) hold exactly the
// datoms true now, so current-state reads never look at history; the temporal
// trees hold what was retracted (the original assertion and the retraction,
// each with its tx) when history is kept. asOf/since/history are views over
// both. Copying a Db is cheap (it shares every tree node).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/value.h"
#include "db/datom.h"
#include "db/schema.h"
#include "index/btree.h"

namespace datalite {

struct DbOptions {
  bool keepHistory = true;
  index::BTreeConfig btree{};
};

class Db;
struct LoggedTx;
struct DbParts;

// A transaction function: receives the db before the transaction and the
// call's arguments, returns more tx-data.
using TxFunction = std::function<std::vector<Value>(const Db& db, std::span<const Value> args)>;
using TxFunctionRegistry = std::unordered_map<std::string, TxFunction>;

struct TxOptions {
  Value txMeta;                                  // a map asserted on the tx entity
  const TxFunctionRegistry* functions = nullptr; // for [:db.fn/call f ...] and [:f ...]
  int64_t txInstantMs = -1;                      // -1: the wall clock (kept monotonic)
};

struct TxReport;

enum class DbView : uint8_t { Current, AsOf, Since, History };

class Db {
 public:
  // An empty database with the built-in attributes only.
  Db();
  // An empty database with the built-in attributes and `schemaMap` (a
  // DataScript-style schema map or nil).
  static Db empty(const Value& schemaMap = Value(), const DbOptions& options = {});
  // Builds a database directly from prepared datoms (no transaction
  // processing): values are coerced by the schema, indexes are built bottom-up.
  // Datoms with tx 0 get one synthetic tx.
  struct InitDatom {
    int64_t e;
    Keyword a;
    Value v;
    int64_t tx = 0;
  };
  static Db init(std::vector<InitDatom> datoms, const Value& schemaMap = Value(), const DbOptions& options = {});
  // init with a ready schema whose attribute ids are kept as they are, and
  // maxEid/maxTx raised to at least minMaxEid/minMaxTx: rebuilds a snapshot
  // of a db's current state exactly (src/serial). `schema` must extend
  // Schema::bootstrap().
  static Db initWithSchema(std::vector<InitDatom> datoms, std::shared_ptr<const Schema> schema,
                           const DbOptions& options = {}, int64_t minMaxEid = 0, int64_t minMaxTx = kTx0);

  // --- transactions (a Db never changes: these return new values) ---
  TxReport transact(const std::vector<Value>& txData, const TxOptions& options = {}) const;
  Db with(const std::vector<Value>& txData, const TxOptions& options = {}) const;

  // --- views ---
  Db asOf(int64_t tx) const;          // tx ids; see asOfInstant for dates
  Db asOfInstant(int64_t ms) const;   // the db as of the last tx at or before ms
  Db since(int64_t tx) const;
  Db sinceInstant(int64_t ms) const;
  Db history() const;
  DbView view() const { return view_; }
  int64_t viewTx() const { return viewTx_; }
  bool isHistory() const { return view_ == DbView::History; }
  Db currentView() const;             // same data, no view filter

  // --- reads ---
  // Datoms of `order` whose leading components equal `components` (in index
  // order; entity positions accept ids, lookup refs and idents; attribute
  // positions keywords; values are coerced by the attribute's type).
  std::vector<Datom> datoms(IndexOrder order, std::span<const Value> components = {}) const;
  // Datoms of `order` from the first key >= components to the end of the index.
  class Cursor;
  Cursor seek(IndexOrder order, std::span<const Value> components = {}) const;
  // The datoms() of these components as a cursor (no vector built).
  Cursor datomsCursor(IndexOrder order, std::span<const Value> components = {}) const;
  // All datoms of `order` whose key starts with the raw encoded `prefix`
  // (see datom.h for the key layout); for the query engine.
  Cursor scan(IndexOrder order, std::string prefix) const;
  // Datoms (AVET) of `attr` with start <= v <= end; nil bounds are open.
  std::vector<Datom> indexRange(Keyword attr, const Value& start, const Value& end) const;
  // Entity id of an id, lookup ref [attr value] or ident keyword; 0 if none.
  int64_t entid(const Value& ref) const;
  // Like entid but throws not-found / invalid-input naming the reference.
  int64_t entidStrict(const Value& ref) const;

  // --- metadata ---
  const Schema& schema() const { return *schema_; }
  std::shared_ptr<const Schema> schemaPtr() const { return schema_; }
  int64_t maxEid() const { return maxEid_; }
  int64_t maxTx() const { return maxTx_; }
  uint64_t count() const;            // datoms visible in this view
  bool keepHistory() const { return keepHistory_; }
  const DbOptions& options() const { return options_; }
  Keyword attrIdent(AttrId a) const { return schema_->get(a).ident; }
  const Attribute* attribute(Keyword ident) const { return schema_->find(ident); }

  // Index trees, for the layers above (query, pull, storage).
  const index::BTree& currentTree(IndexOrder o) const { return current_[static_cast<int>(o)]; }
  const index::BTree& temporalTree(IndexOrder o) const { return temporal_[static_cast<int>(o)]; }
  // Heap bytes of all trees (shared nodes counted once per tree).
  size_t memoryBytes() const;

  // Value coercion by attribute type (no tempids): used by reads and the
  // query engine. Ref attributes resolve lookup refs and idents.
  Value coerceForAttribute(const Attribute& a, const Value& v) const;

 private:
  friend class TxProcessor;
  friend Db replayTransaction(const Db& before, const LoggedTx& tx);
  friend DbParts dbParts(const Db& db);
  friend Db assembleDb(DbParts parts);
  Db withView(DbView view, int64_t tx) const;

  std::shared_ptr<const Schema> schema_;
  index::BTree current_[kIndexCount];
  index::BTree temporal_[kIndexCount];
  int64_t maxEid_ = 0;
  int64_t maxTx_ = kTx0;
  int64_t lastTxInstant_ = 0;
  uint64_t count_ = 0;
  bool keepHistory_ = true;
  DbOptions options_;
  DbView view_ = DbView::Current;
  int64_t viewTx_ = 0;
};

struct TxReport {
  Db dbBefore;
  Db dbAfter;
  std::vector<Datom> txData;
  std::vector<std::pair<Value, int64_t>> tempids;  // includes :db/current-tx
  int64_t tx = 0;
};

// Iterates the datoms of one index in key order, honoring the db's view.
// The Db it came from must outlive the cursor (keys are views into its
// immutable tree nodes).
class Db::Cursor {
 public:
  bool valid() const { return valid_; }
  // The current key, its components (value still encoded) and whether it
  // comes from the temporal trees. Valid until next().
  std::string_view key() const { return key_; }
  const KeyParts& parts() const { return parts_; }
  // The decoded datom (decoded on first call).
  const Datom& datom();
  void next() { advance(); }

 private:
  friend class Db;
  // Starts at the first key >= start; stops before keys without `prefix`.
  Cursor(const Db& db, IndexOrder order, std::string_view start, std::string prefix);
  void advance();
  bool pickNext(std::string_view& key, bool& temporal);
  void emit(std::string_view key, bool temporal);

  const Db* db_;
  IndexOrder order_;
  std::string prefix_;
  index::BTree::Iterator cur_, tmp_;
  bool merge_ = false;
  std::string_view pendingKey_;  // as-of views read one key ahead
  bool pendingTemporal_ = false;
  bool hasPending_ = false;
  std::string_view key_;
  bool temporal_ = false;
  KeyParts parts_;
  Datom datom_;
  bool decoded_ = false;
  bool valid_ = false;
};

}  // namespace datalite
