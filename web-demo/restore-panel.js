// The "Live restore" panel: d.restore() (API.md section 7) of the demo
// database or of a generated ref-heavy one into a fresh database, with a
// progress bar, the restore metrics, and a chart of throughput (datoms/s)
// and pending refs over time, all driven by onProgress.
//
// On a page, restore() runs in a dedicated Worker (js/restore-page.js): the
// page only receives progress messages, so this panel's own frame counter
// keeps ticking while hundreds of thousands of datoms are copied. Sources:
//   - the demo database: the page's connection (its db is serialize()d on the
//     page and handed to the worker: tiny here);
//   - a generated database of N entities × 4 datoms: built once in IndexedDB
//     by restore-source-worker.mjs (off the page too) and passed to restore()
//     as a config, so the restore Worker opens it itself.
// Destinations: a fresh IndexedDB database "datalite-restore-demo-copy"
// (deleted before each run; the worker writes it and closes it, then the
// page connects and queries it) or a memory database (the result is
// deserialized on the page: fine for the demo db, noticeable for big ones).
import * as d from "/js/index.js";
import { $, h, clear } from "./dom.js";

const COPY_NAME = "datalite-restore-demo-copy";
const RATE_WINDOW_MS = 100;
const SOURCES = [
  { value: "demo", label: "the demo database (this page's connection)" },
  { value: "25000", label: "generated: 25k entities, 100k datoms" },
  { value: "130000", label: "generated: 130k entities, 520k datoms" },
  { value: "250000", label: "generated: 250k entities, 1M datoms" },
];
const METRICS = [
  ["datomsRead", "datoms read"], ["datomsWritten", "datoms written"], ["pendingCount", "pending refs"],
  ["batches", "batches"], ["lastTxMs", "last batch ms"], ["avgTxMs", "avg batch ms"],
  ["batchEfficiency", "batch efficiency"], ["utilizationPct", "queue fill %"], ["elapsedMs", "elapsed ms"],
];

const panel = {
  running: false,
  points: [],   // { t (ms), rate (datoms/s), pending }
};

function build(root) {
  const sourceSelect = h("select", { name: "source", dataset: { testid: "restore-source" } },
    SOURCES.map((s) => h("option", { value: s.value }, s.label)));
  clear(root,
    h("div", { class: "panel-head" },
      h("h2", { id: "restore-h" }, "Live restore"),
      h("span", { class: "muted" }, h("code", {}, "d.restore()"), " copies the schema and current datoms into a fresh database, in a Worker")),
    h("form", { class: "restore-form", dataset: { testid: "restore-form" } },
      h("label", {}, "Source ", sourceSelect),
      h("label", {}, "Mode ", h("select", { name: "mode", dataset: { testid: "restore-mode" } },
        h("option", { value: "single" }, "single pass (pending index)"),
        h("option", { value: "two" }, "two passes (non-refs, then refs)"))),
      h("label", {}, "Batch ", h("select", { name: "batch", dataset: { testid: "restore-batch" } },
        [50, 500, 2000].map((n) => h("option", { value: String(n), selected: n === 500 }, `${n} datoms`)))),
      h("label", {}, "Into ", h("select", { name: "dest", dataset: { testid: "restore-dest" } },
        h("option", { value: "indexeddb" }, `IndexedDB "${COPY_NAME}" (fresh)`),
        h("option", { value: "memory" }, "memory (deserialized on this page)"))),
      h("button", { type: "submit", class: "primary", dataset: { testid: "restore-start" } }, "Restore")),
    h("div", { class: "restore-bar" },
      h("progress", { max: "1", value: "0", dataset: { testid: "restore-progress" } }),
      h("span", { class: "restore-state", dataset: { testid: "restore-state" } }, "idle"),
      h("span", { class: "muted restore-frames", dataset: { testid: "restore-frames" } })),
    h("div", { class: "restore-cols" },
      h("figure", { class: "restore-chart" },
        svg("svg", { viewBox: "0 0 640 200", role: "img", "aria-label": "throughput and pending refs over time", "data-testid": "restore-chart" }),
        h("figcaption", {},
          h("span", { class: "key rate" }, "datoms/s"), " ",
          h("span", { class: "key pending" }, "pending refs"), " over elapsed time")),
      h("table", { class: "restore-metrics", dataset: { testid: "restore-metrics" } },
        h("tbody", {}, METRICS.map(([k, label]) => h("tr", {}, h("th", {}, label), h("td", { class: "num", dataset: { metric: k } }, "–")))))),
    h("p", { class: "restore-result", dataset: { testid: "restore-result" } }),
    h("p", { class: "error", hidden: true, dataset: { testid: "restore-error" } }));
  root.querySelector("form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    if (!panel.running) start(root, new FormData(ev.target)).catch((err) => showError(root, err));
  });
  drawChart(root);
}

function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.append(c);
  return el;
}

const fmt = (x) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : x >= 1e4 ? `${(x / 1e3).toFixed(0)}k` : x >= 100 ? x.toFixed(0) : x.toFixed(1));

// Throughput and pending over time, each scaled to its own maximum.
function drawChart(root) {
  const chart = root.querySelector("[data-testid=restore-chart]");
  const W = 640, H = 200, L = 48, R = 48, T = 10, B = 24;
  const pts = panel.points;
  const tMax = Math.max(1, ...pts.map((p) => p.t));
  const rMax = Math.max(1, ...pts.map((p) => p.rate));
  const pMax = Math.max(1, ...pts.map((p) => p.pending));
  const x = (t) => L + (t / tMax) * (W - L - R);
  const y = (v, max) => T + (1 - v / max) * (H - T - B);
  const line = (key, max) => pts.map((p) => `${x(p.t).toFixed(1)},${y(p[key], max).toFixed(1)}`).join(" ");
  chart.replaceChildren(
    svg("rect", { x: L, y: T, width: W - L - R, height: H - T - B, class: "frame" }),
    svg("text", { x: L - 4, y: T + 10, "text-anchor": "end", class: "axis rate" }, fmt(rMax)),
    svg("text", { x: L - 4, y: H - B, "text-anchor": "end", class: "axis rate" }, "0"),
    svg("text", { x: W - R + 4, y: T + 10, class: "axis pending" }, fmt(pMax)),
    svg("text", { x: W - R + 4, y: H - B, class: "axis pending" }, "0"),
    svg("text", { x: W - R, y: H - 6, "text-anchor": "end", class: "axis" }, `${(tMax / 1000).toFixed(2)} s`),
    svg("text", { x: L, y: H - 6, class: "axis" }, "0 s"),
    svg("polyline", { points: line("rate", rMax), class: "series rate", "data-testid": "restore-rate-line", "data-points": pts.length }),
    svg("polyline", { points: line("pending", pMax), class: "series pending", "data-testid": "restore-pending-line" }));
}

function showMetrics(root, m) {
  for (const [k] of METRICS) {
    const cell = root.querySelector(`[data-metric=${k}]`);
    const v = m[k];
    cell.textContent = typeof v !== "number" ? "–" : k === "batchEfficiency" ? v.toFixed(3) : Number.isInteger(v) ? String(v) : v.toFixed(2);
  }
}

function setState(root, text) {
  root.querySelector("[data-testid=restore-state]").textContent = text;
}

function showError(root, err) {
  panel.running = false;
  root.querySelector("[data-testid=restore-start]").disabled = false;
  const el = root.querySelector("[data-testid=restore-error]");
  el.hidden = false;
  clear(el, h("code", {}, err?.code ?? "error"), " ", String(err?.message ?? err));
  setState(root, "failed");
  root.dataset.state = "failed";
}

// Builds (or finds) the generated source in IndexedDB, in a worker.
function generatedSource(entities) {
  const name = `datalite-restore-demo-source-${entities}`;
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./restore-source-worker.mjs", import.meta.url), { type: "module" });
    worker.onmessage = ({ data }) => {
      worker.terminate();
      if (data.ok) resolve({ ...data, config: { store: { backend: "indexeddb", name } } });
      else reject(new d.DataliteError(data.code ?? "store-error", data.message));
    };
    worker.onerror = (ev) => {
      worker.terminate();
      reject(new d.DataliteError("store-error", `the source worker failed: ${ev.message}`));
    };
    worker.postMessage({ entities, name });
  });
}

// Counts frames on this page while the restore runs: the panel's own proof
// that the page stays responsive.
function frameCounter(root) {
  const el = root.querySelector("[data-testid=restore-frames]");
  let frames = 0, last = performance.now(), longest = 0, on = true;
  const tick = (now) => {
    frames++;
    longest = Math.max(longest, now - last);
    last = now;
    el.textContent = `page frames during the restore: ${frames} · longest gap ${longest.toFixed(0)} ms`;
    el.dataset.frames = String(frames);
    if (on) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  return () => { on = false; };
}

async function start(root, form) {
  panel.running = true;
  panel.points = [];
  root.dataset.state = "running";
  const button = root.querySelector("[data-testid=restore-start]");
  button.disabled = true;
  root.querySelector("[data-testid=restore-error]").hidden = true;
  root.querySelector("[data-testid=restore-result]").textContent = "";
  const bar = root.querySelector("[data-testid=restore-progress]");
  bar.value = 0;
  showMetrics(root, {});
  drawChart(root);

  const sourceKind = form.get("source");
  const destKind = form.get("dest");
  let source, expected, check;
  if (sourceKind === "demo") {
    const conn = globalThis.demo?.conn;
    if (!conn) throw new d.DataliteError("invalid-input", "the demo database is not open yet");
    source = conn;
    expected = Math.max(1, conn.db().count);
    check = { query: "[:find (count ?t) . :where [?t :task/title]]", say: (n) => `${n} tasks`, want: conn.db().q("[:find (count ?t) . :where [?t :task/title]]") };
  } else {
    const entities = Number(sourceKind);
    setState(root, `preparing the source (${entities * 4} datoms in IndexedDB, in a worker)…`);
    const gen = await generatedSource(entities);
    setState(root, `source ready (${gen.cached ? "kept from an earlier run" : `built in ${gen.ms.toFixed(0)} ms`})`);
    source = gen.config;
    expected = gen.datoms;
    check = {
      query: '[:find (count ?e) . :where [?e :p/friend ?f] [?f :p/name]]',
      say: (n) => `${n} entities whose :p/friend resolves`,
      want: entities,
    };
  }
  const dest = destKind === "memory"
    ? { store: { backend: "memory", id: COPY_NAME } }
    : { store: { backend: "indexeddb", name: COPY_NAME } };
  await d.deleteDatabase(dest);

  const stopFrames = frameCounter(root);
  const seen = [];
  let redraw = 0;
  const t0 = performance.now();
  setState(root, "restoring…");
  let report;
  try {
    report = await d.restore({
      source, dest,
      twoPass: form.get("mode") === "two",
      maxBatchSize: Number(form.get("batch")),
      onProgress(m) {
        // Batches reach the committer in bursts: the rate is taken over the
        // last RATE_WINDOW_MS of engine time rather than between two events.
        seen.push(m);
        let j = seen.length - 1;
        while (j > 0 && m.elapsedMs - seen[j].elapsedMs < RATE_WINDOW_MS) j--;
        const base = j < seen.length - 1 ? seen[j] : { elapsedMs: 0, datomsWritten: 0 };
        const dt = m.elapsedMs - base.elapsedMs;
        panel.points.push({ t: m.elapsedMs, rate: dt > 0 ? ((m.datomsWritten - base.datomsWritten) / dt) * 1000 : 0, pending: m.pendingCount });
        bar.value = Math.min(1, m.datomsWritten / expected);
        showMetrics(root, m);
        if (m.datomsWritten >= expected) setState(root, "building indexes, writing the destination…");
        if (!redraw) redraw = requestAnimationFrame(() => { redraw = 0; drawChart(root); });
      },
    });
  } finally {
    stopFrames();
  }
  const pageMs = performance.now() - t0;
  bar.value = 1;
  drawChart(root);
  showMetrics(root, report);
  const rate = report.datomsWritten / Math.max(report.durationSec, 1e-6);
  setState(root, `done: ${report.datomsWritten} datoms in ${report.durationSec.toFixed(2)} s in the engine ` +
    `(${fmt(rate)} datoms/s), ${(pageMs / 1000).toFixed(2)} s in all · ` +
    `${report.inWorker ? `in a Worker, engine ${report.variant}` : "on this page"}`);

  // The copy answers queries: connect (the worker closed it) and ask.
  const conn = await d.connect(dest);
  try {
    const n = conn.db().q(check.query);
    root.querySelector("[data-testid=restore-result]").textContent =
      `The copy (${destKind === "memory" ? "memory" : `IndexedDB "${COPY_NAME}"`}, ${conn.db().count} datoms) has ${check.say(n)}` +
      `${n === check.want ? ", like the source." : `, the source ${check.want}!`}`;
  } finally {
    await conn.close();
  }
  panel.running = false;
  button.disabled = false;
  root.dataset.state = "done";
}

const root = $("#restore-panel");
if (root) build(root);
