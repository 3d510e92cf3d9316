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
