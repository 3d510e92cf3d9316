// The package's durable connections on IndexedDB in Chromium, through the
// engine: connect({ store: { backend: "indexeddb", name } }) → engine
// StoredDatabase → js/stores/indexeddb.js. Reloads, a reload in the middle
// of a stream of commits (complete prefix, never a partial tx), the browser
// SIGKILLed mid-stream, two tabs (the second is read-only), and strict
// transact resolving only after the IndexedDB transaction completed.
// (js/stores/indexeddb.js alone is tested in store-indexeddb.spec.mjs.)
import { test, expect } from "@playwright/test";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { VARIANTS, openEngineHarness, expectNoProblems } from "./engine-harness.mjs";
import { launchProfile, killProfileBrowser } from "./store-harness.mjs";

// Installed in every document (also after reloads) before any script runs.
function pageHelpers() {
  // Every readwrite IndexedDB transaction, counted when it starts and when
  // its complete/abort event fires (these listeners run before the store's
  // own oncomplete handler, which resolves whenDurable()).
  const idb = { started: 0, completed: 0, aborted: 0 };
  const transaction = IDBDatabase.prototype.transaction;
  IDBDatabase.prototype.transaction = function (...args) {
    const tx = transaction.apply(this, args);
    if (args[1] === "readwrite") {
      idb.started++;
      tx.addEventListener("complete", () => idb.completed++);
      tx.addEventListener("abort", () => idb.aborted++);
    }
    return tx;
  };

  const schema = {
    "person/email": { "db/unique": "db.unique/identity" },
    "person/friend": { "db/valueType": "db.type/ref", "db/cardinality": "db.cardinality/many" },
    "item/n": { "db/unique": "db.unique/identity", "db/valueType": "db.type/long" },
    "item/touched": { "db/valueType": "db.type/long" },
    "meta/key": { "db/unique": "db.unique/identity" },
    "meta/counter": { "db/valueType": "db.type/long" },
  };

  const E = {
    idb,
    schema,
    d: () => import("/js/index.js"),
    store: (name, options) => ({ backend: "indexeddb", name, ...(options ? { options } : {}) }),
    async connect(name, { durability = "strict", options, tailMaxTxs, withSchema = true } = {}) {
      const d = await E.d();
      await d.init();  // timed apart: connect() below is the store's open
      const t0 = performance.now();
      const conn = await d.connect({
        ...(withSchema ? { schema } : {}),
        store: E.store(name, options),
        durability,
        ...(tailMaxTxs ? { tailMaxTxs } : {}),
      });
      return { conn, ms: performance.now() - t0 };
    },
    error: (err) => ({ name: err?.name, code: err?.code, message: String(err?.message ?? err) }),
    // What IndexedDB itself holds for store `name` (no datalite code):
    // the databases of the origin, and the node count and root size.
    async raw(name) {
      const names = (await indexedDB.databases()).map((x) => x.name);
      if (!names.includes(`datalite:${name}`)) return { names, nodes: null, root: null };
      const db = await new Promise((resolve, reject) => {
        const req = indexedDB.open(`datalite:${name}`);
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      });
      const tx = db.transaction(["nodes", "meta"], "readonly");
      const get = (req) => new Promise((resolve, reject) => { req.onsuccess = () => resolve(req.result); req.onerror = () => reject(req.error); });
      const [nodes, root] = await Promise.all([get(tx.objectStore("nodes").count()), get(tx.objectStore("meta").get("root"))]);
      db.close();
      return { names, nodes, root: root ? root.byteLength : null };
    },
    async attempt(f) {
      try {
        await f();
        return "ok";
      } catch (err) {
        return E.error(err);
      }
    },

    // Step k of the stream, one transaction: adds item k, updates item k-1
    // (touched = k) and the counter entity (counter = k). After steps 1..N,
    // item i has touched = i+1 for i < N and touched = N for i = N.
    step(k) {
      const tx = [
        { "item/n": k, "item/touched": k },
        { "meta/key": "counter", "meta/counter": k },
      ];
      if (k > 1) tx.push({ "item/n": k - 1, "item/touched": k });
      return tx;
    },
    // Commits steps from+1, from+2, ... until the page goes away: most with
    // `await transact` (one IndexedDB transaction each, strict), every third
    // run of five with transactAsync (grouped into one commit), a timer tick
    // now and then. window.stream.acked = the last step whose promise
    // resolved, started = the last step handed to the connection.
    stream(conn, from) {
      window.stream = { acked: from, started: from, error: null };
      // The last word of this document: where the stream was when the page
      // went away (a reload; read back by the next document).
      addEventListener("pagehide", () => sessionStorage.setItem("stream", JSON.stringify({ ...window.stream, idb: { ...idb } })));
      const ack = (k) => { window.stream.acked = Math.max(window.stream.acked, k); };
      (async () => {
        for (let k = from + 1; ; k++) {
          if (k % 15 >= 10) {
            window.stream.started = k;
            conn.transactAsync(E.step(k)).then(() => ack(k), (err) => { window.stream.error = String(err); });
            if (k % 15 === 14) await new Promise((resolve) => setTimeout(resolve, 0));
          } else {
            window.stream.started = k;
            await conn.transact(E.step(k));
            ack(k);
            if (k % 4 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
          }
        }
      })().catch((err) => { window.stream.error = String(err?.message ?? err); });
    },
    // What the db says about the stream: a complete prefix 1..N or problems.
    checkStream(db) {
      const problems = [];
      const n = db.q('[:find ?c . :where [?e :meta/key "counter"] [?e :meta/counter ?c]]') ?? 0;
      const items = db.q("[:find ?n ?t :where [?e :item/n ?n] [?e :item/touched ?t]]");
      const seen = new Map(items.map(([i, t]) => [i, t]));
      for (let i = 1; i <= n; i++) {
        const want = i < n ? i + 1 : i;
        if (!seen.has(i)) problems.push(`item ${i} missing`);
        else if (seen.get(i) !== want) problems.push(`item ${i} touched ${seen.get(i)}, want ${want}`);
      }
      for (const [i] of items) if (i > n) problems.push(`item ${i} beyond the counter ${n} (a partial tx)`);
      // The indexes agree: the same facts through EAVT, AEVT and AVET.
      const eavt = db.datoms("eavt").filter((x) => x.a === ":item/n").length;
      const aevt = db.datoms("aevt", ":item/n").length;
      const avet = db.datoms("avet", ":item/n").length;
      if (eavt !== items.length || aevt !== items.length || avet !== items.length) problems.push(`index counts differ: items ${items.length}, eavt ${eavt}, aevt ${aevt}, avet ${avet}`);
      if (n > 0 && db.entid(["item/n", n]) === null) problems.push(`lookup of item ${n} through AVET failed`);
      return { counter: n, items: items.length, problems: problems.slice(0, 10) };
    },
  };
  window.E = E;
}

test.beforeEach(async ({ context }) => {
  await context.addInitScript(pageHelpers);
});

for (const variant of VARIANTS) {
  test(`engine on IndexedDB (${variant.name}): connect, transact, reload, reconnect: the data and its history are there`, async ({ page }) => {
    const problems = await openEngineHarness(page, variant);
    const written = await page.evaluate(async () => {
      const d = await E.d();
      const { conn, ms } = await E.connect("tasks");
      const first = await conn.transact(Array.from({ length: 50 }, (_, i) =>
        ({ "person/email": `p${i}@x.org`, "person/name": `person ${i}`, "person/age": i })));
      await conn.transact([{ "person/email": "p1@x.org", "person/friend": [["person/email", "p2@x.org"]] }]);
      await conn.transact([{ "person/email": "p3@x.org", "person/age": 99 }]);
      const db = conn.db();
      window.conn = conn;  // left open: the reload must release the writer lock
      return {
        variant: d.engineStats().variant,
        isolated: globalThis.crossOriginIsolated,
        openMs: ms,
        firstTx: first.tx,
        maxTx: db.maxTx,
        count: db.count,
        ages: db.q("[:find ?n ?a :where [?e :person/name ?n] [?e :person/age ?a]]").sort(),
        stats: conn.stats(),
      };
    });
    expect(written.variant).toBe(variant.name);
    expect(written.isolated).toBe(variant.isolated);
    expect(written.ages).toHaveLength(50);
    expect(written.stats).toMatchObject({ durability: "strict", readOnly: false });

    await page.reload();
    const read = await page.evaluate(async ({ firstTx }) => {
      // No schema given: it comes back from the store.
      const { conn, ms } = await E.connect("tasks", { withSchema: false });
      const db = conn.db();
      const result = {
        openMs: ms,
        maxTx: db.maxTx,
        count: db.count,
        ages: db.q("[:find ?n ?a :where [?e :person/name ?n] [?e :person/age ?a]]").sort(),
        friend: db.pull("[:person/name {:person/friend [:person/email]}]", ["person/email", "p1@x.org"]),
        asOfFirst: db.asOf(firstTx).q('[:find ?a . :where [?e :person/email "p3@x.org"] [?e :person/age ?a]]'),
        history: db.history().q('[:find ?a ?added :where [?e :person/email "p3@x.org"] [?e :person/age ?a _ ?added]]').map(String).sort(),
        stats: conn.stats(),
      };
      // Still the writer, and unique identity still upserts.
      await conn.transact([{ "person/email": "p4@x.org", "person/age": 7 }]);
      result.people = conn.db().q("[:find (count ?e) . :where [?e :person/email]]");
      result.age4 = conn.db().q('[:find ?a . :where [?e :person/email "p4@x.org"] [?e :person/age ?a]]');
      await conn.close();
      return result;
    }, { firstTx: written.firstTx });
    console.log(`IndexedDB through the engine (${variant.name}): connect ${written.openMs.toFixed(1)} ms (new), ` +
      `${read.openMs.toFixed(1)} ms after reload (${read.stats.nodes} nodes, ${read.stats.storedBytes} bytes)`);
    expect(read).toMatchObject({ maxTx: written.maxTx, count: written.count, ages: written.ages, asOfFirst: 3, people: 50, age4: 7 });
    expect(read.friend).toEqual({ ":person/name": "person 1", ":person/friend": [{ ":person/email": "p2@x.org" }] });
    expect(read.history).toEqual(["3,false", "3,true", "99,true"]);
    expect(read.stats).toMatchObject({ readOnly: false, durability: "strict" });
    expectNoProblems(problems);
  });
}

test("engine on IndexedDB: a reload in the middle of a stream of commits shows a complete prefix", async ({ page }) => {
  test.setTimeout(120_000);
  const problems = await openEngineHarness(page);
  const ROUNDS = 6;
  let counter = 0;
  const log = [];
  for (let round = 0; round < ROUNDS; round++) {
    // Small tails in some rounds: reloads also land around checkpoints.
    const opts = { tailMaxTxs: round % 2 ? 8 : 0 };
    const start = await page.evaluate(async (opts) => {
      const { conn } = await E.connect("stream", opts);
      const check = E.checkStream(conn.db());
      E.stream(conn, check.counter);
      return check;
    }, opts);
    expect(start.problems).toEqual([]);
    expect(start.counter).toBe(counter);
    await page.waitForFunction((target) => window.stream.error || window.stream.acked >= target, counter + 25 + round * 9);
    await page.waitForTimeout(round * 2);  // vary the moment of the reload
    await page.reload();
    const [before, after] = await page.evaluate(async () => {
      const before = JSON.parse(sessionStorage.getItem("stream"));
      const { conn } = await E.connect("stream", { withSchema: false });
      const check = E.checkStream(conn.db());
      await conn.close();
      return [before, check];
    });
    expect(before.error).toBeNull();
    log.push(`round ${round}: acknowledged ${before.acked}, started ${before.started} ` +
      `(${before.idb.completed}/${before.idb.started} IndexedDB transactions done) before the reload; reopened at ${after.counter}`);
    expect(after.problems).toEqual([]);
    expect(after.counter).toBeGreaterThanOrEqual(before.acked);  // every acknowledged (strict) commit is there
    expect(after.counter).toBeLessThanOrEqual(before.started);
    expect(after.items).toBe(after.counter);
    counter = after.counter;
  }
  console.log(`engine on IndexedDB, reload mid-stream:\n  ${log.join("\n  ")}`);
  expectNoProblems(problems);
});

// The profile's IndexedDB files (for failure messages).
function profileFiles(dir) {
  const base = path.join(dir, "Default", "IndexedDB");
  try {
    return readdirSync(base, { recursive: true }).map((f) => {
      try { return `${f}:${statSync(path.join(base, f)).size}`; } catch { return f; }
    }).join(" ");
  } catch (err) {
    return `(no ${base}: ${err.code})`;
  }
}

test("engine on IndexedDB: the browser SIGKILLed mid-stream (on-disk profile) keeps every acknowledged commit, a complete prefix", async ({}, testInfo) => {
  test.setTimeout(120_000);
  const dir = mkdtempSync(path.join(tmpdir(), "datalite-e2e-engine-idb-"));
  const log = [];
  try {
    let counter = 0;
    for (let round = 0; round < 3; round++) {
      const context = await launchProfile(dir, testInfo);
      await context.addInitScript(pageHelpers);
      const page = context.pages()[0] ?? await context.newPage();
      const problems = await openEngineHarness(page);
      const start = await page.evaluate(async () => {
        const raw = await E.raw("killed");
        const { conn } = await E.connect("killed", { tailMaxTxs: 10 });
        const check = E.checkStream(conn.db());
        E.stream(conn, check.counter);
        return { ...check, raw };
      });
      const at = `round ${round} start: ${JSON.stringify(start)} ${profileFiles(dir)}`;
      expect(start.problems, at).toEqual([]);
      expect(start.counter, at).toBeGreaterThanOrEqual(counter);
      await page.waitForFunction((target) => window.stream.error || window.stream.acked >= target, start.counter + 30);
      const before = await page.evaluate(() => ({ ...window.stream }));
      expect(before.error).toBeNull();
      expectNoProblems(problems);
      await killProfileBrowser(context, dir);

      const again = await launchProfile(dir, testInfo);
      await again.addInitScript(pageHelpers);
      const page2 = again.pages()[0] ?? await again.newPage();
      const problems2 = await openEngineHarness(page2);
      const after = await page2.evaluate(async () => {
        const raw = await E.raw("killed");
        const { conn } = await E.connect("killed", { withSchema: false });
        const check = E.checkStream(conn.db());
        const { nodes, storedBytes, maxTx } = conn.stats();
        await conn.close();
        return { ...check, nodes, storedBytes, maxTx, raw };
      });
      log.push(`round ${round}: acknowledged at least ${before.acked} before SIGKILL; reopened at ${after.counter}`);
      const where = `round ${round}: ${JSON.stringify(after)} ${profileFiles(dir)}`;
      expect(after.problems, where).toEqual([]);
      expect(after.counter, where).toBeGreaterThanOrEqual(before.acked);  // the stream went on after this reading: a lower bound
      counter = after.counter;
      expectNoProblems(problems2);
      await again.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`engine on IndexedDB, SIGKILL mid-stream:\n  ${log.join("\n  ")}`);
});

test("engine on IndexedDB: a second tab connects read-only; its writes fail with a store-error that says read-only", async ({ context }) => {
  const tab1 = await context.newPage();
  const problems1 = await openEngineHarness(tab1);
  const tab2 = await context.newPage();
  const problems2 = await openEngineHarness(tab2);

  await tab1.evaluate(async () => {
    const { conn } = await E.connect("tabs");
    await conn.transact([{ "person/email": "a@x", "person/name": "A" }]);
    window.conn = conn;
  });

  const second = await tab2.evaluate(async () => {
    const d = await E.d();
    const { conn, ms } = await E.connect("tabs");
    window.conn = conn;
    const db = conn.db();
    return {
      openMs: ms,
      names: db.q("[:find [?n ...] :where [_ :person/name ?n]]"),
      stats: conn.stats(),
      transact: await E.attempt(() => conn.transact([{ "person/email": "b@x", "person/name": "B" }])),
      transactAsync: await E.attempt(() => conn.transactAsync([{ "person/email": "b@x" }])),
      transactSync: await E.attempt(() => conn.transactSync([{ "person/email": "b@x" }])),
      load: await E.attempt(() => conn.load([[100, ":person/email", "c@x"]])),
      gc: await E.attempt(() => conn.gc()),
      flush: await E.attempt(() => conn.flush()),
      unchanged: conn.db() === db,
      isDataliteError: await conn.transact([]).catch((err) => err instanceof d.DataliteError),
    };
  });
  expect(second.names).toEqual(["A"]);
  expect(second.stats.readOnly).toBe(true);
  for (const op of ["transact", "transactAsync", "transactSync", "load", "gc"]) {
    expect(second[op], op).toMatchObject({ name: "DataliteError", code: "store-error" });
    expect(second[op].message, op).toMatch(/^database "indexeddb:tabs" is read-only here: another tab or connection holds its writer lock/);
  }
  expect(second.flush).toBe("ok");  // nothing to make durable
  expect(second.unchanged).toBe(true);
  expect(second.isDataliteError).toBe(true);

  // The writer goes on; the reader keeps the snapshot it connected to, and
  // a fresh connect() (still read-only) sees the writer's latest commit.
  await tab1.evaluate(() => window.conn.transact([{ "person/email": "c@x", "person/name": "C" }]));
  const refreshed = await tab2.evaluate(async () => {
    const old = window.conn.db().q("[:find [?n ...] :where [_ :person/name ?n]]").sort();
    await window.conn.close();
    const { conn } = await E.connect("tabs");
    window.conn = conn;
    return { old, fresh: conn.db().q("[:find [?n ...] :where [_ :person/name ?n]]").sort(), readOnly: conn.stats().readOnly };
  });
  expect(refreshed).toEqual({ old: ["A"], fresh: ["A", "C"], readOnly: true });

  // { onLocked: "error" } in the store's options: connect() refuses.
  const locked = await tab2.evaluate(async () => {
    await window.conn.close();  // (connections of one page share one database: close it to open anew)
    return E.attempt(() => E.connect("tabs", { options: { onLocked: "error", lockWaitMs: 0 } }));
  });
  expect(locked).toMatchObject({ name: "DataliteError", code: "store-error" });
  expect(locked.message).toMatch(/^store-locked: IndexedDB store "tabs" is open for writing elsewhere/);

  // The writer closes its connection: the lock is free, the second tab
  // reconnects as the writer.
  await tab1.evaluate(() => window.conn.close());
  const writer = await tab2.evaluate(async () => {
    await window.conn.close();
    const { conn } = await E.connect("tabs");
    await conn.transact([{ "person/email": "d@x", "person/name": "D" }]);
    const out = { readOnly: conn.stats().readOnly, names: conn.db().q("[:find [?n ...] :where [_ :person/name ?n]]").sort() };
    window.conn = conn;
    return out;
  });
  expect(writer).toEqual({ readOnly: false, names: ["A", "C", "D"] });

  // Closing the writer's tab (without conn.close()) frees the lock too.
  const reader = await tab1.evaluate(async () => {
    const { conn } = await E.connect("tabs");
    window.conn = conn;
    return conn.stats().readOnly;
  });
  expect(reader).toBe(true);
  await tab2.close();
  const afterClose = await tab1.evaluate(async () => {
    await window.conn.close();
    const { conn } = await E.connect("tabs");
    await conn.transact([{ "person/email": "e@x", "person/name": "E" }]);
    const out = { readOnly: conn.stats().readOnly, names: conn.db().q("[:find [?n ...] :where [_ :person/name ?n]]").sort() };
    await conn.close();
    return out;
  });
  expect(afterClose).toEqual({ readOnly: false, names: ["A", "C", "D", "E"] });
  expectNoProblems(problems1);
  expectNoProblems(problems2);
});

test("engine on IndexedDB: a second tab cannot open a store that holds no database yet while the first holds the lock", async ({ context }) => {
  const tab1 = await context.newPage();
  const problems1 = await openEngineHarness(tab1);
  const tab2 = await context.newPage();
  const problems2 = await openEngineHarness(tab2);
  // The first tab holds the writer lock of an empty store (as it does for
  // a moment while its own connect() is creating the database).
  await tab1.evaluate(async () => {
    const { IndexedDBStore } = await import("/js/stores/indexeddb.js");
    window.store = await IndexedDBStore.open("empty");
  });
  const second = await tab2.evaluate(() => E.attempt(() => E.connect("empty")));
  expect(second).toMatchObject({ name: "DataliteError", code: "store-error" });
  expect(second.message).toMatch(/^database "indexeddb:empty" is read-only here: another tab or connection holds its writer lock \(one writer per database\), and it holds no database yet/);
  // Once the lock is free, the second tab creates it.
  await tab1.evaluate(() => window.store.close());
  const created = await tab2.evaluate(async () => {
    const { conn } = await E.connect("empty");
    await conn.transact([{ "person/email": "a@x" }]);
    const out = { readOnly: conn.stats().readOnly, n: conn.db().q("[:find (count ?e) . :where [?e :person/email]]") };
    await conn.close();
    return out;
  });
  expect(created).toEqual({ readOnly: false, n: 1 });
  expectNoProblems(problems1);
  expectNoProblems(problems2);
});

test("engine on IndexedDB: strict transact resolves only after its IndexedDB transaction completed (reload right after it: present)", async ({ page }) => {
  const problems = await openEngineHarness(page);
  const ROUNDS = 8;
  const rounds = [];
  for (let k = 1; k <= ROUNDS; k++) {
    const loaded = page.waitForEvent("load");
    // In the page: check the previous round's item, commit item k, and
    // reload synchronously in the continuation of the resolved transact.
    page.evaluate(async (k) => {
      const { conn } = await E.connect("strict");
      const present = conn.db().q("[:find (count ?e) . :where [?e :item/n]]") ?? 0;
      const before = { ...E.idb };
      await conn.transact([{ "item/n": k, "item/touched": k }]);
      const at = { ...E.idb };
      sessionStorage.setItem(`round-${k}`, JSON.stringify({ present, before, at }));
      location.reload();
    }, k).catch(() => { /* the reload destroys the context */ });
    await loaded;
    rounds.push(await page.evaluate((k) => JSON.parse(sessionStorage.getItem(`round-${k}`)), k));
  }
  const final = await page.evaluate(async () => {
    const { conn } = await E.connect("strict");
    const out = conn.db().q("[:find [?n ...] :where [_ :item/n ?n]]").sort((a, b) => a - b);
    await conn.close();
    return out;
  });
  expect(final).toEqual(Array.from({ length: ROUNDS }, (_, i) => i + 1));
  for (const [i, r] of rounds.entries()) {
    expect(r.present, `round ${i + 1}`).toBe(i);  // every earlier round's commit survived its reload
    // when transact resolved, its readwrite transaction had completed
    // (one transaction per strict commit; connect() of a new db adds one)
    expect(r.at.completed, `round ${i + 1}`).toBe(r.at.started);
    expect(r.at.completed - r.before.completed, `round ${i + 1}`).toBeGreaterThanOrEqual(1);
    expect(r.at.aborted, `round ${i + 1}`).toBe(0);
  }
  expectNoProblems(problems);
});

test("engine on IndexedDB: durability \"none\" is not synced before flush() (the check above can tell)", async ({ page }) => {
  const problems = await openEngineHarness(page);
  const loaded = page.waitForEvent("load");
  page.evaluate(async () => {
    const { conn } = await E.connect("none", { durability: "none" });
    await conn.transact([{ "item/n": 1, "item/touched": 1 }]);
    await conn.transact([{ "item/n": 2, "item/touched": 2 }]);
    await conn.flush();
    await conn.transact([{ "item/n": 3, "item/touched": 3 }]);
    sessionStorage.setItem("none", JSON.stringify({ ...E.idb }));
    location.reload();
  }).catch(() => { /* the reload destroys the context */ });
  await loaded;
  const after = await page.evaluate(async () => {
    const { conn } = await E.connect("none", { withSchema: false });
    const out = { items: conn.db().q("[:find [?n ...] :where [_ :item/n ?n]]").sort(), idb: JSON.parse(sessionStorage.getItem("none")) };
    await conn.close();
    return out;
  });
  expect(after.items).toEqual([1, 2]);  // flushed; item 3 was acknowledged but never synced
  expect(after.idb.started).toBe(2);    // the new database's first root, then flush()
  expectNoProblems(problems);
});
