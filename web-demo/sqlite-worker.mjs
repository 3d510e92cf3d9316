// datalite on SQLite in OPFS, in a dedicated module Worker: the engine and
// its store both live here, so the engine reads nodes synchronously (and
// lazily) from the SQLite file (the opfs-sahpool VFS: synchronous access
// handles, which only dedicated workers have; no COOP/COEP needed).
//
//   const worker = new Worker("/web-demo/sqlite-worker.mjs", { type: "module" });
//   // messages { id, op, args } -> { id, ok, result } | { id, ok: false, code, message }
//   open { path, schema?, durability?, pool? }   transact { txData, txMeta? }
//   load { datoms }   q { query, inputs? }   pull { pattern, eid }   stats   flush   close
//   drop { path, pool? }  (deleteDatabase)
//
// Workers have no import maps, so sqlite-wasm is imported by URL (the demo
// server serves node_modules/@sqlite.org/sqlite-wasm/) and handed to the
// package as store.options.sqlite3InitModule. With a bundler, the package
// finds "@sqlite.org/sqlite-wasm" itself and the options can go.
import * as d from "/js/index.js";
import sqlite3InitModule from "/node_modules/@sqlite.org/sqlite-wasm/index.mjs";

let conn = null;

const storeConfig = (path, pool) =>
  ({ backend: "sqlite", path, vfs: "opfs-sahpool", options: { sqlite3InitModule, ...(pool ? { pool } : {}) } });

function connection() {
  if (!conn) throw new d.DataliteError("closed", "no database is open in this worker (send open first)");
  return conn;
}

const ops = {
  async open({ path = "/datalite.sqlite3", schema, durability = "strict", pool, tailMaxTxs }) {
    if (conn) throw new d.DataliteError("invalid-input", "a database is already open in this worker");
    const t0 = performance.now();
    await d.init();
    const t1 = performance.now();
    conn = await d.connect({
      schema,
      durability,
      ...(tailMaxTxs ? { tailMaxTxs } : {}),
      store: storeConfig(path, pool),
    });
    const db = conn.db();
    return {
      initMs: t1 - t0,
      openMs: performance.now() - t1,
      variant: d.engineStats().variant,
      isolated: self.crossOriginIsolated === true,
      maxTx: db.maxTx,
      datoms: db.count,
      stats: conn.stats(),
    };
  },
  async transact({ txData, txMeta }) {
    const report = await connection().transact(txData, txMeta);
    return { tx: report.tx, tempids: report.tempids, datoms: report.txData.length, lastCommit: connection().stats().lastCommit };
  },
  async load({ datoms }) {
    await connection().load(datoms);
    return { datoms: connection().db().count, lastCommit: connection().stats().lastCommit };
  },
  q({ query, inputs = [] }) {
    return connection().db().q(query, ...inputs);
  },
  pull({ pattern, eid }) {
    return connection().db().pull(pattern, eid);
  },
  stats() {
    return connection().stats();
  },
  async flush() {
    await connection().flush();
    return true;
  },
  // deleteDatabase (the database must not be open here); returns
  // databaseExists before and after.
  async drop({ path = "/datalite.sqlite3", pool }) {
    if (conn) throw new d.DataliteError("invalid-input", "close the database first");
    await d.init();
    const before = await d.databaseExists({ store: storeConfig(path, pool) });
    await d.deleteDatabase({ store: storeConfig(path, pool) });
    return { before, after: await d.databaseExists({ store: storeConfig(path, pool) }) };
  },
  async close() {
    await conn?.close();
    conn = null;
    return true;
  },
};

self.onmessage = async ({ data: { id, op, args } }) => {
  try {
    if (!Object.hasOwn(ops, op)) throw new d.DataliteError("invalid-input", `unknown op ${JSON.stringify(op)}`);
    self.postMessage({ id, ok: true, result: await ops[op](args ?? {}) });
  } catch (err) {
    self.postMessage({ id, ok: false, code: err?.code ?? "error", message: String(err?.message ?? err) });
  }
};

self.postMessage({ ready: true });
