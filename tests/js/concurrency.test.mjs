// Readers holding old db values while a writer transacts always see
// consistent snapshots (issue 8, hardening): the bank workload of
// support/bank.mjs, its invariants checked on every read.
//   (a) One engine instance, the async API: a writer mixing transact and
//       batched transactAsync calls, and async readers that take conn.db()
//       values, await between reads (microtasks, setImmediate, timers),
//       hold old values, entities and open cursors across awaits, and read
//       them again later. In memory, and on the file store with strict and
//       relaxed durability (the file variants then reopen the store).
//   (b) worker_threads: the main thread commits transfers to a file store
//       (and runs gc twice, which compacts the files to a new generation);
//       three workers on the threaded build keep reopening the directory
//       read-only, check every snapshot, and read the snapshots of the
//       connections they keep open again. They must see newer and newer
//       states and finally the last one.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Worker } from "node:worker_threads";
import { d } from "./support/helpers.mjs";
import { Bank, SCHEMA, checkSnapshot, describeRun, setupTx, stress, writeTransfers } from "./support/bank.mjs";

await d.init({ threads: false });

const root = fs.mkdtempSync(path.join(os.tmpdir(), "datalite-concurrency-"));
after(() => fs.rmSync(root, { recursive: true, force: true }));

// Runs the bank stress (support/bank.mjs) on a connection (a fresh one gets
// the setup transaction first) and checks the pass criteria: no violation,
// the writer got somewhere, the readers read while it ran, saw it
// progress, and finally read its last state.
async function stressChecked(t, conn, { bank, baseTx, readers = 6, budgetMs, min = 60, max = 600 }) {
  if (!bank) {
    await conn.transact(setupTx());
    baseTx = conn.db().maxTx;
    bank = new Bank();
  }
  const r = await stress(conn, bank, { baseTx, readers, budgetMs, min, max });
  t.diagnostic(describeRun(r));
  assert.deepEqual(r.problems, []);
  assert.ok(r.transfers >= min, `only ${r.transfers} transfers`);
  assert.ok(r.concurrentReads >= 2 * readers, "reads interleaved with the writer");
  assert.ok(r.distinct > readers, "the readers saw the writer progress");
  assert.ok(r.rereads >= readers && r.cursorReads >= 1 && r.entityReads >= readers);
  assert.deepEqual(r.lastTs, new Array(readers).fill(bank.k), "every reader read the final state");
  assert.equal(r.final.t, bank.k);
  assert.equal(d.engineStats().liveCursors, 0, "every cursor was closed");
  return { bank, baseTx, final: r.final };
}

test("async API, in memory: readers holding old values see consistent snapshots while transact/transactAsync commit", async (t) => {
  const conn = await d.connect({ schema: SCHEMA });
  await stressChecked(t, conn, { budgetMs: 1200 });
  await conn.close();
});

for (const durability of ["strict", "relaxed"]) {
  test(`async API, file store (${durability}): readers holding old values see consistent snapshots, before and after a reopen (lazily loaded, tiny cache)`, async (t) => {
    const store = { backend: "file", path: path.join(root, `async-${durability}`) };
    // A tiny node cache: after the reopen, reads load nodes from the files
    // and the engine evicts them again between calls, so old values read
    // again load their nodes once more.
    const config = { store, durability, cacheBytes: 16 * 1024, tailMaxTxs: 16 };
    const conn = await d.connect({ schema: SCHEMA, ...config });
    const first = await stressChecked(t, conn, { budgetMs: 800 });
    const stats = conn.stats();
    t.diagnostic(`${stats.commits} commits, ${stats.checkpoints} checkpoints`);
    assert.ok(stats.checkpoints >= 2);
    await conn.close();

    const again = await d.connect(config);
    const expected = (k) => first.bank.hashes.get(k);
    const reopened = checkSnapshot(again.db(), first.baseTx, expected);
    assert.deepEqual(reopened.problems, []);
    assert.deepEqual(reopened.seen, first.final, "the reopened store holds the last state");
    const second = await stressChecked(t, again, { bank: first.bank, baseTx: first.baseTx, budgetMs: 800, min: 40 });
    const lazy = again.stats();
    t.diagnostic(`after the reopen: ${lazy.commits} commits, ${lazy.nodesLoaded} nodes loaded lazily, cache ${lazy.cacheBytes} bytes`);
    assert.ok(lazy.nodesLoaded > 0);
    await again.close();

    const last = await d.connect(config);
    const back = checkSnapshot(last.db(), first.baseTx, expected);
    assert.deepEqual(back.problems, []);
    assert.deepEqual(back.seen, second.final);
    await last.close();
  });
}

test("worker_threads on the threaded build: read-only reopens of a file store racing the writer (and its gc) see consistent, newer and newer snapshots", async (t) => {
  const dir = path.join(root, "workers");
  const conn = await d.connect({ schema: SCHEMA, store: { backend: "file", path: dir }, durability: "strict", tailMaxTxs: 16 });
  await conn.transact(setupTx());
  const baseTx = conn.db().maxTx;
  const bank = new Bank(7);
  const flag = new SharedArrayBuffer(4);
  const WORKERS = 3;
  const workers = [];
  const ready = [];
  const done = [];
  for (let i = 0; i < WORKERS; i++) {
    const w = new Worker(new URL("./support/concurrency-worker.mjs", import.meta.url), { workerData: { dir, baseTx, index: i, flag } });
    workers.push(w);
    const failed = new Promise((_, reject) => {
      w.on("error", reject);
      w.on("exit", (code) => reject(new Error(`worker ${i} exited (${code}) before reporting`)));
    });
    ready.push(Promise.race([new Promise((resolve) => w.on("message", (m) => m.type === "ready" && resolve(m))), failed]));
    done.push(Promise.race([new Promise((resolve) => w.on("message", (m) => m.type === "done" && resolve(m))), failed]));
  }
  try {
    const variants = await Promise.all(ready);
    for (const v of variants) assert.equal(v.variant, "mt", "the workers run the threaded build");
    let gcs = 0;
    let removed = 0;
    const counts = await writeTransfers(conn, bank, {
      budgetMs: 2500,
      min: 100,
      max: 300,
      // gc twice: the file store compacts to a new generation under the readers.
      onRound: async (round) => {
        if (round === 30 || round === 60) {
          removed += (await conn.gc()).removed;
          gcs++;
        }
      },
    });
    await conn.flush();
    Atomics.store(new Int32Array(flag), 0, bank.k + 1);
    const reports = await Promise.all(done);
    const problems = reports.flatMap((r, i) => r.problems.map((p) => `worker ${i}: ${p}`));
    // Every snapshot a worker read is a state the writer committed.
    for (const [i, r] of reports.entries()) {
      for (const [tt, hash] of r.seen) {
        if (bank.hashes.get(tt) !== hash) problems.push(`worker ${i}: snapshot T=${tt} differs from what the writer committed`);
      }
    }
    const opens = reports.reduce((a, r) => a + r.stats.opens, 0);
    const rereads = reports.reduce((a, r) => a + r.stats.rereads, 0);
    t.diagnostic(`${bank.k} transfers (${counts.transact} transact, ${counts.transactAsync} transactAsync), ${gcs} gc runs ` +
      `(${removed} nodes removed, files compacted); ${WORKERS} workers: ${opens} read-only opens, ${rereads} re-reads of held snapshots; ` +
      reports.map((r, i) => `worker ${i} saw ${r.stats.distinct} distinct counters, first ${r.stats.firstT}, last ${r.stats.lastT}`).join("; "));
    assert.deepEqual(problems, []);
    assert.ok(bank.k >= 100, `only ${bank.k} transfers`);
    assert.equal(gcs, 2);
    assert.ok(removed > 0, "gc removed nodes (and so compacted the files)");
    for (const r of reports) {
      assert.equal(r.stats.finalT, bank.k, "the last open saw the last commit");
      assert.ok(r.stats.distinct >= 3, `a worker saw only ${r.stats.distinct} distinct states`);
      assert.ok(r.stats.firstT < bank.k, "the worker read while the writer was running");
      assert.ok(r.stats.rereads >= 1);
      assert.equal(r.stats.liveCursors, 0);
    }
  } finally {
    Atomics.store(new Int32Array(flag), 0, Atomics.load(new Int32Array(flag), 0) || bank.k + 1);
    await Promise.allSettled(done);
    for (const w of workers) await w.terminate();
    await conn.close();
  }
});
