// Connection: the mutable reference to a database's latest value (API.md
// section 4). Transactions run synchronously in the engine; durable stores
// (storage.js) add the durability step before the returned promise
// resolves, and group concurrent transactAsync calls under one sync.
import { DataliteError } from "./errors.js";
import { Op, currentEngine, initEngine } from "./engine.js";
import { connectionValues, emptyDb, expandTxFunctions, initDb, readDb, schemaInfoOf, setLimits, writeDatomRows, writeTx } from "./db.js";
import { describe } from "./convert.js";
import { invalid, stripColon } from "./wire.js";
import { StoredDatabase, backendExists, deleteBackend, storeKey } from "./storage.js";

// Named in-memory databases ({ backend: "memory", id }) live as long as the
// module: connect() to the same id shares one database.
const memoryDatabases = new Map();

class MemoryDatabase {
  constructor(config) {
    this.keepHistory = config.keepHistory !== false;
    this.db = null;
    this.setDb(emptyDb(config.schema, { keepHistory: this.keepHistory }));
    this.connections = 0;
    this.anonymous = false;
  }

  // The current value is pinned (db.dispose() leaves it alone) until a newer
  // one replaces it.
  setDb(db) {
    if (this.db) connectionValues.delete(this.db);
    connectionValues.add(db);
    this.db = db;
  }
}

// Durable databases open in this process, by store key: connections to the
// same store share one (a single writer).
const durableDatabases = new Map();

// Databases inside transactSync (their transaction functions are running).
const transacting = new WeakSet();

function checkNotTransacting(database) {
  if (transacting.has(database)) {
    throw invalid("a transaction function cannot transact on (or load into) the database it runs in: " +
      "return the tx-data instead");
  }
}

function storeOf(config) {
  if (config !== null && typeof config !== "object") throw invalid(`config must be an object, got ${describe(config)}`);
  const store = config?.store ?? { backend: "memory" };
  if (!store || typeof store !== "object") throw invalid(`store must be an object, got ${describe(store)}`);
  return store;
}

const isDurable = (store) => store.backend !== "memory";

export async function connect(config = {}) {
  await initEngine();
  if (config?.limits !== undefined) setLimits(config.limits);  // engine-wide (README "Limits")
  const store = storeOf(config);
  if (isDurable(store)) {
    const key = await storeKey(store);
    let opening = durableDatabases.get(key);
    if (!opening) {
      opening = StoredDatabase.open(config, key);
      durableDatabases.set(key, opening);
      opening.catch(() => durableDatabases.delete(key));
    }
    const database = await opening;
    database.keepHistory = config.keepHistory !== false;
    return new Connection(database);
  }
  let database;
  if (store.id === undefined) {
    database = new MemoryDatabase(config);
    database.anonymous = true;
  }
  else {
    database = memoryDatabases.get(store.id);
    if (!database) {
      database = new MemoryDatabase(config);
      memoryDatabases.set(store.id, database);
    }
  }
  return new Connection(database);
}

export async function createDatabase(config = {}) {
  await initEngine();
  const store = storeOf(config);
  if (isDurable(store)) {
    if (await backendExists(store)) throw invalid(`database ${describe(await storeKey(store))} already exists`);
    const conn = await connect(config);
    await conn.close();
    return;
  }
  if (store.id === undefined) return;  // anonymous memory dbs are created on connect
  if (memoryDatabases.has(store.id)) throw invalid(`database ${describe(store.id)} already exists`);
  memoryDatabases.set(store.id, new MemoryDatabase(config));
}

export async function deleteDatabase(config = {}) {
  await initEngine();
  const store = storeOf(config);
  if (isDurable(store)) {
    const key = await storeKey(store);
    if (durableDatabases.has(key)) throw new DataliteError("store-error", `database ${describe(key)} is open: close its connections first`);
    await deleteBackend(store);
    return;
  }
  if (store.id !== undefined) memoryDatabases.delete(store.id);
}

export async function databaseExists(config = {}) {
  await initEngine();
  const store = storeOf(config);
  if (isDurable(store)) return durableDatabases.has(await storeKey(store)) || backendExists(store);
  return store.id !== undefined && memoryDatabases.has(store.id);
}

// Internal (restore.js): makes `db`, built outside any transaction, the
// connection's value, stored in one commit for durable databases.
export async function adoptRestored(conn, db) {
  return conn[ADOPT](db);
}
const ADOPT = Symbol("adopt");

export class Connection {
  #database;
  #listeners = new Map();
  #nextListener = 1;
  #functions = new Map();
  #closed = false;
  #queue = [];          // transactAsync calls waiting for the next batch
  #draining = null;     // the running batch loop

  constructor(database) {
    this.#database = database;
    database.connections++;
  }

  db() {
    this.#checkOpen();
    return this.#database.db;
  }

  async transact(txData, txMeta) {
    // A deterministic point: queued transactAsync calls go first.
    if (this.#queue.length || this.#draining) await this.#drainAll();
    const database = this.#database;
    const point = database.undoPoint?.();
    try {
      const report = this.transactSync(txData, txMeta);
      await this.#durable(point);
      return report;
    } finally {
      database.releaseUndoPoint?.(point);
    }
  }

  // The durability step after commits made since `point` (strict stored
  // databases): a failed sync undoes them before the error goes on, so a
  // rejected transaction is never applied, now or after a reopen.
  async #durable(point) {
    try {
      await this.#database.committed?.();
    } catch (err) {
      if (point) this.#database.undo(point);
      throw err;
    }
  }

  // Calls made while a batch is running (or in the same tick) are committed
  // together: one durability step (fsync, IndexedDB transaction) for all.
  // The batch grows with the load: while one batch waits for its sync, the
  // next one collects.
  transactAsync(txData, txMeta) {
    return new Promise((resolve, reject) => {
      this.#checkOpen();
      this.#queue.push({ txData, txMeta, resolve, reject });
      if (!this.#draining) this.#draining = this.#drain();
    });
  }

  async #drain() {
    await null;  // let the callers of this tick queue up
    try {
      while (this.#queue.length) {
        const batch = this.#queue.splice(0);
        const done = [];
        const point = this.#database.undoPoint?.();
        for (const item of batch) {
          try {
            done.push([item, this.transactSync(item.txData, item.txMeta)]);
          } catch (err) {
            item.reject(err);
          }
        }
        try {
          if (done.length) await this.#durable(point);
          for (const [item, report] of done) item.resolve(report);
        } catch (err) {
          for (const [item] of done) item.reject(err);
        } finally {
          this.#database.releaseUndoPoint?.(point);
        }
      }
    } finally {
      this.#draining = null;
    }
  }

  async #drainAll() {
    while (this.#draining) await this.#draining;
  }

  // Runs one transaction now. Atomic: on error nothing changes.
  transactSync(txData, txMeta) {
    this.#checkOpen();
    const database = this.#database;
    database.checkWritable?.();
    const before = database.db;
    let report;
    // A transaction function that writes to the database it runs in would
    // see its write lost (this transaction started from `before`).
    checkNotTransacting(database);
    transacting.add(database);
    try {
      const expanded = expandTxFunctions(txData, before, this.#functions);
      const enc = before.encoder();
      const e = currentEngine();
      const w = e.begin();
      if (database.storage) w.varint(database.storage);
      w.varint(before.handle);
      writeTx(enc, expanded, txMeta);
      enc.w.signedVarint(-1);  // tx instant: the wall clock
      const r = e.send(database.storage ? Op.StoreTransact : Op.Transact);
      const after = readDb(r);
      const tx = r.varint();
      const tempids = {};
      const n = r.varint();
      for (let i = 0; i < n; i++) {
        const key = r.value();
        tempids[String(key)] = r.varint();
      }
      report = { dbBefore: before, dbAfter: after, txData: r.datoms(), tempids, tx };
      if (database.storage) database.readCommit(r);
      database.setDb(after);
    } finally {
      transacting.delete(database);
    }
    for (const listener of this.#listeners.values()) {
      try {
        listener(report);
      } catch (err) {
        // A failing listener must not undo a committed transaction.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
    return report;
  }

  async [ADOPT](db) {
    this.#checkOpen();
    const database = this.#database;
    if (database.storage) {
      database.checkpoint(db);
      database.setDb(db);
      await database.flush();
    } else {
      database.setDb(db);
    }
  }

  listen(callback) {
    if (typeof callback !== "function") throw invalid("listen needs a function");
    const token = this.#nextListener++;
    this.#listeners.set(token, callback);
    return () => this.#listeners.delete(token);
  }

  registerFn(name, fn) {
    if (typeof name !== "string" || typeof fn !== "function") throw invalid("registerFn(name, fn) needs a name and a function");
    this.#functions.set(stripColon(name), fn);
  }

  // Bulk load: an empty database is rebuilt directly from the datoms (no
  // per-datom tx processing); otherwise they are added in one transaction.
  async load(datoms) {
    this.#checkOpen();
    if (!Array.isArray(datoms)) throw invalid("load needs an array of datoms");
    checkNotTransacting(this.#database);
    if (this.#queue.length || this.#draining) await this.#drainAll();
    const current = this.#database.db;
    this.#database.checkWritable?.();
    if (this.#database.storage) {
      // In the engine: built bottom-up into an empty db and stored in one
      // checkpoint, or one transaction into a db with data.
      const info = schemaInfoOf(current);
      const e = currentEngine();
      const w = e.begin();
      w.varint(this.#database.storage);
      w.varint(current.handle);
      writeDatomRows(w, info, datoms, "load");
      const point = this.#database.undoPoint();
      try {
        const r = e.send(Op.StoreLoad);
        const db = readDb(r);
        this.#database.readCommit(r);
        this.#database.setDb(db);
        await this.#durable(point);
      } finally {
        this.#database.releaseUndoPoint(point);
      }
      return;
    }
    if (current.maxEid === 0) {
      // Nothing but a map schema so far: rebuild from the datoms directly.
      this.#database.setDb(initDb(datoms, current.schema(), { keepHistory: this.#database.keepHistory }));
      return;
    }
    const tx = datoms.map((d) => {
      const [eid, a, v] = Array.isArray(d) ? d : d && typeof d === "object" ? [d.e, d.a, d.v] : [];
      // Prepared datoms name their entities: a string here would be a tempid.
      if (typeof eid !== "number") throw invalid(`load datom needs a numeric entity id, got ${describe(d)}`);
      return [":db/add", eid, a, v];
    });
    this.transactSync(tx);
  }

  // Durable stores: removes the nodes that neither the current value nor
  // any Db value still alive in this process reaches. History lives in the
  // current value's indexes, so asOf/since/history stay complete after gc;
  // keepHistorySince is accepted for API compatibility and has nothing
  // more to keep.
  async gc(opts = {}) {
    this.#checkOpen();
    if (opts !== null && typeof opts !== "object") throw invalid(`gc options must be an object, got ${describe(opts)}`);
    if (this.#queue.length || this.#draining) await this.#drainAll();
    if (!this.#database.storage) return { removed: 0 };  // memory: the JS and engine heaps free values
    this.#database.checkWritable();
    return this.#database.gc();
  }

  async flush() {
    this.#checkOpen();
    if (this.#queue.length || this.#draining) await this.#drainAll();
    await this.#database.flush?.();
  }

  async close() {
    if (this.#closed) return;
    if (this.#queue.length || this.#draining) await this.#drainAll();
    this.#closed = true;
    this.#database.connections--;
    if (this.#database.storage) {
      this.#listeners.clear();
      if (this.#database.connections === 0) {
        durableDatabases.delete(this.#database.key);
        await this.#database.close();
      }
      return;
    }
    // An anonymous memory database ends with its last connection: its
    // current value becomes an ordinary (disposable) Db.
    if (this.#database.anonymous && this.#database.connections === 0) connectionValues.delete(this.#database.db);
    this.#listeners.clear();
  }

  stats() {
    this.#checkOpen();
    const db = this.#database.db;
    const base = { datoms: db.count, maxTx: db.maxTx, maxEid: db.maxEid, nodes: 0, storedBytes: 0, cacheBytes: 0 };
    if (!this.#database.storage) return base;
    return { ...base, ...this.#database.stats(), durability: this.#database.durability, lastCommit: this.#database.lastCommit };
  }

  #checkOpen() {
    if (this.#closed) throw new DataliteError("closed", "the connection is closed");
  }
}
