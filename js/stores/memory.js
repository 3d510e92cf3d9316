// MemoryStore: a Map-based reference implementation of the synchronous store
// interface the engine calls (the same methods and semantics as FileStore in
// ./file.js), for tests and for the default in-memory backend.
//
// MemoryStore.open(name) over the same name in one process reaches the same
// data after a close(), like reopening a directory: node puts are kept at once,
// a root is kept only by sync(). `new MemoryStore()` is an anonymous store.
// It runs in any JS runtime (no Node imports).

const ADDR_RE = /^[0-9a-f]{32}$/;
const named = new Map();  // name -> { nodes, root, writer }

export class MemoryStore {
  static open(name, opts = {}) {
    let shared = named.get(name);
    if (shared === undefined) {
      if (opts.readOnly) throw new Error(`memory store ${JSON.stringify(name)} does not exist`);
      shared = { nodes: new Map(), root: null, writer: null };
      named.set(name, shared);
    }
    const store = new MemoryStore(shared, opts, name);
    if (!store.readOnly) {
      if (shared.writer !== null) throw new Error(`store-locked: memory store ${JSON.stringify(name)} is already open for writing`);
      shared.writer = store;
    }
    return store;
  }

  // Forgets a named store (tests).
  static drop(name) {
    named.delete(name);
  }

  constructor(shared = { nodes: new Map(), root: null, writer: null }, opts = {}, name = null) {
    this.name = name;
    this.readOnly = opts.readOnly === true;
    this.closed = false;
    this._shared = shared;
    // A read-only store sees the nodes and root as of its opening.
    this._nodes = this.readOnly ? new Map(shared.nodes) : shared.nodes;
    this._durableRoot = shared.root;
    this._pendingRoot = null;
    this._rootDirty = false;
  }

  _check(write) {
    if (this.closed) throw new Error("store-closed: the memory store is closed");
    if (write && this.readOnly) throw new Error("store-read-only: the memory store was opened with readOnly: true");
  }

  // The stored array itself: callers must not modify it.
  get(addr) {
    this._check(false);
    return this._nodes.get(addr) ?? null;
  }

  put(addr, bytes) {
    this._check(true);
    if (typeof addr !== "string" || !ADDR_RE.test(addr)) {
      throw new Error(`invalid node address ${JSON.stringify(addr)}: expected 32 lowercase hex characters`);
    }
    if (!(bytes instanceof Uint8Array)) throw new TypeError(`node ${addr}: bytes must be a Uint8Array`);
    if (!this._nodes.has(addr)) this._nodes.set(addr, new Uint8Array(bytes));
  }

  del(addrs) {
    this._check(true);
    for (const addr of addrs) this._nodes.delete(addr);
  }

  list() {
    this._check(false);
    return Array.from(this._nodes.keys());
  }

  readRoot() {
    this._check(false);
    const r = this._rootDirty ? this._pendingRoot : this._durableRoot;
    return r === null ? null : new Uint8Array(r);
  }

  writeRoot(bytes) {
    this._check(true);
    if (!(bytes instanceof Uint8Array)) throw new TypeError("root bytes must be a Uint8Array");
    this._pendingRoot = new Uint8Array(bytes);
    this._rootDirty = true;
  }

  sync() {
    this._check(false);
    if (this.readOnly || !this._rootDirty) return;
    this._durableRoot = this._shared.root = this._pendingRoot;
    this._pendingRoot = null;
    this._rootDirty = false;
  }

  stats() {
    this._check(false);
    let bytes = 0;
    for (const b of this._nodes.values()) bytes += b.length;
    return { nodes: this._nodes.size, storedBytes: bytes, deadBytes: 0 };
  }

  compact() {
    this._check(true);
  }

  close() {
    if (this.closed) return;
    this.sync();
    this.closed = true;
    if (this._shared.writer === this) this._shared.writer = null;
  }
}
