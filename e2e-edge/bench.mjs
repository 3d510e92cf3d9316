// Cold start and per-request latency of the examples in workerd and Deno,
// measured from Node over HTTP on 127.0.0.1 (see docs/edge-runtimes.md).
//   node bench.mjs [--starts 5] [--requests 200]
// Prints a markdown report. Not part of the tests.
import { execFileSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import { loadavg } from "node:os";
import {
  buildWorkerData, ESBUILD, getQuery, prebuildWorker, layOutApp, makeTempDir, packDatalite, removeDir, startDeno, startWorkerd, REPO,
} from "./lib/harness.mjs";
import { queryCases } from "./lib/cases.mjs";

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const STARTS = arg("starts", 5);
const REQUESTS = arg("requests", 200);
const RULE_REQUESTS = Math.max(5, Math.round(REQUESTS / 10));

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];
const ms = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const kb = (b) => `${(b / 1024).toFixed(0)} KB`;

const tmp = makeTempDir("bench");
process.on("exit", () => removeDir(tmp));
const pkg = packDatalite(tmp);
const worker = layOutApp("cloudflare-worker", tmp, pkg);
buildWorkerData(worker);
const deno = layOutApp("deno", tmp, pkg);
const { people } = await import(pathToFileURL(join(worker, "people.js")));
const cases = queryCases(people(500));
const POINT = cases[1];   // lookup by unique email
const SCAN = cases[2];    // group by city over all 500 people
const RULE = cases[5];    // recursive rule, transitive closure from one person

async function cold(start, app) {
  const runs = [];
  for (let i = 0; i < STARTS; i++) {
    const server = await start(app);
    const t = performance.now();
    const res = await getQuery(server, POINT.query, POINT.args);
    const done = performance.now();
    if (res.status !== 200) throw new Error(`${server.name}: ${JSON.stringify(res.body)}`);
    runs.push({ listen: server.listenMs, first: done - t, total: done - server.t0 });
    await server.stop();
  }
  return {
    listen: median(runs.map((r) => r.listen)),
    first: median(runs.map((r) => r.first)),
    total: median(runs.map((r) => r.total)),
    totals: runs.map((r) => r.total),
  };
}

// Sequential requests, the kinds interleaved (a 404 with no query, the point
// query, the scan) so that load from other processes hits each alike.
async function warm(start, app) {
  const server = await start(app);
  const kinds = {
    http: () => fetch(server.url("/nope")).then((r) => r.text()),
    point: () => getQuery(server, POINT.query, POINT.args),
    scan: () => getQuery(server, SCAN.query, SCAN.args),
  };
  const times = { http: [], point: [], scan: [], rule: [] };
  try {
    for (let i = 0; i < 20 + REQUESTS; i++) {
      for (const [kind, f] of Object.entries(kinds)) {
        const t = performance.now();
        const res = await f();
        if (i >= 20) times[kind].push(performance.now() - t);
        if (res.status !== undefined && res.status !== 200) throw new Error(JSON.stringify(res.body));
      }
    }
    await getQuery(server, RULE.query, RULE.args);
    for (let i = 0; i < RULE_REQUESTS; i++) {
      const t = performance.now();
      await getQuery(server, RULE.query, RULE.args);
      times.rule.push(performance.now() - t);
    }
  } finally {
    await server.stop();
  }
  return Object.fromEntries(Object.entries(times).map(([k, xs]) => [k, { median: median(xs), p90: pct(xs, 0.9) }]));
}

// The same queries in Node, in process (no HTTP), for reference.
async function inNode() {
  const d = await import(pathToFileURL(join(worker, "node_modules", "datalite", "js", "index.js")));
  await d.init();
  const db = d.deserialize(new Uint8Array(readFileSync(join(worker, "data", "people.bin"))));
  const run = (c, n) => {
    for (let i = 0; i < 20; i++) db.q(c.query, ...(c.args ?? []));
    const xs = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      db.q(c.query, ...(c.args ?? []));
      xs.push(performance.now() - t);
    }
    return { median: median(xs), p90: pct(xs, 0.9) };
  };
  return { point: run(POINT, REQUESTS), scan: run(SCAN, REQUESTS), rule: run(RULE, RULE_REQUESTS) };
}

function sizes() {
  const wasm = readFileSync(join(pkg, "dist", "wasm", "datalite.wasm"));
  const glue = readFileSync(join(pkg, "dist", "wasm", "datalite.mjs"));
  // The Worker's JS as wrangler would upload it (esbuild bundle, .wasm and .bin as separate modules).
  const out = join(tmp, "worker-bundle.js");
  // (the flags workerd and wrangler use with nodejs_compat, plus --minify)
  execFileSync(ESBUILD(), [join(worker, "src", "worker.js"), "--bundle", "--format=esm", "--platform=browser",
    "--conditions=workerd,worker,browser", "--external:node:*", "--external:*.wasm", "--external:*.bin", "--minify",
    `--outfile=${out}`], { stdio: "ignore" });
  const bundle = readFileSync(out);
  const snapshot = statSync(join(worker, "data", "people.bin")).size;
  return { wasm: wasm.length, wasmGz: gzipSync(wasm, { level: 9 }).length, glue: glue.length,
    bundle: bundle.length, bundleGz: gzipSync(bundle, { level: 9 }).length, snapshot };
}

const prebuilt = prebuildWorker(worker);
const runtimes = [
  { name: "workerd, prebuilt bundle", start: (app) => startWorkerd(app, { config: prebuilt }), app: worker,
    version: "" },
  { name: "workerd", start: startWorkerd, app: worker, version: execFileSync(join(REPO, "e2e-edge/node_modules/.bin/workerd"), ["--version"], { encoding: "utf8" }).trim() },
  { name: "Deno", start: startDeno, app: deno, version: execFileSync(join(REPO, "e2e-edge/node_modules/.bin/deno"), ["--version"], { encoding: "utf8" }).split("\n")[0] },
];
const loadBefore = loadavg();
const results = [];
for (const r of runtimes) {
  process.stderr.write(`${r.name}: cold starts...\n`);
  const c = await cold(r.start, r.app);
  process.stderr.write(`${r.name}: latency...\n`);
  const w = await warm(r.start, r.app);
  results.push({ ...r, cold: c, warm: w });
}
// What workerd's start spends bundling (it runs esbuild as wrangler would).
function bundleTime() {
  const xs = [];
  for (let i = 0; i < STARTS; i++) {
    const t = performance.now();
    execFileSync(ESBUILD(), [join(worker, "src", "worker.js"), "--bundle", "--format=esm", "--platform=browser",
      "--conditions=workerd,worker,browser", "--external:node:*", "--loader:.wasm=copy", "--loader:.bin=binary",
      `--outdir=${join(tmp, "bundle-time")}`], { stdio: "ignore" });
    xs.push(performance.now() - t);
  }
  return median(xs);
}
const esbuildMs = bundleTime();
const node = await inNode();
const s = sizes();

const lines = [];
lines.push(`Measured ${new Date().toISOString().slice(0, 10)} on this machine (2 cores; load average ${loadBefore[0].toFixed(1)} before, ${loadavg()[0].toFixed(1)} after), node ${process.version}; ${results.map((r) => r.version).filter(Boolean).join("; ")}.`);
lines.push(`Cold start: median of ${STARTS} process starts. Latency: ${REQUESTS} sequential GETs after 20 warm-up ones, the three kinds interleaved (rule query: ${RULE_REQUESTS}, after one), client-side over HTTP/1.1 keep-alive on 127.0.0.1.`);
lines.push("");
lines.push(`| | ${results.map((r) => r.name).join(" | ")} |`);
lines.push(`| --- | ${results.map(() => "---").join(" | ")} |`);
const row = (label, f) => lines.push(`| ${label} | ${results.map(f).join(" | ")} |`);
row("process start → listening", (r) => `${ms(r.cold.listen)} ms` +
  (r.name === "workerd" ? ` (incl. esbuild bundling, ~${ms(esbuildMs)} ms alone)` : r.name === "Deno" ? " (incl. init + building the db)" : ""));
row("first /q request (after listening)", (r) => `${ms(r.cold.first)} ms`);
row("**process start → first answer**", (r) => `**${ms(r.cold.total)} ms** (runs: ${r.cold.totals.map(ms).join(", ")})`);
row("HTTP round trip, no query (404), median / p90", (r) => `${ms(r.warm.http.median)} / ${ms(r.warm.http.p90)} ms`);
row(`point query (${POINT.name}), median / p90`, (r) => `${ms(r.warm.point.median)} / ${ms(r.warm.point.p90)} ms`);
row(`scan + aggregate (${SCAN.name}), median / p90`, (r) => `${ms(r.warm.scan.median)} / ${ms(r.warm.scan.p90)} ms`);
row(`recursive rule (${RULE.name}), median / p90`, (r) => `${ms(r.warm.rule.median)} / ${ms(r.warm.rule.p90)} ms`);
lines.push("");
lines.push(`Same queries in Node, in process (no HTTP), median: point ${ms(node.point.median)} ms, scan ${ms(node.scan.median)} ms, rule ${ms(node.rule.median)} ms.`);
lines.push("");
lines.push(`Sizes: datalite.wasm ${kb(s.wasm)} (${kb(s.wasmGz)} gzip -9), glue datalite.mjs ${kb(s.glue)}; the Worker's JS bundle (esbuild --minify, wasm and snapshot as separate modules) ${kb(s.bundle)} (${kb(s.bundleGz)} gzip); snapshot data/people.bin ${kb(s.snapshot)}.`);
console.log(lines.join("\n"));
