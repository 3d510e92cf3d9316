// Shared fixtures for the Node test suite (not a test file itself: node --test
// only runs *.test.mjs). Each test file imports the package and initialises
// the engine variant it wants before using these helpers.
import assert from "node:assert/strict";
import * as d from "../../../js/index.js";

export { d };

// A schema that exercises every conversion rule of API.md section 2.
export const PEOPLE_SCHEMA = Object.freeze({
  "person/name": { "db/unique": "db.unique/identity" },
  ":person/email": { ":db/unique": ":db.unique/value" },
  "person/friend": { "db/valueType": "db.type/ref", "db/cardinality": "db.cardinality/many" },
  "person/best": { "db/valueType": "db.type/ref" },
  "person/address": { "db/valueType": "db.type/ref", "db/isComponent": true },
  "person/phones": { "db/valueType": "db.type/ref", "db/cardinality": "db.cardinality/many", "db/isComponent": true },
  "person/color": { "db/valueType": "db.type/keyword" },
  "person/id": { "db/valueType": "db.type/uuid", "db/unique": "db.unique/identity" },
  "person/born": { "db/valueType": "db.type/instant" },
  "person/photo": { "db/valueType": "db.type/bytes" },
  "person/big": { "db/valueType": "db.type/bigint" },
  "person/age": { "db/valueType": "db.type/long", "db/index": true },
  "person/score": { "db/valueType": "db.type/double" },
  "person/active": { "db/valueType": "db.type/boolean" },
  "person/tags": { "db/cardinality": "db.cardinality/many" },
  "person/nick": { "db/valueType": "db.type/string" },
});

export const TX0 = 0x20000000;  // DataScript's tx0: the first tx id is TX0 + 1

// Asserts that fn throws (or rejects with) a DataliteError with `code`.
export function assertCode(fn, code, messagePattern) {
  const check = (err) => {
    assert.ok(err instanceof d.DataliteError, `expected a DataliteError, got ${err?.constructor?.name}: ${err?.message}`);
    assert.equal(err.code, code, `expected code ${code}, got ${err.code}: ${err.message}`);
    if (messagePattern) assert.match(err.message, messagePattern);
    return true;
  };
  assert.throws(fn, check);
}

export async function assertRejectsCode(promiseOrFn, code, messagePattern) {
  await assert.rejects(promiseOrFn, (err) => {
    assert.ok(err instanceof d.DataliteError, `expected a DataliteError, got ${err?.constructor?.name}: ${err?.message}`);
    assert.equal(err.code, code, `expected code ${code}, got ${err.code}: ${err.message}`);
    if (messagePattern) assert.match(err.message, messagePattern);
    return true;
  });
}

// Sorts query result rows so relation results (sets) compare deterministically.
export function sorted(rows) {
  const key = (x) => JSON.stringify(x, (_, v) => (typeof v === "bigint" ? `${v}n` : v));
  return [...rows].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

// The EDN printed form of the single value of `attr` on entity `eid`: tells a
// long (3) from a double (3.0), which JS numbers cannot.
export function printedValue(db, eid, attr) {
  return db.q(`[:find ?s . :in $ ?e :where [?e ${attr} ?v] [(pr-str ?v) ?s]]`, eid);
}

// A small social graph used by the read tests.
export async function peopleConnection() {
  const conn = await d.connect({ schema: PEOPLE_SCHEMA });
  await conn.transact([
    { ":db/id": "ivan", "person/name": "Ivan", "person/email": "ivan@example.org", "person/age": 30,
      "person/color": ":color/red", "person/friend": ["petr", "olga"], "person/address": { "addr/city": "Moscow" } },
    { ":db/id": "petr", "person/name": "Petr", "person/email": "petr@example.org", "person/age": 25,
      "person/color": ":color/blue", "person/friend": ["olga"] },
    { ":db/id": "olga", "person/name": "Olga", "person/email": "olga@example.org", "person/age": 41,
      "person/color": ":color/red" },
  ]);
  return conn;
}
