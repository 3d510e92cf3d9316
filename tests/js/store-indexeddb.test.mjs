// js/stores/indexeddb.js at the store level (no engine), over fake-indexeddb
// (an in-memory IndexedDB for Node). Browser behaviour (reloads, tabs, Web
// Locks, real durability) is tested in e2e/tests/store-indexeddb.spec.mjs.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";

const installed = existsSync(new URL("../../node_modules/fake-indexeddb/package.json", import.meta.url));
const skip = installed ? false : "fake-indexeddb is not installed: run `npm install` at the repository root";
const { IDBFactory, IDBKeyRange } = installed ? await import("fake-indexeddb") : {};
const { IndexedDBStore, deleteIndexedDBStore } = await import("../../js/stores/indexeddb.js");

const addr = (i) => i.toString(16).padStart(32, "0");
const bytesOf = (text) => new TextEncoder().encode(text);
const textOf = (bytes) => (bytes === null ? null : new TextDecoder().decode(bytes));

// Each test gets its own in-memory IndexedDB; `locks: null` = the in-process lock table.
function env(extra = {}) {
  const indexedDB = new IDBFactory();
  const options = { indexedDB, IDBKeyRange, locks: null, lockWaitMs: 0, ...extra };
  return { indexedDB, options, open: (name = "t", more = {}) => IndexedDBStore.open(name, { ...options, ...more }) };
}

// A factory whose readwrite transactions abort instead of committing while
// `failing.count > 0` (a stand-in for quota errors / storage failures).
function failingEnv() {
  const base = env();
  const failing = { count: 0 };
  const real = base.indexedDB;
  const indexedDB = {
    open(...args) {
      const req = real.open(...args);
      req.addEventListener("success", () => {
        const db = req.result;
        const transaction = db.transaction.bind(db);
        db.transaction = (stores, mode, opts) => {
          const tx = transaction(stores, mode, opts);
          if (mode === "readwrite" && failing.count > 0) {
            failing.count--;
            tx.commit = () => tx.abort();
          }
          return tx;
        };
      });
      return req;
    },
    deleteDatabase: (...args) => real.deleteDatabase(...args),
  };
  const options = { ...base.options, indexedDB };
  return { failing, open: (name = "t") => IndexedDBStore.open(name, options), reopenPlain: (name = "t") => IndexedDBStore.open(name, base.options) };
}

describe("IndexedDBStore (fake-indexeddb)", { skip }, () => {
  test("a new store is empty", async () => {
    const store = await env().open();
    assert.equal(store.readRoot(), null);
    assert.deepEqual(store.list(), []);
    assert.equal(store.get(addr(1)), null);
    assert.deepEqual({ ...store.stats(), commits: undefined, pendingChanges: undefined, readOnly: undefined },
      { nodes: 0, storedBytes: 0, commits: undefined, pendingChanges: undefined, readOnly: undefined });
    assert.equal(store.readOnly, false);
    store.close();
  });

  test("round trip: nodes and root survive close + reopen after sync", async () => {
    const e = env();
    const store = await e.open();
    for (let i = 0; i < 50; i++) store.put(addr(i), bytesOf(`node ${i}`));
    store.writeRoot(bytesOf("root 1"));
    assert.equal(textOf(store.get(addr(7))), "node 7", "reads see puts at once");
    assert.equal(textOf(store.readRoot()), "root 1");
    store.sync();
    await store.whenDurable();
    store.close();

    const again = await e.open("t", { prefetchChunk: 7 });  // many chunks
    assert.equal(textOf(again.readRoot()), "root 1");
    assert.equal(again.list().length, 50);
    for (let i = 0; i < 50; i++) assert.equal(textOf(again.get(addr(i))), `node ${i}`);
    assert.equal(again.stats().nodes, 50);
    assert.equal(again.stats().storedBytes, Array.from({ length: 50 }, (_, i) => `node ${i}`.length).reduce((a, b) => a + b));
    again.close();
  });

  test("put copies its bytes (the engine reuses the memory) and an existing address is a no-op", async () => {
    const e = env();
    const store = await e.open();
    const buffer = new Uint8Array(64).fill(7);
    const view = buffer.subarray(8, 12);
    store.put(addr(1), view);
    buffer.fill(9);
    assert.deepEqual([...store.get(addr(1))], [7, 7, 7, 7]);
    assert.equal(store.get(addr(1)).buffer.byteLength, 4, "a copy of the view, not of its buffer");
    store.put(addr(1), bytesOf("other"));
    assert.deepEqual([...store.get(addr(1))], [7, 7, 7, 7]);
    assert.equal(store.stats().nodes, 1);
    assert.equal(store.stats().storedBytes, 4);
    const root = bytesOf("root");
    store.writeRoot(root);
    root.fill(0);
    assert.equal(textOf(store.readRoot()), "root");
    store.sync();
    await store.whenDurable();
    store.close();
    const again = await e.open();
    assert.deepEqual([...again.get(addr(1))], [7, 7, 7, 7]);
    again.close();
  });

  test("the root (and nodes) written after the last sync are not durable", async () => {
    const e = env();
    const store = await e.open();
    store.put(addr(1), bytesOf("one"));
    store.writeRoot(bytesOf("root 1"));
    store.sync();
    await store.whenDurable();
    store.put(addr(2), bytesOf("two"));
    store.writeRoot(bytesOf("root 2"));
    assert.equal(textOf(store.readRoot()), "root 2", "readRoot is the last written root");
    store.close();  // no sync: dropped
    const again = await e.open();
    assert.equal(textOf(again.readRoot()), "root 1");
    assert.deepEqual(again.list(), [addr(1)]);
    again.close();
  });

  test("del removes nodes, durably after sync; deleting a missing address is fine", async () => {
    const e = env();
    const store = await e.open();
    for (let i = 0; i < 5; i++) store.put(addr(i), bytesOf(`n${i}`));
    store.sync();
    await store.whenDurable();
    store.del([addr(1), addr(3), addr(99)]);
    assert.equal(store.get(addr(1)), null);
    assert.deepEqual(store.list().sort(), [addr(0), addr(2), addr(4)]);
    assert.deepEqual({ nodes: store.stats().nodes, storedBytes: store.stats().storedBytes }, { nodes: 3, storedBytes: 6 });
    // delete then put again within one batch: the put wins
    store.del([addr(2)]);
    store.put(addr(2), bytesOf("again"));
    store.sync();
    await store.whenDurable();
    store.close();
    const again = await e.open();
    assert.deepEqual(again.list().sort(), [addr(0), addr(2), addr(4)]);
    assert.equal(textOf(again.get(addr(2))), "again");
    again.close();
  });

  test("syncs made while a commit is in flight are grouped into one transaction", async () => {
    const e = env();
    const store = await e.open();
    for (let n = 1; n <= 10; n++) {
      store.put(addr(n), bytesOf(`n${n}`));
      store.writeRoot(bytesOf(`root ${n}`));
      store.sync();
    }
    await store.whenDurable();
    assert.equal(store.stats().commits, 2, "the first sync's transaction, then the other nine together");
    store.sync();  // nothing new: no transaction
    await store.whenDurable();
    assert.equal(store.stats().commits, 2);
    store.close();
    const again = await e.open();
    assert.equal(textOf(again.readRoot()), "root 10");
    assert.equal(again.list().length, 10);
    again.close();
  });

  test("whenDurable waits for batches synced before it, not for later ones", async () => {
    const store = await env().open();
    store.put(addr(1), bytesOf("a"));
    store.sync();
    const first = store.whenDurable();
    store.put(addr(2), bytesOf("b"));
    store.sync();
    await first;
    assert.ok(store.stats().commits >= 1);
    await store.whenDurable();
    assert.equal(store.stats().commits, 2);
    store.close();
  });

  test("a failed commit is reported once to the waiting whenDurable, and its batch is retried by the next sync", async () => {
    const e = failingEnv();
    const store = await e.open();
    e.failing.count = 1;
    store.put(addr(1), bytesOf("a"));
    store.writeRoot(bytesOf("root 1"));
    store.sync();
    // synced while the failing transaction is in flight: merged behind it
    store.put(addr(2), bytesOf("b"));
    store.writeRoot(bytesOf("root 2"));
    store.sync();
    await assert.rejects(store.whenDurable(), (err) => err.code === "store-error" && /commit to IndexedDB store "t" failed/.test(err.message));
    assert.equal(store.stats().commits, 0);
    assert.equal(store.stats().pendingChanges, 2, "both batches are kept");
    store.put(addr(3), bytesOf("c"));
    store.sync();  // retries everything in one transaction
    await store.whenDurable();
    assert.equal(store.stats().commits, 1);
    store.close();
    const again = await e.reopenPlain();
    assert.equal(textOf(again.readRoot()), "root 2");
    assert.deepEqual(again.list().sort(), [addr(1), addr(2), addr(3)]);
    again.close();
  });

  test("with nobody waiting, the error is kept for the next sync() or whenDurable(); the next one retries", async () => {
    const e = failingEnv();
    const store = await e.open();
    const settle = () => new Promise((resolve) => setTimeout(resolve, 20));
    e.failing.count = 1;
    store.put(addr(1), bytesOf("a"));
    store.writeRoot(bytesOf("root 1"));
    store.sync();
    await settle();
    store.put(addr(2), bytesOf("b"));
    assert.throws(() => store.sync(), (err) => err.code === "store-error", "reported by the next sync()");
    store.sync();  // retries the failed batch together with the new put
    await store.whenDurable();
    assert.equal(store.stats().commits, 1);

    e.failing.count = 1;
    store.writeRoot(bytesOf("root 2"));
    store.sync();
    await settle();
    await assert.rejects(store.whenDurable(), (err) => err.code === "store-error", "reported by the next whenDurable()");
    await store.whenDurable();  // retries
    assert.equal(store.stats().commits, 2);
    store.close();
    const again = await e.reopenPlain();
    assert.equal(textOf(again.readRoot()), "root 2");
    assert.deepEqual(again.list().sort(), [addr(1), addr(2)]);
    again.close();
  });

  test("closing with a failed, never retried batch: whenDurable rejects with closed instead of waiting forever", async () => {
    const e = failingEnv();
    const store = await e.open();
    e.failing.count = 1;
    store.put(addr(1), bytesOf("a"));
    store.writeRoot(bytesOf("root 1"));
    store.sync();
    await assert.rejects(store.whenDurable(), (err) => err.code === "store-error");
    store.close();
    await assert.rejects(store.whenDurable(), (err) => err.code === "closed");
    const again = await e.reopenPlain();
    assert.equal(again.readOnly, false, "the lock was released");
    assert.equal(again.readRoot(), null);
    again.close();
  });

  test("one writer: a second open of the same name is read-only (or store-locked on request)", async () => {
    const e = env();
    const writer = await e.open();
    writer.put(addr(1), bytesOf("a"));
    writer.writeRoot(bytesOf("root 1"));
    writer.sync();
    await writer.whenDurable();

    const reader = await e.open();
    assert.equal(reader.readOnly, true);
    assert.equal(textOf(reader.readRoot()), "root 1");
    assert.equal(textOf(reader.get(addr(1))), "a");
    assert.throws(() => reader.put(addr(2), bytesOf("b")), (err) => err.code === "store-readonly" && /^store-readonly: /.test(err.message));
    assert.throws(() => reader.writeRoot(bytesOf("x")), /store-readonly/);
    assert.throws(() => reader.del([addr(1)]), /store-readonly/);
    reader.sync();  // nothing to do
    await reader.whenDurable();

    await assert.rejects(e.open("t", { onLocked: "error" }), (err) => err.code === "store-locked" && /^store-locked: /.test(err.message));

    // the reader keeps its snapshot while the writer goes on (and deletes)
    writer.del([addr(1)]);
    writer.writeRoot(bytesOf("root 2"));
    writer.sync();
    await writer.whenDurable();
    assert.equal(textOf(reader.get(addr(1))), "a");
    assert.equal(textOf(reader.readRoot()), "root 1");

    // another name is independent
    const other = await e.open("u");
    assert.equal(other.readOnly, false);
    other.close();

    writer.close();
    await writer.whenDurable();
    const next = await e.open();
    assert.equal(next.readOnly, false, "the lock is released on close");
    assert.equal(textOf(next.readRoot()), "root 2");
    next.close();
    reader.close();
  });

  test("close waits for synced batches before releasing the lock; later calls throw closed", async () => {
    const e = env();
    const store = await e.open();
    for (let n = 1; n <= 3; n++) {
      store.put(addr(n), bytesOf(`n${n}`));
      store.writeRoot(bytesOf(`root ${n}`));
      store.sync();
    }
    store.close();
    assert.throws(() => store.get(addr(1)), (err) => err.code === "closed");
    assert.throws(() => store.put(addr(9), bytesOf("x")), /^Error: closed: /);
    await store.whenDurable();
    const again = await e.open();
    assert.equal(again.readOnly, false);
    assert.equal(textOf(again.readRoot()), "root 3");
    assert.equal(again.list().length, 3);
    again.close();
  });

  test("a Web Locks manager is used when given (ifAvailable, then a bounded wait)", async () => {
    const requests = [];
    let held = false;
    const locks = {
      async request(name, options, callback) {
        requests.push({ name, options: { ...options, signal: options.signal ? "signal" : undefined } });
        if (held) {
          if (options.ifAvailable) return callback(null);
          await new Promise((_, reject) => options.signal.addEventListener("abort", () => reject(Object.assign(new Error("aborted"), { name: "AbortError" }))));
        }
        held = true;
        try { return await callback({ name, mode: "exclusive" }); } finally { held = false; }
      },
    };
    const e = env({ locks });
    const writer = await e.open("w");
    assert.equal(writer.readOnly, false);
    const reader = await e.open("w", { lockWaitMs: 30 });
    assert.equal(reader.readOnly, true);
    assert.deepEqual(requests.map((r) => [r.name, r.options.ifAvailable ?? false, r.options.signal]), [
      ["datalite-idb:w", true, undefined],
      ["datalite-idb:w", true, undefined],
      ["datalite-idb:w", false, "signal"],
    ]);
    writer.close();
    await writer.whenDurable();
    await new Promise((resolve) => setTimeout(resolve, 0));
    assert.equal(held, false, "close() released the Web Lock");
    reader.close();
  });

  test("deleteIndexedDBStore deletes the data and an open store steps aside", async () => {
    const e = env();
    const store = await e.open();
    store.put(addr(1), bytesOf("a"));
    store.writeRoot(bytesOf("r"));
    store.sync();
    await store.whenDurable();
    await deleteIndexedDBStore("t", { indexedDB: e.indexedDB });
    assert.throws(() => store.get(addr(1)), (err) => err.code === "store-error" && /deleted or upgraded elsewhere/.test(err.message));
    const fresh = await e.open();
    assert.equal(fresh.readOnly, false);
    assert.equal(fresh.readRoot(), null);
    assert.deepEqual(fresh.list(), []);
    fresh.close();
  });

  test("argument checks", async () => {
    const e = env();
    await assert.rejects(IndexedDBStore.open("", e.options), TypeError);
    await assert.rejects(IndexedDBStore.open("t", { ...e.options, indexedDB: null }), (err) => err.code === "store-error");
    await assert.rejects(e.open("t", { onLocked: "wait" }), TypeError);
    assert.throws(() => new IndexedDBStore(), TypeError);
    const store = await e.open();
    assert.throws(() => store.put("not-an-address", bytesOf("x")), TypeError);
    assert.throws(() => store.put(addr(1), "text"), TypeError);
    assert.throws(() => store.writeRoot([1, 2]), TypeError);
    store.close();
  });
});
