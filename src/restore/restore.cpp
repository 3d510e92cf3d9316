#include "restore/restore.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <type_traits>
#include <unordered_map>

#include "core/encoding.h"
#include "core/error.h"
#include "db/db_internal.h"
#include "db/txlog.h"

namespace datalite::restore {

namespace {

using Clock = std::chrono::steady_clock;
double msSince(Clock::time_point t) noexcept { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

// Source datoms as read: values still encoded, in a chunk's arena.
struct Rec {
  int64_t e;
  int64_t target;  // refs: the source entity referenced; 0 otherwise
  AttrId a;
  uint32_t off, len;
};
struct Chunk {
  std::string arena;
  std::vector<Rec> recs;
  std::string_view value(const Rec& r) const noexcept { return std::string_view(arena).substr(r.off, r.len); }
};

// One destination transaction: its datoms' keys per index.
struct Batch {
  int64_t tx = 0;
  uint64_t datoms = 0;
  uint64_t taken = 0;     // input datoms the worker consumed while filling it
  uint64_t deferred = 0;  // ... of which went to the pending index
  std::string keys[kIndexCount];
  std::vector<uint32_t> ends[kIndexCount];
  // The datom's 4 index keys (appendKey's layout), each written with one
  // resize and memcpys of e, a, value and tx encoded once; `target` is a
  // ref's value as an id when the caller has it (0: decoded from `venc`).
  void add(int64_t e, AttrId a, std::string_view venc, bool isRef, int64_t target = 0) {
    if (tx != encodedTx_) {
      tLen_ = putUnsigned(static_cast<uint64_t>(tx - kTx0), tEnc_);
      encodedTx_ = tx;
    }
    char eEnc[9], aEnc[9], vtEnc[9];
    size_t eLen = putUnsigned(static_cast<uint64_t>(e), eEnc);
    size_t aLen = putUnsigned(a, aEnc);
    const char* v = venc.data();
    size_t vLen = venc.size();
    auto write = [&](int i, std::initializer_list<std::pair<const char*, size_t>> parts) {
      std::string& out = keys[i];
      size_t n = tLen_;
      for (auto [p, l] : parts) n += l;
      size_t at = out.size();
      if (out.capacity() < at + n) out.reserve(std::max(2 * out.capacity(), at + n + 4096));
      out.resize(at + n);
      char* d = out.data() + at;
      for (auto [p, l] : parts) {
        std::memcpy(d, p, l);
        d += l;
      }
      std::memcpy(d, tEnc_, tLen_);
      ends[i].push_back(static_cast<uint32_t>(out.size()));
    };
    write(static_cast<int>(IndexOrder::EAVT), {{eEnc, eLen}, {aEnc, aLen}, {v, vLen}});
    write(static_cast<int>(IndexOrder::AEVT), {{aEnc, aLen}, {eEnc, eLen}, {v, vLen}});
    write(static_cast<int>(IndexOrder::AVET), {{aEnc, aLen}, {v, vLen}, {eEnc, eLen}});
    if (isRef) {
      if (!target) {
        const uint8_t* p = reinterpret_cast<const uint8_t*>(venc.data());
        target = decodeValue(p, p + venc.size()).asLong();
      }
      size_t vtLen = putUnsigned(static_cast<uint64_t>(target), vtEnc);
      write(static_cast<int>(IndexOrder::VAET), {{vtEnc, vtLen}, {aEnc, aLen}, {eEnc, eLen}});
    }
    ++datoms;
  }

 private:
  // encodeUnsigned's format: a length byte, then that many big-endian bytes.
  static size_t putUnsigned(uint64_t n, char* out) noexcept {
    int len = n ? (64 - std::countl_zero(n) + 7) / 8 : 0;
    out[0] = static_cast<char>(len);
    for (int i = 0; i < len; ++i) out[1 + i] = static_cast<char>((n >> (8 * (len - 1 - i))) & 0xFF);
    return static_cast<size_t>(len) + 1;
  }
  int64_t encodedTx_ = INT64_MIN;
  char tEnc_[9];
  size_t tLen_ = 0;
};

// A worker's mailbox: a bounded queue of chunks from the readers and, for
// worker 0 (the calling thread, which also commits), a bounded queue of
// batches from the other workers. Producers wait while their side is full,
// so a fast stage cannot run ahead of a slow one by more than the capacity;
// the one consumer waits only while both sides are empty. abort() wakes
// everyone: pushes return false and pop returns End, so the stages stop at
// their next hand-off.
class Mailbox {
 public:
  enum class Got { Chunk, Batch, ChunksDone, End };
  Mailbox(size_t chunkCapacity, size_t batchCapacity)
      : chunkCap_(std::max<size_t>(1, chunkCapacity)), batchCap_(std::max<size_t>(1, batchCapacity)) {}

  bool pushChunk(Chunk&& c) { return push(chunks_, chunkCap_, chunkNotFull_, std::move(c)); }
  bool pushBatch(Batch&& b) { return push(batches_, batchCap_, batchNotFull_, std::move(b)); }

  // Batches first (they unblock the other workers), then chunks while
  // `wantChunks`; ChunksDone once the readers closed the chunk side and it
  // is empty; End when aborted or, without `wantChunks`, when the batch side
  // is closed and empty.
  Got pop(Chunk& chunk, Batch& batch, bool wantChunks) {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      if (aborted_) return Got::End;
      if (!batches_.empty()) {
        batch = std::move(batches_.front());
        batches_.pop_front();
        batchNotFull_.notify_one();
        return Got::Batch;
      }
      if (wantChunks) {
        if (!chunks_.empty()) {
          chunk = std::move(chunks_.front());
          chunks_.pop_front();
          chunkCount_.store(chunks_.size(), std::memory_order_relaxed);
          chunkNotFull_.notify_one();
          return Got::Chunk;
        }
        if (chunksClosed_) return Got::ChunksDone;
      } else if (batchesClosed_) {
        return Got::End;
      }
      notEmpty_.wait(lock);
    }
  }
  void closeChunks() noexcept { close(chunksClosed_); }
  void closeBatches() noexcept { close(batchesClosed_); }
  void abort() noexcept {
    std::lock_guard<std::mutex> lock(mu_);
    aborted_ = true;
    notEmpty_.notify_all();
    chunkNotFull_.notify_all();
    batchNotFull_.notify_all();
  }
  double chunkFill() const noexcept { return double(chunkCount_.load(std::memory_order_relaxed)) / double(chunkCap_); }

 private:
  template <class T>
  bool push(std::deque<T>& q, size_t cap, std::condition_variable& notFull, T&& item) {
    std::unique_lock<std::mutex> lock(mu_);
    notFull.wait(lock, [&] { return q.size() < cap || aborted_; });
    if (aborted_) return false;
    q.push_back(std::move(item));
    if constexpr (std::is_same_v<T, Chunk>) chunkCount_.store(chunks_.size(), std::memory_order_relaxed);
    notEmpty_.notify_one();
    return true;
  }
  void close(bool& flag) noexcept {
    std::lock_guard<std::mutex> lock(mu_);
    flag = true;
    notEmpty_.notify_all();
  }

  std::mutex mu_;
  std::condition_variable notEmpty_, chunkNotFull_, batchNotFull_;
  std::deque<Chunk> chunks_;
  std::deque<Batch> batches_;
  size_t chunkCap_, batchCap_;
  std::atomic<size_t> chunkCount_{0};  // chunks_.size(), for the fill metric
  bool chunksClosed_ = false, batchesClosed_ = false, aborted_ = false;
};

// Refs waiting for their target's new id, as (new entity, attribute).
using Waiting = std::vector<std::pair<int64_t, AttrId>>;

// Old entity id -> new entity id, and the refs waiting for an id (the
// pending index), sharded by old id. An id is written once, by the worker
// that owns the entity (or the single-threaded end phase), and read by all.
//
// While ids are dense enough, the map is a flat array of atomic slots:
//   > 0  the new id
//   0    no id, nothing waits
//   < 0  no id; -(slot) - 1 is the head of the list of waiting refs in the
//        target's shard (flat nodes linked by index)
// The owner publishes an id with one atomic exchange and takes the shard's
// lock only if refs were waiting; a ref whose target has no id links itself
// in under the target's shard lock and a compare-exchange of the slot, so
// it either sees the id or is seen by the owner's exchange. Sparse ids live
// in per-shard hash maps with the same encoding, under the shard's lock.
class IdMap {
 public:
  explicit IdMap(int64_t maxOld) {
    if (maxOld < (int64_t{1} << 24)) flat_ = std::vector<std::atomic<int64_t>>(static_cast<size_t>(maxOld) + 1);
  }

  int64_t get(int64_t old) const noexcept {
    if (isFlat(old)) return idOf(flat_[size_t(old)].load(std::memory_order_acquire));
    const Shard& s = shard(old);
    std::lock_guard<std::mutex> lock(s.mu);
    auto it = s.map.find(old);
    return it == s.map.end() ? 0 : idOf(it->second);
  }

  // Records `old`'s new id (the caller owns `old` and it has none yet);
  // appends the refs that waited for it to `released`.
  void claim(int64_t old, int64_t id, Waiting& released) {
    Shard& s = shard(old);
    if (isFlat(old)) {
      int64_t prev = flat_[size_t(old)].exchange(id, std::memory_order_acq_rel);
      if (prev >= 0) return;  // nothing waited: no lock
      std::lock_guard<std::mutex> lock(s.mu);
      release(s, prev, released);
      return;
    }
    std::lock_guard<std::mutex> lock(s.mu);
    int64_t& slot = s.map[old];
    int64_t prev = slot;
    slot = id;
    release(s, prev, released);
  }

  // The new id of `target`, or 0 after parking (newE, a) until it has one.
  int64_t getOrPark(int64_t target, int64_t newE, AttrId a) {
    if (isFlat(target)) {
      std::atomic<int64_t>& slot = flat_[size_t(target)];
      int64_t v = slot.load(std::memory_order_acquire);
      if (v > 0) return v;
      Shard& s = shard(target);
      std::lock_guard<std::mutex> lock(s.mu);
      v = slot.load(std::memory_order_acquire);
      while (v <= 0) {
        uint32_t node = link(s, newE, a, v);
        // Only the owner changes the slot without the lock (to its id).
        if (slot.compare_exchange_strong(v, -int64_t(node) - 1, std::memory_order_acq_rel, std::memory_order_acquire)) {
          s.pending.fetch_add(1, std::memory_order_relaxed);
          return 0;
        }
        unlink(s, node);
      }
      return v;
    }
    Shard& s = shard(target);
    std::lock_guard<std::mutex> lock(s.mu);
    int64_t& slot = s.map[target];
    if (slot > 0) return slot;
    slot = -int64_t(link(s, newE, a, slot)) - 1;
    s.pending.fetch_add(1, std::memory_order_relaxed);
    return 0;
  }

  uint64_t pendingCount() const noexcept {
    uint64_t n = 0;
    for (const Shard& s : shards_) n += s.pending.load(std::memory_order_relaxed);
    return n;
  }

  // Targets that refs wait for, ascending. Only while no stage runs.
  std::vector<int64_t> pendingTargets() const {
    std::vector<int64_t> out;
    for (size_t i = 0; i < flat_.size(); ++i)
      if (flat_[i].load(std::memory_order_relaxed) < 0) out.push_back(int64_t(i));
    for (const Shard& s : shards_)
      for (auto [k, v] : s.map)
        if (v < 0) out.push_back(k);
    std::sort(out.begin(), out.end());
    return out;
  }

  // The largest old id with a new id, at least `floor`. Only while no stage runs.
  int64_t maxAssigned(int64_t floor) const {
    for (const Shard& s : shards_)
      for (auto [k, v] : s.map)
        if (v > 0) floor = std::max(floor, k);
    return floor;
  }

  std::vector<int64_t> table(int64_t maxOld) const {
    std::vector<int64_t> out(static_cast<size_t>(std::max<int64_t>(0, maxOld)) + 1, 0);
    for (size_t i = 0; i < flat_.size() && i < out.size(); ++i) out[i] = idOf(flat_[i].load(std::memory_order_relaxed));
    for (const Shard& s : shards_)
      for (auto [k, v] : s.map)
        if (k >= 0 && k < int64_t(out.size())) out[size_t(k)] = idOf(v);
    return out;
  }

 private:
  static constexpr uint32_t kNone = UINT32_MAX;
  struct Node {
    int64_t newE;
    AttrId a;
    uint32_t next;  // the next waiting ref of the same target, or the next free node
  };
  struct alignas(64) Shard {
    mutable std::mutex mu;
    std::unordered_map<int64_t, int64_t> map;  // sparse ids, slots encoded as flat_'s
    std::vector<Node> nodes;
    uint32_t freeHead = kNone;
    std::atomic<uint64_t> pending{0};  // refs waiting in this shard
  };

  static int64_t idOf(int64_t slot) noexcept { return slot > 0 ? slot : 0; }
  bool isFlat(int64_t old) const noexcept { return old >= 0 && old < int64_t(flat_.size()); }
  const Shard& shard(int64_t k) const noexcept { return shards_[uint64_t(k) % kShards]; }
  Shard& shard(int64_t k) noexcept { return shards_[uint64_t(k) % kShards]; }

  // A node for (newE, a) in front of the list `slot` (under s.mu).
  static uint32_t link(Shard& s, int64_t newE, AttrId a, int64_t slot) {
    uint32_t next = slot < 0 ? uint32_t(-slot - 1) : kNone;
    uint32_t n = s.freeHead;
    if (n != kNone) {
      s.freeHead = s.nodes[n].next;
      s.nodes[n] = Node{newE, a, next};
    } else {
      if (s.nodes.size() >= kNone) raise(ErrorCode::StoreError, "restore: too many pending refs");
      n = static_cast<uint32_t>(s.nodes.size());
      s.nodes.push_back(Node{newE, a, next});
    }
    return n;
  }
  static void unlink(Shard& s, uint32_t n) noexcept {
    s.nodes[n].next = s.freeHead;
    s.freeHead = n;
  }
  // Moves the list `slot` to `out` and frees its nodes (under s.mu).
  static void release(Shard& s, int64_t slot, Waiting& out) {
    if (slot >= 0) return;
    uint64_t count = 0;
    for (uint32_t n = uint32_t(-slot - 1); n != kNone;) {
      const Node& node = s.nodes[n];
      out.emplace_back(node.newE, node.a);
      uint32_t next = node.next;
      unlink(s, n);
      n = next;
      ++count;
    }
    s.pending.fetch_sub(count, std::memory_order_relaxed);
  }

  static constexpr size_t kShards = 64;
  std::vector<std::atomic<int64_t>> flat_;
  Shard shards_[kShards];
};

// State shared by the stages.
struct Shared {
  const Db& source;
  const Options& options;
  IdMap ids;
  std::atomic<int64_t> nextId{1};
  std::atomic<int64_t> nextTx{kTx0 + 1};
  std::atomic<uint64_t> datomsRead{0};

  Shared(const Db& s, const Options& o) : source(s), options(o), ids(std::min<int64_t>(s.maxEid(), kTx0 - 1)) {}

  // The new id of `old`, assigned now if it has none; the refs that waited
  // for it are appended to `released`. Only the owner of `old` (or the
  // single-threaded schema step and end phase) may assign.
  int64_t assign(int64_t old, Waiting& released) {
    if (int64_t id = ids.get(old)) return id;
    int64_t id = nextId.fetch_add(1, std::memory_order_relaxed);
    ids.claim(old, id, released);
    return id;
  }
  // The new id of a ref target, or 0 after parking the datom in pending.
  int64_t targetOrPark(int64_t target, int64_t newE, AttrId a) { return ids.getOrPark(target, newE, a); }
  uint64_t pendingCount() const noexcept { return ids.pendingCount(); }
};

std::string encodeRef(int64_t id) { return encodeValue(Value::integer(id)); }

// Which attributes a pass copies, and how.
enum class AttrKind { Skip, Plain, Ref, Late };

AttrKind kindOf(const Attribute& a) {
  if (a.id <= attr::kLastBuiltin) return AttrKind::Skip;  // schema step / tx entities
  if (a.isComposite()) return AttrKind::Late;
  if (a.type == ValueType::Tuple) {
    bool refs = a.tupleType == ValueType::Ref;
    for (ValueType t : a.tupleTypes) refs = refs || t == ValueType::Ref;
    return refs ? AttrKind::Late : AttrKind::Plain;
  }
  return a.isRef() ? AttrKind::Ref : AttrKind::Plain;
}

// Reads one attribute's current datoms (AEVT) in chunks. `sink` returns
// false when the pipeline stops; so does this.
template <class Sink>
bool readAttribute(Shared& sh, AttrId a, bool isRef, Sink&& sink) {
  const index::BTree& aevt = sh.source.currentTree(IndexOrder::AEVT);
  std::string prefix;
  encodeUnsigned(a, prefix);
  Chunk chunk;
  size_t chunkSize = std::max<size_t>(1, sh.options.readChunk);
  for (auto it = aevt.lowerBound(prefix); it.valid(); it.next()) {
    std::string_view key = it.key();
    if (key.substr(0, prefix.size()) != prefix) break;
    KeyParts k = splitKey(IndexOrder::AEVT, key, false);
    if (k.e >= kTx0) continue;  // transaction entities are not data
    Rec r{k.e, 0, a, static_cast<uint32_t>(chunk.arena.size()), static_cast<uint32_t>(k.value.size())};
    if (isRef) {
      const uint8_t* p = reinterpret_cast<const uint8_t*>(k.value.data());
      r.target = decodeValue(p, p + k.value.size()).asLong();
    }
    chunk.arena.append(k.value);
    chunk.recs.push_back(r);
    if (chunk.recs.size() >= chunkSize) {
      sh.datomsRead.fetch_add(chunk.recs.size(), std::memory_order_relaxed);
      if (!sink(std::move(chunk))) return false;
      chunk = Chunk{};
    }
  }
  if (!chunk.recs.empty()) {
    sh.datomsRead.fetch_add(chunk.recs.size(), std::memory_order_relaxed);
    return sink(std::move(chunk));
  }
  return true;
}

// A tx worker: owns the entities of its partition, fills batches. `emit`
// returns false when the pipeline stops; so do process and finish.
class Worker {
 public:
  Worker(Shared& sh) : sh_(sh) {}

  template <class Emit>
  bool process(const Chunk& chunk, Emit&& emit) {
    const Schema& schema = sh_.source.schema();
    for (const Rec& r : chunk.recs) {
      ensureBatch();
      ++batch_.taken;
      int64_t e = own(r.e);
      if (r.target) {
        int64_t v = sh_.targetOrPark(r.target, e, r.a);
        if (!v) {
          ++batch_.deferred;
          continue;
        }
        batch_.add(e, r.a, encodeRef(v), true, v);
      } else {
        batch_.add(e, r.a, chunk.value(r), schema.get(r.a).isRef());
      }
      if (batch_.datoms >= sh_.options.maxBatchSize && !emit(take())) return false;
    }
    return true;
  }

  template <class Emit>
  bool finish(Emit&& emit) {
    if (open_ && (batch_.datoms || batch_.taken)) return emit(take());
    return true;
  }

 private:
  // The new id of an entity of this partition; writes the refs that waited for it.
  int64_t own(int64_t old) {
    if (int64_t id = sh_.ids.get(old)) return id;  // the common case: seen before
    released_.clear();
    int64_t id = sh_.assign(old, released_);
    for (auto [newE, a] : released_) batch_.add(newE, a, encodeRef(id), true, id);
    return id;
  }
  void ensureBatch() {
    if (open_) return;
    batch_ = Batch{};
    batch_.tx = sh_.nextTx.fetch_add(1, std::memory_order_relaxed);
    open_ = true;
  }
  Batch take() noexcept {
    open_ = false;
    return std::move(batch_);
  }

  Shared& sh_;
  Batch batch_;
  bool open_ = false;
  Waiting released_;
};

// Takes batches in arrival order, keeps their keys, reports progress.
class Committer {
 public:
  Committer(Shared& sh, Clock::time_point start) : sh_(sh), start_(start) {
    txInstant_ = sh.options.txInstantMs >= 0
                     ? sh.options.txInstantMs
                     : std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  }

  void commit(Batch b, double queueFill) {
    auto t0 = Clock::now();
    if (b.datoms == 0 && b.taken == 0) return;
    b.add(b.tx, attr::kTxInstant, encodeValue(Value::instant(txInstant_)), false);
    maxTx_ = std::max(maxTx_, b.tx);
    written_ += b.datoms - 1;
    taken_ += b.taken;
    deferred_ += b.deferred;
    fillSum_ += queueFill;
    ++fillSamples_;
    batches_.push_back(std::move(b));
    double ms = msSince(t0);
    lastTxMs_ = ms;
    totalTxMs_ += ms;
    if (sh_.options.onProgress && sh_.options.progressEveryBatches &&
        batches_.size() % sh_.options.progressEveryBatches == 0)
      sh_.options.onProgress(metrics());
  }

  Metrics metrics() const {
    Metrics m;
    m.datomsRead = sh_.datomsRead.load(std::memory_order_relaxed);
    m.datomsWritten = written_;
    m.pendingCount = sh_.pendingCount();
    m.batches = batches_.size();
    m.lastTxMs = lastTxMs_;
    m.avgTxMs = batches_.empty() ? 0 : totalTxMs_ / double(batches_.size());
    m.batchEfficiency = taken_ ? 1.0 - double(deferred_) / double(taken_) : 1.0;
    m.utilizationPct = fillSamples_ ? 100.0 * fillSum_ / double(fillSamples_) : 0;
    m.elapsedMs = msSince(start_);
    return m;
  }

  std::vector<Batch>& batches() { return batches_; }
  int64_t maxTx() const { return maxTx_; }
  int64_t txInstant() const { return txInstant_; }

 private:
  Shared& sh_;
  Clock::time_point start_;
  std::vector<Batch> batches_;
  int64_t maxTx_ = kTx0;
  int64_t txInstant_ = 0;
  uint64_t written_ = 0, taken_ = 0, deferred_ = 0;
  double lastTxMs_ = 0, totalTxMs_ = 0, fillSum_ = 0;
  uint64_t fillSamples_ = 0;
};

// The first error of the pipeline's threads; recording it stops the others.
class Failure {
 public:
  explicit Failure(std::vector<std::unique_ptr<Mailbox>>& boxes) : boxes_(boxes) {}
  void record(std::exception_ptr e) noexcept {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!error_) error_ = std::move(e);
    }
    stop();
  }
  void stop() noexcept {
    for (auto& box : boxes_) box->abort();
  }
  void rethrowIfAny() {
    std::lock_guard<std::mutex> lock(mu_);
    if (error_) std::rethrow_exception(error_);
  }

 private:
  std::vector<std::unique_ptr<Mailbox>>& boxes_;
  std::mutex mu_;
  std::exception_ptr error_;
};

// A pipeline thread's body: the stage runs without try/catch in its loops;
// an exception (a store read error, bad_alloc) is caught once here, recorded
// as the pass's error, and stops the other stages.
template <class Body>
void guarded(Failure& failure, Body&& body) noexcept {
  try {
    body();
  } catch (...) {
    failure.record(std::current_exception());
  }
}

// Joins the pass's threads however the calling thread leaves runPass; if it
// leaves by an exception (a progress callback that throws, an error in
// worker 0), the other stages are stopped first.
struct Joiner {
  Failure& failure;
  std::vector<std::thread>& threads;
  bool finished = false;
  ~Joiner() {
    if (!finished) failure.stop();
    for (std::thread& t : threads)
      if (t.joinable()) t.join();
  }
};

// One pass of the pipeline over `attrs`.
//
// Threaded: reader threads partition each chunk by entity among the
// workers' mailboxes. Worker 0 is the calling thread, which is also the
// committer: it builds and commits its own batches and commits the batches
// workers 1..n-1 (threads) hand it, so it waits only when no stage has work
// for it (readParallelism 1, txParallelism 1: two threads in all).
void runPass(Shared& sh, Committer& committer, const std::vector<AttrId>& attrs) {
  const Options& o = sh.options;
  const Schema& schema = sh.source.schema();
  unsigned workers = std::max(1u, o.txParallelism);
  if (!o.threads) {
    // Inline: one reader, one worker, the committer, in turn.
    Worker w(sh);
    auto emit = [&](Batch b) {
      committer.commit(std::move(b), 0);
      return true;
    };
    for (AttrId a : attrs)
      readAttribute(sh, a, schema.get(a).isRef(), [&](Chunk chunk) { return w.process(chunk, emit); });
    w.finish(emit);
    return;
  }
  unsigned readers = o.readParallelism ? o.readParallelism : std::max(1u, std::thread::hardware_concurrency());
  readers = std::min<unsigned>(readers, std::max<size_t>(1, attrs.size()));

  std::vector<std::unique_ptr<Mailbox>> boxes;
  for (unsigned i = 0; i < workers; ++i) boxes.push_back(std::make_unique<Mailbox>(8, 4 * workers + 4));
  Mailbox& mine = *boxes[0];
  if (workers == 1) mine.closeBatches();
  Failure failure(boxes);
  std::atomic<size_t> nextAttr{0};
  std::atomic<unsigned> readersLeft{readers}, workersLeft{workers - 1};

  auto reader = [&] {
    // Partition each chunk by entity: all datoms of an entity go to one worker.
    std::vector<Chunk> parts(workers);
    auto send = [&](Chunk chunk) {
      if (workers == 1) return mine.pushChunk(std::move(chunk));
      for (const Rec& rec : chunk.recs) {
        Chunk& p = parts[size_t(uint64_t(rec.e) * 0x9E3779B97F4A7C15ull >> 32) % workers];
        Rec copy = rec;
        copy.off = static_cast<uint32_t>(p.arena.size());
        p.arena.append(chunk.value(rec));
        p.recs.push_back(copy);
      }
      for (unsigned w = 0; w < workers; ++w) {
        if (parts[w].recs.empty()) continue;
        if (!boxes[w]->pushChunk(std::move(parts[w]))) return false;
        parts[w] = Chunk{};
      }
      return true;
    };
    for (size_t i; (i = nextAttr.fetch_add(1)) < attrs.size();)
      if (!readAttribute(sh, attrs[i], schema.get(attrs[i]).isRef(), send)) return;
  };
  auto worker = [&](unsigned w) {
    Worker wk(sh);
    Mailbox& box = *boxes[w];
    auto emit = [&](Batch b) { return mine.pushBatch(std::move(b)); };
    Chunk chunk;
    Batch unused;
    for (;;) {
      Mailbox::Got got = box.pop(chunk, unused, true);
      if (got == Mailbox::Got::Chunk) {
        if (!wk.process(chunk, emit)) return;
      } else {
        if (got == Mailbox::Got::ChunksDone) wk.finish(emit);
        return;
      }
    }
  };

  std::vector<std::thread> threads;
  Joiner joiner{failure, threads};
  for (unsigned r = 0; r < readers; ++r)
    threads.emplace_back([&] {
      guarded(failure, reader);
      if (readersLeft.fetch_sub(1) == 1)
        for (auto& box : boxes) box->closeChunks();
    });
  for (unsigned w = 1; w < workers; ++w)
    threads.emplace_back([&, w] {
      guarded(failure, [&] { worker(w); });
      if (workersLeft.fetch_sub(1) == 1) mine.closeBatches();
    });

  // Worker 0 and the committer.
  Worker own(sh);
  auto commit = [&](Batch b) {
    double fill = 0;
    for (auto& box : boxes) fill += box->chunkFill();
    committer.commit(std::move(b), fill / double(workers));
    return true;
  };
  Chunk chunk;
  Batch batch;
  bool chunksDone = false;
  for (;;) {
    Mailbox::Got got = mine.pop(chunk, batch, !chunksDone);
    if (got == Mailbox::Got::Batch) {
      commit(std::move(batch));
    } else if (got == Mailbox::Got::Chunk) {
      own.process(chunk, commit);
    } else if (got == Mailbox::Got::ChunksDone) {
      own.finish(commit);
      chunksDone = true;
    } else {
      break;
    }
  }
  joiner.finished = true;
  for (std::thread& t : threads) t.join();
  failure.rethrowIfAny();
}

}  // namespace

Result restore(const Db& source, const Options& requested) {
  Options options = requested;
#if defined(__EMSCRIPTEN__) && !defined(__EMSCRIPTEN_PTHREADS__)
  options.threads = false;  // the single-threaded wasm build: the same pipeline, inline
#endif
  if (source.view() != DbView::Current)
    raise(ErrorCode::InvalidInput, "restore copies the current state: pass a current db, not an asOf/since/history view");
  if (options.maxBatchSize == 0 || options.maxBatchSize > (1u << 24))
    raise(ErrorCode::InvalidInput, "restore: maxBatchSize must be between 1 and 16777216");
  if (options.readChunk == 0 || options.readChunk > (1u << 24))
    raise(ErrorCode::InvalidInput, "restore: readChunk must be between 1 and 16777216");
  if (options.txParallelism > 256 || options.readParallelism > 256)
    raise(ErrorCode::InvalidInput, "restore: at most 256 threads per stage");

  Clock::time_point start = Clock::now();
  Shared sh(source, options);
  Committer committer(sh, start);
  const Schema& schema = source.schema();
  const index::BTree& aevt = source.currentTree(IndexOrder::AEVT);

  // 1. The schema step: entities carrying schema attributes (:db/ident ...)
  //    get the first ids, and their schema datoms go in the first batch.
  {
    Batch b;
    b.tx = sh.nextTx.fetch_add(1);
    Waiting none;  // nothing is pending yet
    for (AttrId a = attr::kIdent; a <= attr::kTupleType; ++a) {
      std::string prefix;
      encodeUnsigned(a, prefix);
      bool isRef = schema.get(a).isRef();
      for (auto it = aevt.lowerBound(prefix); it.valid(); it.next()) {
        std::string_view key = it.key();
        if (key.substr(0, prefix.size()) != prefix) break;
        KeyParts k = splitKey(IndexOrder::AEVT, key, false);
        if (k.e >= kTx0) continue;
        sh.datomsRead.fetch_add(1, std::memory_order_relaxed);
        int64_t e = sh.assign(k.e, none);
        ++b.taken;
        if (isRef) {
          const uint8_t* p = reinterpret_cast<const uint8_t*>(k.value.data());
          int64_t target = sh.assign(decodeValue(p, p + k.value.size()).asLong(), none);
          b.add(e, a, encodeRef(target), true, target);
        } else {
          b.add(e, a, k.value, false);
        }
      }
    }
    committer.commit(std::move(b), 0);
  }

  // 2. The data: one pass, or non-refs then refs.
  std::vector<AttrId> plain, refs, late;
  for (const Attribute& a : schema.all()) {
    if (a.id == 0) continue;
    switch (kindOf(a)) {
      case AttrKind::Plain: plain.push_back(a.id); break;
      case AttrKind::Ref: refs.push_back(a.id); break;
      case AttrKind::Late: late.push_back(a.id); break;
      case AttrKind::Skip: break;
    }
  }
  if (options.twoPass) {
    runPass(sh, committer, plain);
    runPass(sh, committer, refs);
  } else {
    std::vector<AttrId> all = plain;
    all.insert(all.end(), refs.begin(), refs.end());
    std::sort(all.begin(), all.end());
    runPass(sh, committer, all);
  }

  // 3. The end phase, single-threaded: refs to entities that have no datoms
  //    of their own, then tuples whose values hold refs (composites too).
  {
    Batch b;
    b.tx = sh.nextTx.fetch_add(1);
    Waiting released;
    // The new id of `old` (assigned now if it has none), and the refs that
    // waited for it written.
    auto assign = [&](int64_t old) {
      released.clear();
      int64_t id = sh.assign(old, released);
      for (auto [newE, a] : released) {
        b.add(newE, a, encodeRef(id), true, id);
        ++b.taken;
      }
      return id;
    };
    for (int64_t t : sh.ids.pendingTargets()) assign(t);
    for (AttrId a : late) {
      const Attribute& attr = schema.get(a);
      std::string prefix;
      encodeUnsigned(a, prefix);
      for (auto it = aevt.lowerBound(prefix); it.valid(); it.next()) {
        std::string_view key = it.key();
        if (key.substr(0, prefix.size()) != prefix) break;
        KeyParts k = splitKey(IndexOrder::AEVT, key, false);
        if (k.e >= kTx0) continue;
        sh.datomsRead.fetch_add(1, std::memory_order_relaxed);
        const uint8_t* p = reinterpret_cast<const uint8_t*>(k.value.data());
        Value tuple = decodeValue(p, p + k.value.size());
        std::vector<Value> items = tuple.items();
        for (size_t i = 0; i < items.size(); ++i) {
          bool isRef = attr.isComposite()
                           ? i < attr.tupleAttrs.size() && schema.get(attr.tupleAttrs[i]).isRef()
                           : (i < attr.tupleTypes.size() ? attr.tupleTypes[i] == ValueType::Ref
                                                         : attr.tupleType == ValueType::Ref);
          if (isRef && items[i].isInteger() && items[i].asLong() > 0 && items[i].asLong() < kTx0)
            items[i] = Value::integer(assign(items[i].asLong()));
        }
        b.add(assign(k.e), a, encodeValue(Value::vector(std::move(items))), false);
        ++b.taken;
      }
    }
    committer.commit(std::move(b), 0);
  }
  uint64_t finalPending = sh.pendingCount();
  if (finalPending != 0)
    raise(ErrorCode::StoreError, "restore: " + std::to_string(finalPending) + " refs still pending at the end");

  // 4. Build the destination: one sorted bottom-up build per index.
  std::vector<Batch>& batches = committer.batches();
  DbParts parts;
  auto schemaCopy = std::make_shared<Schema>(schema);
  for (const Attribute& a : schema.all()) {
    if (a.id <= attr::kLastBuiltin || !a.entity || !a.declared) continue;
    Attribute moved = a;
    moved.entity = sh.ids.get(a.entity);
    schemaCopy->define(std::move(moved));
  }
  parts.schema = schemaCopy;
  auto buildIndex = [&](int i) {
    std::vector<std::string_view> keys;
    size_t n = 0;
    for (const Batch& b : batches) n += b.ends[i].size();
    keys.reserve(n);
    for (const Batch& b : batches) {
      uint32_t s = 0;
      for (uint32_t e : b.ends[i]) {
        keys.push_back(std::string_view(b.keys[i]).substr(s, e - s));
        s = e;
      }
    }
    internal::sortKeys(keys);
    parts.current[i] = index::BTree::buildSorted(keys, source.options().btree);
  };
  if (options.threads) {
    std::vector<std::thread> builders;
    for (int i = 1; i < kIndexCount; ++i) builders.emplace_back(buildIndex, i);
    buildIndex(0);
    for (auto& t : builders) t.join();
  } else {
    for (int i = 0; i < kIndexCount; ++i) buildIndex(i);
  }
  for (int i = 0; i < kIndexCount; ++i) parts.temporal[i] = index::BTree(source.options().btree);
  parts.maxEid = sh.nextId.load() - 1;
  parts.maxTx = committer.maxTx();
  parts.lastTxInstant = committer.txInstant();
  parts.count = parts.current[static_cast<int>(IndexOrder::EAVT)].size();
  parts.keepHistory = source.keepHistory();
  parts.options = source.options();

  Result result;
  result.db = assembleDb(std::move(parts));
  result.metrics = committer.metrics();
  result.metrics.pendingCount = 0;
  result.durationSec = msSince(start) / 1000.0;
  result.finalPendingCount = 0;
  result.oldToNew = sh.ids.table(std::min<int64_t>(sh.ids.maxAssigned(source.maxEid()), kTx0 - 1));
  if (options.onProgress) options.onProgress(result.metrics);
  return result;
}

}  // namespace datalite::restore
