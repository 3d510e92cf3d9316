// API.md section 8: every failure is a DataliteError with a stable code and a
// message naming the offending input; a failed call changes nothing and
// leaves the connection usable.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { d, PEOPLE_SCHEMA, assertCode, assertRejectsCode } from "./support/helpers.mjs";

await d.init({ threads: false });

const SCHEMA = {
  ...PEOPLE_SCHEMA,
  "a+b": { "db/valueType": "db.type/tuple", "db/tupleAttrs": ["a", "b"] },
};

// Runs a failing transaction on a connection with data in it and checks the
// error, that nothing changed (same db value, same datoms, no listener call)
// and that the next transaction still works.
async function assertAtomicFailure(txData, code, messagePattern) {
  const conn = await d.connect({ schema: SCHEMA });
  await conn.transact([{ ":db/id": 1, "person/name": "Ivan", "person/email": "ivan@x", "person/age": 30, "a": 1, "b": 2 }]);
  const before = conn.db();
  const datomsBefore = before.datoms("eavt");
  let notified = 0;
  conn.listen(() => notified++);

  await assertRejectsCode(conn.transact(txData), code, messagePattern);

  assert.equal(conn.db(), before, "the connection still holds the value from before the failed transaction");
  assert.deepEqual(conn.db().datoms("eavt"), datomsBefore);
  assert.equal(notified, 0, "listeners are not called for a failed transaction");
  const next = await conn.transact([{ "person/name": "Petr" }]);
  assert.equal(next.tx, before.maxTx + 1, "the failed transaction did not use up a tx id");
  assert.equal(conn.db().entid(["person/name", "Petr"]), 2, "the failed transaction did not use up entity ids");
  assert.equal(notified, 1);
}

test("DataliteError is an Error with a code; ERROR_CODES lists the stable codes", () => {
  const err = new d.DataliteError("not-found", "x");
  assert.ok(err instanceof Error);
  assert.equal(err.name, "DataliteError");
  assert.equal(err.code, "not-found");
  assert.deepEqual([...d.ERROR_CODES].sort(), ["cas-failed", "closed", "invalid-input", "limit-exceeded", "not-found",
    "parse-error", "schema-violation", "store-error", "type-mismatch", "unique-conflict"]);
});

describe("each error code: the failed transaction changes nothing and the conn keeps working", () => {
  test("parse-error: malformed EDN tx-data", () =>
    assertAtomicFailure(`[{:person/name "X" :person/age 3`, "parse-error", /unterminated/));

  test("schema-violation: asserting a composite tuple attribute directly", () =>
    assertAtomicFailure([{ "person/name": "X" }, [":db/add", 1, "a+b", [5, 6]]], "schema-violation", /a\+b/));

  test("schema-violation: a schema entity with an unknown value type", () =>
    assertAtomicFailure([{ "db/ident": ":x/y", "db/valueType": ":db.type/nope" }], "schema-violation", /db\.type\/nope/));

  test("unique-conflict: a :db.unique/value held by another entity", () =>
    assertAtomicFailure([{ "person/name": "Petr", "person/email": "ivan@x" }], "unique-conflict", /ivan@x/));

  test("unique-conflict: two new entities with the same :db.unique/value", () =>
    assertAtomicFailure([{ "person/email": "same" }, { "person/email": "same" }], "unique-conflict", /same/));

  test("type-mismatch: a string for a :db.type/long attribute", () =>
    assertAtomicFailure([{ "person/name": "X" }, { ":db/id": 1, "person/age": "thirty" }], "type-mismatch", /person\/age/));

  test("type-mismatch: a number for a :db.type/string attribute", () =>
    assertAtomicFailure([[":db/add", 1, "person/nick", 5]], "type-mismatch", /person\/nick/));

  test("cas-failed: a stale :db/cas", () =>
    assertAtomicFailure([[":db/add", 1, "person/nick", "v"], [":db/cas", 1, "person/age", 29, 31]], "cas-failed", /person\/age/));

  test("not-found: a lookup ref to nothing as an entity to add to", () =>
    assertAtomicFailure([[":db/add", ["person/name", "Nobody"], "person/age", 1]], "not-found", /Nobody/));

  test("not-found: a lookup ref to nothing as a ref value", () =>
    assertAtomicFailure([{ "person/name": "X", "person/best": ["person/name", "Nobody"] }], "not-found", /Nobody/));

  test("not-found: an unregistered transaction function", () =>
    assertAtomicFailure([{ "person/name": "X" }, [":db.fn/call", "no-such-fn"]], "not-found", /no-such-fn/));

  test("invalid-input: an item that is neither a map nor an op vector", () =>
    assertAtomicFailure([{ "person/name": "X" }, 42], "invalid-input", /42/));

  test("invalid-input: wrong arity of :db/add", () =>
    assertAtomicFailure([[":db/add", 1, "person/age"]], "invalid-input", /db\/add/));

  test("invalid-input: an unknown operation", () =>
    assertAtomicFailure([[":db/frobnicate", 1]], "invalid-input", /frobnicate/));

  test("invalid-input: a tempid used only as a value", () =>
    assertAtomicFailure([{ "person/name": "X", "person/best": "dangling" }], "invalid-input", /dangling/));

  test("invalid-input: tx meta that is not an object", async () => {
    const conn = await d.connect({ schema: SCHEMA });
    await assertRejectsCode(conn.transact([{ "person/name": "X" }], 42), "invalid-input", /42/);
    assert.equal(conn.db().count, 0);
    await conn.transact([{ "person/name": "X" }]);
    assert.equal(conn.db().count, 2);
  });

  test("limit-exceeded: deeply nested EDN tx-data text", () =>
    assertAtomicFailure("[" + "[".repeat(100_000) + "]".repeat(100_000) + "]", "limit-exceeded", /nest/));

  test("limit-exceeded: entity maps nested too deep", () => {
    let map = { "person/name": "leaf" };
    for (let i = 0; i < 200; i++) map = { "person/best": map };
    return assertAtomicFailure([map], "limit-exceeded", /nested/);
  });

  test("limit-exceeded: transaction functions calling themselves forever", () => {
    const forever = (db) => [[":db.fn/call", forever]];
    return assertAtomicFailure([[":db.fn/call", forever]], "limit-exceeded", /nested/);
  });
});

describe("errors of reads", () => {
  const db = d.emptyDb(SCHEMA).with([{ "person/name": "Ivan" }]);

  test("parse-error: malformed query, pull pattern and schema EDN", () => {
    assertCode(() => db.q("[:find ?e :where [?e"), "parse-error");
    assertCode(() => db.pull("[:person/name", 1), "parse-error");
    assertCode(() => d.emptyDb("{:a {:db/unique"), "parse-error");
    assertCode(() => d.q("[:find ?x :in ?x]", db), "invalid-input");
  });

  test("parse-error or invalid-input for queries that are valid EDN but not valid Datalog", () => {
    assertCode(() => db.q("[:find ?e :where [?x :person/name]]"), "parse-error", /\?e/);
    assertCode(() => db.q("{:find 1}"), "parse-error");
  });

  test("schema-violation: an invalid schema given to emptyDb", () => {
    assertCode(() => d.emptyDb({ x: { "db/valueType": "db.type/nope" } }), "schema-violation", /db\.type\/nope/);
    assertCode(() => d.emptyDb({ x: { "db/cardinality": "db.cardinality/some" } }), "schema-violation", /:x/);
  });

  test("invalid-input: wrong argument types at the JS boundary", () => {
    assertCode(() => db.q({ find: "?e" }), "invalid-input", /query/);
    assertCode(() => db.pull(["*"], 1), "invalid-input", /pattern/);
    assertCode(() => db.pullMany("[*]", 1), "invalid-input", /array/);
    assertCode(() => db.datoms("xyz"), "invalid-input", /xyz/);
    assertCode(() => db.asOf("yesterday"), "invalid-input", /yesterday/);
    assertCode(() => db.with(42), "invalid-input");
    assertCode(() => d.emptyDb(42), "invalid-input");
    assertCode(() => d.initDb("nope"), "invalid-input");
    assertCode(() => d.pull("not a db", "[*]", 1), "invalid-input");
    assertCode(() => db.entity(true), "invalid-input");
  });

  test("invalid-input: a lookup ref on a non-unique attribute", () => {
    assertCode(() => db.entid(["person/age", 3]), "invalid-input", /person\/age/);
  });

  test("limit-exceeded: deeply nested query inputs and query text", () => {
    const nested = JSON.parse("[".repeat(300) + "]".repeat(300));
    assertCode(() => d.q("[:find ?x . :in ?x]", nested), "limit-exceeded");
    assertCode(() => db.q("[:find ?x . :where [(ground " + "[".repeat(100_000) + "]".repeat(100_000) + ") ?x]]"), "limit-exceeded");
  });

  test("a failed read leaves the db usable", () => {
    assertCode(() => db.q("[:find"), "parse-error");
    assert.equal(db.q("[:find ?n . :where [_ :person/name ?n]]"), "Ivan");
  });
});

describe("closed", () => {
  test("a closed connection rejects transactions and reads with closed", async () => {
    const conn = await d.connect({ schema: SCHEMA });
    await conn.transact([{ "person/name": "Ivan" }]);
    const db = conn.db();
    await conn.close();
    await assertRejectsCode(conn.transact([{ "person/name": "Petr" }]), "closed");
    await assertRejectsCode(conn.transactAsync([{ "person/name": "Petr" }]), "closed");
    assertCode(() => conn.db(), "closed");
    assertCode(() => conn.stats(), "closed");
    await assertRejectsCode(conn.flush(), "closed");
    await assertRejectsCode(conn.load([]), "closed");
    // values taken before close stay readable; close is idempotent
    assert.equal(db.q("[:find ?n . :where [_ :person/name ?n]]"), "Ivan");
    await conn.close();
  });

  test("a disposed Db rejects every use with closed", () => {
    const db = d.emptyDb(SCHEMA).with([{ "person/name": "Ivan" }]);
    const entity = db.entity(1);
    const other = d.emptyDb();
    db.dispose();
    assert.equal(db.disposed, true);
    assertCode(() => db.q("[:find ?e :where [?e _ _]]"), "closed");
    assertCode(() => d.q("[:find ?e :in $ $2 :where [$2 ?e _ _]]", other, db), "closed");
    assertCode(() => db.pull("[*]", 1), "closed");
    assertCode(() => db.datoms("eavt"), "closed");
    assertCode(() => [...db.seekDatoms("eavt")], "closed");
    assertCode(() => db.with([]), "closed");
    assertCode(() => db.asOf(1), "closed");
    assertCode(() => db.history(), "closed");
    assertCode(() => db.count, "closed");
    assertCode(() => entity.get("person/name"), "closed");
    assertCode(() => entity.touch(), "closed");
    db.dispose();  // idempotent
    assert.equal(other.count, 0);
  });
});
