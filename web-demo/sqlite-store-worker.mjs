// The demo's SQLite store in OPFS, served from a dedicated module Worker
// (OPFS synchronous access handles exist only in dedicated workers). The
// engine stays on the page (worker-store.js): this worker only keeps the
// engine's nodes and root in js/stores/sqlite.js on the opfs-sahpool VFS.
//
// Messages are handled one at a time, in order:
//   open { path }                 -> { root, nodes: [[addr, bytes], ...], ms }
//   commit { puts, dels, root, clear }  -> true   (one SQLite transaction)
//   close                         -> true
// The file has the layout every SqliteStore uses, so the same database can
// also be opened by the engine running inside a worker (sqlite-worker.mjs).
import { SqliteStore } from "/js/stores/sqlite.js";
import sqlite3InitModule from "/node_modules/@sqlite.org/sqlite-wasm/index.mjs";

let store = null;
let broken = null;  // a failed commit: later ones would build on it, so they are refused until reopened

const ops = {
  async open({ path }) {
    if (store) throw Object.assign(new Error("store-error: the store is already open in this worker"), { code: "store-error" });
    const t0 = performance.now();
    store = await SqliteStore.open({ path, sqlite3InitModule });
    broken = null;
    const nodes = store.list().map((addr) => [addr, store.get(addr)]);
    return { root: store.readRoot(), nodes, ms: performance.now() - t0 };
  },
  commit({ puts, dels, root, clear }) {
    if (broken) throw broken;
    try {
      if (clear) store.clear();
      if (dels.length) store.del(dels);
      for (const [addr, bytes] of puts) store.put(addr, bytes);
      if (root) store.writeRoot(root);
      store.sync();
    } catch (err) {
      broken = err;
      throw err;
    }
    return true;
  },
  close() {
    store?.close();
    store = null;
    return true;
  },
};

let queue = Promise.resolve();
self.onmessage = ({ data: { id, op, args } }) => {
  queue = queue.then(async () => {
    try {
      self.postMessage({ id, ok: true, result: await ops[op](args) });
    } catch (err) {
      self.postMessage({ id, ok: false, code: err?.code ?? "store-error", message: String(err?.message ?? err) });
    }
  });
};
self.postMessage({ ready: true });
