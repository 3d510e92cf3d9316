// kill -9 crash harness for durable connections on the file store, at the
// level of the whole engine (the store-level one is file-store-crash.mjs).
//
//   node tests/js/support/engine-crash.mjs --trials 1000 [--parallel 2]
//        [--durability strict|relaxed] [--max-kill-delay-ms 400]
//        [--max-kill-acks 12] [--dir DIR]
//        [--fault ack-early|split] [--stop-on-failure] [--seed S] [--verbose]
//
// Each trial runs engine-crash-child.mjs on a directory (a fresh one, or one
// that survived earlier kills: chains of trials continue a directory, so
// recovery runs on what earlier recoveries left), lets it commit counter
// transactions, and SIGKILLs it at a random moment: a random delay after it
// reported `ready`, or inside the commit after a random number of acks (so
// trials commit something however loaded the machine is), or while it opens
// the store (lock takeover, torn-tail repair, tail replay). Children are started one trial
// ahead with the engine loaded (--wait), so a trial does not wait for node's
// start and its open kills land in the open. Trials vary the engine's tail
// limit (tailMaxTxs 1..32, so most commits are checkpoints, or the default
// 256) and sometimes run gc (with the file store's compaction) every few
// commits.
//
// Then this process reopens the directory through d.connect and checks
//   (a) every acknowledged counter is there: max c/n >= last ack (strict;
//       relaxed: the last ack the parent had read relaxedWindowMs before the
//       kill) and max c/n <= last ack + 1 (the one in flight may or may not
//       be there); each c/n = k has its c/name and (k > 1) its c/prev;
//   (b) the indexes agree: the c/n datoms counted through EAVT, AEVT and AVET,
//       AVET holding exactly 1..N in order; [?e :c/prev ?p] through the query
//       engine, the c/prev datoms in VAET, and the chain k -> k-1 all count
//       N-1; no ref (VAET) points at an entity without datoms; and the whole
//       db equals a reference: the same counter transactions 1..N replayed
//       into an in-memory db (every datom of EAVT/AEVT/AVET/VAET and of the
//       history, maxEid, maxTx, count; only :db/txInstant values differ), so
//       nothing partial is visible and nothing is lost or duplicated;
//   (c) the db takes a new transaction (counter N+1, with a random tail
//       limit) that survives a close and a further reopen (checked in full
//       again).
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as d from "../../../js/index.js";
import { SCHEMA, commitCounter, isBig, maxCounter } from "./engine-crash-child.mjs";

const CHILD = fileURLToPath(new URL("./engine-crash-child.mjs", import.meta.url));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pick = (r, xs) => xs[Math.floor(r() * xs.length)];

// ------------------------------------------------------------ the child

// Starts a child ahead of time (--wait): node up and the engine loaded, it
// touches no store until runChild sends its options.
function warmChild() {
  const child = spawn(process.execPath, [CHILD, "--wait"], { stdio: ["pipe", "pipe", "pipe"] });
  child.stdin.on("error", () => {});  // EPIPE when it died early: reported by its exit
  const res = {
    init: false, opening: false, ready: null, openMs: null, lastAck: null, acks: 0, ackTimes: [],
    checkpoints: 0, gcs: 0, inGc: false, startedAt: null, killedAt: null, stderr: "", exit: null,
  };
  let onInit;
  let onReady;
  const initP = new Promise((r) => { onInit = r; });
  const readyP = new Promise((r) => { onReady = r; });
  let ackWaiter = null;
  const acksP = (k) => new Promise((resolve) => {
    if (res.acks >= k) resolve();
    else ackWaiter = { k, resolve };
  });
  let out = "";
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk) => {
    out += chunk;
    let nl;
    while ((nl = out.indexOf("\n")) >= 0) {
      const [word, num] = out.slice(0, nl).split(" ");
      out = out.slice(nl + 1);
      if (word === "ack") {
        res.lastAck = Number(num);
        res.acks++;
        res.ackTimes.push([res.lastAck, performance.now()]);
        if (ackWaiter && res.acks >= ackWaiter.k) ackWaiter.resolve();
      } else if (word === "ckpt") res.checkpoints++;
      else if (word === "gc") {
        res.gcs++;
        res.inGc = false;
      } else if (word === "gc-start") res.inGc = true;
      else if (word === "init") {
        res.init = true;
        onInit();
      } else if (word === "open") res.opening = true;
      else if (word === "ready") {
        res.ready = Number(num);
        res.openMs = performance.now() - res.startedAt;
        onReady();
      }
    }
  });
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk) => { res.stderr += chunk; });
  const exited = new Promise((r) => child.on("close", (code, signal) => r({ code, signal })));
  return { child, res, initP, readyP, acksP, exited };
}

// Runs a warm child on `chain.dir` until `plan` says to kill it: during the
// open, some time after ready, or inside the commit after the k-th ack.
// Resolves with what it reported.
async function runChild(warm, chain, plan) {
  const { child, res, exited } = warm;
  await Promise.race([warm.initP, exited]);
  const opts = { dir: chain.dir, seed: chain.seed, durability: plan.durability, "tail-max-txs": plan.tailMaxTxs, "gc-every": plan.gcEvery };
  if (plan.fault) opts.fault = plan.fault;
  res.startedAt = performance.now();
  child.stdin.end(`${JSON.stringify(opts)}\n`);
  if (plan.kill === "open") {
    await Promise.race([sleep(plan.delayMs), exited]);
  } else if (plan.kill === "acks") {
    await Promise.race([warm.acksP(plan.acks), exited]);
    // Somewhere in the next commit: a fraction of the mean time per commit so far.
    const t = res.ackTimes;
    const perCommit = t.length > 1 ? (t.at(-1)[1] - t[0][1]) / (t.length - 1) : 10;
    await Promise.race([sleep(plan.delayFraction * perCommit), exited]);
  } else {
    await Promise.race([warm.readyP, exited]);
    await Promise.race([sleep(plan.delayMs), exited]);
  }
  res.killedAt = performance.now();
  child.kill("SIGKILL");
  res.exit = await exited;  // after "close": reaped, and stdout fully read
  return res;
}

async function killWarm(warm) {
  warm.child.kill("SIGKILL");
  await warm.exited;
}

// ------------------------------------------------------------ checks

const canon = (x) => `${x.e} ${x.a} ${x.a === ":db/txInstant" ? "*" : JSON.stringify(x.v)} ${x.tx} ${x.added}`;

// Compares two datom lists in order; returns a problem or null.
function sameDatoms(what, got, want) {
  const n = Math.max(got.length, want.length);
  for (let k = 0; k < n; k++) {
    const g = k < got.length ? canon(got[k]) : "(none)";
    const w = k < want.length ? canon(want[k]) : "(none)";
    if (g !== w) return `${what}: ${got.length} datoms, expected ${want.length}; first difference at #${k}: got [${g}], expected [${w}]`;
  }
  return null;
}

// The reference: counter transactions replayed into an in-memory db.
class Reference {
  constructor(seed, fault) {
    this.seed = seed;
    this.fault = fault;
    this.conn = null;
    this.n = 0;
    this.cache = null;  // { n, lists } of the last comparison
  }

  async to(n) {
    if (!this.conn) this.conn = await d.connect({ schema: SCHEMA });
    if (n < this.n) throw new Error(`reference is at counter ${this.n}, cannot go back to ${n}`);
    while (this.n < n) {
      this.n++;
      await commitCounter(this.conn, this.seed, this.n, this.fault);
    }
    return this.conn.db();
  }

  lists() {
    if (this.cache?.n !== this.n) {
      const db = this.conn.db();
      this.cache = {
        n: this.n,
        db,
        lists: Object.fromEntries(["eavt", "aevt", "avet", "vaet"].map((ix) => [ix, db.datoms(ix)])),
        history: db.history().datoms("eavt"),
      };
    }
    return this.cache;
  }

  async close() {
    await this.conn?.close();
    this.conn = null;
  }
}

// Checks (a) and (b) on `db` (holding counters 1..N); returns problems.
async function checkDb(db, ref, bounds) {
  const problems = [];
  const N = maxCounter(db);
  if (bounds.min !== null && N < bounds.min) problems.push(`max c/n is ${N}, but ${bounds.min} was acknowledged (${bounds.why})`);
  if (bounds.max !== null && N > bounds.max) problems.push(`max c/n is ${N}, beyond the last acknowledged + 1 = ${bounds.max}`);
  const count = (q) => db.q(q) ?? 0;
  const expectN = (what, got, want) => { if (got !== want) problems.push(`${what}: ${got}, expected ${want}`); };

  // (a) every counter 1..N, with its name and its link to the previous one.
  expectN("entities with c/n and c/name", count("[:find (count ?e) . :where [?e :c/n] [?e :c/name]]"), N);
  expectN("entities with c/n, c/name and c/prev", count("[:find (count ?e) . :where [?e :c/n] [?e :c/name] [?e :c/prev]]"), Math.max(0, N - 1));

  // (b) the same counts through different indexes.
  const eavt = db.datoms("eavt");
  const aevtN = db.datoms("aevt", "c/n");
  const avetN = db.datoms("avet", "c/n");
  expectN("c/n datoms in EAVT", eavt.filter((x) => x.a === ":c/n").length, N);
  expectN("c/n datoms in AEVT", aevtN.length, N);
  expectN("c/n datoms in AVET", avetN.length, N);
  const badAvet = avetN.findIndex((x, k) => x.v !== k + 1);
  if (badAvet >= 0) problems.push(`AVET c/n #${badAvet} is ${avetN[badAvet].v}, expected ${badAvet + 1} (counters not exactly 1..N)`);
  const prevQ = count("[:find (count ?e) . :where [?e :c/prev ?p]]");
  const prevVaet = db.datoms("vaet").filter((x) => x.a === ":c/prev").length;
  const chain = count("[:find (count ?e) . :where [?e :c/prev ?p] [?e :c/n ?n] [?p :c/n ?m] [(inc ?m) ?k] [(= ?k ?n)]]");
  expectN("[?e :c/prev ?p] (query)", prevQ, Math.max(0, N - 1));
  expectN("c/prev datoms in VAET", prevVaet, Math.max(0, N - 1));
  expectN("c/prev links from k to k-1", chain, Math.max(0, N - 1));
  const entities = new Set(eavt.map((x) => x.e));
  const dangling = db.datoms("vaet").filter((x) => !entities.has(x.v));
  if (dangling.length) problems.push(`${dangling.length} dangling refs, e.g. [${canon(dangling[0])}]`);
  const bigs = [];
  for (let k = 2; k <= N; k++) if (isBig(ref.seed, k)) bigs.push(k);
  const batches = new Set(db.datoms("aevt", "c/batch").map((x) => x.v));
  for (const b of batches) if (!bigs.includes(b)) problems.push(`batch entities of counter ${b}, which is not a big tx`);

  // The reference: the same counter transactions in memory.
  const rdb = await ref.to(N);
  const want = ref.lists();
  expectN("db.maxEid", db.maxEid, rdb.maxEid);
  expectN("db.maxTx", db.maxTx, rdb.maxTx);
  expectN("db.count", db.count, rdb.count);
  for (const ix of ["eavt", "aevt", "avet", "vaet"]) {
    const p = sameDatoms(`${ix.toUpperCase()} vs reference`, ix === "eavt" ? eavt : db.datoms(ix), want.lists[ix]);
    if (p) problems.push(p);
  }
  const p = sameDatoms("history EAVT vs reference", db.history().datoms("eavt"), want.history);
  if (p) problems.push(p);
  return { N, problems };
}

// Reopens `chain.dir` after a kill and runs checks (a), (b), (c). Returns
// { N, problems }: N the counter the db now holds (after the new tx).
async function verifyChain(chain, bounds, random) {
  const store = { backend: "file", path: chain.dir };
  const problems = [];
  const tailMaxTxs = () => pick(random, [0, 0, 1, 2, 8]);
  let conn = null;
  let N = null;
  try {
    conn = await d.connect({ schema: SCHEMA, store, tailMaxTxs: tailMaxTxs() });
    const first = await checkDb(conn.db(), chain.ref, bounds);
    N = first.N;
    problems.push(...first.problems);
    if (problems.length) return { N, problems };
    // (c) a new transaction, then a further reopen.
    await commitCounter(conn, chain.seed, N + 1, chain.fault);
    await conn.close();
    conn = null;
    conn = await d.connect({ schema: SCHEMA, store, tailMaxTxs: tailMaxTxs() });
    const second = await checkDb(conn.db(), chain.ref, { min: N + 1, max: N + 1, why: "the verifier's own transaction" });
    for (const q of second.problems) problems.push(`after a new transaction and another reopen: ${q}`);
    N = second.N;
  } catch (err) {
    problems.push(`${conn ? "checking" : "reopening"} threw: ${err?.stack ?? err}`);
  } finally {
    try {
      await conn?.close();
    } catch (err) {
      problems.push(`close threw: ${err?.stack ?? err}`);
    }
  }
  return { N, problems };
}

// ------------------------------------------------------------ trials

function seededRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Runs kill -9 trials; returns a summary whose `failures` is empty when every
// check passed. Options:
//   trials, parallel (children at a time), durability ("strict": acks must
//   survive; "relaxed": acks older than relaxedWindowMs must), maxKillDelayMs
//   (after ready), openKillRate, ackKillRate / maxKillAcks (kills inside the
//   commit after 1..maxKillAcks acks), freshRate (a trial starts a new directory),
//   maxChain / maxCounter (a directory retires after that many trials / counters),
//   fault (passed to the child), stopOnFailure, seed, dir (base directory;
//   kept), log.
export async function runEngineCrashTrials({
  trials = 20,
  parallel = 1,
  durability = "strict",
  maxKillDelayMs = 400,
  openKillRate = 0.2,
  ackKillRate = 0.3,
  maxKillAcks = 12,
  freshRate = 0.2,
  maxChain = 30,
  maxCounter: counterLimit = 2000,
  relaxedWindowMs = 500,
  stopOnFailure = false,
  fault,
  seed = (Math.random() * 0x100000000) >>> 0,
  dir,
  log = () => {},
} = {}) {
  await d.init({ threads: false });
  const base = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), "dlt-engine-crash-"));
  fs.mkdirSync(base, { recursive: true });
  const random = seededRandom(seed);
  const t0 = performance.now();
  const sum = {
    trials: 0, acks: 0, failures: [], seed, dir: base,
    killedBeforeReady: 0, killedDuringOpen: 0, inFlightFound: 0, lostAcks: 0, directories: 0, longestChain: 0, maxCounter: 0,
    checkpoints: 0, gcs: 0, killedDuringGc: 0, verifyMs: 0, elapsedMs: 0,
  };
  let nextTrial = 0;
  let nextDir = 0;
  let openMsAvg = 50;

  async function lane(laneNo) {
    let chain = null;
    let warm = warmChild();
    const retire = async (keep) => {
      if (!chain) return;
      await chain.ref.close();
      if (!keep) fs.rmSync(chain.dir, { recursive: true, force: true });
      chain = null;
    };
    try {
      while (nextTrial < trials && !(stopOnFailure && sum.failures.length)) {
        const trial = nextTrial++;
        if (!chain || random() < freshRate || chain.trials >= maxChain || chain.N >= counterLimit) {
          await retire(false);
          const chainSeed = (random() * 0x100000000) >>> 0;
          chain = { dir: path.join(base, `db-${nextDir++}`), seed: chainSeed, fault, ref: new Reference(chainSeed, fault), N: 0, trials: 0 };
          sum.directories++;
        }
        chain.trials++;
        sum.longestChain = Math.max(sum.longestChain, chain.trials);
        const which = random();
        const kind = which < openKillRate ? "open" : which < openKillRate + ackKillRate ? "acks" : "running";
        const plan = {
          durability, fault,
          tailMaxTxs: pick(random, [0, 0, 0, 1, 2, 4, 8, 32]),
          gcEvery: random() < 0.25 ? pick(random, [3, 10, 30]) : 0,
          kill: kind,
          // Open kills land anywhere from the start of the open to a bit after
          // ready; running kills up to maxKillDelayMs after ready, often in
          // the first commits after the recovery; ack kills after 1..maxKillAcks
          // acks, inside the next commit.
          delayMs: Math.floor(kind === "open" ? random() * 1.3 * openMsAvg : random() * (random() < 0.3 ? Math.min(30, maxKillDelayMs) : maxKillDelayMs)),
          acks: 1 + Math.floor(random() * maxKillAcks),
          delayFraction: random(),
        };
        if (kind === "acks") delete plan.delayMs;
        else {
          delete plan.acks;
          delete plan.delayFraction;
        }
        const current = warm;
        warm = warmChild();  // starts while this trial runs
        const run = await runChild(current, chain, plan);
        if (run.openMs !== null) openMsAvg = 0.8 * openMsAvg + 0.2 * run.openMs;
        sum.trials++;
        sum.acks += run.acks;
        sum.checkpoints += run.checkpoints;
        sum.gcs += run.gcs;
        if (run.inGc) sum.killedDuringGc++;
        if (run.ready === null) sum.killedBeforeReady++;
        if (run.ready === null && run.opening) sum.killedDuringOpen++;
        const where = { trial, lane: laneNo, dir: chain.dir, seed: chain.seed, plan, ready: run.ready, lastAck: run.lastAck, acks: run.acks };
        if (run.exit.signal !== "SIGKILL") {
          sum.failures.push({ ...where, problems: [`the child exited by itself (code ${run.exit.code}, signal ${run.exit.signal}): ${run.stderr.trim().slice(-2000)}`] });
          await retire(true);
          continue;
        }
        if (run.ready !== null && run.ready !== chain.N) {
          sum.failures.push({ ...where, problems: [`the child opened at counter ${run.ready}, but the verifier left ${chain.N}`] });
          await retire(true);
          continue;
        }
        // What the db must hold: at least the last ack (strict) and what was
        // verified before; at most the last ack + 1 (a commit in flight), or
        // before any ack what the child opened + 1, or before ready (no
        // counter commits yet) what the verifier left.
        // Relaxed: what was acknowledged relaxedWindowMs before the kill.
        const bounds = {
          min: chain.N,
          max: run.lastAck !== null ? run.lastAck + 1 : run.ready !== null ? run.ready + 1 : chain.N,
          why: "before this trial",
        };
        if (durability === "strict" && run.lastAck !== null && run.lastAck > chain.N) {
          bounds.min = run.lastAck;
          bounds.why = "by the child";
        }
        const settled = run.ackTimes.filter(([, t]) => t < run.killedAt - relaxedWindowMs).at(-1);
        if (durability === "relaxed" && settled && settled[0] > chain.N) {
          bounds.min = settled[0];
          bounds.why = `by the child more than ${relaxedWindowMs} ms before the kill`;
        }
        if (!fs.existsSync(chain.dir)) {
          // Killed before the store directory existed.
          log(`trial ${trial + 1}/${trials}: killed before the directory existed`);
          continue;
        }
        const tv = performance.now();
        const v = await verifyChain(chain, bounds, random);
        sum.verifyMs += performance.now() - tv;
        if (v.problems.length) {
          sum.failures.push({ ...where, N: v.N, problems: v.problems });
          await retire(true);
          continue;
        }
        const found = v.N - 1;  // before the verifier's own transaction
        const acked = run.lastAck ?? run.ready;
        if (acked !== null && found === acked + 1) sum.inFlightFound++;
        if (run.lastAck !== null && found < run.lastAck) sum.lostAcks += run.lastAck - found;
        chain.N = v.N;
        sum.maxCounter = Math.max(sum.maxCounter, v.N);
        log(`trial ${trial + 1}/${trials} (lane ${laneNo}): open ${run.openMs?.toFixed(0)} ms, ${plan.kill} kill after ${plan.kill === "acks" ? `${plan.acks} acks` : `${plan.delayMs} ms`}, ${run.acks} acks, verify ${(performance.now() - tv).toFixed(0)} ms, `
          + `db at ${found}, ${sum.failures.length} failures so far`);
      }
    } finally {
      await killWarm(warm);
      await retire(false);
    }
  }

  await Promise.all(Array.from({ length: Math.max(1, parallel) }, (_, k) => lane(k)));
  sum.elapsedMs = performance.now() - t0;
  if (dir === undefined && sum.failures.length === 0) fs.rmSync(base, { recursive: true, force: true });
  return sum;
}

export function formatSummary(s) {
  const lines = [
    `${s.trials} kill -9 trials in ${(s.elapsedMs / 1000).toFixed(1)} s (verification ${(s.verifyMs / 1000).toFixed(1)} s): `
      + `${s.acks} acknowledged commits, ${s.failures.length} failures`,
    `  ${s.directories} directories (longest chain ${s.longestChain} trials, largest counter ${s.maxCounter}), `
      + `${s.killedBeforeReady} kills before ready (${s.killedDuringOpen} while opening the store), ${s.checkpoints} acked checkpoints, ${s.gcs} gcs (${s.killedDuringGc} more killed in a gc), `
      + `unacknowledged tx found committed ${s.inFlightFound} times` + (s.lostAcks ? `, ${s.lostAcks} acked commits lost` : "")
      + `, seed ${s.seed}`,
  ];
  // Failures by kind: the first line of the first problem, numbers and
  // addresses blanked.
  const kinds = new Map();
  for (const f of s.failures) {
    const kind = f.problems[0].split("\n")[0].replace(/[0-9a-f]{32}/g, "<addr>").replace(/\d+/g, "#").slice(0, 160);
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  }
  for (const [kind, n] of kinds) lines.push(`  ${n} x ${kind}`);
  for (const f of s.failures.slice(0, 10)) {
    lines.push(`  FAILED trial ${f.trial} (lane ${f.lane}, dir ${f.dir}, chain seed ${f.seed}, plan ${JSON.stringify(f.plan)}, `
      + `ready ${f.ready}, last ack ${f.lastAck}):`);
    for (const p of f.problems.slice(0, 8)) lines.push(`    ${p}`);
  }
  if (s.failures.length > 10) lines.push(`  ... and ${s.failures.length - 10} more failures`);
  return lines.join("\n");
}

if (process.argv[1] && pathToFileURL(path.resolve(process.argv[1])).href === import.meta.url) {
  const args = process.argv.slice(2);
  const opt = (name, dflt) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : dflt;
  };
  const verbose = args.includes("--verbose");
  const tty = process.stdout.isTTY;
  const s = await runEngineCrashTrials({
    trials: Number(opt("trials", 100)),
    maxKillAcks: Number(opt("max-kill-acks", 12)),
    parallel: Number(opt("parallel", 2)),
    durability: opt("durability", "strict"),
    maxKillDelayMs: Number(opt("max-kill-delay-ms", 400)),
    fault: opt("fault"),
    stopOnFailure: args.includes("--stop-on-failure"),
    seed: opt("seed") !== undefined ? Number(opt("seed")) : undefined,
    dir: opt("dir"),
    log: (line) => {
      if (verbose) console.log(line);
      else if (tty) process.stdout.write(`\r${line.slice(0, 150)}   `);
    },
  });
  if (tty && !verbose) process.stdout.write("\n");
  console.log(formatSummary(s));
  if (s.failures.length) {
    console.log(`directories of failed trials kept under ${s.dir}`);
    process.exit(1);
  }
  console.log("all checks passed");
}
