// Readers holding old db values while a writer transacts see consistent
// snapshots, in Chromium on an IndexedDB connection (issue 8, hardening).
// The workload and its invariants are the Node tests' (tests/js/support/
// bank.mjs, served to the page by this spec): a transactAsync/transact
// writer moving money between 50 accounts, async readers that await
// between reads (microtasks, MessageChannel macrotasks, timers), hold old
// values, entities and cursors, and read them again later. Then the writer
// is left streaming, the page reloads in the middle of it, and the reopened
// database must be exactly one committed state (every strict commit
// acknowledged before the reload included) — then the stress runs again on
// the reopened connection and a last reopen holds its final state.
// Once per engine build: single-threaded (page not isolated) and threaded.
import { test, expect } from "@playwright/test";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { VARIANTS, openEngineHarness, expectNoProblems } from "./engine-harness.mjs";

const BANK_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../tests/js/support/bank.mjs");
const BANK_URL = "/engine-harness/bank.mjs";

// The pass criteria of one stress run (bank.mjs stress()).
function expectGoodRun(r, { min }) {
  expect(r.problems).toEqual([]);
  expect(r.transfers).toBeGreaterThanOrEqual(min);
  expect(r.concurrentReads, "reads interleaved with the writer").toBeGreaterThanOrEqual(2 * r.readers);
  expect(r.distinct, "the readers saw the writer progress").toBeGreaterThan(r.readers);
  expect(r.rereads).toBeGreaterThanOrEqual(r.readers);
  expect(r.cursorReads).toBeGreaterThanOrEqual(1);
  expect(r.lastTs, "every reader read the final state").toEqual(new Array(r.readers).fill(r.last));
  expect(r.final.t).toBe(r.last);
}

const describeRun = (r) => `${r.transfers} transfers (${r.counts?.transact} transact, ${r.counts?.transactAsync} transactAsync); ` +
  `${r.readers} readers: ${r.reads} snapshot reads (${r.concurrentReads} while the writer ran), ${r.rereads} re-reads of held values, ` +
  `${r.entityReads} late entity reads, ${r.cursorReads} cursors across awaits, ${r.distinct} distinct counters seen`;

for (const variant of VARIANTS) {
  test(`IndexedDB (${variant.name}): readers holding old values see consistent snapshots while transactAsync commits; a reload mid-stream reopens a committed state`, async ({ page }) => {
    test.setTimeout(60_000);
    await page.route(`**${BANK_URL}`, (route) => route.fulfill({
      status: 200,
      path: BANK_FILE,
      contentType: "text/javascript; charset=utf-8",
      headers: { "Cross-Origin-Resource-Policy": "same-origin" },
    }));
    const problems = await openEngineHarness(page, variant);
    const name = `concurrency-${variant.name}-${Date.now()}`;

    // 1. The stress on a fresh database, then a stream left running.
    const first = await page.evaluate(async ({ name, bankUrl }) => {
      const d = await import("/js/index.js");
      const B = await import(bankUrl);
      await d.init();
      const store = { backend: "indexeddb", name };
      const conn = await d.connect({ schema: B.SCHEMA, store, durability: "strict" });
      await conn.transact(B.setupTx());
      const baseTx = conn.db().maxTx;
      const seed = 1234;
      const bank = new B.Bank(seed);
      const r = await B.stress(conn, bank, { baseTx, readers: 6, budgetMs: 1500, min: 40, max: 400 });
      // The stream: the same writer (and three readers) until the page goes
      // away; where it was is saved when it does.
      sessionStorage.setItem("bank", JSON.stringify({ baseTx, seed }));
      window.progress = { acked: bank.k, started: bank.k };
      window.streamProblems = [];
      addEventListener("pagehide", () => sessionStorage.setItem("progress", JSON.stringify(window.progress)));
      B.stress(conn, bank, { baseTx, readers: 3, budgetMs: 1e9, max: 1e9, progress: window.progress, problems: window.streamProblems });
      return { ...r, variant: d.engineStats().variant, isolated: globalThis.crossOriginIsolated };
    }, { name, bankUrl: BANK_URL });
    expect(first.variant).toBe(variant.name);
    expect(first.isolated).toBe(variant.isolated);
    expectGoodRun(first, { min: 40 });

    await page.waitForFunction((from) => window.streamProblems.length > 0 || window.progress.acked >= from + 30, first.last);
    const beforeReload = await page.evaluate(() => ({ progress: { ...window.progress }, problems: [...window.streamProblems] }));
    expect(beforeReload.problems).toEqual([]);
    await page.reload();

    // 2. Reopened: one committed state, every acknowledged commit in it;
    // then the stress again, and a last reopen.
    const second = await page.evaluate(async ({ name, bankUrl }) => {
      const d = await import("/js/index.js");
      const B = await import(bankUrl);
      const progress = JSON.parse(sessionStorage.getItem("progress"));
      const { baseTx, seed } = JSON.parse(sessionStorage.getItem("bank"));
      const store = { backend: "indexeddb", name };
      const conn = await d.connect({ store, durability: "strict" });  // the schema comes from the store
      const db = conn.db();
      const t = db.q("[:find ?n . :where [100 :meta/transfers ?n]]");
      const bank = new B.Bank(seed).advanceTo(t);  // the writer's model at transfer t
      const reopened = B.checkSnapshot(db, baseTx, (k) => bank.hashes.get(k));
      const r = await B.stress(conn, bank, { baseTx, readers: 6, budgetMs: 1500, min: 30, max: 300 });
      await conn.close();
      const again = await d.connect({ store });
      const last = B.checkSnapshot(again.db(), baseTx, (k) => bank.hashes.get(k));
      await again.close();
      await d.deleteDatabase({ store });
      return { progress, reopened, run: r, last };
    }, { name, bankUrl: BANK_URL });

    console.log(`concurrency on IndexedDB (${variant.name}): ${describeRun(first)}; ` +
      `stream: acknowledged ${second.progress.acked}, started ${second.progress.started} when the page went away ` +
      `(${beforeReload.progress.acked} acknowledged at the reload call), reopened at ${second.reopened.seen.t}; ` +
      `after the reload: ${describeRun(second.run)}; last reopen at ${second.last.seen.t}`);
    expect(second.reopened.problems).toEqual([]);
    expect(second.reopened.seen.t).toBeGreaterThanOrEqual(second.progress.acked);  // strict: acknowledged = durable
    expect(second.reopened.seen.t).toBeLessThanOrEqual(second.progress.started);
    expect(second.progress.acked).toBeGreaterThanOrEqual(beforeReload.progress.acked);
    expectGoodRun(second.run, { min: 30 });
    expect(second.last.problems).toEqual([]);
    expect(second.last.seen).toEqual(second.run.final);
    expectNoProblems(problems);
  });
}
