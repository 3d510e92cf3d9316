// API.md sections 3 and 5: the Db value and its reads: pull, pullMany,
// entity, datoms, seekDatoms, indexRange, entid, temporal views, initDb,
// schema, counters.
import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import { d, PEOPLE_SCHEMA, TX0, assertCode, peopleConnection, sorted } from "./support/helpers.mjs";

await d.init({ threads: false });

const FAMILY_SCHEMA = {
  name: { "db/unique": "db.unique/identity" },
  friend: { "db/valueType": "db.type/ref", "db/cardinality": "db.cardinality/many" },
  parent: { "db/valueType": "db.type/ref" },
  age: { "db/index": true },
};

// A: friends B and C; B: parent A, friend C; C: parent B.
const family = () => d.emptyDb(FAMILY_SCHEMA).with([
  { "db/id": 1, name: "A", friend: [2, 3], age: 50 },
  { "db/id": 2, name: "B", parent: 1, friend: [3], age: 25 },
  { "db/id": 3, name: "C", parent: 2, age: 5 },
]);

describe("pull and pullMany", () => {
  const db = family();

  test("attributes, * and :db/id; keys are \":attr\" strings", () => {
    assert.deepEqual(db.pull("[:name :age]", 1), { ":name": "A", ":age": 50 });
    assert.deepEqual(db.pull("[*]", 3), { ":db/id": 3, ":name": "C", ":parent": { ":db/id": 2 }, ":age": 5 });
    assert.deepEqual(db.pull("[:db/id :name]", ["name", "B"]), { ":db/id": 2, ":name": "B" });
  });

  test("nested maps and reverse refs", () => {
    assert.deepEqual(db.pull("[:name {:parent [:name {:parent [:name]}]}]", 3),
      { ":name": "C", ":parent": { ":name": "B", ":parent": { ":name": "A" } } });
    assert.deepEqual(db.pull("[:name {:_parent [:name]}]", 1), { ":name": "A", ":_parent": [{ ":name": "B" }] });
    assert.deepEqual(sorted(db.pull("[:_friend]", 3)[":_friend"]), [{ ":db/id": 1 }, { ":db/id": 2 }]);
  });

  test("limit, default and :as, in both syntaxes", () => {
    assert.deepEqual(db.pull("[(:friend :limit 1) (:nick :default \"none\") [:name :as \"n\"]]", 1),
      { ":friend": [{ ":db/id": 2 }], ":nick": "none", n: "A" });
    assert.deepEqual(db.pull("[(limit :friend 1) (default :nick 0) [:name :as :nm]]", 1),
      { ":friend": [{ ":db/id": 2 }], ":nick": 0, ":nm": "A" });
  });

  test("recursion with ... and with a numeric depth", () => {
    assert.deepEqual(db.pull("[:name {:friend ...}]", 1),
      { ":name": "A", ":friend": [{ ":name": "B", ":friend": [{ ":name": "C" }] }, { ":name": "C" }] });
    assert.deepEqual(db.pull("[:name {:_parent 1}]", 1), { ":name": "A", ":_parent": [{ ":name": "B" }] });
  });

  test("pull of a missing entity or lookup ref to nothing is null", () => {
    assert.equal(db.pull("[*]", 999), null);
    assert.equal(db.pull("[*]", ["name", "Nobody"]), null);
  });

  test("pullMany keeps positions, with null for missing entities", () => {
    assert.deepEqual(db.pullMany("[:name]", [1, 999, ["name", "C"], ["name", "Nobody"]]),
      [{ ":name": "A" }, null, { ":name": "C" }, null]);
    assert.deepEqual(db.pullMany("[:name]", []), []);
  });

  test("d.pull and d.pullMany free functions", () => {
    assert.deepEqual(d.pull(db, "[:name]", 2), { ":name": "B" });
    assert.deepEqual(d.pullMany(db, "[:name]", [3, 2]), [{ ":name": "C" }, { ":name": "B" }]);
  });
});

describe("entity", () => {
  const db = family();

  test("get returns values; ref attributes give Entities; card-many give arrays", () => {
    const b = db.entity(2);
    assert.ok(b instanceof d.Entity);
    assert.equal(b.id, 2);
    assert.equal(b.db, db);
    assert.equal(b.get("name"), "B");
    assert.equal(b.get(":age"), 25);
    assert.equal(b.get("db/id"), 2);
    const parent = b.get("parent");
    assert.ok(parent instanceof d.Entity);
    assert.equal(parent.get("name"), "A");
    const friends = b.get("friend");
    assert.ok(Array.isArray(friends));
    assert.deepEqual(friends.map((f) => f.get("name")), ["C"]);
    assert.equal(b.get("nothing"), null);
  });

  test("reverse refs \"_attr\" give the referring entities", () => {
    const c = db.entity(["name", "C"]);
    assert.deepEqual(c.get("_friend").map((e) => e.id).sort(), [1, 2]);
    assert.deepEqual(c.get(":_parent"), null);
    assert.deepEqual(db.entity(1).get("_parent").map((e) => e.get("name")), ["B"]);
  });

  test("touch and toJSON give every attribute, refs as {\":db/id\": n}", () => {
    const expected = { ":db/id": 3, ":name": "C", ":parent": { ":db/id": 2 }, ":age": 5 };
    assert.deepEqual(db.entity(3).touch(), expected);
    assert.deepEqual(JSON.parse(JSON.stringify(db.entity(3))), expected);
    assert.deepEqual(db.entity(1).touch()[":friend"], [{ ":db/id": 2 }, { ":db/id": 3 }]);
  });

  test("entity of a lookup ref or ident that resolves to nothing is null", () => {
    assert.equal(db.entity(["name", "Nobody"]), null);
    assert.equal(db.entity(":no/such-ident"), null);
  });

  test("entity of an id without datoms is an empty entity (as DataScript's d/entity)", () => {
    const ghost = db.entity(999);
    assert.equal(ghost.id, 999);
    assert.deepEqual(ghost.touch(), { ":db/id": 999 });
    assert.equal(ghost.get("name"), null);
  });

  test("entities read the db value they came from", () => {
    const older = db.entity(1);
    const newer = db.with([{ "db/id": 1, name: "A2" }]).entity(1);
    assert.equal(older.get("name"), "A");
    assert.equal(newer.get("name"), "A2");
  });

  test("entity.get accepts kw() and rejects non-names", () => {
    assert.equal(db.entity(1).get(d.kw(":name")), "A");
    assertCode(() => db.entity(1).get(42), "invalid-input");
  });
});

describe("datoms, seekDatoms, indexRange", () => {
  const db = family();
  const tx = TX0 + 1;
  const ev = (list) => list.map((x) => [x.e, x.a, x.v]);

  test("eavt with 0 to 4 components", () => {
    assert.equal(db.datoms("eavt").length, db.count);
    // attributes within an entity are in index order (not necessarily alphabetical)
    assert.deepEqual(sorted(ev(db.datoms("eavt", 3))), sorted([[3, ":name", "C"], [3, ":parent", 2], [3, ":age", 5]]));
    assert.deepEqual(ev(db.datoms("eavt", 1, "friend")), [[1, ":friend", 2], [1, ":friend", 3]]);
    assert.deepEqual(ev(db.datoms("eavt", 1, "friend", 3)), [[1, ":friend", 3]]);
    assert.deepEqual(db.datoms("eavt", 1, ":friend", 3, tx), [{ e: 1, a: ":friend", v: 3, tx, added: true }]);
    assert.deepEqual(db.datoms("eavt", 1, ":friend", 3, tx + 1), []);
  });

  test("aevt, avet and vaet with components", () => {
    assert.deepEqual(ev(db.datoms("aevt", "parent")), [[2, ":parent", 1], [3, ":parent", 2]]);
    assert.deepEqual(ev(db.datoms("aevt", "friend", 2)), [[2, ":friend", 3]]);
    assert.deepEqual(ev(db.datoms("avet", "age")), [[3, ":age", 5], [2, ":age", 25], [1, ":age", 50]]);
    assert.deepEqual(ev(db.datoms("avet", "age", 25)), [[2, ":age", 25]]);
    assert.deepEqual(ev(db.datoms("avet", "name", "C", 3)), [[3, ":name", "C"]]);
    assert.deepEqual(ev(db.datoms("vaet", 3)), [[1, ":friend", 3], [2, ":friend", 3]]);
    assert.deepEqual(ev(db.datoms("vaet", 1, "parent")), [[2, ":parent", 1]]);
    // the ref component may be a lookup ref
    assert.deepEqual(ev(db.datoms("vaet", ["name", "A"], "parent")), [[2, ":parent", 1]]);
    assert.deepEqual(ev(db.datoms(":eavt", ["name", "C"], "age")), [[3, ":age", 5]]);
  });

  test("components are converted by the attribute's type", () => {
    const typed = d.emptyDb(PEOPLE_SCHEMA).with([{ "db/id": 1, "person/color": ":color/red", "person/score": 2 }]);
    assert.equal(typed.datoms("avet", "person/color", "color/red").length, 1);
    assert.equal(typed.datoms("avet", "person/color", ":color/red").length, 1);
    assert.equal(typed.datoms("eavt", 1, "person/score", 2).length, 1);
  });

  test("seekDatoms iterates from the components to the end of the index", () => {
    const seek = [...db.seekDatoms("eavt", 2)];
    assert.deepEqual(seek.slice(0, 4).map((x) => x.e), [2, 2, 2, 2]);
    assert.equal(seek[seek.length - 1].e, tx);  // the tx entity sorts last
    assert.deepEqual(ev([...db.seekDatoms("avet", "age", 20)]).slice(0, 2), [[2, ":age", 25], [1, ":age", 50]]);
    assert.equal([...db.seekDatoms("eavt")].length, db.count);
  });

  test("seekDatoms is lazy: breaking out of the loop closes the engine cursor", () => {
    // (kept small: larger dbs hit the wasm32 B-tree overflow tested in large-db.test.mjs)
    const big = d.emptyDb({ n: { "db/index": true } }).with(Array.from({ length: 150 }, (_, i) => ({ n: i })));
    const baseline = d.engineStats().liveCursors;
    const seen = [];
    for (const datom of big.seekDatoms("aevt", "n")) {
      seen.push(datom.v);
      if (seen.length === 10) {
        assert.equal(d.engineStats().liveCursors, baseline + 1, "the cursor is open while iterating");
        break;
      }
    }
    assert.deepEqual(seen, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.equal(d.engineStats().liveCursors, baseline);

    // manual iteration, then return()
    const it = big.seekDatoms("eavt");
    assert.equal(it.next().value.e, 1);
    assert.equal(d.engineStats().liveCursors, baseline + 1);
    it.return();
    assert.equal(d.engineStats().liveCursors, baseline);

    // consumed to the end: closed too; an exception inside the loop closes it as well
    assert.equal([...big.seekDatoms("aevt", "n")].length, 150);
    assert.throws(() => {
      for (const _ of big.seekDatoms("aevt", "n")) throw new Error("stop");
    }, /stop/);
    assert.equal(d.engineStats().liveCursors, baseline);
    big.dispose();
  });

  test("seekDatoms returns an iterator: iterable once, done after the end", () => {
    const it = db.seekDatoms("aevt", "parent");
    assert.equal(it[Symbol.iterator](), it);
    const all = [...it];
    assert.deepEqual(ev(all.slice(0, 2)), [[2, ":parent", 1], [3, ":parent", 2]]);
    assert.deepEqual(it.next(), { value: undefined, done: true });
    assert.deepEqual([...it], []);
    assert.deepEqual([...db.seekDatoms("aevt", "parent")], all, "each call starts a new iteration");
    assert.equal(d.engineStats().liveCursors, 0);
  });

  test("seekDatoms over several chunks returns every datom in order", () => {
    const big = d.emptyDb().with(Array.from({ length: 150 }, (_, i) => ({ "db/id": i + 1, n: i })));
    const es = [...big.seekDatoms("aevt", "n")].map((x) => x.e);
    assert.equal(es.length, 150);
    assert.ok(es.every((e, i) => e === i + 1));
    big.dispose();
  });

  test("indexRange: inclusive bounds, null for open ends", () => {
    assert.deepEqual(ev(db.indexRange("age", 5, 25)), [[3, ":age", 5], [2, ":age", 25]]);
    assert.deepEqual(ev(db.indexRange(":age", 6, null)), [[2, ":age", 25], [1, ":age", 50]]);
    assert.deepEqual(ev(db.indexRange("age", null, 24)), [[3, ":age", 5]]);
    assert.deepEqual(db.indexRange("age", 26, 49), []);
    assert.deepEqual(ev(db.indexRange("name", "B", "C")), [[2, ":name", "B"], [3, ":name", "C"]]);
  });
});

describe("entid, schema, counters", () => {
  test("entid resolves ids, lookup refs and idents; null when nothing matches", () => {
    const db = family().with([{ "db/ident": ":status/active" }]);
    assert.equal(db.entid(2), 2);
    assert.equal(db.entid(["name", "C"]), 3);
    assert.equal(db.entid(":status/active"), 4);
    assert.equal(db.entid(d.kw("status/active")), 4);
    assert.equal(db.entid(["db/ident", ":status/active"]), 4);
    assert.equal(db.entid(["name", "Nobody"]), null);
    assert.equal(db.entid(":no/such"), null);
  });

  test("schema() returns the schema map with \":attr\" keys, as a copy", () => {
    const db = family();
    const schema = db.schema();
    assert.deepEqual(schema, {
      ":name": { ":db/unique": ":db.unique/identity" },
      ":friend": { ":db/valueType": ":db.type/ref", ":db/cardinality": ":db.cardinality/many" },
      ":parent": { ":db/valueType": ":db.type/ref" },
      ":age": { ":db/index": true },
    });
    schema[":extra"] = {};
    assert.equal(db.schema()[":extra"], undefined);
  });

  test("maxTx, maxEid and count", () => {
    const empty = d.emptyDb();
    assert.deepEqual([empty.maxTx, empty.maxEid, empty.count], [TX0, 0, 0]);
    const db = family();
    assert.deepEqual([db.maxTx, db.maxEid, db.count], [TX0 + 1, 3, 12]);
    const db2 = db.with([{ name: "D" }]);
    assert.deepEqual([db2.maxTx, db2.maxEid, db2.count], [TX0 + 2, 4, 14]);
  });
});

describe("emptyDb and schema forms", () => {
  test("emptyDb takes a JS schema (keys and values with or without colons) or an EDN string", () => {
    const fromEdn = d.emptyDb(`{:tag {:db/valueType :db.type/keyword :db/cardinality :db.cardinality/many}
                                :code {:db/unique :db.unique/identity :db/doc "the code"}}`);
    const fromJs = d.emptyDb({ ":tag": { ":db/valueType": ":db.type/keyword", "db/cardinality": "db.cardinality/many" },
      code: { "db/unique": "db.unique/identity", "db/doc": "the code" } });
    assert.deepEqual(fromEdn.schema(), fromJs.schema());
    assert.equal(fromJs.schema()[":code"][":db/doc"], "the code");
    for (const db of [fromEdn, fromJs]) {
      const db2 = db.with([{ code: "x", tag: ["a/b", ":c"] }]);
      assert.deepEqual(db2.pull("[:tag]", ["code", "x"])[":tag"].sort(), [":a/b", ":c"]);
    }
  });

  test("emptyDb() without a schema accepts any attribute", () => {
    const db = d.emptyDb().with([{ anything: 1, "ns/other": "x" }]);
    assert.equal(db.count, 3);
  });

  test("schema transacted as :db/ident entities is used by later conversions", async () => {
    const conn = await d.connect();
    await conn.transact([
      { "db/ident": ":item/kind", "db/valueType": ":db.type/keyword", "db/cardinality": ":db.cardinality/one" },
      { "db/ident": "item/parts", "db/valueType": "db.type/ref", "db/cardinality": "db.cardinality/many", "db/isComponent": true },
      { "db/ident": ":item/sku", "db/valueType": ":db.type/string", "db/unique": ":db.unique/identity", "db/cardinality": ":db.cardinality/one" },
    ]);
    assert.equal(conn.db().schema()[":item/kind"][":db/valueType"], ":db.type/keyword");
    assert.equal(conn.db().schema()[":item/parts"][":db/cardinality"], ":db.cardinality/many");
    await conn.transact([{ "item/sku": "A1", "item/kind": ":kind/tool", "item/parts": [{ "part/no": 1 }, { "part/no": 2 }] }]);
    const db = conn.db();
    assert.deepEqual(db.q("[:find ?sku . :where [?e :item/kind :kind/tool] [?e :item/sku ?sku]]"), "A1");
    assert.deepEqual(db.pull("[:item/kind {:item/parts [:part/no]}]", ["item/sku", "A1"]),
      { ":item/kind": ":kind/tool", ":item/parts": [{ ":part/no": 1 }, { ":part/no": 2 }] });
    // isComponent from the transacted schema: retractEntity cascades
    await conn.transact([[":db/retractEntity", ["item/sku", "A1"]]]);
    assert.deepEqual(conn.db().q("[:find [?n ...] :where [_ :part/no ?n]]"), []);
  });
});

describe("temporal views: asOf, since, history", () => {
  let conn;
  let t1;
  let t2;
  let at1;
  before(async () => {
    conn = await peopleConnection();
    t1 = conn.db().maxTx;
    at1 = conn.db().datoms("aevt", "db/txInstant").find((x) => x.e === t1).v;
    await new Promise((resolve) => setTimeout(resolve, 5));
    const r = await conn.transact([[":db/add", ["person/name", "Petr"], "person/age", 26], [":db/retractEntity", ["person/name", "Olga"]]]);
    t2 = r.tx;
  });

  const ageOf = (db, name) => db.q("[:find ?a . :in $ ?n :where [?e :person/name ?n] [?e :person/age ?a]]", name);

  test("asOf a tx id sees the state after that tx", () => {
    const db = conn.db();
    assert.equal(ageOf(db, "Petr"), 26);
    assert.equal(ageOf(db.asOf(t1), "Petr"), 25);
    assert.equal(ageOf(db.asOf(t1), "Olga"), 41);
    assert.equal(ageOf(db.asOf(t2), "Olga"), null);
    assert.equal(db.asOf(t1 - 1).count, 0);
  });

  test("asOf a Date uses the tx instants", () => {
    const db = conn.db();
    assert.equal(ageOf(db.asOf(at1), "Petr"), 25);
    assert.equal(ageOf(db.asOf(new Date()), "Petr"), 26);
    assert.equal(db.asOf(new Date(0)).count, 0);
  });

  test("since a tx id or Date sees only datoms added after it", () => {
    const db = conn.db();
    assert.deepEqual(db.since(t1).q("[:find ?a ?v :where [?e ?a ?v] [(not= ?a :db/txInstant)]]"), [[":person/age", 26]]);
    assert.deepEqual(db.since(at1).q("[:find [?v ...] :where [_ :person/age ?v]]"), [26]);
    assert.equal(db.since(t2).count, 0);
  });

  test("history contains assertions and retractions", () => {
    const history = conn.db().history();
    const petr = conn.db().entid(["person/name", "Petr"]);
    const rows = history.q("[:find ?v ?tx ?added :in $ ?e :where [?e :person/age ?v ?tx ?added]]", petr);
    assert.deepEqual(sorted(rows), sorted([[25, t1, true], [25, t2, false], [26, t2, true]]));
    const retracted = history.datoms("eavt").filter((x) => !x.added);
    assert.ok(retracted.some((x) => x.a === ":person/name" && x.v === "Olga"));
    assert.ok(history.count > conn.db().count);
  });

  test("views answer entity and pull, and cannot be transacted into", () => {
    const db = conn.db();
    assertCode(() => db.asOf(t1).with([{ "person/name": "X" }]), "invalid-input", /asOf/);
    assertCode(() => db.history().with([{ "person/name": "X" }]), "invalid-input");
    assert.equal(db.asOf(t1).entity(["person/name", "Olga"]).get("person/age"), 41);
    assert.deepEqual(db.asOf(t1).pull("[:person/age]", ["person/name", "Petr"]), { ":person/age": 25 });
  });

  // Datomic combines as-of/since bounds with history; a Db holds one view
  // today, so different views refuse to stack instead of dropping a bound.
  test("stacking different views is refused; repeating one narrows it", () => {
    const db = conn.db();
    assertCode(() => db.asOf(t1).history(), "invalid-input", /a history view from a db that is already an asOf view/);
    assertCode(() => db.history().asOf(t1), "invalid-input", /an asOf view from a db that is already a history view/);
    assertCode(() => db.asOf(t1).since(t1), "invalid-input", /since/);
    assert.equal(db.asOf(db.maxTx).asOf(t1).count, db.asOf(t1).count);
    assert.equal(db.since(t1).since(0).count, db.since(t1).count);
  });

  test("keepHistory: false keeps no retracted datoms", async () => {
    const c = await d.connect({ keepHistory: false });
    await c.transact([{ "db/id": 1, v: 1 }]);
    await c.transact([{ "db/id": 1, v: 2 }]);
    assert.equal(c.db().history().datoms("eavt").filter((x) => !x.added).length, 0);
  });
});

describe("initDb", () => {
  test("builds a db from [e a v tx?] arrays and {e, a, v, tx?} objects, converting by the schema", () => {
    const db = d.initDb([
      [1, "name", "A"],
      { e: 2, a: ":name", v: "B", tx: TX0 + 5 },
      [2, "kind", "k/b"],
      { e: 1, a: "friend", v: 2 },
    ], { name: { "db/unique": "db.unique/identity" }, kind: { "db/valueType": "db.type/keyword" }, friend: { "db/valueType": "db.type/ref" } });
    assert.deepEqual(sorted(db.q("[:find ?e ?n :where [?e :name ?n]]")), [[1, "A"], [2, "B"]]);
    assert.equal(db.q("[:find ?k . :where [_ :kind ?k]]"), ":k/b");
    assert.deepEqual(db.pull("[:name {:friend [:name]}]", ["name", "A"]), { ":name": "A", ":friend": { ":name": "B" } });
    assert.equal(db.datoms("eavt", 2, "name")[0].tx, TX0 + 5);
    assert.equal(db.maxEid, 2);
    assert.equal(db.maxTx, TX0 + 5);
  });

  test("takes an EDN schema string and keeps working as a normal db", () => {
    const db = d.initDb([[1, ":color", ":red"], [2, "color", "blue"]], "{:color {:db/valueType :db.type/keyword :db/index true}}");
    assert.deepEqual(db.q("[:find [?c ...] :where [_ :color ?c]]").sort(), [":blue", ":red"]);
    assert.deepEqual(db.datoms("avet", "color").map((x) => x.v), [":blue", ":red"]);
    const next = db.with([{ color: "green" }]);
    assertCode(() => next.entid(["color", "green"]), "invalid-input", /unique/);  // not unique: no lookup refs
    assert.equal(next.maxEid, 3);
  });

  test("rejects malformed datoms", () => {
    assertCode(() => d.initDb([{ e: "x", a: "name", v: 1 }]), "invalid-input", /"x"/);
    assertCode(() => d.initDb([42]), "invalid-input", /42/);
    assertCode(() => d.initDb([[1, "n", "bad", 1.5]]), "invalid-input", /1\.5/);
    assertCode(() => d.initDb([[2.5, "n", "bad"]]), "invalid-input", /2\.5/);
  });
});
