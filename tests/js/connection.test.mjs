// API.md sections 3 and 4 with the memory store: connect and the database
// lifecycle functions, stats, load, gc, flush, close.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { d, TX0, assertRejectsCode } from "./support/helpers.mjs";

await d.init({ threads: false });

let nextId = 0;
const memory = () => ({ backend: "memory", id: `connection-test-${process.pid}-${nextId++}` });

describe("connect", () => {
  test("init() can be called again; connect() without a config gives an empty schema-less db", async () => {
    await d.init({ threads: false });
    const conn = await d.connect();
    assert.ok(conn instanceof d.Connection);
    assert.equal(conn.db().count, 0);
    assert.equal(conn.db().maxTx, TX0);
    await conn.transact([{ anything: "goes" }]);
    assert.equal(conn.db().q("[:find ?v . :where [_ :anything ?v]]"), "goes");
  });

  test("the schema may be a JS object or an EDN string", async () => {
    const fromJs = await d.connect({ schema: { "user/email": { "db/unique": "db.unique/identity" } } });
    const fromEdn = await d.connect({ schema: "{:user/email {:db/unique :db.unique/identity}}" });
    for (const conn of [fromJs, fromEdn]) {
      await conn.transact([{ "user/email": "a@b", "user/n": 1 }]);
      await conn.transact([{ "user/email": "a@b", "user/n": 2 }]);
      assert.equal(conn.db().q("[:find (count ?e) . :where [?e :user/email]]"), 1);
      assert.equal(conn.db().pull("[:user/n]", ["user/email", "a@b"])[":user/n"], 2);
    }
  });

  test("anonymous memory connections are independent databases", async () => {
    const a = await d.connect();
    const b = await d.connect();
    await a.transact([{ x: 1 }]);
    assert.equal(a.db().count, 2);
    assert.equal(b.db().count, 0);
  });

  test("connections to the same memory id share one database", async () => {
    const store = memory();
    const a = await d.connect({ store, schema: { k: { "db/unique": "db.unique/identity" } } });
    const b = await d.connect({ store });
    await a.transact([{ k: "shared", v: 1 }]);
    assert.equal(b.db(), a.db());
    assert.equal(b.db().pull("[:v]", ["k", "shared"])[":v"], 1);
    await b.close();
    await a.transact([{ k: "shared", v: 2 }]);  // closing one connection leaves the other open
    assert.equal(a.db().pull("[:v]", ["k", "shared"])[":v"], 2);
  });

  test("keepHistory: false drops retracted datoms", async () => {
    const conn = await d.connect({ keepHistory: false });
    await conn.transact([{ "db/id": 1, v: 1 }]);
    await conn.transact([{ "db/id": 1, v: 2 }]);
    const history = conn.db().history().datoms("eavt", 1);
    assert.deepEqual(history.map((x) => [x.v, x.added]), [[2, true]]);
  });
});

describe("createDatabase, databaseExists, deleteDatabase (memory store)", () => {
  test("lifecycle of a named memory database", async () => {
    const store = memory();
    assert.equal(await d.databaseExists({ store }), false);
    await d.createDatabase({ store, schema: "{:tag {:db/cardinality :db.cardinality/many}}" });
    assert.equal(await d.databaseExists({ store }), true);
    await assertRejectsCode(d.createDatabase({ store }), "invalid-input", /already exists/);

    const conn = await d.connect({ store });
    await conn.transact([{ "db/id": 1, tag: ["a", "b"] }]);
    assert.deepEqual(conn.db().pull("[:tag]", 1)[":tag"].sort(), ["a", "b"]);
    const again = await d.connect({ store });
    assert.equal(again.db().count, conn.db().count);

    await d.deleteDatabase({ store });
    assert.equal(await d.databaseExists({ store }), false);
    const fresh = await d.connect({ store });
    assert.equal(fresh.db().count, 0);
  });

  test("deleting a database that does not exist is not an error", async () => {
    await d.deleteDatabase({ store: memory() });
  });
});

describe("Connection methods", () => {
  test("stats() reports datoms and ids", async () => {
    const conn = await d.connect();
    await conn.transact([{ a: 1, b: 2 }]);
    const stats = conn.stats();
    assert.equal(stats.datoms, 3);
    assert.equal(stats.maxEid, 1);
    assert.equal(stats.maxTx, TX0 + 1);
    for (const key of ["nodes", "storedBytes", "cacheBytes"]) assert.equal(typeof stats[key], "number");
  });

  test("load() bulk-builds an empty database from datoms, converting by the schema", async () => {
    const conn = await d.connect({ schema: { kind: { "db/valueType": "db.type/keyword" }, name: { "db/unique": "db.unique/identity" } } });
    await conn.load([[1, "name", "A"], { e: 2, a: "name", v: "B" }, [2, "kind", "k/x"]]);
    const db = conn.db();
    assert.equal(db.entid(["name", "B"]), 2);
    assert.equal(db.q("[:find ?k . :where [_ :kind ?k]]"), ":k/x");
    assert.equal(db.maxEid, 2);
    // the connection keeps working after a load
    await conn.transact([{ name: "C" }]);
    assert.equal(conn.db().entid(["name", "C"]), 3);
  });

  test("load() into a non-empty database adds the datoms in one transaction", async () => {
    const conn = await d.connect();
    await conn.transact([{ "db/id": 1, x: 1 }]);
    const maxTx = conn.db().maxTx;
    await conn.load([[2, "x", 2], { e: 3, a: "x", v: 3 }]);
    assert.deepEqual(conn.db().q("[:find [?v ...] :where [_ :x ?v]]").sort(), [1, 2, 3]);
    assert.equal(conn.db().maxTx, maxTx + 1);
  });

  test("gc() and flush() resolve on the memory store", async () => {
    const conn = await d.connect();
    assert.deepEqual(await conn.gc(), { removed: 0 });
    assert.deepEqual(await conn.gc({ keepHistorySince: new Date() }), { removed: 0 });
    assert.equal(await conn.flush(), undefined);
  });

  test("close() resolves, is idempotent and drops listeners", async () => {
    const conn = await d.connect();
    let calls = 0;
    conn.listen(() => calls++);
    await conn.close();
    await conn.close();
    await assertRejectsCode(conn.transact([{ x: 1 }]), "closed");
    assert.equal(calls, 0);
  });
});
