// Wasm memory: Db values are freed by dispose() (and by the
// FinalizationRegistry when forgotten); repeated work does not grow the heap.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import v8 from "node:v8";
import vm from "node:vm";
import { d } from "./support/helpers.mjs";

await d.init({ threads: false });

const CYCLES = 10_000;
const MAX_GROWTH = 1024 * 1024;  // bytes of wasm heap allowed to stay allocated after the loop

// A callable gc(): node --expose-gc gives globalThis.gc; otherwise enable the
// flag at run time (V8 supports this) and fetch gc from a fresh context.
function findGc() {
  if (typeof globalThis.gc === "function") return globalThis.gc;
  try {
    v8.setFlagsFromString("--expose-gc");
    return vm.runInNewContext("gc");
  } catch {
    return undefined;
  }
}
const gc = findGc();

const tick = () => new Promise((resolve) => setImmediate(resolve));

async function collectGarbage() {
  for (let i = 0; i < 10; i++) {
    gc();
    await tick();
  }
}

describe("explicit dispose()", () => {
  const schema = { "item/n": { "db/index": true }, "item/tags": { "db/cardinality": "db.cardinality/many" } };

  test(`no growth of the wasm heap over ${CYCLES} db.with + dispose cycles`, () => {
    const base = d.emptyDb(schema).with([{ "item/n": -1, "item/tags": ["x"] }]);
    // warm up allocator pools and caches before measuring
    for (let i = 0; i < 100; i++) base.with([{ "item/n": i }]).dispose();
    const before = d.engineStats();
    for (let i = 0; i < CYCLES; i++) {
      const db = base.with([{ "item/n": i, "item/tags": ["a", "b"] }]);
      if (i % 1000 === 0) assert.equal(db.count, 7);
      db.dispose();
    }
    const after = d.engineStats();
    assert.equal(after.liveDbs, before.liveDbs);
    assert.ok(after.heapBytes - before.heapBytes < MAX_GROWTH,
      `heap grew by ${after.heapBytes - before.heapBytes} bytes`);
    base.dispose();
  });

  test(`no growth of the wasm heap over ${CYCLES} emptyDb + dispose cycles`, () => {
    for (let i = 0; i < 100; i++) d.emptyDb(schema).dispose();
    const before = d.engineStats();
    for (let i = 0; i < CYCLES; i++) {
      const db = i % 2 === 0 ? d.emptyDb(schema) : d.emptyDb();
      db.dispose();
    }
    const after = d.engineStats();
    assert.equal(after.liveDbs, before.liveDbs);
    assert.ok(after.heapBytes - before.heapBytes < MAX_GROWTH,
      `heap grew by ${after.heapBytes - before.heapBytes} bytes`);
  });

  test("views, transactions on a connection and their dispose() release every handle", async () => {
    const before = d.engineStats();
    const conn = await d.connect({ schema });
    const reports = [];
    for (let i = 0; i < 50; i++) reports.push(await conn.transact([{ "item/n": i }]));
    const views = [conn.db().history(), conn.db().asOf(reports[10].tx), conn.db().since(reports[10].tx)];
    assert.equal(d.engineStats().liveDbs, before.liveDbs + 1 + 50 + 3);  // empty db + one per tx + views
    for (const view of views) view.dispose();
    for (const r of reports) r.dbBefore.dispose();
    await conn.close();
    reports.at(-1).dbAfter.dispose();
    assert.equal(d.engineStats().liveDbs, before.liveDbs);
  });

  test(`${CYCLES} distinct query and pull texts keep the parse caches bounded`, () => {
    const db = d.emptyDb(schema).with([{ "db/id": 1, "item/n": 0 }]);
    for (let i = 0; i < 300; i++) db.q(`[:find ?e . :where [?e :item/n ${-i}]]`);
    const before = d.engineStats();
    for (let i = 0; i < CYCLES; i++) {
      db.q(`[:find ?e . :where [?e :item/n ${i}]]`);
      db.pull(`[:item/n :x${i}]`, 1);
    }
    const after = d.engineStats();
    assert.ok(after.heapBytes - before.heapBytes < MAX_GROWTH,
      `heap grew by ${after.heapBytes - before.heapBytes} bytes`);
    db.dispose();
  });
});

describe("FinalizationRegistry", () => {
  test("forgotten Db values are released after garbage collection", { skip: gc ? false : "gc() is not available" }, async () => {
    await collectGarbage();
    const baseline = d.engineStats().liveDbs;
    (() => {
      const base = d.emptyDb();
      for (let i = 0; i < 200; i++) base.with([{ n: i }]);
    })();
    assert.ok(d.engineStats().liveDbs >= baseline + 150, "the values are alive before collection");
    await collectGarbage();
    assert.ok(d.engineStats().liveDbs <= baseline + 5, `liveDbs ${d.engineStats().liveDbs}, baseline ${baseline}`);
  });

  test("an abandoned, partially consumed seekDatoms iterator releases its cursor after garbage collection",
    { skip: gc ? false : "gc() is not available" }, async () => {
      const db = d.emptyDb().with(Array.from({ length: 100 }, (_, i) => ({ n: i })));
      const baseline = d.engineStats().liveCursors;
      (() => {
        const it = db.seekDatoms("eavt");
        it.next();
      })();
      assert.equal(d.engineStats().liveCursors, baseline + 1);
      await collectGarbage();
      assert.equal(d.engineStats().liveCursors, baseline);
    });
});
