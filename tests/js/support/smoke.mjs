// The core smoke subset, run once per engine variant (smoke-st.test.mjs and
// smoke-mt.test.mjs: a process can load only one wasm module).
import { test } from "node:test";
import assert from "node:assert/strict";
import { d, PEOPLE_SCHEMA, TX0, assertCode, assertRejectsCode, peopleConnection, sorted } from "./helpers.mjs";

export function registerSmokeTests(variant) {
  test(`the ${variant} engine variant is loaded`, () => {
    assert.equal(d.engineStats().variant, variant);
  });

  test("connect, transact, query, pull", async () => {
    const conn = await peopleConnection();
    const db = conn.db();
    assert.equal(db.maxTx, TX0 + 1);
    assert.deepEqual(sorted(db.q("[:find ?n ?a :where [?e :person/name ?n] [?e :person/age ?a] [(> ?a 26)]]")),
      [["Ivan", 30], ["Olga", 41]]);
    assert.deepEqual(db.pull("[:person/name :person/color {:person/friend [:person/name]}]", ["person/name", "Petr"]),
      { ":person/name": "Petr", ":person/color": ":color/blue", ":person/friend": [{ ":person/name": "Olga" }] });
    assert.deepEqual(db.q("[:find ?n ?a :keys name age :where [?e :person/name ?n] [?e :person/age ?a] [(< ?a 26)]]"),
      [{ name: "Petr", age: 25 }]);
  });

  test("typed values round-trip", () => {
    const db = d.emptyDb(PEOPLE_SCHEMA).with([{
      "db/id": 1, "person/name": "A", "person/id": "6f1c1f58-1111-4444-8888-123456789abc", "person/born": new Date(42),
      "person/photo": new Uint8Array([7, 8]), "person/big": 2n ** 62n, "person/age": 2n ** 60n, "person/score": 2,
    }]);
    assert.deepEqual(db.pull("[*]", 1), {
      ":db/id": 1, ":person/name": "A", ":person/id": "6f1c1f58-1111-4444-8888-123456789abc", ":person/born": new Date(42),
      ":person/photo": new Uint8Array([7, 8]), ":person/big": 2n ** 62n, ":person/age": 2n ** 60n, ":person/score": 2,
    });
  });

  test("rules, aggregates and inputs", async () => {
    const db = (await peopleConnection()).db();
    const rules = "[[(reach ?a ?b) [?a :person/friend ?b]] [(reach ?a ?b) [?a :person/friend ?x] (reach ?x ?b)]]";
    assert.deepEqual(db.q("[:find [?n ...] :in $ % :where [?s :person/name \"Ivan\"] (reach ?s ?e) [?e :person/name ?n]]", rules).sort(),
      ["Olga", "Petr"]);
    assert.equal(db.q("[:find (sum ?a) . :in $ [?n ...] :where [?e :person/name ?n] [?e :person/age ?a]]", ["Ivan", "Olga"]), 71);
    assert.deepEqual(db.q("[:find [?n ...] :in $ ?c :where [?e :person/color ?c] [?e :person/name ?n]]", d.kw(":color/red")).sort(),
      ["Ivan", "Olga"]);
  });

  test("entity, datoms, seekDatoms and temporal views", async () => {
    const conn = await peopleConnection();
    const t1 = conn.db().maxTx;
    await conn.transact([[":db/retractEntity", ["person/name", "Olga"]]]);
    const db = conn.db();
    const ivan = db.entity(["person/name", "Ivan"]);
    assert.deepEqual(ivan.get("person/friend").map((e) => e.get("person/name")), ["Petr"]);
    assert.equal(db.datoms("avet", "person/age", 30)[0].e, ivan.id);
    const first = [];
    for (const datom of db.seekDatoms("eavt")) {
      first.push(datom);
      if (first.length === 3) break;
    }
    assert.equal(first.length, 3);
    assert.equal(d.engineStats().liveCursors, 0);
    assert.equal(db.asOf(t1).entity(["person/name", "Olga"]).get("person/age"), 41);
    assert.ok(db.history().datoms("eavt").some((x) => !x.added && x.v === "Olga"));
  });

  test("errors keep their codes and leave the connection usable", async () => {
    const conn = await peopleConnection();
    const before = conn.db();
    await assertRejectsCode(conn.transact([{ "person/email": "ivan@example.org" }]), "unique-conflict");
    await assertRejectsCode(conn.transact([{ "person/age": "old" }]), "type-mismatch");
    await assertRejectsCode(conn.transact("[{:a"), "parse-error");
    assertCode(() => before.q("[:find"), "parse-error");
    assert.equal(conn.db(), before);
    await conn.transact([{ "person/name": "Zed" }]);
    assert.equal(conn.db().entid(["person/name", "Zed"]), 5);
  });

  test("dispose releases handles", () => {
    const before = d.engineStats().liveDbs;
    const base = d.emptyDb();
    for (let i = 0; i < 1000; i++) base.with([{ n: i }]).dispose();
    base.dispose();
    assert.equal(d.engineStats().liveDbs, before);
  });
}
