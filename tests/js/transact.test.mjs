// API.md section 4: tx-data forms, the TxReport, tx functions, tx meta and
// listeners.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { d, PEOPLE_SCHEMA, TX0, assertCode, assertRejectsCode, sorted } from "./support/helpers.mjs";

await d.init({ threads: false });

const connect = () => d.connect({ schema: PEOPLE_SCHEMA });
const names = (db) => db.q("[:find [?n ...] :where [_ :person/name ?n]]").sort();

describe("TxReport", () => {
  test("has dbBefore, dbAfter, txData, tempids and tx; conn.db() is dbAfter", async () => {
    const conn = await connect();
    const before = conn.db();
    const report = await conn.transact([{ ":db/id": "ivan", "person/name": "Ivan", "person/age": 30 }]);
    assert.equal(report.dbBefore, before);
    assert.equal(report.dbAfter, conn.db());
    assert.equal(report.tx, TX0 + 1);
    assert.equal(report.dbAfter.maxTx, report.tx);
    assert.equal(report.dbBefore.count, 0);
    assert.deepEqual(report.tempids, { ivan: 1, ":db/current-tx": TX0 + 1 });
    const [name, age, instant] = report.txData;
    assert.deepEqual(name, { e: 1, a: ":person/name", v: "Ivan", tx: report.tx, added: true });
    assert.deepEqual(age, { e: 1, a: ":person/age", v: 30, tx: report.tx, added: true });
    assert.equal(instant.e, report.tx);
    assert.equal(instant.a, ":db/txInstant");
    assert.ok(instant.v instanceof Date);
    assert.ok(Math.abs(instant.v.getTime() - Date.now()) < 60_000);
    assert.equal(report.txData.length, 3);
  });

  test("tempids: string keys for string tempids, negative ids and :db/current-tx", async () => {
    const conn = await connect();
    const { tempids, tx } = await conn.transact([
      { ":db/id": "a", "person/name": "A" },
      { ":db/id": -5, "person/name": "B" },
      [":db/add", "c", "person/name", "C"],
    ]);
    assert.deepEqual(tempids, { a: 1, "-5": 2, c: 3, ":db/current-tx": tx });
    for (const key of Object.keys(tempids)) assert.equal(typeof key, "string");
  });

  test("an upserted tempid maps to the existing entity", async () => {
    const conn = await connect();
    await conn.transact([{ "person/name": "Ivan", "person/age": 1 }]);
    const { tempids, txData } = await conn.transact([{ ":db/id": "me", "person/name": "Ivan", "person/age": 2 }]);
    assert.equal(tempids.me, 1);
    // the age changes: the old value is retracted, the new one added
    assert.deepEqual(txData.filter((x) => x.a === ":person/age").map(({ v, added }) => [v, added]).sort(),
      [[1, false], [2, true]]);
    assert.equal(conn.db().count, 4);  // name, age, two tx instants
  });

  test("tx ids grow by one per transaction; entity ids continue after maxEid", async () => {
    const conn = await connect();
    const r1 = await conn.transact([{ "person/name": "A" }]);
    const r2 = await conn.transact([{ "person/name": "B" }]);
    assert.equal(r2.tx, r1.tx + 1);
    assert.equal(conn.db().maxEid, 2);
    assert.equal(conn.db().entid(["person/name", "B"]), 2);
  });

  test("an empty transaction still records a tx with its instant", async () => {
    const conn = await connect();
    const report = await conn.transact([]);
    assert.equal(report.txData.length, 1);
    assert.equal(report.txData[0].a, ":db/txInstant");
  });

  test("transactAsync gives the same report shape", async () => {
    const conn = await connect();
    const [r1, r2] = await Promise.all([
      conn.transactAsync([{ "person/name": "A" }]),
      conn.transactAsync([{ "person/name": "B" }]),
    ]);
    assert.equal(r2.tx, r1.tx + 1);
    assert.deepEqual(names(conn.db()), ["A", "B"]);
  });
});

describe("tx-data forms", () => {
  test("tx-data as an EDN string, tx meta as an EDN string", async () => {
    const conn = await connect();
    const report = await conn.transact(`[{:db/id "x" :person/name "X" :person/color :color/red :person/tags ["p" "q"]}]`,
      `{:tx/source "edn"}`);
    assert.equal(report.tempids.x, 1);
    const db = conn.db();
    assert.deepEqual(db.pull("[:person/color :person/tags]", 1), { ":person/color": ":color/red", ":person/tags": ["p", "q"] });
    assert.equal(db.q("[:find ?s . :in $ ?tx :where [?tx :tx/source ?s]]", report.tx), "edn");
  });

  test("[\":db/add\" e a v] with ids, tempids and lookup refs; \"db/add\" without colon too", async () => {
    const conn = await connect();
    await conn.transact([[":db/add", "t", "person/name", "Ivan"], ["db/add", "t", ":person/age", 7]]);
    await conn.transact([[":db/add", ["person/name", "Ivan"], "person/nick", "vanya"], [":db/add", 1, "person/score", 2]]);
    assert.deepEqual(conn.db().pull("[:person/name :person/age :person/nick :person/score]", 1),
      { ":person/name": "Ivan", ":person/age": 7, ":person/nick": "vanya", ":person/score": 2 });
  });

  test("[\":db/retract\" e a v] retracts one value", async () => {
    const conn = await connect();
    await conn.transact([{ ":db/id": 1, "person/name": "A", "person/tags": ["x", "y"], "person/age": 3 }]);
    const report = await conn.transact([[":db/retract", 1, "person/tags", "x"], [":db/retract", 1, "person/age", 3]]);
    assert.deepEqual(conn.db().pull("[*]", 1), { ":db/id": 1, ":person/name": "A", ":person/tags": ["y"] });
    assert.deepEqual(sorted(report.txData.filter((x) => !x.added).map((x) => [x.a, x.v])),
      [[":person/age", 3], [":person/tags", "x"]]);
  });

  test("[\":db/retract\" e a v] with a value the entity does not have changes nothing", async () => {
    const conn = await connect();
    await conn.transact([{ ":db/id": 1, "person/name": "A", "person/age": 3 }]);
    const report = await conn.transact([[":db/retract", 1, "person/age", 4]]);
    assert.equal(report.txData.filter((x) => x.e === 1).length, 0);
    assert.equal(conn.db().pull("[:person/age]", 1)[":person/age"], 3);
  });

  test("[\":db/retract\" e a] retracts every value of the attribute", async () => {
    const conn = await connect();
    await conn.transact([{ ":db/id": 1, "person/name": "A", "person/tags": ["x", "y", "z"] }]);
    await conn.transact([[":db/retract", 1, "person/tags"]]);
    assert.deepEqual(conn.db().pull("[*]", 1), { ":db/id": 1, ":person/name": "A" });
  });

  test("[\":db/retractEntity\" e] removes the entity, refs to it, and cascades to components", async () => {
    const conn = await connect();
    await conn.transact([
      { ":db/id": "ivan", "person/name": "Ivan", "person/address": { "addr/city": "Moscow" },
        "person/phones": [{ "phone/no": "1" }, { "phone/no": "2" }] },
      { "person/name": "Petr", "person/friend": ["ivan"], "person/best": "ivan" },
    ]);
    const before = conn.db();
    assert.equal(before.q("[:find (count ?p) . :where [_ :phone/no ?p]]"), 2);
    const report = await conn.transact([[":db/retractEntity", ["person/name", "Ivan"]]]);
    const db = conn.db();
    assert.deepEqual(names(db), ["Petr"]);
    assert.equal(db.q("[:find ?c . :where [_ :addr/city ?c]]"), null);
    assert.deepEqual(db.q("[:find [?p ...] :where [_ :phone/no ?p]]"), []);
    const petr = db.entid(["person/name", "Petr"]);
    assert.deepEqual(db.pull("[*]", petr), { ":db/id": petr, ":person/name": "Petr" });
    const retractedAttrs = report.txData.filter((x) => !x.added).map((x) => x.a).sort();
    assert.deepEqual(retractedAttrs, [":addr/city", ":person/address", ":person/best", ":person/friend", ":person/name",
      ":person/phones", ":person/phones", ":phone/no", ":phone/no"]);
  });

  test("retracting an entity through a lookup ref to nothing is a no-op (as in DataScript)", async () => {
    const conn = await connect();
    await conn.transact([{ "person/name": "A" }]);
    const report = await conn.transact([[":db/retractEntity", ["person/name", "nobody"]], [":db/retract", ["person/name", "nobody"], "person/age", 1]]);
    assert.deepEqual(report.txData.map((x) => x.a), [":db/txInstant"]);
  });

  test("[\":db/cas\" e a old new] swaps when the current value is old", async () => {
    const conn = await connect();
    await conn.transact([{ ":db/id": 1, "person/name": "A", "person/age": 1 }]);
    await conn.transact([[":db/cas", 1, "person/age", 1, 2]]);
    assert.equal(conn.db().pull("[:person/age]", 1)[":person/age"], 2);
    // old = null: the attribute must be absent
    await conn.transact([[":db/cas", ["person/name", "A"], "person/best", null, 1]]);
    assert.deepEqual(conn.db().pull("[:person/best]", 1), { ":person/best": { ":db/id": 1 } });
    // a keyword attribute compares converted values
    await conn.transact([[":db/add", 1, "person/color", ":color/red"]]);
    await conn.transact([[":db/cas", 1, "person/color", ":color/red", "color/blue"]]);
    assert.equal(conn.db().pull("[:person/color]", 1)[":person/color"], ":color/blue");
  });

  test("[\":db/cas\" ...] with a stale old value fails with cas-failed and changes nothing", async () => {
    const conn = await connect();
    await conn.transact([{ ":db/id": 1, "person/name": "A", "person/age": 1 }]);
    const before = conn.db();
    await assertRejectsCode(conn.transact([[":db/add", 1, "person/nick", "x"], [":db/cas", 1, "person/age", 5, 6]]), "cas-failed", /person\/age/);
    assert.equal(conn.db(), before);
    assert.deepEqual(conn.db().pull("[:person/age :person/nick]", 1), { ":person/age": 1 });
  });

  test("entity maps: nested maps, reverse refs, lookup-ref ids and upserts in one transaction", async () => {
    const conn = await connect();
    await conn.transact([{ "person/name": "Olga", "person/age": 41 }]);
    await conn.transact([
      { "person/name": "Ivan", "person/_friend": [{ "person/name": "Petr" }], "person/address": { "addr/city": "Oslo" } },
      { ":db/id": ["person/name", "Olga"], "person/friend": [["person/name", "Ivan"]] },
    ]);
    const db = conn.db();
    assert.deepEqual(sorted(db.q("[:find ?a ?b :where [?x :person/friend ?y] [?x :person/name ?a] [?y :person/name ?b]]")),
      [["Olga", "Ivan"], ["Petr", "Ivan"]]);
    assert.equal(db.q("[:find ?c . :where [?e :person/name \"Ivan\"] [?e :person/address ?a] [?a :addr/city ?c]]"), "Oslo");
  });

  test("\":db/current-tx\" and \"datomic.tx\" name the transaction entity", async () => {
    const conn = await connect();
    const report = await conn.transact([[":db/add", ":db/current-tx", "tx/note", "a"], { ":db/id": "datomic.tx", "tx/user": "u" }]);
    const db = conn.db();
    assert.deepEqual(db.pull("[:tx/note :tx/user]", report.tx), { ":tx/note": "a", ":tx/user": "u" });
  });

  test("tx meta as an object is asserted on the transaction entity", async () => {
    const conn = await connect();
    const report = await conn.transact([{ "person/name": "A" }], { "tx/source": "import", ":tx/color": d.kw(":c/x") });
    const db = conn.db();
    assert.deepEqual(db.pull("[:tx/source :tx/color]", report.tx), { ":tx/source": "import", ":tx/color": ":c/x" });
    assert.ok(report.txData.some((x) => x.e === report.tx && x.a === ":tx/source" && x.v === "import"));
  });

  test("d.dbWith and db.with apply tx-data speculatively", async () => {
    const conn = await connect();
    await conn.transact([{ "person/name": "A" }]);
    const db = conn.db();
    const next = d.dbWith(db, [{ "person/name": "B" }]);
    const next2 = db.with([{ "person/name": "C" }], { "tx/why": "test" });
    assert.deepEqual(names(next), ["A", "B"]);
    assert.deepEqual(names(next2), ["A", "C"]);
    assert.equal(next2.q("[:find ?w . :where [_ :tx/why ?w]]"), "test");
    assert.deepEqual(names(conn.db()), ["A"]);
    assert.equal(conn.db(), db);
    assertCode(() => d.dbWith({}, []), "invalid-input");
  });
});

describe("transaction functions", () => {
  const birthday = (db, name) => {
    const age = db.q("[:find ?a . :in $ ?n :where [?e :person/name ?n] [?e :person/age ?a]]", name);
    return [{ "person/name": name, "person/age": age + 1 }];
  };

  test("[\":db.fn/call\", fn, ...args] with a function passed directly runs with the db before the tx", async () => {
    const conn = await connect();
    await conn.transact([{ "person/name": "A", "person/age": 1 }]);
    const before = conn.db();
    let seen = null;
    const spy = (db, ...args) => {
      seen = { db, args };
      return birthday(db, args[0]);
    };
    await conn.transact([[":db.fn/call", spy, "A", 2]]);
    assert.equal(seen.db, before);
    assert.deepEqual(seen.args, ["A", 2]);
    assert.equal(conn.db().pull("[:person/age]", 1)[":person/age"], 2);
  });

  test("conn.registerFn(name, fn): [\":db.fn/call\", name, ...] and [name, ...] call it", async () => {
    const conn = await connect();
    conn.registerFn("birthday", birthday);
    conn.registerFn(":person/rename", (db, from, to) => [[":db/add", ["person/name", from], "person/name", to]]);
    await conn.transact([{ "person/name": "A", "person/age": 1 }]);
    await conn.transact([[":db.fn/call", "birthday", "A"]]);
    await conn.transact([[":db.fn/call", ":birthday", "A"]]);
    await conn.transact([["birthday", "A"]]);
    assert.equal(conn.db().pull("[:person/age]", 1)[":person/age"], 4);
    await conn.transact([[":person/rename", "A", "Z"]]);
    assert.deepEqual(names(conn.db()), ["Z"]);
  });

  test("tx functions may return calls of other tx functions", async () => {
    const conn = await connect();
    conn.registerFn("birthday", birthday);
    conn.registerFn("twice", (db, name) => [["birthday", name], [":db/add", ["person/name", name], "person/nick", "older"]]);
    await conn.transact([{ "person/name": "A", "person/age": 10 }]);
    await conn.transact([["twice", "A"]]);
    assert.deepEqual(conn.db().pull("[:person/age :person/nick]", 1), { ":person/age": 11, ":person/nick": "older" });
  });

  test("db.with and d.dbWith run functions passed directly", () => {
    const db = d.emptyDb(PEOPLE_SCHEMA).with([{ "person/name": "A", "person/age": 1 }]);
    assert.equal(db.with([[":db.fn/call", birthday, "A"]]).pull("[:person/age]", 1)[":person/age"], 2);
  });

  test("an unregistered name is not-found; a throwing function or a non-array result is invalid-input", async () => {
    const conn = await connect();
    await assertRejectsCode(conn.transact([[":db.fn/call", "nope"]]), "not-found", /nope/);
    await assertRejectsCode(conn.transact([[":db.fn/call", () => { throw new Error("boom"); }]]), "invalid-input", /boom/);
    await assertRejectsCode(conn.transact([[":db.fn/call", () => 42]]), "invalid-input", /array/);
    const err = await conn.transact([[":db.fn/call", () => { throw new RangeError("deep"); }]]).catch((e) => e);
    assert.ok(err.cause instanceof RangeError);
    // a DataliteError thrown by the function passes through with its code
    await assertRejectsCode(conn.transact([[":db.fn/call", () => { throw new d.DataliteError("cas-failed", "mine"); }]]), "cas-failed", /mine/);
    assert.equal(conn.db().count, 0);
  });

  test("registerFn validates its arguments", async () => {
    const conn = await connect();
    assertCode(() => conn.registerFn("x", 42), "invalid-input");
    assertCode(() => conn.registerFn(42, () => []), "invalid-input");
  });
});

describe("listen / unlisten", () => {
  test("listeners receive every committed report until unlistened", async () => {
    const conn = await connect();
    const seen = [];
    const unlisten = conn.listen((report) => seen.push(report));
    const r1 = await conn.transact([{ "person/name": "A" }]);
    assert.equal(seen.length, 1);
    assert.equal(seen[0], r1);
    assert.equal(seen[0].dbAfter, conn.db());
    unlisten();
    await conn.transact([{ "person/name": "B" }]);
    assert.equal(seen.length, 1);
  });

  test("several listeners are called; a failed transaction calls none", async () => {
    const conn = await connect();
    let a = 0;
    let b = 0;
    conn.listen(() => a++);
    conn.listen(() => b++);
    await conn.transact([{ "person/name": "A" }]);
    await assertRejectsCode(conn.transact([{ "person/age": "x" }]), "type-mismatch");
    assert.deepEqual([a, b], [1, 1]);
  });

  test("a throwing listener does not undo the transaction", async () => {
    const conn = await connect();
    conn.listen(() => {
      throw new Error("listener failure");
    });
    // The listener's error is rethrown from a microtask (so it is reported,
    // not swallowed); capture it here instead of crashing the test process.
    const rethrown = [];
    const original = globalThis.queueMicrotask;
    globalThis.queueMicrotask = (callback) => {
      try {
        callback();
      } catch (err) {
        rethrown.push(err);
      }
    };
    let report;
    try {
      report = await conn.transact([{ "person/name": "A" }]);
    } finally {
      globalThis.queueMicrotask = original;
    }
    assert.equal(conn.db(), report.dbAfter);
    assert.deepEqual(names(conn.db()), ["A"]);
    assert.deepEqual(rethrown.map((e) => e.message), ["listener failure"]);
  });

  test("listen needs a function", async () => {
    const conn = await connect();
    assertCode(() => conn.listen("nope"), "invalid-input");
  });
});
