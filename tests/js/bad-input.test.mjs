// Issue 8 (hardening): malformed and hostile inputs through the public JS API.
//
// Every case below must
//   1. fail with a DataliteError carrying the expected code (API.md section 8),
//   2. change nothing (a connection keeps the very same value, with the same
//      datoms and basis tx; a failed read leaves its db as it was; a store
//      that cannot be opened stays unopenable rather than being "repaired"
//      into a smaller database),
//   3. leave the engine working: the next valid transaction and query in the
//      same wasm instance succeed.
// Cases that could take the engine down (gigabyte heaps, stack overflows,
// endless work) run in a child process, one engine each
// (support/bad-input-child.mjs).
//
// Cases are data: { name, code, ... } in tables grouped by category; the
// runner of each table does the three checks. `todo` marks a case whose
// current behaviour is a known engine (C++) bug, with the reason.
import { test, describe, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { d } from "./support/helpers.mjs";
import { CHILD_CASES } from "./support/bad-input-child.mjs";

await d.init({ threads: process.env.DATALITE_TEST_THREADS === "1" });

const CHILD = fileURLToPath(new URL("./support/bad-input-child.mjs", import.meta.url));
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), "dlt-bad-input-"));
after(() => {
  fs.rmSync(TMP, { recursive: true, force: true });
  // Nothing in this file may have reached Object.prototype.
  assert.deepEqual(Object.keys(Object.prototype), []);
  assert.equal({}.polluted, undefined);
});
let dirCount = 0;
const newDir = () => path.join(TMP, `s${++dirCount}`);

// ------------------------------------------------------------------ fixtures

const SCHEMA = {
  "p/name": { "db/unique": "db.unique/identity" },
  "p/email": { "db/unique": "db.unique/value" },
  "p/age": { "db/valueType": "db.type/long", "db/index": true },
  "p/s": { "db/valueType": "db.type/string" },
  "p/d": { "db/valueType": "db.type/double" },
  "p/f": { "db/valueType": "db.type/float" },
  "p/b": { "db/valueType": "db.type/boolean" },
  "p/i": { "db/valueType": "db.type/instant" },
  "p/u": { "db/valueType": "db.type/uuid" },
  "p/k": { "db/valueType": "db.type/keyword" },
  "p/sym": { "db/valueType": "db.type/symbol" },
  "p/big": { "db/valueType": "db.type/bigint" },
  "p/by": { "db/valueType": "db.type/bytes" },
  "p/r": { "db/valueType": "db.type/ref" },
  "p/rs": { "db/valueType": "db.type/ref", "db/cardinality": "db.cardinality/many" },
  "p/c": { "db/valueType": "db.type/ref", "db/isComponent": true },
  "p/t": { "db/valueType": "db.type/tuple", "db/tupleTypes": ["db.type/long", "db.type/string"] },
  "p/tl": { "db/valueType": "db.type/tuple", "db/tupleType": "db.type/long" },
  "a+b": { "db/valueType": "db.type/tuple", "db/tupleAttrs": ["a", "b"] },
  "p/tags": { "db/cardinality": "db.cardinality/many" },
};
const SEED = [
  { ":db/id": 1, "p/name": "Ivan", "p/email": "ivan@x", "p/age": 30, "p/s": "s", "p/r": 2, "p/rs": [2],
    "a": 1, "b": 2, "p/tags": ["x", "y"], "p/i": new Date(0), "p/u": "550e8400-e29b-41d4-a716-446655440000" },
  { ":db/id": 2, "p/name": "Petr", "p/age": 25, "p/c": { "p/name": "Comp" } },
];
const UUID = "550e8400-e29b-41d4-a716-446655440000";

// A serialized listing of everything observable about a db value.
const json = (v) => JSON.stringify(v, (_, x) => (typeof x === "bigint" ? `${x}n` : x));
const listing = (db) => json({ maxTx: db.maxTx, maxEid: db.maxEid, count: db.count, eavt: db.datoms("eavt") });

const FIXTURE = d.emptyDb(SCHEMA).with(SEED);
const FIXTURE_LISTING = listing(FIXTURE);

// The engine-is-still-alive check: a transaction and a query on a
// connection of its own, and a query on the shared fixture.
const HEALTH = await d.connect({ schema: SCHEMA });
let healthCount = 0;
async function assertHealthy() {
  const n = ++healthCount;
  await HEALTH.transact([{ "p/name": `healthy-${n}`, "p/age": n }]);
  assert.equal(HEALTH.db().q("[:find ?a . :in $ ?n :where [?e :p/name ?n] [?e :p/age ?a]]", `healthy-${n}`), n);
  assert.equal(FIXTURE.q("[:find ?n . :where [1 :p/name ?n]]"), "Ivan");
}

function assertError(err, code, where = "") {
  assert.ok(err !== null, `${where}expected a DataliteError ${code}, but the call succeeded`);
  assert.ok(err instanceof d.DataliteError,
    `${where}expected a DataliteError ${code}, got ${err?.constructor?.name}: ${String(err?.message ?? err).slice(0, 300)}`);
  assert.equal(err.code, code, `${where}expected code ${code}, got ${err.code}: ${err.message.slice(0, 300)}`);
  assert.equal(typeof err.message, "string");
}

function caught(fn) {
  try {
    fn();
    return null;
  } catch (err) {
    return err;
  }
}

async function rejected(fn) {
  try {
    await fn();
    return null;
  } catch (err) {
    return err;
  }
}

const opts = (c) => (c.todo ? { todo: c.todo } : {});

// ------------------------------------------------------------------ runners

// Tx cases: { name, code, tx | make: () => tx, meta? }. conn.transact must
// reject, the connection keep its value, no listener run; db.with on the
// same value must fail the same way; the next transaction gets the next tx
// id and the next entity id.
async function runTx(c) {
  const conn = await d.connect({ schema: SCHEMA });
  await conn.transact(SEED);
  const before = conn.db();
  const beforeListing = listing(before);
  let notified = 0;
  conn.listen(() => notified++);
  const txData = c.make ? c.make() : c.tx;

  assertError(await rejected(() => conn.transact(txData, c.meta)), c.code, "conn.transact: ");
  assert.equal(conn.db(), before, "the connection holds the value from before");
  assert.equal(listing(conn.db()), beforeListing, "same datoms, same basis tx");
  assert.equal(notified, 0, "no listener ran");
  assertError(caught(() => before.with(txData, c.meta)), c.code, "db.with: ");
  assert.equal(listing(before), beforeListing);

  const next = await conn.transact([{ "p/name": "Next", "p/age": 7 }]);
  assert.equal(next.tx, before.maxTx + 1, "the failed transaction used no tx id");
  assert.equal(conn.db().entid(["p/name", "Next"]), before.maxEid + 1, "the failed transaction used no entity id");
  assert.equal(conn.db().q('[:find ?a . :where [?e :p/name "Next"] [?e :p/age ?a]]'), 7);
  await conn.close();
  await assertHealthy();
}

// Read cases: { name, code, run: (db) => any }, run against the shared
// fixture (which must stay as it was), or against c.db() when given.
async function runRead(c) {
  const db = c.db ? c.db() : FIXTURE;
  assertError(caught(() => c.run(db)), c.code);
  assert.equal(listing(FIXTURE), FIXTURE_LISTING, "the fixture db is unchanged");
  await assertHealthy();
}

// Async cases: { name, code, run: async () => any, check?: async () => void }.
async function runAsync(c) {
  assertError(await rejected(c.run), c.code);
  if (c.check) await c.check();
  await assertHealthy();
}

function txTable(title, cases) {
  describe(title, () => {
    for (const c of cases) test(c.name, opts(c), () => runTx(c));
  });
}
function readTable(title, cases) {
  describe(title, () => {
    for (const c of cases) test(c.name, opts(c), () => runRead(c));
  });
}
function asyncTable(title, cases) {
  describe(title, () => {
    for (const c of cases) test(c.name, opts(c), () => runAsync(c));
  });
}

// Tiny builders for deeply nested and circular values.
const nestArrays = (n, leaf = 1) => {
  let v = leaf;
  for (let i = 0; i < n; i++) v = [v];
  return v;
};
const nestMaps = (n, key, leaf) => {
  let v = leaf;
  for (let i = 0; i < n; i++) v = { [key]: v };
  return v;
};
const selfArray = (...items) => {
  const a = [...items];
  a.push(a);
  return a;
};
const q = (query, ...inputs) => (db) => db.q(query, ...inputs);
const pull = (pattern, eid = 1) => (db) => db.pull(pattern, eid);
const deep = (open, close, n = 100_000, middle = "") => open.repeat(n) + middle + close.repeat(n);

// ================================================================== 1. EDN

readTable("garbage EDN: query strings", [
  { name: "unterminated vector", code: "parse-error", run: q("[:find ?e :where [?e :p/name") },
  { name: "a lone closing bracket", code: "parse-error", run: q("]") },
  { name: "empty text", code: "parse-error", run: q("") },
  { name: "whitespace only", code: "parse-error", run: q(" \n\t ") },
  { name: "a comment only", code: "parse-error", run: q("; [:find ?e]") },
  { name: "unterminated map query", code: "parse-error", run: q("{:find [?e] :where [[?e :p/name]]") },
  { name: "unterminated string literal", code: "parse-error", run: q('[:find ?e :where [?e :p/name "abc]]') },
  { name: "dispatch character before a closer", code: "parse-error", run: q("[:find ?e :where [?e :p/name #]]") },
  { name: "mismatched closer", code: "parse-error", run: q("[:find ?e :where [?e :p/name])]") },
  { name: "a number instead of a query", code: "parse-error", run: q("42") },
  { name: "nil instead of a query", code: "parse-error", run: q("nil") },
  { name: "two forms", code: "parse-error", run: q("[:find ?e :where [?e :p/name]] [:find ?e]") },
  { name: "no :find", code: "parse-error", run: q("[:where [?e :p/name]]") },
  { name: "empty :find", code: "parse-error", run: q("[:find :where [?e :p/name]]") },
  { name: "a 6-element data pattern", code: "parse-error", run: q("[:find ?e :where [?e :p/age ?a ?tx ?op ?x]]") },
  { name: "find spec ?e ...", code: "parse-error", run: q("[:find ?e ... :where [?e :p/name]]") },
  { name: "find spec ?e . ?n", code: "parse-error", run: q("[:find ?e . ?n :where [?e :p/name ?n]]") },
  { name: "collection find with two vars", code: "parse-error", run: q("[:find [?e ?n ...] :where [?e :p/name ?n]]") },
  { name: ":keys count differs from :find", code: "parse-error", run: q("[:find ?e ?n :keys a :where [?e :p/name ?n]]") },
  { name: ":with an unknown var", code: "parse-error", run: q("[:find ?e :with ?zz :where [?e :p/name]]") },
  { name: "a number as a clause", code: "parse-error", run: q("[:find ?e :where 5]") },
  { name: "a map as a clause", code: "parse-error", run: q("[:find ?e :where {:a 1}]") },
  { name: "map query with a non-vector :where", code: "parse-error", run: q("{:find [?e] :where 5}") },
  { name: "unknown query section", code: "parse-error", run: q("[:find ?e :frob 1 :where [?e :p/name]]") },
  { name: "quote character", code: "parse-error", run: q("'[:find ?e :where [?e :p/name]]") },
  { name: "metadata", code: "parse-error", run: q("^:m [:find ?e :where [?e :p/name]]") },
  { name: "unbalanced pull inside :find", code: "parse-error", run: q("[:find (pull ?e [:p/name) :where [?e :p/name]]") },
  { name: "#inst with garbage", code: "parse-error", run: q('[:find ?e :where [?e :p/i #inst "garbage"]]') },
  { name: "#uuid with garbage", code: "parse-error", run: q('[:find ?e :where [?e :p/u #uuid "xyz"]]') },
  { name: "unsupported character literal", code: "parse-error", run: q("[:find ?e :where [?e :p/name \\foobar]]") },
  { name: "unsupported string escape", code: "parse-error", run: q('[:find ?e :where [?e :p/name "\\q"]]') },
  { name: "\\u escape with non-hex digits", code: "parse-error", run: q('[:find ?e :where [?e :p/name "\\uZZZZ"]]') },
  { name: "escaped lone surrogate", code: "parse-error", run: q('[:find ?e :where [?e :p/name "\\ud800"]]') },
  { name: "auto-resolved keyword", code: "parse-error", run: q("[:find ?e :where [?e ::name]]") },
  { name: "ratio literal", code: "parse-error", run: q("[:find ?e :where [?e :p/age 1/0]]") },
  { name: "duplicate set item", code: "parse-error", run: q("[:find ?e :in $ :where [(ground #{1 1}) ?e]]") },
  { name: "duplicate map key", code: "parse-error", run: q("{:find [?e] :find [?e] :where [[?e :p/name]]}") },
  { name: "odd number of map forms", code: "parse-error", run: q("{:find [?e] :where}") },
  { name: "NUL character inside a symbol", code: "parse-error", run: q("[:find ?e\u0000 :where [?e :p/name]]") },
  { name: "a keyword with a control character", code: "parse-error", run: q("[:find ?e :where [?e :p/name\u0001]]") },
  { name: "db.explain of garbage", code: "parse-error", run: (db) => db.explain("[:find ?e :where [?e") },
  { name: "d.q (free function) of garbage", code: "parse-error", run: (db) => d.q("[:find ?e :where", db) },
]);

readTable("garbage EDN: pull patterns", [
  { name: "unterminated vector", code: "parse-error", run: pull("[:p/name") },
  { name: "map closed by a bracket", code: "parse-error", run: pull("[{:p/r [*]]") },
  { name: "a keyword, not a vector", code: "parse-error", run: pull(":p/name") },
  { name: "a number", code: "parse-error", run: pull("42") },
  { name: "empty text", code: "parse-error", run: pull("") },
  { name: "nil", code: "parse-error", run: pull("nil") },
  { name: "a number element", code: "parse-error", run: pull("[42]") },
  { name: "a string element", code: "parse-error", run: pull('["p/name"]') },
  { name: "a number as map spec key", code: "parse-error", run: pull("[{42 [*]}]") },
  { name: "a keyword as map spec value", code: "parse-error", run: pull("[{:p/r :p/name}]") },
  { name: "negative limit", code: "parse-error", run: pull("[(limit :p/rs -1)]") },
  { name: "string limit", code: "parse-error", run: pull('[(limit :p/rs "x")]') },
  { name: "limit without a number", code: "parse-error", run: pull("[(limit :p/rs)]") },
  { name: "default without a value", code: "parse-error", run: pull("[(default :p/name)]") },
  { name: "unknown attribute expression", code: "parse-error", run: pull("[(frob :p/name 1)]") },
  { name: ":as without a name", code: "parse-error", run: pull("[[:p/name :as]]") },
  { name: "unknown attribute option", code: "parse-error", run: pull("[[:p/name :frob 1]]") },
  { name: "a symbol as recursion", code: "parse-error", run: pull("[{:p/r foo}]") },
  { name: "negative recursion depth", code: "parse-error", run: pull("[{:p/r -1}]") },
  { name: "zero recursion depth", code: "parse-error", run: pull("[{:p/r 0}]") },
  { name: "NaN recursion depth", code: "parse-error", run: pull("[{:p/r ##NaN}]") },
  { name: "NaN limit", code: "parse-error", run: pull("[(limit :p/rs ##NaN)]") },
  { name: "unterminated pattern after *", code: "parse-error", run: pull("[* *") },
  { name: "garbage pattern passed as a query input", code: "parse-error",
    run: q("[:find (pull ?e ?p) . :in $ ?p :where [?e :p/name]]", "[:p/name") },
  { name: "a number passed as a pattern input", code: "parse-error",
    run: q("[:find (pull ?e ?p) . :in $ ?p :where [?e :p/name]]", 5) },
  { name: "pullMany with a garbage pattern", code: "parse-error", run: (db) => db.pullMany("[:p/name", [1, 2]) },
  { name: "d.pull (free function) with a garbage pattern", code: "parse-error", run: (db) => d.pull(db, "{", 1) },
]);

txTable("garbage EDN: tx-data strings", [
  { name: "unterminated string", code: "parse-error", tx: '[[:db/add 1 :p/s "abc]]' },
  { name: "extra closer", code: "parse-error", tx: "[[:db/add 1 :p/age 3]]]" },
  { name: "odd map", code: "parse-error", tx: "[{:db/id 1 :p/age}]" },
  { name: "duplicate map key", code: "parse-error", tx: "[{:db/id 1 :p/age 1 :p/age 2}]" },
  { name: "duplicate set item", code: "parse-error", tx: "[[:db/add 1 :p/tags #{1 1}]]" },
  { name: "#inst garbage", code: "parse-error", tx: '[[:db/add 1 :p/i #inst "garbage"]]' },
  { name: "#inst with a 5-digit year", code: "parse-error", tx: '[[:db/add 1 :p/i #inst "99999-01-01"]]' },
  { name: "#uuid garbage", code: "parse-error", tx: '[[:db/add 1 :p/u #uuid "xyz"]]' },
  { name: "bad character literal", code: "parse-error", tx: "[[:db/add 1 :zz \\foobar]]" },
  { name: "bad escape", code: "parse-error", tx: '[[:db/add 1 :p/s "\\q"]]' },
  { name: "short \\u escape", code: "parse-error", tx: '[[:db/add 1 :p/s "\\u12"]]' },
  { name: "escaped lone high surrogate", code: "parse-error", tx: '[[:db/add 1 :p/s "\\ud800"]]' },
  { name: "ratio", code: "parse-error", tx: "[[:db/add 1 :zz 1/0]]" },
  { name: "auto-resolved keyword", code: "parse-error", tx: "[[:db/add 1 ::a 1]]" },
  { name: "a bare colon", code: "parse-error", tx: "[[:db/add 1 : 1]]" },
  { name: "empty text", code: "parse-error", tx: "" },
  { name: "a comment only", code: "parse-error", tx: "; nothing" },
  { name: "two forms", code: "parse-error", tx: "[] []" },
  { name: "keyword with a control character", code: "parse-error", tx: "[[:db/add 1 :zz\u0001 1]]" },
  { name: "a map instead of a vector", code: "invalid-input", tx: "{:db/id 1 :p/age 1}" },
  { name: "a number instead of a vector", code: "invalid-input", tx: "42" },
  { name: "a keyword as a tx item", code: "invalid-input", tx: "[:db/add]" },
  { name: "a symbol as the op", code: "invalid-input", tx: "[[db/add 1 :zz 1]]" },
  { name: "a number as an attribute key", code: "invalid-input", tx: "[{1 1}]" },
  { name: "a map as a value", code: "invalid-input", tx: "[[:db/add 1 :zz {:a 1}]]" },
  { name: "an unknown tag as a value", code: "type-mismatch", tx: "[[:db/add 1 :zz #foo/bar 1]]" },
  { name: "unknown op keyword", code: "invalid-input", tx: "[[:db.fn/frob 1]]" },
  { name: "unregistered :db.fn/call symbol", code: "not-found", tx: "[[:db.fn/call foo 1]]" },
]);

readTable("garbage EDN: schema strings (emptyDb)", [
  { name: "unterminated map", code: "parse-error", run: () => d.emptyDb("{:a {:db/valueType :db.type/long}") },
  { name: "a vector", code: "schema-violation", run: () => d.emptyDb("[:a]") },
  { name: "a definition that is not a map", code: "schema-violation", run: () => d.emptyDb("{:a 1}") },
  { name: "a string attribute key", code: "schema-violation", run: () => d.emptyDb('{"a" {}}') },
  { name: "misspelled value type", code: "schema-violation", run: () => d.emptyDb("{:a {:db/valueType :db.type/lng}}") },
  { name: "unknown uniqueness", code: "schema-violation", run: () => d.emptyDb("{:a {:db/unique :db.unique/yes}}") },
  { name: "isComponent without ref", code: "schema-violation", run: () => d.emptyDb("{:a {:db/isComponent true}}") },
  { name: "tuple without tuple attrs or types", code: "schema-violation", run: () => d.emptyDb("{:a {:db/valueType :db.type/tuple}}") },
  { name: "tupleAttrs a number", code: "schema-violation", run: () => d.emptyDb("{:a {:db/tupleAttrs 5}}") },
  { name: "tupleAttrs containing itself", code: "schema-violation", run: () => d.emptyDb("{:a {:db/tupleAttrs [:a :b]}}") },
  { name: "empty tupleAttrs", code: "schema-violation", run: () => d.emptyDb("{:a {:db/tupleAttrs []}}") },
  { name: "unknown tupleTypes", code: "schema-violation", run: () => d.emptyDb("{:a {:db/valueType :db.type/tuple :db/tupleTypes [:db.type/zz]}}") },
  { name: "unknown property", code: "schema-violation", run: () => d.emptyDb("{:a {:db/foo 1}}") },
  { name: "string :db/index", code: "schema-violation", run: () => d.emptyDb('{:a {:db/index "yes"}}') },
  { name: "composite of a cardinality-many attribute", code: "schema-violation",
    run: () => d.emptyDb("{:m {:db/cardinality :db.cardinality/many} :c {:db/valueType :db.type/tuple :db/tupleAttrs [:m :n]}}") },
  { name: "two forms", code: "parse-error", run: () => d.emptyDb("{} {}") },
  { name: "100k nested vectors", code: "limit-exceeded", run: () => d.emptyDb(`{:a ${deep("[", "]")}}`) },
]);

// ================================================================== 2. types

txTable("wrong value types for typed attributes (JS tx-data)", [
  { name: "long: a numeric string", code: "type-mismatch", tx: [{ ":db/id": 1, "p/age": "5" }] },
  { name: "long: a fraction", code: "type-mismatch", tx: [{ ":db/id": 1, "p/age": 5.5 }] },
  { name: "long: a boolean", code: "type-mismatch", tx: [{ ":db/id": 1, "p/age": true }] },
  { name: "long: an empty object", code: "invalid-input", tx: [{ ":db/id": 1, "p/age": {} }] },
  { name: "long: an array", code: "type-mismatch", tx: [{ ":db/id": 1, "p/age": [1] }] },
  { name: "long: a Date", code: "type-mismatch", tx: [{ ":db/id": 1, "p/age": new Date(0) }] },
  { name: "long: bytes", code: "type-mismatch", tx: [{ ":db/id": 1, "p/age": new Uint8Array(2) }] },
  { name: "long: a keyword", code: "type-mismatch", tx: [{ ":db/id": 1, "p/age": d.kw(":a") }] },
  { name: "long: a uuid", code: "type-mismatch", tx: [{ ":db/id": 1, "p/age": d.uuid(UUID) }] },
  { name: "string: a number", code: "type-mismatch", tx: [{ ":db/id": 1, "p/s": 5 }] },
  { name: "string: false", code: "type-mismatch", tx: [{ ":db/id": 1, "p/s": false }] },
  { name: "string: a keyword", code: "type-mismatch", tx: [{ ":db/id": 1, "p/s": d.kw("a") }] },
  { name: "string: a bigint", code: "type-mismatch", tx: [{ ":db/id": 1, "p/s": 5n }] },
  { name: "string: an array", code: "type-mismatch", tx: [{ ":db/id": 1, "p/s": ["a"] }] },
  { name: "string: a Symbol", code: "invalid-input", tx: [{ ":db/id": 1, "p/s": Symbol("x") }] },
  { name: "string: a function", code: "invalid-input", tx: [{ ":db/id": 1, "p/s": () => "s" }] },
  { name: "double: a numeric string", code: "type-mismatch", tx: [{ ":db/id": 1, "p/d": "1.5" }] },
  { name: "double: a boolean", code: "type-mismatch", tx: [{ ":db/id": 1, "p/d": true }] },
  { name: "double: a Date", code: "type-mismatch", tx: [[":db/add", 1, "p/d", new Date(0)]] },
  { name: "float: a string", code: "type-mismatch", tx: [[":db/add", 1, "p/f", "x"]] },
  { name: "boolean: the string true", code: "type-mismatch", tx: [{ ":db/id": 1, "p/b": "true" }] },
  { name: "boolean: 1", code: "type-mismatch", tx: [{ ":db/id": 1, "p/b": 1 }] },
  { name: "boolean: null", code: "invalid-input", tx: [{ ":db/id": 1, "p/b": null }] },
  { name: "instant: an ISO string", code: "type-mismatch", tx: [{ ":db/id": 1, "p/i": "2020-01-01" }] },
  { name: "instant: a boolean", code: "type-mismatch", tx: [{ ":db/id": 1, "p/i": true }] },
  { name: "instant: an invalid Date", code: "invalid-input", tx: [{ ":db/id": 1, "p/i": new Date(NaN) }] },
  { name: "instant: a map", code: "invalid-input", tx: [[":db/add", 1, "p/i", {}]] },
  { name: "uuid: malformed text", code: "invalid-input", tx: [{ ":db/id": 1, "p/u": "not-a-uuid" }] },
  { name: "uuid: one digit short", code: "invalid-input", tx: [{ ":db/id": 1, "p/u": UUID.slice(0, -1) }] },
  { name: "uuid: a non-hex digit", code: "invalid-input", tx: [{ ":db/id": 1, "p/u": UUID.slice(0, -1) + "g" }] },
  { name: "uuid: a number", code: "type-mismatch", tx: [{ ":db/id": 1, "p/u": 5 }] },
  { name: "keyword: a number", code: "type-mismatch", tx: [{ ":db/id": 1, "p/k": 5 }] },
  { name: "keyword: true", code: "type-mismatch", tx: [[":db/add", 1, "p/k", true]] },
  { name: "keyword: the empty string", code: "invalid-input", tx: [{ ":db/id": 1, "p/k": "" }] },
  { name: "keyword: a lone colon", code: "invalid-input", tx: [{ ":db/id": 1, "p/k": ":" }] },
  { name: "symbol: a number", code: "type-mismatch", tx: [{ ":db/id": 1, "p/sym": 5 }] },
  { name: "symbol: the empty string", code: "invalid-input", tx: [{ ":db/id": 1, "p/sym": "" }] },
  { name: "bigint: a numeric string", code: "type-mismatch", tx: [{ ":db/id": 1, "p/big": "5" }] },
  { name: "bigint: a fraction", code: "type-mismatch", tx: [{ ":db/id": 1, "p/big": 5.5 }] },
  { name: "bytes: a string", code: "type-mismatch", tx: [{ ":db/id": 1, "p/by": "abc" }] },
  { name: "bytes: an array of numbers", code: "type-mismatch", tx: [{ ":db/id": 1, "p/by": [1, 2] }] },
  { name: "bytes: an Int16Array", code: "invalid-input", tx: [{ ":db/id": 1, "p/by": new Int16Array(2) }] },
  { name: "bytes: a DataView", code: "invalid-input", tx: [{ ":db/id": 1, "p/by": new DataView(new ArrayBuffer(2)) }] },
  { name: "ref: a fraction", code: "invalid-input", tx: [{ ":db/id": 1, "p/r": 1.5 }] },
  { name: "ref: a boolean", code: "invalid-input", tx: [{ ":db/id": 1, "p/r": true }] },
  { name: "ref: a Date", code: "invalid-input", tx: [{ ":db/id": 1, "p/r": new Date(0) }] },
  { name: "ref: entity id 0", code: "type-mismatch", tx: [{ ":db/id": 1, "p/r": 0 }] },
  { name: "ref: a tempid used only as a value (negative number)", code: "invalid-input", tx: [{ ":db/id": 1, "p/r": -5 }] },
  { name: "ref many: one bad item among good ones", code: "invalid-input", tx: [{ ":db/id": 1, "p/rs": [2, 1.5] }] },
  { name: "tuple: a number", code: "type-mismatch", tx: [{ ":db/id": 1, "p/t": 5 }] },
  { name: "tuple: too short", code: "type-mismatch", tx: [{ ":db/id": 1, "p/t": [1] }] },
  { name: "tuple: too long", code: "type-mismatch", tx: [{ ":db/id": 1, "p/t": [1, "a", 3] }] },
  { name: "tuple: items swapped", code: "type-mismatch", tx: [{ ":db/id": 1, "p/t": ["a", 1] }] },
  { name: "tuple: a nested tuple item", code: "type-mismatch", tx: [{ ":db/id": 1, "p/t": [[1], "a"] }] },
  { name: "homogeneous tuple: a string item", code: "type-mismatch", tx: [[":db/add", 1, "p/tl", [1, "a"]]] },
  { name: "composite tuple asserted in a map with another value", code: "schema-violation", tx: [{ ":db/id": 1, "a+b": [5, 6] }] },
  { name: "composite tuple on a new entity", code: "schema-violation", tx: [{ "a+b": [5, 6] }] },
  { name: ":db/cas with a new value of the wrong type", code: "type-mismatch", tx: [[":db/cas", 1, "p/age", 30, "x"]] },
  { name: ":db/retract of a value of the wrong type", code: "type-mismatch", tx: [[":db/retract", 1, "p/age", "thirty"]] },
  { name: "a :db/ident that is a number", code: "type-mismatch", tx: [{ "db/ident": 5 }] },
  { name: "a schema entity with an unknown cardinality", code: "schema-violation",
    tx: [{ "db/ident": ":x/y", "db/cardinality": ":db.cardinality/lots" }] },
  { name: "tx meta with a value of the wrong type", code: "type-mismatch", tx: [], meta: { "p/age": "x" } },
]);

txTable("wrong value types for typed attributes (EDN tx-data)", [
  { name: "long: a string", code: "type-mismatch", tx: '[[:db/add 1 :p/age "x"]]' },
  { name: "long: ##NaN", code: "type-mismatch", tx: "[[:db/add 1 :p/age ##NaN]]" },
  { name: "string: a number", code: "type-mismatch", tx: "[[:db/add 1 :p/s 5]]" },
  { name: "instant: a double", code: "type-mismatch", tx: "[[:db/add 1 :p/i 5.5]]" },
  { name: "uuid: a plain string", code: "type-mismatch", tx: '[[:db/add 1 :p/u "x"]]' },
  { name: "boolean: a string", code: "type-mismatch", tx: '[[:db/add 1 :p/b "true"]]' },
  { name: "homogeneous tuple: a string item", code: "type-mismatch", tx: '[[:db/add 1 :p/tl [1 "a"]]]' },
  { name: "ref: a fraction", code: "type-mismatch", tx: "[[:db/add 1 :p/r 1.5]]" },
  { name: "ref: true", code: "type-mismatch", tx: "[[:db/add 1 :p/r true]]" },
  { name: "ref: an instant", code: "type-mismatch", tx: '[[:db/add 1 :p/r #inst "2020-01-01"]]' },
  { name: "ref: nil", code: "invalid-input", tx: "[[:db/add 1 :p/r nil]]" },
  { name: ":db/id true", code: "invalid-input", tx: "[{:db/id true :zz 1}]" },
  { name: ":db/id nil", code: "invalid-input", tx: "[{:db/id nil :zz 1}]" },
  { name: ":db/add on entity 1.5", code: "invalid-input", tx: "[[:db/add 1.5 :zz 1]]" },
]);

txTable("malformed tx-data shapes", [
  { name: ":db/add with an extra argument", code: "invalid-input", tx: [[":db/add", 1, "p/s", "a", "b"]] },
  { name: ":db/add alone", code: "invalid-input", tx: [[":db/add"]] },
  { name: ":db/retract with an extra argument", code: "invalid-input", tx: [[":db/retract", 1, "p/s", "a", "b"]] },
  { name: ":db/retractEntity without an entity", code: "invalid-input", tx: [[":db/retractEntity"]] },
  { name: ":db/retractEntity with two entities", code: "invalid-input", tx: [[":db/retractEntity", 1, 2]] },
  { name: ":db/cas without the new value", code: "invalid-input", tx: [[":db/cas", 1, "p/age", 30]] },
  { name: ":db/add of nil", code: "invalid-input", tx: [[":db/add", 1, "p/s", null]] },
  { name: ":db/add of undefined", code: "invalid-input", tx: [[":db/add", 1, "p/s", undefined]] },
  { name: ":db/add with a number as attribute", code: "invalid-input", tx: [[":db/add", 1, 5, 1]] },
  { name: ":db/add with null as attribute", code: "invalid-input", tx: [[":db/add", 1, null, 1]] },
  { name: "an op that is a number", code: "invalid-input", tx: [[5, 1]] },
  { name: "an empty op array", code: "invalid-input", tx: [[]] },
  { name: "an op that is null", code: "invalid-input", tx: [[null, 1]] },
  { name: "an op that is a Symbol", code: "invalid-input", tx: [[Symbol("op"), 1]] },
  { name: "a null item", code: "invalid-input", tx: [null] },
  { name: "a string item", code: "invalid-input", tx: ["abc"] },
  { name: "an undefined item", code: "invalid-input", tx: [undefined] },
  { name: "a Date item", code: "invalid-input", tx: [new Date(0)] },
  { name: "a Map item", code: "invalid-input", tx: [new Map([["p/name", "x"]])] },
  { name: "a class instance item", code: "invalid-input", tx: [new (class Person { constructor() { this["p/name"] = "x"; } })()] },
  { name: "tx-data that is an object", code: "invalid-input", tx: { "p/name": "x" } },
  { name: "tx-data that is null", code: "invalid-input", tx: null },
  { name: "tx-data that is a number", code: "invalid-input", tx: 5 },
  { name: "tx-data that is undefined", code: "invalid-input", tx: undefined },
  { name: "an empty attribute name", code: "invalid-input", tx: [{ ":db/id": 1, "": 1 }] },
  { name: "a lone colon as attribute name", code: "invalid-input", tx: [{ ":db/id": 1, ":": 1 }] },
  { name: "a nested map under an untyped attribute", code: "invalid-input", tx: [{ ":db/id": 1, "zz": { "a": 1 } }] },
  { name: "a JS Map under an untyped attribute", code: "invalid-input", tx: [{ ":db/id": 1, "zz": new Map() }] },
  { name: ":db/id entity 0", code: "invalid-input", tx: [{ ":db/id": 0, "p/s": "a" }] },
  { name: ":db/id a fraction", code: "invalid-input", tx: [{ ":db/id": 1.5, "p/s": "a" }] },
  { name: ":db/id a boolean", code: "invalid-input", tx: [{ ":db/id": true, "p/s": "a" }] },
  { name: ":db/id null", code: "invalid-input", tx: [{ ":db/id": null, "p/s": "a" }] },
  { name: "a unique value held by another entity (second tx item)", code: "unique-conflict",
    tx: [{ ":db/id": 2, "p/s": "ok" }, { ":db/id": 2, "p/email": "ivan@x" }] },
  { name: "a stale :db/cas after valid items", code: "cas-failed", tx: [{ ":db/id": 2, "p/s": "ok" }, [":db/cas", 1, "p/age", 1, 2]] },
]);

// ================================================================== 3. strict places

txTable("unknown attributes and idents where they must exist", [
  { name: "lookup ref on a non-unique attribute as :db/id", code: "invalid-input", tx: [{ ":db/id": ["p/age", 30], "p/s": "a" }] },
  { name: "lookup ref on an unknown attribute (keyword) as :db/id", code: "invalid-input", tx: [{ ":db/id": [d.kw("zz/zz"), 3], "p/s": "a" }] },
  { name: "lookup ref on a non-unique attribute as a ref value", code: "invalid-input", tx: [{ ":db/id": 1, "p/r": ["p/age", 30] }] },
  { name: "lookup ref with no match as :db/id of a map", code: "not-found", tx: [{ ":db/id": ["p/name", "Nope"], "p/s": "a" }] },
  { name: "lookup ref with three elements", code: "invalid-input", tx: [{ ":db/id": ["p/name", "Ivan", 1], "p/s": "a" }] },
  { name: "lookup ref with one element", code: "invalid-input", tx: [[":db/add", ["p/name"], "p/s", "a"]] },
  { name: "unknown ident as :db/id", code: "not-found", tx: [{ ":db/id": ":no/such", "p/s": "a" }] },
  { name: "unknown ident as a ref value", code: "not-found", tx: [{ ":db/id": 1, "p/r": ":no/such" }] },
  { name: "unknown ident as the entity of :db/add", code: "not-found", tx: [[":db/add", ":no/such", "zz", 1]] },
  { name: "ident of a map-schema attribute used as an entity", code: "not-found",
    tx: [{ ":db/id": ":p/age", "db/valueType": ":db.type/string" }] },
  { name: "reverse attribute of a non-ref attribute", code: "schema-violation", tx: [{ ":db/id": 1, "p/_age": 2 }] },
  { name: "unregistered transaction function named by a keyword", code: "not-found", tx: [[":db.fn/call", d.kw("nope")]] },
  { name: "unregistered transaction function named by a number", code: "not-found", tx: [[":db.fn/call", 5]] },
  { name: "unknown :db.fn op", code: "invalid-input", tx: [[":db.fn/frob", 1]] },
]);

readTable("unknown attributes and idents in reads", [
  { name: "entity() with a lookup ref on a non-unique attribute", code: "invalid-input", run: (db) => db.entity(["p/age", 30]) },
  { name: "pull with a lookup ref on a non-unique attribute", code: "invalid-input", run: (db) => db.pull("[*]", ["p/age", 30]) },
  { name: "datoms with a lookup ref on a non-unique attribute", code: "invalid-input", run: (db) => db.datoms("eavt", ["p/age", 30]) },
  { name: "query pattern with a lookup ref on a non-unique attribute", code: "invalid-input",
    run: q("[:find ?v . :where [[:p/age 30] :p/name ?v]]") },
  { name: "lookup ref on an attribute missing from the schema in entid", code: "invalid-input", run: (db) => db.entid([d.kw("zz/zz"), 1]) },
  { name: "get-else on a cardinality-many attribute", code: "invalid-input",
    run: q("[:find ?v . :where [?e :p/name] [(get-else $ ?e :p/tags 0) ?v]]") },
  { name: "entid of a plain string (not an ident)", code: "invalid-input", run: (db) => db.entid("abc") },
  { name: "entid of an empty object", code: "invalid-input", run: (db) => db.entid({}) },
  { name: "datoms with a plain string as entity", code: "invalid-input", run: (db) => db.datoms("eavt", "abc") },
  { name: "seekDatoms with an object as entity", code: "invalid-input", run: (db) => [...db.seekDatoms("eavt", {})] },
]);

// ================================================================== 4. huge numbers

txTable("huge numbers in tx-data", [
  { name: "bigint 2^63 for a long", code: "invalid-input", tx: [{ ":db/id": 1, "p/age": 2n ** 63n }] },
  { name: "bigint -2^63-1 for a long", code: "invalid-input", tx: [{ ":db/id": 1, "p/age": -(2n ** 63n) - 1n }] },
  { name: "bigint 2^64 for a :db.type/bigint", code: "invalid-input", tx: [{ ":db/id": 1, "p/big": 2n ** 64n }] },
  { name: "2^70 (a number) for a :db.type/bigint", code: "invalid-input", tx: [{ ":db/id": 1, "p/big": 2 ** 70 }] },
  { name: "bigint 2^63 for an untyped attribute", code: "invalid-input", tx: [[":db/add", 1, "zz", 2n ** 63n]] },
  { name: "bigint 2^63 for a double", code: "invalid-input", tx: [[":db/add", 1, "p/d", 2n ** 63n]] },
  { name: "1e300 for a long", code: "type-mismatch", tx: [{ ":db/id": 1, "p/age": 1e300 }] },
  { name: "2^60 (an unsafe integer number) for a long", code: "type-mismatch", tx: [{ ":db/id": 1, "p/age": 2 ** 60 }] },
  { name: "1e300 ms for an instant", code: "invalid-input", tx: [{ ":db/id": 1, "p/i": 1e300 }] },
  { name: "1e300 for a :db.type/float (out of float range)", code: "type-mismatch", tx: [{ ":db/id": 1, "p/f": 1e300 }] },
  { name: ":db/id 2^53", code: "invalid-input", tx: [{ ":db/id": 2 ** 53, "p/s": "a" }] },
  { name: ":db/id bigint 2^63-1", code: "invalid-input", tx: [{ ":db/id": 2n ** 63n - 1n, "p/s": "a" }] },
  { name: "ref value 2^60", code: "invalid-input", tx: [{ ":db/id": 1, "p/r": 2 ** 60 }] },
  { name: "ref value bigint 2^62", code: "type-mismatch", tx: [{ ":db/id": 1, "p/r": 2n ** 62n }] },
  { name: "tuple item bigint 2^64", code: "invalid-input", tx: [{ ":db/id": 1, "p/t": [2n ** 64n, "a"] }] },
  { name: "EDN integer literal beyond int64", code: "parse-error", tx: "[[:db/add 1 :zz 99999999999999999999]]" },
  { name: "EDN negative integer literal beyond int64", code: "parse-error", tx: "[[:db/add 1 :zz -9223372036854775809]]" },
  { name: "EDN bigint literal beyond int64", code: "parse-error", tx: "[[:db/add 1 :p/big 99999999999999999999N]]" },
  { name: "EDN float literal 1e400", code: "parse-error", tx: "[[:db/add 1 :p/d 1e400]]" },
  { name: "EDN :db/id int64 max", code: "invalid-input", tx: "[{:db/id 9223372036854775807 :zz 1}]" },
  { name: "EDN :db/id 2^53+1", code: "invalid-input", tx: "[{:db/id 9007199254740993 :zz 1}]" },
  { name: "EDN 1e300 for a :db.type/float", code: "type-mismatch", tx: "[[:db/add 1 :p/f 1e300]]" },
]);

readTable("huge numbers in reads", [
  { name: "query literal beyond int64", code: "parse-error", run: q("[:find ?x . :where [(ground 99999999999999999999999) ?x]]") },
  { name: "query literal 1e400", code: "parse-error", run: q("[:find ?x . :where [(ground 1e400) ?x]]") },
  { name: "query input bigint 2^64", code: "invalid-input", run: q("[:find ?e :in $ ?n :where [?e :p/age ?n]]", 2n ** 64n) },
  { name: "query input -2^64 inside a collection", code: "invalid-input", run: q("[:find ?e :in $ [?n ...] :where [?e :p/age ?n]]", [1, -(2n ** 64n)]) },
  { name: "pull limit beyond int64", code: "parse-error", run: pull("[(limit :p/rs 99999999999999999999)]") },
  { name: "pull eid bigint 2^64", code: "invalid-input", run: pull("[*]", 2n ** 64n) },
  { name: "asOf 2^60", code: "invalid-input", run: (db) => db.asOf(2 ** 60) },
  { name: "entity 2^53", code: "invalid-input", run: (db) => db.entity(2 ** 53) },
  { name: "initDb entity id 2^60", code: "invalid-input", run: () => d.initDb([[2 ** 60, "a", 1]]) },
  { name: "subs with an index beyond any string", code: "invalid-input", run: q('[:find ?x . :where [(subs "abc" 9223372036854775807) ?x]]') },
  { name: "fromSerializable count 1e400", code: "invalid-input", run: () => d.fromSerializable('{"count": 1e400, "eavt": [], "attrs": []}') },
  { name: "fromSerializable count beyond 2^53", code: "invalid-input", run: () => d.fromSerializable('{"count": 99999999999999999999999, "eavt": [], "attrs": []}') },
]);

// ================================================================== 5. NaN, Infinity, -0

txTable("NaN, Infinity and -0 where they are not allowed (tx-data)", [
  { name: "NaN for a long", code: "type-mismatch", tx: [{ ":db/id": 1, "p/age": NaN }] },
  { name: "Infinity for a long", code: "type-mismatch", tx: [{ ":db/id": 1, "p/age": Infinity }] },
  { name: "-Infinity for a long", code: "type-mismatch", tx: [{ ":db/id": 1, "p/age": -Infinity }] },
  { name: "NaN for a bigint", code: "type-mismatch", tx: [{ ":db/id": 1, "p/big": NaN }] },
  { name: "Infinity for a bigint", code: "type-mismatch", tx: [{ ":db/id": 1, "p/big": Infinity }] },
  { name: "NaN for an instant", code: "invalid-input", tx: [{ ":db/id": 1, "p/i": NaN }] },
  { name: "Infinity for an instant", code: "invalid-input", tx: [{ ":db/id": 1, "p/i": Infinity }] },
  { name: "NaN as a ref value", code: "invalid-input", tx: [{ ":db/id": 1, "p/r": NaN }] },
  { name: "Infinity as a ref value", code: "invalid-input", tx: [{ ":db/id": 1, "p/r": Infinity }] },
  { name: "NaN as :db/id", code: "invalid-input", tx: [{ ":db/id": NaN, "p/s": "a" }] },
  { name: "-0 as :db/id", code: "invalid-input", tx: [{ ":db/id": -0, "p/s": "a" }] },
  { name: "NaN as the entity of :db/add", code: "invalid-input", tx: [[":db/add", NaN, "p/s", "a"]] },
  { name: "NaN in a tuple long slot", code: "type-mismatch", tx: [{ ":db/id": 1, "p/t": [NaN, "a"] }] },
  { name: "NaN in a homogeneous long tuple", code: "type-mismatch", tx: [{ ":db/id": 1, "p/tl": [1, NaN] }] },
  { name: ":db/cas expecting NaN on a long", code: "type-mismatch", tx: [[":db/cas", 1, "p/age", NaN, 4]] },
  { name: ":db/cas to Infinity on a long", code: "type-mismatch", tx: [[":db/cas", 1, "p/age", 30, Infinity]] },
  { name: "EDN ##Inf for an instant", code: "type-mismatch", tx: "[[:db/add 1 :p/i ##Inf]]" },
  { name: "EDN ##-Inf for a long", code: "type-mismatch", tx: "[[:db/add 1 :p/age ##-Inf]]" },
  { name: "EDN ##NaN as :db/id", code: "invalid-input", tx: "[{:db/id ##NaN :zz 1}]" },
  { name: "EDN ##NaN entity of :db/retractEntity", code: "invalid-input", tx: "[[:db/retractEntity ##NaN]]" },
  { name: "EDN ##Inf as a ref value", code: "type-mismatch", tx: "[[:db/add 1 :p/rs ##Inf]]" },
]);

readTable("NaN, Infinity and -0 where they are not allowed (reads)", [
  { name: "pull of entity NaN", code: "invalid-input", run: pull("[*]", NaN) },
  { name: "entity(NaN)", code: "invalid-input", run: (db) => db.entity(NaN) },
  { name: "entity(-Infinity)", code: "invalid-input", run: (db) => db.entity(-Infinity) },
  { name: "datoms with entity NaN", code: "invalid-input", run: (db) => db.datoms("eavt", NaN) },
  { name: "asOf(NaN)", code: "invalid-input", run: (db) => db.asOf(NaN) },
  { name: "asOf(-Infinity)", code: "invalid-input", run: (db) => db.asOf(-Infinity) },
  { name: "since(NaN)", code: "invalid-input", run: (db) => db.since(NaN) },
  { name: "asOf(new Date(Infinity))", code: "invalid-input", run: (db) => db.asOf(new Date(Infinity)) },
  { name: "indexRange from -Infinity on a long", code: "type-mismatch", run: (db) => db.indexRange("p/age", -Infinity, Infinity) },
  { name: "indexRange from NaN on a long", code: "type-mismatch", run: (db) => db.indexRange("p/age", NaN, 5) },
  { name: "subs at ##NaN", code: "type-mismatch", run: q('[:find ?x . :where [(subs "abc" ##NaN) ?x]]') },
  { name: "sample ##NaN", code: "type-mismatch", run: q("[:find (sample ##NaN ?e) . :where [?e :p/age]]") },
  { name: "initDb with a NaN entity id", code: "invalid-input", run: () => d.initDb([[NaN, "a", 1]]) },
  { name: "initDb with an Infinity tx", code: "invalid-input", run: () => d.initDb([[1, "a", 1, Infinity]]) },
  { name: "initDb with NaN for a long", code: "type-mismatch", run: () => d.initDb([[1, "p/age", NaN]], SCHEMA) },
]);

// ================================================================== 6. invalid UTF-16

txTable("lone surrogates in tx-data", [
  { name: "a string value with a lone high surrogate", code: "invalid-input", tx: [{ ":db/id": 1, "p/s": "\ud800" }] },
  { name: "an untyped value with a lone low surrogate inside", code: "invalid-input", tx: [[":db/add", 1, "zz", "a\udc00b"]] },
  { name: "a reversed surrogate pair", code: "invalid-input", tx: [[":db/add", 1, "p/s", "\udc00\ud800"]] },
  { name: "a keyword value", code: "invalid-input", tx: [{ ":db/id": 1, "p/k": ":\udfff" }] },
  { name: "an attribute name", code: "invalid-input", tx: [{ ":db/id": 1, "p/\ud800": 1 }] },
  { name: "an attribute name in :db/add", code: "invalid-input", tx: [[":db/add", 1, "x/\udbff", 1]] },
  { name: "a tempid", code: "invalid-input", tx: [{ ":db/id": "t\ud800", "p/s": "a" }] },
  { name: "a lookup ref value", code: "invalid-input", tx: [{ ":db/id": ["p/name", "\ud800"], "p/s": "a" }] },
  { name: "a card-many item", code: "invalid-input", tx: [{ ":db/id": 1, "p/tags": ["ok", "\ud800"] }] },
  { name: "a tuple item", code: "invalid-input", tx: [{ ":db/id": 1, "p/t": [1, "\udc00"] }] },
  { name: "a tx meta key", code: "invalid-input", tx: [], meta: { "\ud800": 1 } },
  { name: "EDN tx-data text", code: "invalid-input", tx: '[[:db/add 1 :p/s "\ud800"]]' },
]);

readTable("lone surrogates in reads", [
  { name: "query text", code: "invalid-input", run: q('[:find ?e :where [?e :p/name "\ud800"]]') },
  { name: "query attribute", code: "invalid-input", run: q("[:find ?e :where [?e :p/\ud800]]") },
  { name: "query input string", code: "invalid-input", run: q("[:find ?e :in $ ?n :where [?e :p/name ?n]]", "\udc00") },
  { name: "query input string inside a collection", code: "invalid-input", run: q("[:find ?e :in $ [?n ...] :where [?e :p/name ?n]]", ["Ivan", "\udc00"]) },
  { name: "query input keyword", code: "invalid-input", run: q("[:find ?e :in $ ?k :where [?e :p/k ?k]]", d.kw("\ud800")) },
  { name: "pull pattern", code: "invalid-input", run: pull("[:p/\ud800]") },
  { name: "pull lookup ref value", code: "invalid-input", run: pull("[*]", ["p/name", "\ud800"]) },
  { name: "rules text", code: "invalid-input", run: q("[:find ?e :in $ % :where (r ?e)]", "[[(r ?e) [?e :p/name \"\ud800\"]]]") },
  { name: "schema attribute name (JS map)", code: "invalid-input", run: () => d.emptyDb({ "a\ud800": {} }) },
  { name: "schema EDN text", code: "invalid-input", run: () => d.emptyDb("{:a\ud800 {}}") },
  { name: "fromEDN text", code: "invalid-input", run: () => d.fromEDN('#datalite/db {:datoms [[1 :a "\ud800" 536870913]]}') },
  { name: "fromSerializable JSON text", code: "invalid-input", run: () => d.fromSerializable('{"count":0,"attrs":["\ud800"],"eavt":[]}') },
  { name: "fromSerializable JSON with an escaped lone surrogate", code: "invalid-input",
    run: () => d.fromSerializable('{"count": 0, "eavt": [], "attrs": ["\\ud800"]}') },
  { name: "datoms attribute", code: "invalid-input", run: (db) => db.datoms("aevt", "p/\ud800") },
]);

// ================================================================== 7. prototype keys

const protoKey = (json) => JSON.parse(json);  // JSON.parse makes "__proto__" an own key

txTable("prototype-pollution keys in tx-data", [
  { name: "own __proto__ key in an entity map", code: "schema-violation",
    make: () => [protoKey('{"__proto__": {"polluted": 1}, "p/name": "P"}')] },
  { name: "own __proto__ key with a scalar", code: "schema-violation", make: () => [protoKey('{"__proto__": 1, "p/name": "P"}')] },
  { name: "own __proto__ key in a nested (ref) entity", code: "schema-violation",
    make: () => [{ ":db/id": 1, "p/r": protoKey('{"__proto__": {"polluted": 1}, "p/name": "Q"}') }] },
  { name: "constructor key holding a map", code: "invalid-input", tx: [{ "p/name": "P", "constructor": { "prototype": { "polluted": 1 } } }] },
  { name: "prototype key holding a map", code: "invalid-input", tx: [{ "p/name": "P", "prototype": { "polluted": 1 } }] },
  { name: "a map whose prototype was set by a __proto__ literal", code: "invalid-input",
    tx: [{ __proto__: { "p/name": "Inherited" }, "p/s": "own" }] },
  { name: "a map with inherited attributes only", code: "invalid-input", tx: [Object.create({ "p/name": "Inherited" })] },
  { name: "own __proto__ key in tx meta", code: "schema-violation", make: () => [], meta: protoKey('{"__proto__": {"polluted": 1}}') },
  { name: "constructor key in tx meta", code: "invalid-input", tx: [], meta: { constructor: { a: 1 } } },
  { name: "lookup ref on __proto__", code: "invalid-input", tx: [{ ":db/id": ["__proto__", 1], "p/s": "a" }] },
  { name: ":db/add of __proto__", code: "schema-violation", tx: [[":db/add", 1, "__proto__", 1]] },
  { name: "EDN entity with a \"__proto__\" string key", code: "schema-violation", tx: '[{:db/id 1 "__proto__" 1}]' },
  { name: "EDN entity with a :__proto__ keyword key", code: "schema-violation", tx: "[{:db/id 1 :__proto__ {:polluted 1}}]" },
]);

readTable("prototype-pollution keys in schemas and reads", [
  { name: "schema with an own __proto__ attribute of unknown type", code: "schema-violation",
    run: () => d.emptyDb(protoKey('{"__proto__": {"db/valueType": "db.type/nope"}}')) },
  { name: "schema definition with an own __proto__ property", code: "schema-violation",
    run: () => d.emptyDb(protoKey('{"a": {"__proto__": {"db/unique": "db.unique/identity"}}}')) },
  { name: "schema definition with a constructor property", code: "schema-violation", run: () => d.emptyDb({ a: { constructor: 1 } }) },
  { name: "schema with inherited attributes", code: "invalid-input",
    run: () => d.emptyDb(Object.create({ a: { "db/unique": "db.unique/identity" } })) },
  { name: "schema definition with inherited properties", code: "invalid-input",
    run: () => d.emptyDb({ a: Object.create({ "db/unique": "db.unique/identity" }) }) },
  { name: "query input object with an inherited prototype", code: "invalid-input",
    run: q("[:find ?x . :in $ ?x]", Object.create({ polluted: 1 })) },
]);

describe("prototype keys: results stay plain data, Object.prototype stays clean", () => {
  const db = FIXTURE.with([
    [":db/add", 1, "constructor", 6], [":db/add", 1, "prototype", 7], [":db/add", 1, "hasOwnProperty", 8],
    [":db/add", 1, "toString", 9], [":db/add", 1, "valueOf", 10],
  ]);
  const assertPlain = (obj) => {
    assert.equal(Object.getPrototypeOf(obj), Object.prototype, "the prototype was not replaced");
    assert.equal(obj.polluted, undefined, "nothing inherited from the data");
  };

  test("pull * with attributes named like Object.prototype members", () => {
    const r = db.pull("[*]", 1);
    assertPlain(r);
    assert.equal(r[":constructor"], 6);
    assert.equal(r[":hasOwnProperty"], 8);
    assert.equal(typeof r.hasOwnProperty, "function");
    assert.equal(String(r), "[object Object]");
  });

  test('pull with :as "__proto__" makes an own property, not a prototype', () => {
    const r = db.pull('[[:p/name :as "__proto__"] {[:p/r :as "constructor"] [[:p/name :as "polluted"]]}]', 1);
    assertPlain(r);
    assert.deepEqual(Object.keys(r), ["__proto__", "constructor"]);
    assert.equal(Object.getOwnPropertyDescriptor(r, "__proto__").value, "Ivan");
    const nested = db.pull('[{[:p/r :as "__proto__"] [[:p/name :as "polluted"]]}]', 1);
    assertPlain(nested);
    assert.deepEqual(Object.getOwnPropertyDescriptor(nested, "__proto__").value, { polluted: "Petr" });
  });

  test("query :keys, :strs and :syms named __proto__", () => {
    for (const kind of [":keys", ":strs", ":syms"]) {
      const rows = db.q(`[:find ?m ?n ${kind} __proto__ x :where [1 :p/name ?n] [(ground {"polluted" 1}) ?m]]`);
      assert.equal(rows.length, 1);
      assertPlain(rows[0]);
      assert.deepEqual(Object.getOwnPropertyDescriptor(rows[0], "__proto__").value, { polluted: 1 });
      assert.equal(rows[0].x, "Ivan");
    }
  });

  test("a map value with a \"__proto__\" string key comes back as an own key", () => {
    const r = db.q('[:find ?m . :where [(ground {"__proto__" {"polluted" 1}}) ?m]]');
    assertPlain(r);
    assert.deepEqual(Object.keys(r), ["__proto__"]);
  });

  test("entity touch and toSerializable round trip with such attribute names", () => {
    const touched = db.entity(1).touch();
    assertPlain(touched);
    assert.equal(touched[":toString"], 9);
    const back = d.fromSerializable(JSON.parse(JSON.stringify(db.toSerializable())));
    assert.deepEqual(back.pull("[*]", 1), db.pull("[*]", 1));
  });

  after(() => {
    // Checked after every case of this file that handles such keys ran.
    assert.deepEqual(Object.keys(Object.prototype), []);
    assert.equal({}.polluted, undefined);
    assert.equal([].polluted, undefined);
    assert.equal(Object.prototype.constructor, Object);
  });
});

// ================================================================== 8. deep nesting

txTable("deep nesting in tx-data (100k levels)", [
  { name: "nested arrays as a value", code: "limit-exceeded", make: () => [[":db/add", 1, "zz", nestArrays(100_000)]] },
  { name: "nested arrays as a tx item", code: "invalid-input", make: () => [nestArrays(100_000)] },
  { name: "tx-data that is itself nested arrays", code: "invalid-input", make: () => nestArrays(100_000) },
  { name: "nested objects under an untyped attribute", code: "limit-exceeded", make: () => [nestMaps(100_000, "zz", { "p/name": "leaf" })] },
  { name: "nested entity maps under a ref attribute", code: "limit-exceeded", make: () => [nestMaps(100_000, "p/r", { "p/name": "leaf" })] },
  { name: "nested entity maps under a component attribute", code: "limit-exceeded", make: () => [nestMaps(100_000, "p/c", { "p/name": "leaf" })] },
  { name: "nested :db/id maps", code: "limit-exceeded", make: () => [nestMaps(100_000, ":db/id", 1)] },
  { name: "nested lookup refs as :db/id", code: "limit-exceeded",
    make: () => { let l = "x"; for (let i = 0; i < 100_000; i++) l = ["p/name", l]; return [{ ":db/id": l, "p/s": "a" }]; } },
  { name: "nested arrays in a tuple", code: "limit-exceeded", make: () => [{ ":db/id": 1, "p/t": nestArrays(100_000) }] },
  { name: "nested Sets as a value", code: "limit-exceeded",
    make: () => { let s = 1; for (let i = 0; i < 100_000; i++) s = new Set([s]); return [[":db/add", 1, "zz", s]]; } },
  { name: "nested maps in tx meta", code: "limit-exceeded", make: () => [], meta: nestMaps(100_000, "p/r", { "p/name": "leaf" }) },
  { name: "EDN text of nested entity maps", code: "limit-exceeded", tx: "[" + deep("{:p/r ", "}", 100_000, '{:p/name "x"}') + "]" },
  { name: "EDN text of nested lists", code: "limit-exceeded", tx: `[[:db/add 1 :zz ${deep("(", ")")}]]` },
  { name: "EDN text of nested sets", code: "limit-exceeded", tx: `[[:db/add 1 :zz ${deep("#{", "}")}]]` },
  { name: "EDN text of nested tagged literals", code: "limit-exceeded", tx: `[[:db/add 1 :zz ${"#x ".repeat(100_000)}1]]` },
]);

readTable("deep nesting in reads (100k levels)", [
  { name: "query: the whole query nested vectors", code: "limit-exceeded", run: q(deep("[", "]")) },
  { name: "query: nested maps", code: "limit-exceeded", run: q(deep("{:a ", "}", 100_000, "1")) },
  { name: "query: nested sets", code: "limit-exceeded", run: q(deep("#{", "}")) },
  { name: "query: nested discards", code: "limit-exceeded", run: q("#_ ".repeat(100_000) + "1") },
  { name: "query: nested lists in ground", code: "limit-exceeded", run: q(`[:find ?x :where [(ground ${deep("(", ")")}) ?x]]`) },
  { name: "query: nested not", code: "limit-exceeded", run: q(`[:find ?e :where [?e :p/name] ${deep("(not ", ")", 10_000, "[?e :p/age 1]")}]`) },
  { name: "query: nested or", code: "limit-exceeded", run: q(`[:find ?e :where [?e :p/name] ${deep("(or ", ")", 10_000, "[?e :p/age 1]")}]`) },
  { name: "query: nested function calls", code: "limit-exceeded", run: q(`[:find ?x . :where [(inc ${deep("(inc ", ")", 10_000, "1")}) ?x]]`) },
  { name: "query input: nested objects", code: "limit-exceeded", run: (db) => db.q("[:find ?x . :in $ ?x]", nestMaps(100_000, "k", 1)) },
  { name: "query input: nested Maps", code: "limit-exceeded",
    run: (db) => { let m = 1; for (let i = 0; i < 100_000; i++) m = new Map([["k", m]]); return db.q("[:find ?x . :in $ ?x]", m); } },
  { name: "rules: nested vectors", code: "limit-exceeded", run: q("[:find ?e :in $ % :where (r ?e)]", "[" + deep("[", "]") + "]") },
  { name: "pull pattern: nested map specs", code: "limit-exceeded", run: pull("[" + deep("{:p/r [", "]}", 100_000, "*") + "]") },
  { name: "pull pattern: 600 nested vectors", code: "limit-exceeded", run: pull(deep("[", "]", 600)) },
  { name: "pull pattern given as a query input", code: "limit-exceeded",
    run: q("[:find (pull ?e ?p) . :in $ ?p :where [?e :p/name]]", "[" + deep("{:p/r [", "]}", 100_000, "*") + "]") },
  { name: "pull eid: nested lookup refs", code: "limit-exceeded",
    run: (db) => { let l = "x"; for (let i = 0; i < 100_000; i++) l = ["p/name", l]; return db.pull("[*]", l); } },
  { name: "fromEDN: nested vectors", code: "limit-exceeded", run: () => d.fromEDN(deep("[", "]")) },
  { name: "fromSerializable: nested JSON text", code: "limit-exceeded", run: () => d.fromSerializable(deep("[", "]")) },
  { name: "fromSerializable: an object nested too deep to stringify", code: "limit-exceeded", run: () => d.fromSerializable(nestArrays(100_000)) },
  { name: "schema (JS): a nested definition value", code: "limit-exceeded", run: () => d.emptyDb({ a: { "db/doc": nestArrays(100_000) } }) },
  { name: "pull result: recursion ... down a 1000-long ref chain", code: "limit-exceeded",
    db: () => d.initDb(Array.from({ length: 999 }, (_, i) => [i + 1, "p/r", i + 2]), SCHEMA),
    run: (db) => db.pull("[:db/id {:p/r ...}]", 1) },
  { name: "entity touch: a 1000-long component chain", code: "limit-exceeded",
    db: () => d.initDb(Array.from({ length: 999 }, (_, i) => [i + 1, "p/c", i + 2]), SCHEMA),
    run: (db) => db.entity(1).touch() },
]);

// ================================================================== 9. giant strings and engine-killers

describe("giant strings and engine-killing inputs (each in its own child process)", () => {
  const childCases = [
    ...Object.keys(CHILD_CASES).filter((n) => n.startsWith("100 MB")).map((name) => ({
      name, codes: ["limit-exceeded"], acceptOk: true, timeoutMs: 120_000,
    })),
    { name: "re-pattern of 10000 nested groups", codes: ["limit-exceeded"], timeoutMs: 60_000 },
    { name: "a rule that recurses forever on new values", codes: ["limit-exceeded"], timeoutMs: 10_000 },
    { name: "a rule that recurses forever on new values, under maxRuleSteps 1000", codes: ["limit-exceeded"], timeoutMs: 30_000 },
  ];
  for (const c of childCases) {
    test(c.name, opts(c), async () => {
      const r = await runChild(c.name, c.timeoutMs);
      assert.ok(!r.timedOut, `the call did not return within ${c.timeoutMs} ms`);
      assert.equal(r.signal, null, `the child died of ${r.signal}: ${r.stderr.slice(-500)}`);
      assert.equal(r.exitCode, 0, `the child crashed: ${r.stderr.slice(-500)}`);
      const out = JSON.parse(r.stdout.trim().split("\n").pop());
      if (out.outcome === "accepted") {
        assert.ok(c.acceptOk, "the call succeeded but should have failed");
      } else {
        assert.ok(out.isDataliteError, `expected a DataliteError, got ${out.errorClass}: ${out.message}`);
        assert.ok(c.codes.includes(out.code), `expected ${c.codes.join(" or ")}, got ${out.code}: ${out.message}`);
        assert.equal(out.unchanged, true, "the connection value changed");
      }
      assert.equal(out.nextOk, true, `the next transaction and query failed: ${out.nextError}`);
    });
  }
});

function runChild(name, timeoutMs) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CHILD, name], { stdio: ["ignore", "pipe", "pipe"] });
    const r = { stdout: "", stderr: "", timedOut: false, exitCode: null, signal: null };
    child.stdout.setEncoding("utf8").on("data", (s) => (r.stdout += s));
    child.stderr.setEncoding("utf8").on("data", (s) => (r.stderr += s));
    const timer = setTimeout(() => {
      r.timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("close", (exitCode, signal) => {
      clearTimeout(timer);
      Object.assign(r, { exitCode, signal });
      resolve(r);
    });
  });
}

// ================================================================== 10. circular

txTable("circular JS values in tx-data", [
  { name: "an op array containing itself", code: "limit-exceeded", make: () => [selfArray(":db/add", 1, "zz")] },
  { name: "an entity map referring to itself through a ref", code: "limit-exceeded",
    make: () => { const o = { "p/name": "X" }; o["p/r"] = o; return [o]; } },
  { name: "an entity map referring to itself through an untyped attribute", code: "limit-exceeded",
    make: () => { const o = { "p/name": "X" }; o.zz = o; return [o]; } },
  { name: "tx-data containing itself", code: "invalid-input", make: () => selfArray() },
  { name: ":db/id that is the map itself", code: "limit-exceeded", make: () => { const o = {}; o[":db/id"] = o; return [o]; } },
  { name: "card-many values containing themselves", code: "limit-exceeded", make: () => [{ ":db/id": 1, "p/tags": selfArray(1) }] },
  { name: "a lookup ref containing itself", code: "limit-exceeded", make: () => [{ ":db/id": selfArray("p/name"), "p/s": "a" }] },
  { name: "a tuple containing itself", code: "limit-exceeded", make: () => [{ ":db/id": 1, "p/tl": selfArray(1) }] },
  { name: "tx meta referring to itself", code: "limit-exceeded", make: () => [], meta: (() => { const o = {}; o["p/r"] = o; return o; })() },
  { name: "two maps referring to each other", code: "limit-exceeded",
    make: () => { const a = { "p/name": "A" }; const b = { "p/name": "B", "p/r": a }; a["p/r"] = b; return [a]; } },
]);

readTable("circular JS values in reads", [
  { name: "query input: an array containing itself", code: "limit-exceeded", run: (db) => db.q("[:find ?x . :in $ ?x]", selfArray(1)) },
  { name: "query input: an object containing itself", code: "limit-exceeded",
    run: (db) => { const o = {}; o.self = o; return db.q("[:find ?x . :in $ ?x]", o); } },
  { name: "query input: a Set containing itself", code: "limit-exceeded",
    run: (db) => { const s = new Set(); s.add(s); return db.q("[:find ?x . :in $ ?x]", s); } },
  { name: "query input: a Map containing itself", code: "limit-exceeded",
    run: (db) => { const m = new Map(); m.set("k", m); return db.q("[:find ?x . :in $ ?x]", m); } },
  { name: "collection binding of a circular array", code: "limit-exceeded",
    run: (db) => db.q("[:find ?e :in $ [?n ...] :where [?e :p/name ?n]]", selfArray("Ivan")) },
  { name: "pullMany ids containing themselves", code: "invalid-input", run: (db) => db.pullMany("[*]", selfArray(1)) },
  { name: "schema containing itself", code: "limit-exceeded", run: () => { const o = {}; o.a = o; return d.emptyDb(o); } },
  { name: "fromSerializable of a circular object", code: "invalid-input", run: () => { const o = {}; o.self = o; return d.fromSerializable(o); } },
  { name: "fromSerializable of an object with a bigint", code: "invalid-input", run: () => d.fromSerializable({ count: 5n }) },
  { name: "initDb with a circular value", code: "limit-exceeded", run: () => d.initDb([[1, "a", selfArray(1)]]) },
  { name: "entid of a circular lookup ref", code: "limit-exceeded", run: (db) => db.entid(selfArray("p/name")) },
]);

// ================================================================== 11. query semantics

readTable("unknown functions, wrong arity, bad :in bindings, bad rules", [
  { name: "unknown function", code: "invalid-input", run: q("[:find ?x :where [?e :p/age ?a] [(frob ?a) ?x]]") },
  { name: "unknown predicate", code: "invalid-input", run: q("[:find ?e :where [?e :p/age ?a] [(frob? ?a)]]") },
  { name: "unknown aggregate", code: "invalid-input", run: q("[:find (frob ?e) :where [?e :p/name]]") },
  { name: "inc with three arguments", code: "invalid-input", run: q("[:find ?x :where [?e :p/age ?a] [(inc ?a 1 2) ?x]]") },
  { name: "subs with no arguments", code: "invalid-input", run: q("[:find ?x :where [?e :p/name ?a] [(subs) ?x]]") },
  { name: "missing? without an attribute", code: "invalid-input", run: q("[:find ?e . :where [?e :p/name] [(missing? $ ?e)]]") },
  { name: "get-else with a nil default", code: "invalid-input", run: q("[:find ?x . :where [?e :p/name] [(get-else $ ?e :p/zz nil) ?x]]") },
  { name: "too few inputs for :in", code: "invalid-input", run: q("[:find ?e :in $ ?x :where [?e :p/age ?x]]") },
  { name: "too many inputs for :in", code: "invalid-input", run: q("[:find ?e :where [?e :p/age ?n]]", 1, 2) },
  { name: "d.q with no source for $", code: "invalid-input", run: () => d.q("[:find ?e :where [?e :p/name]]") },
  { name: "a number in :in", code: "parse-error", run: q("[:find ?e :in $ 42 :where [?e :p/age]]", 1) },
  { name: "collection binding given a scalar", code: "invalid-input", run: q("[:find ?e :in $ [?x ...] :where [?e :p/age ?x]]", 5) },
  { name: "tuple binding given too few items", code: "invalid-input", run: q("[:find ?e :in $ [?x ?y] :where [?e :p/age ?x]]", [1]) },
  { name: "relation binding given scalars", code: "invalid-input", run: q("[:find ?e :in $ [[?x ?y]] :where [?e :p/age ?x]]", [1, 2]) },
  { name: "rules input missing", code: "invalid-input", run: q("[:find ?e :in $ % :where (r ?e)]") },
  { name: "rules that are not rule definitions", code: "parse-error", run: q("[:find ?e :in $ % :where (r ?e)]", "[[r ?e]]") },
  { name: "rules given as a number", code: "parse-error", run: q("[:find ?e :in $ % :where [?e :p/name]]", 5) },
  { name: "rules given as JS arrays of strings", code: "parse-error",
    run: q("[:find ?e :in $ % :where (r ?e)]", [[["r", "?e"], ["?e", "p/name"]]]) },
  { name: "rules text that is garbage EDN", code: "parse-error", run: q("[:find ?e :in $ % :where (r ?e)]", "[[(r ?e) [?e") },
  { name: "a rule with no body", code: "parse-error", run: q("[:find ?e :in $ % :where (r ?e)]", "[[(r ?e)]]") },
  { name: "a rule named by a number", code: "parse-error", run: q("[:find ?e :in $ % :where (r ?e)]", "[[(5 ?e) [?e :p/name]]]") },
  { name: "an unknown rule", code: "invalid-input", run: q("[:find ?e :in $ % :where (nope ?e)]", "[[(r ?e) [?e :p/name]]]") },
  { name: "a rule called with the wrong arity", code: "invalid-input", run: q("[:find ?e :in $ % :where (r ?e ?x)]", "[[(r ?e) [?e :p/name]]]") },
  { name: "a rule whose head var its body never binds", code: "invalid-input", run: q("[:find ?e :in $ % :where (r ?e)]", "[[(r ?e) [?x :p/name]]]") },
  { name: "a rule with required vars left unbound", code: "invalid-input", run: q("[:find ?e :in $ % :where (r ?e)]", "[[(r [?a] ?e) [?e :p/name ?a]]]") },
  { name: "a function of an unbound var", code: "invalid-input", run: q("[:find ?x :where [(inc ?y) ?x]]") },
  { name: "not over unbound vars only", code: "parse-error", run: q("[:find ?e :where (not [?e :p/name])]") },
  { name: "or branches with different vars", code: "parse-error", run: q("[:find ?e :where [?e :p/name] (or [?e :p/age ?a] [?e :p/s ?b])]") },
  { name: "not-join over an unbound var", code: "invalid-input", run: q("[:find ?e :where [?e :p/name] (not-join [?zz] [?e :p/age 1])]") },
  { name: "unknown source $x", code: "invalid-input", run: q("[:find ?e :where [$x ?e :p/name]]") },
  { name: "get-else on an unknown source", code: "invalid-input", run: q("[:find ?x . :where [?e :p/name] [(get-else $z ?e :p/name 1) ?x]]") },
  { name: "sum over strings", code: "type-mismatch", run: q("[:find (sum ?n) . :where [_ :p/name ?n]]") },
  { name: "avg over strings", code: "type-mismatch", run: q("[:find (avg ?n) . :where [_ :p/name ?n]]") },
  { name: "sample of -1", code: "invalid-input", run: q("[:find (sample -1 ?e) . :where [?e :p/name]]") },
  { name: "min of -1 items", code: "invalid-input", run: q("[:find (min -1 ?e) . :where [?e :p/name]]") },
  { name: "rand of a string count", code: "type-mismatch", run: q('[:find (rand "x" ?e) . :where [?e :p/name]]') },
  { name: "re-pattern of a bad regex", code: "invalid-input", run: q('[:find ?x :where [(re-pattern "[") ?x]]') },
  { name: "catastrophic backtracking regex", code: "limit-exceeded",
    run: q('[:find ?x . :in $ ?s :where [(re-pattern "^(a+)+$") ?re] [(re-matches ?re ?s) ?x]]', "a".repeat(40) + "b") },
  { name: "regex over a 200k string", code: "limit-exceeded",
    run: q('[:find ?x . :in $ ?s :where [(re-pattern "(a|b)*c") ?re] [(re-find ?re ?s) ?x]]', "a".repeat(200_000)) },
  { name: "quot by zero", code: "invalid-input", run: q("[:find ?x :where [?e :p/age ?a] [(quot ?a 0) ?x]]") },
  { name: "/ by zero", code: "invalid-input", run: q("[:find ?x :where [?e :p/age ?a] [(/ ?a 0) ?x]]") },
  { name: "rem by zero", code: "invalid-input", run: q("[:find ?x . :where [(rem 5 0) ?x]]") },
  { name: "mod by zero", code: "invalid-input", run: q("[:find ?x . :where [(mod 5 0) ?x]]") },
  { name: "subs past the end", code: "invalid-input", run: q('[:find ?x . :where [(subs "abc" 5) ?x]]') },
  { name: "subs with start after end", code: "invalid-input", run: q('[:find ?x . :where [(subs "abc" 2 1) ?x]]') },
  { name: "subs at a fraction", code: "type-mismatch", run: q('[:find ?x . :where [(subs "abc" 1.5) ?x]]') },
  { name: "count of a number", code: "type-mismatch", run: q("[:find ?x . :where [(count 5) ?x]]") },
  { name: "keyword of an empty string", code: "invalid-input", run: q('[:find ?x . :where [(keyword "") ?x]]') },
  { name: "keyword of a number", code: "type-mismatch", run: q("[:find ?x . :where [(keyword 5) ?x]]") },
  { name: "tuple destructuring of too few items", code: "type-mismatch", run: q("[:find ?c . :where [(ground [1 2]) [?a ?b ?c]]]") },
  { name: "tuple destructuring of a scalar", code: "type-mismatch", run: q("[:find ?a . :where [(ground 5) [?a ?b]]]") },
  { name: "collection destructuring of a scalar", code: "type-mismatch", run: q("[:find ?a . :where [(ground 5) [?a ...]]]") },
  { name: "relation destructuring of scalars", code: "type-mismatch", run: q("[:find ?a . :where [(ground [1 2]) [[?a ?b]]]]") },
  { name: "pull of an unknown var in :find", code: "parse-error", run: q("[:find (pull ?z [*]) . :where [?e :p/name]]") },
]);

// ================================================================== 12. serialized forms

const SNAPSHOT = FIXTURE.serialize();
const flipAt = (offset, mask = 0xff) => {
  const b = SNAPSHOT.slice();
  const at = offset < 0 ? b.length + offset : offset;
  b[at] ^= mask;
  return b;
};
const randomBytes = (seed, n, prefix = null) => {
  let x = seed >>> 0 || 1;
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    b[i] = x & 0xff;
  }
  if (prefix) b.set(prefix.subarray(0, Math.min(prefix.length, n)));
  return b;
};

readTable("corrupted serialize() bytes given to deserialize", [
  ...[0, 1, 4, 8, 16, 19, 20, 21, 64, "half", -16, -1].map((cut) => {
    const len = cut === "half" ? SNAPSHOT.length >> 1 : cut < 0 ? SNAPSHOT.length + cut : cut;
    return { name: `truncated to ${len} of ${SNAPSHOT.length} bytes`, code: "invalid-input", run: () => d.deserialize(SNAPSHOT.slice(0, len)) };
  }),
  ...[0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 19, 20, 24, 32, 48, 64, 100, 150, 200, -64, -16, -8, -4, -1].map((offset) => ({
    name: `byte ${offset < 0 ? `length${offset}` : offset} flipped`, code: "invalid-input", run: () => d.deserialize(flipAt(offset)),
  })),
  ...[0, 1, 5, 100, 300].map((offset) => ({
    name: `lowest bit of byte ${offset} flipped`, code: "invalid-input", run: () => d.deserialize(flipAt(offset, 0x01)) })),
  ...[[1, 7], [2, 20], [3, 300], [4, 4096]].map(([seed, n]) => ({
    name: `${n} random bytes (seed ${seed})`, code: "invalid-input", run: () => d.deserialize(randomBytes(seed, n)) })),
  ...[[5, 64], [6, 300], [7, 65536]].map(([seed, n]) => ({
    name: `the real 20-byte header followed by ${n - 20} random bytes`, code: "invalid-input",
    run: () => d.deserialize(randomBytes(seed, n, SNAPSHOT.subarray(0, 20))) })),
  { name: "a snapshot followed by a copy of itself", code: "invalid-input",
    run: () => { const b = new Uint8Array(SNAPSHOT.length * 2); b.set(SNAPSHOT); b.set(SNAPSHOT, SNAPSHOT.length); return d.deserialize(b); } },
  { name: "16 MB of zeros", code: "invalid-input", run: () => d.deserialize(new Uint8Array(16 << 20)) },
  { name: "empty bytes", code: "invalid-input", run: () => d.deserialize(new Uint8Array(0)) },
]);

const SERIALIZABLE = FIXTURE.toSerializable();
const shaped = (edit) => () => {
  const o = structuredClone(SERIALIZABLE);
  edit(o);
  return d.fromSerializable(o);
};

readTable("fromSerializable with wrong shapes", [
  { name: "null", code: "invalid-input", run: () => d.fromSerializable(null) },
  { name: "undefined", code: "invalid-input", run: () => d.fromSerializable(undefined) },
  { name: "a number", code: "invalid-input", run: () => d.fromSerializable(5) },
  { name: "an array", code: "invalid-input", run: () => d.fromSerializable([]) },
  { name: "a function", code: "invalid-input", run: () => d.fromSerializable(() => SERIALIZABLE) },
  { name: "an empty object", code: "invalid-input", run: () => d.fromSerializable({}) },
  { name: "empty text", code: "invalid-input", run: () => d.fromSerializable("") },
  { name: "JSON text cut short", code: "invalid-input", run: () => d.fromSerializable(JSON.stringify(SERIALIZABLE).slice(0, 100)) },
  { name: "JSON text with trailing garbage", code: "invalid-input", run: () => d.fromSerializable(JSON.stringify(SERIALIZABLE) + "xyz") },
  { name: "NaN literal in JSON text", code: "invalid-input", run: () => d.fromSerializable('{"count": NaN}') },
  { name: "count that does not match", code: "invalid-input", run: shaped((o) => { o.count = 999; }) },
  { name: "count a string", code: "invalid-input", run: shaped((o) => { o.count = "x"; }) },
  { name: "count negative", code: "invalid-input", run: shaped((o) => { o.count = -1; }) },
  { name: "eavt a number", code: "invalid-input", run: shaped((o) => { o.eavt = 5; }) },
  { name: "eavt row too short", code: "invalid-input", run: shaped((o) => { o.eavt[0] = [1]; }) },
  { name: "eavt row a string", code: "invalid-input", run: shaped((o) => { o.eavt[0] = "x"; }) },
  { name: "entity id a string", code: "invalid-input", run: shaped((o) => { o.eavt[0][0] = "x"; }) },
  { name: "entity id negative", code: "invalid-input", run: shaped((o) => { o.eavt[0][0] = -5; }) },
  { name: "entity id 1e300", code: "invalid-input", run: shaped((o) => { o.eavt[0][0] = 1e300; }) },
  { name: "attribute index out of range", code: "invalid-input", run: shaped((o) => { o.eavt[0][1] = 9999; }) },
  { name: "attribute index negative", code: "invalid-input", run: shaped((o) => { o.eavt[0][1] = -1; }) },
  { name: "attribute index a fraction", code: "invalid-input", run: shaped((o) => { o.eavt[0][1] = 0.5; }) },
  { name: "value an object", code: "invalid-input", run: shaped((o) => { o.eavt[0][2] = { a: 1 }; }) },
  { name: "tx a string", code: "invalid-input", run: shaped((o) => { o.eavt[0][3] = "x"; }) },
  { name: "tx 0", code: "invalid-input", run: shaped((o) => { o.eavt[0][3] = 0; }) },
  { name: "attrs a string", code: "invalid-input", run: shaped((o) => { o.attrs = "x"; }) },
  { name: "attrs numbers", code: "invalid-input", run: shaped((o) => { o.attrs = o.attrs.map((_, i) => i); }) },
  { name: "attrs empty", code: "invalid-input", run: shaped((o) => { o.attrs = []; }) },
  { name: "keywords a number", code: "invalid-input", run: shaped((o) => { o.keywords = 5; }) },
  { name: "max-eid a string", code: "invalid-input", run: shaped((o) => { o["max-eid"] = "x"; }) },
  { name: "max-eid 2^53", code: "invalid-input", run: shaped((o) => { o["max-eid"] = 2 ** 53; }) },
  { name: "tx0 that puts the txs out of range", code: "invalid-input", run: shaped((o) => { o.tx0 = 5; }) },
  { name: "avet of arrays", code: "invalid-input", run: shaped((o) => { o.avet = [[1, 0, 1, 0]]; }) },
]);

const DUMP = FIXTURE.toEDN();
readTable("fromEDN dumps, truncated or corrupted", [
  { name: "a third of the dump", code: "parse-error", run: () => d.fromEDN(DUMP.slice(0, DUMP.length / 3)) },
  { name: "the dump without its last 3 characters", code: "parse-error", run: () => d.fromEDN(DUMP.slice(0, -3)) },
  { name: "the dump twice", code: "parse-error", run: () => d.fromEDN(DUMP + DUMP) },
  { name: "a value of the wrong type for a typed attribute", code: "invalid-input", run: () => d.fromEDN(DUMP.replace(":p/age 30", ':p/age "thirty"')) },
  { name: "empty text", code: "parse-error", run: () => d.fromEDN("") },
  { name: "an unknown tag", code: "invalid-input", run: () => d.fromEDN("#foo/db {:datoms []}") },
  { name: ":datoms a number", code: "invalid-input", run: () => d.fromEDN("#datalite/db {:datoms 5}") },
  { name: "a datom too short", code: "invalid-input", run: () => d.fromEDN("#datalite/db {:datoms [[1 :a]]}") },
  { name: "a bad schema", code: "invalid-input", run: () => d.fromEDN("#datalite/db {:schema {:a {:db/valueType :db.type/zz}} :datoms []}") },
  { name: "schema a number", code: "invalid-input", run: () => d.fromEDN("#datalite/db {:schema 5 :datoms []}") },
  { name: "an unsupported format", code: "invalid-input", run: () => d.fromEDN("#datalite/db {:format 99 :datoms []}") },
  { name: ":max-eid a string", code: "invalid-input", run: () => d.fromEDN('#datalite/db {:max-eid "x" :datoms []}') },
  { name: "entity id 0", code: "invalid-input", run: () => d.fromEDN("#datalite/db {:datoms [[0 :a 1 536870913]]}") },
  { name: "a tx below tx0", code: "invalid-input", run: () => d.fromEDN("#datalite/db {:datoms [[1 :a 1 5]]}") },
  { name: "a nil value", code: "invalid-input", run: () => d.fromEDN("#datalite/db {:datoms [[1 :a nil 536870913]]}") },
  { name: "a unique value held twice", code: "invalid-input",
    run: () => d.fromEDN("#datalite/db {:schema {:a {:db/unique :db.unique/identity}} :datoms [[1 :a 1 536870913] [2 :a 1 536870913]]}") },
  { name: "two values of a cardinality-one attribute", code: "invalid-input",
    run: () => d.fromEDN("#datalite/db {:datoms [[1 :a 1 536870913] [1 :a 2 536870913]]}") },
  { name: "a DataScript #datascript/DB form with a short datom", code: "invalid-input", run: () => d.fromEDN("#datascript/DB {:schema {} :datoms [[1 :a]]}") },
]);

// ================================================================== 13. store files

// A file store with some history, closed.
async function writtenStore() {
  const dir = newDir();
  const conn = await d.connect({ schema: SCHEMA, store: { backend: "file", path: dir } });
  await conn.transact(SEED);
  for (let i = 0; i < 5; i++) await conn.transact([{ "p/name": `n${i}`, "p/age": i }]);
  await conn.close();
  return dir;
}
const fileIn = (dir, re) => path.join(dir, fs.readdirSync(dir).find((n) => re.test(n)));
const truncate = (re, size) => (dir) => {
  const f = fileIn(dir, re);
  fs.truncateSync(f, typeof size === "function" ? size(fs.statSync(f).size) : size);
};
const flip = (re, at) => (dir) => {
  const f = fileIn(dir, re);
  const b = fs.readFileSync(f);
  b[typeof at === "function" ? at(b.length) : at] ^= 0xff;
  fs.writeFileSync(f, b);
};
const bothSlots = (damage) => (dir) => {
  for (const slot of ["root.0", "root.1"]) damage(path.join(dir, slot));
};
const PACK = /\.pack$/;

describe("truncated and corrupted file stores: store-error on open or first read, never a crash", () => {
  const cases = [
    { name: "pack truncated to 0 bytes", damage: truncate(PACK, 0) },
    { name: "pack truncated inside its header", damage: truncate(PACK, 8) },
    { name: "pack truncated to its header", damage: truncate(PACK, 16) },
    { name: "pack truncated to half", damage: truncate(PACK, (n) => n >> 1) },
    { name: "pack missing its last byte", damage: truncate(PACK, (n) => n - 1) },
    { name: "pack magic flipped", damage: flip(PACK, 0) },
    { name: "pack version flipped", damage: flip(PACK, 8) },
    { name: "pack generation flipped", damage: flip(PACK, 12) },
    { name: "pack byte flipped in the middle", damage: flip(PACK, (n) => n >> 1) },
    { name: "pack last byte flipped", damage: flip(PACK, (n) => n - 1) },
    { name: "pack body overwritten with a pattern", damage: (dir) => {
      const f = fileIn(dir, PACK);
      const b = fs.readFileSync(f);
      for (let i = 16; i < b.length; i++) b[i] = (i * 7919) & 0xff;
      fs.writeFileSync(f, b);
    } },
    { name: "pack body zeroed", damage: (dir) => {
      const f = fileIn(dir, PACK);
      const b = fs.readFileSync(f);
      b.fill(0, 16);
      fs.writeFileSync(f, b);
    } },
    { name: "pack deleted", damage: (dir) => fs.rmSync(fileIn(dir, PACK)) },
    { name: "both root slots truncated to 0 bytes", damage: bothSlots((f) => fs.truncateSync(f, 0)) },
    { name: "both root slots truncated inside the header", damage: bothSlots((f) => fs.truncateSync(f, 20)) },
    { name: "both root slot checksums flipped", damage: bothSlots((f) => { const b = fs.readFileSync(f); b[41] ^= 0xff; fs.writeFileSync(f, b); }) },
    { name: "both root records flipped", damage: bothSlots((f) => { const b = fs.readFileSync(f); b[50] ^= 0xff; fs.writeFileSync(f, b); }) },
    { name: "both root slots deleted", damage: bothSlots((f) => fs.rmSync(f)) },
    { name: "a root slot replaced by a directory", damage: (dir) => {
      for (const slot of ["root.0", "root.1"]) fs.rmSync(path.join(dir, slot));
      fs.mkdirSync(path.join(dir, "root.0"));
    } },
    { name: "LOCK held by a live process", damage: (dir) => fs.writeFileSync(path.join(dir, "LOCK"), `${process.pid}\n`) },
    { name: "the store directory replaced by a file", damage: (dir) => { fs.rmSync(dir, { recursive: true }); fs.writeFileSync(dir, "x"); } },
  ];
  for (const c of cases) {
    test(c.name, opts(c), async () => {
      const dir = await writtenStore();
      c.damage(dir);
      const open = async () => {
        const conn = await d.connect({ store: { backend: "file", path: dir } });
        try {
          conn.db().q("[:find (count ?e) . :where [?e :p/name]]");
          conn.db().datoms("aevt");
          conn.db().datoms("avet");
        } finally {
          await conn.close().catch(() => {});
        }
      };
      assertError(await rejected(open), "store-error", "first open: ");
      // Unchanged: the failed open did not turn the store into a smaller
      // database that opens without complaint.
      assertError(await rejected(open), "store-error", "second open: ");
      await assertHealthy();
    });
  }
});

// ================================================================== 14. closed and disposed

const disposedDb = () => {
  const db = FIXTURE.with([{ "p/name": "Tmp" }]);
  db.dispose();
  return db;
};
readTable("disposed Db values", [
  { name: "pullMany", code: "closed", run: () => disposedDb().pullMany("[*]", [1]) },
  { name: "entid", code: "closed", run: () => disposedDb().entid(1) },
  { name: "entity by id", code: "closed", run: () => disposedDb().entity(1) },
  { name: "entity by lookup ref", code: "closed", run: () => disposedDb().entity(["p/name", "Ivan"]) },
  { name: "indexRange", code: "closed", run: () => disposedDb().indexRange("p/age", 1, 100) },
  { name: "since", code: "closed", run: () => disposedDb().since(1) },
  { name: "explain", code: "closed", run: () => disposedDb().explain("[:find ?e :where [?e :p/name]]") },
  { name: "serialize", code: "closed", run: () => disposedDb().serialize() },
  { name: "toSerializable", code: "closed", run: () => disposedDb().toSerializable() },
  { name: "toEDN", code: "closed", run: () => disposedDb().toEDN() },
  { name: "schema", code: "closed", run: () => disposedDb().schema() },
  { name: "maxTx", code: "closed", run: () => disposedDb().maxTx },
  { name: "maxEid", code: "closed", run: () => disposedDb().maxEid },
  { name: "d.dbWith", code: "closed", run: () => d.dbWith(disposedDb(), []) },
  { name: "d.pull", code: "closed", run: () => d.pull(disposedDb(), "[*]", 1) },
  { name: "d.pullMany", code: "closed", run: () => d.pullMany(disposedDb(), "[*]", [1]) },
  { name: "d.q with it as the only source", code: "closed", run: () => d.q("[:find ?e :where [?e :p/name]]", disposedDb()) },
  { name: "d.q with it among the inputs", code: "closed", run: () => d.q("[:find ?x . :in $ ?x]", FIXTURE, disposedDb()) },
  { name: "a reverse ref of an entity taken before dispose", code: "closed",
    run: () => { const db = FIXTURE.with([]); const e = db.entity(2); db.dispose(); return e.get("p/_r"); } },
  { name: "an object that only pretends to be a Db (q)", code: "invalid-input",
    run: () => d.q("[:find ?e :where [?e :p/name]]", Object.create(d.Db.prototype)) },
  { name: "an object that only pretends to be a Db (pull)", code: "invalid-input", run: () => d.pull(Object.create(d.Db.prototype), "[*]", 1) },
]);

async function closedMemoryConn() {
  const conn = await d.connect({ schema: SCHEMA });
  await conn.transact(SEED);
  await conn.close();
  return conn;
}
async function closedFileConn() {
  const conn = await d.connect({ schema: SCHEMA, store: { backend: "file", path: newDir() } });
  await conn.transact(SEED);
  await conn.close();
  return conn;
}
asyncTable("closed connections", [
  { name: "memory: gc", code: "closed", run: async () => (await closedMemoryConn()).gc() },
  { name: "memory: transactSync", code: "closed", run: async () => (await closedMemoryConn()).transactSync([{ "p/name": "X" }]) },
  { name: "memory: transact of garbage (closed wins)", code: "closed", run: async () => (await closedMemoryConn()).transact("[[:db/add") },
  { name: "memory: transactAsync of garbage (closed wins)", code: "closed", run: async () => (await closedMemoryConn()).transactAsync(42) },
  { name: "memory: load of garbage (closed wins)", code: "closed", run: async () => (await closedMemoryConn()).load("nope") },
  { name: "file: transact", code: "closed", run: async () => (await closedFileConn()).transact([{ "p/name": "X" }]) },
  { name: "file: transactAsync", code: "closed", run: async () => (await closedFileConn()).transactAsync([{ "p/name": "X" }]) },
  { name: "file: db()", code: "closed", run: async () => (await closedFileConn()).db() },
  { name: "file: stats()", code: "closed", run: async () => (await closedFileConn()).stats() },
  { name: "file: flush", code: "closed", run: async () => (await closedFileConn()).flush() },
  { name: "file: load", code: "closed", run: async () => (await closedFileConn()).load([[1, "p/age", 1]]) },
  { name: "file: gc", code: "closed", run: async () => (await closedFileConn()).gc() },
  { name: "restore from a closed connection", code: "closed", run: async () => d.restore({ source: await closedMemoryConn(), dest: {} }) },
  { name: "restore from a disposed Db", code: "closed", run: () => d.restore({ source: disposedDb(), dest: {} }) },
]);

// ================================================================== 15. wrong argument types

const WEIRD = { undefined, null: null, number: 42, NaN, bigint: 5n, symbol: Symbol("s"), function: () => 1, object: { a: 1 } };

readTable("wrong argument types: Db reads", [
  ...["number", "undefined", "null", "symbol", "function", "bigint"].map((k) => ({
    name: `q with a ${k} as the query`, code: "invalid-input", run: (db) => db.q(WEIRD[k]) })),
  ...["number", "undefined", "symbol", "function", "bigint"].map((k) => ({
    name: `pull with a ${k} as the pattern`, code: "invalid-input", run: (db) => db.pull(WEIRD[k], 1) })),
  ...["undefined", "null", "symbol", "function", "object", "NaN"].map((k) => ({
    name: `pull of a ${k} entity`, code: "invalid-input", run: (db) => db.pull("[*]", WEIRD[k]) })),
  ...["undefined", "null", "symbol", "object"].map((k) => ({
    name: `pullMany with a ${k} instead of ids`, code: "invalid-input", run: (db) => db.pullMany("[*]", WEIRD[k]) })),
  { name: "pullMany with a hole in the ids", code: "invalid-input", run: (db) => db.pullMany("[*]", [1, , 2]) },
  { name: "pullMany with a function among the ids", code: "invalid-input", run: (db) => db.pullMany("[*]", [1, () => 2]) },
  ...["number", "undefined", "null", "symbol", "object"].map((k) => ({
    name: `datoms with a ${k} as the index`, code: "invalid-input", run: (db) => db.datoms(WEIRD[k]) })),
  { name: "datoms with 5 components", code: "invalid-input", run: (db) => db.datoms("eavt", 1, "p/name", "Ivan", 1, true) },
  { name: "datoms with a number as the attribute", code: "invalid-input", run: (db) => db.datoms("aevt", 5) },
  { name: "datoms with an empty attribute", code: "invalid-input", run: (db) => db.datoms("aevt", "") },
  { name: "seekDatoms with an unknown index", code: "invalid-input", run: (db) => [...db.seekDatoms("zzz")] },
  { name: "indexRange with a number as the attribute", code: "invalid-input", run: (db) => db.indexRange(5, 1, 2) },
  { name: "indexRange with strings on a long attribute", code: "type-mismatch", run: (db) => db.indexRange("p/age", "a", "b") },
  { name: "indexRange with a Symbol bound", code: "invalid-input", run: (db) => db.indexRange("p/age", Symbol("s"), 2) },
  ...["undefined", "null", "symbol", "function", "object", "bigint"].map((k) => ({
    name: `asOf with a ${k}`, code: "invalid-input", run: (db) => db.asOf(WEIRD[k]) })),
  { name: "asOf with a fraction", code: "invalid-input", run: (db) => db.asOf(1.5) },
  { name: "since with an object", code: "invalid-input", run: (db) => db.since({}) },
  { name: "entid with a function", code: "invalid-input", run: (db) => db.entid(() => 1) },
  { name: "entid with a one-element lookup ref", code: "invalid-input", run: (db) => db.entid(["p/name"]) },
  { name: "entid with a number as the lookup attribute", code: "invalid-input", run: (db) => db.entid([5, "x"]) },
  { name: "entity with a plain string", code: "invalid-input", run: (db) => db.entity("abc") },
  { name: "entity with -1", code: "invalid-input", run: (db) => db.entity(-1) },
  { name: "entity with a Symbol", code: "invalid-input", run: (db) => db.entity(Symbol("s")) },
  { name: "entity.get with a number", code: "invalid-input", run: (db) => db.entity(1).get(5) },
  { name: "entity.get with an empty string", code: "invalid-input", run: (db) => db.entity(1).get("") },
  { name: "with a function as tx-data", code: "invalid-input", run: (db) => db.with(() => []) },
  { name: "with a Set as tx-data", code: "invalid-input", run: (db) => db.with(new Set()) },
  { name: "with an array as tx meta", code: "invalid-input", run: (db) => db.with([], [1]) },
  { name: "explain with a number", code: "invalid-input", run: (db) => db.explain(42) },
  { name: "query input: a Symbol", code: "invalid-input", run: q("[:find ?e :in $ ?n :where [?e :p/name ?n]]", Symbol("x")) },
  { name: "query input: a function", code: "invalid-input", run: q("[:find ?e :in $ ?n :where [?e :p/name ?n]]", () => 1) },
  { name: "query input: a WeakMap", code: "invalid-input", run: q("[:find ?e :in $ ?n :where [?e :p/name ?n]]", new WeakMap()) },
  { name: "query input: a class instance", code: "invalid-input", run: q("[:find ?e :in $ ?n :where [?e :p/name ?n]]", new (class Thing {})()) },
  { name: "query input: an invalid Date", code: "invalid-input", run: q("[:find ?e :in $ ?n :where [?e :p/i ?n]]", new Date(NaN)) },
  { name: "query input: a Promise", code: "invalid-input", run: q("[:find ?e :in $ ?n :where [?e :p/name ?n]]", Promise.resolve(1)) },
]);

readTable("wrong argument types: module functions", [
  { name: "emptyDb with a Symbol", code: "invalid-input", run: () => d.emptyDb(Symbol("s")) },
  { name: "emptyDb with an array", code: "invalid-input", run: () => d.emptyDb([]) },
  { name: "emptyDb with a Map", code: "invalid-input", run: () => d.emptyDb(new Map()) },
  { name: "emptyDb with a class instance", code: "invalid-input", run: () => d.emptyDb(new (class Schema {})()) },
  { name: "emptyDb with a number as a definition", code: "invalid-input", run: () => d.emptyDb({ a: 5 }) },
  { name: "emptyDb with an array as a definition", code: "invalid-input", run: () => d.emptyDb({ a: [] }) },
  { name: "emptyDb with a number as value type", code: "schema-violation", run: () => d.emptyDb({ a: { "db/valueType": 5 } }) },
  { name: "emptyDb with an empty attribute name", code: "invalid-input", run: () => d.emptyDb({ "": {} }) },
  { name: "dbWith with a non-Db", code: "invalid-input", run: () => d.dbWith({}, []) },
  { name: "pull (free) with undefined as the db", code: "invalid-input", run: () => d.pull(undefined, "[*]", 1) },
  { name: "pullMany (free) with an object as the db", code: "invalid-input", run: () => d.pullMany({}, "[*]", [1]) },
  { name: "q (free) with a number as the query", code: "invalid-input", run: () => d.q(5, FIXTURE) },
  { name: "kw with a number", code: "invalid-input", run: () => d.kw(5) },
  { name: "kw with an empty string", code: "invalid-input", run: () => d.kw("") },
  { name: "kw with a lone colon", code: "invalid-input", run: () => d.kw(":") },
  { name: "kw with undefined", code: "invalid-input", run: () => d.kw(undefined) },
  { name: "uuid with garbage", code: "invalid-input", run: () => d.uuid("abc") },
  { name: "uuid with a number", code: "invalid-input", run: () => d.uuid(5) },
  { name: "uuid with an object", code: "invalid-input", run: () => d.uuid({}) },
  { name: "initDb with an object", code: "invalid-input", run: () => d.initDb({}) },
  { name: "initDb with a number datom", code: "invalid-input", run: () => d.initDb([5]) },
  { name: "initDb with a string entity id", code: "invalid-input", run: () => d.initDb([["a", "x", 1]]) },
  { name: "initDb with entity id 0", code: "invalid-input", run: () => d.initDb([[0, "x", 1]]) },
  { name: "initDb with entity id -1", code: "invalid-input", run: () => d.initDb([[-1, "x", 1]]) },
  { name: "initDb with a fractional entity id", code: "invalid-input", run: () => d.initDb([[1.5, "x", 1]]) },
  { name: "initDb with a number attribute", code: "invalid-input", run: () => d.initDb([[1, 5, 1]]) },
  { name: "initDb with a string tx", code: "invalid-input", run: () => d.initDb([[1, "a", 1, "x"]]) },
  { name: "initDb with a nil value", code: "invalid-input", run: () => d.initDb([[1, "a", null]]) },
  { name: "initDb with a value of the wrong type", code: "type-mismatch", run: () => d.initDb([[1, "p/age", "x"]], SCHEMA) },
  { name: "deserialize with a string", code: "invalid-input", run: () => d.deserialize("abc") },
  { name: "deserialize with an ArrayBuffer", code: "invalid-input", run: () => d.deserialize(new ArrayBuffer(8)) },
  { name: "deserialize with a Uint16Array", code: "invalid-input", run: () => d.deserialize(new Uint16Array(4)) },
  { name: "deserialize with a DataView", code: "invalid-input", run: () => d.deserialize(new DataView(new ArrayBuffer(30))) },
  { name: "deserialize with null", code: "invalid-input", run: () => d.deserialize(null) },
  { name: "fromSerializable with a Symbol", code: "invalid-input", run: () => d.fromSerializable(Symbol("s")) },
  { name: "fromEDN with a number", code: "invalid-input", run: () => d.fromEDN(42) },
  { name: "fromEDN with null", code: "invalid-input", run: () => d.fromEDN(null) },
]);

asyncTable("wrong argument types: connections, stores, restore", [
  { name: "connect with a number", code: "invalid-input", run: () => d.connect(5) },
  { name: "connect with a string", code: "invalid-input", run: () => d.connect("memory") },
  { name: "connect with a number as store", code: "invalid-input", run: () => d.connect({ store: 5 }) },
  { name: "connect with a number as backend", code: "store-error", run: () => d.connect({ store: { backend: 5 } }) },
  { name: "connect with an unknown backend", code: "store-error", run: () => d.connect({ store: { backend: "floppy" } }) },
  { name: "connect file with a number path", code: "invalid-input", run: () => d.connect({ store: { backend: "file", path: 5 } }) },
  { name: "connect file with an empty path", code: "invalid-input", run: () => d.connect({ store: { backend: "file", path: "" } }) },
  { name: "connect file with a NUL in the path", code: "invalid-input", run: () => d.connect({ store: { backend: "file", path: path.join(TMP, "a\u0000b") } }) },
  { name: "connect file under a regular file", code: "store-error",
    run: () => { const f = path.join(TMP, `file-${++dirCount}`); fs.writeFileSync(f, "x"); return d.connect({ store: { backend: "file", path: path.join(f, "sub") } }); } },
  { name: "connect with a number as durability", code: "invalid-input", run: () => d.connect({ store: { backend: "file", path: newDir() }, durability: 5 }) },
  { name: "connect with negative cacheBytes", code: "invalid-input", run: () => d.connect({ store: { backend: "file", path: newDir() }, cacheBytes: -5 }) },
  { name: "connect with NaN cacheBytes", code: "invalid-input", run: () => d.connect({ store: { backend: "file", path: newDir() }, cacheBytes: NaN }) },
  { name: "connect with a bad schema", code: "schema-violation", run: () => d.connect({ schema: { a: { "db/valueType": "db.type/zz" } } }) },
  { name: "connect a file store with a bad schema", code: "schema-violation",
    run: () => d.connect({ schema: { a: { "db/valueType": "db.type/zz" } }, store: { backend: "file", path: newDir() } }) },
  { name: "connect a file store with garbage schema EDN", code: "parse-error", run: () => d.connect({ schema: "{:a", store: { backend: "file", path: newDir() } }) },
  { name: "connect tiered without a backend store", code: "invalid-input", run: () => d.connect({ store: { backend: "tiered", frontend: 5 } }) },
  { name: "connect custom without open()", code: "invalid-input", run: () => d.connect({ store: { backend: "custom", name: "c1" } }) },
  { name: "connect custom whose open() throws", code: "store-error",
    run: () => d.connect({ store: { backend: "custom", name: "c2", open: async () => { throw new Error("nope"); } } }) },
  { name: "connect custom whose open() returns a number", code: "store-error", run: () => d.connect({ store: { backend: "custom", name: "c3", open: async () => 5 } }) },
  { name: "connect custom whose root record is garbage", code: "store-error",
    run: () => d.connect({ store: { backend: "custom", name: "c4", open: async () => ({
      get: () => null, put() {}, del() {}, list: () => [], readRoot: () => new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]), writeRoot() {}, sync() {},
    }) } }) },
  { name: "createDatabase with a number", code: "invalid-input", run: () => d.createDatabase(5) },
  { name: "createDatabase of an existing memory db", code: "invalid-input",
    run: async () => { const config = { store: { backend: "memory", id: `dup-${++dirCount}` } }; await d.createDatabase(config); await d.createDatabase(config); } },
  { name: "deleteDatabase of an open file db", code: "store-error",
    run: async () => {
      const store = { backend: "file", path: newDir() };
      const conn = await d.connect({ store });
      try { await d.deleteDatabase({ store }); } finally { await conn.close(); }
    } },
  { name: "databaseExists with an unknown backend", code: "store-error", run: () => d.databaseExists({ store: { backend: "zzz" } }) },
  { name: "databaseExists with a number", code: "invalid-input", run: () => d.databaseExists(7) },
  { name: "restore without options", code: "invalid-input", run: () => d.restore() },
  { name: "restore with a number", code: "invalid-input", run: () => d.restore(5) },
  { name: "restore from a number", code: "invalid-input", run: () => d.restore({ source: 5, dest: {} }) },
  { name: "restore to a number", code: "invalid-input", run: () => d.restore({ source: FIXTURE, dest: 5 }) },
  { name: "restore with a negative batch size", code: "invalid-input", run: () => d.restore({ source: FIXTURE, dest: {}, maxBatchSize: -1 }) },
  { name: "restore with a NaN batch size", code: "invalid-input", run: () => d.restore({ source: FIXTURE, dest: {}, maxBatchSize: NaN }) },
  { name: "restore with a non-function onProgress", code: "invalid-input", run: () => d.restore({ source: FIXTURE, dest: {}, onProgress: 5 }) },
]);

// Connection methods with wrong arguments: the connection must keep its value.
async function seededConn() {
  const conn = await d.connect({ schema: SCHEMA });
  await conn.transact(SEED);
  return conn;
}
describe("wrong argument types: connection methods leave the connection as it was", () => {
  const cases = [
    { name: "listen with a number", code: "invalid-input", run: (conn) => conn.listen(5) },
    { name: "registerFn with a number as name", code: "invalid-input", run: (conn) => conn.registerFn(5, () => []) },
    { name: "registerFn without a function", code: "invalid-input", run: (conn) => conn.registerFn("f", 5) },
    { name: "load with a string", code: "invalid-input", run: (conn) => conn.load("x") },
    { name: "load with a number datom", code: "invalid-input", run: (conn) => conn.load([5]) },
    { name: "load with a string entity id (would be a tempid)", code: "invalid-input", run: (conn) => conn.load([["x", "p/s", "a"]]) },
    { name: "load with a value of the wrong type", code: "type-mismatch", run: (conn) => conn.load([[1, "p/age", "x"]]) },
    { name: "gc with a number", code: "invalid-input", run: (conn) => conn.gc(5) },
    { name: "transactAsync with a number", code: "invalid-input", run: (conn) => conn.transactAsync(5) },
    { name: "transact with a Symbol as tx meta", code: "invalid-input", run: (conn) => conn.transact([], Symbol("m")) },
    { name: "transactSync with an object as tx-data", code: "invalid-input", run: (conn) => conn.transactSync({ "p/name": "X" }) },
    { name: "a transaction function that throws an Error", code: "invalid-input",
      run: (conn) => conn.transact([[":db.fn/call", () => { throw new Error("boom"); }]]) },
    { name: "a transaction function that throws a number", code: "invalid-input",
      run: (conn) => conn.transact([[":db.fn/call", () => { throw 42; }]]) },
    { name: "a transaction function that returns a number", code: "invalid-input", run: (conn) => conn.transact([[":db.fn/call", () => 5]]) },
    { name: "a transaction function that returns bad tx-data", code: "type-mismatch",
      run: (conn) => conn.transact([[":db.fn/call", () => [[":db/add", 1, "p/age", "x"]]]]) },
    { name: "a registered function that returns a string", code: "invalid-input",
      run: (conn) => { conn.registerFn("bad", () => "[:db/add 1 :p/age 1]"); return conn.transact([[":db.fn/call", "bad"]]); } },
    { name: "a transaction function that transacts on its own connection", code: "invalid-input",
      run: (conn) => conn.transact([[":db.fn/call", () => { conn.transactSync([{ "p/name": "Inner" }]); return [{ "p/name": "Outer" }]; }]]) },
    { name: "a transaction function that loads into its own connection", code: "invalid-input",
      run: async (conn) => {
        let inner;
        await conn.transact([[":db.fn/call", () => { inner = conn.load([[1, "p/age", 99]]); return []; }]]).catch(() => {});
        await inner;
      } },
  ];
  for (const c of cases) {
    test(c.name, opts(c), async () => {
      const conn = await seededConn();
      const before = conn.db();
      const beforeListing = listing(before);
      assertError(await rejected(() => c.run(conn)), c.code);
      // A transaction in the load case may have committed (it returned []):
      // what must never happen is a lost or half-applied write.
      if (conn.db() !== before) assert.equal(conn.db().q("[:find ?a . :where [1 :p/age ?a]]"), 30);
      else assert.equal(listing(conn.db()), beforeListing);
      await conn.transact([{ "p/name": "Next" }]);
      assert.equal(typeof conn.db().entid(["p/name", "Next"]), "number");
      await conn.close();
      await assertHealthy();
    });
  }
});

describe("file store: a failed transaction changes nothing on disk either", () => {
  const cases = [
    { name: "a type mismatch", code: "type-mismatch", tx: [{ "p/name": "X", "p/age": "x" }] },
    { name: "garbage EDN", code: "parse-error", tx: "[{:p/name" },
    { name: "a lone surrogate", code: "invalid-input", tx: [{ "p/name": "\ud800" }] },
    { name: "a unique conflict", code: "unique-conflict", tx: [{ "p/name": "Other", "p/email": "ivan@x" }] },
    { name: "deep nesting", code: "limit-exceeded", make: () => [nestMaps(100_000, "p/r", { "p/name": "leaf" })] },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const store = { backend: "file", path: newDir() };
      const conn = await d.connect({ schema: SCHEMA, store });
      await conn.transact(SEED);
      const before = listing(conn.db());
      assertError(await rejected(() => conn.transact(c.make ? c.make() : c.tx)), c.code);
      assert.equal(listing(conn.db()), before);
      await conn.close();
      const again = await d.connect({ store });
      assert.equal(listing(again.db()), before, "the reopened store holds what it held before");
      await again.transact([{ "p/name": "Next" }]);
      await again.close();
      await assertHealthy();
    });
  }
});
