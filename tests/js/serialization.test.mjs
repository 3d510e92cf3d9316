// API.md sections 3 and 5: db.serialize / d.deserialize, db.toSerializable /
// d.fromSerializable (DataScript's `serializable` shape) and db.toEDN /
// d.fromEDN. Every form holds the current state (schema, current datoms with
// their tx, maxEid, maxTx), not history.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { d, TX0, assertCode, printedValue, sorted } from "./support/helpers.mjs";

await d.init({ threads: false });

// At most 12 attributes with a schema: larger EDN maps trap the wasm32
// engine today (see wasm32.test.mjs).
const SCHEMA = {
  "person/name": { "db/unique": "db.unique/identity" },
  "person/email": { "db/unique": "db.unique/value" },
  "person/friend": { "db/valueType": "db.type/ref", "db/cardinality": "db.cardinality/many" },
  "person/address": { "db/valueType": "db.type/ref", "db/isComponent": true },
  "person/color": { "db/valueType": "db.type/keyword" },
  "person/id": { "db/valueType": "db.type/uuid" },
  "person/born": { "db/valueType": "db.type/instant" },
  "person/photo": { "db/valueType": "db.type/bytes" },
  "person/big": { "db/valueType": "db.type/bigint" },
  "person/score": { "db/valueType": "db.type/double", "db/index": true },
  "person/tags": { "db/cardinality": "db.cardinality/many" },
  "pair": { "db/valueType": "db.type/tuple", "db/tupleTypes": ["db.type/long", "db.type/keyword"] },
};

// A db with every value type, a retraction in its history and a component.
function sampleDb() {
  return d.emptyDb(SCHEMA)
    .with([
      { ":db/id": "ivan", "person/name": "Ivan", "person/email": "ivan@x", "person/age": 2n ** 60n,
        "person/color": ":color/red", "person/id": "6f1c1f58-1111-4444-8888-123456789abc",
        "person/born": new Date("1990-05-17T10:20:30.456Z"), "person/photo": new Uint8Array([0, 255, 7]),
        "person/big": -(2n ** 63n), "person/score": 3, "person/active": true, "person/tags": ["x", "y"],
        "person/address": { "addr/city": "Zürich ✓" }, pair: [1, ":k/v"], untyped: 1.5 },
      { "person/name": "Petr", "person/friend": ["ivan"], "person/nick": "" },
    ])
    .with([[":db/retract", ["person/name", "Petr"], "person/nick", ""]]);
}

function assertSameDb(actual, expected) {
  assert.deepEqual(actual.datoms("eavt"), expected.datoms("eavt"));
  assert.deepEqual(actual.schema(), expected.schema());
  assert.equal(actual.maxEid, expected.maxEid);
  assert.equal(actual.maxTx, expected.maxTx);
  assert.equal(actual.count, expected.count);
  // numbers keep their long/double distinction
  // (an empty db has no :person/name, and a lookup ref through a missing
  // attribute is an error, as in DataScript)
  const ivan = expected.count > 0 ? expected.entid(["person/name", "Ivan"]) : null;
  if (ivan) {
    assert.equal(printedValue(actual, ivan, ":person/score"), "3.0");
    assert.equal(printedValue(actual, ivan, ":untyped"), "1.5");
    assert.equal(printedValue(actual, ivan, ":person/color"), ":color/red");
  }
}

// A loaded db keeps working: unique identities, refs and id allocation.
function assertUsable(db) {
  const next = db.with([{ "person/name": "Ivan", "person/nick": "vanya" }, { "person/name": "New" }]);
  assert.equal(next.pull("[:person/nick]", ["person/name", "Ivan"])[":person/nick"], "vanya");
  assert.equal(next.entid(["person/name", "New"]), db.maxEid + 1);
  assert.equal(next.maxTx, db.maxTx + 1);
  assert.deepEqual(next.q("[:find [?n ...] :where [?p :person/friend ?f] [?f :person/name ?n]]"), ["Ivan"]);
}

describe("serialize / deserialize", () => {
  test("serialize returns bytes that deserialize to an equal db", () => {
    const db = sampleDb();
    const bytes = db.serialize();
    assert.ok(bytes instanceof Uint8Array);
    assert.ok(bytes.length > 0);
    const copy = d.deserialize(bytes);
    assertSameDb(copy, db);
    assertUsable(copy);
  });

  test("the snapshot holds the current state only, not history", () => {
    const copy = d.deserialize(sampleDb().serialize());
    assert.deepEqual(copy.history().datoms("eavt").filter((x) => !x.added), []);
  });

  test("an empty db and an asOf view serialize", () => {
    const empty = d.emptyDb(SCHEMA);
    assertSameDb(d.deserialize(empty.serialize()), empty);
    const db = sampleDb();
    const view = db.asOf(TX0 + 1);
    const copy = d.deserialize(view.serialize());
    assert.equal(copy.pull("[:person/nick]", ["person/name", "Petr"])[":person/nick"], "");
  });

  test("a history view is refused", () => {
    assertCode(() => sampleDb().history().serialize(), "invalid-input");
  });

  test("corrupt, truncated or non-byte input is rejected with invalid-input", () => {
    const bytes = sampleDb().serialize();
    assertCode(() => d.deserialize(bytes.subarray(0, bytes.length >> 1)), "invalid-input");
    const flipped = bytes.slice();
    flipped[flipped.length >> 1] ^= 0xff;
    assertCode(() => d.deserialize(flipped), "invalid-input");
    assertCode(() => d.deserialize(new Uint8Array([1, 2, 3])), "invalid-input");
    assertCode(() => d.deserialize([1, 2, 3]), "invalid-input");
  });
});

describe("toSerializable / fromSerializable", () => {
  test("toSerializable is JSON-safe and has DataScript's serializable shape", () => {
    const obj = sampleDb().toSerializable();
    assert.deepEqual(JSON.parse(JSON.stringify(obj)), obj);
    for (const key of ["count", "tx0", "max-eid", "max-tx", "schema", "attrs", "keywords", "eavt", "aevt", "avet"])
      assert.ok(key in obj, `missing "${key}"`);
    assert.equal(obj.tx0, TX0);
    assert.equal(obj["max-tx"], TX0 + 2);
    assert.equal(typeof obj.schema, "string");
    assert.equal(obj.eavt.length, obj.count);
    assert.ok(Array.isArray(obj.attrs));
  });

  test("fromSerializable(toSerializable()) is an exact round trip, from the object or its JSON text", () => {
    const db = sampleDb();
    const obj = db.toSerializable();
    assertSameDb(d.fromSerializable(obj), db);
    assertSameDb(d.fromSerializable(JSON.stringify(obj)), db);
    assertUsable(d.fromSerializable(obj));
  });

  test("fromSerializable loads JSON written by DataScript 1.8.1", () => {
    // JSON.stringify(d.serializable(db)) of a DataScript db (tests/serial/fixtures/people.json)
    const fromDataScript = {
      count: 20, tx0: 536870912, "max-eid": 4, "max-tx": 536870915,
      schema: "{\"email\" {:db/unique :db.unique/identity}, \"friend\" {:db/valueType :db.type/ref, :db/cardinality :db.cardinality/many}, " +
        "\"address\" {:db/valueType :db.type/ref, :db/isComponent true}, \"alias\" {:db/cardinality :db.cardinality/many}, \"age\" {:db/index true}}",
      attrs: ["active", "address", "age", "alias", "city", "email", "friend", "name", "note", "score", "zip"],
      keywords: [],
      eavt: [[1, 1, 3, 1], [1, 2, 16, 2], [1, 3, "Vanya", 1], [1, 5, "ivan@example.org", 1], [1, 6, 2, 1], [1, 7, "Ivan", 1],
        [2, 0, true, 1], [2, 2, 37, 1], [2, 5, "petr@example.org", 1], [2, 7, "Petr", 1], [2, 9, -0.5, 2], [3, 3, "O.", 3],
        [3, 4, "Moscow", 1], [3, 8, "", 3], [3, 10, "101000", 1], [4, 0, false, 1], [4, 2, 37, 1], [4, 6, 1, 1], [4, 6, 2, 1],
        [4, 7, "Oleg", 1]],
      aevt: [6, 15, 0, 1, 7, 16, 2, 11, 12, 3, 8, 4, 17, 18, 5, 9, 19, 13, 10, 14],
      avet: [0, 1, 7, 16, 3, 8, 17, 4, 18],
    };
    const db = d.fromSerializable(fromDataScript);
    assert.equal(db.count, 20);
    assert.equal(db.maxEid, 4);
    assert.equal(db.maxTx, 536870915);
    assert.deepEqual(db.pull("[:name :age {:friend [:name]} {:address [:city :zip]}]", ["email", "ivan@example.org"]),
      { ":name": "Ivan", ":age": 16, ":friend": [{ ":name": "Petr" }], ":address": { ":city": "Moscow", ":zip": "101000" } });
    assert.deepEqual(sorted(db.q("[:find ?n ?f :where [?e :name ?n] [?e :friend ?x] [?x :name ?f]]")),
      [["Ivan", "Petr"], ["Oleg", "Ivan"], ["Oleg", "Petr"]]);
    assert.equal(db.datoms("eavt", 1, "age")[0].tx, 536870914);
  });

  test("malformed input is rejected with invalid-input naming the problem", () => {
    assertCode(() => d.fromSerializable({ count: 0, attrs: [] }), "invalid-input", /eavt/);
    assertCode(() => d.fromSerializable("{not json"), "invalid-input");
  });
});

describe("toEDN / fromEDN", () => {
  test("toEDN is a readable #datalite/db dump", () => {
    const text = sampleDb().toEDN();
    assert.equal(typeof text, "string");
    assert.match(text, /^#datalite\/db \{/);
    assert.match(text, /:person\/name "Ivan"/);
    assert.match(text, /:color\/red/);
    assert.match(text, /#uuid "6f1c1f58-1111-4444-8888-123456789abc"/);
    assert.match(text, /#inst "1990-05-17T10:20:30.456-00:00"/);
  });

  test("fromEDN(toEDN()) is an exact round trip", () => {
    const db = sampleDb();
    const copy = d.fromEDN(db.toEDN());
    assertSameDb(copy, db);
    assertUsable(copy);
    assertSameDb(d.fromEDN(d.emptyDb().toEDN()), d.emptyDb());
  });

  test("fromEDN reads DataScript's printed #datascript/DB form", () => {
    const text = `#datascript/DB {:schema {:name {:db/unique :db.unique/identity}
                                           :friend {:db/valueType :db.type/ref :db/cardinality :db.cardinality/many}}
                                  :datoms [[1 :name "Ivan" 536870913] [1 :friend 2 536870913] [2 :name "Petr" 536870914]]}`;
    const db = d.fromEDN(text);
    assert.equal(db.maxEid, 2);
    assert.equal(db.maxTx, 536870914);
    assert.deepEqual(db.pull("[:name {:friend [:name]}]", ["name", "Ivan"]), { ":name": "Ivan", ":friend": [{ ":name": "Petr" }] });
  });

  test("malformed text is parse-error, a non-string is invalid-input", () => {
    assertCode(() => d.fromEDN("#datalite/db {:datoms [[1 :a"), "parse-error");
    assertCode(() => d.fromEDN("#datalite/db {:datoms [[\"one\" :a 1 536870913]]}"), "invalid-input");
    assertCode(() => d.fromEDN(42), "invalid-input");
  });
});
