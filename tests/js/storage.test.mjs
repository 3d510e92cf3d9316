// API.md section 6 through the package: durable connections on the file
// store (Node), the sqlite store (in memory in Node) and tiered stores;
// durability modes, transactAsync batching, load, gc, lazy opening, errors.
import { test, describe, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { d, assertRejectsCode } from "./support/helpers.mjs";

await d.init({ threads: false });

const root = fs.mkdtempSync(path.join(os.tmpdir(), "datalite-storage-"));
after(() => fs.rmSync(root, { recursive: true, force: true }));
let nextDir = 0;
const fileStore = () => ({ backend: "file", path: path.join(root, `db-${nextDir++}`) });

const schema = {
  "person/email": { "db/unique": "db.unique/identity" },
  "person/friend": { "db/valueType": "db.type/ref", "db/cardinality": "db.cardinality/many" },
  "person/age": { "db/index": true },
};

async function people(conn, from, n) {
  const tx = [];
  for (let i = from; i < from + n; i++) {
    tx.push({ "person/email": `p${i}@x.org`, "person/name": `person ${i}`, "person/age": i % 80 });
  }
  return conn.transact(tx);
}

function dirBytes(dir) {
  let total = 0;
  for (const f of fs.readdirSync(dir)) total += fs.statSync(path.join(dir, f)).size;
  return total;
}

describe("file store", () => {
  test("data survives close and reopen; the stored schema comes back", async () => {
    const store = fileStore();
    const conn = await d.connect({ schema, store });
    await people(conn, 0, 50);
    await conn.transact([{ "person/email": "p1@x.org", "person/friend": [["person/email", "p2@x.org"]] }]);
    const before = conn.db().q("[:find ?n ?a :where [?e :person/name ?n] [?e :person/age ?a]]");
    const maxTx = conn.db().maxTx;
    await conn.close();

    const again = await d.connect({ store });
    assert.equal(again.db().maxTx, maxTx);
    assert.deepEqual(again.db().q("[:find ?n ?a :where [?e :person/name ?n] [?e :person/age ?a]]"), before);
    assert.deepEqual(again.db().pull("[:person/name {:person/friend [:person/email]}]", ["person/email", "p1@x.org"]),
      { ":person/name": "person 1", ":person/friend": [{ ":person/email": "p2@x.org" }] });
    // Unique identity still upserts: the schema came from the store.
    await again.transact([{ "person/email": "p3@x.org", "person/age": 99 }]);
    assert.equal(again.db().q("[:find (count ?e) . :where [?e :person/email]]"), 50);
    await again.close();
  });

  test("history survives: asOf, since and history views of a reopened db", async () => {
    const store = fileStore();
    const conn = await d.connect({ schema, store });
    const r1 = await conn.transact([{ "person/email": "a@x", "person/age": 1 }]);
    await conn.transact([{ "person/email": "a@x", "person/age": 2 }]);
    await conn.transact([["db/retractEntity", ["person/email", "a@x"]]]);
    await conn.close();
    const again = await d.connect({ store });
    const db = again.db();
    assert.equal(db.q('[:find ?a . :where [?e :person/email "a@x"] [?e :person/age ?a]]'), null);
    assert.equal(db.asOf(r1.tx).q('[:find ?a . :where [?e :person/email "a@x"] [?e :person/age ?a]]'), 1);
    const ages = db.history().q("[:find ?a ?added :where [?e :person/age ?a ?t ?added]]");
    assert.deepEqual(ages.map((x) => x.join(":")).sort(), ["1:false", "1:true", "2:false", "2:true"]);
    await again.close();
  });

  test("connections to the same store share one database; databaseExists / deleteDatabase", async () => {
    const store = fileStore();
    assert.equal(await d.databaseExists({ store }), false);
    await d.createDatabase({ store, schema });
    assert.equal(await d.databaseExists({ store }), true);
    await assertRejectsCode(d.createDatabase({ store }), "invalid-input");
    const a = await d.connect({ store });
    const b = await d.connect({ store });
    await a.transact([{ "person/email": "shared@x" }]);
    assert.equal(b.db().q('[:find ?e . :where [?e :person/email "shared@x"]]'), a.db().q('[:find ?e . :where [?e :person/email "shared@x"]]'));
    await assertRejectsCode(d.deleteDatabase({ store }), "store-error");
    await a.close();
    await b.close();
    await d.deleteDatabase({ store });
    assert.equal(await d.databaseExists({ store }), false);
    assert.equal(fs.existsSync(store.path), false);
  });

  test("a failing transaction changes nothing, in memory or on disk", async () => {
    const store = fileStore();
    const conn = await d.connect({ schema, store });
    await people(conn, 0, 5);
    const maxTx = conn.db().maxTx;
    await assertRejectsCode(conn.transact([{ "person/email": "p1@x.org", "person/friend": ["person/email", "nobody@x"] }]), "not-found");
    assert.equal(conn.db().maxTx, maxTx);
    await conn.close();
    const again = await d.connect({ store });
    assert.equal(again.db().maxTx, maxTx);
    await again.close();
  });

  test("small transactions append to the tail: a few hundred bytes each", async () => {
    const store = fileStore();
    const conn = await d.connect({ schema, store });
    await people(conn, 0, 2000);
    const sizes = [];
    for (let i = 0; i < 20; i++) {
      await conn.transact([{ "person/email": `p${i}@x.org`, "person/age": 100 + i }]);
      const c = conn.stats().lastCommit;
      if (!c.checkpoint) sizes.push(c.bytesWritten);
    }
    assert.ok(sizes.length >= 19);
    assert.ok(Math.max(...sizes) < 600, `bytes per small commit: ${sizes}`);
    await conn.close();
  });

  test("transactAsync groups concurrent calls; transact afterwards sees them all", async () => {
    const store = fileStore();
    const conn = await d.connect({ schema, store });
    const pending = [];
    for (let i = 0; i < 40; i++) pending.push(conn.transactAsync([{ "person/email": `q${i}@x.org`, "person/age": i }]));
    const failing = conn.transactAsync([{ "person/email": "q1@x.org", "person/friend": ["person/email", "missing@x"] }]);
    const last = await conn.transact([{ "person/email": "after@x.org" }]);
    const reports = await Promise.all(pending);
    await assertRejectsCode(failing, "not-found");
    for (let i = 1; i < reports.length; i++) assert.ok(reports[i].tx > reports[i - 1].tx, "in call order");
    assert.ok(last.tx > reports.at(-1).tx);
    assert.equal(conn.db().q("[:find (count ?e) . :where [?e :person/email]]"), 41);
    await conn.close();
    const again = await d.connect({ store });
    assert.equal(again.db().q("[:find (count ?e) . :where [?e :person/email]]"), 41);
    await again.close();
  });

  for (const durability of ["relaxed", "none"]) {
    test(`durability "${durability}": acknowledged at once, durable after flush/close`, async () => {
      const store = fileStore();
      const conn = await d.connect({ schema, store, durability });
      await people(conn, 0, 10);
      await conn.transactAsync([{ "person/email": "late@x.org" }]);
      await conn.flush();
      // A second reader sees the flushed state on disk.
      const { FileStore } = await import("../../js/stores/file.js");
      const reader = FileStore.open(store.path, { readOnly: true });
      assert.ok(reader.readRoot());
      reader.close();
      await conn.transact([{ "person/email": "last@x.org" }]);
      await conn.close();
      const again = await d.connect({ store });
      assert.equal(again.db().q("[:find (count ?e) . :where [?e :person/email]]"), 12);
      await again.close();
    });
  }

  test("load() bulk-builds an empty db in one commit; into a db with data it is one transaction", async () => {
    const store = fileStore();
    const conn = await d.connect({ schema, store });
    const datoms = [];
    for (let e = 1; e <= 20000; e++) {
      datoms.push([e, "person/email", `l${e}@x.org`]);
      datoms.push([e, "person/age", e % 90]);
      if (e > 1) datoms.push([e, "person/friend", e - 1]);
    }
    await conn.load(datoms);
    assert.equal(conn.stats().lastCommit.checkpoint, true);
    assert.equal(conn.db().count, datoms.length);
    await conn.load([[30001, "person/email", "extra@x.org"]]);
    assert.equal(conn.db().count, datoms.length + 2);  // + the transaction's :db/txInstant
    await conn.close();
    const again = await d.connect({ store });
    assert.equal(again.db().count, datoms.length + 2);
    assert.equal(again.db().q('[:find ?a . :where [?e :person/email "l777@x.org"] [?e :person/age ?a]]'), 777 % 90);
    await again.close();
  });

  test("opening is lazy: a point query loads a few nodes; cacheBytes bounds what stays loaded", async () => {
    const store = fileStore();
    const conn = await d.connect({ schema, store });
    const datoms = [];
    for (let e = 1; e <= 30000; e++) {
      datoms.push([e, "person/email", `z${e}@x.org`]);
      datoms.push([e, "person/name", `name ${e}`]);
    }
    await conn.load(datoms);
    await conn.close();

    const again = await d.connect({ store, cacheBytes: 64 * 1024 });
    const opened = again.stats();
    assert.ok(opened.nodes > 100, `stored nodes: ${opened.nodes}`);
    assert.equal(again.db().q('[:find ?n . :where [?e :person/email "z12345@x.org"] [?e :person/name ?n]]'), "name 12345");
    const point = again.stats();
    assert.ok(point.nodesLoaded - opened.nodesLoaded <= 8, `nodes loaded by a point query: ${point.nodesLoaded - opened.nodesLoaded}`);
    assert.equal(again.db().q("[:find (count ?e) . :where [?e :person/name]]"), 30000);
    const afterScan = again.stats();
    assert.ok(afterScan.cacheBytes <= 64 * 1024, `resident after the call: ${afterScan.cacheBytes}`);
    await again.close();
  });

  test("gc removes unreachable nodes and the directory shrinks; old Db values stay readable", async () => {
    const store = fileStore();
    const conn = await d.connect({ schema, store, tailMaxTxs: 2 });
    const datoms = [];
    for (let e = 1; e <= 20000; e++) datoms.push([e, "person/email", `g${e}@x.org`], [e, "person/age", e % 50]);
    await conn.load(datoms);
    const kept = conn.db();
    for (let round = 0; round < 40; round++) {
      const tx = [];
      for (let i = 0; i < 200; i++) tx.push(["db/add", 1 + ((round * 977 + i * 89) % 20000), "person/age", 1000 + round]);
      await conn.transact(tx);
    }
    const grown = dirBytes(store.path);
    const { removed } = await conn.gc();
    assert.ok(removed > 0);
    // The old value was alive: still readable in full.
    assert.equal(kept.q("[:find (count ?e) . :where [?e :person/age ?a] [(< ?a 50)]]"), 20000);
    const q = "[:find (count ?e) . :where [?e :person/age ?a] [(>= ?a 1000)]]";
    const expected = conn.db().q(q);
    await conn.close();
    const shrunk = dirBytes(store.path);
    assert.ok(shrunk < grown, `${shrunk} < ${grown}`);
    const again = await d.connect({ store });
    assert.equal(again.db().q(q), expected);
    await again.close();
  });

  test("a corrupt store gives store-error, never a crash; the engine keeps working", async () => {
    const store = fileStore();
    const conn = await d.connect({ schema, store });
    await people(conn, 0, 3000);
    await conn.close();
    // Flip bytes in the middle of the pack file.
    const pack = fs.readdirSync(store.path).find((f) => f.endsWith(".pack"));
    const file = path.join(store.path, pack);
    const bytes = fs.readFileSync(file);
    for (let i = 1000; i < bytes.length; i += 4096) bytes[i] ^= 0xff;
    fs.writeFileSync(file, bytes);
    await assert.rejects(async () => {
      const bad = await d.connect({ store });
      try {
        bad.db().q("[:find (count ?e) . :where [?e :person/name]]");
      } finally {
        await bad.close();
      }
    }, (err) => err instanceof d.DataliteError && err.code === "store-error");
    const fine = await d.connect();
    await fine.transact([{ a: 1 }]);
    assert.equal(fine.db().q("[:find ?v . :where [_ :a ?v]]"), 1);
  });
});

describe("other backends", () => {
  test("sqlite (in memory in Node) stores and reads back through the engine", async () => {
    const conn = await d.connect({ schema, store: { backend: "sqlite" } });
    await people(conn, 0, 100);
    assert.equal(conn.db().q("[:find (count ?e) . :where [?e :person/email]]"), 100);
    assert.ok(conn.stats().nodes > 0);
    await conn.close();
  });

  test("tiered: a memory frontend over a file backend, reopened from the backend", async () => {
    const backend = fileStore();
    const store = { backend: "tiered", frontend: { backend: "memory" }, backend };
    const conn = await d.connect({ schema, store });
    await people(conn, 0, 200);
    await conn.close();
    const direct = await d.connect({ store: backend });
    assert.equal(direct.db().q("[:find (count ?e) . :where [?e :person/email]]"), 200);
    await direct.close();
  });

  test("bad store configs are clear errors", async () => {
    await assertRejectsCode(d.connect({ store: { backend: "nope" } }), "store-error");
    await assertRejectsCode(d.connect({ store: { backend: "file" } }), "invalid-input");
    await assertRejectsCode(d.connect({ store: fileStore(), durability: "sometimes" }), "invalid-input");
    await assertRejectsCode(d.connect({ store: { backend: "indexeddb", name: "x" } }), "store-error");
  });
});

describe("file store: read-only connections", () => {
  test("readOnly: true opens without the writer lock, reads the committed state, refuses writes", async () => {
    const store = fileStore();
    const writer = await d.connect({ store, schema });
    await writer.transact([{ "person/name": "Ada", "person/age": 36 }]);
    const reader = await d.connect({ store: { ...store, readOnly: true } });
    assert.notEqual(reader, writer);
    const names = "[:find [?n ...] :where [_ :person/name ?n]]";
    assert.deepEqual(reader.db().q(names), ["Ada"]);
    await assertRejectsCode(reader.transact([{ "person/name": "Bob" }]), "store-error");
    assert.deepEqual(reader.db().q(names), ["Ada"]);
    // The writer goes on; a new read-only connection sees its commits.
    await writer.transact([{ "person/name": "Bob" }]);
    await reader.close();
    const again = await d.connect({ store: { ...store, readOnly: true } });
    assert.deepEqual(again.db().q(names).sort(), ["Ada", "Bob"]);
    await again.close();
    await writer.close();
    await assertRejectsCode(d.connect({ store: { ...store, readOnly: "yes" } }), "invalid-input");
  });

  test("limits given to connect apply engine-wide", async () => {
    const conn = await d.connect({ limits: { maxPullDepth: 77 } });
    assert.equal(d.getLimits().maxPullDepth, 77);
    d.setLimits({ maxPullDepth: 256 });
    await conn.close();
    await assertRejectsCode(d.connect({ limits: { maxPullDepth: -1 } }), "invalid-input");
  });
});
