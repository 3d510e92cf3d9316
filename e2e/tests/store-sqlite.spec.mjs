// js/stores/sqlite.js in Chromium: a dedicated module Worker opens the store
// on the opfs-sahpool VFS (OPFS, no COOP/COEP needed), writes, the page
// reloads, a new worker reopens it and finds the data; a second tab; the
// browser killed (SIGKILL) between commits; numbers. sqlite-wasm's files
// come from /node_modules/@sqlite.org/sqlite-wasm/ (served by the demo server).
import { test, expect } from "@playwright/test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { openHarness, expectNoProblems, launchProfile, killProfileBrowser } from "./store-harness.mjs";

const SQLITE_PKG = new URL("../../node_modules/@sqlite.org/sqlite-wasm/package.json", import.meta.url);

// The worker: a module whose messages { id, op, args } call the store.
const WORKER_SOURCE = (origin) => `
import { SqliteStore } from "${origin}/js/stores/sqlite.js";
import sqlite3InitModule from "${origin}/node_modules/@sqlite.org/sqlite-wasm/index.mjs";

const hex = (n, width) => n.toString(16).padStart(width, "0");
const addr = (step, j) => hex(step, 24) + hex(j, 8);
const node = (step, j, size) => {
  const b = new Uint8Array(size).fill((step * 31 + j) & 255);
  new DataView(b.buffer).setUint32(0, step);
  new DataView(b.buffer).setUint32(4, j);
  return b;
};
const nodeOk = (bytes, step, j, size) => {
  if (!bytes || bytes.byteLength !== size) return false;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (v.getUint32(0) !== step || v.getUint32(4) !== j) return false;
  for (let i = 8; i < size; i++) if (bytes[i] !== ((step * 31 + j) & 255)) return false;
  return true;
};
const enc = (value) => new TextEncoder().encode(JSON.stringify(value));
const dec = (bytes) => (bytes === null ? null : JSON.parse(new TextDecoder().decode(bytes)));

let store = null;
const ops = {
  async open({ path }) {
    const t0 = performance.now();
    store = await SqliteStore.open({ path, sqlite3InitModule });
    return { ms: performance.now() - t0, persistent: store.persistent, root: dec(store.readRoot()), stats: store.stats() };
  },
  write({ step, count, size, sync = true }) {
    for (let j = 0; j < count; j++) store.put(addr(step, j), node(step, j, size));
    store.writeRoot(enc({ counter: step, count }));
    if (sync) store.sync();
    return store.stats();
  },
  check({ size }) {
    const root = dec(store.readRoot());
    let bad = 0;
    for (let step = 1; step <= root.counter; step++) {
      for (let j = 0; j < root.count; j++) if (!nodeOk(store.get(addr(step, j)), step, j, size)) bad++;
    }
    return { root, bad, list: store.list().length, stats: store.stats() };
  },
  del({ step, count }) {
    store.del(Array.from({ length: count }, (_, j) => addr(step, j)));
    store.sync();
    return store.stats();
  },
  bench({ syncs, size }) {
    const times = [];
    for (let i = 0; i < syncs; i++) {
      const t0 = performance.now();
      store.put(addr(1000 + i, 0), node(1000 + i, 0, size));
      store.writeRoot(enc({ counter: 0, count: 0, bench: i }));
      store.sync();
      times.push(performance.now() - t0);
    }
    const t1 = performance.now();
    for (let i = 0; i < syncs; i++) if (!nodeOk(store.get(addr(1000 + i, 0)), 1000 + i, 0, size)) throw new Error("bench node " + i);
    const getUs = ((performance.now() - t1) * 1000) / syncs;
    times.splice(0, 10);
    times.sort((a, b) => a - b);
    return { median: times[times.length >> 1], p90: times[Math.floor(times.length * 0.9)], getUs };
  },
  close() {
    store.close();
    return true;
  },
  // Commits steps from+1, ... (K nodes + a root listing them) until stopped;
  // progress goes to the page as { progress: step } after each COMMIT.
  stream({ from, K, size }) {
    (async () => {
      for (let step = from + 1; ; step++) {
        for (let j = 0; j < K; j++) store.put(addr(step, j), node(step, j, size));
        store.writeRoot(enc({ counter: step, count: K }));
        store.sync();
        postMessage({ progress: step });
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
    })().catch((err) => postMessage({ progress: -1, error: String(err?.message ?? err) }));
    return true;
  },
  checkStream({ K, size }) {
    const root = dec(store.readRoot());
    let bad = 0;
    for (let step = 1; step <= root.counter; step++) {
      for (let j = 0; j < K; j++) if (!nodeOk(store.get(addr(step, j)), step, j, size)) bad++;
    }
    const beyond = store.list().filter((a) => Number.parseInt(a.slice(0, 24), 16) > root.counter).length;
    return { counter: root.counter, bad, beyond, count: store.stats().nodes };
  },
};

self.onmessage = async ({ data: { id, op, args } }) => {
  try {
    postMessage({ id, ok: true, result: await ops[op](args ?? {}) });
  } catch (err) {
    postMessage({ id, ok: false, error: String(err?.message ?? err), code: err?.code ?? null });
  }
};
postMessage({ ready: true });
`;

// Starts the worker in the page; window.call(op, args) talks to it.
async function startWorker(page) {
  await page.evaluate(async (source) => {
    const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
    const worker = new Worker(url, { type: "module" });
    const pending = new Map();
    let next = 0;
    await new Promise((resolve, reject) => {
      worker.onerror = (event) => reject(new Error(`worker failed to start: ${event.message ?? "error"}`));
      worker.onmessage = ({ data }) => {
        if (data.ready) {
          resolve();
          return;
        }
        if (data.progress !== undefined) {
          window.progress = data;
          return;
        }
        const p = pending.get(data.id);
        pending.delete(data.id);
        if (data.ok) p.resolve(data.result);
        else p.reject(Object.assign(new Error(data.error), { code: data.code }));
      };
    });
    window.call = (op, args) => new Promise((resolve, reject) => {
      const id = ++next;
      pending.set(id, { resolve, reject });
      worker.postMessage({ id, op, args });
    });
  }, WORKER_SOURCE(new URL(page.url()).origin));
}

const call = (page, op, args) => page.evaluate(({ op, args }) => window.call(op, args), { op, args });
const callError = (page, op, args) =>
  page.evaluate(({ op, args }) => window.call(op, args).then(() => "no error", (err) => `${err.code} | ${err.message}`), { op, args });

test.beforeAll(() => {
  if (!existsSync(SQLITE_PKG)) throw new Error("node_modules/@sqlite.org/sqlite-wasm is missing: run `npm ci` at the repository root");
});

test("sqlite store: the demo server serves sqlite-wasm's files with the right types, nothing else of node_modules", async ({ request }) => {
  const base = "/node_modules/@sqlite.org/sqlite-wasm";
  for (const [path, type] of [[`${base}/index.mjs`, "text/javascript"], [`${base}/sqlite-wasm/jswasm/sqlite3.wasm`, "application/wasm"],
    [`${base}/sqlite-wasm/jswasm/sqlite3-bundler-friendly.mjs`, "text/javascript"], [`${base}/sqlite-wasm/jswasm/sqlite3-opfs-async-proxy.js`, "text/javascript"]]) {
    const res = await request.get(path);
    expect(res.status(), path).toBe(200);
    expect(res.headers()["content-type"], path).toContain(type);
  }
  for (const path of ["/node_modules/typescript/package.json", "/node_modules/@sqlite.org/", "/node_modules/", "/node_modules/.package-lock.json",
    `${base}/..%2f..%2ftypescript/package.json`, `${base}/../../typescript/package.json`]) {
    expect((await request.get(path)).status(), path).toBe(404);
  }
});

test("sqlite store: a db written in a dedicated worker on opfs-sahpool survives a reload", async ({ page }) => {
  const problems = await openHarness(page);
  await startWorker(page);
  const opened = await call(page, "open", { path: "/e2e.db" });
  expect(opened).toMatchObject({ persistent: true, root: null, stats: { nodes: 0, storedBytes: 0 } });
  for (let step = 1; step <= 3; step++) await call(page, "write", { step, count: 100, size: 1024 });
  await call(page, "del", { step: 2, count: 0 });
  // written after the last sync, and the page goes away: must not survive
  await call(page, "write", { step: 4, count: 100, size: 1024, sync: false });

  await page.reload();  // the worker dies with the page, the store is not closed
  await startWorker(page);
  const reopened = await call(page, "open", { path: "/e2e.db" });
  expect(reopened).toMatchObject({ persistent: true, root: { counter: 3, count: 100 }, stats: { nodes: 300, storedBytes: 300 * 1024 } });
  const checked = await call(page, "check", { size: 1024 });
  expect(checked).toMatchObject({ bad: 0, list: 300 });

  const stats = await call(page, "del", { step: 3, count: 100 });
  expect(stats).toMatchObject({ nodes: 200, storedBytes: 200 * 1024 });
  await call(page, "close");

  await page.reload();
  await startWorker(page);
  const third = await call(page, "open", { path: "/e2e.db" });
  expect(third.stats).toMatchObject({ nodes: 200 });
  expectNoProblems(problems);
});

test("sqlite store: a second tab gets store-locked while the first holds the OPFS pool, and opens once it is released", async ({ context }) => {
  const tab1 = await context.newPage();
  const problems1 = await openHarness(tab1);
  await startWorker(tab1);
  await call(tab1, "open", { path: "/tabs.db" });
  await call(tab1, "write", { step: 1, count: 5, size: 64 });

  const tab2 = await context.newPage();
  const problems2 = await openHarness(tab2);
  await startWorker(tab2);
  expect(await callError(tab2, "open", { path: "/tabs.db" })).toMatch(/^store-locked \| store-locked: the OPFS pool "datalite-sqlite" is in use by another tab or worker/);

  await call(tab1, "close");  // releases the pool's access handles
  const opened = await call(tab2, "open", { path: "/tabs.db" });
  expect(opened.root).toEqual({ counter: 1, count: 5 });
  expectNoProblems(problems1);
  expectNoProblems(problems2);
});

test("sqlite store: the browser killed (SIGKILL) between commits keeps every committed sync, as a complete prefix", async ({}, testInfo) => {
  test.setTimeout(180_000);
  const dir = mkdtempSync(path.join(tmpdir(), "datalite-e2e-profile-"));
  const K = 8;
  const SIZE = 300;
  const log = [];
  try {
    let counter = 0;
    for (let round = 0; round < 3; round++) {
      const context = await launchProfile(dir, testInfo);
      const page = context.pages()[0] ?? await context.newPage();
      const problems = await openHarness(page);
      await startWorker(page);
      const opened = await call(page, "open", { path: "/crash.db" });
      if (round > 0) {
        const after = await call(page, "checkStream", { K, size: SIZE });
        log.push(`restart ${round}: reopened at ${after.counter}`);
        expect(after).toMatchObject({ bad: 0, beyond: 0, count: after.counter * K });
        expect(after.counter).toBeGreaterThanOrEqual(counter);  // every committed sync is there
        counter = after.counter;
      } else {
        expect(opened.root).toBeNull();
      }
      if (round === 2) {
        expectNoProblems(problems);
        await context.close();
        break;
      }
      await call(page, "stream", { from: counter, K, size: SIZE });
      await page.waitForFunction((target) => window.progress && (window.progress.error || window.progress.progress >= target), counter + 15);
      await page.waitForTimeout(10 + round * 13);
      const before = await page.evaluate(() => ({ ...window.progress }));
      expect(before.error).toBeUndefined();
      log.push(`round ${round}: committed ${before.progress}, then SIGKILL`);
      counter = before.progress;
      expectNoProblems(problems);
      await killProfileBrowser(context, dir);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`sqlite (opfs-sahpool) browser kill mid-stream (on-disk profile):\n  ${log.join("\n  ")}`);
});

test("sqlite store: numbers (small sync on OPFS, reads), on-disk profile", async ({}, testInfo) => {
  test.setTimeout(120_000);
  const dir = mkdtempSync(path.join(tmpdir(), "datalite-e2e-profile-"));
  const context = await launchProfile(dir, testInfo);
  try {
    await measure(context.pages()[0] ?? await context.newPage());
  } finally {
    await context.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

async function measure(page) {
  const problems = await openHarness(page);
  await startWorker(page);
  const opened = await call(page, "open", { path: "/bench.db" });
  const bench = await call(page, "bench", { syncs: 200, size: 2048 });
  console.log([
    "sqlite store (opfs-sahpool, dedicated worker, Chromium headless, on-disk profile):",
    `  open (sqlite-wasm init + pool + schema): ${opened.ms.toFixed(1)} ms`,
    `  sync of 1 node (2 KB) + root (COMMIT): median ${bench.median.toFixed(2)} ms, p90 ${bench.p90.toFixed(2)} ms`,
    `  get of a 2 KB node: ${bench.getUs.toFixed(1)} µs`,
  ].join("\n"));
  expectNoProblems(problems);
}
