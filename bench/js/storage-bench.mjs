// Durable storage through the npm package (single-threaded wasm build), as
// issue 5 asks ("Bulk load", "Benchmarks"): in one run,
//
//   bulk   1M datoms (200k people x 5 attributes, one a ref) loaded with
//          conn.load() into an empty file store, strict durability, until
//          load() resolves and close() returns; with the time split into JS
//          encoding / wasm call / engine build / checkpoint (node encoding +
//          hashing, JS store writes) / sync (fdatasync), GC and wasm memory
//          growth; bytes on disk. Each round in a fresh Node process (the
//          first load of a process pays the wasm heap growth; a second load in
//          the same process would not).
//   tx     small transactions (1 entity x 5 datoms + :db/txInstant) against a
//          ~100k-datom db: file strict / relaxed / none and sqlite (in memory
//          in Node), sequential transact() and transactAsync() in bursts of
//          --burst concurrent calls; tx/s and bytes written per tx (tail
//          record size, amortised with checkpoints, syscall and page level).
//   open   connect() to the stored 1M-datom db in a fresh process, one point
//          query (pull by a unique attribute), node reads, then a scan.
//   compare  the same 200k people into native SQLite (better-sqlite3, a
//          file, WAL + synchronous=FULL) and DataScript (init_db +
//          JSON serialize + write + fsync), when available.
//
//   node bench/js/storage-bench.mjs [--people N] [--repeat R] [--small-people N]
//        [--min-txs N] [--min-ms MS] [--burst N] [--sections bulk,tx,open,compare]
//        [--dir DIR] [--keep] [--json out.json] [--no-reserve] [--ab-reserve]
//
// --no-reserve: bulk loads without Engine.reserveHeap (the wasm heap grows in
// 20% steps, each one a full GC of the JS heap), to measure what it saves;
// --ab-reserve: each bulk round also runs a --no-reserve load (alternating
// which goes first) and a comparison table is printed.
// Reported: medians over --repeat rounds (wall clock; the machine may be
// shared, so CPU time of the process is shown too where it matters).
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { PerformanceObserver } from "node:perf_hooks";
import { makePeople, rng } from "../common/people.mjs";

const SELF = new URL(import.meta.url).pathname;
const args = process.argv.slice(2);
const opt = {
  people: 200000, repeat: 3, smallPeople: 20000, minTxs: 1024, minMs: 2000, burst: 100,
  sections: ["bulk", "tx", "open", "compare"], dir: null, keep: false, json: null, child: null, childArg: null,
  noReserve: false, abReserve: false,
};
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  const next = () => {
    if (i + 1 >= args.length) throw new Error(`missing value for ${a}`);
    return args[++i];
  };
  if (a === "--people") opt.people = Number(next());
  else if (a === "--repeat") opt.repeat = Number(next());
  else if (a === "--small-people") opt.smallPeople = Number(next());
  else if (a === "--min-txs") opt.minTxs = Number(next());
  else if (a === "--min-ms") opt.minMs = Number(next());
  else if (a === "--burst") opt.burst = Number(next());
  else if (a === "--sections") opt.sections = next().split(",").filter(Boolean);
  else if (a === "--dir") opt.dir = next();
  else if (a === "--keep") opt.keep = true;
  else if (a === "--no-reserve") opt.noReserve = true;
  else if (a === "--ab-reserve") opt.abReserve = true;
  else if (a === "--json") opt.json = next();
  else if (a === "--child") opt.child = next();
  else if (a === "--child-arg") opt.childArg = JSON.parse(next());
  else if (a === "--help" || a === "-h") {
    console.log("usage: storage-bench.mjs [--people N] [--repeat R] [--small-people N] [--min-txs N] [--min-ms MS]\n" +
      "                         [--burst N] [--sections bulk,tx,open,compare] [--dir DIR] [--keep] [--json out.json] [--no-reserve] [--ab-reserve]");
    process.exit(0);
  } else throw new Error(`unknown option ${a}`);
}

const now = () => performance.now();
const median = (xs) => {
  const s = xs.filter((x) => x != null && !Number.isNaN(x)).sort((a, b) => a - b);
  if (!s.length) return null;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const cpuMs = (c) => (c.user + c.system) / 1000;

// ------------------------------------------------------------------ data

// 200k people x 5 attributes = 1M datoms: a unique id, the full name, age,
// salary and one ref to another person (seeded; the same in every process).
const SCHEMA = {
  "person/id": { "db/unique": "db.unique/identity" },
  "person/follows": { "db/valueType": "db.type/ref" },
};

function peopleDatoms(n) {
  let people = makePeople(n, 42, false);
  const r = rng(7);
  const datoms = new Array(5 * n);
  let j = 0;
  for (const p of people) {
    const e = p.k;
    datoms[j++] = [e, "person/id", e];
    datoms[j++] = [e, "person/name", p.full];
    datoms[j++] = [e, "person/age", p.age];
    datoms[j++] = [e, "person/salary", p.salary];
    datoms[j++] = [e, "person/follows", 1 + Math.floor(r() * n)];
  }
  people = null;
  return datoms;
}

function dirBytes(dir) {
  let total = 0;
  for (const f of fs.readdirSync(dir)) total += fs.statSync(path.join(dir, f)).size;
  return total;
}

// Bytes this process handed to write(2) (wchar) and dirtied in the page
// cache (write_bytes: whole pages, counted again each time a page cleaned by
// fsync is dirtied again). Linux only.
function procIo() {
  try {
    const text = fs.readFileSync("/proc/self/io", "latin1");
    const get = (k) => Number(new RegExp(`^${k}: (\\d+)`, "m").exec(text)?.[1]);
    return { wchar: get("wchar"), writeBytes: get("write_bytes") };
  } catch {
    return null;
  }
}

// GC pauses and wasm memory growth, recorded with their start times.
const gcLog = [];
const growLog = [];
function watchGcAndGrowth() {
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcLog.push({ start: e.startTime, ms: e.duration, kind: e.detail?.kind });
  }).observe({ entryTypes: ["gc"] });
  const grow = WebAssembly.Memory.prototype.grow;
  WebAssembly.Memory.prototype.grow = function (pages) {
    const t = now();
    const r = grow.call(this, pages);
    growLog.push({ start: t, ms: now() - t, mb: this.buffer.byteLength / 1048576 });
    return r;
  };
}
const MAJOR_GC = 4;  // PerformanceEntry detail.kind: NODE_PERFORMANCE_GC_MAJOR
const gcIn = (a, b) => {
  const inside = gcLog.filter((g) => g.start >= a && g.start < b);
  return { ms: inside.reduce((s, g) => s + g.ms, 0), majors: inside.filter((g) => g.kind === MAJOR_GC).length };
};
const settle = () => new Promise((r) => setTimeout(r, 20));  // let GC entries arrive

// noReserve: the bulk build grows the wasm heap step by step, as before
// Engine.reserveHeap existed (to measure what that saves).
async function loadPackage(noReserve = false) {
  const d = await import("../../js/index.js");
  await d.init({ threads: false });
  const { currentEngine } = await import("../../js/engine.js");
  const engine = currentEngine();
  if (noReserve) engine.reserveHeap = () => {};
  return { d, engine };
}

// ------------------------------------------------------------------ children

// bulk: connect to an empty file store, load(), close(); the split comes from
// timestamps around engine.send, the wasm entry point and the file store's
// methods (called back from inside the engine).
async function childBulk({ dir, people, noReserve }) {
  watchGcAndGrowth();
  const { d, engine } = await loadPackage(noReserve);
  const { FileStore } = await import("../../js/stores/file.js");
  const tg = now();
  const datoms = peopleDatoms(people);
  const generateMs = now() - tg;
  fs.rmSync(dir, { recursive: true, force: true });

  // Marks: [wall ms, process CPU ms] at the phase boundaries.
  const cpuNow = () => cpuMs(process.cpuUsage());
  const mark = () => [now(), cpuNow()];
  const M = {};
  const T = { put: 0, putCalls: 0, sync: 0, syncCalls: 0 };
  const LOAD = 41;  // Op.StoreLoad
  const send = engine.send.bind(engine);
  engine.send = (op) => {
    if (op !== LOAD) return send(op);
    M.send = mark();
    const m = engine.module;
    const call = m.call;
    m.call = (...a) => {
      M.call = mark();
      try {
        return call(...a);
      } finally {
        M.callEnd = mark();
        m.call = call;
      }
    };
    try {
      return send(op);
    } finally {
      M.sendEnd = mark();
    }
  };
  const wrap = (name, before, after) => {
    const orig = FileStore.prototype[name];
    FileStore.prototype[name] = function (...a) {
      before?.();
      const t = now();
      try {
        return orig.apply(this, a);
      } finally {
        after(t, now());
      }
    };
  };
  // The first node written inside the StoreLoad call ends the build phase.
  wrap("put", () => {
    if (M.call && !M.callEnd && !M.firstPut) M.firstPut = mark();
  }, (t, e) => {
    if (M.call && !M.callEnd) {
      T.put += e - t;
      T.putCalls++;
    }
  });
  wrap("sync", null, (t, e) => {
    if (M.sendEnd && !M.loaded) {
      T.sync += e - t;
      T.syncCalls++;
    }
  });

  const io0 = procIo();
  M.start = mark();
  const conn = await d.connect({ schema: SCHEMA, store: { backend: "file", path: dir }, durability: "strict" });
  M.connected = mark();
  await conn.load(datoms);
  M.loaded = mark();
  const stats = conn.stats();
  M.closing = mark();
  await conn.close();
  M.closed = mark();
  const io1 = procIo();
  await settle();
  const [t1, t2] = [M.connected[0], M.loaded[0]];
  const gcLoad = gcIn(t1, t2);
  const grows = growLog.filter((g) => g.start >= t1 && g.start < t2);
  // wall and CPU ms of a phase between two marks
  const span = (a, b) => ({ ms: M[b][0] - M[a][0], cpu: M[b][1] - M[a][1] });
  return {
    people, datoms: datoms.length, generateMs,
    connect: span("start", "connected"),
    load: span("connected", "loaded"),
    close: span("closing", "closed"),
    total: { ms: span("start", "loaded").ms + span("closing", "closed").ms, cpu: span("start", "loaded").cpu + span("closing", "closed").cpu },
    encode: span("connected", "send"),   // writeDatomRows (+ the schema lookup)
    copy: span("send", "call"),          // the request into wasm memory
    build: span("call", "firstPut"),     // decode + Db::initWithSchema
    checkpoint: span("firstPut", "callEnd"),  // node encoding + hashing + JS put()
    after: span("callEnd", "loaded"),    // response, the durability step (sync), bookkeeping
    putMs: T.put, putCalls: T.putCalls, syncMs: T.sync, syncCalls: T.syncCalls,
    gcMs: gcLoad.ms, majorGcs: gcLoad.majors, grows: grows.length, growMs: grows.reduce((s, g) => s + g.ms, 0),
    heapMB: engine.module.HEAPU8.length / 1048576,
    nodes: stats.nodes, bytesWritten: stats.bytesWritten, diskBytes: dirBytes(dir),
    wchar: io1 && io0 ? io1.wchar - io0.wchar : null,
  };
}

// The same datoms built in memory (d.initDb): the engine build without a store.
async function childInitDb({ people, noReserve }) {
  watchGcAndGrowth();
  const { d } = await loadPackage(noReserve);
  const datoms = peopleDatoms(people);
  const c0 = process.cpuUsage();
  const t0 = now();
  const db = d.initDb(datoms, SCHEMA);
  const t1 = now();
  const cpu = cpuMs(process.cpuUsage(c0));
  const count = db.count;
  db.dispose();
  await settle();
  const g = gcIn(t0, t1);
  return { ms: t1 - t0, cpuMs: cpu, count, gcMs: g.ms, majorGcs: g.majors };
}

// open: connect, point queries, a scan; node reads from stats().nodesLoaded.
// warm: the same queries run first on a small in-memory db, so that the
// numbers show the stored db's cost (node reads, decoding) rather than the
// first execution of the engine's code in a fresh process.
async function childOpen({ dir, people, warm }) {
  const { d } = await loadPackage();
  const { FileStore } = await import("../../js/stores/file.js");
  const PULL = "[*]";
  const QNAME = "[:find ?n . :in $ ?id :where [?e :person/id ?id] [?e :person/name ?n]]";
  const QSCAN = "[:find (count ?e) . :where [?e :person/age ?a] [(>= ?a 50)]]";
  if (warm) {
    // JIT and wasm tier-up take thousands of calls (measured: a pull went
    // from ~3 ms to ~0.03 ms per call over the first few thousand).
    const small = d.initDb(peopleDatoms(100), SCHEMA);
    for (let i = 0; i < 3000; i++) small.pull(PULL, ["person/id", 1 + (i % 100)]);
    for (let i = 0; i < 300; i++) small.q(QNAME, 1 + (i % 100));
    for (let i = 0; i < 30; i++) small.q(QSCAN);
    small.dispose();
  }
  let storeOpenMs = 0;
  const open = FileStore.open;
  FileStore.open = (...a) => {
    const t = now();
    try {
      return open.apply(FileStore, a);
    } finally {
      storeOpenMs += now() - t;
    }
  };
  const store = { backend: "file", path: dir };
  const r = rng(99);
  const pick = () => 1 + Math.floor(r() * people);
  const t0 = now();
  const conn = await d.connect({ store });
  const t1 = now();
  FileStore.open = open;
  const s0 = conn.stats();
  const id1 = pick();
  const t2 = now();
  const e1 = conn.db().pull(PULL, ["person/id", id1]);
  const t3 = now();
  const s1 = conn.stats();
  const id2 = pick();
  const t4 = now();
  const e2 = conn.db().pull(PULL, ["person/id", id2]);
  const t5 = now();
  const s2 = conn.stats();
  const t6 = now();
  const name = conn.db().q(QNAME, pick());
  const t7 = now();
  const s3 = conn.stats();
  // 2000 more point queries at random ids, per query.
  const many = 2000;
  const t8 = now();
  for (let i = 0; i < many; i++) {
    const id = pick();
    if (conn.db().pull(PULL, ["person/id", id])[":person/id"] !== id) throw new Error(`wrong entity for id ${id}`);
  }
  const t9 = now();
  const s4 = conn.stats();
  const t10 = now();
  const older = conn.db().q(QSCAN);
  const t11 = now();
  const s5 = conn.stats();
  await conn.close();
  if (e1?.[":person/id"] !== id1 || e2?.[":person/id"] !== id2 || typeof name !== "string") {
    throw new Error(`wrong point query answer: ${JSON.stringify([e1, e2, name])}`);
  }
  return {
    warm, openMs: t1 - t0, storeOpenMs, nodesAtOpen: s0.nodesLoaded, storedNodes: s0.nodes,
    pointMs: t3 - t2, pointNodes: s1.nodesLoaded - s0.nodesLoaded,
    point2Ms: t5 - t4, point2Nodes: s2.nodesLoaded - s1.nodesLoaded,
    qPointMs: t7 - t6, qPointNodes: s3.nodesLoaded - s2.nodesLoaded,
    manyMs: (t9 - t8) / many, manyNodes: (s4.nodesLoaded - s3.nodesLoaded) / many,
    scanMs: t11 - t10, scanNodes: s5.nodesLoaded - s4.nodesLoaded, scanCount: older, cacheBytesAfterScan: s5.cacheBytes,
    entityAttrs: Object.keys(e1).length,
  };
}

// tx: a ~100k-datom db loaded into a fresh store, then small transactions.
async function childTx({ dir, smallPeople, backend, durability, tailMaxTxs, mode, minTxs, minMs, burst }) {
  const { d } = await loadPackage();
  const store = backend === "file" ? { backend: "file", path: dir } : { backend: "sqlite" };
  if (backend === "file") fs.rmSync(dir, { recursive: true, force: true });
  const conn = await d.connect({ schema: SCHEMA, store, durability, ...(tailMaxTxs ? { tailMaxTxs } : {}) });
  await conn.load(peopleDatoms(smallPeople));
  await conn.flush();
  const r = rng(1234);
  let next = smallPeople + 1;
  const txData = () => {
    const id = next++;
    return [{ "person/id": id, "person/name": `New Person ${id}`, "person/age": Math.floor(r() * 100),
      "person/salary": Math.floor(r() * 100000), "person/follows": 1 + Math.floor(r() * smallPeople) }];
  };
  // Warm-up (not counted): JIT and wasm tier-up, the first checkpoint.
  for (let i = 0; i < 300; i++) await conn.transact(txData());
  await conn.flush();

  const s0 = conn.stats();
  const io0 = procIo();
  const c0 = process.cpuUsage();
  const t0 = now();
  let txs = 0;
  for (;;) {
    if (mode === "seq") {
      await conn.transact(txData());
      txs++;
    } else {
      const pending = [];
      for (let i = 0; i < burst; i++) pending.push(conn.transactAsync(txData()));
      await Promise.all(pending);
      txs += burst;
    }
    if (txs >= minTxs && now() - t0 >= minMs) break;
    if (txs >= 200000) break;
  }
  await conn.flush();  // every mode ends durable: relaxed/none pay their last sync here
  const t1 = now();
  const cpu = cpuMs(process.cpuUsage(c0));
  const io1 = procIo();
  const s1 = conn.stats();

  // Untimed: the size of each commit (tail records vs checkpoints), and the
  // distance between checkpoints.
  const tail = [];
  const checkpoints = [];
  const samples = Math.max(600, 2 * ((tailMaxTxs || 256) + 1) + 50);
  for (let i = 0; i < samples; i++) {
    await conn.transact(txData());
    const c = conn.stats().lastCommit;
    if (c.checkpoint) checkpoints.push([i, c.bytesWritten]);
    else tail.push(c.bytesWritten);
  }
  const count = conn.db().count;
  await conn.close();
  return {
    backend, durability, mode, txs, ms: t1 - t0, cpuMs: cpu, txPerSec: txs / ((t1 - t0) / 1000),
    commits: s1.commits - s0.commits, checkpoints: s1.checkpoints - s0.checkpoints,
    bytesPerTx: (s1.bytesWritten - s0.bytesWritten) / txs,
    storedPerTx: (s1.storedBytes - s0.storedBytes) / txs,
    wcharPerTx: backend === "file" && io0 ? (io1.wchar - io0.wchar) / txs : null,
    pageBytesPerTx: backend === "file" && io0 ? (io1.writeBytes - io0.writeBytes) / txs : null,
    tailCommitBytes: median(tail), checkpointBytes: median(checkpoints.map((c) => c[1])),
    checkpointEvery: checkpoints.length > 1 ? median(checkpoints.slice(1).map((c, i) => c[0] - checkpoints[i][0])) : null,
    sampledPerTx: (tail.reduce((a, b) => a + b, 0) + checkpoints.reduce((a, c) => a + c[1], 0)) / samples,
    datoms: count,
  };
}

// compare: native SQLite (better-sqlite3) into a file, one transaction.
async function childSqlite({ dir, people, indexes }) {
  const require = createRequire(import.meta.url);
  const Sqlite = require("better-sqlite3");
  const datoms = peopleDatoms(people);  // the same values, as rows
  const rows = [];
  for (let i = 0; i < datoms.length; i += 5) {
    rows.push([datoms[i][2], datoms[i + 1][2], datoms[i + 2][2], datoms[i + 3][2], datoms[i + 4][2]]);
  }
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `people-${indexes ? "idx" : "noidx"}.db`);
  for (const f of [file, `${file}-wal`, `${file}-shm`]) fs.rmSync(f, { force: true });
  const c0 = process.cpuUsage();
  const t0 = now();
  const db = new Sqlite(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.exec("CREATE TABLE person(id INTEGER PRIMARY KEY, name TEXT, age INTEGER, salary INTEGER, follows INTEGER)");
  const ins = db.prepare("INSERT INTO person(id, name, age, salary, follows) VALUES (?, ?, ?, ?, ?)");
  db.transaction(() => {
    for (const r of rows) ins.run(r);
  })();
  if (indexes) {
    db.exec("CREATE INDEX person_name ON person(name); CREATE INDEX person_age ON person(age); " +
      "CREATE INDEX person_salary ON person(salary); CREATE INDEX person_follows ON person(follows)");
  }
  db.pragma("wal_checkpoint(TRUNCATE)");
  db.close();
  const t1 = now();
  return { ms: t1 - t0, cpuMs: cpuMs(process.cpuUsage(c0)), bytes: fs.statSync(file).size, indexes };
}

// compare: DataScript init_db + serializable + JSON + write + fsync.
async function childDataScript({ dir, people }) {
  const ds = createRequire(new URL("../datascript/package.json", import.meta.url))("datascript");
  const datoms = peopleDatoms(people).map(([e, a, v]) => [e, a, v]);
  const schema = { "person/id": { ":db/unique": ":db.unique/identity" }, "person/follows": { ":db/valueType": ":db.type/ref" } };
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, "datascript.json");
  const c0 = process.cpuUsage();
  const t0 = now();
  const db = ds.init_db(datoms, schema);
  const t1 = now();
  const json = JSON.stringify(ds.serializable(db));
  const t2 = now();
  const fd = fs.openSync(file, "w");
  fs.writeSync(fd, json);
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  const t3 = now();
  return { ms: t3 - t0, initMs: t1 - t0, serializeMs: t2 - t1, writeMs: t3 - t2, cpuMs: cpuMs(process.cpuUsage(c0)), bytes: json.length };
}

const CHILDREN = { bulk: childBulk, initdb: childInitDb, open: childOpen, tx: childTx, sqlite: childSqlite, datascript: childDataScript };

if (opt.child) {
  try {
    const result = await CHILDREN[opt.child](opt.childArg);
    process.stdout.write(`\nRESULT ${JSON.stringify(result)}\n`);
    process.exit(0);
  } catch (err) {
    console.error(err?.stack ?? err);
    process.exit(1);
  }
}

// ------------------------------------------------------------------ parent

function runChild(name, arg, { heapMb = 4096, timeoutMs = 600000 } = {}) {
  const res = spawnSync(process.execPath, [`--max-old-space-size=${heapMb}`, SELF, "--child", name, "--child-arg", JSON.stringify(arg)],
    { encoding: "utf8", timeout: timeoutMs, maxBuffer: 1 << 26 });
  const line = (res.stdout ?? "").split("\n").find((l) => l.startsWith("RESULT "));
  if (res.status !== 0 || !line) {
    const why = res.error?.code === "ETIMEDOUT" ? "timed out" : `${res.signal ?? "exit " + res.status}`;
    throw new Error(`child ${name} failed (${why}): ${(res.stderr || res.stdout || "").trim().split("\n").slice(-5).join(" / ")}`);
  }
  return JSON.parse(line.slice(7));
}

const root = opt.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), "datalite-storage-bench-"));
fs.mkdirSync(root, { recursive: true });
const bulkDir = path.join(root, "bulk-1m");
// Which engine build ran (another build may replace dist/ between runs).
const wasmFile = new URL("../../dist/wasm/datalite.wasm", import.meta.url);
const wasmId = (() => {
  try {
    const bytes = fs.readFileSync(wasmFile);
    return `${createHash("sha256").update(bytes).digest("hex").slice(0, 12)}, ${bytes.length} B, built ${fs.statSync(wasmFile).mtime.toISOString()}`;
  } catch {
    return "missing";
  }
})();
const results = { wasm: wasmId, node: process.version, cpus: os.cpus().length, load: os.loadavg(), opt: { ...opt, child: undefined }, when: new Date().toISOString() };
const fmt = (x, digits = 0) => (x == null ? "-" : Number(x).toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits }));
const ms = (x) => (x == null ? "-" : x >= 100 ? fmt(x) : x >= 1 ? fmt(x, 1) : fmt(x, 3));
const medOf = (runs, key) => median(runs.map((r) => r[key]));
const log = (...a) => console.error(...a);

console.log(`datalite storage bench: node ${process.version}, ${os.cpus().length} cpus, load average ${os.loadavg().map((x) => x.toFixed(1)).join(" ")}; ` +
  `${opt.people} people, repeat ${opt.repeat}; dist/wasm/datalite.wasm ${wasmId}; dir ${root}`);

if (opt.sections.includes("bulk")) {
  const runs = [];
  const inits = [];
  const others = [];  // --ab-reserve: the loads without the heap reservation
  for (let i = 0; i < opt.repeat; i++) {
    const other = () => {
      others.push(runChild("bulk", { dir: `${bulkDir}-ab`, people: opt.people, noReserve: true }));
      log(`  bulk round ${i + 1} without reserveHeap: load ${ms(others.at(-1).load.ms)} ms (cpu ${ms(others.at(-1).load.cpu)} ms)`);
    };
    if (opt.abReserve && i % 2 === 1) other();
    runs.push(runChild("bulk", { dir: bulkDir, people: opt.people, noReserve: opt.noReserve }));
    log(`  bulk round ${i + 1}: load ${ms(runs.at(-1).load.ms)} ms (cpu ${ms(runs.at(-1).load.cpu)} ms)`);
    if (opt.abReserve && i % 2 === 0) other();
    inits.push(runChild("initdb", { people: opt.people, noReserve: opt.noReserve }));
    log(`  initDb (memory) round ${i + 1}: ${ms(inits.at(-1).ms)} ms`);
  }
  results.bulk = runs;
  results.initDb = inits;
  const m = (k) => medOf(runs, k);
  const row = (label, k) => `| ${label} | ${ms(median(runs.map((r) => r[k].ms)))} | ${ms(median(runs.map((r) => r[k].cpu)))} |`;
  const lines = [
    `### Bulk load: ${fmt(runs[0].datoms)} datoms (${fmt(opt.people)} people x 5), file store, strict${opt.noReserve ? " (--no-reserve)" : ""}`,
    "",
    "| phase | wall ms | CPU ms |",
    "|---|---:|---:|",
    row("connect (create the store)", "connect"),
    row("load(): JS encoding of the datoms (writeDatomRows)", "encode"),
    row("load(): request copy into wasm memory", "copy"),
    row("load(): engine: decode + index build (until the first node write)", "build"),
    row("load(): engine: checkpoint: node encoding + hashing + store writes", "checkpoint"),
    `| &nbsp;&nbsp;of which JS FileStore.put (copy, CRC, buffered write(2)), ${fmt(m("putCalls"))} calls | ${ms(m("putMs"))} | |`,
    row("load(): sync (flush, fdatasync pack, index, root slot) + response", "after"),
    `| &nbsp;&nbsp;of which FileStore.sync | ${ms(m("syncMs"))} | |`,
    row("**load() total (durable when it resolves)**", "load"),
    row("close()", "close"),
    row("**connect + load + close**", "total"),
    `| GC pauses inside load() (major GCs) | ${ms(m("gcMs"))} (${fmt(m("majorGcs"))}) | |`,
    `| wasm memory grows inside load() (final wasm heap) | ${fmt(m("grows"))} (${fmt(m("heapMB"))} MB) | |`,
    `| in-memory \`initDb\` of the same datoms (no store), for contrast | ${ms(medOf(inits, "ms"))} | ${ms(medOf(inits, "cpuMs"))} |`,
    "",
    `Stored: ${fmt(runs[0].nodes)} nodes, ${fmt(runs[0].bytesWritten)} node+root bytes, ${fmt(runs[0].diskBytes)} bytes on disk ` +
      `(${fmt(runs[0].diskBytes / runs[0].datoms, 1)} B/datom); write(2) bytes ${fmt(runs[0].wchar)}. ` +
      `Rounds (load() wall / CPU ms): ${runs.map((r) => `${ms(r.load.ms)} / ${ms(r.load.cpu)}`).join(", ")}.`,
  ];
  if (others.length) {
    results.bulkNoReserve = others;
    const both = [["with Engine.reserveHeap (this package)", runs], ["without (heap grows in 20% steps)", others]];
    lines.push("", "Interleaved A/B of the wasm heap reservation (same rounds):", "",
      "| load() | wall ms | CPU ms | GC pauses ms | major GCs | wasm memory grows |", "|---|---:|---:|---:|---:|---:|",
      ...both.map(([label, rs]) => `| ${label} | ${ms(median(rs.map((r) => r.load.ms)))} | ${ms(median(rs.map((r) => r.load.cpu)))} | ` +
        `${ms(medOf(rs, "gcMs"))} | ${fmt(medOf(rs, "majorGcs"))} | ${fmt(medOf(rs, "grows"))} |`));
  }
  results.bulkTable = lines.join("\n");
  console.log(`\n${results.bulkTable}`);
}

if (opt.sections.includes("tx")) {
  // [backend, durability, tailMaxTxs (undefined: the engine's default, 256)]
  const configs = [
    ["file", "strict"], ["file", "relaxed"], ["file", "none"], ["sqlite", "strict"], ["file", "none", 1024],
  ];
  const runs = [];
  for (let round = 0; round < opt.repeat; round++) {
    for (const [backend, durability, tailMaxTxs] of configs) {
      for (const mode of ["seq", "burst"]) {
        const r = runChild("tx", { dir: path.join(root, `tx-${backend}-${durability}-${mode}`), smallPeople: opt.smallPeople, backend, durability,
          tailMaxTxs, mode, minTxs: opt.minTxs, minMs: opt.minMs, burst: opt.burst });
        runs.push({ ...r, tailMaxTxs });
        log(`  tx round ${round + 1} ${backend} ${durability}${tailMaxTxs ? ` tail ${tailMaxTxs}` : ""} ${mode}: ${fmt(r.txPerSec)} tx/s`);
      }
    }
  }
  results.tx = runs;
  const lines = [
    `### Small transactions (1 entity x 5 datoms + :db/txInstant) into a ${fmt(opt.smallPeople * 5)}-datom db`,
    "",
    `tx/s: sequential \`await transact()\`; bursts of ${opt.burst} concurrent \`transactAsync()\` (one sync per burst). ` +
      "Every run ends with flush(), inside the timing. Bytes per tx: the engine's commit bytes (stats().lastCommit.bytesWritten: " +
      "nodes + the 228-byte root record) of a tail commit and of a checkpoint, sampled over 600+ further txs, and per tx with " +
      "the checkpoints amortised; then, over the timed sequential run: on-disk growth per tx (stats().storedBytes), " +
      "write(2) bytes and page-cache bytes dirtied per tx (file store; /proc/self/io). The tail holds 256 transactions " +
      "by default (the engine's tailMaxTxs; 8192 datoms at most); the last row keeps 1024.",
    "",
    "| backend | durability | tx/s sequential | tx/s bursts | CPU µs/tx seq / bursts | tail commit B | checkpoint B (every N txs) | engine B/tx amortised (tail + checkpoint / N) | disk growth B/tx | write(2) B/tx | pages dirtied B/tx |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const [backend, durability, tailMaxTxs] of configs) {
    const of = (mode) => runs.filter((r) => r.backend === backend && r.durability === durability && r.tailMaxTxs === tailMaxTxs && r.mode === mode);
    const seq = of("seq");
    const bur = of("burst");
    lines.push(`| ${backend}${backend === "sqlite" ? " (memory)" : ""}${tailMaxTxs ? `, tailMaxTxs ${tailMaxTxs}` : ""} | ${durability} | ${fmt(medOf(seq, "txPerSec"))} | ${fmt(medOf(bur, "txPerSec"))} | ` +
      `${fmt(median(seq.map((r) => (1000 * r.cpuMs) / r.txs)))} / ${fmt(median(bur.map((r) => (1000 * r.cpuMs) / r.txs)))} | ` +
      `${fmt(medOf(seq, "tailCommitBytes"))} | ${fmt(medOf(seq, "checkpointBytes"))} (${fmt(medOf(seq, "checkpointEvery"))}) | ` +
      `${fmt(median(seq.map((r) => r.tailCommitBytes + r.checkpointBytes / r.checkpointEvery)))} | ${fmt(medOf(seq, "storedPerTx"))} | ${fmt(medOf(seq, "wcharPerTx"))} | ${fmt(medOf(seq, "pageBytesPerTx"))} |`);
  }
  lines.push("", `Sequential runs: ${fmt(medOf(runs.filter((r) => r.mode === "seq"), "txs"))} txs (median) each, at least ${opt.minTxs} txs and ${opt.minMs} ms.`);
  results.txTable = lines.join("\n");
  console.log(`\n${results.txTable}`);
}

if (opt.sections.includes("open")) {
  if (!fs.existsSync(path.join(bulkDir, "root.0"))) runChild("bulk", { dir: bulkDir, people: opt.people });
  const cold = [];
  const warm = [];
  for (let i = 0; i < opt.repeat; i++) {
    cold.push(runChild("open", { dir: bulkDir, people: opt.people, warm: false }));
    warm.push(runChild("open", { dir: bulkDir, people: opt.people, warm: true }));
  }
  results.open = { cold, warm };
  const c = (k) => medOf(cold, k);
  const w = (k) => medOf(warm, k);
  const lines = [
    `### Open + point query of the stored ${fmt(opt.people * 5)}-datom db (a fresh process each round, OS page cache warm)`,
    "",
    "Cold: the first queries of the process. Code warm: the same queries ran first (3,000 pulls, 300 + 30 queries) on a 500-datom in-memory db, " +
      "so the time is mostly the stored db's (node reads and decoding), not the first runs of the engine's and the package's code. " +
      `Medians of ${cold.length}.`,
    "",
    "| step | cold ms | code-warm ms | nodes read |",
    "|---|---:|---:|---:|",
    `| connect() (open: root, schema, index roots, tail) | ${ms(c("openMs"))} | ${ms(w("openMs"))} | ${fmt(w("nodesAtOpen"))} |`,
    `| &nbsp;&nbsp;of which FileStore.open (lock, root slots, reading the ${fmt(cold[0].storedNodes)}-entry index) | ${ms(c("storeOpenMs"))} | ${ms(w("storeOpenMs"))} | |`,
    `| first point query: \`pull("[*]", ["person/id", id])\` | ${ms(c("pointMs"))} | ${ms(w("pointMs"))} | ${fmt(w("pointNodes"))} |`,
    `| second point query (another id) | ${ms(c("point2Ms"))} | ${ms(w("point2Ms"))} | ${fmt(w("point2Nodes"))} |`,
    `| \`q\`: unique id -> name | ${ms(c("qPointMs"))} | ${ms(w("qPointMs"))} | ${fmt(w("qPointNodes"))} |`,
    `| 2,000 more point queries (pull by id, random ids), per query | ${ms(c("manyMs"))} | ${ms(w("manyMs"))} | ${fmt(w("manyNodes"), 1)} |`,
    `| then a scan: \`(count ?e)\` of people aged >= 50 (${fmt(cold[0].scanCount)}) | ${ms(c("scanMs"))} | ${ms(w("scanMs"))} | ${fmt(w("scanNodes"))} |`,
    "",
    `Stored nodes: ${fmt(cold[0].storedNodes)}; loaded in memory after the scan: ${fmt(w("cacheBytesAfterScan"))} bytes (cacheBytes budget 64 MiB).`,
  ];
  results.openTable = lines.join("\n");
  console.log(`\n${results.openTable}`);
}

if (opt.sections.includes("compare")) {
  const lines = [`### Bulk load of the same ${fmt(opt.people)} people, other systems`, "", "| system | ms (median) | CPU ms | bytes |", "|---|---:|---:|---:|"];
  if (results.bulk) {
    lines.push(`| datalite conn.load, file store, strict (above: connect + load + close) | ${ms(median(results.bulk.map((r) => r.total.ms)))} | ${ms(median(results.bulk.map((r) => r.total.cpu)))} | ${fmt(results.bulk[0].diskBytes)} |`);
  }
  for (const indexes of [false, true]) {
    try {
      const runs = [];
      for (let i = 0; i < opt.repeat; i++) runs.push(runChild("sqlite", { dir: path.join(root, "sqlite"), people: opt.people, indexes }));
      results[`sqlite${indexes ? "Idx" : ""}`] = runs;
      lines.push(`| native SQLite (better-sqlite3), file, WAL + synchronous=FULL, one tx${indexes ? " + 4 secondary indexes" : " (rowid table only)"} | ` +
        `${ms(medOf(runs, "ms"))} | ${ms(medOf(runs, "cpuMs"))} | ${fmt(runs[0].bytes)} |`);
    } catch (err) {
      lines.push(`| native SQLite | skipped: ${String(err.message).slice(0, 120)} | | |`);
    }
  }
  try {
    const runs = [];
    for (let i = 0; i < opt.repeat; i++) runs.push(runChild("datascript", { dir: path.join(root, "datascript"), people: opt.people }, { heapMb: 8192 }));
    results.datascript = runs;
    lines.push(`| DataScript 1.8.1: init_db + serializable + JSON.stringify + write + fsync ` +
      `(init ${ms(medOf(runs, "initMs"))}, serialize ${ms(medOf(runs, "serializeMs"))}, write ${ms(medOf(runs, "writeMs"))}) | ` +
      `${ms(medOf(runs, "ms"))} | ${ms(medOf(runs, "cpuMs"))} | ${fmt(runs[0].bytes)} |`);
  } catch (err) {
    lines.push(`| DataScript | skipped: ${String(err.message).slice(0, 120)} | | |`);
  }
  results.compareTable = lines.join("\n");
  console.log(`\n${results.compareTable}`);
}

results.loadAfter = os.loadavg();
console.log(`\nload average at the end: ${os.loadavg().map((x) => x.toFixed(1)).join(" ")}`);
if (opt.json) fs.writeFileSync(opt.json, JSON.stringify(results, null, 2));
if (!opt.keep && !opt.dir) fs.rmSync(root, { recursive: true, force: true });
