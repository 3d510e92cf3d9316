// js/stores/indexeddb.js in Chromium, at the store level (no engine):
// reloads, a reload in the middle of a stream of commits, two tabs, a
// browser killed (SIGKILL) in the middle of a stream, and the numbers (sync
// latency, prefetch time) printed to the test log. The last two run in an
// on-disk profile: Playwright's default contexts keep IndexedDB in memory.
import { test, expect } from "@playwright/test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { openHarness, expectNoProblems, launchProfile, killProfileBrowser } from "./store-harness.mjs";

// Page-side helpers, installed in every document (also after reloads).
// Node `j` of step `s` has a fixed address and content, so a reader can
// check any node it finds.
function pageHelpers() {
  const hex = (n, width) => n.toString(16).padStart(width, "0");
  window.T = {
    idb: () => import("/js/stores/indexeddb.js"),
    addr: (step, j) => hex(step, 24) + hex(j, 8),
    stepOf: (addr) => Number.parseInt(addr.slice(0, 24), 16),
    node(step, j, size) {
      const b = new Uint8Array(size);
      b.fill((step * 31 + j) & 255);
      const v = new DataView(b.buffer);
      v.setUint32(0, step);
      v.setUint32(4, j);
      return b;
    },
    nodeOk(bytes, step, j, size) {
      if (!bytes || bytes.byteLength !== size) return false;
      const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      if (v.getUint32(0) !== step || v.getUint32(4) !== j) return false;
      const fill = (step * 31 + j) & 255;
      for (let i = 8; i < size; i++) if (bytes[i] !== fill) return false;
      return true;
    },
    // Writes steps from+1, from+2, ...: K nodes and a root listing them with
    // the step's counter, then sync(); a timer tick between steps lets some
    // syncs run alone and others group behind a commit. window.stream.durable
    // is the last step whose whenDurable() resolved.
    async stream(name, from, K, SIZE, options = {}) {
      const { IndexedDBStore } = await T.idb();
      const store = await IndexedDBStore.open(name, options);
      if (store.readOnly) throw new Error("the stream's store opened read-only");
      window.stream = { durable: from, started: from, error: null };
      (async () => {
        for (let step = from + 1; ; step++) {
          const nodes = [];
          for (let j = 0; j < K; j++) {
            store.put(T.addr(step, j), T.node(step, j, SIZE));
            nodes.push(T.addr(step, j));
          }
          store.writeRoot(T.enc({ counter: step, nodes }));
          store.sync();
          window.stream.started = step;
          store.whenDurable().then(() => { window.stream.durable = Math.max(window.stream.durable, step); },
            (err) => { window.stream.error = String(err); });
          await new Promise((resolve) => setTimeout(resolve, step % 3 === 0 ? 1 : 0));
        }
      })().catch((err) => { window.stream.error = String(err); });
    },
    // Reopens the stream's store and checks it holds a complete prefix.
    async checkStream(name, K, SIZE) {
      const { IndexedDBStore } = await T.idb();
      const store = await IndexedDBStore.open(name);
      const root = T.dec(store.readRoot());
      const c = root.counter;
      const problems = [];
      for (const addr of root.nodes) if (!store.get(addr)) problems.push(`root lists missing node ${addr}`);
      for (let step = 1; step <= c; step++) {
        for (let j = 0; j < K; j++) if (!T.nodeOk(store.get(T.addr(step, j)), step, j, SIZE)) problems.push(`node ${step}/${j} missing or wrong`);
      }
      const beyond = store.list().filter((addr) => T.stepOf(addr) > c);
      if (beyond.length) problems.push(`${beyond.length} nodes of steps after ${c} (a partial commit)`);
      const count = store.list().length;
      const readOnly = store.readOnly;
      store.close();
      await store.whenDurable();
      return { counter: c, problems: problems.slice(0, 10), count, readOnly };
    },
    enc: (value) => new TextEncoder().encode(JSON.stringify(value)),
    dec: (bytes) => (bytes === null ? null : JSON.parse(new TextDecoder().decode(bytes))),
  };
}

test.beforeEach(async ({ context }) => {
  await context.addInitScript(pageHelpers);
});

test("IndexedDB store: nodes and root written, synced and durable survive a reload", async ({ page }) => {
  const problems = await openHarness(page);
  const written = await page.evaluate(async () => {
    const { IndexedDBStore } = await T.idb();
    const store = await IndexedDBStore.open("e2e-reload");
    const empty = { root: store.readRoot(), nodes: store.list().length, readOnly: store.readOnly };
    for (let j = 0; j < 200; j++) store.put(T.addr(1, j), T.node(1, j, 1024));
    store.writeRoot(T.enc({ counter: 1, nodes: 200 }));
    store.sync();
    await store.whenDurable();
    // written after the last sync: must not survive
    store.put(T.addr(2, 0), T.node(2, 0, 1024));
    store.writeRoot(T.enc({ counter: 2, nodes: 201 }));
    window.store = store;  // left open: the reload must release the writer lock
    return { empty, stats: store.stats(), durabilitySupported: store.durabilitySupported };
  });
  expect(written.empty).toEqual({ root: null, nodes: 0, readOnly: false });
  expect(written.stats).toMatchObject({ nodes: 201, storedBytes: 201 * 1024, commits: 1 });
  expect(written.durabilitySupported).toBe(true);

  await page.reload();
  const read = await page.evaluate(async () => {
    const { IndexedDBStore } = await T.idb();
    const store = await IndexedDBStore.open("e2e-reload");
    let bad = 0;
    for (let j = 0; j < 200; j++) if (!T.nodeOk(store.get(T.addr(1, j)), 1, j, 1024)) bad++;
    const result = { readOnly: store.readOnly, root: T.dec(store.readRoot()), nodes: store.list().length, bad, unsynced: store.get(T.addr(2, 0)), stats: store.stats() };
    store.close();
    return result;
  });
  expect(read).toMatchObject({ readOnly: false, root: { counter: 1, nodes: 200 }, nodes: 200, bad: 0, unsynced: null });
  expect(read.stats).toMatchObject({ nodes: 200, storedBytes: 200 * 1024 });
  expectNoProblems(problems);
});

test("IndexedDB store: a reload in the middle of a stream of syncs keeps a complete prefix", async ({ page }) => {
  test.setTimeout(120_000);
  const problems = await openHarness(page);
  const K = 8;        // nodes per sync
  const SIZE = 300;   // bytes per node
  const ROUNDS = 5;
  let counter = 0;
  const log = [];
  for (let round = 0; round < ROUNDS; round++) {
    await page.evaluate(({ from, K, SIZE }) => T.stream("e2e-stream", from, K, SIZE), { from: counter, K, SIZE });
    await page.waitForFunction((target) => window.stream.error || window.stream.durable >= target, counter + 20 + round * 7);
    await page.waitForTimeout(round * 3);  // vary the moment of the reload
    const before = await page.evaluate(() => ({ ...window.stream }));
    expect(before.error).toBeNull();
    await page.reload();
    const after = await page.evaluate(({ K, SIZE }) => T.checkStream("e2e-stream", K, SIZE), { K, SIZE });
    log.push(`round ${round}: acknowledged ${before.durable}, started ${before.started} before the reload; reopened at ${after.counter}`);
    expect(after.readOnly).toBe(false);
    expect(after.problems).toEqual([]);
    expect(after.counter).toBeGreaterThanOrEqual(before.durable);  // every acknowledged sync is there
    expect(after.counter).toBeGreaterThan(counter);
    expect(after.count).toBe(after.counter * K);
    counter = after.counter;
  }
  console.log(`IndexedDB reload mid-stream:\n  ${log.join("\n  ")}`);
  expectNoProblems(problems);
});

test("IndexedDB store: a second tab opens read-only (one writer), store-locked on request", async ({ context }) => {
  const tab1 = await context.newPage();
  const problems1 = await openHarness(tab1);
  const tab2 = await context.newPage();
  const problems2 = await openHarness(tab2);

  await tab1.evaluate(async () => {
    const { IndexedDBStore } = await T.idb();
    window.store = await IndexedDBStore.open("e2e-tabs");
    for (let j = 0; j < 10; j++) window.store.put(T.addr(1, j), T.node(1, j, 100));
    window.store.writeRoot(T.enc({ counter: 1 }));
    window.store.sync();
    await window.store.whenDurable();
  });

  const second = await tab2.evaluate(async () => {
    const { IndexedDBStore } = await T.idb();
    const t0 = performance.now();
    const store = await IndexedDBStore.open("e2e-tabs");
    const openMs = performance.now() - t0;
    const attempt = (f) => { try { f(); return "ok"; } catch (err) { return `${err.code} | ${err.message}`; } };
    const result = {
      readOnly: store.readOnly,
      openMs,
      root: T.dec(store.readRoot()),
      nodes: store.list().length,
      put: attempt(() => store.put(T.addr(9, 0), T.node(9, 0, 10))),
      writeRoot: attempt(() => store.writeRoot(T.enc({ counter: 9 }))),
      del: attempt(() => store.del([T.addr(1, 0)])),
      sync: attempt(() => store.sync()),
    };
    let locked;
    try {
      await IndexedDBStore.open("e2e-tabs", { onLocked: "error", lockWaitMs: 0 });
      locked = "opened";
    } catch (err) {
      locked = `${err.code} | ${err.message}`;
    }
    window.reader = store;
    return { ...result, locked };
  });
  expect(second).toMatchObject({ readOnly: true, root: { counter: 1 }, nodes: 10, sync: "ok" });
  expect(second.put).toMatch(/^store-readonly \| store-readonly: IndexedDB store "e2e-tabs" was opened read-only/);
  expect(second.writeRoot).toMatch(/^store-readonly/);
  expect(second.del).toMatch(/^store-readonly/);
  expect(second.locked).toMatch(/^store-locked \| store-locked: IndexedDB store "e2e-tabs" is open for writing elsewhere/);

  // the writer goes on; the reader keeps its consistent snapshot
  await tab1.evaluate(async () => {
    window.store.del([T.addr(1, 0)]);
    window.store.put(T.addr(2, 0), T.node(2, 0, 100));
    window.store.writeRoot(T.enc({ counter: 2 }));
    window.store.sync();
    await window.store.whenDurable();
  });
  expect(await tab2.evaluate(() => ({ root: T.dec(window.reader.readRoot()), has10: !!window.reader.get(T.addr(1, 0)), has20: !!window.reader.get(T.addr(2, 0)) })))
    .toEqual({ root: { counter: 1 }, has10: true, has20: false });

  // the writer closes the store: a reopen in tab 2 becomes the writer and sees the latest commit
  await tab1.evaluate(async () => { window.store.close(); await window.store.whenDurable(); });
  const reopened = await tab2.evaluate(async () => {
    const { IndexedDBStore } = await T.idb();
    window.reader.close();
    window.store = await IndexedDBStore.open("e2e-tabs");
    window.store.put(T.addr(3, 0), T.node(3, 0, 100));
    window.store.writeRoot(T.enc({ counter: 3 }));
    window.store.sync();
    await window.store.whenDurable();
    return { readOnly: window.store.readOnly, nodes: window.store.list().length };
  });
  expect(reopened).toEqual({ readOnly: false, nodes: 11 });

  // closing the tab (without close()) releases the lock too
  await tab2.close();
  const third = await tab1.evaluate(async () => {
    const { IndexedDBStore } = await T.idb();
    const store = await IndexedDBStore.open("e2e-tabs");
    const result = { readOnly: store.readOnly, root: T.dec(store.readRoot()) };
    store.close();
    return result;
  });
  expect(third).toEqual({ readOnly: false, root: { counter: 3 } });
  expectNoProblems(problems1);
  expectNoProblems(problems2);
});

test("IndexedDB store: the browser killed (SIGKILL) in the middle of a stream keeps every acknowledged sync, as a complete prefix", async ({}, testInfo) => {
  test.setTimeout(180_000);
  const dir = mkdtempSync(path.join(tmpdir(), "datalite-e2e-profile-"));
  const K = 8;
  const SIZE = 300;
  const log = [];
  try {
    let counter = 0;
    for (let round = 0; round < 3; round++) {
      const context = await launchProfile(dir, testInfo);
      await context.addInitScript(pageHelpers);
      const page = context.pages()[0] ?? await context.newPage();
      const problems = await openHarness(page);
      if (round > 0) {
        const after = await page.evaluate(({ K, SIZE }) => T.checkStream("e2e-crash", K, SIZE), { K, SIZE });
        log.push(`restart ${round}: reopened at ${after.counter}`);
        expect(after.readOnly).toBe(false);
        expect(after.problems).toEqual([]);
        expect(after.counter).toBeGreaterThanOrEqual(counter);  // every acknowledged sync is there
        expect(after.count).toBe(after.counter * K);
        counter = after.counter;
      }
      if (round === 2) {
        expectNoProblems(problems);
        await context.close();
        break;
      }
      await page.evaluate(({ from, K, SIZE }) => T.stream("e2e-crash", from, K, SIZE, { durability: "strict" }), { from: counter, K, SIZE });
      await page.waitForFunction((target) => window.stream.error || window.stream.durable >= target, counter + 30);
      await page.waitForTimeout(5 + round * 7);
      const before = await page.evaluate(() => ({ ...window.stream }));
      expect(before.error).toBeNull();
      log.push(`round ${round}: acknowledged ${before.durable}, started ${before.started}, then SIGKILL`);
      counter = before.durable;
      expectNoProblems(problems);
      await killProfileBrowser(context, dir);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`IndexedDB browser kill mid-stream (on-disk profile):\n  ${log.join("\n  ")}`);
});

test("IndexedDB store: numbers (small sync latency, 10k x 2 KB prefetch), on-disk profile", async ({}, testInfo) => {
  test.setTimeout(180_000);
  const dir = mkdtempSync(path.join(tmpdir(), "datalite-e2e-profile-"));
  const context = await launchProfile(dir, testInfo);
  try {
    await context.addInitScript(pageHelpers);
    const page = context.pages()[0] ?? await context.newPage();
    await measure(page);
  } finally {
    await context.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

async function measure(page) {
  const problems = await openHarness(page);
  const syncs = await page.evaluate(async () => {
    const { IndexedDBStore } = await T.idb();
    const out = {};
    for (const durability of ["strict", "relaxed"]) {
      const store = await IndexedDBStore.open(`e2e-bench-${durability}`, { durability });
      const times = [];
      for (let step = 1; step <= 60; step++) {
        const t0 = performance.now();
        store.put(T.addr(step, 0), T.node(step, 0, 2048));
        store.writeRoot(T.enc({ counter: step }));
        store.sync();
        await store.whenDurable();
        times.push(performance.now() - t0);
      }
      times.splice(0, 10);  // warm-up
      times.sort((a, b) => a - b);
      out[durability] = { median: times[times.length >> 1], p90: times[Math.floor(times.length * 0.9)], max: times[times.length - 1] };
      store.close();
    }
    return out;
  });

  const N = 10_000;
  const write = await page.evaluate(async (N) => {
    const { IndexedDBStore } = await T.idb();
    const store = await IndexedDBStore.open("e2e-bench-10k");
    const t0 = performance.now();
    for (let j = 0; j < N; j++) store.put(T.addr(1, j), T.node(1, j, 2048));
    store.writeRoot(T.enc({ counter: 1 }));
    const queued = performance.now() - t0;
    store.sync();
    await store.whenDurable();
    const total = performance.now() - t0;
    store.close();
    return { queued, total };
  }, N);

  await page.reload();
  const prefetch = [];
  for (const chunk of [250, 1000, 4000]) {
    prefetch.push(await page.evaluate(async ({ N, chunk }) => {
      const { IndexedDBStore } = await T.idb();
      // longest stretch without a timer tick while open() runs
      let last = performance.now();
      let maxGap = 0;
      let done = false;
      const tick = () => {
        const now = performance.now();
        maxGap = Math.max(maxGap, now - last);
        last = now;
        if (!done) setTimeout(tick, 0);
      };
      setTimeout(tick, 0);
      const t0 = performance.now();
      const store = await IndexedDBStore.open("e2e-bench-10k", { prefetchChunk: chunk });
      const ms = performance.now() - t0;
      done = true;
      const ok = store.list().length === N && T.nodeOk(store.get(T.addr(1, N - 1)), 1, N - 1, 2048);
      const stats = store.stats();
      store.close();
      await store.whenDurable();
      return { chunk, ms, maxGapMs: maxGap, ok, storedBytes: stats.storedBytes };
    }, { N, chunk }));
  }
  const fmt = (x) => x.toFixed(1);
  console.log([
    "IndexedDB store in Chromium (headless, on-disk profile, this machine):",
    ...Object.entries(syncs).map(([d, t]) => `  sync of 1 node (2 KB) + root, until whenDurable(), durability ${d}: median ${fmt(t.median)} ms, p90 ${fmt(t.p90)} ms, max ${fmt(t.max)} ms`),
    `  ${N} x 2 KB nodes in one sync: queueing ${fmt(write.queued)} ms, durable after ${fmt(write.total)} ms`,
    ...prefetch.map((p) => `  open + prefetch of ${N} x 2 KB (chunk ${p.chunk}): ${fmt(p.ms)} ms, longest main-thread stretch without a timer tick ${fmt(p.maxGapMs)} ms`),
  ].join("\n"));
  for (const p of prefetch) {
    expect(p.ok).toBe(true);
    expect(p.storedBytes).toBe(N * 2048);
  }
  expectNoProblems(problems);
}
