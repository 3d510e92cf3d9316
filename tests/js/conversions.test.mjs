// API.md section 2: JS data -> engine values by schema, and engine values ->
// plain JS results.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { d, PEOPLE_SCHEMA, assertCode, printedValue, sorted } from "./support/helpers.mjs";

await d.init({ threads: false });

const UUID = "6f1c1f58-1111-4444-8888-123456789abc";

function people(txData) {
  return d.emptyDb(PEOPLE_SCHEMA).with(txData);
}

describe("JS -> engine: values converted by :db/valueType", () => {
  test("a string for a :db.type/keyword attribute becomes a keyword (with or without the colon)", () => {
    const db = people([
      { "person/name": "A", "person/color": ":color/red" },
      { "person/name": "B", "person/color": "color/blue" },
    ]);
    assert.deepEqual(sorted(db.q("[:find ?n ?c :where [?e :person/name ?n] [?e :person/color ?c]]")),
      [["A", ":color/red"], ["B", ":color/blue"]]);
    // The stored value is a keyword: an EDN keyword constant matches it, and pr-str prints it as one.
    assert.equal(db.q("[:find ?n . :where [?e :person/color :color/blue] [?e :person/name ?n]]"), "B");
    assert.equal(printedValue(db, db.entid(["person/name", "A"]), ":person/color"), ":color/red");
  });

  test("a string for a :db.type/uuid attribute becomes a uuid, returned as a lowercase string", () => {
    const db = people([{ "person/name": "A", "person/id": UUID.toUpperCase() }]);
    assert.equal(db.pull("[:person/id]", ["person/name", "A"])[":person/id"], UUID);
    assert.equal(db.q(`[:find ?n . :where [?e :person/id #uuid "${UUID}"] [?e :person/name ?n]]`), "A");
    assert.equal(printedValue(db, db.entid(["person/name", "A"]), ":person/id"), `#uuid "${UUID}"`);
    // uuid() values are accepted too, and a uuid attribute is a lookup-ref key
    assert.equal(people([{ "person/name": "B", "person/id": d.uuid(UUID) }]).entid(["person/id", UUID]), 1);
  });

  test("a malformed uuid string for a uuid attribute is invalid-input", () => {
    assertCode(() => people([{ "person/id": "not-a-uuid" }]), "invalid-input", /not-a-uuid/);
    assertCode(() => d.uuid("1234"), "invalid-input");
  });

  test("a Date is an instant, typed or untyped, and comes back as an equal Date", () => {
    const born = new Date("1990-05-17T10:20:30.456Z");
    const db = people([{ "person/name": "A", "person/born": born, "seen": new Date(0) }]);
    const row = db.pull("[:person/born :seen]", ["person/name", "A"]);
    assert.ok(row[":person/born"] instanceof Date);
    assert.equal(row[":person/born"].getTime(), born.getTime());
    assert.ok(row[":seen"] instanceof Date);
    assert.equal(row[":seen"].getTime(), 0);
    assert.equal(printedValue(db, 1, ":seen"), '#inst "1970-01-01T00:00:00.000-00:00"');
  });

  test("an instant attribute also accepts epoch milliseconds", () => {
    const db = people([{ "person/name": "A", "person/born": 86_400_000 }]);
    assert.equal(db.pull("[:person/born]", 1)[":person/born"].toISOString(), "1970-01-02T00:00:00.000Z");
  });

  test("a Uint8Array is bytes and comes back as a Uint8Array", () => {
    const photo = new Uint8Array([0, 1, 2, 254, 255]);
    const db = people([{ "person/name": "A", "person/photo": photo, "blob": new Uint8Array([9]) }]);
    const row = db.pull("[:person/photo :blob]", 1);
    assert.ok(row[":person/photo"] instanceof Uint8Array);
    assert.deepEqual([...row[":person/photo"]], [0, 1, 2, 254, 255]);
    assert.deepEqual([...row[":blob"]], [9]);
  });

  test("a bigint is a long: for long attributes, untyped attributes and :db/id", () => {
    const db = people([{ ":db/id": 5n, "person/name": "A", "person/age": 42n, "counter": 7n }]);
    assert.deepEqual(db.pull("[:db/id :person/age :counter]", 5), { ":db/id": 5, ":person/age": 42, ":counter": 7 });
    assert.equal(printedValue(db, 5, ":person/age"), "42");
    assert.equal(printedValue(db, 5, ":counter"), "7");
  });

  test("a :db.type/bigint attribute takes a bigint (or an integer number) and returns a bigint", () => {
    const db = people([
      { "person/name": "A", "person/big": 123n },
      { "person/name": "B", "person/big": 5 },
      { "person/name": "C", "person/big": -(2n ** 63n) },
    ]);
    assert.deepEqual(sorted(db.q("[:find ?n ?b :where [?e :person/name ?n] [?e :person/big ?b]]")),
      sorted([["A", 123n], ["B", 5n], ["C", -(2n ** 63n)]]));
    assertCode(() => people([{ "person/big": 2n ** 64n }]), "invalid-input", /64-bit/);
  });

  test("untyped attributes keep the JS type: integer numbers are longs, others doubles", () => {
    const db = people([{ "person/name": "A", "i": 7, "f": 1.5, "z": -0.25, "big": 2 ** 40, "s": "7", "b": true }]);
    assert.equal(printedValue(db, 1, ":i"), "7");
    assert.equal(printedValue(db, 1, ":f"), "1.5");
    assert.equal(printedValue(db, 1, ":z"), "-0.25");
    assert.equal(printedValue(db, 1, ":big"), String(2 ** 40));
    assert.equal(printedValue(db, 1, ":s"), '"7"');
    assert.equal(printedValue(db, 1, ":b"), "true");
    // a long and a string of the same digits are different values
    assert.equal(db.q("[:find ?e . :where [?e :i 7]]"), 1);
    assert.equal(db.q('[:find ?e . :where [?e :i "7"]]'), null);
  });

  test("a string for an untyped attribute stays a string even when it looks like a keyword", () => {
    const db = people([{ "person/name": "A", "note": ":not/keyword" }]);
    assert.equal(printedValue(db, 1, ":note"), '":not/keyword"');
    assert.equal(db.q("[:find ?e . :where [?e :note :not/keyword]]"), null);
  });

  test("a :db.type/double attribute given an integer number stores a double", () => {
    const db = people([{ "person/name": "A", "person/score": 3 }]);
    assert.equal(printedValue(db, 1, ":person/score"), "3.0");
    assert.equal(db.pull("[:person/score]", 1)[":person/score"], 3);
  });

  test("a :db.type/long attribute rejects a fractional number and a string (type-mismatch)", () => {
    assertCode(() => people([{ "person/age": 1.5 }]), "type-mismatch", /person\/age/);
    assertCode(() => people([{ "person/age": "old" }]), "type-mismatch", /person\/age/);
  });

  test("a string for a :db.type/symbol attribute becomes a symbol; sym() makes one anywhere; results are strings", () => {
    const db = d.emptyDb({ s: { "db/valueType": "db.type/symbol" } }).with([{ "db/id": 1, s: "foo/bar", u: d.sym("baz"), t: "baz" }]);
    assert.equal(printedValue(db, 1, ":s"), "foo/bar");
    assert.equal(printedValue(db, 1, ":u"), "baz");
    assert.equal(printedValue(db, 1, ":t"), '"baz"');
    assert.deepEqual(db.pull("[:s :u]", 1), { ":s": "foo/bar", ":u": "baz" });
    assert.equal(db.q("[:find ?e . :in $ ?s :where [?e :s ?s]]", d.sym("foo/bar")), 1);
  });

  test("booleans and strings round-trip", () => {
    const db = people([{ "person/name": "Zoë ✓ 名前", "person/active": false, "person/nick": "" }]);
    assert.deepEqual(db.pull("[:person/name :person/active :person/nick]", 1),
      { ":person/name": "Zoë ✓ 名前", ":person/active": false, ":person/nick": "" });
  });
});

describe("JS -> engine: attribute names and entity ids", () => {
  test("keys with and without the leading colon name the same attribute", () => {
    const db = people([{ ":person/name": "A", "person/age": 1 }, [":db/add", ["person/name", "A"], ":person/nick", "a"]]);
    assert.deepEqual(db.pull("[:person/name :person/age :person/nick]", 1),
      { ":person/name": "A", ":person/age": 1, ":person/nick": "a" });
    // the colon-less schema key "person/name" declared a unique identity: upsert works under both spellings
    const db2 = db.with([{ "person/name": "A", "person/age": 2 }, { ":person/name": "A", ":person/nick": "b" }]);
    assert.equal(db2.q("[:find (count ?e) . :where [?e :person/name]]"), 1);
    assert.deepEqual(db2.pull("[:person/age :person/nick]", 1), { ":person/age": 2, ":person/nick": "b" });
  });

  test("\":db/id\" and \"db/id\" are both the entity id", () => {
    const db = people([{ ":db/id": 10, "person/name": "A" }, { "db/id": 11, "person/name": "B" }]);
    assert.equal(db.entid(["person/name", "A"]), 10);
    assert.equal(db.entid(["person/name", "B"]), 11);
  });

  test("explicit positive entity ids create and then update that entity", () => {
    const db = people([{ "db/id": 1, "person/name": "Ivan" }]);
    const db2 = db.with([{ "db/id": 1, "person/age": 3 }]);
    assert.deepEqual(db2.pull("[*]", 1), { ":db/id": 1, ":person/name": "Ivan", ":person/age": 3 });
  });
});

describe("JS -> engine: ref values", () => {
  const base = () => people([
    { ":db/id": 1, "person/name": "Ivan", "person/email": "ivan@x" },
    { ":db/id": 2, "person/name": "Petr" },
    { "db/ident": ":color/red" },
  ]);
  const bestOf = (db, name) => db.q("[:find ?b . :in $ ?n :where [?e :person/name ?n] [?e :person/best ?b]]", name);

  test("a ref value can be an entity id", () => {
    assert.equal(bestOf(base().with([{ "person/name": "Olga", "person/best": 1 }]), "Olga"), 1);
  });

  test("a ref value can be a string tempid declared in the same transaction", () => {
    const db = base().with([{ "person/name": "Olga", "person/best": "z" }, { "db/id": "z", "person/name": "Zed" }]);
    assert.equal(bestOf(db, "Olga"), db.entid(["person/name", "Zed"]));
  });

  test("a ref value can be a negative tempid", () => {
    const db = base().with([{ "db/id": -7, "person/name": "Zed" }, { "person/name": "Olga", "person/best": -7 }]);
    assert.equal(bestOf(db, "Olga"), db.entid(["person/name", "Zed"]));
  });

  test("a ref value can be a lookup ref array", () => {
    const db = base().with([{ "person/name": "Olga", "person/best": ["person/email", "ivan@x"] }]);
    assert.equal(bestOf(db, "Olga"), 1);
    const db2 = base().with([{ "person/name": "Olga", "person/best": [":person/name", "Petr"] }]);
    assert.equal(bestOf(db2, "Olga"), 2);
  });

  test("a ref value can be an ident keyword string", () => {
    const db = base().with([{ "person/name": "Olga", "person/best": ":color/red" }]);
    assert.equal(bestOf(db, "Olga"), db.entid(":color/red"));
    assert.deepEqual(db.pull("[{:person/best [:db/ident]}]", ["person/name", "Olga"]),
      { ":person/best": { ":db/ident": ":color/red" } });
  });

  test("a ref value can be an Entity (it stands for its id)", () => {
    const db = base();
    const ivan = db.entity(["person/name", "Ivan"]);
    assert.equal(bestOf(db.with([{ "person/name": "Olga", "person/best": ivan }]), "Olga"), 1);
  });

  test("a nested map in a component attribute becomes a new component entity", () => {
    const db = base().with([{ "person/name": "Olga", "person/address": { "addr/city": "Oslo", "addr/zip": "0150" } }]);
    assert.deepEqual(db.pull("[{:person/address [:addr/city :addr/zip]}]", ["person/name", "Olga"]),
      { ":person/address": { ":addr/city": "Oslo", ":addr/zip": "0150" } });
  });

  test("a nested map with a unique identity in a plain ref attribute upserts the referenced entity", () => {
    const db = base().with([{ "person/name": "Olga", "person/best": { "person/name": "Petr", "person/age": 9 } }]);
    assert.equal(bestOf(db, "Olga"), 2);
    assert.equal(db.pull("[:person/age]", 2)[":person/age"], 9);
  });

  test("card-many attributes take arrays (and Sets) of values", () => {
    const db = base().with([
      { "person/name": "Olga", "person/tags": ["a", "b", "a"], "person/friend": [1, ["person/name", "Petr"], "n"] },
      { "db/id": "n", "person/name": "Nina", "person/tags": new Set(["x", "y"]) },
    ]);
    assert.deepEqual(db.pull("[:person/tags]", ["person/name", "Olga"])[":person/tags"].sort(), ["a", "b"]);
    assert.deepEqual(db.pull("[:person/tags]", ["person/name", "Nina"])[":person/tags"].sort(), ["x", "y"]);
    const friends = db.q("[:find [?fn ...] :where [?e :person/name \"Olga\"] [?e :person/friend ?f] [?f :person/name ?fn]]");
    assert.deepEqual(friends.sort(), ["Ivan", "Nina", "Petr"]);
  });

  test("a single lookup ref for a card-many ref attribute is one ref, not two values", () => {
    const db = base().with([{ "person/name": "Olga", "person/friend": ["person/name", "Ivan"] }]);
    assert.deepEqual(db.q("[:find [?f ...] :where [?e :person/name \"Olga\"] [?e :person/friend ?f]]"), [1]);
  });

  test("reverse refs \"person/_friend\" add the forward datoms (single value and array)", () => {
    const db = base().with([
      { "person/name": "Olga", "person/_friend": 1 },
      { "person/name": "Nina", "person/_friend": [["person/name", "Ivan"], 2] },
    ]);
    const rows = db.q("[:find ?a ?b :where [?x :person/friend ?y] [?x :person/name ?a] [?y :person/name ?b]]");
    assert.deepEqual(sorted(rows), [["Ivan", "Nina"], ["Ivan", "Olga"], ["Petr", "Nina"]]);
  });

  test("a ref attribute given a fractional number is rejected", () => {
    assertCode(() => base().with([{ "person/name": "Olga", "person/best": 1.5 }]), "invalid-input", /1\.5/);
    assertCode(() => base().with([[":db/add", 1.5, "person/name", "X"]]), "invalid-input", /1\.5/);
  });
});

describe("JS -> engine: tuples", () => {
  const schema = {
    "pt": { "db/valueType": "db.type/tuple", "db/tupleTypes": ["db.type/long", "db.type/keyword", "db.type/instant"] },
    "ht": { "db/valueType": "db.type/tuple", "db/tupleType": "db.type/keyword" },
    "a": {},
    "b": {},
    "a+b": { "db/valueType": "db.type/tuple", "db/tupleAttrs": ["a", "b"], "db/unique": "db.unique/identity" },
  };

  test("typed tuples convert each slot by its declared type", () => {
    const db = d.emptyDb(schema).with([{ "db/id": 1, "pt": [1, ":k/x", new Date(5)], "ht": ["k/a", ":k/b"] }]);
    assert.equal(printedValue(db, 1, ":pt"), '[1 :k/x #inst "1970-01-01T00:00:00.005-00:00"]');
    assert.equal(printedValue(db, 1, ":ht"), "[:k/a :k/b]");
    const row = db.pull("[:pt :ht :free]", 1);
    assert.deepEqual(row, { ":pt": [1, ":k/x", new Date(5)], ":ht": [":k/a", ":k/b"] });
  });

  test("composite tuples (:db/tupleAttrs) are maintained automatically and work as lookup refs", () => {
    let db = d.emptyDb(schema).with([{ "db/id": 1, "a": 1, "b": "x" }]);
    assert.deepEqual(db.pull("[:a+b]", 1), { ":a+b": [1, "x"] });
    db = db.with([[":db/add", 1, "b", "y"]]);
    assert.deepEqual(db.pull("[:a+b]", 1), { ":a+b": [1, "y"] });
    assert.equal(db.entid(["a+b", [1, "y"]]), 1);
    assert.equal(db.entid(["a+b", [1, "x"]]), null);
    // a partial tuple has nil in the missing slot
    db = db.with([{ "db/id": 2, "a": 5 }]);
    assert.deepEqual(db.pull("[:a+b]", 2), { ":a+b": [5, null] });
  });

  test("a composite tuple cannot be asserted with a value that differs from its components", () => {
    const db = d.emptyDb(schema).with([{ "db/id": 1, "a": 1, "b": "x" }]);
    assertCode(() => db.with([[":db/add", 1, "a+b", [2, "z"]]]), "schema-violation", /tuple/);
  });

  test("a lookup ref into a unique composite tuple resolves in tx-data", () => {
    const db = d.emptyDb(schema).with([{ "db/id": 1, "a": 1, "b": "x" }]);
    const db2 = db.with([{ "db/id": ["a+b", [1, "x"]], "c": "via lookup" }]);
    assert.deepEqual(db2.pull("[:c]", 1), { ":c": "via lookup" });
  });

  // DataScript 1.6 (tests/datascript/test/tuples.cljc, test-upsert): a map
  // whose unique composite tuple value equals an existing entity's upserts.
  test("a map with the unique composite tuple value of an existing entity upserts into it", () => {
    const db = d.emptyDb(schema).with([{ "db/id": 1, "a": 1, "b": "x" }]);
    const db2 = db.with([{ "a+b": [1, "x"], "c": true }]);
    assert.deepEqual(db2.pull("[*]", 1), { ":db/id": 1, ":a": 1, ":b": "x", ":a+b": [1, "x"], ":c": true });
  });

  // DataScript issue-473 (test-upsert-by-tuple-components).
  test("a new entity whose components form an existing unique composite upserts into that entity", () => {
    const db = d.emptyDb(schema).with([{ "db/id": 1, "a": 1, "b": "x" }]);
    const db2 = db.with([{ "a": 1, "b": "x", "name": "Oleg" }]);
    assert.equal(db2.q("[:find (count ?e) . :where [?e :a]]"), 1);
    assert.deepEqual(db2.pull("[:name]", 1), { ":name": "Oleg" });
  });
});

describe("engine -> JS: results", () => {
  test("keywords come back as strings with a leading colon", () => {
    const db = people([{ "person/name": "A", "person/color": "color/red" }]);
    assert.equal(db.q("[:find ?c . :where [_ :person/color ?c]]"), ":color/red");
    assert.deepEqual(db.q("[:find ?a . :where [_ ?a :color/red]]"), ":person/color");
  });

  test("pull keys are \":ns/attr\" strings, including \":db/id\"", () => {
    const db = people([{ "person/name": "A", "person/age": 3 }]);
    assert.deepEqual(Object.keys(db.pull("[*]", 1)).sort(), [":db/id", ":person/age", ":person/name"]);
  });

  test("longs beyond 2^53 come back as bigint, safe ones as numbers", () => {
    const db = people([
      { "db/id": 1, "person/age": 2n ** 60n, "raw": -(2n ** 62n) },
      { "db/id": 2, "person/age": Number.MAX_SAFE_INTEGER, "raw": -Number.MAX_SAFE_INTEGER },
      { "db/id": 3, "person/age": 2n ** 53n },
    ]);
    assert.deepEqual(db.pull("[:person/age :raw]", 1), { ":person/age": 2n ** 60n, ":raw": -(2n ** 62n) });
    assert.deepEqual(db.pull("[:person/age :raw]", 2), { ":person/age": Number.MAX_SAFE_INTEGER, ":raw": -Number.MAX_SAFE_INTEGER });
    assert.equal(db.pull("[:person/age]", 3)[":person/age"], 2n ** 53n);
    assert.equal(db.q("[:find ?e . :in $ ?v :where [?e :person/age ?v]]", 2n ** 60n), 1);
    assert.equal(db.q("[:find (sum ?v) . :where [_ :raw ?v]]"), -(2n ** 62n) - BigInt(Number.MAX_SAFE_INTEGER));
  });

  test("sets come back as arrays", () => {
    const db = people([{ "person/name": "A", "person/tags": ["x", "y"] }, { "person/name": "B", "person/tags": ["y"] }]);
    assert.deepEqual(db.q("[:find (distinct ?t) . :where [_ :person/tags ?t]]").sort(), ["x", "y"]);
    assert.ok(Array.isArray(db.q("[:find ?s . :where [(set [1 2]) ?s]]")));
    assert.deepEqual(db.q("[:find ?s . :where [(set [1 2]) ?s]]").sort(), [1, 2]);
  });

  test("nil comes back as null", () => {
    const db = people([{ "person/name": "A" }]);
    assert.equal(db.q("[:find ?a . :where [?e :person/age ?a]]"), null);
    assert.equal(db.q("[:find ?x . :where [(get-else $ 1 :person/age :none) ?x]]"), ":none");
    assert.deepEqual(db.q("[:find [?x ?y] :where [(ground [1 nil]) [?x ?y]]]"), [1, null]);
    assert.equal(db.entity(1).get("person/age"), null);
  });

  test("EDN maps and vectors from query functions become objects and arrays", () => {
    const db = d.emptyDb();
    assert.deepEqual(db.q("[:find ?m . :where [(hash-map :a 1 :b [2 \"c\"]) ?m]]"), { ":a": 1, ":b": [2, "c"] });
    assert.deepEqual(db.q("[:find ?v . :where [(vector 1 2.5 \"x\" :k nil true) ?v]]"), [1, 2.5, "x", ":k", null, true]);
  });

  test("datoms are {e, a, v, tx, added} with a as \":attr\"", () => {
    const db = people([{ "person/name": "A" }]);
    const [datom] = db.datoms("aevt", "person/name");
    assert.deepEqual(datom, { e: 1, a: ":person/name", v: "A", tx: db.maxTx, added: true });
  });
});

describe("query and pull inputs from JS", () => {
  const db = people([
    { "person/name": "A", "person/color": ":color/red", "person/id": UUID, "person/born": new Date(1000), "person/photo": new Uint8Array([1]) },
  ]);

  test("strings are strings: a \":kw\" string does not match a keyword, kw() does", () => {
    const query = "[:find ?n . :in $ ?c :where [?e :person/color ?c] [?e :person/name ?n]]";
    assert.equal(db.q(query, ":color/red"), null);
    assert.equal(db.q(query, d.kw(":color/red")), "A");
    assert.equal(db.q(query, d.kw("color/red")), "A");
  });

  test("uuid() inputs match uuid values; plain strings do not", () => {
    const query = "[:find ?n . :in $ ?u :where [?e :person/id ?u] [?e :person/name ?n]]";
    assert.equal(db.q(query, d.uuid(UUID)), "A");
    assert.equal(db.q(query, UUID), null);
  });

  test("Date inputs are instants", () => {
    const query = "[:find ?n . :in $ ?t :where [?e :person/born ?t] [?e :person/name ?n]]";
    assert.equal(db.q(query, new Date(1000)), "A");
    assert.equal(db.q(query, new Date(1001)), null);
    assert.equal(db.q("[:find ?n . :in $ ?t :where [?e :person/born ?b] [(< ?b ?t)] [?e :person/name ?n]]", new Date(5000)), "A");
  });

  test("Uint8Array inputs are bytes", () => {
    const bytes = d.q("[:find ?b . :in ?b]", new Uint8Array([4, 5]));
    assert.ok(bytes instanceof Uint8Array);
    assert.deepEqual([...bytes], [4, 5]);
  });

  test("kw() returns a Keyword that prints with its colon, and rejects empty names", () => {
    assert.equal(String(d.kw("a/b")), ":a/b");
    assert.equal(JSON.stringify(d.kw(":a/b")), '":a/b"');
    assertCode(() => d.kw(""), "invalid-input");
    assertCode(() => d.kw(":"), "invalid-input");
  });

  test("values JS cannot pass are invalid-input", () => {
    assertCode(() => d.q("[:find ?x . :in ?x]", () => 1), "invalid-input", /function/);
    assertCode(() => d.q("[:find ?x . :in ?x]", Symbol("s")), "invalid-input", /symbol/);
    assertCode(() => d.q("[:find ?x . :in ?x]", new (class Foo {})()), "invalid-input", /Foo/);
  });
});
