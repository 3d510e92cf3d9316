// js/stores/sqlite.js at the store level (no engine), in Node: sqlite-wasm's
// Node build has in-memory databases only. Persistence (opfs-sahpool in a
// dedicated Worker, surviving a reload) is tested in Chromium:
// e2e/tests/store-sqlite.spec.mjs.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";

const installed = existsSync(new URL("../../node_modules/@sqlite.org/sqlite-wasm/package.json", import.meta.url));
const skip = installed ? false : "@sqlite.org/sqlite-wasm is not installed: run `npm install` at the repository root";
const { SqliteStore } = await import("../../js/stores/sqlite.js");

const addr = (i) => i.toString(16).padStart(32, "0");
const bytesOf = (text) => new TextEncoder().encode(text);
const textOf = (bytes) => (bytes === null ? null : new TextDecoder().decode(bytes));

let shared = 0;
// Two connections to one in-memory database (memdb VFS, shared by name):
// what the second sees is what a reopen of a persistent file would see.
// (memdb locks readers out while a write transaction is open, so the second
// connection reads only between the first one's transactions.)
async function pair() {
  const path = `/store-test-${process.pid}-${++shared}`;
  const writer = await SqliteStore.open({ path, vfs: "memdb" });
  const reader = await SqliteStore.open({ path, vfs: "memdb" });
  return { writer, reader, path };
}

describe("SqliteStore (sqlite-wasm, Node: in memory)", { skip }, () => {
  test("a new in-memory store is empty", async () => {
    const store = await SqliteStore.open();
    assert.equal(store.path, ":memory:");
    assert.equal(store.persistent, false);
    assert.equal(store.readRoot(), null);
    assert.deepEqual(store.list(), []);
    assert.equal(store.get(addr(1)), null);
    assert.deepEqual([store.stats().nodes, store.stats().storedBytes], [0, 0]);
    store.close();
  });

  test("round trip: put/get, list, root, stats", async () => {
    const store = await SqliteStore.open({ path: ":memory:" });
    for (let i = 0; i < 100; i++) store.put(addr(i), bytesOf(`node ${i}`));
    store.writeRoot(bytesOf("root 1"));
    assert.equal(textOf(store.get(addr(42))), "node 42", "reads see the open transaction");
    assert.equal(textOf(store.readRoot()), "root 1");
    store.sync();
    assert.equal(store.stats().inTransaction, false);
    assert.equal(store.list().length, 100);
    assert.deepEqual(new Set(store.list()), new Set(Array.from({ length: 100 }, (_, i) => addr(i))));
    for (let i = 0; i < 100; i++) assert.equal(textOf(store.get(addr(i))), `node ${i}`);
    const expectedBytes = Array.from({ length: 100 }, (_, i) => `node ${i}`.length).reduce((a, b) => a + b);
    assert.deepEqual([store.stats().nodes, store.stats().storedBytes], [100, expectedBytes]);
    store.writeRoot(bytesOf("root 2"));
    assert.equal(textOf(store.readRoot()), "root 2");
    store.sync();
    await store.whenDurable();
    assert.equal(store.stats().commits, 2);
    store.close();
  });

  test("put copies its bytes and an existing address is a no-op", async () => {
    const store = await SqliteStore.open();
    const buffer = new Uint8Array(64).fill(7);
    store.put(addr(1), buffer.subarray(8, 12));
    buffer.fill(9);
    assert.deepEqual([...store.get(addr(1))], [7, 7, 7, 7]);
    store.put(addr(1), bytesOf("other"));
    assert.deepEqual([...store.get(addr(1))], [7, 7, 7, 7]);
    assert.deepEqual([store.stats().nodes, store.stats().storedBytes], [1, 4]);
    const got = store.get(addr(1));
    got.fill(0);
    assert.deepEqual([...store.get(addr(1))], [7, 7, 7, 7], "get returns a copy");
    store.put(addr(2), new Uint8Array(0));
    assert.deepEqual([...store.get(addr(2))], [], "empty nodes round-trip");
    store.sync();
    store.close();
  });

  test("nodes and root are visible to another connection only after sync, all together", async () => {
    const { writer, reader } = await pair();
    writer.put(addr(1), bytesOf("a"));
    writer.put(addr(2), bytesOf("b"));
    writer.writeRoot(bytesOf("root 1"));
    assert.equal(writer.stats().inTransaction, true);
    writer.sync();
    assert.equal(writer.stats().inTransaction, false);
    assert.equal(textOf(reader.readRoot()), "root 1");
    assert.deepEqual(reader.list().sort(), [addr(1), addr(2)]);
    assert.equal(textOf(reader.get(addr(2))), "b");

    writer.put(addr(3), bytesOf("c"));
    writer.writeRoot(bytesOf("root 2"));
    writer.close();  // closing without sync rolls back
    assert.equal(textOf(reader.readRoot()), "root 1");
    assert.deepEqual(reader.list().sort(), [addr(1), addr(2)]);
    reader.close();
  });

  test("del removes nodes (missing addresses are fine) and stats follow", async () => {
    const { writer, reader } = await pair();
    for (let i = 0; i < 5; i++) writer.put(addr(i), bytesOf(`n${i}`));
    writer.sync();
    writer.del([addr(1), addr(3), addr(99)]);
    assert.equal(writer.get(addr(1)), null);
    assert.deepEqual(writer.list().sort(), [addr(0), addr(2), addr(4)]);
    assert.deepEqual([writer.stats().nodes, writer.stats().storedBytes], [3, 6]);
    writer.sync();
    assert.deepEqual(reader.list().sort(), [addr(0), addr(2), addr(4)]);
    writer.del([]);
    assert.equal(writer.stats().inTransaction, false, "an empty del starts nothing");
    writer.close();
    reader.close();
    // a store opened later counts what is there
    const { writer: w2, reader: r2, path } = await pair();
    w2.put(addr(1), bytesOf("abc"));
    w2.put(addr(2), bytesOf("de"));
    w2.sync();
    const later = await SqliteStore.open({ path, vfs: "memdb" });
    assert.deepEqual([later.stats().nodes, later.stats().storedBytes], [2, 5]);
    later.close();
    w2.close();
    r2.close();
  });

  test("a write error that rolls the transaction back loses the whole batch: later writes and the next sync report it", async () => {
    // a database that fills up after a few pages (SQLITE_FULL rolls back the transaction)
    const { default: init } = await import("@sqlite.org/sqlite-wasm");
    const sqlite3 = await init({ print() {}, printErr() {} });
    sqlite3.config.warn = () => {};
    class SmallDB extends sqlite3.oo1.DB {
      constructor(...args) {
        super(...args);
        this.exec("PRAGMA max_page_count = 30");
      }
    }
    const store = await SqliteStore.open({ sqlite3: { ...sqlite3, oo1: { ...sqlite3.oo1, DB: SmallDB } } });
    store.put(addr(0), bytesOf("kept"));
    store.writeRoot(bytesOf("root 0"));
    store.sync();
    const big = new Uint8Array(3000).fill(1);
    let failed = null;
    for (let i = 1; i < 1000 && !failed; i++) {
      try {
        store.put(addr(i), big);
      } catch (err) {
        failed = err;
      }
    }
    assert.equal(failed?.code, "store-error");
    assert.match(failed.message, /SQLITE_FULL/);
    assert.deepEqual([store.stats().nodes, store.stats().inTransaction], [1, false], "rolled back to the last sync");
    assert.throws(() => store.put(addr(5000), bytesOf("x")), /the writes since the last sync were rolled back/);
    assert.throws(() => store.writeRoot(bytesOf("root 1")), /rolled back/);
    assert.throws(() => store.sync(), /rolled back/, "the next sync reports the lost batch");
    store.sync();  // reported: nothing open
    assert.equal(textOf(store.readRoot()), "root 0");
    assert.deepEqual(store.list(), [addr(0)]);
    store.put(addr(1), bytesOf("small"));  // a new batch works
    store.sync();
    assert.equal(store.stats().nodes, 2);
    store.close();
  });

  test("a persistent path is refused in Node, with the reason", async () => {
    await assert.rejects(SqliteStore.open({ path: "/tmp/datalite-test.db" }),
      (err) => err.code === "store-error" && /in Node\.js only in-memory databases are possible/.test(err.message));
    await assert.rejects(SqliteStore.open({ path: "/x.db", vfs: "unix" }),
      (err) => err.code === "store-error" && /only in-memory/.test(err.message));
    await assert.rejects(SqliteStore.open({ vfs: "opfs-sahpool" }), TypeError);
  });

  test("closed stores refuse calls; argument checks", async () => {
    const store = await SqliteStore.open();
    assert.throws(() => store.put("nope", bytesOf("x")), TypeError);
    assert.throws(() => store.put(addr(1), "x"), TypeError);
    assert.throws(() => store.writeRoot(null), TypeError);
    store.close();
    store.close();
    assert.throws(() => store.get(addr(1)), (err) => err.code === "closed" && /^closed: /.test(err.message));
    assert.throws(() => store.sync(), /closed/);
    assert.throws(() => new SqliteStore(), TypeError);
  });

  test("many small syncs (write-path smoke, numbers in the test log)", async () => {
    const store = await SqliteStore.open();
    const node = new Uint8Array(2048).fill(1);
    const started = performance.now();
    const n = 2000;
    for (let i = 0; i < n; i++) {
      store.put(addr(i), node);
      store.writeRoot(bytesOf(`root ${i}`));
      store.sync();
    }
    const ms = performance.now() - started;
    const t1 = performance.now();
    for (let i = 0; i < n; i++) assert.equal(store.get(addr(i)).byteLength, 2048);
    const readMs = performance.now() - t1;
    assert.equal(store.stats().nodes, n);
    console.log(`# sqlite in memory: ${n} syncs of 1 node (2 KB) + root: ${(ms * 1000 / n).toFixed(1)} µs each; get: ${(readMs * 1000 / n).toFixed(1)} µs`);
    store.close();
  });
});
