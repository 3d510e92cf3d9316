// WorkerStore: the page's side of the demo's SQLite/OPFS store. The engine
// runs on the page and calls its store synchronously; SQLite on OPFS lives
// in a dedicated worker (sqlite-store-worker.mjs). So, like datalite's
// IndexedDB store, this is a memory frontend: open() fetches every node and
// the root from the worker once, reads are Map lookups, and sync() sends
// everything written since the previous sync() as one batch that the worker
// commits as ONE SQLite transaction (nodes, deletions and root together: a
// reload or crash keeps a complete prefix of the commits). whenDurable()
// resolves when the worker has committed every batch sent so far.
//
// Plugged into connect() as a "custom" store:
//   { backend: "custom", name: "sqlite:/tasks.sqlite3", open: () => WorkerStore.open({ path }) }
//
// One worker per page, shared by every store it opens (one at a time: the
// OPFS pool is exclusive). A second tab gets "store-locked" from the worker.
// (The other way to use SQLite in a browser is to run the whole engine in
// the worker, with lazy synchronous reads from the file: sqlite-worker.mjs.)

let worker = null;
let ready = null;
let nextId = 0;
const pending = new Map();

function startWorker() {
  if (ready) return ready;
  worker = new Worker(new URL("./sqlite-store-worker.mjs", import.meta.url), { type: "module" });
  ready = new Promise((resolve, reject) => {
    worker.onerror = (event) => {
      event.preventDefault?.();
      reject(Object.assign(new Error(`store-error: the SQLite worker failed to start: ${event.message ?? "error"}`), { code: "store-error" }));
    };
    worker.onmessage = ({ data }) => {
      if (data.ready) return resolve();
      const p = pending.get(data.id);
      pending.delete(data.id);
      if (data.ok) p.resolve(data.result);
      else p.reject(Object.assign(new Error(data.message), { code: data.code }));
    };
  });
  ready.catch(() => { ready = null; });
  return ready;
}

async function call(op, args, transfer = []) {
  await startWorker();
  return new Promise((resolve, reject) => {
    const id = ++nextId;
    pending.set(id, { resolve, reject });
    worker.postMessage({ id, op, args }, transfer);
  });
}

export class WorkerStore {
  #nodes;              // addr -> Uint8Array
  #bytes = 0;
  #root;
  #puts = new Map();   // since the last sync()
  #dels = new Set();
  #pendingRoot = null;
  #clear = false;
  #inFlight = [];      // commits sent, not yet acknowledged
  #error = null;       // a failed commit: reported by the next sync()/whenDurable()
  #closed = false;

  static async open({ path }) {
    const t0 = performance.now();
    const { root, nodes, ms } = await call("open", { path });
    const store = new WorkerStore(root, nodes);
    store.openMs = performance.now() - t0;  // worker start + sqlite-wasm + pool + reading every node
    store.workerOpenMs = ms;
    return store;
  }

  constructor(root, nodes) {
    this.#root = root;
    this.#nodes = new Map(nodes);
    for (const [, bytes] of nodes) this.#bytes += bytes.byteLength;
  }

  get(addr) {
    return this.#nodes.get(addr) ?? null;
  }

  put(addr, bytes) {
    if (this.#nodes.has(addr)) return;
    const copy = bytes.slice();  // the engine's bytes are a view into wasm memory
    this.#nodes.set(addr, copy);
    this.#bytes += copy.byteLength;
    this.#puts.set(addr, copy);
    this.#dels.delete(addr);
  }

  del(addrs) {
    for (const addr of addrs) {
      const node = this.#nodes.get(addr);
      if (!node) continue;
      this.#nodes.delete(addr);
      this.#bytes -= node.byteLength;
      if (!this.#puts.delete(addr)) this.#dels.add(addr);
    }
  }

  list() {
    return [...this.#nodes.keys()];
  }

  readRoot() {
    return this.#root;
  }

  writeRoot(bytes) {
    this.#root = bytes.slice();
    this.#pendingRoot = this.#root;
  }

  // Every node and the root (deleteDatabase).
  clear() {
    this.#nodes.clear();
    this.#bytes = 0;
    this.#root = null;
    this.#puts.clear();
    this.#dels.clear();
    this.#pendingRoot = null;
    this.#clear = true;
  }

  sync() {
    if (this.#closed) throw Object.assign(new Error("closed: the store is closed"), { code: "closed" });
    this.#throwError();
    if (!this.#puts.size && !this.#dels.size && !this.#pendingRoot && !this.#clear) return;
    const batch = { puts: [...this.#puts], dels: [...this.#dels], root: this.#pendingRoot, clear: this.#clear };
    this.#puts = new Map();
    this.#dels = new Set();
    this.#pendingRoot = null;
    this.#clear = false;
    // Copies go to the worker (the Map keeps the originals for reads).
    const done = call("commit", batch).then(() => {}, (err) => {
      this.#error ??= err;
    });
    this.#inFlight.push(done);
    done.then(() => {
      this.#inFlight.splice(this.#inFlight.indexOf(done), 1);
    });
  }

  async whenDurable() {
    await Promise.all(this.#inFlight);
    this.#throwError();
  }

  stats() {
    return { nodes: this.#nodes.size, storedBytes: this.#bytes };
  }

  // Unsynced writes are dropped; synced ones are committed first (messages
  // are handled in order), then the worker closes the database.
  close() {
    if (this.#closed) return;
    this.#closed = true;
    call("close").catch(() => {});
  }

  #throwError() {
    if (this.#error) {
      const err = this.#error;
      this.#error = null;
      throw err;
    }
  }
}
