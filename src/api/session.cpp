#include "api/session.h"
#include "restore/restore.h"
#include "store/stored_database.h"

#include <cstring>
#include <new>

#include "api/wire.h"
#include "core/error.h"
#include "edn/edn.h"
#include "pull/entity.h"
#include "pull/pull.h"
#include "query/parser.h"
#include "query/query.h"
#include "serial/serial.h"

namespace datalite::api {

namespace {

constexpr size_t kParseCacheLimit = 256;  // parsed queries/patterns kept by text
constexpr uint64_t kMaxSeekChunk = 1'000'000;

// EDN text arrives as a wire string; forms may also arrive as values.
Value formOf(const Value& v) {
  if (v.isString()) return edn::readOne(v.asString());
  return v;
}

std::vector<Value> txDataOf(const Value& v) {
  Value form = formOf(v);
  if (form.isNil()) return {};
  if (!form.isSequential()) raise(ErrorCode::InvalidInput, "tx-data must be a vector or list, got " + edn::print(form));
  return form.items();
}

IndexOrder indexOf(const Value& v) {
  IndexOrder order;
  std::string_view name = v.isKeyword() ? v.asKeyword().str() : v.isString() ? v.asString() : std::string_view();
  if (!name.empty() && name[0] == ':') name.remove_prefix(1);
  if (!parseIndexOrder(name, order))
    raise(ErrorCode::InvalidInput, "Unknown index " + edn::print(v) + " (expected eavt, aevt, avet or vaet)");
  return order;
}

std::vector<Value> itemsOf(const Value& v, const char* what) {
  if (v.isNil()) return {};
  if (!v.isSequential()) raise(ErrorCode::InvalidInput, std::string(what) + " must be a vector");
  return v.items();
}

}  // namespace

struct Session::Cursor {
  Db db;  // keeps the tree nodes the cursor's keys point into alive
  std::optional<Db::Cursor> cursor;
};

class Session::Request : public WireReader {
 public:
  Request(Session& s, std::string_view bytes) : WireReader(bytes, &s.keywords_), session_(s) {}
  const Db& db() { return session_.db(static_cast<uint32_t>(varint())); }

 private:
  Session& session_;
};

Session::Session() = default;
Session::~Session() = default;

char* Session::requestBuffer(size_t n) {
  if (request_.size() < n) request_.resize(n);
  return request_.data();
}

query::QueryOptions Session::queryOptions() const {
  query::QueryOptions o;
  o.maxRows = static_cast<size_t>(limits_.maxQueryRows);
  o.maxRuleIterations = static_cast<size_t>(limits_.maxRuleSteps);
  return o;
}

pull::PullOptions Session::pullOptions() const {
  pull::PullOptions o;
  o.maxDepth = static_cast<uint32_t>(limits_.maxPullDepth);
  o.maxEntities = limits_.maxPullEntities;
  return o;
}

uint32_t Session::adopt(Db db) {
  uint32_t h = nextHandle_++;
  if (nextHandle_ == 0) nextHandle_ = 1;  // 0 is never a handle
  dbs_.emplace(h, std::move(db));
  return h;
}

const Db& Session::db(uint32_t handle) const {
  auto it = dbs_.find(handle);
  if (it == dbs_.end()) raise(ErrorCode::InvalidInput, "Db value was disposed (handle " + std::to_string(handle) + ")");
  return it->second;
}

uint32_t Session::schemaVersion(const Db& db) {
  std::shared_ptr<const Schema> schema = db.schemaPtr();
  auto it = schemaVersions_.find(schema.get());
  if (it != schemaVersions_.end() && !it->second.first.expired()) return it->second.second;
  if (schemaVersions_.size() > 1024) {
    for (auto i = schemaVersions_.begin(); i != schemaVersions_.end();)
      i = i->second.first.expired() ? schemaVersions_.erase(i) : std::next(i);
  }
  uint32_t v = nextSchemaVersion_++;
  schemaVersions_[schema.get()] = {std::weak_ptr<const void>(schema), v};
  return v;
}

void Session::writeDbRef(WireWriter& out, uint32_t handle) {
  out.varint(handle);
  out.varint(schemaVersion(db(handle)));
}

std::shared_ptr<const query::Query> Session::parsedQuery(const Value& form) {
  if (!form.isString()) return std::make_shared<const query::Query>(query::parseQuery(form));
  std::string text(form.asString());
  auto it = queryCache_.find(text);
  if (it != queryCache_.end()) return it->second;
  auto parsed = std::make_shared<const query::Query>(query::parseQuery(edn::readOne(text)));
  if (queryCache_.size() >= kParseCacheLimit) queryCache_.clear();
  queryCache_.emplace(std::move(text), parsed);
  return parsed;
}

std::shared_ptr<const pull::Pattern> Session::parsedPattern(const Value& form) {
  if (!form.isString()) return std::make_shared<const pull::Pattern>(pull::parsePattern(form));
  std::string text(form.asString());
  auto it = patternCache_.find(text);
  if (it != patternCache_.end()) return it->second;
  auto parsed = std::make_shared<const pull::Pattern>(pull::parsePattern(edn::readOne(text)));
  if (patternCache_.size() >= kParseCacheLimit) patternCache_.clear();
  patternCache_.emplace(std::move(text), parsed);
  return parsed;
}

std::string_view Session::call(uint32_t op, std::string_view request) {
  response_.clear();
  WireWriter out(response_);
  out.raw(std::string_view("\0\0\0\0\0", 5));  // length + status, patched below
  auto fail = [&](std::string_view code, std::string_view message) {
    out.rewind(4);
    out.byte(1);
    out.text(code);
    out.text(message);
  };
  try {
    Request in(*this, request);
    dispatch(op, in, out);
    if (out.size() > limits_.maxResultBytes)
      raise(ErrorCode::LimitExceeded, "the result takes " + std::to_string(out.size()) +
                                          " bytes, more than maxResultBytes (" +
                                          std::to_string(limits_.maxResultBytes) + ")");
    // A quiet moment (no cursor holds tree positions): loaded nodes beyond
    // the cache budgets can go.
    if (cursors_.empty())
      for (auto& [handle, stored] : storages_) stored->evict();
  } catch (const DataliteError& e) {
    fail(e.codeName(), e.what());
  } catch (const std::bad_alloc&) {
    fail(errorCodeName(ErrorCode::LimitExceeded),
         "Out of memory: the call needed more heap than maxMemoryBytes (or the wasm maximum) allows; nothing changed");
  } catch (const std::exception& e) {
    fail(errorCodeName(ErrorCode::InvalidInput), e.what());
  }
  out.finish();
  uint32_t n = static_cast<uint32_t>(response_.size() - 4);
  for (int i = 0; i < 4; ++i) response_[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  return response_;
}

void Session::writeTxReport(WireWriter& out, const TxReport& report) {
  writeDbRef(out, adopt(report.dbAfter));
  out.varint(static_cast<uint64_t>(report.tx));
  out.varint(report.tempids.size());
  for (const auto& [tempid, eid] : report.tempids) {
    out.value(tempid);
    out.varint(static_cast<uint64_t>(eid));
  }
  out.varint(report.txData.size());
  for (const Datom& d : report.txData) out.datom(report.dbAfter, d);
}

void Session::dispatch(uint32_t opCode, Request& in, WireWriter& out) {
  auto writeDatoms = [&](const Db& db, const std::vector<Datom>& datoms) {
    out.varint(datoms.size());
    for (const Datom& d : datoms) out.datom(db, d);
  };
  // Streams a cursor's datoms: the count goes first, so they are written to
  // a side buffer with its own keyword table (the reader meets it after the
  // count).
  auto writeCursor = [&](const Db& db, Db::Cursor c) {
    std::string body;
    uint64_t n = 0;
    {
      WireWriter side(body);
      for (; c.valid(); c.next(), ++n) side.datom(db, c.datom());
    }
    out.varint(n);
    out.raw(body);
  };
  if ((opCode >= static_cast<uint32_t>(Op::StoreOpen) && opCode <= static_cast<uint32_t>(Op::Restore)) ||
      opCode == static_cast<uint32_t>(Op::StoreRevert))
    return dispatchStore(static_cast<Op>(opCode), in, out);
  switch (static_cast<Op>(opCode)) {
    case Op::EmptyDb: {
      Value schema = formOf(in.value());
      DbOptions options;
      options.keepHistory = in.byte() != 0;
      in.expectEnd();
      writeDbRef(out, adopt(Db::empty(schema, options)));
      return;
    }
    case Op::Release: {
      uint32_t h = static_cast<uint32_t>(in.varint());
      dbs_.erase(h);
      return;
    }
    case Op::Transact:
    case Op::With: {
      const Db& db = in.db();
      std::vector<Value> txData = txDataOf(in.value());
      TxOptions options;
      options.txMeta = formOf(in.value());
      if (!options.txMeta.isNil() && !options.txMeta.isMap())
        raise(ErrorCode::InvalidInput, "tx meta must be a map, got " + edn::print(options.txMeta));
      if (static_cast<Op>(opCode) == Op::With) {
        in.expectEnd();
        writeDbRef(out, adopt(db.with(txData, options)));
        return;
      }
      options.txInstantMs = in.signedVarint();
      in.expectEnd();
      TxReport report = db.transact(txData, options);
      writeTxReport(out, report);
      return;
    }
    case Op::Query:
    case Op::Explain: {
      Value form = in.value();
      auto parsed = parsedQuery(form);
      uint64_t argc = in.varint();
      if (argc > 4096) raise(ErrorCode::InvalidInput, "Too many query inputs");
      std::vector<query::QueryArg> args;
      args.reserve(argc);
      for (uint64_t i = 0; i < argc; ++i) {
        if (in.byte() == 0) {
          args.push_back(query::QueryArg::database(in.db()));
          continue;
        }
        Value v = in.value();
        // Rules may come as EDN text, as every other part of a query.
        bool rulesSlot = i < parsed->inputs.size() && parsed->inputs[i].kind == query::Input::Kind::Rules;
        args.push_back(query::QueryArg::data(rulesSlot ? formOf(v) : v));
      }
      in.expectEnd();
      if (static_cast<Op>(opCode) == Op::Explain) {
        Value queryForm = form.isString() ? parsed->form : form;
        out.value(query::explain(queryForm, args, queryOptions()));
        return;
      }
      query::QueryResult r = query::execute(*parsed, args, queryOptions());
      auto writeRow = [&](size_t row) {
        const Value* cells = r.cells.data() + row * r.width;
        if (r.keysKind == query::Query::Keys::None) {
          out.tag(WireTag::Vector);
          out.varint(r.width);
          for (size_t k = 0; k < r.width; ++k) out.value(cells[k]);
          return;
        }
        // :keys/:strs/:syms rows become JS objects keyed by the bare names.
        out.tag(WireTag::Map);
        out.varint(r.width);
        for (size_t k = 0; k < r.width; ++k) {
          out.tag(WireTag::String);
          out.text(r.keys[k]);
          out.value(cells[k]);
        }
      };
      switch (r.shape) {
        case query::Query::Shape::Scalar:
          out.value(r.cells.empty() ? Value() : r.cells[0]);
          break;
        case query::Query::Shape::Tuple:
          if (r.cells.empty()) out.value(Value());
          else writeRow(0);
          break;
        case query::Query::Shape::Collection:
          out.tag(WireTag::Vector);
          out.varint(r.cells.size());
          for (const Value& v : r.cells) out.value(v);
          break;
        case query::Query::Shape::Relation:
          out.tag(WireTag::Vector);
          out.varint(r.rows());
          for (size_t i = 0; i < r.rows(); ++i) writeRow(i);
          break;
      }
      return;
    }
    case Op::Pull: {
      const Db& db = in.db();
      auto pattern = parsedPattern(in.value());
      Value eid = in.value();
      in.expectEnd();
      out.value(pull::pull(db, *pattern, eid, pullOptions()));
      return;
    }
    case Op::PullMany: {
      const Db& db = in.db();
      auto pattern = parsedPattern(in.value());
      std::vector<Value> eids = itemsOf(in.value(), "pullMany ids");
      in.expectEnd();
      std::vector<Value> results = pull::pullMany(db, *pattern, eids, pullOptions());
      out.tag(WireTag::Vector);
      out.varint(results.size());
      for (const Value& v : results) out.value(v);
      return;
    }
    case Op::EntityId: {
      const Db& db = in.db();
      Value ref = in.value();
      in.expectEnd();
      std::optional<pull::Entity> e = pull::Entity::of(db, ref);
      out.varint(e ? static_cast<uint64_t>(e->id()) : 0);
      return;
    }
    case Op::EntityGet: {
      const Db& db = in.db();
      int64_t eid = static_cast<int64_t>(in.varint());
      Value attr = in.value();
      in.expectEnd();
      if (!attr.isKeyword()) raise(ErrorCode::InvalidInput, "entity attribute must be a keyword, got " + edn::print(attr));
      Keyword k = attr.asKeyword();
      bool refs = k.name().starts_with("_");
      if (!refs) {
        const Attribute* a = db.attribute(k);
        refs = a && a->isRef();
      }
      pull::Entity e = pull::Entity::of(db, eid);
      out.byte(refs ? 1 : 0);
      out.value(e.get(k));
      return;
    }
    case Op::EntityAttrs: {
      const Db& db = in.db();
      int64_t eid = static_cast<int64_t>(in.varint());
      in.expectEnd();
      // One EAVT prefix scan; the datoms of one attribute are adjacent.
      if (db.isHistory()) raise(ErrorCode::InvalidInput, "entity does not support history views");
      Value entity = Value::integer(eid);
      std::vector<Datom> datoms = db.datoms(IndexOrder::EAVT, std::span<const Value>(&entity, 1));
      size_t attrs = 0;
      for (size_t i = 0; i < datoms.size(); ++i) attrs += i == 0 || datoms[i].a != datoms[i - 1].a;
      out.varint(attrs);
      for (size_t i = 0; i < datoms.size();) {
        size_t j = i;
        while (j < datoms.size() && datoms[j].a == datoms[i].a) ++j;
        const Attribute& a = db.schema().get(datoms[i].a);
        out.keyword(a.ident);
        out.byte(static_cast<uint8_t>((a.isRef() ? 1 : 0) | (a.many ? 2 : 0)));
        if (a.many) {
          out.tag(WireTag::Vector);
          out.varint(j - i);
        }
        for (size_t k = i; k < (a.many ? j : i + 1); ++k) out.value(datoms[k].v);
        i = j;
      }
      return;
    }
    case Op::EntityTouch: {
      const Db& db = in.db();
      int64_t eid = static_cast<int64_t>(in.varint());
      in.expectEnd();
      out.value(pull::Entity::of(db, eid).touch());
      return;
    }
    case Op::Datoms: {
      const Db& db = in.db();
      IndexOrder order = indexOf(in.value());
      std::vector<Value> components = itemsOf(in.value(), "datoms components");
      in.expectEnd();
      writeCursor(db, db.datomsCursor(order, components));
      return;
    }
    case Op::SeekOpen:
    case Op::SeekNext: {
      Cursor* cursor = nullptr;
      std::unique_ptr<Cursor> opened;
      uint32_t h = 0;
      if (static_cast<Op>(opCode) == Op::SeekOpen) {
        const Db& db = in.db();
        IndexOrder order = indexOf(in.value());
        std::vector<Value> components = itemsOf(in.value(), "seekDatoms components");
        opened = std::make_unique<Cursor>();
        opened->db = db;
        opened->cursor.emplace(opened->db.seek(order, components));
        cursor = opened.get();
      } else {
        h = static_cast<uint32_t>(in.varint());
        auto it = cursors_.find(h);
        if (it == cursors_.end()) raise(ErrorCode::InvalidInput, "Cursor was closed");
        cursor = it->second.get();
      }
      uint64_t max = in.varint();
      in.expectEnd();
      if (max == 0 || max > kMaxSeekChunk) max = kMaxSeekChunk;
      // The count comes first, so the datoms go to a side buffer (with its
      // own keyword table: the reader meets it after the count).
      std::string body;
      uint64_t n = 0;
      {
        WireWriter chunk(body);
        Db::Cursor& c = *cursor->cursor;
        for (; n < max && c.valid(); ++n, c.next()) chunk.datom(cursor->db, c.datom());
      }
      if (opened) {
        // A cursor that is already exhausted is never stored (handle 0).
        if (opened->cursor->valid()) {
          h = nextHandle_++;
          cursors_.emplace(h, std::move(opened));
        }
        out.varint(h);
      }
      out.varint(n);
      out.raw(body);
      return;
    }
    case Op::SeekClose: {
      cursors_.erase(static_cast<uint32_t>(in.varint()));
      return;
    }
    case Op::IndexRange: {
      const Db& db = in.db();
      Value attr = in.value();
      Value start = in.value();
      Value end = in.value();
      in.expectEnd();
      if (!attr.isKeyword()) raise(ErrorCode::InvalidInput, "indexRange attribute must be a keyword, got " + edn::print(attr));
      writeDatoms(db, db.indexRange(attr.asKeyword(), start, end));
      return;
    }
    case Op::AsOf:
    case Op::Since: {
      const Db& db = in.db();
      Value t = in.value();
      in.expectEnd();
      bool asOf = static_cast<Op>(opCode) == Op::AsOf;
      Db view;
      if (t.kind() == Kind::Instant) view = asOf ? db.asOfInstant(t.asInstant()) : db.sinceInstant(t.asInstant());
      else if (t.kind() == Kind::Long) view = asOf ? db.asOf(t.asLong()) : db.since(t.asLong());
      else raise(ErrorCode::InvalidInput, std::string(asOf ? "asOf" : "since") + " needs a tx id or a Date, got " + edn::print(t));
      writeDbRef(out, adopt(std::move(view)));
      return;
    }
    case Op::History: {
      const Db& db = in.db();
      in.expectEnd();
      writeDbRef(out, adopt(db.history()));
      return;
    }
    case Op::Entid: {
      const Db& db = in.db();
      Value ref = in.value();
      in.expectEnd();
      // nil for a well-formed reference to nothing; a malformed one, or a
      // lookup ref through an attribute the schema lacks, is an error (as
      // entity() and transactions say).
      bool lookupRef = ref.isSequential() && ref.count() == 2 && (ref.at(0).isKeyword() || ref.at(0).isString());
      if (!(ref.isInteger() || ref.isKeyword() || lookupRef))
        raise(ErrorCode::InvalidInput, "Expected an entity id, lookup ref or ident, got " + edn::print(ref));
      if (lookupRef) {
        const Value& a = ref.at(0);
        std::string_view name = a.isKeyword() ? a.asKeyword().str() : a.asString();
        if (!name.empty() && name[0] == ':') name.remove_prefix(1);
        if (!db.attribute(Keyword::intern(name)))
          raise(ErrorCode::InvalidInput, "Lookup ref attribute should be marked as :db/unique: " + edn::print(ref));
      }
      int64_t e = db.entid(ref);
      out.value(e > 0 ? Value::integer(e) : Value());
      return;
    }
    case Op::Schema: {
      const Db& db = in.db();
      in.expectEnd();
      out.value(db.schema().toMap());
      return;
    }
    case Op::SchemaVersion: {
      const Db& db = in.db();
      in.expectEnd();
      out.varint(schemaVersion(db));
      return;
    }
    case Op::Info: {
      const Db& db = in.db();
      in.expectEnd();
      out.varint(static_cast<uint64_t>(db.maxTx()));
      out.varint(static_cast<uint64_t>(db.maxEid()));
      out.varint(db.count());
      out.byte(static_cast<uint8_t>(db.view()));
      return;
    }
    case Op::Serialize: {
      const Db& db = in.db();
      in.expectEnd();
      out.tag(WireTag::Bytes);
      out.text(serial::serializeDb(db));
      return;
    }
    case Op::Deserialize: {
      Value bytes = in.value();
      in.expectEnd();
      if (bytes.kind() != Kind::Bytes) raise(ErrorCode::InvalidInput, "deserialize needs a Uint8Array");
      writeDbRef(out, adopt(serial::deserializeDb(bytes.asString())));
      return;
    }
    case Op::ToSerializable: {
      const Db& db = in.db();
      in.expectEnd();
      out.value(Value::string(serial::toSerializableJson(db)));
      return;
    }
    case Op::FromSerializable: {
      Value json = in.value();
      in.expectEnd();
      if (!json.isString()) raise(ErrorCode::InvalidInput, "fromSerializable needs JSON text");
      writeDbRef(out, adopt(serial::fromSerializableJson(json.asString())));
      return;
    }
    case Op::ToEdn: {
      const Db& db = in.db();
      in.expectEnd();
      out.value(Value::string(serial::toEdnDump(db)));
      return;
    }
    case Op::FromEdn: {
      Value text = in.value();
      in.expectEnd();
      if (!text.isString()) raise(ErrorCode::InvalidInput, "fromEDN needs a string");
      writeDbRef(out, adopt(serial::fromEdnDump(text.asString())));
      return;
    }
    case Op::InitDb: {
      std::vector<Value> rows = itemsOf(in.value(), "initDb datoms");
      Value schema = formOf(in.value());
      DbOptions options;
      options.keepHistory = in.byte() != 0;
      in.expectEnd();
      std::vector<Db::InitDatom> datoms;
      datoms.reserve(rows.size());
      for (const Value& row : rows) {
        if (!row.isSequential() || row.count() < 3 || row.count() > 4 || !row.at(0).isInteger() ||
            !row.at(1).isKeyword() || (row.count() == 4 && !row.at(3).isInteger()))
          raise(ErrorCode::InvalidInput, "initDb datom must be [e a v tx?], got " + edn::print(row));
        datoms.push_back({row.at(0).asLong(), row.at(1).asKeyword(), row.at(2), row.count() == 4 ? row.at(3).asLong() : 0});
      }
      writeDbRef(out, adopt(Db::init(std::move(datoms), schema, options)));
      return;
    }
    case Op::Stats: {
      in.expectEnd();
      out.varint(dbs_.size());
      out.varint(cursors_.size());
      out.varint(heapBytes ? heapBytes() : 0);
      return;
    }
    case Op::SetLimits: {
      Limits next = limits_;
      uint64_t askedMemory = 0;
      for (uint64_t* field : next.fields()) {
        uint64_t asked = in.varint();  // 0: leave as is
        if (asked) *field = asked;
        if (field == &next.maxMemoryBytes) askedMemory = asked;
      }
      in.expectEnd();
      if (next.maxPullDepth > 100'000)
        raise(ErrorCode::InvalidInput, "maxPullDepth above 100000 would overflow the stack");
      if (next.maxResultBytes > (uint64_t{1} << 31))
        raise(ErrorCode::InvalidInput, "maxResultBytes above 2 GiB cannot be addressed");
      if (askedMemory && setMemoryLimit) next.maxMemoryBytes = setMemoryLimit(askedMemory);
      limits_ = next;
      for (uint64_t* field : limits_.fields()) out.varint(*field);
      return;
    }
    case Op::ReadEdn: {
      Value text = in.value();
      in.expectEnd();
      if (!text.isString()) raise(ErrorCode::InvalidInput, "readEdn needs a string");
      out.value(edn::readOne(text.asString()));
      return;
    }
  }
  raise(ErrorCode::InvalidInput, "Unknown operation " + std::to_string(opCode));
}

// ---- stored databases ---------------------------------------------------------

uint32_t Session::attachStore(std::shared_ptr<store::Store> store) {
  uint32_t id = nextHandle_++;
  attachedStores_.emplace(id, std::move(store));
  return id;
}

store::StoredDatabase& Session::storage(uint64_t handle) {
  auto it = storages_.find(static_cast<uint32_t>(handle));
  if (it == storages_.end()) raise(ErrorCode::Closed, "The database connection is closed");
  return *it->second;
}

namespace {
void writeCommit(WireWriter& out, const store::CommitInfo& info) {
  out.varint(info.nodesWritten);
  out.varint(info.bytesWritten);
  out.byte(info.checkpoint ? 1 : 0);
}
}  // namespace

void Session::dispatchStore(Op op, Request& in, WireWriter& out) {
  switch (op) {
    case Op::StoreOpen: {
      uint32_t storeId = static_cast<uint32_t>(in.varint());
      store::StorageOptions options;
      options.cacheBytes = static_cast<size_t>(in.varint());
      uint64_t tailMaxTxs = in.varint();
      if (tailMaxTxs) options.tailMaxTxs = static_cast<uint32_t>(std::min<uint64_t>(tailMaxTxs, 1u << 20));
      Value schema = formOf(in.value());
      DbOptions dbOptions;
      dbOptions.keepHistory = in.byte() != 0;
      in.expectEnd();
      auto attached = attachedStores_.find(storeId);
      if (attached == attachedStores_.end()) raise(ErrorCode::InvalidInput, "Unknown store " + std::to_string(storeId));
      auto stored = std::make_unique<store::StoredDatabase>(attached->second, options);
      attachedStores_.erase(attached);
      std::optional<Db> db = stored->open();
      bool created = !db;
      if (created) {
        db = Db::empty(schema, dbOptions);
        stored->checkpoint(*db);
        stored->sync();
      }
      uint32_t handle = nextHandle_++;
      storages_.emplace(handle, std::move(stored));
      out.varint(handle);
      writeDbRef(out, adopt(*db));
      out.byte(created ? 1 : 0);
      return;
    }
    case Op::StoreTransact: {
      store::StoredDatabase& stored = storage(in.varint());
      const Db& db = in.db();
      std::vector<Value> txData = txDataOf(in.value());
      TxOptions options;
      options.txMeta = formOf(in.value());
      if (!options.txMeta.isNil() && !options.txMeta.isMap())
        raise(ErrorCode::InvalidInput, "tx meta must be a map, got " + edn::print(options.txMeta));
      options.txInstantMs = in.signedVarint();
      in.expectEnd();
      TxReport report = db.transact(txData, options);
      store::CommitInfo info = stored.commit(report);  // throws: nothing was published
      writeTxReport(out, report);
      writeCommit(out, info);
      return;
    }
    case Op::StoreCheckpoint: {
      store::StoredDatabase& stored = storage(in.varint());
      const Db& db = in.db();
      in.expectEnd();
      writeCommit(out, stored.checkpoint(db));
      return;
    }
    case Op::StoreRevert: {
      store::StoredDatabase& stored = storage(in.varint());
      const Db& db = in.db();
      in.expectEnd();
      writeCommit(out, stored.revert(db));
      return;
    }
    case Op::StoreSync: {
      store::StoredDatabase& stored = storage(in.varint());
      in.expectEnd();
      stored.sync();
      return;
    }
    case Op::StoreGc: {
      store::StoredDatabase& stored = storage(in.varint());
      in.expectEnd();
      std::vector<const Db*> live;
      live.reserve(dbs_.size());
      for (const auto& [handle, db] : dbs_) live.push_back(&db);
      out.varint(stored.gc(live));
      return;
    }
    case Op::StoreClose: {
      uint64_t handle = in.varint();
      in.expectEnd();
      auto it = storages_.find(static_cast<uint32_t>(handle));
      if (it == storages_.end()) return;  // closing twice is fine
      it->second->sync();
      storages_.erase(it);
      return;
    }
    case Op::StoreStats: {
      store::StoredDatabase& stored = storage(in.varint());
      in.expectEnd();
      store::StorageStats s = stored.stats();
      for (uint64_t v : {s.commits, s.checkpoints, s.nodesWritten, s.bytesWritten, uint64_t(s.tailTxs),
                         uint64_t(s.tailDatoms), uint64_t(s.cacheResidentBytes), uint64_t(s.cacheResidentNodes),
                         uint64_t(s.cacheBudgetBytes), s.nodesLoaded})
        out.varint(v);
      return;
    }
    case Op::StoreLoad: {
      store::StoredDatabase& stored = storage(in.varint());
      const Db& db = in.db();
      std::vector<Value> rows = itemsOf(in.value(), "load datoms");
      in.expectEnd();
      std::vector<Db::InitDatom> datoms;
      datoms.reserve(rows.size());
      for (const Value& row : rows) {
        if (!row.isSequential() || row.count() < 3 || row.count() > 4 || !row.at(0).isInteger() ||
            !row.at(1).isKeyword() || (row.count() == 4 && !row.at(3).isInteger()))
          raise(ErrorCode::InvalidInput, "load datom must be [e a v tx?], got " + edn::print(row));
        datoms.push_back({row.at(0).asLong(), row.at(1).asKeyword(), row.at(2), row.count() == 4 ? row.at(3).asLong() : 0});
      }
      if (db.count() == 0) {
        // Bulk path: indexes built bottom-up, stored in one checkpoint.
        Db loaded = Db::initWithSchema(std::move(datoms), db.schemaPtr(), db.options(), db.maxEid(), db.maxTx());
        store::CommitInfo info = stored.checkpoint(loaded);
        writeDbRef(out, adopt(loaded));
        writeCommit(out, info);
        return;
      }
      // A db with data: the datoms go in as one transaction.
      std::vector<Value> txData;
      txData.reserve(datoms.size());
      for (auto& d : datoms)
        txData.push_back(Value::vector({Value::keyword("db/add"), Value::integer(d.e), Value::keyword(d.a), d.v}));
      TxReport report = db.transact(txData);
      store::CommitInfo info = stored.commit(report);
      writeDbRef(out, adopt(report.dbAfter));
      writeCommit(out, info);
      return;
    }
    case Op::StoreSetCache: {
      store::StoredDatabase& stored = storage(in.varint());
      stored.setCacheBytes(static_cast<size_t>(in.varint()));
      in.expectEnd();
      return;
    }
    case Op::Restore: {
      const Db& source = in.db();
      restore::Options o;
      o.twoPass = in.byte() != 0;
      o.maxBatchSize = static_cast<size_t>(in.varint());
      o.readParallelism = static_cast<unsigned>(std::min<uint64_t>(in.varint(), 256));
      o.readChunk = static_cast<size_t>(in.varint());
      o.txParallelism = static_cast<unsigned>(std::min<uint64_t>(in.varint(), 256));
      o.progressEveryBatches = static_cast<unsigned>(std::min<uint64_t>(in.varint(), 1u << 20));
      in.expectEnd();
      // Within the host's thread budget: readers + workers run together.
      o.threads = maxThreads >= 2;
      if (o.threads) {
        unsigned readers = o.readParallelism ? o.readParallelism : std::max(1u, maxThreads / 2);
        unsigned workers = std::max(1u, o.txParallelism);
        while (readers + workers > maxThreads) (workers > readers ? workers : readers)--;
        o.readParallelism = std::max(1u, readers);
        o.txParallelism = std::max(1u, workers);
      }
      auto flatten = [](const restore::Metrics& m) {
        return std::vector<double>{double(m.datomsRead), double(m.datomsWritten), double(m.pendingCount),
                                   double(m.batches), m.lastTxMs, m.avgTxMs, m.batchEfficiency, m.utilizationPct,
                                   m.elapsedMs};
      };
      if (restoreProgress) o.onProgress = [&](const restore::Metrics& m) { restoreProgress(flatten(m)); };
      // A stored source reads its nodes from the host's store on this thread
      // only: load them before the pipeline's threads read.
      if (o.threads)
        for (int i = 0; i < kIndexCount; ++i) source.currentTree(static_cast<IndexOrder>(i)).loadAll();
      restore::Result r = restore::restore(source, o);
      writeDbRef(out, adopt(r.db));
      std::vector<double> m = flatten(r.metrics);
      for (int i = 0; i < 4; ++i) out.varint(static_cast<uint64_t>(m[i]));
      for (int i = 4; i < 9; ++i) out.value(Value::real(m[i]));
      out.value(Value::real(r.durationSec));
      out.varint(r.oldToNew.size());
      for (int64_t id : r.oldToNew) out.varint(static_cast<uint64_t>(id));
      return;
    }
    default:
      raise(ErrorCode::InvalidInput, "Unknown operation " + std::to_string(static_cast<uint32_t>(op)));
  }
}

}  // namespace datalite::api
