// Connection: the mutable reference to a database's latest value (API.md
// section 4). Transactions run synchronously in the engine; the async
// signatures leave room for durable stores (strict commits resolve after the
// write), which plug in below this class.
import { DataliteError } from "./errors.js";
import { Op, currentEngine, initEngine } from "./engine.js";
import { connectionValues, emptyDb, expandTxFunctions, initDb, readDb, writeTx } from "./db.js";
import { describe } from "./convert.js";
import { invalid, stripColon } from "./wire.js";

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

function storeOf(config) {
  const store = config?.store ?? { backend: "memory" };
  if (store.backend !== "memory") {
    throw new DataliteError("store-error", `store backend ${describe(store.backend)} is not available in this build`);
  }
  return store;
}

export async function connect(config = {}) {
  await initEngine();
  const store = storeOf(config);
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
  if (store.id === undefined) return;  // anonymous memory dbs are created on connect
  if (memoryDatabases.has(store.id)) throw invalid(`database ${describe(store.id)} already exists`);
  memoryDatabases.set(store.id, new MemoryDatabase(config));
}

export async function deleteDatabase(config = {}) {
  await initEngine();
  const store = storeOf(config);
  if (store.id !== undefined) memoryDatabases.delete(store.id);
}

export async function databaseExists(config = {}) {
  await initEngine();
  const store = storeOf(config);
  return store.id !== undefined && memoryDatabases.has(store.id);
}

export class Connection {
  #database;
  #listeners = new Map();
  #nextListener = 1;
  #functions = new Map();
  #closed = false;

  constructor(database) {
    this.#database = database;
    database.connections++;
  }

  db() {
    this.#checkOpen();
    return this.#database.db;
  }

  async transact(txData, txMeta) {
    return this.transactSync(txData, txMeta);
  }

  // Batched commits only matter for durable stores; in memory every
  // transaction is already its own commit.
  async transactAsync(txData, txMeta) {
    return this.transactSync(txData, txMeta);
  }

  // Runs one transaction now. Atomic: on error nothing changes.
  transactSync(txData, txMeta) {
    this.#checkOpen();
    const before = this.#database.db;
    const expanded = expandTxFunctions(txData, before, this.#functions);
    const enc = before.encoder();
    const e = currentEngine();
    e.begin().varint(before.handle);
    writeTx(enc, expanded, txMeta);
    enc.w.signedVarint(-1);  // tx instant: the wall clock
    const r = e.send(Op.Transact);
    const after = readDb(r);
    const tx = r.varint();
    const tempids = {};
    const n = r.varint();
    for (let i = 0; i < n; i++) {
      const key = r.value();
      tempids[String(key)] = r.varint();
    }
    const report = { dbBefore: before, dbAfter: after, txData: r.datoms(), tempids, tx };
    this.#database.setDb(after);
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
    const current = this.#database.db;
    if (current.maxEid === 0) {
      // Nothing but a map schema so far: rebuild from the datoms directly.
      this.#database.setDb(initDb(datoms, current.schema(), { keepHistory: this.#database.keepHistory }));
      return;
    }
    const tx = datoms.map((d) => (Array.isArray(d) ? [":db/add", d[0], d[1], d[2]] : [":db/add", d.e, d.a, d.v]));
    this.transactSync(tx);
  }

  async gc() {
    this.#checkOpen();
    return { removed: 0 };  // memory store: unreachable values are freed by the GC
  }

  async flush() {
    this.#checkOpen();
  }

  async close() {
    if (this.#closed) return;
    this.#closed = true;
    this.#database.connections--;
    // An anonymous memory database ends with its last connection: its
    // current value becomes an ordinary (disposable) Db.
    if (this.#database.anonymous && this.#database.connections === 0) connectionValues.delete(this.#database.db);
    this.#listeners.clear();
  }

  stats() {
    this.#checkOpen();
    const db = this.#database.db;
    return { datoms: db.count, maxTx: db.maxTx, maxEid: db.maxEid, nodes: 0, storedBytes: 0, cacheBytes: 0 };
  }

  #checkOpen() {
    if (this.#closed) throw new DataliteError("closed", "the connection is closed");
  }
}
