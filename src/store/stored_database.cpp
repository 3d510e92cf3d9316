#include "store/stored_database.h"

#include <algorithm>
#include <cstring>

#include "core/checksum.h"
#include "core/error.h"
#include "core/varint.h"
#include "db/txlog.h"
#include "serial/serial.h"

namespace datalite::store {

namespace {

constexpr char kRootMagic[4] = {'D', 'L', 'R', 'T'};
constexpr uint16_t kRootVersion = 1;
constexpr size_t kRootSize = 228;
constexpr char kSchemaTag = 'S';
constexpr char kTailTag = 'T';
constexpr uint8_t kNodeVersion = 1;

[[noreturn]] void storeError(const std::string& message) { raise(ErrorCode::StoreError, message); }

void putLE(uint64_t v, int bytes, std::string& out) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
uint64_t getLE(std::string_view s, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(s[at + i]);
  return v;
}
void putAddr(const NodeAddress& a, std::string& out) { out.append(reinterpret_cast<const char*>(a.bytes.data()), 16); }

// Reads a schema or tail node: checks address, CRC, tag and version.
class RecordReader {
 public:
  RecordReader(const NodeAddress& addr, std::string_view bytes, char tag, const char* what)
      : addr_(addr), s_(bytes), what_(what) {
    if (kVerifyChecksums && NodeAddress::of(bytes) != addr) fail("content does not match its address");
    if (s_.size() < 6 || s_[0] != tag) fail("not a " + std::string(what));
    if (kVerifyChecksums && crc32(s_.substr(0, s_.size() - 4)) != getLE(s_, s_.size() - 4, 4)) fail("checksum mismatch");
    if (static_cast<uint8_t>(s_[1]) != kNodeVersion) fail("unsupported version");
    pos_ = 2;
    end_ = s_.size() - 4;
  }
  uint8_t byte() {
    if (pos_ >= end_) fail("truncated");
    return static_cast<uint8_t>(s_[pos_++]);
  }
  uint64_t varint() {
    const auto* base = reinterpret_cast<const uint8_t*>(s_.data());
    VarintRead r = readVarint(base + pos_, base + end_);
    if (r.error != VarintError::None) fail(std::string("varint ") + describe(r.error));
    pos_ = static_cast<size_t>(r.next - base);
    return r.value;
  }
  std::string_view bytes(uint64_t n) {
    if (n > end_ - pos_) fail("truncated");
    std::string_view v = s_.substr(pos_, n);
    pos_ += n;
    return v;
  }
  NodeAddress address() {
    NodeAddress a;
    std::memcpy(a.bytes.data(), bytes(16).data(), 16);
    return a;
  }
  std::string_view rest() { return bytes(end_ - pos_); }
  void finish() {
    if (pos_ != end_) fail("trailing bytes");
  }
  [[noreturn]] void fail(const std::string& why) const {
    storeError("stored " + std::string(what_) + " " + addr_.hex() + " is corrupt: " + why);
  }

 private:
  NodeAddress addr_;
  std::string_view s_;
  const char* what_;
  size_t pos_ = 0, end_ = 0;
};

}  // namespace

struct StoredDatabase::Root {
  uint64_t seq = 0;
  int64_t maxEid = 0, maxTx = kTx0, lastTxInstant = 0;
  uint64_t count = 0;
  bool keepHistory = true;
  uint32_t leafBytes = 0, fanout = 0;
  NodeAddress schema;
  NodeAddress trees[2 * kIndexCount];
  NodeAddress tailHead;
  uint32_t tailTxs = 0, tailDatoms = 0;

  std::string encode() const {
    std::string out;
    out.reserve(kRootSize);
    out.append(kRootMagic, 4);
    putLE(kRootVersion, 2, out);
    putLE(keepHistory ? 1 : 0, 2, out);
    putLE(seq, 8, out);
    putLE(static_cast<uint64_t>(maxEid), 8, out);
    putLE(static_cast<uint64_t>(maxTx), 8, out);
    putLE(static_cast<uint64_t>(lastTxInstant), 8, out);
    putLE(count, 8, out);
    putLE(leafBytes, 4, out);
    putLE(fanout, 4, out);
    putAddr(schema, out);
    for (const NodeAddress& t : trees) putAddr(t, out);
    putAddr(tailHead, out);
    putLE(tailTxs, 4, out);
    putLE(tailDatoms, 4, out);
    appendCrc32(out);
    return out;
  }

  static Root decode(std::string_view s) {
    auto bad = [](const std::string& why) { storeError("the store's root record is corrupt: " + why); };
    if (s.size() != kRootSize) bad("size " + std::to_string(s.size()));
    if (std::memcmp(s.data(), kRootMagic, 4) != 0) bad("bad magic bytes");
    if (kVerifyChecksums && crc32(s.substr(0, kRootSize - 4)) != getLE(s, kRootSize - 4, 4)) bad("checksum mismatch");
    if (getLE(s, 4, 2) != kRootVersion) bad("unsupported version " + std::to_string(getLE(s, 4, 2)));
    Root r;
    size_t p = 6;
    auto le = [&](int n) {
      uint64_t v = getLE(s, p, n);
      p += n;
      return v;
    };
    auto addr = [&] {
      NodeAddress a;
      std::memcpy(a.bytes.data(), s.data() + p, 16);
      p += 16;
      return a;
    };
    uint64_t flags = le(2);
    if (flags & ~uint64_t{1}) bad("unknown flags");
    r.keepHistory = flags & 1;
    r.seq = le(8);
    r.maxEid = static_cast<int64_t>(le(8));
    r.maxTx = static_cast<int64_t>(le(8));
    r.lastTxInstant = static_cast<int64_t>(le(8));
    r.count = le(8);
    r.leafBytes = static_cast<uint32_t>(le(4));
    r.fanout = static_cast<uint32_t>(le(4));
    r.schema = addr();
    for (NodeAddress& t : r.trees) t = addr();
    r.tailHead = addr();
    r.tailTxs = static_cast<uint32_t>(le(4));
    r.tailDatoms = static_cast<uint32_t>(le(4));
    if (r.maxEid < 0 || r.maxEid > kMaxSafeId || r.maxTx < kTx0 || r.maxTx > kMaxSafeId) bad("ids out of range");
    if (r.schema.isNull()) bad("no schema");
    return r;
  }
};

// Tree nodes come through the cache from here.
class StoredDatabase::Reader : public index::NodeReader {
 public:
  explicit Reader(std::shared_ptr<Store> store) : store_(std::move(store)) {}
  std::string read(const NodeAddress& addr) override {
    std::optional<std::string> bytes = store_->get(addr);
    if (!bytes) storeError("stored node " + addr.hex() + " is missing from the store");
    return std::move(*bytes);
  }

 private:
  std::shared_ptr<Store> store_;
};

// A root written by this writer, and what it takes to make it current again.
struct StoredDatabase::Recent {
  int64_t basisTx;  // maxTx of the db value the root stores
  Root root;
  std::shared_ptr<const Schema> schema;
  NodeAddress schemaAddr;
  bool checkpoint;  // its trees' nodes were written (and marked stored) by it
};

StoredDatabase::StoredDatabase(std::shared_ptr<Store> store, StorageOptions options)
    : store_(std::move(store)), options_(options), storeId_(index::NodeCache::newStoreId()) {
  cache_ = std::make_shared<index::NodeCache>(std::make_shared<Reader>(store_), options_.cacheBytes, storeId_);
}

StoredDatabase::~StoredDatabase() = default;

void StoredDatabase::setCacheBytes(size_t bytes) {
  options_.cacheBytes = bytes;
  cache_->setBudgetBytes(bytes);
}

// ---- opening ----------------------------------------------------------------

namespace {

std::shared_ptr<const Schema> readSchemaNode(index::NodeReader& reader, const NodeAddress& addr) {
  std::string bytes = reader.read(addr);
  RecordReader r(addr, bytes, kSchemaTag, "schema");
  std::string_view table = r.rest();
  try {
    return serial::decodeSchema(table);
  } catch (const DataliteError& e) {
    r.fail(e.what());
  }
}

struct TailRecord {
  NodeAddress prev;
  LoggedTx tx;
  NodeAddress schema;
};

TailRecord readTailNode(index::NodeReader& reader, const NodeAddress& addr) {
  std::string bytes = reader.read(addr);
  RecordReader r(addr, bytes, kTailTag, "tail record");
  TailRecord t;
  t.prev = r.address();
  t.tx.tx = static_cast<int64_t>(r.varint());
  t.tx.maxEid = static_cast<int64_t>(r.varint());
  t.tx.lastTxInstant = unzigzag(r.varint());
  t.schema = r.address();
  uint64_t n = r.varint();
  if (n > bytes.size()) r.fail("bad datom count");
  t.tx.datoms.resize(n);
  for (LoggedDatom& d : t.tx.datoms) {
    uint8_t flags = r.byte();
    if (flags > 1) r.fail("bad datom flags");
    d.added = flags & 1;
    d.e = static_cast<int64_t>(r.varint());
    uint64_t a = r.varint();
    if (a == 0 || a > UINT32_MAX) r.fail("bad attribute id");
    d.a = static_cast<AttrId>(a);
    d.venc = std::string(r.bytes(r.varint()));
    if (!d.added) d.assertedTx = static_cast<int64_t>(r.varint());
  }
  r.finish();
  if (t.tx.tx < kTx0 || t.tx.tx > kMaxSafeId || t.tx.maxEid < 0 || t.tx.maxEid > kMaxSafeId) r.fail("ids out of range");
  return t;
}

}  // namespace

std::optional<Db> StoredDatabase::open() {
  std::optional<std::string> bytes = store_->readRoot();
  if (!bytes) return std::nullopt;
  Root root = Root::decode(*bytes);
  index::NodeReader& reader = cache_->reader();

  DbParts parts;
  parts.schema = readSchemaNode(reader, root.schema);
  index::BTreeConfig config{root.leafBytes, root.fanout};
  for (int i = 0; i < kIndexCount; ++i) {
    parts.current[i] = index::BTree::open(root.trees[i], config, cache_);
    parts.temporal[i] = index::BTree::open(root.trees[kIndexCount + i], config, cache_);
  }
  parts.maxEid = root.maxEid;
  parts.maxTx = root.maxTx;
  parts.lastTxInstant = root.lastTxInstant;
  parts.count = root.count;
  parts.keepHistory = root.keepHistory;
  parts.options.keepHistory = root.keepHistory;
  parts.options.btree = config;
  if (parts.current[0].size() != root.count) storeError("the store's root record is corrupt: datom count mismatch");
  Db db = assembleDb(std::move(parts));
  std::shared_ptr<const Schema> checkpointSchema = db.schemaPtr();

  // The tail, oldest first.
  std::vector<TailRecord> tail;
  for (NodeAddress at = root.tailHead; !at.isNull();) {
    if (tail.size() >= root.tailTxs) storeError("the store's tail is longer than its root record says");
    tail.push_back(readTailNode(reader, at));
    at = tail.back().prev;
  }
  if (tail.size() != root.tailTxs) storeError("the store's tail is shorter than its root record says");
  std::shared_ptr<const Schema> schemaNow = checkpointSchema;
  for (auto it = tail.rbegin(); it != tail.rend(); ++it) {
    if (!it->schema.isNull()) {
      schemaNow = readSchemaNode(reader, it->schema);
      it->tx.schema = schemaNow;
    }
    if (it->tx.tx <= db.maxTx()) storeError("the store's tail is out of order");
    db = replayTransaction(db, it->tx);
  }
  root_ = std::make_unique<Root>(root);
  storedSchema_ = db.schemaPtr();
  storedSchemaAddr_ = root.schema;
  for (const TailRecord& t : tail)
    if (!t.schema.isNull()) {
      storedSchemaAddr_ = t.schema;  // tail is newest first
      break;
    }
  recent_.clear();
  remember(db.maxTx(), false);
  return db;
}

// ---- writing ----------------------------------------------------------------

NodeAddress StoredDatabase::putNode(std::string bytes, CommitInfo& info) {
  NodeAddress addr = NodeAddress::of(bytes);
  store_->put(addr, bytes);
  ++info.nodesWritten;
  info.bytesWritten += bytes.size();
  return addr;
}

NodeAddress StoredDatabase::storeSchema(const Schema& schema, CommitInfo& info) {
  std::string bytes;
  bytes.push_back(kSchemaTag);
  bytes.push_back(static_cast<char>(kNodeVersion));
  bytes += serial::encodeSchema(schema);
  appendCrc32(bytes);
  return putNode(std::move(bytes), info);
}

CommitInfo StoredDatabase::checkpoint(const Db& db) {
  if (db.view() != DbView::Current) raise(ErrorCode::InvalidInput, "only a current db value can be stored");
  CommitInfo info;
  info.checkpoint = true;
  try {
    Root root;
    root.seq = root_ ? root_->seq + 1 : 1;
    DbParts parts = dbParts(db);
    root.maxEid = parts.maxEid;
    root.maxTx = parts.maxTx;
    root.lastTxInstant = parts.lastTxInstant;
    root.count = parts.count;
    root.keepHistory = parts.keepHistory;
    root.leafBytes = db.currentTree(IndexOrder::EAVT).config().leafBytes;
    root.fanout = db.currentTree(IndexOrder::EAVT).config().branchFanout;
    root.schema = root_ && db.schemaPtr() == storedSchema_ ? storedSchemaAddr_ : storeSchema(db.schema(), info);
    auto write = [&](const NodeAddress& addr, std::string_view bytes) {
      store_->put(addr, bytes);
      ++info.nodesWritten;
      info.bytesWritten += bytes.size();
    };
    for (int i = 0; i < kIndexCount; ++i) {
      root.trees[i] = db.currentTree(static_cast<IndexOrder>(i)).store(write, storeId_, rewriteAll_);
      root.trees[kIndexCount + i] = db.temporalTree(static_cast<IndexOrder>(i)).store(write, storeId_, rewriteAll_);
    }
    std::string record = root.encode();
    store_->writeRoot(record);
    info.bytesWritten += record.size();
    root_ = std::make_unique<Root>(root);
    storedSchema_ = db.schemaPtr();
    storedSchemaAddr_ = root.schema;
    rewriteAll_ = false;
    remember(db.maxTx(), true);
  } catch (...) {
    rewriteAll_ = true;  // some nodes may be marked stored without being in the store
    throw;
  }
  ++stats_.commits;
  ++stats_.checkpoints;
  stats_.nodesWritten += info.nodesWritten;
  stats_.bytesWritten += info.bytesWritten;
  return info;
}

CommitInfo StoredDatabase::commit(const TxReport& report) {
  if (!root_ || rewriteAll_) return checkpoint(report.dbAfter);
  LoggedTx log = logTransaction(report);
  if (root_->tailTxs + 1 > options_.tailMaxTxs || root_->tailDatoms + log.datoms.size() > options_.tailMaxDatoms)
    return checkpoint(report.dbAfter);

  CommitInfo info;
  Root root = *root_;
  std::string bytes;
  bytes.push_back(kTailTag);
  bytes.push_back(static_cast<char>(kNodeVersion));
  putAddr(root.tailHead, bytes);
  putVarint(static_cast<uint64_t>(log.tx), bytes);
  putVarint(static_cast<uint64_t>(log.maxEid), bytes);
  putVarint(zigzag(log.lastTxInstant), bytes);
  NodeAddress schemaAddr;
  if (log.schema && log.schema != storedSchema_) schemaAddr = storeSchema(*log.schema, info);
  putAddr(schemaAddr, bytes);
  putVarint(log.datoms.size(), bytes);
  for (const LoggedDatom& d : log.datoms) {
    bytes.push_back(d.added ? 1 : 0);
    putVarint(static_cast<uint64_t>(d.e), bytes);
    putVarint(d.a, bytes);
    putVarint(d.venc.size(), bytes);
    bytes += d.venc;
    if (!d.added) putVarint(static_cast<uint64_t>(d.assertedTx), bytes);
  }
  appendCrc32(bytes);
  root.tailHead = putNode(std::move(bytes), info);
  root.tailTxs += 1;
  root.tailDatoms += static_cast<uint32_t>(log.datoms.size());
  root.seq += 1;
  std::string record = root.encode();
  store_->writeRoot(record);
  info.bytesWritten += record.size();
  *root_ = root;
  if (!schemaAddr.isNull()) {
    storedSchema_ = log.schema;
    storedSchemaAddr_ = schemaAddr;
  }
  remember(report.dbAfter.maxTx(), false);
  ++stats_.commits;
  stats_.nodesWritten += info.nodesWritten;
  stats_.bytesWritten += info.bytesWritten;
  return info;
}

void StoredDatabase::sync() { store_->sync(); }

void StoredDatabase::remember(int64_t basisTx, bool checkpoint) {
  if (recent_.size() == kRecentRoots) recent_.erase(recent_.begin());
  recent_.push_back(Recent{basisTx, *root_, storedSchema_, storedSchemaAddr_, checkpoint});
}

CommitInfo StoredDatabase::revert(const Db& db) {
  if (db.view() != DbView::Current) raise(ErrorCode::InvalidInput, "only a current db value can be stored");
  auto it = std::find_if(recent_.rbegin(), recent_.rend(), [&](const Recent& r) { return r.basisTx == db.maxTx(); });
  if (it == recent_.rend() || !root_) {
    // Too old to find, or the store had no root: write it out again, all of it.
    rewriteAll_ = true;
    return checkpoint(db);
  }
  size_t keep = static_cast<size_t>(recent_.rend() - it);  // entries up to and including the target
  CommitInfo info;
  if (keep == recent_.size()) return info;                // already the current root
  // A checkpoint being undone marked nodes that `db` shares as stored; the
  // failed sync may have lost them, so the next commit rewrites every node.
  for (size_t i = keep; i < recent_.size(); ++i)
    if (recent_[i].checkpoint) rewriteAll_ = true;
  Recent target = recent_[keep - 1];
  Root root = target.root;
  root.seq = root_->seq + 1;  // newer than every root written so far
  std::string record = root.encode();
  store_->writeRoot(record);
  info.bytesWritten = record.size();
  *root_ = root;
  storedSchema_ = target.schema;
  storedSchemaAddr_ = target.schemaAddr;
  recent_.resize(keep);
  recent_.back().root = root;
  ++stats_.commits;
  stats_.bytesWritten += info.bytesWritten;
  return info;
}

// ---- collection ---------------------------------------------------------------

size_t StoredDatabase::gc(std::span<const Db* const> live) {
  store_->sync();  // nodes of the durable root may go: it must be the current one
  NodeAddressSet marks;
  index::NodeReader& reader = cache_->reader();
  if (root_) {
    marks.insert(root_->schema);
    for (const NodeAddress& t : root_->trees) index::BTree::collectAddresses(t, reader, marks);
    for (NodeAddress at = root_->tailHead; !at.isNull();) {
      marks.insert(at);
      TailRecord t = readTailNode(reader, at);
      if (!t.schema.isNull()) marks.insert(t.schema);
      at = t.prev;
    }
  }
  for (const Db* db : live) {
    for (int i = 0; i < kIndexCount; ++i) {
      db->currentTree(static_cast<IndexOrder>(i)).collectAddresses(storeId_, marks);
      db->temporalTree(static_cast<IndexOrder>(i)).collectAddresses(storeId_, marks);
    }
  }
  std::vector<NodeAddress> dead;
  for (const NodeAddress& a : store_->list())
    if (!marks.count(a)) dead.push_back(a);
  if (!dead.empty()) {
    store_->del(dead);
    store_->sync();
  }
  return dead.size();
}

size_t StoredDatabase::evict(bool all) { return cache_->evict(all); }

StorageStats StoredDatabase::stats() const {
  StorageStats s = stats_;
  if (root_) {
    s.tailTxs = root_->tailTxs;
    s.tailDatoms = root_->tailDatoms;
  }
  s.cacheResidentBytes = cache_->residentBytes();
  s.cacheResidentNodes = cache_->residentNodes();
  s.cacheBudgetBytes = cache_->budgetBytes();
  s.nodesLoaded = cache_->loads();
  return s;
}

}  // namespace datalite::store
