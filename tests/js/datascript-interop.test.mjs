// toSerializable / fromSerializable against the real npm `datascript`
// package (1.8.1, installed for the benchmarks): a db serialized by one
// system loads in the other and answers the same queries.
//
// DataScript's JS API names attributes with plain strings ("name"); datalite
// maps them to keywords (:name) and back.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { existsSync } from "node:fs";
import { d, sorted } from "./support/helpers.mjs";

await d.init({ threads: false });

const dsDir = new URL("../../bench/datascript/", import.meta.url);
const haveDataScript = existsSync(new URL("node_modules/datascript/package.json", dsDir));
const ds = haveDataScript ? createRequire(new URL("package.json", dsDir))("datascript") : null;
const skip = haveDataScript ? false : "npm datascript is not installed (cd bench/datascript && npm ci)";

const dsSchema = {
  email: { ":db/unique": ":db.unique/identity" },
  friend: { ":db/valueType": ":db.type/ref", ":db/cardinality": ":db.cardinality/many" },
  alias: { ":db/cardinality": ":db.cardinality/many" },
  address: { ":db/valueType": ":db.type/ref", ":db/isComponent": true },
};

const people = [
  { ":db/id": -1, name: "Ivan", email: "ivan@x.org", age: 31, alias: ["Vanya", "Vano"], friend: [-2, -3], score: 2.5 },
  { ":db/id": -2, name: "Petr", email: "petr@x.org", age: 25, friend: [-3], address: -4, active: true },
  { ":db/id": -3, name: "Oleg", email: "oleg@x.org", age: 42, alias: ["O."] },
  { ":db/id": -4, city: "Moscow", zip: "101000" },
];

// Queries written once, in each system's attribute syntax.
const queries = [
  ["[:find ?n ?a :where [?e :name ?n] [?e :age ?a]]", "[:find ?n ?a :where [?e \"name\" ?n] [?e \"age\" ?a]]"],
  ["[:find ?n ?f :where [?e :name ?n] [?e :friend ?x] [?x :name ?f]]",
    "[:find ?n ?f :where [?e \"name\" ?n] [?e \"friend\" ?x] [?x \"name\" ?f]]"],
  ["[:find ?n ?al :where [?e :alias ?al] [?e :name ?n]]", "[:find ?n ?al :where [?e \"alias\" ?al] [?e \"name\" ?n]]"],
  ["[:find ?c :where [?e :address ?a] [?a :city ?c]]", "[:find ?c :where [?e \"address\" ?a] [?a \"city\" ?c]]"],
  ["[:find ?e ?s :where [?e :score ?s]]", "[:find ?e ?s :where [?e \"score\" ?s]]"],
];

function dsRows(db, query) {
  return sorted(ds.q(query, db));
}

describe("DataScript interop through serializable JSON", { skip }, () => {
  test("a DataScript db loads in datalite and answers the same queries", () => {
    const dsDb = ds.db_with(ds.empty_db(dsSchema), people);
    const json = JSON.stringify(ds.serializable(dsDb));
    const db = d.fromSerializable(JSON.parse(json));
    assert.equal(db.count, ds.datoms(dsDb, ":eavt").length);
    for (const [ours, theirs] of queries) assert.deepEqual(sorted(db.q(ours)), dsRows(dsDb, theirs), ours);
    // unique identity survives: upsert by email lands on the same entity
    const next = db.with([{ email: "ivan@x.org", age: 32 }]);
    assert.equal(next.pull("[:age]", ["email", "ivan@x.org"])[":age"], 32);
    assert.equal(next.maxEid, db.maxEid);
  });

  test("a datalite db loads in DataScript and answers the same queries", () => {
    const db = d.emptyDb(`{:email   {:db/unique :db.unique/identity}
                           :friend  {:db/valueType :db.type/ref :db/cardinality :db.cardinality/many}
                           :alias   {:db/cardinality :db.cardinality/many}
                           :address {:db/valueType :db.type/ref :db/isComponent true}}`).with(people);
    const json = JSON.stringify(db.toSerializable());
    const dsDb = ds.from_serializable(JSON.parse(json));
    // every datom arrives, the automatic :db/txInstant included
    assert.equal(ds.datoms(dsDb, ":eavt").length, db.count);
    for (const [ours, theirs] of queries) assert.deepEqual(dsRows(dsDb, theirs), sorted(db.q(ours)), theirs);
    // DataScript can keep transacting on it: ids continue after datalite's
    const next = ds.db_with(dsDb, [{ ":db/id": -1, name: "Fedor" }]);
    assert.equal(ds.q("[:find ?e . :where [?e \"name\" \"Fedor\"]]", next), db.maxEid + 1);
  });

  test("a round trip datalite -> DataScript -> datalite keeps every user datom", () => {
    const db = d.emptyDb({ friend: { ":db/valueType": ":db.type/ref", ":db/cardinality": ":db.cardinality/many" } })
      .with([{ ":db/id": -1, name: "A", friend: [-2] }, { ":db/id": -2, name: "B", n: 7, x: 0.25 }]);
    const viaDs = ds.serializable(ds.from_serializable(JSON.parse(JSON.stringify(db.toSerializable()))));
    const back = d.fromSerializable(JSON.parse(JSON.stringify(viaDs)));
    const strip = (xs) => xs.filter((x) => x.a !== ":db/txInstant").map(({ e, a, v }) => [e, a, v]);
    assert.deepEqual(sorted(strip(back.datoms("eavt"))), sorted(strip(db.datoms("eavt"))));
  });
});
