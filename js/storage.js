// Durable databases (API.md section 6): a store backend (js/stores/) behind
// the engine's StoredDatabase (src/store/), with the durability modes.
//
//   strict  : transact resolves after the commit is durable (one Store.sync,
//             i.e. fsync / IndexedDB transaction / SQLite COMMIT, per commit
//             or per batch of transactAsync calls); when that sync fails,
//             transact rejects and the commit is undone (see undo);
//   relaxed : commits are acknowledged at once; a timer syncs them in
//             batches (RELAXED_SYNC_MS), so a crash loses at most that much;
//   none    : synced only by flush() / close() / gc().
// A crash never leaves a partial commit: the store switches roots atomically.
import { DataliteError } from "./errors.js";
import { Op, currentEngine } from "./engine.js";
import { connectionValues, readDb } from "./db.js";
import { describe } from "./convert.js";
import { storeBridge } from "./stores/bridge.js";
import { TieredStore } from "./stores/tiered.js";
import { MemoryStore } from "./stores/memory.js";
import { encodeSchema } from "./convert.js";

const RELAXED_SYNC_MS = 25;
const DEFAULT_CACHE_BYTES = 64 * 1024 * 1024;

function storeError(message, cause) {
  return new DataliteError("store-error", message, cause ? { cause } : undefined);
}

// Node's fs and path, fetched by computed name (see engine.js: bundlers for
// browsers must not meet a literal node: import).
async function nodeModule(name) {
  return globalThis.process?.getBuiltinModule?.(name) ?? import(/* webpackIgnore: true */ /* @vite-ignore */ name);
}

// What a write to a read-only store (see StoredDatabase.checkWritable) says.
function readOnlyText(key) {
  return `database ${describe(key)} is read-only here: another tab or connection holds its writer lock ` +
    "(one writer per database)";
}

function requireString(value, what) {
  if (typeof value !== "string" || value === "") throw new DataliteError("invalid-input", `${what} must be a non-empty string, got ${describe(value)}`);
  return value;
}

// The backend a config names. API.md writes the tiered config as
// { backend: "tiered", frontend, backend } — in a JS object literal the
// second `backend` key wins, so a config with a `frontend` and an object
// `backend` is tiered too.
export function backendKind(config) {
  if (config.frontend !== undefined && (config.backend === "tiered" || typeof config.backend === "object")) return "tiered";
  return config.backend;
}
function tieredBackend(config) {
  if (config.backend && typeof config.backend === "object") return config.backend;
  throw new DataliteError("invalid-input", "a tiered store needs { frontend: StoreConfig, backend: StoreConfig }");
}

// A stable name for a store config: connections to the same one in this
// process share one database (one writer).
export async function storeKey(config) {
  switch (backendKind(config)) {
    case "file": {
      const path = await nodeModule("node:path");
      // A read-only view is its own database: it never shares the writer's.
      return `${config.readOnly === true ? "file-ro" : "file"}:${path.resolve(requireString(config.path, "store.path"))}`;
    }
    case "indexeddb": return `indexeddb:${requireString(config.name, "store.name")}`;
    case "sqlite": return `sqlite:${config.path ?? ":memory:"}:${config.vfs ?? ""}`;
    case "tiered": return storeKey(tieredBackend(config));  // the backend is the database
    case "custom": return `custom:${requireString(config.name, "store.name")}`;
    default: throw new DataliteError("store-error", `unknown store backend ${describe(config.backend)}`);
  }
}

// Opens the JS store for a config (not the memory backend, which needs none).
export async function openBackend(config) {
  if (!config || typeof config !== "object") throw new DataliteError("invalid-input", `store config must be an object, got ${describe(config)}`);
  try {
    switch (backendKind(config)) {
      case "file": {
        if (typeof globalThis.process?.versions?.node !== "string") throw storeError('the "file" backend needs Node.js');
        // A computed specifier: bundlers for browsers and edge runtimes must
        // not follow it into node:fs.
        const fileStore = "./stores/file.js";
        const { FileStore } = await import(/* webpackIgnore: true */ /* @vite-ignore */ fileStore);
        if (config.readOnly !== undefined && typeof config.readOnly !== "boolean")
          throw new DataliteError("invalid-input", `store.readOnly must be a boolean, got ${describe(config.readOnly)}`);
        return FileStore.open(requireString(config.path, "store.path"), { readOnly: config.readOnly === true });
      }
      case "indexeddb": {
        const { IndexedDBStore } = await import("./stores/indexeddb.js");
        return await IndexedDBStore.open(requireString(config.name, "store.name"), config.options ?? {});
      }
      case "sqlite": {
        const { SqliteStore } = await import("./stores/sqlite.js");
        return await SqliteStore.open({ path: config.path, vfs: config.vfs, ...(config.options ?? {}) });
      }
      case "custom": {
        // A store the application brings: open() resolves to an object with
        // the interface of js/stores/ (get, put, del, list, readRoot,
        // writeRoot, sync; optionally whenDurable, close, stats, readOnly,
        // and clear() for deleteDatabase). Each connect() (and
        // deleteDatabase) calls open() anew.
        if (typeof config.open !== "function") throw new DataliteError("invalid-input", 'a "custom" store needs { name, open: () => Promise<Store> }');
        return await config.open();
      }
      case "tiered": {
        const front = config.frontend?.backend === "memory" ? new MemoryStore() : await openBackend(config.frontend);
        const back = await openBackend(tieredBackend(config));
        return new TieredStore(front, back);
      }
      default:
        throw storeError(`unknown store backend ${describe(config.backend)}`);
    }
  } catch (err) {
    if (err instanceof DataliteError) throw err;
    const text = String(err?.message ?? err);
    const code = text.startsWith("store-locked") ? "store-error" : err instanceof TypeError ? "invalid-input" : "store-error";
    throw new DataliteError(code, text, { cause: err });
  }
}

// Whether a durable database exists, without opening it for writing.
export async function backendExists(config) {
  switch (backendKind(config)) {
    case "file": {
      const fs = await nodeModule("node:fs");
      const path = await nodeModule("node:path");
      const dir = requireString(config.path, "store.path");
      return fs.existsSync(path.join(dir, "root.0")) || fs.existsSync(path.join(dir, "root.1"));
    }
    case "tiered": return backendExists(tieredBackend(config));
    default: {
      const store = await openBackend(config);
      try {
        return store.readRoot() != null;
      } finally {
        store.close?.();
      }
    }
  }
}

export async function deleteBackend(config) {
  switch (backendKind(config)) {
    case "file": {
      const fs = await nodeModule("node:fs");
      fs.rmSync(requireString(config.path, "store.path"), { recursive: true, force: true });
      return;
    }
    case "indexeddb": {
      const { deleteIndexedDBStore } = await import("./stores/indexeddb.js");
      await deleteIndexedDBStore(requireString(config.name, "store.name"));
      return;
    }
    case "tiered": return deleteBackend(tieredBackend(config));
    default: {
      const store = await openBackend(config);
      try {
        // The root must go too (a root without its nodes is a corrupt
        // database): stores say how with clear().
        if (typeof store.clear !== "function") throw storeError(`this store cannot delete its database (it has no clear())`);
        store.clear();
        store.sync();
        await store.whenDurable?.();  // stores that commit asynchronously
      } finally {
        store.close?.();
      }
    }
  }
}

// One open durable database: the engine's storage handle, the JS store and
// the current value. Shared by the connections to the same store.
export class StoredDatabase {
  static async open(config, key) {
    const durability = config.durability ?? "strict";
    if (!["strict", "relaxed", "none"].includes(durability))
      throw new DataliteError("invalid-input", `durability must be "strict", "relaxed" or "none", got ${describe(durability)}`);
    const cacheBytes = config.cacheBytes ?? DEFAULT_CACHE_BYTES;
    if (!Number.isSafeInteger(cacheBytes) || cacheBytes < 0)
      throw new DataliteError("invalid-input", `cacheBytes must be a non-negative integer, got ${describe(cacheBytes)}`);
    const store = await openBackend(config.store);
    const e = currentEngine();
    let storage = 0;
    try {
      // A read-only store (an IndexedDB store whose writer lock another tab
      // holds) can only be read: one that holds no database yet cannot be
      // opened at all (the engine would have to write the empty one).
      if (store.readOnly && store.readRoot() == null) throw storeError(`${readOnlyText(key)}, and it holds no database yet: nothing to open`);
      const storeId = e.module.attachStore(storeBridge(store));
      const w = e.begin();
      w.varint(storeId);
      w.varint(cacheBytes);
      w.varint(config.tailMaxTxs ?? 0);
      encodeSchema(w, config.schema);
      w.byte(config.keepHistory === false ? 0 : 1);
      const r = e.send(Op.StoreOpen);
      storage = r.varint();
      const db = readDb(r);
      const created = r.byte() === 1;
      return new StoredDatabase({ key, store, storage, db, created, durability });
    } catch (err) {
      store.close?.();
      throw err;
    }
  }

  constructor({ key, store, storage, db, created, durability }) {
    this.key = key;
    this.store = store;
    this.storage = storage;
    this.durability = durability;
    this.created = created;
    this.db = null;
    this.connections = 0;
    this.anonymous = false;
    this.keepHistory = true;
    this.closed = false;
    this.lastCommit = null;   // { nodesWritten, bytesWritten, checkpoint }
    this.syncTimer = null;
    this.syncError = null;
    this.lastSync = performance.now();
    this.setDb(db);
  }

  // The current value is pinned (db.dispose() leaves it alone) until a newer
  // one replaces it.
  setDb(db) {
    if (this.db) connectionValues.delete(this.db);
    connectionValues.add(db);
    this.db = db;
  }

  // Strict durability: the value to go back to if the commits about to be
  // made cannot be made durable (see undo), pinned meanwhile so that
  // dispose() cannot free it; null in the other modes, whose transactions
  // resolve before their sync.
  undoPoint() {
    if (this.durability !== "strict") return null;
    connectionValues.add(this.db);
    return this.db;
  }

  // The commits after `point` were made durable (or undone): unpin it.
  releaseUndoPoint(point) {
    if (point && point !== this.db) connectionValues.delete(point);
  }

  // A strict commit could not be made durable: back to `point`, in memory and
  // in the store (a newer root record that points at its trees), so that the
  // rejected transactions cannot become durable later when the store retries
  // the failed sync. Commits made on top of them meanwhile go too: they were
  // built on them (and their own sync fails the same way). If even that
  // fails, the database refuses writes until it is connected again.
  undo(point) {
    if (this.closed || this.db === point || this.db.maxTx < point.maxTx) return;  // nothing left to undo
    try {
      const e = currentEngine();
      const w = e.begin();
      w.varint(this.storage);
      w.varint(point.handle);
      this.readCommit(e.send(Op.StoreRevert));
      this.setDb(point);
    } catch (err) {
      this.broken = storeError(`a commit that could not be made durable could not be undone either (${err.message}): ` +
        "connect again to continue from what the store holds", err);
    }
  }

  // Opened read-only: the store's writer lock is held elsewhere (IndexedDB:
  // another tab); reads see the snapshot taken at open.
  get readOnly() {
    return this.store.readOnly === true;
  }

  // Writes (transact, load, gc) fail at once on a read-only database, with
  // a message that says why, instead of in the middle of a commit.
  checkWritable() {
    if (this.broken) throw this.broken;
    if (this.readOnly) {
      throw storeError(`${readOnlyText(this.key)}. This connection reads the snapshot taken when it connected; ` +
        "close the writer (or its tab) and connect again to write");
    }
  }

  // Runs one transaction and commits it to the store (not yet durable).
  commitTransaction(writeRequest) {
    this.#checkOpen();
    const e = currentEngine();
    const w = e.begin();
    w.varint(this.storage);
    writeRequest(w);
    const r = e.send(Op.StoreTransact);
    return r;
  }

  readCommit(r) {
    this.lastCommit = { nodesWritten: r.varint(), bytesWritten: r.varint(), checkpoint: r.byte() === 1 };
    return this.lastCommit;
  }

  // The durability step after commits: strict makes them durable now,
  // relaxed within RELAXED_SYNC_MS, none waits for flush().
  async committed() {
    if (this.durability === "strict") return this.flush();
    // A loop of awaited transactions never lets the timer run: sync inline
    // once the last sync is RELAXED_SYNC_MS old.
    if (this.durability === "relaxed" && performance.now() - this.lastSync >= RELAXED_SYNC_MS) {
      if (this.syncTimer) {
        clearTimeout(this.syncTimer);
        this.syncTimer = null;
      }
      this.syncNow();
      return;
    }
    if (this.durability === "relaxed" && !this.syncTimer) {
      this.syncTimer = setTimeout(() => {
        this.syncTimer = null;
        try {
          this.syncNow();
        } catch (err) {
          this.syncError = err;  // reported by the next flush()/transact
        }
      }, RELAXED_SYNC_MS);
      this.syncTimer.unref?.();
    }
  }

  syncNow() {
    if (this.closed) return;
    this.lastSync = performance.now();
    const e = currentEngine();
    e.begin().varint(this.storage);
    e.send(Op.StoreSync);
  }

  async flush() {
    this.#checkOpen();
    if (this.syncTimer) {
      clearTimeout(this.syncTimer);
      this.syncTimer = null;
    }
    if (this.syncError) {
      const err = this.syncError;
      this.syncError = null;
      throw err;
    }
    this.syncNow();
    await this.store.whenDurable?.();
  }

  checkpoint(db) {
    const e = currentEngine();
    const w = e.begin();
    w.varint(this.storage);
    w.varint(db.handle);
    return this.readCommit(e.send(Op.StoreCheckpoint));
  }

  gc() {
    this.#checkOpen();
    const e = currentEngine();
    e.begin().varint(this.storage);
    const removed = e.send(Op.StoreGc).varint();
    // Give the space back (the file store rewrites its live records).
    if (removed > 0) this.store.compact?.();
    return { removed };
  }

  stats() {
    this.#checkOpen();
    const e = currentEngine();
    e.begin().varint(this.storage);
    const r = e.send(Op.StoreStats);
    const names = ["commits", "checkpoints", "nodesWritten", "bytesWritten", "tailTxs", "tailDatoms",
      "cacheBytes", "cacheNodes", "cacheBudgetBytes", "nodesLoaded"];
    const out = {};
    for (const n of names) out[n] = r.varint();
    const s = this.store.stats?.() ?? {};
    out.nodes = s.nodes ?? 0;
    out.storedBytes = s.storedBytes ?? 0;
    out.readOnly = this.readOnly;
    return out;
  }

  async close() {
    if (this.closed) return;
    try {
      await this.flush();
    } finally {
      this.closed = true;
      const e = currentEngine();
      e.begin().varint(this.storage);
      try {
        e.send(Op.StoreClose);
      } finally {
        try {
          this.store.close?.();
        } catch (err) {
          // A store's own failure (its final sync, a file it cannot close).
          throw err instanceof DataliteError ? err : storeError(`closing the store failed: ${err?.message ?? err}`, err);
        }
      }
    }
  }

  #checkOpen() {
    if (this.closed) throw new DataliteError("closed", "the database is closed");
  }
}
