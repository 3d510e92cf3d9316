// IndexedDBStore: datalite's browser store. A memory frontend (every node in a
// Map) over an IndexedDB database, so that the engine's synchronous store
// interface (get/put/del/list/readRoot/writeRoot/sync/stats/close) can sit on
// top of IndexedDB's asynchronous one.
//
//   const store = await IndexedDBStore.open("tasks");
//   store.put(addr, bytes); store.writeRoot(root); store.sync();
//   await store.whenDurable();            // the commit is on disk
//
// Layout: the IndexedDB database "datalite:<name>" (version 1) has two object
// stores, `nodes` (key: the 32-hex-char address, value: a Uint8Array holding
// exactly the node's bytes) and `meta` (key "root": the root record).
//
// Opening prefetches everything: one readonly IndexedDB transaction reads the
// root, then the nodes in key order in chunks (getAllKeys + getAll of
// `prefetchChunk` records, the next chunk requested from the previous one's
// success callback). Every chunk arrives as its own event-loop task, so the
// page stays responsive between chunks (rendering and input run in between)
// while the whole read remains ONE transaction, i.e. one consistent snapshot
// even if another tab commits meanwhile. (Yielding with setTimeout between
// chunks would let the transaction auto-commit and lose that snapshot.)
// After open, get()/list()/readRoot() are synchronous Map lookups (they
// return the stored Uint8Array itself: callers must not modify it). The cost:
// the whole store lives in memory, and opening reads all of it. Measured in
// headless Chromium here (e2e/tests/store-indexeddb.spec.mjs logs these):
// 10k nodes of 2 KB open in 0.55-0.9 s with the default chunk of 250 records
// (longest main-thread stretch without a timer tick 11-26 ms; chunks of
// 1000/4000 are no faster on average and block for 60-180 ms); Chromium
// reads about 20-35 MB/s here whatever the request shape (getAll, cursor,
// getAllRecords were all measured).
//
// Writes: put()/del()/writeRoot() change the Map at once (so reads see them)
// and queue the change. sync() turns everything queued since the previous
// sync() into one batch and commits it as ONE readwrite transaction over both
// object stores (node puts, node deletes and the root together). IndexedDB
// transactions are atomic, so a reload or crash shows either the whole batch
// (root and the nodes it needs) or none of it. At most one transaction is in
// flight: a sync() made while one is running queues its batch, and batches
// queued meanwhile are merged into the next transaction when the running one
// completes (group commit under load; a later batch's root may need an
// earlier batch's nodes, so a later transaction must never commit after an
// earlier one failed). whenDurable() resolves once every batch handed to
// sync() before the call is committed (the transaction's `complete` event).
// Transactions ask for `durability: "strict"` (option `durability`), which
// Chromium honours (complete fires after the data is flushed to disk; its
// own default is "relaxed"): a sync of one 2 KB node + root took a median
// 2.6-7.8 ms strict vs 1.0-1.5 ms relaxed on an on-disk profile here (two
// runs; p90 15-19 ms strict). Browsers
// without the option ignore the hint (`store.durabilitySupported` tells).
//
// Failure: when a commit transaction aborts (quota exceeded, storage cleared,
// I/O error), its error is reported once: every whenDurable() waiting at that
// moment rejects with it; when none is waiting, the error is kept and the
// next sync() or whenDurable() call throws/rejects with it (then it is
// cleared). The failed batch (and everything synced
// after it) is put back in front of the queue and retried, as one
// transaction together with anything newer, by the next sync() or
// whenDurable() that does not report the error: the durable state is always the root
// of some complete prefix of the syncs, never a root whose nodes are missing.
//
// Two tabs (or two opens of one name in one page): ONE WRITER, MANY READERS,
// as API.md §6 says ("one writer per database; any number of concurrent
// readers on older values"). open() takes an exclusive Web Lock
// ("datalite-idb:<name>", navigator.locks.request with ifAvailable). When it
// is held elsewhere the store opens READ-ONLY: it still prefetches a
// consistent snapshot (the single readonly transaction above), get()/list()/
// readRoot() work, and put/del/writeRoot throw Error("store-readonly: ...").
// Why read-only rather than an error: it is what the API promises readers, a
// second tab can still show the data, and nothing can go wrong for it: its
// snapshot is fully in memory, so neither the writer's later commits nor its
// GC (which deletes unreachable nodes) can break it. It does not see the
// writer's later commits (reopen to refresh). An application that prefers to
// refuse passes { onLocked: "error" } and gets Error("store-locked: ...").
// Without a Web Locks API (Node, very old browsers) the lock is an in-process
// table: two stores of one name in the same JS realm still exclude each
// other, other processes are not seen. `lockWaitMs` (default 200) is how
// long open() waits for a held lock before settling for read-only (or
// store-locked), in case the holder is a document being unloaded. (Chromium
// releases a reloaded page's lock before the new document runs: reopening
// after a reload took 6-11 ms here, no wait; a genuine second tab pays the
// 200 ms.)
//
// close() drops unsynced changes, lets synced batches finish committing, then
// closes the connection and releases the lock (whenDurable() still works).
// deleteIndexedDBStore(name) deletes the database; a store open on it (in
// this or another tab) closes itself when that happens (versionchange).
//
// Errors are Error objects whose message starts with a code ("store-error",
// "store-readonly", "store-locked", "closed") and that carry it as `.code`.

const DB_PREFIX = "datalite:";
const LOCK_PREFIX = "datalite-idb:";
const DB_VERSION = 1;
const NODES = "nodes";
const META = "meta";
const ROOT_KEY = "root";
const ADDR = /^[0-9a-f]{32}$/;

function storeError(code, message, cause) {
  const err = new Error(`${code}: ${message}`, cause === undefined ? undefined : { cause });
  err.code = code;
  return err;
}

function describeError(err) {
  if (!err) return "unknown error";
  return err.name && err.message ? `${err.name}: ${err.message}` : String(err.message ?? err);
}

function checkBytes(bytes, what) {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`${what} must be a Uint8Array`);
}

// A copy with a buffer of its own and exactly its length (storing a view would
// store its whole buffer; the engine's views point into reused wasm memory).
function copyBytes(bytes) {
  return bytes.slice();
}

function asBytes(value, what) {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  throw storeError("store-error", `${what} holds a ${Object.prototype.toString.call(value)}, not bytes`);
}

// ---------------------------------------------------------------- locks

// In-process stand-in for the Web Locks API: the names held in this realm,
// per IndexedDB factory (two factories are two separate sets of databases).
const localLocks = new WeakMap();

function acquireLocalLock(factory, name) {
  let held = localLocks.get(factory);
  if (!held) localLocks.set(factory, (held = new Set()));
  if (held.has(name)) return null;
  held.add(name);
  return { release: () => held.delete(name) };
}

// Resolves to { release() } when the exclusive lock `name` is ours, or null
// when someone else keeps it for longer than waitMs.
async function acquireLock(locks, factory, name, waitMs) {
  if (!locks) return acquireLocalLock(factory, name);
  const attempt = (options) => new Promise((resolve, reject) => {
    let release;
    const held = new Promise((r) => { release = r; });
    locks.request(name, { mode: "exclusive", ...options }, (lock) => {
      if (!lock) {
        resolve(null);
        return undefined;
      }
      resolve({ release });
      return held;  // the lock is held until release() is called
    }).catch((err) => {
      if (err?.name === "AbortError") resolve(null);
      else reject(err);
    });
  });
  const lock = await attempt({ ifAvailable: true });
  if (lock || !(waitMs > 0)) return lock;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), waitMs);
  try {
    return await attempt({ signal: controller.signal });
  } finally {
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------- IndexedDB helpers

function openDatabase(factory, dbName) {
  return new Promise((resolve, reject) => {
    let req;
    try {
      req = factory.open(dbName, DB_VERSION);
    } catch (err) {
      reject(storeError("store-error", `cannot open IndexedDB database "${dbName}": ${describeError(err)}`, err));
      return;
    }
    req.onupgradeneeded = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains(NODES)) db.createObjectStore(NODES);
      if (!db.objectStoreNames.contains(META)) db.createObjectStore(META);
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = (event) => {
      event?.preventDefault?.();
      reject(storeError("store-error", `cannot open IndexedDB database "${dbName}": ${describeError(req.error)}`, req.error));
    };
  });
}

// Reads the root and every node in one readonly transaction, `chunk` records
// per request pair; each chunk is a separate task (see the header).
function prefetchAll(db, KeyRange, chunk) {
  return new Promise((resolve, reject) => {
    const nodes = new Map();
    let bytes = 0;
    let root = null;
    let failure = null;
    let tx;
    try {
      tx = db.transaction([NODES, META], "readonly");
      const rootReq = tx.objectStore(META).get(ROOT_KEY);
      rootReq.onsuccess = () => {
        try {
          root = rootReq.result === undefined ? null : asBytes(rootReq.result, "the root record");
        } catch (err) {
          failure = err;
          tx.abort();
        }
      };
      const store = tx.objectStore(NODES);
      const next = (after) => {
        const range = after === undefined ? null : KeyRange.lowerBound(after, true);
        const keysReq = store.getAllKeys(range, chunk);
        const valuesReq = store.getAll(range, chunk);
        // Requests of one transaction complete in the order they were made:
        // the keys are there when the values arrive.
        valuesReq.onsuccess = () => {
          const keys = keysReq.result;
          const values = valuesReq.result;
          try {
            for (let i = 0; i < keys.length; i++) {
              const node = asBytes(values[i], `node ${keys[i]}`);
              nodes.set(keys[i], node);
              bytes += node.byteLength;
            }
          } catch (err) {
            failure = err;
            tx.abort();
            return;
          }
          if (keys.length === chunk) next(keys[keys.length - 1]);
        };
      };
      next(undefined);
    } catch (err) {
      reject(storeError("store-error", `cannot read the IndexedDB store: ${describeError(err)}`, err));
      return;
    }
    tx.oncomplete = () => resolve({ nodes, bytes, root });
    tx.onabort = () => {
      reject(failure ?? storeError("store-error", `reading the IndexedDB store failed: ${describeError(tx.error)}`, tx.error));
    };
  });
}

// ---------------------------------------------------------------- the store

export class IndexedDBStore {
  #name;
  #db;
  #lock;
  #readOnly;
  #durability;
  #nodes;          // addr -> Uint8Array: everything get() can see
  #bytes;          // sum of the byte lengths in #nodes
  #root;           // last written root (Uint8Array | null)
  #pending = new Map();   // changes since the last sync(): addr -> bytes | null (delete)
  #pendingRoot;           // root written since the last sync(), or undefined
  #queued = null;  // batch synced but not started yet: { nodes, root, seq }
  #running = null; // batch whose transaction is in flight
  #requested = 0;  // seq of the last batch handed to sync()
  #durable = 0;    // seq of the last batch committed
  #waiters = [];   // whenDurable() calls: { seq, resolve, reject }
  #error = null;   // a failed commit's error, until a sync()/whenDurable() reports it
  #broken = null;  // the connection is gone (deleted elsewhere, closed by the browser)
  #closed = false;
  #released = false;
  #commits = 0;    // transactions committed (stats)

  constructor(secret, state) {
    if (secret !== OPEN) throw new TypeError("use IndexedDBStore.open(name)");
    this.#name = state.name;
    this.#db = state.db;
    this.#lock = state.lock;
    this.#readOnly = state.readOnly;
    this.#durability = state.durability;
    this.#nodes = state.nodes;
    this.#bytes = state.bytes;
    this.#root = state.root;
    this.#db.onversionchange = () => {
      // deleteIndexedDBStore (or a newer schema) elsewhere: step aside.
      this.#lose(storeError("store-error", `IndexedDB database of store "${this.#name}" was deleted or upgraded elsewhere`));
    };
    this.#db.onclose = () => {
      this.#lose(storeError("store-error", `the browser closed IndexedDB database of store "${this.#name}" (storage cleared?)`));
    };
  }

  // Opens (creating when needed) the store `name` and prefetches it.
  // Options: indexedDB (factory), IDBKeyRange, locks (a Web Locks manager,
  // default navigator.locks; null = the in-process table), onLocked
  // ("readonly" | "error"), lockWaitMs, durability ("strict" | "relaxed"),
  // prefetchChunk (records per read request).
  static async open(name, {
    indexedDB = globalThis.indexedDB,
    IDBKeyRange = globalThis.IDBKeyRange,
    locks = globalThis.navigator?.locks,
    onLocked = "readonly",
    lockWaitMs = 200,
    durability = "strict",
    prefetchChunk = 250,
  } = {}) {
    if (typeof name !== "string" || name === "") throw new TypeError("IndexedDBStore.open: name must be a non-empty string");
    if (!indexedDB) throw storeError("store-error", "IndexedDB is not available in this environment");
    if (!IDBKeyRange) throw storeError("store-error", "IDBKeyRange is not available in this environment");
    if (onLocked !== "readonly" && onLocked !== "error") throw new TypeError('onLocked must be "readonly" or "error"');
    if (durability !== "strict" && durability !== "relaxed") throw new TypeError('durability must be "strict" or "relaxed"');
    if (!(Number.isInteger(prefetchChunk) && prefetchChunk > 0)) throw new TypeError("prefetchChunk must be a positive integer");

    const lock = await acquireLock(locks, indexedDB, LOCK_PREFIX + name, lockWaitMs);
    if (!lock && onLocked === "error") {
      throw storeError("store-locked", `IndexedDB store "${name}" is open for writing elsewhere (another tab or connection)`);
    }
    let db;
    try {
      db = await openDatabase(indexedDB, DB_PREFIX + name);
      const { nodes, bytes, root } = await prefetchAll(db, IDBKeyRange, prefetchChunk);
      return new IndexedDBStore(OPEN, { name, db, lock, readOnly: !lock, durability, nodes, bytes, root });
    } catch (err) {
      db?.close();
      lock?.release();
      throw err;
    }
  }

  get name() { return this.#name; }
  get readOnly() { return this.#readOnly; }
  get closed() { return this.#closed; }

  // Whether this IndexedDB honours the `durability` transaction option.
  get durabilitySupported() {
    const Tx = globalThis.IDBTransaction;
    return !!Tx && "durability" in Tx.prototype;
  }

  get(addr) {
    this.#usable();
    return this.#nodes.get(addr) ?? null;
  }

  put(addr, bytes) {
    this.#writable();
    if (typeof addr !== "string" || !ADDR.test(addr)) throw new TypeError(`put: invalid node address ${JSON.stringify(addr)}`);
    checkBytes(bytes, "put: bytes");
    if (this.#nodes.has(addr)) return;
    const copy = copyBytes(bytes);
    this.#nodes.set(addr, copy);
    this.#bytes += copy.byteLength;
    this.#pending.set(addr, copy);
  }

  del(addrs) {
    this.#writable();
    for (const addr of addrs) {
      const node = this.#nodes.get(addr);
      if (node === undefined) continue;
      this.#nodes.delete(addr);
      this.#bytes -= node.byteLength;
      this.#pending.set(addr, null);
    }
  }

  list() {
    this.#usable();
    return Array.from(this.#nodes.keys());
  }

  readRoot() {
    this.#usable();
    return this.#root;
  }

  writeRoot(bytes) {
    this.#writable();
    checkBytes(bytes, "writeRoot: bytes");
    this.#root = copyBytes(bytes);
    this.#pendingRoot = this.#root;
  }

  // Hands everything written since the last sync() to IndexedDB as one
  // transaction (now, or right after the one in flight).
  sync() {
    this.#usable();
    this.#throwKeptError();
    if (this.#pending.size === 0 && this.#pendingRoot === undefined) {
      if (this.#queued && !this.#running) this.#startNext();  // a batch put back after a failure
      return;
    }
    const batch = this.#queued ?? { nodes: new Map(), root: undefined, seq: 0 };
    for (const [addr, bytes] of this.#pending) batch.nodes.set(addr, bytes);
    if (this.#pendingRoot !== undefined) batch.root = this.#pendingRoot;
    batch.seq = ++this.#requested;
    this.#pending = new Map();
    this.#pendingRoot = undefined;
    this.#queued = batch;
    if (!this.#running) this.#startNext();
  }

  // Resolves when every batch handed to sync() so far is committed; rejects
  // with a failed commit's error (see the header).
  whenDurable() {
    if (this.#error) {
      const err = this.#error;
      this.#error = null;
      return Promise.reject(err);
    }
    const seq = this.#requested;
    if (this.#durable >= seq) return Promise.resolve();
    if (this.#broken) return Promise.reject(this.#broken);
    if (this.#released) {
      // closed with a batch that failed and was never retried
      return Promise.reject(storeError("closed", `IndexedDB store "${this.#name}" was closed before everything synced was committed`));
    }
    if (this.#queued && !this.#running) this.#startNext();  // a batch put back after a failure
    return new Promise((resolve, reject) => this.#waiters.push({ seq, resolve, reject }));
  }

  stats() {
    return {
      nodes: this.#nodes.size,
      storedBytes: this.#bytes,
      pendingChanges: this.#pending.size + (this.#queued?.nodes.size ?? 0) + (this.#running?.nodes.size ?? 0),
      commits: this.#commits,
      readOnly: this.#readOnly,
    };
  }

  close() {
    if (this.#closed) return;
    this.#closed = true;
    this.#pending = new Map();
    this.#pendingRoot = undefined;
    if (!this.#running) this.#release();
    // else: #release() runs when the transaction in flight (and any batch
    // queued behind it) is done.
  }

  // ------------------------------------------------------------ internals

  #usable() {
    if (this.#broken) throw this.#broken;
    if (this.#closed) throw storeError("closed", `IndexedDB store "${this.#name}" is closed`);
  }

  #writable() {
    this.#usable();
    if (this.#readOnly) {
      throw storeError("store-readonly", `IndexedDB store "${this.#name}" was opened read-only: another tab or connection holds its writer lock`);
    }
  }

  #throwKeptError() {
    if (this.#error) {
      const err = this.#error;
      this.#error = null;
      throw err;
    }
  }

  #startNext() {
    const batch = this.#queued;
    this.#queued = null;
    if (!batch) return;
    this.#running = batch;
    let tx;
    try {
      tx = this.#db.transaction([NODES, META], "readwrite", { durability: this.#durability });
      const nodes = tx.objectStore(NODES);
      for (const [addr, bytes] of batch.nodes) {
        if (bytes) nodes.put(bytes, addr);
        else nodes.delete(addr);
      }
      if (batch.root !== undefined) tx.objectStore(META).put(batch.root, ROOT_KEY);
    } catch (err) {
      try { tx?.abort(); } catch { /* already finished */ }
      // Report asynchronously, like a transaction that failed later.
      queueMicrotask(() => this.#failed(batch, err));
      return;
    }
    tx.oncomplete = () => this.#completed(batch);
    // A failed request aborts the whole transaction (its error event is not
    // prevented): onabort sees every failure, and nothing commits partially.
    tx.onabort = () => this.#failed(batch, tx.error);
    tx.commit?.();  // no more requests: the browser can commit at once
  }

  #completed(batch) {
    this.#running = null;
    this.#commits++;
    this.#durable = batch.seq;
    const ready = this.#waiters.filter((w) => w.seq <= batch.seq);
    this.#waiters = this.#waiters.filter((w) => w.seq > batch.seq);
    for (const w of ready) w.resolve();
    if (this.#queued) this.#startNext();
    else if (this.#closed) this.#release();
  }

  #failed(batch, cause) {
    this.#running = null;
    const err = cause?.code
      ? cause
      : storeError("store-error", `commit to IndexedDB store "${this.#name}" failed: ${describeError(cause)}`, cause ?? undefined);
    // Put the batch back under whatever was synced after it.
    if (this.#queued) {
      for (const [addr, bytes] of this.#queued.nodes) batch.nodes.set(addr, bytes);
      if (this.#queued.root !== undefined) batch.root = this.#queued.root;
      batch.seq = this.#queued.seq;
    }
    this.#queued = batch;
    // Reported once: to the whenDurable() calls waiting now, or else kept
    // for the next sync()/whenDurable() call.
    const waiters = this.#waiters;
    this.#waiters = [];
    if (waiters.length === 0) this.#error = err;
    for (const w of waiters) w.reject(err);
    if (this.#closed) this.#release();
  }

  #lose(err) {
    if (!this.#broken) this.#broken = err;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w.reject(err);
    this.#closed = true;
    this.#release();
  }

  #release() {
    if (this.#released) return;
    this.#released = true;
    try { this.#db.close(); } catch { /* already closed */ }
    this.#lock?.release();
  }
}

const OPEN = Symbol("IndexedDBStore.open");

// Deletes the IndexedDB database of store `name` (waits until every open
// connection to it has closed; datalite's own stores close themselves).
export function deleteIndexedDBStore(name, { indexedDB = globalThis.indexedDB } = {}) {
  if (typeof name !== "string" || name === "") return Promise.reject(new TypeError("deleteIndexedDBStore: name must be a non-empty string"));
  if (!indexedDB) return Promise.reject(storeError("store-error", "IndexedDB is not available in this environment"));
  return new Promise((resolve, reject) => {
    const req = indexedDB.deleteDatabase(DB_PREFIX + name);
    req.onsuccess = () => resolve();
    req.onerror = (event) => {
      event?.preventDefault?.();
      reject(storeError("store-error", `cannot delete IndexedDB store "${name}": ${describeError(req.error)}`, req.error));
    };
  });
}
