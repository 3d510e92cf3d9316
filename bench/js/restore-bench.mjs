// restore() (API.md section 7) in Node through the npm package, on a
// 1M-datom ref-heavy database, as issue 6 asks ("Benchmark"):
//
//   st      the single-threaded wasm build: the pipeline inline (1 thread),
//           single-pass and two-pass
//   mt      the threaded build (-pthread, a pool of 4 pthreads): readers and
//           tx workers on pthreads, the committer on the calling thread;
//           readParallelism/txParallelism combos r1t1 ("two threads": one
//           reader + one tx worker), r1t2, r2t1, r2t2, single and two-pass
//   naive   the public API only (st build): read the source's datoms, then
//           conn.transact() batches of --batch [:db/add] ops: pass 1 the
//           non-ref datoms, entity by entity, with string tempids (new ids
//           from the tx report's tempids), pass 2 the refs with remapped ids
//
// Data (--entities N, default 200k): entity i has :r/friend (ref to a
// pseudo-random entity), :r/team (ref to the first of its group of 16),
// :r/links (card-many ref, one link to a pseudo-random entity), :p/name
// (unique string) and :p/score (long): 5 datoms, 3 of them refs → 1M
// datoms, 60% refs. The ref attributes are declared first, so their
// attribute ids are lower and a single-pass restore (attributes in id
// order) reads refs before their targets have new ids: most refs go through
// the pending index. --order scalars-first declares the scalars first (the
// pending index then stays almost empty) for comparison.
//
// Each round launches one Node process per engine variant (the variant is
// per process), in alternating order; a process builds the source with
// initDb (untimed), runs each of its configurations once in a rotating
// order and checks the result (count of datoms, a ref join, the oldToNew
// mapping). Reported: medians over --repeat rounds of wall time per
// restore() call (memory destination: connect, the engine op, adopting the
// result, close) as datoms/s, the engine's own durationSec, and the CPU time
// of the process during the call (user+sys: >1 s per s means threads ran in
// parallel). The machine may be shared: the load average is printed.
//
//   node bench/js/restore-bench.mjs [--entities N] [--repeat R] [--naive-repeat R]
//        [--configs st-1p,st-2p,mt-r1t1-1p,...] [--order refs-first|scalars-first]
//        [--batch N] [--json out.json] [--cpu-prof DIR]
//
// --cpu-prof DIR: the st child runs under node --cpu-prof (profiles in DIR).
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";

const SELF = new URL(import.meta.url).pathname;
const args = process.argv.slice(2);
const opt = {
  entities: 200_000, repeat: 5, naiveRepeat: 3, configs: null, order: "refs-first", batch: 500,
  json: null, child: null, childArg: null, cpuProf: null,
};
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  const next = () => {
    if (i + 1 >= args.length) throw new Error(`missing value for ${a}`);
    return args[++i];
  };
  if (a === "--entities") opt.entities = Number(next());
  else if (a === "--repeat") opt.repeat = Number(next());
  else if (a === "--naive-repeat") opt.naiveRepeat = Number(next());
  else if (a === "--configs") opt.configs = next().split(",").filter(Boolean);
  else if (a === "--order") opt.order = next();
  else if (a === "--batch") opt.batch = Number(next());
  else if (a === "--json") opt.json = next();
  else if (a === "--cpu-prof") opt.cpuProf = next();
  else if (a === "--child") opt.child = next();
  else if (a === "--child-arg") opt.childArg = JSON.parse(next());
  else if (a === "--help" || a === "-h") {
    console.log("usage: restore-bench.mjs [--entities N] [--repeat R] [--naive-repeat R] [--configs a,b]\n" +
      "                         [--order refs-first|scalars-first] [--batch N] [--json out.json] [--cpu-prof DIR]");
    process.exit(0);
  } else throw new Error(`unknown option ${a}`);
}

// ------------------------------------------------------------------ configurations

const CONFIGS = {
  "st-1p": { variant: "st", twoPass: false },
  "st-2p": { variant: "st", twoPass: true },
  "mt-r1t1-1p": { variant: "mt", twoPass: false, readParallelism: 1, txParallelism: 1 },
  "mt-r1t1-2p": { variant: "mt", twoPass: true, readParallelism: 1, txParallelism: 1 },
  "mt-r1t2-1p": { variant: "mt", twoPass: false, readParallelism: 1, txParallelism: 2 },
  "mt-r1t2-2p": { variant: "mt", twoPass: true, readParallelism: 1, txParallelism: 2 },
  "mt-r2t1-1p": { variant: "mt", twoPass: false, readParallelism: 2, txParallelism: 1 },
  "mt-r2t2-1p": { variant: "mt", twoPass: false, readParallelism: 2, txParallelism: 2 },
  "mt-r2t2-2p": { variant: "mt", twoPass: true, readParallelism: 2, txParallelism: 2 },
  "naive": { variant: "st", naive: true },
};
const DEFAULT_CONFIGS = Object.keys(CONFIGS);

const median = (xs) => {
  const s = xs.filter((x) => x != null && !Number.isNaN(x)).sort((a, b) => a - b);
  if (!s.length) return null;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// ------------------------------------------------------------------ child

function schemaFor(order) {
  const refs = {
    "r/friend": { "db/valueType": "db.type/ref" },
    "r/team": { "db/valueType": "db.type/ref" },
    "r/links": { "db/valueType": "db.type/ref", "db/cardinality": "db.cardinality/many" },
  };
  const scalars = {
    "p/name": { "db/unique": "db.unique/identity" },
    "p/score": { "db/valueType": "db.type/long" },
  };
  return order === "scalars-first" ? { ...scalars, ...refs } : { ...refs, ...scalars };
}

function datomsFor(n) {
  const out = new Array(n * 5);
  let k = 0;
  let x = 42;
  const rand = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) % n) + 1;
  for (let i = 1; i <= n; i++) {
    out[k++] = [i, "r/friend", rand()];
    out[k++] = [i, "r/team", ((i >> 4) << 4) || 1];
    out[k++] = [i, "r/links", rand()];
    out[k++] = [i, "p/name", `p${i}`];
    out[k++] = [i, "p/score", i % 1000];
  }
  return out;
}

const CHECK_QUERY = "[:find (count ?e) . :where [?e :r/friend ?f] [?f :p/name] [?e :r/team ?t] [?t :p/score]]";

// The public-API restore: what an application would write without restore().
async function naiveRestore(d, source, dest, batch) {
  const conn = await d.connect(dest);
  const schema = source.schema();
  const isRef = (a) => schema[a]?.["db/valueType"] === "db.type/ref" || schema[a]?.[":db/valueType"] === ":db.type/ref";
  const all = source.datoms("eavt").filter((x) => x.e < 536870912);
  const refs = [];
  const oldToNew = new Map();
  let ops = [];
  let tempids = [];
  // A careful application frees each superseded value at once (the wasm
  // heap would otherwise keep every intermediate Db until the GC finalizes
  // it, which needs a macrotask: 2000+ of them ran the heap out of memory)
  // and yields to the event loop now and then.
  let txs = 0;
  const transact = async (txData) => {
    const report = await conn.transact(txData);
    report.dbBefore.dispose();
    if (++txs % 64 === 0) await new Promise((r) => setImmediate(r));
    return report;
  };
  const flush = async () => {
    if (!ops.length) return;
    const report = await transact(ops);
    for (const [old, tid] of tempids) oldToNew.set(old, report.tempids[tid]);
    ops = [];
    tempids = [];
  };
  let prevE = 0;
  for (const x of all) {
    const a = x.a.startsWith(":") ? x.a.slice(1) : x.a;
    if (a.startsWith("db/")) continue;
    if (isRef(x.a) || isRef(a)) {
      refs.push([x.e, a, x.v]);
      continue;
    }
    // Batches end on entity boundaries: one entity's tempid resolves once.
    if (x.e !== prevE && ops.length >= batch) await flush();
    if (x.e !== prevE) tempids.push([x.e, `e${x.e}`]);
    prevE = x.e;
    ops.push(["db/add", `e${x.e}`, a, x.v]);
  }
  await flush();
  for (let i = 0; i < refs.length; i += batch) {
    const chunk = refs.slice(i, i + batch).map(([e, a, v]) => ["db/add", oldToNew.get(e), a, oldToNew.get(v)]);
    await transact(chunk);
  }
  const count = conn.db().count;
  await conn.close();
  return { datomsWritten: all.length, count, oldToNew: (e) => oldToNew.get(e) };
}

async function runChild(variant, arg) {
  const d = await import("../../js/index.js");
  await d.init({ threads: variant === "mt" });
  const t0 = performance.now();
  const schema = schemaFor(arg.order);
  const source = d.initDb(datomsFor(arg.entities), schema);
  const buildMs = performance.now() - t0;
  const want = source.q(CHECK_QUERY);
  const probe = arg.entities >> 1;
  const probeName = `p${probe}`;
  const results = [];
  const names = arg.configs;
  const rot = arg.round % names.length;
  for (const name of [...names.slice(rot), ...names.slice(0, rot)]) {
    const cfg = CONFIGS[name];
    globalThis.gc?.();
    await new Promise((r) => setTimeout(r, 50));  // finalizers of the previous round's dbs
    const dest = { schema, store: { backend: "memory", id: `restore-bench-${name}` } };
    const progress = [];
    const cpu0 = process.cpuUsage();
    const w0 = performance.now();
    let report;
    if (cfg.naive) {
      report = await naiveRestore(d, source, dest, arg.batch);
    } else {
      report = await d.restore({
        source, dest, twoPass: cfg.twoPass, maxBatchSize: arg.batch,
        ...(cfg.readParallelism ? { readParallelism: cfg.readParallelism } : {}),
        ...(cfg.txParallelism ? { txParallelism: cfg.txParallelism } : {}),
        onProgress: (m) => progress.push({ elapsedMs: m.elapsedMs, pendingCount: m.pendingCount, datomsWritten: m.datomsWritten }),
      });
    }
    const wallMs = performance.now() - w0;
    const cpu = process.cpuUsage(cpu0);
    // Check: the same answers, the mapping leads to the same entity.
    const conn = await d.connect(dest);
    const got = conn.db().q(CHECK_QUERY);
    const mapped = conn.db().pull("[:p/name]", report.oldToNew(probe))?.[":p/name"];
    const count = conn.db().count;
    await conn.close();
    await d.deleteDatabase(dest);
    const ok = got === want && mapped === probeName;
    // The pipeline until the last batch vs the end phase + index build.
    const lastBatchMs = progress.length >= 2 ? progress.at(-2).elapsedMs : null;
    results.push({
      name, wallMs, cpuMs: (cpu.user + cpu.system) / 1000, engineMs: report.durationSec != null ? report.durationSec * 1000 : null,
      datoms: report.datomsWritten, count, ok, got, want,
      maxPending: progress.length ? Math.max(...progress.map((p) => p.pendingCount)) : null,
      pipelineMs: lastBatchMs, tailMs: lastBatchMs != null ? report.durationSec * 1000 - lastBatchMs : null,
      batchEfficiency: report.batchEfficiency, utilizationPct: report.utilizationPct,
    });
  }
  process.stdout.write(`@@RESULT ${JSON.stringify({ variant, buildMs, results })}\n`);
}

if (opt.child) {
  await runChild(opt.child, opt.childArg);
  process.exit(0);
}

// ------------------------------------------------------------------ parent

const configs = opt.configs ?? DEFAULT_CONFIGS;
for (const c of configs) if (!CONFIGS[c]) throw new Error(`unknown config ${c} (known: ${DEFAULT_CONFIGS.join(", ")})`);
const byVariant = { st: configs.filter((c) => CONFIGS[c].variant === "st"), mt: configs.filter((c) => CONFIGS[c].variant === "mt") };
const samples = Object.fromEntries(configs.map((c) => [c, []]));
const loads = [];
console.log(`restore bench: ${opt.entities} entities x 5 = ${opt.entities * 5} datoms (${opt.order}), batch ${opt.batch}, ` +
  `${opt.repeat} rounds (naive ${Math.min(opt.naiveRepeat, opt.repeat)}), ${os.cpus().length} cores, node ${process.version}`);

function child(variant, round) {
  let list = byVariant[variant];
  if (round >= opt.naiveRepeat) list = list.filter((c) => !CONFIGS[c].naive);
  if (!list.length) return;
  const nodeArgs = ["--max-old-space-size=8192", "--expose-gc"];
  if (opt.cpuProf && variant === "st") nodeArgs.push("--cpu-prof", "--cpu-prof-dir", opt.cpuProf, "--cpu-prof-interval", "500");
  const r = spawnSync(process.execPath, [...nodeArgs, SELF, "--child", variant, "--child-arg",
    JSON.stringify({ entities: opt.entities, order: opt.order, batch: opt.batch, configs: list, round })],
  { encoding: "utf8", maxBuffer: 64 << 20, timeout: 30 * 60_000 });
  const line = (r.stdout ?? "").split("\n").find((l) => l.startsWith("@@RESULT "));
  if (!line) {
    console.error(`${variant} child failed (status ${r.status}, signal ${r.signal}):\n${r.stderr}\n${r.stdout}`);
    return;
  }
  const out = JSON.parse(line.slice(9));
  for (const x of out.results) {
    samples[x.name].push(x);
    const rate = x.datoms / (x.wallMs / 1000);
    console.log(`  round ${round + 1} ${x.name.padEnd(11)} ${(rate / 1e6).toFixed(3)} M datoms/s  wall ${x.wallMs.toFixed(0)} ms` +
      `${x.engineMs != null ? `  engine ${x.engineMs.toFixed(0)} ms` : ""}  cpu ${x.cpuMs.toFixed(0)} ms` +
      `${x.maxPending != null ? `  max pending ${x.maxPending}` : ""}${x.ok ? "" : `  WRONG (${x.got} vs ${x.want})`}`);
  }
}

for (let round = 0; round < opt.repeat; round++) {
  loads.push(os.loadavg()[0]);
  const order = round % 2 ? ["mt", "st"] : ["st", "mt"];
  for (const v of order) child(v, round);
}

const rows = configs.map((c) => {
  const xs = samples[c];
  const wall = median(xs.map((x) => x.wallMs));
  const datoms = xs[0]?.datoms ?? 0;
  return {
    config: c, n: xs.length, wallMs: wall, rate: wall ? datoms / (wall / 1000) : null,
    engineMs: median(xs.map((x) => x.engineMs)), cpuMs: median(xs.map((x) => x.cpuMs)),
    pipelineMs: median(xs.map((x) => x.pipelineMs)), tailMs: median(xs.map((x) => x.tailMs)),
    maxPending: median(xs.map((x) => x.maxPending)), ok: xs.every((x) => x.ok), datoms,
    min: xs.length ? Math.min(...xs.map((x) => x.wallMs)) : null, max: xs.length ? Math.max(...xs.map((x) => x.wallMs)) : null,
  };
});
const f = (x, d = 0) => (x == null ? "–" : x.toFixed(d));
console.log(`\n| config | runs | datoms/s (median wall) | wall ms (min–max) | engine ms | CPU ms (all threads) | datoms per CPU-s | pipeline ms | end+build ms | max pending | ok |`);
console.log(`| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |`);
for (const r of rows) {
  console.log(`| ${r.config} | ${r.n} | ${r.rate ? (r.rate / 1e6).toFixed(3) + "M" : "–"} | ${f(r.wallMs)} (${f(r.min)}–${f(r.max)}) | ${f(r.engineMs)} | ` +
    `${f(r.cpuMs)} | ${r.cpuMs ? (r.datoms / (r.cpuMs / 1000) / 1e6).toFixed(3) + "M" : "–"} | ${f(r.pipelineMs)} | ${f(r.tailMs)} | ${f(r.maxPending)} | ${r.ok ? "yes" : "NO"} |`);
}
const get = (c) => rows.find((r) => r.config === c);
const ratio = (a, b) => (get(a)?.rate && get(b)?.rate ? get(a).rate / get(b).rate : null);
console.log(`\nload average at round starts: ${loads.map((l) => l.toFixed(1)).join(", ")}`);
console.log(`two-pass / single-pass: st ${f(ratio("st-2p", "st-1p"), 2)}x, mt r1t1 ${f(ratio("mt-r1t1-2p", "mt-r1t1-1p"), 2)}x, mt r2t2 ${f(ratio("mt-r2t2-2p", "mt-r2t2-1p"), 2)}x`);
if (get("naive")?.rate) {
  const best = Math.max(...rows.filter((r) => r.rate && r.config !== "naive").map((r) => r.rate));
  console.log(`restore / naive: st-1p ${f(ratio("st-1p", "naive"), 1)}x, best ${f(best / get("naive").rate, 1)}x`);
}
if (opt.json) fs.writeFileSync(opt.json, JSON.stringify({ opt, loads, rows, samples }, null, 2));
