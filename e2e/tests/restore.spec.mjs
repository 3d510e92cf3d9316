// restore() on a browser page runs in a dedicated module Worker
// (js/restore-page.js → js/restore-worker.js): the page's main thread keeps
// rendering while 520k datoms are restored. On the demo server's origin
// (engine harness page, tests/engine-harness.mjs): isolated → the worker
// loads the threaded engine ("mt": its readers and tx workers are wasm
// pthreads started from the worker); not isolated → the single-threaded one
// ("st"), as under the demo's /noiso/.
//
// Measuring "the main thread is never blocked for more than 50 ms":
// - a requestAnimationFrame counter and a 5 ms setInterval run on the page
//   during the restore; their longest gaps are recorded;
// - a Chromium trace (category "toplevel") of the same window gives every
//   task the page's main thread (CrRendererMain) ran, with its wall time
//   and its thread CPU time.
// A task's CPU time is what the page itself spent: the hard assertion is
// that no main-thread task used ≥ 50 ms of CPU while the restore ran (the
// control test runs the restore inline on the page: one task of 180-600 ms). The
// rAF gap also depends on getting a core at all: this machine has 2 cores
// shared with other jobs, and the restore's own threads (the worker, and in
// mt up to 4 pthreads) compete with the page's thread for them. So the rAF
// assertion (longest gap < 50 ms) is strict when the machine is not
// overloaded (1-minute load average ≤ twice its core count: measured here,
// gaps stayed at 20-40 ms up to a load of ~4 on 2 cores and reached
// 100-300 ms at ~20, with the same code); when it is, the test
// logs the gap, notes it as an annotation, and asserts only that frames kept
// coming (≥ 30 per second) — the trace then shows the long gaps as
// waiting, not work (wall ≫ CPU). Numbers for every run go to the log.
// A Db of the page as the source, or a memory destination, costs the page a
// serialize() / deserialize(): the test with both logs those costs (they
// are page work by design, see js/restore-page.js) and checks the result.
import os from "node:os";
import { test, expect } from "@playwright/test";
import { VARIANTS, openEngineHarness, expectNoProblems } from "./engine-harness.mjs";
import { ISO, NOISO, SEED_TASKS, openDemo, taskItems } from "./helpers.mjs";

const ENTITIES = 130_000;  // 4 datoms each: 520k datoms, half of them refs
const BLOCKED_MS = 50;

// Installed in the page: a ref-heavy data set, the frame/tick probe.
function pageHelpers() {
  const schema = {
    "p/friend": { "db/valueType": "db.type/ref" },
    "p/team": { "db/valueType": "db.type/ref" },
    "p/name": { "db/unique": "db.unique/identity" },
    "p/age": { "db/valueType": "db.type/long" },
  };
  // Entity i (1-based): name, age, a friend anywhere (forward refs wait in
  // the pending index in single-pass mode), the first member of its group of
  // 16 as "team".
  function datoms(n) {
    const out = new Array(n * 4);
    let k = 0;
    for (let i = 1; i <= n; i++) {
      out[k++] = [i, "p/name", `p${i}`];
      out[k++] = [i, "p/age", i % 90];
      out[k++] = [i, "p/friend", ((i * 7919) % n) + 1];
      out[k++] = [i, "p/team", ((i >> 4) << 4) || 1];
    }
    return out;
  }
  // Records rAF and timer gaps until stop().
  function probe() {
    const t0 = performance.now();
    const frames = [];
    const ticks = [];
    let running = true;
    const onFrame = () => {
      frames.push(performance.now());
      if (running) requestAnimationFrame(onFrame);
    };
    requestAnimationFrame(onFrame);
    const timer = setInterval(() => ticks.push(performance.now()), 5);
    const longest = (xs, end) => {
      const all = [t0, ...xs, end];
      let max = 0;
      for (let i = 1; i < all.length; i++) max = Math.max(max, all[i] - all[i - 1]);
      return max;
    };
    performance.mark("probe-start");
    return {
      stop() {
        running = false;
        clearInterval(timer);
        performance.mark("probe-end");
        const end = performance.now();
        return { ms: end - t0, frames: frames.length, maxFrameGap: longest(frames, end), maxTickGap: longest(ticks, end) };
      },
    };
  }
  window.R = {
    schema, datoms, probe,
    d: () => import("/js/index.js"),
    idb: (name) => ({ schema, store: { backend: "indexeddb", name } }),
    error: (err) => ({ code: err?.code, message: String(err?.message ?? err) }),
  };
}

// Runs `fn` (which calls R.probe() and stops it) under a Chromium trace;
// returns fn's result and the main thread's longest tasks between the
// probe's marks.
async function traced(page, fn) {
  const browser = page.context().browser();
  await browser.startTracing(page, { categories: ["toplevel", "blink.user_timing"] });
  let result;
  try {
    result = await fn();
    // Let the renderer hand over its trace chunks: stopping at once lost the
    // event of the task that had just ended in about one run in five.
    await page.evaluate(() => new Promise((r) => setTimeout(r, 300)));
  } finally {
    const buffer = await browser.stopTracing();
    const events = JSON.parse(buffer.toString("utf8")).traceEvents;
    const start = events.find((e) => e.name === "probe-start");
    const end = events.find((e) => e.name === "probe-end");
    if (result && start && end) {
      // Tasks overlapping the window (the one that set the first mark too).
      const tasks = events.filter((e) => e.ph === "X" && e.name === "ThreadControllerImpl::RunTask" &&
        e.pid === start.pid && e.tid === start.tid && e.ts + e.dur >= start.ts && e.ts <= end.ts);
      const ms = (us) => Math.round((us ?? 0) / 100) / 10;
      result.mainThread = {
        tasks: tasks.length,
        longestWallMs: ms(Math.max(0, ...tasks.map((t) => t.dur))),
        longestCpuMs: ms(Math.max(0, ...tasks.map((t) => t.tdur ?? t.dur))),
        overWall: tasks.filter((t) => t.dur >= BLOCKED_MS * 1000).map((t) => ({ wall: ms(t.dur), cpu: ms(t.tdur) })),
      };
    }
  }
  return result;
}

async function setup(page, isolated) {
  const problems = await openEngineHarness(page, { isolated });
  await page.evaluate(pageHelpers);
  return problems;
}

// The probe over an idle second: what rAF does here without the restore.
async function idleBaseline(page) {
  return page.evaluate(async () => {
    const p = R.probe();
    await new Promise((r) => setTimeout(r, 1000));
    return p.stop();
  });
}

const overloaded = () => os.loadavg()[0] > 2 * os.cpus().length;

function checkFrames(run, label) {
  const load = os.loadavg()[0];
  const fps = run.gaps.frames / (run.gaps.ms / 1000);
  expect(run.mainThread, "the trace has the main thread's tasks").toBeDefined();
  expect(run.mainThread.longestCpuMs, `${label}: a main-thread task used ${run.mainThread.longestCpuMs} ms of CPU`).toBeLessThan(BLOCKED_MS);
  expect(fps, `${label}: frames kept coming`).toBeGreaterThanOrEqual(30);
  if (!overloaded()) {
    expect(run.gaps.maxFrameGap, `${label}: longest rAF gap`).toBeLessThan(BLOCKED_MS);
  } else if (run.gaps.maxFrameGap >= BLOCKED_MS) {
    test.info().annotations.push({ type: "overloaded", description: `${label}: load average ${load.toFixed(1)} on ${os.cpus().length} cores: ` +
      `longest rAF gap ${run.gaps.maxFrameGap.toFixed(1)} ms, but no main-thread task used more than ${run.mainThread.longestCpuMs} ms of CPU` });
  }
}

function describeRun(run) {
  const g = run.gaps;
  const m = run.mainThread ?? {};
  return `longest rAF gap ${g.maxFrameGap.toFixed(1)} ms (${g.frames} frames, ${(g.frames / (g.ms / 1000)).toFixed(0)}/s), ` +
    `longest 5 ms-timer gap ${g.maxTickGap.toFixed(1)} ms · main thread: ${m.tasks} tasks, longest ${m.longestWallMs} ms wall / ` +
    `${m.longestCpuMs} ms CPU${m.overWall?.length ? `, ≥${BLOCKED_MS} ms wall: ${JSON.stringify(m.overWall)}` : ""} · ` +
    `load average ${os.loadavg()[0].toFixed(1)}`;
}

for (const { name: variant, isolated } of VARIANTS) {
  test(`${variant}: restoring 520k datoms from IndexedDB into IndexedDB runs in a Worker; progress arrives and the main thread is not blocked`, async ({ page }) => {
    test.setTimeout(300_000);
    let problems = await setup(page, isolated);
    const id = `${variant}-${Date.now()}`;
    const src = `restore-src-${id}`;
    const built = await page.evaluate(async ({ src, n }) => {
      const d = await R.d();
      const t0 = performance.now();
      const conn = await d.connect(R.idb(src));
      await conn.load(R.datoms(n));
      const count = conn.db().count;
      await conn.close();
      return { count, ms: performance.now() - t0 };
    }, { src, n: ENTITIES });
    expect(built.count).toBeGreaterThanOrEqual(ENTITIES * 4);
    // A fresh document for the measurement: the build's garbage (520k datom
    // arrays) is not collected by the page in the middle of it, and the page
    // has no engine loaded (restore() does not need one for configs).
    await page.reload();
    await page.evaluate(pageHelpers);
    const idle = await idleBaseline(page);
    console.log(`[restore ${variant}] source: ${built.count} datoms loaded into IndexedDB in ${built.ms.toFixed(0)} ms · ` +
      `idle page: longest rAF gap ${idle.maxFrameGap.toFixed(1)} ms, timer ${idle.maxTickGap.toFixed(1)} ms, ${idle.frames} frames/s`);

    for (const twoPass of [false, true]) {
      const dest = `restore-dst-${id}-${twoPass ? "2p" : "1p"}`;
      const run = await traced(page, () => page.evaluate(async ({ src, dest, twoPass }) => {
        const d = await R.d();
        const progress = [];
        await new Promise((r) => setTimeout(r, 50));  // the probe starts in a task of its own
        const p = R.probe();
        let report, error;
        try {
          report = await d.restore({ source: R.idb(src), dest: R.idb(dest), twoPass, onProgress: (m) => progress.push(m) });
        } catch (err) {
          error = R.error(err);
        }
        const gaps = p.stop();
        if (error) return { error };
        const { oldToNew, ...plain } = report;
        return { gaps, progress: progress.length, last: progress.at(-1), report: plain, mapped1000: oldToNew(1000) };
      }, { src, dest, twoPass }));
      expect(run.error).toBeUndefined();
      const r = run.report;
      const label = `${variant} ${twoPass ? "two-pass" : "single-pass"}`;
      console.log(`[restore ${label}] ${r.datomsWritten} datoms in ${run.gaps.ms.toFixed(0)} ms on the page ` +
        `(engine ${(r.durationSec * 1000).toFixed(0)} ms = ${(r.datomsWritten / r.durationSec / 1e6).toFixed(2)} M datoms/s; ` +
        `worker + engine start ${r.workerStartMs.toFixed(0)} ms) · ${run.progress} progress events · ${describeRun(run)}`);
      expect(r.inWorker).toBe(true);
      expect(r.variant).toBe(variant);
      expect(r.finalPendingCount).toBe(0);
      expect(r.datomsWritten).toBeGreaterThanOrEqual(ENTITIES * 4);
      expect(run.progress).toBeGreaterThanOrEqual(5);
      expect(run.last.datomsWritten).toBe(r.datomsWritten);
      checkFrames(run, label);

      // The worker closed the destination: the page connects and queries it.
      const answers = await page.evaluate(async ({ dest, mapped1000 }) => {
        const d = await R.d();
        const conn = await d.connect(R.idb(dest));
        const db = conn.db();
        const out = {
          people: db.q("[:find (count ?e) . :where [?e :p/name]]"),
          friend: db.q('[:find ?n . :where [?e :p/name "p1000"] [?e :p/friend ?f] [?f :p/name ?n]]'),
          team: db.q('[:find ?n . :where [?e :p/name "p1000"] [?e :p/team ?t] [?t :p/name ?n]]'),
          ages: db.q("[:find (sum ?a) . :with ?e :where [?e :p/age ?a]]"),
          retracted: db.history().q("[:find (count ?e) . :where [?e :p/age _ _ false]]") ?? 0,
          mapped: db.pull("[:p/name]", mapped1000)?.[":p/name"],
          readOnly: conn.stats().readOnly,
        };
        await conn.close();
        return out;
      }, { dest, mapped1000: run.mapped1000 });
      let ages = 0;
      for (let i = 1; i <= ENTITIES; i++) ages += i % 90;
      expect(answers).toEqual({
        people: ENTITIES,
        friend: `p${((1000 * 7919) % ENTITIES) + 1}`,
        team: `p${(1000 >> 4) << 4}`,
        ages,
        retracted: 0,
        mapped: "p1000",
        readOnly: false,
      });
    }
    expectNoProblems(problems);
  });
}

for (const { name: variant, isolated } of VARIANTS) {
  test(`${variant}: a Db of the page into a memory database: serialize() on the page, restore in the Worker, deserialize on the page`, async ({ page }) => {
    test.setTimeout(300_000);
    const problems = await setup(page, isolated);
    const run = await traced(page, () => page.evaluate(async (n) => {
      const d = await R.d();
      await d.init();
      const source = d.initDb(R.datoms(n), R.schema);
      const t0 = performance.now();
      const bytes = source.serialize();
      const serializeMs = performance.now() - t0;
      const t1 = performance.now();
      d.deserialize(bytes).dispose();
      const deserializeMs = performance.now() - t1;
      const progress = [];
      const dest = { schema: R.schema, store: { backend: "memory", id: "restored" } };
      await new Promise((r) => setTimeout(r, 50));  // the probe starts in a task of its own
      const p = R.probe();
      const report = await d.restore({ source, dest, twoPass: true, onProgress: (m) => progress.push(m) });
      const gaps = p.stop();
      const conn = await d.connect(dest);
      const db = conn.db();
      const answers = {
        people: db.q("[:find (count ?e) . :where [?e :p/name]]"),
        friend: db.q('[:find ?n . :where [?e :p/name "p77"] [?e :p/friend ?f] [?f :p/name ?n]]'),
        same: db.q("[:find (count ?e) . :where [?e :p/team ?t] [?t :p/team ?t]]") ===
          source.q("[:find (count ?e) . :where [?e :p/team ?t] [?t :p/team ?t]]"),
      };
      await conn.close();
      const { oldToNew, ...plain } = report;
      return { gaps, serializeMs, deserializeMs, progress: progress.length, report: plain, answers };
    }, 60_000));
    const r = run.report;
    console.log(`[restore ${variant} Db → memory] ${r.datomsWritten} datoms · page-side steps: serialize ${run.serializeMs.toFixed(0)} ms, ` +
      `deserialize ${run.deserializeMs.toFixed(0)} ms (measured apart) · restore ${run.gaps.ms.toFixed(0)} ms, ${run.progress} progress events · ${describeRun(run)}`);
    expect(r.inWorker).toBe(true);
    expect(r.variant).toBe(variant);
    expect(r.datomsWritten).toBe(240_000);
    expect(run.progress).toBeGreaterThanOrEqual(5);
    expect(run.answers).toEqual({ people: 60_000, friend: `p${((77 * 7919) % 60_000) + 1}`, same: true });
    expectNoProblems(problems);
  });
}

test("isolated page that chose the single-threaded engine (init({ threads: false })): the restore Worker loads st too; errors keep their codes", async ({ page }) => {
  const problems = await setup(page, true);
  const out = await page.evaluate(async () => {
    const d = await R.d();
    await d.init({ threads: false });
    const source = d.initDb(R.datoms(2000), R.schema);
    const report = await d.restore({ source, dest: { store: { backend: "memory", id: "small" } } });
    const conn = await d.connect({ store: { backend: "memory", id: "small" } });
    const people = conn.db().q("[:find (count ?e) . :where [?e :p/name]]");
    const errors = [];
    for (const options of [
      { source, dest: { store: { backend: "memory", id: "small" } } },           // not empty
      { source: source.history(), dest: { store: { backend: "memory" } } },       // a history view
      { source, dest: { store: { backend: "custom", name: "x", open: async () => null } } },
      { source, dest: { store: { backend: "memory" } }, maxBatchSize: 0 },
    ]) {
      try {
        await d.restore(options);
        errors.push("resolved");
      } catch (err) {
        errors.push(err.code);
      }
    }
    await conn.close();
    return { variant: report.variant, inWorker: report.inWorker, people, errors, pageVariant: d.engineStats().variant, isolated: crossOriginIsolated };
  });
  expect(out).toEqual({ variant: "st", inWorker: true, people: 2000, errors: ["invalid-input", "invalid-input", "invalid-input", "invalid-input"], pageVariant: "st", isolated: true });
  expectNoProblems(problems);
});

test("a throw in onProgress stops the restore Worker and rejects restore() with that error; the destination stays empty", async ({ page }) => {
  const problems = await setup(page, true);
  const out = await page.evaluate(async () => {
    const d = await R.d();
    await d.init();
    const source = d.initDb(R.datoms(20_000), R.schema);
    const dest = { store: { backend: "memory", id: "stopped" } };
    let calls = 0;
    let message;
    try {
      await d.restore({ source, dest, maxBatchSize: 100, onProgress: () => { if (++calls === 2) throw new Error("stop here"); } });
      message = "resolved";
    } catch (err) {
      message = err.message;
    }
    const conn = await d.connect(dest);
    const count = conn.db().count;
    await conn.close();
    return { message, calls, count };
  });
  expect(out).toEqual({ message: "stop here", calls: 2, count: 0 });
  expectNoProblems(problems);
});

test("control: inline: true runs the restore on the page, and the same measurement sees the main thread blocked", async ({ page }) => {
  test.setTimeout(120_000);
  const problems = await setup(page, false);
  const run = await traced(page, () => page.evaluate(async (n) => {
    const d = await R.d();
    await d.init();
    const source = d.initDb(R.datoms(n), R.schema);
    await new Promise((r) => setTimeout(r, 100));
    const progress = [];
    const p = R.probe();
    await new Promise((r) => requestAnimationFrame(r));
    const report = await d.restore({ source, dest: { store: { backend: "memory" } }, inline: true, onProgress: (m) => progress.push(m) });
    const gaps = p.stop();
    return { gaps, progress: progress.length, inWorker: report.inWorker ?? false, datoms: report.datomsWritten };
  }, 50_000));
  console.log(`[restore st inline on the page] ${run.datoms} datoms · ${describeRun(run)}`);
  expect(run.inWorker).toBe(false);
  expect(run.progress).toBeGreaterThanOrEqual(5);
  expect(run.gaps.maxFrameGap).toBeGreaterThan(BLOCKED_MS);
  expect(run.mainThread.longestCpuMs).toBeGreaterThan(BLOCKED_MS);
  expectNoProblems(problems);
});

// The web demo's "Live restore" panel (web-demo/restore-panel.js).
test.describe("web demo: live restore panel", () => {
  for (const { path, variant } of [{ path: ISO, variant: "mt" }, { path: NOISO, variant: "st" }]) {
    test(`${variant}: a generated 100k-datom db into IndexedDB: progress bar, chart, metrics, the copy answers`, async ({ page }) => {
      test.setTimeout(180_000);
      const { errors } = await openDemo(page, path);
      const panel = page.getByTestId("restore-panel");
      await page.getByTestId("restore-source").selectOption("25000");
      await page.getByTestId("restore-mode").selectOption("two");
      await page.getByTestId("restore-start").click();
      await expect(panel).toHaveAttribute("data-state", "done", { timeout: 150_000 });
      await expect(page.getByTestId("restore-progress")).toHaveJSProperty("value", 1);
      await expect(page.getByTestId("restore-state")).toContainText(`in a Worker, engine ${variant}`);
      await expect(page.getByTestId("restore-result")).toContainText("has 25000 entities whose :p/friend resolves, like the source.");
      const points = Number(await page.getByTestId("restore-rate-line").getAttribute("data-points"));
      expect(points).toBeGreaterThanOrEqual(10);
      expect(Number(await page.getByTestId("restore-frames").getAttribute("data-frames"))).toBeGreaterThan(5);
      await expect(panel.locator("[data-metric=datomsWritten]")).toHaveText("100000");
      await expect(panel.locator("[data-metric=pendingCount]")).toHaveText("0");
      // The demo itself is untouched and still works.
      await expect(taskItems(page)).toHaveCount(SEED_TASKS);
      expect(errors).toEqual([]);
    });
  }

  test("st: the demo database itself into memory, small batches, single pass", async ({ page }) => {
    const { errors } = await openDemo(page, NOISO);
    await page.getByTestId("restore-source").selectOption("demo");
    await page.getByTestId("restore-batch").selectOption("50");
    await page.getByTestId("restore-dest").selectOption("memory");
    await page.getByTestId("restore-start").click();
    await expect(page.getByTestId("restore-panel")).toHaveAttribute("data-state", "done");
    await expect(page.getByTestId("restore-result")).toContainText(`has ${SEED_TASKS} tasks, like the source.`);
    await expect(page.getByTestId("restore-state")).toContainText("in a Worker, engine st");
    expect(errors).toEqual([]);
  });
});
