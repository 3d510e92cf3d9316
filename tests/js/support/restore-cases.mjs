// restore() through the package, shared by the single-threaded and the
// threaded test files: the destination must answer like the source (modulo
// entity ids) for dbs with refs, cycles, ref-only entities, components,
// card-many, tuples and history.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { d, assertRejectsCode } from "./helpers.mjs";

const schema = {
  "n/name": { "db/unique": "db.unique/identity" },
  "n/next": { "db/valueType": "db.type/ref" },
  "n/links": { "db/valueType": "db.type/ref", "db/cardinality": "db.cardinality/many" },
  "n/part": { "db/valueType": "db.type/ref", "db/isComponent": true },
  "n/tags": { "db/cardinality": "db.cardinality/many" },
  "n/x": {}, "n/y": { "db/valueType": "db.type/ref" },
  "n/x+y": { "db/valueType": "db.type/tuple", "db/tupleAttrs": ["n/x", "n/y"] },
};

async function sourceConn(n) {
  const conn = await d.connect({ schema });
  let tx = [];
  for (let i = 1; i <= n; i++) {
    const e = 1000 + i;
    if (i % 5 === 0) {
      tx.push(["db/add", e, "n/next", 1000 + (i % n) + 1], ["db/add", e, "n/links", 1000 + ((i * 7) % n) + 1]);
    } else {
      tx.push({ "db/id": e, "n/name": `e${e}`, "n/tags": [`t${i % 3}`, i % 4], "n/next": 1000 + ((i * 13) % n) + 1,
        ...(i % 4 === 0 ? { "n/part": { "n/tags": "part" } } : {}),
        ...(i % 3 === 0 ? { "n/x": i % 5, "n/y": 1000 + ((i * 3) % n) + 1 } : {}) });
    }
    if (tx.length >= 200) {
      await conn.transact(tx);
      tx = [];
    }
  }
  if (tx.length) await conn.transact(tx);
  await conn.transact([["db/retractEntity", ["n/name", "e1001"]], ["db/retract", ["n/name", "e1002"], "n/next"]]);
  return conn;
}

const queries = [
  "[:find ?n ?m :where [?e :n/name ?n] [?e :n/next ?f] [?f :n/name ?m]]",
  "[:find (count ?e) . :where [?e :n/next]]",
  "[:find (count ?l) . :where [_ :n/links ?l]]",
  "[:find ?n ?t :where [?e :n/name ?n] [?e :n/part ?p] [?p :n/tags ?t]]",
  "[:find ?n ?x ?m :where [?e :n/name ?n] [?e :n/x+y ?t] [(untuple ?t) [?x ?y]] [?y :n/name ?m]]",
  "[:find ?n :where [?e :n/name ?n] (not [?e :n/next])]",
  "[:find (count ?e) . :where [?e :n/tags]]",
];

const sorted = (rows) => (Array.isArray(rows) ? [...rows].map((r) => JSON.stringify(r)).sort() : rows);

export function registerRestoreTests(label) {
  test(`${label}: restore into memory answers like the source, both modes`, async () => {
    const source = await sourceConn(1500);
    for (const twoPass of [false, true]) {
      const dest = { store: { backend: "memory", id: `restore-${label}-${twoPass}-${process.pid}` } };
      const progress = [];
      const report = await d.restore({ source, dest, twoPass, maxBatchSize: 200, readChunk: 300, onProgress: (m) => progress.push(m) });
      assert.equal(report.finalPendingCount, 0);
      assert.ok(report.durationSec >= 0);
      assert.ok(report.batches >= 2);
      assert.ok(progress.length >= 1, "progress reported");
      assert.equal(progress.at(-1).datomsWritten, report.datomsWritten);
      for (const k of ["datomsRead", "datomsWritten", "pendingCount", "batches", "lastTxMs", "avgTxMs",
        "batchEfficiency", "utilizationPct", "elapsedMs"]) assert.equal(typeof report[k], "number", k);
      const conn = await d.connect(dest);
      for (const q of queries) assert.deepEqual(sorted(conn.db().q(q)), sorted(source.db().q(q)), q);
      // Ids are remapped: the mapping leads to the same entity.
      const old = source.db().q('[:find ?e . :where [?e :n/name "e1011"]]');
      assert.equal(conn.db().pull("[:n/name]", report.oldToNew(old))[":n/name"], "e1011");
      // No history in the destination.
      const h = conn.db().history().q("[:find (count ?e) . :where [?e :n/next _ _ false]]");
      assert.equal(h ?? 0, 0);
      await conn.close();
    }
    await source.close();
  });

  test(`${label}: restore from a file store into a file store`, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "datalite-restore-"));
    try {
      const src = { schema, store: { backend: "file", path: path.join(dir, "src") } };
      const conn = await d.connect(src);
      const mem = await sourceConn(600);
      await conn.load(mem.db().datoms("eavt").filter((x) => x.e < 536870912).map((x) => [x.e, x.a, x.v]));
      await conn.close();
      const dest = { store: { backend: "file", path: path.join(dir, "dest") } };
      const report = await d.restore({ source: src, dest });
      assert.ok(report.datomsWritten > 0);
      const back = await d.connect(dest);
      for (const q of queries) assert.deepEqual(sorted(back.db().q(q)), sorted(mem.db().q(q)), q);
      await back.close();
      await mem.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test(`${label}: a throw in onProgress stops the restore, which rejects with it; the destination stays empty`, async () => {
    const source = await sourceConn(2000);
    const dest = { store: { backend: "memory", id: `restore-stop-${label}-${process.pid}` } };
    const stop = new Error("stop here");
    let calls = 0;
    await assert.rejects(
      d.restore({ source, dest, maxBatchSize: 50, onProgress: () => { if (++calls === 2) throw stop; } }),
      (err) => err === stop);
    assert.equal(calls, 2);
    const after = await d.connect(dest);
    assert.equal(after.db().count, 0);
    await after.close();
    // The engine and the destination work afterwards.
    const report = await d.restore({ source, dest });
    assert.equal(report.finalPendingCount, 0);
    assert.ok(report.datomsWritten > 0);
    await source.close();
  });

  test(`${label}: bad options and non-empty destinations are clear errors`, async () => {
    const source = await sourceConn(20);
    const dest = { store: { backend: "memory", id: `restore-bad-${label}-${process.pid}` } };
    await assertRejectsCode(d.restore({ source, dest, maxBatchSize: 0 }), "invalid-input");
    await assertRejectsCode(d.restore({ source: 42, dest }), "invalid-input");
    await assertRejectsCode(d.restore({ source }), "invalid-input");
    await assertRejectsCode(d.restore({ source: source.db().history(), dest }), "invalid-input");
    const full = await d.connect(dest);
    await full.transact([{ a: 1 }]);
    await assertRejectsCode(d.restore({ source, dest }), "invalid-input");
    await full.close();
    await source.close();
  });
}
