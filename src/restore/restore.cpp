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
#include <unordered_map>

#include "core/encoding.h"
#include "core/error.h"
#include "db/db_internal.h"
#include "db/txlog.h"

namespace datalite::restore {

namespace {

using Clock = std::chrono::steady_clock;
double msSince(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

// A blocking queue with a capacity: producers wait while it is full, so a
// fast stage cannot run ahead of a slow one by more than `capacity` items.
template <class T>
class BoundedQueue {
 public:
  explicit BoundedQueue(size_t capacity) : capacity_(std::max<size_t>(1, capacity)) {}
  void push(T item) {
    std::unique_lock<std::mutex> lock(mu_);
    notFull_.wait(lock, [&] { return q_.size() < capacity_ || closed_; });
    q_.push_back(std::move(item));
    notEmpty_.notify_one();
  }
  bool pop(T& out) {
    std::unique_lock<std::mutex> lock(mu_);
    notEmpty_.wait(lock, [&] { return !q_.empty() || closed_; });
    if (q_.empty()) return false;
    out = std::move(q_.front());
    q_.pop_front();
    notFull_.notify_one();
    return true;
  }
  void close() {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    notEmpty_.notify_all();
    notFull_.notify_all();
  }
  double fill() const {
    std::lock_guard<std::mutex> lock(mu_);
    return double(q_.size()) / double(capacity_);
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable notFull_, notEmpty_;
  std::deque<T> q_;
  size_t capacity_;
  bool closed_ = false;
};

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
  std::string_view value(const Rec& r) const { return std::string_view(arena).substr(r.off, r.len); }
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
  static size_t putUnsigned(uint64_t n, char* out) {
    int len = n ? (64 - std::countl_zero(n) + 7) / 8 : 0;
    out[0] = static_cast<char>(len);
    for (int i = 0; i < len; ++i) out[1 + i] = static_cast<char>((n >> (8 * (len - 1 - i))) & 0xFF);
    return static_cast<size_t>(len) + 1;
  }
  int64_t encodedTx_ = INT64_MIN;
  char tEnc_[9];
  size_t tLen_ = 0;
};

// Old entity id -> new entity id, written once per entity by the worker
// that owns it and read by all. A flat array while ids are dense enough.
class IdMap {
 public:
  explicit IdMap(int64_t maxOld) {
    if (maxOld < (int64_t{1} << 24)) flat_ = std::vector<std::atomic<int64_t>>(static_cast<size_t>(maxOld) + 1);
  }
  int64_t get(int64_t old) const {
    if (old >= 0 && old < int64_t(flat_.size())) return flat_[size_t(old)].load(std::memory_order_acquire);
    const Shard& s = shard(old);
    std::lock_guard<std::mutex> lock(s.mu);
    auto it = s.map.find(old);
    return it == s.map.end() ? 0 : it->second;
  }
  void set(int64_t old, int64_t now) {
    if (old >= 0 && old < int64_t(flat_.size())) {
      flat_[size_t(old)].store(now, std::memory_order_release);
      return;
    }
    Shard& s = shard(old);
    std::lock_guard<std::mutex> lock(s.mu);
    s.map[old] = now;
  }
  std::vector<int64_t> table(int64_t maxOld) const {
    std::vector<int64_t> out(static_cast<size_t>(std::max<int64_t>(0, maxOld)) + 1, 0);
    for (size_t i = 0; i < flat_.size() && i < out.size(); ++i) out[i] = flat_[i].load(std::memory_order_relaxed);
    for (const Shard& s : shards_)
      for (auto [k, v] : s.map)
        if (k >= 0 && k < int64_t(out.size())) out[size_t(k)] = v;
    return out;
  }

 private:
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<int64_t, int64_t> map;
  };
  const Shard& shard(int64_t k) const { return shards_[uint64_t(k) % kShards]; }
  Shard& shard(int64_t k) { return shards_[uint64_t(k) % kShards]; }
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
  // Refs waiting for their target's new id: target -> (new entity, attribute).
  std::mutex pendingMu;
  std::unordered_map<int64_t, std::vector<std::pair<int64_t, AttrId>>> pending;
  std::atomic<uint64_t> pendingCount{0};
  std::atomic<int64_t> maxOld{0};  // the largest source id given a new one

  Shared(const Db& s, const Options& o) : source(s), options(o), ids(std::min<int64_t>(s.maxEid(), kTx0 - 1)) {}

  // The new id of `old`, assigned now if it has none. Only the owner of
  // `old` (or the single-threaded end phase) may assign.
  int64_t assign(int64_t old, std::vector<std::pair<int64_t, AttrId>>* released) {
    int64_t id = ids.get(old);
    if (id) return id;
    id = nextId.fetch_add(1, std::memory_order_relaxed);
    ids.set(old, id);
    for (int64_t seen = maxOld.load(std::memory_order_relaxed);
         old > seen && !maxOld.compare_exchange_weak(seen, old, std::memory_order_relaxed);) {
    }
    std::lock_guard<std::mutex> lock(pendingMu);
    auto it = pending.find(old);
    if (it != pending.end()) {
      pendingCount.fetch_sub(it->second.size(), std::memory_order_relaxed);
      if (released) *released = std::move(it->second);
      pending.erase(it);
    }
    return id;
  }
  // The new id of a ref target, or 0 after parking the datom in pending.
  int64_t targetOrPark(int64_t target, int64_t newE, AttrId a) {
    if (int64_t id = ids.get(target)) return id;
    std::lock_guard<std::mutex> lock(pendingMu);
    if (int64_t id = ids.get(target)) return id;  // assigned meanwhile
    pending[target].emplace_back(newE, a);
    pendingCount.fetch_add(1, std::memory_order_relaxed);
    return 0;
  }
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

// Reads one attribute's current datoms (AEVT) in chunks.
template <class Sink>
void readAttribute(Shared& sh, AttrId a, bool isRef, Sink&& sink) {
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
      sink(std::move(chunk));
      chunk = Chunk{};
    }
  }
  if (!chunk.recs.empty()) {
    sh.datomsRead.fetch_add(chunk.recs.size(), std::memory_order_relaxed);
    sink(std::move(chunk));
  }
}

// A tx worker: owns the entities of its partition, fills batches.
class Worker {
 public:
  Worker(Shared& sh) : sh_(sh) {}

  template <class Emit>
  void process(const Chunk& chunk, Emit&& emit) {
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
      if (batch_.datoms >= sh_.options.maxBatchSize) emit(take());
    }
  }

  template <class Emit>
  void finish(Emit&& emit) {
    if (open_ && (batch_.datoms || batch_.taken)) emit(take());
  }

 private:
  // The new id of an entity of this partition; writes the refs that waited for it.
  int64_t own(int64_t old) {
    released_.clear();
    int64_t id = sh_.assign(old, &released_);
    for (auto [newE, a] : released_) batch_.add(newE, a, encodeRef(id), true, id);
    return id;
  }
  void ensureBatch() {
    if (open_) return;
    batch_ = Batch{};
    batch_.tx = sh_.nextTx.fetch_add(1, std::memory_order_relaxed);
    open_ = true;
  }
  Batch take() {
    open_ = false;
    return std::move(batch_);
  }

  Shared& sh_;
  Batch batch_;
  bool open_ = false;
  std::vector<std::pair<int64_t, AttrId>> released_;
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
    m.pendingCount = sh_.pendingCount.load(std::memory_order_relaxed);
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

// One pass of the pipeline over `attrs`.
void runPass(Shared& sh, Committer& committer, const std::vector<AttrId>& attrs) {
  const Options& o = sh.options;
  const Schema& schema = sh.source.schema();
  unsigned workers = std::max(1u, o.txParallelism);
  if (!o.threads) {
    // Inline: one reader, one worker, the committer, in turn.
    Worker w(sh);
    auto emit = [&](Batch b) { committer.commit(std::move(b), 0); };
    for (AttrId a : attrs)
      readAttribute(sh, a, schema.get(a).isRef(), [&](Chunk chunk) { w.process(chunk, emit); });
    w.finish(emit);
    return;
  }
  unsigned readers = o.readParallelism ? o.readParallelism : std::max(1u, std::thread::hardware_concurrency());
  readers = std::min<unsigned>(readers, std::max<size_t>(1, attrs.size()));

  std::vector<std::unique_ptr<BoundedQueue<Chunk>>> inboxes;
  for (unsigned i = 0; i < workers; ++i) inboxes.push_back(std::make_unique<BoundedQueue<Chunk>>(8));
  BoundedQueue<Batch> outbox(4 * workers + 4);

  std::atomic<size_t> nextAttr{0};
  std::atomic<unsigned> readersLeft{readers}, workersLeft{workers};
  std::mutex errorMu;
  std::exception_ptr error;
  auto fail = [&](std::exception_ptr e) {
    std::lock_guard<std::mutex> lock(errorMu);
    if (!error) error = e;
  };

  std::vector<std::thread> threads;
  for (unsigned r = 0; r < readers; ++r) {
    threads.emplace_back([&] {
      try {
        // Partition each chunk by entity: all datoms of an entity go to one worker.
        for (size_t i; (i = nextAttr.fetch_add(1)) < attrs.size();) {
          AttrId a = attrs[i];
          readAttribute(sh, a, schema.get(a).isRef(), [&](Chunk chunk) {
            if (workers == 1) {
              inboxes[0]->push(std::move(chunk));
              return;
            }
            std::vector<Chunk> parts(workers);
            for (const Rec& rec : chunk.recs) {
              Chunk& p = parts[size_t(uint64_t(rec.e) * 0x9E3779B97F4A7C15ull >> 32) % workers];
              Rec copy = rec;
              copy.off = static_cast<uint32_t>(p.arena.size());
              p.arena.append(chunk.value(rec));
              p.recs.push_back(copy);
            }
            for (unsigned w = 0; w < workers; ++w)
              if (!parts[w].recs.empty()) inboxes[w]->push(std::move(parts[w]));
          });
        }
      } catch (...) {
        fail(std::current_exception());
      }
      if (readersLeft.fetch_sub(1) == 1)
        for (auto& q : inboxes) q->close();
    });
  }
  for (unsigned w = 0; w < workers; ++w) {
    threads.emplace_back([&, w] {
      try {
        Worker worker(sh);
        auto emit = [&](Batch b) { outbox.push(std::move(b)); };
        Chunk chunk;
        while (inboxes[w]->pop(chunk)) worker.process(chunk, emit);
        worker.finish(emit);
      } catch (...) {
        fail(std::current_exception());
        inboxes[w]->close();
      }
      if (workersLeft.fetch_sub(1) == 1) outbox.close();
    });
  }
  Batch b;
  while (outbox.pop(b)) {
    double fill = 0;
    for (auto& q : inboxes) fill += q->fill();
    committer.commit(std::move(b), fill / double(workers));
  }
  for (std::thread& t : threads) t.join();
  if (error) std::rethrow_exception(error);
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
        int64_t e = sh.assign(k.e, nullptr);
        ++b.taken;
        if (isRef) {
          const uint8_t* p = reinterpret_cast<const uint8_t*>(k.value.data());
          int64_t target = sh.assign(decodeValue(p, p + k.value.size()).asLong(), nullptr);
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
    std::vector<std::pair<int64_t, AttrId>> released;
    std::vector<int64_t> targets;
    {
      std::lock_guard<std::mutex> lock(sh.pendingMu);
      for (const auto& [target, waiting] : sh.pending) targets.push_back(target);
    }
    std::sort(targets.begin(), targets.end());
    for (int64_t t : targets) {
      released.clear();
      int64_t id = sh.assign(t, &released);
      for (auto [newE, a] : released) {
        b.add(newE, a, encodeRef(id), true, id);
        ++b.taken;
      }
    }
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
            items[i] = Value::integer(sh.assign(items[i].asLong(), nullptr));
        }
        b.add(sh.assign(k.e, nullptr), a, encodeValue(Value::vector(std::move(items))), false);
        ++b.taken;
      }
    }
    committer.commit(std::move(b), 0);
  }
  uint64_t finalPending = sh.pendingCount.load();
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
  result.oldToNew = sh.ids.table(std::min<int64_t>(std::max(source.maxEid(), sh.maxOld.load()), kTx0 - 1));
  if (options.onProgress) options.onProgress(result.metrics);
  return result;
}

}  // namespace datalite::restore
