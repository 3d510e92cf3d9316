// SqliteStore: datalite's node store in a SQLite database, through
// @sqlite.org/sqlite-wasm (pinned to 3.50.4-build1 in package.json).
//
//   // in a dedicated Worker: persistent, in OPFS
//   const store = await SqliteStore.open({ path: "/tasks.db" });
//   // anywhere (and the only choice in Node.js): in memory
//   const store = await SqliteStore.open();
//
// Where it persists:
// - Browser, dedicated Worker: `path` is a file of the `opfs-sahpool` VFS
//   (installOpfsSAHPoolVfs): SQLite files in the origin private file system,
//   accessed through synchronous access handles. Persistent, no COOP/COEP
//   needed, synchronous reads — so get() reads a node straight from the file.
//   The pool is named by `pool` (default "datalite-sqlite"); it holds its
//   files exclusively (and a Web Lock "datalite-sqlite-pool:<pool>" guards
//   it), so a second tab (worker) opening the same pool gets
//   Error("store-locked: ..."): unlike IndexedDB there is no read-only
//   fallback, OPFS access handles cannot be shared. close() releases the
//   pool when no other store of this realm uses it (and a closed tab or
//   terminated worker releases it too). The connection runs in
//   locking_mode EXCLUSIVE with a TRUNCATE journal (see open()). Any other
//   VFS name (e.g. "opfs", which needs COOP/COEP) is passed to SQLite as
//   given.
// - Browser main thread: OPFS access handles exist only in dedicated workers,
//   so a `path` there is rejected (store-error; use the IndexedDB store on
//   the main thread, or run datalite in a Worker). No path = in memory.
// - Node.js: sqlite-wasm's Node build has no persistent VFS (only its
//   in-memory file systems; a real path fails with SQLITE_CANTOPEN), so
//   ONLY IN-MEMORY databases are possible: open() without `path` (or with
//   ":memory:") works, any other path is rejected with a store-error that
//   says so. Use the file store for durable storage in Node.
// - Everywhere, { path: "/name", vfs: "memdb" } is an in-memory database
//   shared by name between the connections of one JS realm (gone when the
//   last one closes).
//
// Schema: nodes(addr TEXT PRIMARY KEY, bytes BLOB) WITHOUT ROWID and
// meta(key TEXT PRIMARY KEY, value BLOB) WITHOUT ROWID holding key 'root'.
// Every statement is prepared once and reused. The first write (put, del,
// writeRoot) after a sync() runs BEGIN; sync() runs COMMIT, so all nodes and
// the root of one sync become visible (and durable, on OPFS) atomically; a
// crash before COMMIT leaves the previous commit (SQLite's rollback journal).
// Reads on the same connection see the open transaction's writes (readRoot()
// is the last root written). sync() is synchronous here: when it returns the
// commit is done, so whenDurable() resolves at once (it exists so that every
// store has the same shape). If a write fails in a way that makes SQLite roll
// the whole transaction back (disk full, I/O error), the batch is lost: every
// later write throws that error and the next sync() reports it and ends the
// batch, so a root can never be committed without the nodes written before it.
//
// sqlite-wasm is loaded with `import("@sqlite.org/sqlite-wasm")` (Node and
// bundlers resolve it). A page or worker without a bundler (no import maps in
// workers) passes the init function: open({ sqlite3InitModule }) with the
// default export of node_modules/@sqlite.org/sqlite-wasm/index.mjs, or an
// already initialised `sqlite3` object.
//
// Errors are Error objects whose message starts with a code ("store-error",
// "store-locked", "closed") and that carry it as `.code`.

const ADDR = /^[0-9a-f]{32}$/;
const DEFAULT_POOL = "datalite-sqlite";

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

const inDedicatedWorker = () =>
  typeof globalThis.DedicatedWorkerGlobalScope === "function" && globalThis instanceof globalThis.DedicatedWorkerGlobalScope;

// One initialised sqlite3 per init function (the wasm module is ~850 KB).
const initialised = new Map();

async function loadSqlite3(sqlite3, sqlite3InitModule) {
  if (sqlite3) return sqlite3;
  let init = sqlite3InitModule;
  if (!init) {
    try {
      init = (await import("@sqlite.org/sqlite-wasm")).default;
    } catch (err) {
      throw storeError("store-error",
        "cannot load @sqlite.org/sqlite-wasm (install it, or pass open({ sqlite3InitModule }) " +
        `with the default export of @sqlite.org/sqlite-wasm/index.mjs): ${describeError(err)}`, err);
    }
  }
  let pending = initialised.get(init);
  if (!pending) {
    // sqlite-wasm prints diagnostics (e.g. why the "opfs" VFS is unavailable
    // without COOP/COEP) through print/printErr: failures reach us as errors.
    // Its oo1 layer also warns on every failed step (sqlite3.config.warn):
    // those errors are thrown to the store, which reports them.
    pending = init({ print: () => {}, printErr: () => {} }).then((sqlite3) => {
      sqlite3.config.warn = () => {};
      return sqlite3;
    });
    initialised.set(init, pending);
    pending.catch(() => initialised.delete(init));
  }
  try {
    return await pending;
  } catch (err) {
    throw storeError("store-error", `sqlite-wasm failed to initialise: ${describeError(err)}`, err);
  }
}

// Exclusive Web Lock `name`: { release() }, or null when another context
// keeps it for longer than waitMs.
async function acquireLock(locks, name, waitMs) {
  const attempt = (options) => new Promise((resolve, reject) => {
    let release;
    const held = new Promise((r) => { release = r; });
    locks.request(name, { mode: "exclusive", ...options }, (lock) => {
      if (!lock) {
        resolve(null);
        return undefined;
      }
      resolve({ release });
      return held;
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

// opfs-sahpool pools in use in this realm: name -> { pool, users, lock }.
const pools = new Map();

// The pool `name`, installed (or unpaused) for one more store. A Web Lock
// ("datalite-sqlite-pool:<name>") is taken before sqlite-wasm touches the
// pool's files: a second tab then gets store-locked at once, and never runs
// sqlite-wasm's failed-install cleanup, which tries to delete the pool's
// directory (removeVfs) while the first tab is using it.
async function openPool(sqlite3, { name, directory, capacity, locks, lockWaitMs }) {
  if (typeof sqlite3.installOpfsSAHPoolVfs !== "function") {
    throw storeError("store-error",
      "sqlite-wasm has no persistent storage here: in Node.js only in-memory databases are possible " +
      "(open the sqlite store without a path, or use the file store)");
  }
  if (!inDedicatedWorker()) {
    throw storeError("store-error",
      "the opfs-sahpool VFS needs a dedicated Worker (OPFS synchronous access handles); " +
      "on the main thread use the indexeddb store, or open the sqlite store without a path (in memory)");
  }
  const open = pools.get(name);
  if (open) {
    open.users++;
    return open.pool;
  }
  const locked = () => storeError("store-locked", `the OPFS pool "${name}" is in use by another tab or worker`);
  const lock = locks ? await acquireLock(locks, `datalite-sqlite-pool:${name}`, lockWaitMs) : { release() {} };
  if (!lock) throw locked();
  let pool;
  try {
    pool = await sqlite3.installOpfsSAHPoolVfs({
      name,
      ...(directory ? { directory } : {}),
      initialCapacity: capacity,
      verbosity: 0,  // failures reach us as exceptions
      forceReinitIfPreviouslyFailed: true,
    });
    if (pool.isPaused?.()) await pool.unpauseVfs();
    if (pool.getCapacity() < capacity) await pool.reserveMinimumCapacity(capacity);
  } catch (err) {
    lock.release();
    if (err?.name === "NoModificationAllowedError" || /NoModificationAllowedError|Access Handles cannot be created/i.test(String(err?.message))) {
      throw Object.assign(locked(), { cause: err });
    }
    throw storeError("store-error", `cannot install the opfs-sahpool VFS "${name}": ${describeError(err)}`, err);
  }
  pools.set(name, { pool, users: 1, lock });
  return pool;
}

// One store less on pool `name`; the last one pauses it (its OPFS access
// handles are released, so another tab or worker can open it) and releases
// the lock. A later open here unpauses it.
function releasePool(name) {
  const open = pools.get(name);
  if (!open) return;
  if (--open.users > 0) return;
  pools.delete(name);
  try {
    open.pool.pauseVfs();
  } catch {
    // a database of the pool is still open (not through this module)
  }
  open.lock.release();
}

export class SqliteStore {
  #sqlite3;
  #db;
  #pool;
  #path;
  #persistent;
  #stmt;
  #inTx = false;
  #lostBatch = null;  // error that rolled the open transaction back, until sync() reports it
  #nodes = 0;
  #bytes = 0;
  #closed = false;
  #commits = 0;

  constructor(secret, state) {
    if (secret !== OPEN) throw new TypeError("use SqliteStore.open()");
    this.#sqlite3 = state.sqlite3;
    this.#db = state.db;
    this.#pool = state.pool;
    this.#path = state.path;
    this.#persistent = state.persistent;
    this.#stmt = state.stmt;
    this.#recount();
  }

  // Options: path (a file of the VFS; default ":memory:"), vfs (default
  // "opfs-sahpool" when a path is given), pool / poolDirectory /
  // poolCapacity (the opfs-sahpool pool's name, OPFS directory and number of
  // files: a database takes two, itself and its journal), locks (Web Locks
  // manager, default navigator.locks) and lockWaitMs (how long to wait for a
  // pool another context holds, default 1000: covers a reload), and
  // sqlite3InitModule or sqlite3 (how to get sqlite-wasm, see the header).
  static async open({
    path, vfs,
    pool: poolName = DEFAULT_POOL, poolDirectory, poolCapacity = 6,
    locks = globalThis.navigator?.locks, lockWaitMs = 1000,
    sqlite3InitModule, sqlite3: given,
  } = {}) {
    if (path !== undefined && (typeof path !== "string" || path === "")) throw new TypeError("SqliteStore.open: path must be a non-empty string");
    if (vfs !== undefined && typeof vfs !== "string") throw new TypeError("SqliteStore.open: vfs must be a string");
    const memory = path === undefined || path === ":memory:";
    if (memory && vfs !== undefined) throw new TypeError(`SqliteStore.open: vfs ${JSON.stringify(vfs)} needs a path`);
    const sqlite3 = await loadSqlite3(given, sqlite3InitModule);
    let pool = null;
    let db;
    try {
      if (memory) {
        db = new sqlite3.oo1.DB(":memory:", "c");
      } else if (vfs === "memdb") {
        // in memory, shared by the connections of this realm that name it
        db = new sqlite3.oo1.DB({ filename: path.startsWith("/") ? path : `/${path}`, flags: "c", vfs: "memdb" });
      } else if ((vfs ?? "opfs-sahpool") === "opfs-sahpool") {
        const util = await openPool(sqlite3, { name: poolName, directory: poolDirectory, capacity: poolCapacity, locks, lockWaitMs });
        pool = poolName;
        db = new util.OpfsSAHPoolDb(path.startsWith("/") ? path : `/${path}`);
      } else {
        if (typeof sqlite3.installOpfsSAHPoolVfs !== "function") {
          // Node's build: its file VFSs live in Emscripten's in-memory file
          // system, which would look persistent and lose everything.
          throw storeError("store-error", "sqlite-wasm has no persistent storage here: in Node.js only in-memory databases are possible " +
            "(open the sqlite store without a path, or use the file store)");
        }
        if (!sqlite3.capi.sqlite3_vfs_find(vfs)) throw storeError("store-error", `sqlite-wasm has no VFS ${JSON.stringify(vfs)} here`);
        db = new sqlite3.oo1.DB({ filename: path, flags: "c", vfs });
      }
      if (!memory && vfs !== "memdb") {
        // One connection owns the file (the pool is exclusive to this
        // context anyway): keeping the lock keeps SQLite's page cache valid
        // between transactions. Measured in Chromium on opfs-sahpool: a
        // point read 30 µs instead of 1 ms. TRUNCATE keeps the journal's
        // pool slot instead of deleting and recreating it each commit.
        db.exec("PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = TRUNCATE;");
      }
      db.exec(`
        CREATE TABLE IF NOT EXISTS nodes(addr TEXT PRIMARY KEY, bytes BLOB NOT NULL) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
      `);
      const stmt = {
        get: db.prepare("SELECT bytes FROM nodes WHERE addr = ?"),
        put: db.prepare("INSERT OR IGNORE INTO nodes(addr, bytes) VALUES (?, ?)"),
        del: db.prepare("DELETE FROM nodes WHERE addr = ? RETURNING length(bytes)"),
        list: db.prepare("SELECT addr FROM nodes"),
        readRoot: db.prepare("SELECT value FROM meta WHERE key = 'root'"),
        writeRoot: db.prepare("INSERT OR REPLACE INTO meta(key, value) VALUES ('root', ?)"),
        count: db.prepare("SELECT count(*), coalesce(sum(length(bytes)), 0) FROM nodes"),
        begin: db.prepare("BEGIN"),
        commit: db.prepare("COMMIT"),
        rollback: db.prepare("ROLLBACK"),
      };
      return new SqliteStore(OPEN, { sqlite3, db, pool, path: memory ? ":memory:" : path, persistent: !memory && vfs !== "memdb", stmt });
    } catch (err) {
      try { db?.close(); } catch { /* ignore */ }
      if (pool) releasePool(pool);
      if (err?.code && /^(store-|closed)/.test(err.code)) throw err;
      if (err?.resultCode === 5 /* SQLITE_BUSY */) {
        throw storeError("store-locked", `SQLite database ${JSON.stringify(path)} is open in another connection`, err);
      }
      throw storeError("store-error", `cannot open SQLite database ${JSON.stringify(path ?? ":memory:")}: ${describeError(err)}`, err);
    }
  }

  get path() { return this.#path; }
  get persistent() { return this.#persistent; }
  get closed() { return this.#closed; }

  get(addr) {
    this.#usable();
    const s = this.#stmt.get;
    try {
      s.bind(1, addr);
      return s.step() ? s.getBlob(0) : null;
    } catch (err) {
      throw this.#wrap(err, `reading node ${addr}`);
    } finally {
      quietReset(s, true);
    }
  }

  put(addr, bytes) {
    this.#usable();
    if (typeof addr !== "string" || !ADDR.test(addr)) throw new TypeError(`put: invalid node address ${JSON.stringify(addr)}`);
    checkBytes(bytes, "put: bytes");
    this.#begin();
    const s = this.#stmt.put;
    try {
      // bind() copies the bytes into SQLite's own memory
      s.bind(1, addr).bind(2, bytes);
      s.step();
    } catch (err) {
      throw this.#writeFailed(err, `writing node ${addr}`);
    } finally {
      quietReset(s, true);
    }
    if (this.#db.changes() > 0) {
      this.#nodes++;
      this.#bytes += bytes.byteLength;
    }
  }

  del(addrs) {
    this.#usable();
    const s = this.#stmt.del;
    for (const addr of addrs) {
      this.#begin();
      try {
        s.bind(1, addr);
        if (s.step()) {
          this.#nodes--;
          this.#bytes -= Number(s.getInt(0));
        }
      } catch (err) {
        throw this.#writeFailed(err, `deleting node ${addr}`);
      } finally {
        quietReset(s, true);
      }
    }
  }

  list() {
    this.#usable();
    const s = this.#stmt.list;
    const out = [];
    try {
      while (s.step()) out.push(s.getString(0));
    } catch (err) {
      throw this.#wrap(err, "listing nodes");
    } finally {
      quietReset(s);
    }
    return out;
  }

  readRoot() {
    this.#usable();
    const s = this.#stmt.readRoot;
    try {
      return s.step() ? s.getBlob(0) : null;
    } catch (err) {
      throw this.#wrap(err, "reading the root");
    } finally {
      quietReset(s);
    }
  }

  writeRoot(bytes) {
    this.#usable();
    checkBytes(bytes, "writeRoot: bytes");
    this.#begin();
    const s = this.#stmt.writeRoot;
    try {
      s.bind(1, bytes);
      s.step();
    } catch (err) {
      throw this.#writeFailed(err, "writing the root");
    } finally {
      quietReset(s, true);
    }
  }

  // Deletes every node and the root (deleteDatabase): part of the open
  // transaction, like any write; sync() commits it.
  clear() {
    this.#usable();
    this.#begin();
    try {
      this.#db.exec("DELETE FROM nodes; DELETE FROM meta;");
    } catch (err) {
      throw this.#writeFailed(err, "clearing the store");
    }
    this.#nodes = 0;
    this.#bytes = 0;
  }

  // COMMIT: everything written since the last sync(), atomically.
  sync() {
    this.#usable();
    if (this.#lostBatch) {
      const err = this.#lostBatch;
      this.#lostBatch = null;
      throw err;
    }
    if (!this.#inTx) return;
    try {
      this.#stmt.commit.step();
      this.#inTx = false;
      this.#commits++;
    } catch (err) {
      // A failed COMMIT may leave the transaction open (SQLITE_BUSY: retry
      // with the next sync) or have rolled it back (I/O error, disk full).
      this.#inTx = !this.#autocommit();
      if (!this.#inTx) this.#recount();
      throw this.#wrap(err, "committing");
    } finally {
      quietReset(this.#stmt.commit);
    }
  }

  whenDurable() {
    return Promise.resolve();
  }

  stats() {
    return { nodes: this.#nodes, storedBytes: this.#bytes, commits: this.#commits, inTransaction: this.#inTx };
  }

  // Rolls back writes made since the last sync(), closes the database and
  // releases the OPFS pool when no other store of this realm uses it.
  close() {
    if (this.#closed) return;
    this.#closed = true;
    try {
      if (this.#inTx) {
        try { this.#stmt.rollback.step(); } catch { /* closing anyway */ }
      }
      for (const s of Object.values(this.#stmt)) s.finalize();
      this.#db.close();
    } finally {
      if (this.#pool) releasePool(this.#pool);
    }
  }

  // ------------------------------------------------------------ internals

  #usable() {
    if (this.#closed) throw storeError("closed", `SQLite store ${JSON.stringify(this.#path)} is closed`);
  }

  // A failed write may have made SQLite roll back the whole transaction
  // (disk full, I/O error). Then the batch is lost: later writes must not
  // start a new transaction that sync() would commit without the lost part,
  // so they throw, and the next sync() reports the loss and ends the batch.
  #writeFailed(err, doing) {
    const wrapped = this.#wrap(err, doing);
    if (this.#inTx && this.#autocommit()) {
      this.#inTx = false;
      this.#lostBatch = storeError("store-error",
        `SQLite store ${JSON.stringify(this.#path)}: the writes since the last sync were rolled back after ${doing} failed: ${describeError(err)}`, err);
      this.#recount();
    }
    return wrapped;
  }

  #begin() {
    if (this.#lostBatch) throw this.#lostBatch;
    if (this.#inTx) return;
    const s = this.#stmt.begin;
    try {
      s.step();
    } catch (err) {
      throw this.#wrap(err, "starting a transaction");
    } finally {
      quietReset(s);
    }
    this.#inTx = true;
  }

  #autocommit() {
    return this.#sqlite3.capi.sqlite3_get_autocommit(this.#db.pointer) !== 0;
  }

  #recount() {
    const s = this.#stmt.count;
    try {
      s.step();
      this.#nodes = Number(s.getInt(0));
      this.#bytes = Number(s.getInt(1));
    } finally {
      quietReset(s);
    }
  }

  #wrap(err, doing) {
    return storeError("store-error", `SQLite store ${JSON.stringify(this.#path)}: ${doing} failed: ${describeError(err)}`, err);
  }
}

const OPEN = Symbol("SqliteStore.open");

// Stmt.reset() rethrows the error of the last step(): in a finally block that
// would replace the error being reported.
function quietReset(stmt, clearBindings = false) {
  try {
    stmt.reset(clearBindings);
  } catch {
    // the step's error is already being thrown
  }
}
