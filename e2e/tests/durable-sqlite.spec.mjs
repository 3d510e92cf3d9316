// The package's durable connections on SQLite in OPFS, through the engine,
// in a dedicated module Worker (web-demo/sqlite-worker.mjs: the package +
// sqlite-wasm, connect({ store: { backend: "sqlite", path, vfs:
// "opfs-sahpool" } })): a db written there survives page reloads, strict
// commits are there after a reload right after transact, reads are lazy (a
// point query loads a few nodes), a second tab is refused (store-locked).
// (js/stores/sqlite.js alone is tested in store-sqlite.spec.mjs.)
import { test, expect } from "@playwright/test";
import { VARIANTS, openEngineHarness, expectNoProblems } from "./engine-harness.mjs";

const WORKER = "/web-demo/sqlite-worker.mjs";
const schema = {
  "person/email": { "db/unique": "db.unique/identity" },
  "person/friend": { "db/valueType": "db.type/ref", "db/cardinality": "db.cardinality/many" },
  "person/age": { "db/valueType": "db.type/long", "db/index": true },
};

// Starts the worker in the page; window.call(op, args) talks to it.
async function startWorker(page) {
  await page.evaluate(async (url) => {
    const worker = new Worker(url, { type: "module" });
    const pending = new Map();
    let next = 0;
    await new Promise((resolve, reject) => {
      worker.onerror = (event) => reject(new Error(`worker failed to start: ${event.message ?? "error"}`));
      worker.onmessage = ({ data }) => {
        if (data.ready) return resolve();
        const p = pending.get(data.id);
        pending.delete(data.id);
        if (data.ok) p.resolve(data.result);
        else p.reject(Object.assign(new Error(data.message), { code: data.code }));
      };
    });
    window.call = (op, args) => new Promise((resolve, reject) => {
      const id = ++next;
      pending.set(id, { resolve, reject });
      worker.postMessage({ id, op, args });
    });
    window.worker = worker;
  }, WORKER);
}

const call = (page, op, args) => page.evaluate(({ op, args }) => window.call(op, args), { op, args });
const callError = (page, op, args) =>
  page.evaluate(({ op, args }) => window.call(op, args).then(() => "no error", (err) => ({ code: err.code, message: err.message })), { op, args });

const people = (from, n) => Array.from({ length: n }, (_, i) =>
  ({ "person/email": `p${from + i}@x.org`, "person/name": `person ${from + i}`, "person/age": (from + i) % 90 }));

for (const variant of VARIANTS) {
  test(`engine on sqlite/OPFS in a worker (${variant.name}): the db survives a page reload; reads are lazy`, async ({ page }) => {
    test.setTimeout(120_000);
    const problems = await openEngineHarness(page, variant);
    await startWorker(page);
    const opened = await call(page, "open", { path: "/e2e-engine.sqlite3", schema, tailMaxTxs: 16 });
    expect(opened).toMatchObject({ variant: variant.name, isolated: variant.isolated, datoms: 0 });
    // 20k people bulk-loaded: one checkpoint, an empty tail
    const datoms = [];
    for (let e = 1; e <= 20000; e++) datoms.push([e, "person/email", `p${e}@x.org`], [e, "person/name", `person ${e}`], [e, "person/age", e % 90]);
    const loaded = await call(page, "load", { datoms });
    expect(loaded.lastCommit.checkpoint).toBe(true);

    await page.reload();  // the worker dies with the page; nothing was closed
    await startWorker(page);
    const lazy = await call(page, "open", { path: "/e2e-engine.sqlite3" });  // no schema: it is stored
    const point = await call(page, "q", { query: '[:find ?n . :where [?e :person/email "p12345@x.org"] [?e :person/name ?n]]' });
    const afterPoint = await call(page, "stats");
    // small transactions: they go to the tail
    await call(page, "transact", { txData: [{ "person/email": "p1@x.org", "person/friend": [["person/email", "p2@x.org"]] }] });
    await call(page, "transact", { txData: [{ "person/email": "p3@x.org", "person/age": 99 }], txMeta: { "tx/note": "birthday" } });
    await call(page, "transact", { txData: people(20001, 10) });
    const before = await call(page, "stats");
    const ages = await call(page, "q", { query: "[:find [(sum ?a) (count ?e)] :where [?e :person/age ?a]]" });

    await page.reload();
    await startWorker(page);
    const reopened = await call(page, "open", { path: "/e2e-engine.sqlite3" });
    const friend = await call(page, "pull", { pattern: "[:person/name {:person/friend [:person/email]}]", eid: ["person/email", "p1@x.org"] });
    const note = await call(page, "q", { query: '[:find ?note . :where [?e :person/email "p3@x.org"] [?e :person/age 99 ?tx] [?tx :tx/note ?note]]' });
    const sameAges = await call(page, "q", { query: "[:find [(sum ?a) (count ?e)] :where [?e :person/age ?a]]" });
    // still the writer: upsert through the stored schema
    await call(page, "transact", { txData: [{ "person/email": "p5@x.org", "person/age": 1 }] });
    const count = await call(page, "q", { query: "[:find (count ?e) . :where [?e :person/email]]" });
    await call(page, "close");

    console.log(`engine on sqlite/OPFS in a worker (${variant.name}): engine init ${lazy.initMs.toFixed(0)} ms; ` +
      `${lazy.datoms} datoms in ${lazy.stats.nodes} nodes (${lazy.stats.storedBytes} bytes): connect ${lazy.openMs.toFixed(1)} ms ` +
      `(sqlite-wasm init + pool + root), ${lazy.stats.nodesLoaded} nodes loaded, +${afterPoint.nodesLoaded - lazy.stats.nodesLoaded} by a point query; ` +
      `with a tail of ${reopened.stats.tailTxs} small txs: connect ${reopened.openMs.toFixed(1)} ms, ${reopened.stats.nodesLoaded} nodes loaded (tail replay)`);
    expect(lazy.stats.readOnly).toBe(false);
    expect(lazy.datoms).toBe(60000);
    expect(point).toBe("person 12345");
    // lazy: connect and a point query read a small part of the store
    expect(lazy.stats.nodes).toBeGreaterThan(100);
    expect(lazy.stats.nodesLoaded).toBeLessThan(30);
    expect(afterPoint.nodesLoaded - lazy.stats.nodesLoaded).toBeLessThanOrEqual(12);
    expect(reopened).toMatchObject({ maxTx: before.maxTx, datoms: before.datoms });
    expect(friend).toEqual({ ":person/name": "person 1", ":person/friend": [{ ":person/email": "p2@x.org" }] });
    expect(note).toBe("birthday");
    expect(sameAges).toEqual(ages);
    expect(count).toBe(20010);
    expectNoProblems(problems);
  });
}

test("engine on sqlite/OPFS in a worker: strict transact is committed when it resolves (reload right after: present)", async ({ page }) => {
  const problems = await openEngineHarness(page);
  for (let k = 1; k <= 5; k++) {
    await startWorker(page);
    await call(page, "open", { path: "/e2e-strict.sqlite3", schema });
    const present = await call(page, "q", { query: "[:find (count ?e) . :where [?e :person/email]]" });
    expect(present ?? 0, `round ${k}`).toBe(k - 1);
    const loaded = page.waitForEvent("load");
    // reload in the continuation of the resolved transact
    page.evaluate((k) => window.call("transact", { txData: [{ "person/email": `k${k}@x` }] }).then(() => location.reload()), k).catch(() => {});
    await loaded;
  }
  await startWorker(page);
  await call(page, "open", { path: "/e2e-strict.sqlite3" });
  expect(await call(page, "q", { query: "[:find (count ?e) . :where [?e :person/email]]" })).toBe(5);
  expectNoProblems(problems);
});

test("engine on sqlite/OPFS in a worker: a second tab's connect() is refused (store-locked) until the first closes", async ({ context }) => {
  const tab1 = await context.newPage();
  const problems1 = await openEngineHarness(tab1);
  await startWorker(tab1);
  await call(tab1, "open", { path: "/e2e-tabs.sqlite3", schema });
  await call(tab1, "transact", { txData: people(0, 3) });

  const tab2 = await context.newPage();
  const problems2 = await openEngineHarness(tab2);
  await startWorker(tab2);
  const refused = await callError(tab2, "open", { path: "/e2e-tabs.sqlite3" });
  expect(refused.code).toBe("store-error");
  expect(refused.message).toMatch(/^store-locked: the OPFS pool "datalite-sqlite" is in use by another tab or worker/);

  await call(tab1, "close");
  const opened = await call(tab2, "open", { path: "/e2e-tabs.sqlite3" });
  expect(opened.datoms).toBeGreaterThan(0);
  expect(await call(tab2, "q", { query: "[:find (count ?e) . :where [?e :person/email]]" })).toBe(3);
  expectNoProblems(problems1);
  expectNoProblems(problems2);
});

test("engine on sqlite/OPFS in a worker: deleteDatabase removes the database (nodes and root); a new one starts empty", async ({ page }) => {
  const problems = await openEngineHarness(page);
  await startWorker(page);
  await call(page, "open", { path: "/e2e-drop.sqlite3", schema });
  await call(page, "transact", { txData: people(0, 20) });
  await call(page, "close");
  expect(await call(page, "drop", { path: "/e2e-drop.sqlite3" })).toEqual({ before: true, after: false });
  const fresh = await call(page, "open", { path: "/e2e-drop.sqlite3", schema });
  expect(fresh.datoms).toBe(0);
  await call(page, "transact", { txData: people(100, 2) });
  expect(await call(page, "q", { query: "[:find (count ?e) . :where [?e :person/email]]" })).toBe(2);
  await call(page, "close");
  expectNoProblems(problems);
});
