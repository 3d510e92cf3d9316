// A store the application brings: { backend: "custom", name, open } (the web
// demo plugs its SQLite-in-a-Worker store in this way). connect, reopen,
// deleteDatabase (which needs the store's clear(): the root goes too).
import { test } from "node:test";
import assert from "node:assert/strict";
import { d, assertRejectsCode } from "./support/helpers.mjs";
import { MemoryStore } from "../../js/stores/memory.js";

await d.init({ threads: false });

// A named MemoryStore with a clear() and an asynchronous whenDurable().
function customStore(name) {
  const opened = [];
  return {
    opened,
    config: {
      backend: "custom",
      name,
      async open() {
        const store = MemoryStore.open(name);
        store.clear = () => {
          store.del(store.list());
          store._shared.root = null;
          store._durableRoot = null;
          store._pendingRoot = null;
          store._rootDirty = false;
        };
        store.whenDurable = () => new Promise((resolve) => setTimeout(resolve, 1));
        opened.push(store);
        return store;
      },
    },
  };
}

test("custom store: connect, transact, reopen; deleteDatabase removes nodes and root", async () => {
  const { config, opened } = customStore("custom-1");
  const schema = { "person/email": { "db/unique": "db.unique/identity" } };
  const conn = await d.connect({ schema, store: config });
  await conn.transact([{ "person/email": "a@x", "person/age": 1 }]);
  await conn.transact([{ "person/email": "a@x", "person/age": 2 }]);
  assert.ok(conn.stats().nodes > 0);
  await conn.close();
  assert.equal(opened.length, 1);
  assert.equal(await d.databaseExists({ store: config }), true);

  const again = await d.connect({ store: config });
  assert.equal(again.db().q('[:find ?a . :where [?e :person/email "a@x"] [?e :person/age ?a]]'), 2);
  await assertRejectsCode(d.deleteDatabase({ store: config }), "store-error");  // open
  await again.close();

  await d.deleteDatabase({ store: config });
  assert.equal(await d.databaseExists({ store: config }), false);
  const fresh = await d.connect({ schema, store: config });
  assert.equal(fresh.db().count, 0);
  await fresh.close();
  MemoryStore.drop("custom-1");
});

test("custom store: a config without open(), and a store without clear() for deleteDatabase", async () => {
  await assertRejectsCode(d.connect({ store: { backend: "custom", name: "x" } }), "invalid-input");
  await assertRejectsCode(d.connect({ store: { backend: "custom", open: async () => new MemoryStore() } }), "invalid-input");
  const store = { backend: "custom", name: "custom-2", open: async () => MemoryStore.open("custom-2") };
  const conn = await d.connect({ store });
  await conn.transact([{ "a/b": 1 }]);
  await conn.close();
  await assert.rejects(d.deleteDatabase({ store }), (err) => err.code === "store-error" && /cannot delete its database/.test(err.message));
  MemoryStore.drop("custom-2");
});

// A named MemoryStore whose durability step fails on demand, either in sync()
// itself (as an fsync error does) or later in whenDurable() (as a failed
// IndexedDB transaction does, whose batch the store then retries).
function failingStore(name, where) {
  const control = { failNext: false, failures: 0 };
  control.config = {
    backend: "custom",
    name,
    async open() {
      const store = MemoryStore.open(name);
      const sync = store.sync.bind(store);
      store.sync = () => {
        if (where === "sync" && control.failNext) {
          control.failNext = false;
          control.failures++;
          throw new Error("disk full (test)");
        }
        sync();
      };
      store.whenDurable = async () => {
        await null;
        if (where === "whenDurable" && control.failNext) {
          control.failNext = false;
          control.failures++;
          throw new d.DataliteError("store-error", "quota exceeded (test)");
        }
      };
      return store;
    },
  };
  return control;
}

const NAMES = "[:find [?n ...] :where [_ :person/name ?n]]";
const names = (db) => (db.q(NAMES) ?? []).slice().sort();

for (const where of ["sync", "whenDurable"]) {
  test(`strict durability, failing ${where}: a rejected transaction is undone in memory and in the store`, async () => {
    const name = `failing-${where}`;
    const control = failingStore(name, where);
    const conn = await d.connect({ store: control.config });
    await conn.transact([{ "person/name": "A" }]);
    const basis = conn.db().maxTx;
    const seen = [];
    conn.listen((report) => seen.push(report.tx));

    control.failNext = true;
    await assert.rejects(conn.transact([{ "person/name": "B" }]), (err) => err.code === "store-error");
    assert.equal(control.failures, 1);
    assert.equal(conn.db().maxTx, basis);
    assert.deepEqual(names(conn.db()), ["A"]);
    assert.equal(seen.length, 1);  // listeners heard the commit before its sync failed

    await conn.transact([{ "person/name": "C" }]);  // the store works again
    assert.deepEqual(names(conn.db()), ["A", "C"]);

    // A batch of transactAsync calls shares one sync: all of it goes.
    const afterC = conn.db().maxTx;
    control.failNext = true;
    const settled = await Promise.allSettled([
      conn.transactAsync([{ "person/name": "D" }]),
      conn.transactAsync([{ "person/name": "E" }]),
    ]);
    assert.deepEqual(settled.map((s) => s.status), ["rejected", "rejected"]);
    assert.equal(conn.db().maxTx, afterC);
    assert.deepEqual(names(conn.db()), ["A", "C"]);

    // A bulk load too.
    control.failNext = true;
    await assert.rejects(conn.load([[900, "person/name", "L"]]), (err) => err.code === "store-error");
    assert.deepEqual(names(conn.db()), ["A", "C"]);
    await conn.close();

    // What the store holds: never B, D, E or L, although the failed syncs'
    // roots were written (and, for whenDurable, published) before failing.
    const again = await d.connect({ store: control.config });
    assert.deepEqual(names(again.db()), ["A", "C"]);
    await again.transact([{ "person/name": "F" }]);
    await again.close();
    const third = await d.connect({ store: control.config });
    assert.deepEqual(names(third.db()), ["A", "C", "F"]);
    await third.close();
    MemoryStore.drop(name);
  });
}
