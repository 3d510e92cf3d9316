// Child process of tests/js/bad-input.test.mjs: runs ONE hostile input in a
// fresh engine, so that a case which grows the wasm heap to gigabytes, traps,
// overflows the stack or never returns cannot take the rest of the suite
// with it.
//
//   node tests/js/support/bad-input-child.mjs <case name>
//
// Prints one JSON line: what the call did ({ outcome: "error", errorClass,
// isDataliteError, code, message } or { outcome: "accepted" }), whether the
// connection's value was left unchanged (only asked of failed calls), and
// whether the next valid call (a transact and a query) worked in the same
// engine.
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as d from "../../../js/index.js";

const MB = 1 << 20;
const SCHEMA = {
  "p/name": { "db/unique": "db.unique/identity" },
  "p/s": { "db/valueType": "db.type/string" },
  "p/k": { "db/valueType": "db.type/keyword" },
};

// name -> (conn, db) => any. Each gets a connection holding two entities.
export const CHILD_CASES = {
  // ---- giant strings: accepted or limit-exceeded, never a crash
  "100 MB ASCII string value of a :db.type/string attribute":
    (conn) => conn.transact([{ "p/name": "G", "p/s": "x".repeat(100 * MB) }]),
  "100 MB (UTF-8) string of 2-byte characters as an untyped value":
    (conn) => conn.transact([{ "p/name": "G", "blob": "é".repeat(50 * MB) }]),
  "100 MB attribute name": (conn) => conn.transact([[":db/add", 1, "a".repeat(100 * MB), 1]]),
  "100 MB keyword value": (conn) => conn.transact([[":db/add", 1, "p/k", "k".repeat(100 * MB)]]),
  "100 MB string as a tempid": (conn) => conn.transact([{ ":db/id": "t".repeat(100 * MB), "p/name": "G" }]),
  "100 MB query text": (conn, db) => db.q(`[:find ?e :where [?e :p/name "${"x".repeat(100 * MB)}"]]`),
  "100 MB query input string": (conn, db) => db.q("[:find ?e :in $ ?n :where [?e :p/name ?n]]", "x".repeat(100 * MB)),
  "100 MB EDN tx-data text": (conn) => conn.transact(`[[:db/add 1 :p/s "${"x".repeat(100 * MB)}"]]`),
  "100 MB pull pattern": (conn, db) => db.pull(`[${" ".repeat(100 * MB)}:p/name]`, 1),
  "100 MB EDN schema text": () => d.emptyDb(`{:a {:db/doc "${"x".repeat(100 * MB)}"}}`),
  "100 MB fromEDN text": () => d.fromEDN(`#datalite/db {:datoms [[1 :a "${"x".repeat(100 * MB)}" 536870913]]}`),
  "100 MB fromSerializable JSON text": () => d.fromSerializable(`{"count": 0, "attrs": [], "eavt": [], "pad": "${"x".repeat(100 * MB)}"}`),
  // ---- inputs that drive the engine into deep recursion or endless work
  "re-pattern of 10000 nested groups": (conn, db) =>
    db.q("[:find ?x . :in $ ?p :where [(re-pattern ?p) ?x]]", "(".repeat(10000) + ")".repeat(10000)),
  "a rule that recurses forever on new values": (conn, db) =>
    db.q("[:find ?x :in $ % :where (r 0 ?x)]", "[[(r ?a ?b) [(inc ?a) ?c] (r ?c ?b)]]"),
  "a rule that recurses forever on new values, under maxRuleSteps 1000": (conn, db) => {
    d.setLimits({ maxRuleSteps: 1000 });
    return db.q("[:find ?x :in $ % :where (r 0 ?x)]", "[[(r ?a ?b) [(inc ?a) ?c] (r ?c ?b)]]");
  },
};

const listing = (db) => JSON.stringify(db.datoms("eavt"), (_, v) => (typeof v === "bigint" ? `${v}n` : v));

async function main(name) {
  const run = CHILD_CASES[name];
  if (!run) throw new Error(`no child case ${name}`);
  await d.init({ threads: false });
  const conn = await d.connect({ schema: SCHEMA });
  await conn.transact([{ ":db/id": 1, "p/name": "Ivan", "p/s": "s" }, { ":db/id": 2, "p/name": "Petr" }]);
  const before = conn.db();
  const beforeListing = listing(before);
  const out = {};
  try {
    await run(conn, before);
    out.outcome = "accepted";
  } catch (err) {
    out.outcome = "error";
    out.errorClass = err?.constructor?.name;
    out.isDataliteError = err instanceof d.DataliteError;
    out.code = err?.code;
    out.message = String(err?.message ?? err).slice(0, 300);
    out.unchanged = conn.db() === before && listing(conn.db()) === beforeListing;
  }
  try {
    await conn.transact([{ "p/name": "Next" }]);
    out.nextOk = typeof conn.db().q('[:find ?e . :where [?e :p/name "Next"]]') === "number";
  } catch (err) {
    out.nextOk = false;
    out.nextError = String(err?.message ?? err).slice(0, 300);
  }
  process.stdout.write(JSON.stringify(out) + "\n");
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) await main(process.argv[2]);
