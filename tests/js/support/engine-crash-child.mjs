// The child process of the engine-level kill -9 crash harness
// (engine-crash.mjs), and the workload both sides share.
//
//   node tests/js/support/engine-crash-child.mjs --dir DIR [--seed S]
//        [--durability strict|relaxed|none] [--tail-max-txs N] [--gc-every N]
//        [--fault ack-early|split]
//   node tests/js/support/engine-crash-child.mjs --wait   (options as a JSON
//        line on stdin: {"dir": ..., "seed": ..., "tail-max-txs": ...})
//
// Prints `init` once the engine is loaded (with --wait it then waits for its
// options, so the parent can start it ahead of time), `open` when it starts
// opening the file store in DIR through the package (d.connect: lock
// takeover, torn-tail repair, tail replay), `ready <n>` with n = the largest
// counter c/n in the db; then it commits counter transactions n+1, n+2, ...
// forever, printing `ack <i>` once
// `await conn.transact(...)` of counter i has resolved (strict: durable), then
// `ckpt <i>` when that commit was a checkpoint, and `gc-start <i>` and
// `gc <i> <removed>` around a gc. Lines go to fd 1 with fs.writeSync, so a
// line is in the kernel before the next commit starts: process.stdout.write
// is NOT synchronous for child_process stdio (a socket pair): measured, a
// child killed with SIGKILL lost ~80% of the lines it had "written", and the
// parent then saw commits beyond its last ack (a harness false alarm).
//
// Counter transaction i (makeTx) is a pure function of the seed, i and the
// db it is applied to, so the parent replays it into an in-memory reference
// db and compares. It changes every index at once:
//   * creates entity {c/n i (unique identity), c/name, c/val, c/tmp,
//     c/tag [a<i> b<i>], c/prev -> entity i-1, sometimes c/link -> a batch entity}
//   * updates the card-one c/val (indexed) of a random older entity
//   * retracts c/tmp of another one, adds a c/tag to a third, removes the
//     a<k> c/tag of a fourth, sometimes links two older entities (c/link)
//     or unlinks one, sometimes retracts a whole batch entity (retractEntity,
//     which also removes the c/links to it)
//   * about 1 in 50 is big: 100 batch entities {c/bkey, c/batch, c/bv}
//     (300 datoms more), so tails fill up by datoms as well as by txs.
//
// Faults (to show that the harness catches broken durability/atomicity):
//   ack-early: print the ack before awaiting the commit;
//   split:     commit counter i as two transactions (the parent's reference
//              replays the same split, so only a crash between them shows).
import * as d from "../../../js/index.js";
import fs from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

export const SCHEMA = Object.freeze({
  "c/n": { "db/unique": "db.unique/identity" },
  "c/prev": { "db/valueType": "db.type/ref" },
  "c/val": { "db/index": true },
  "c/tag": { "db/cardinality": "db.cardinality/many" },
  "c/link": { "db/valueType": "db.type/ref", "db/cardinality": "db.cardinality/many" },
  "c/bkey": { "db/unique": "db.unique/identity" },
  "c/batch": { "db/index": true },
});

export const BATCH_SIZE = 100;
const BIG_EVERY = 50;

// 32-bit integer hash (lowbias32) and a small PRNG (mulberry32).
function hash32(x) {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}
function mix(seed, i, salt) {
  return hash32((hash32((seed >>> 0) ^ salt) + hash32(i >>> 0) * 31 + Math.floor(i / 0x100000000)) >>> 0);
}
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const isBig = (seed, i) => i > 1 && mix(seed, i, 0xb16) % BIG_EVERY === 0;

// The largest counter in the db (0 when there is none).
export const maxCounter = (db) => db.q("[:find (max ?n) . :where [_ :c/n ?n]]") ?? 0;

// An earlier big counter below `i`, searched down from a random point; 0 if none near.
function earlierBig(seed, i, r) {
  let k = 2 + Math.floor(r() * Math.max(0, i - 2));
  for (let steps = 0; k > 1 && steps < 4 * BIG_EVERY; k--, steps++) if (k < i && isBig(seed, k)) return k;
  return 0;
}

// The entity id of a random (still present) batch entity of an earlier big tx, or null.
function someBatchEntity(db, seed, i, r) {
  const k = earlierBig(seed, i, r);
  if (!k) return null;
  return db.entid(["c/bkey", `b${k}-${Math.floor(r() * BATCH_SIZE)}`]);
}

// The tx-data of counter transaction i (i >= 1) against `db` (which holds
// counters 1..i-1).
export function makeTx(db, seed, i) {
  const r = rng(mix(seed, i, 0x7a));
  const older = () => 1 + Math.floor(r() * (i - 1));
  const ent = { "db/id": "new", "c/n": i, "c/name": `n${i}`, "c/val": i, "c/tmp": i, "c/tag": [`a${i}`, `b${i}`] };
  const tx = [ent];
  if (i > 1) {
    ent["c/prev"] = ["c/n", i - 1];
    tx.push(["db/add", ["c/n", older()], "c/val", i * 1000 + Math.floor(r() * 1000)]);
    tx.push(["db/retract", ["c/n", older()], "c/tmp"]);
    tx.push(["db/add", ["c/n", older()], "c/tag", `x${i}`]);
    const k = older();
    tx.push(["db/retract", ["c/n", k], "c/tag", `a${k}`]);
    const linked = r() < 0.5 ? someBatchEntity(db, seed, i, r) : null;
    if (linked !== null) ent["c/link"] = [linked];
    if (r() < 0.25) tx.push(["db/add", ["c/n", older()], "c/link", ["c/n", older()]]);
    if (r() < 0.15) {
      const from = db.entid(["c/n", older()]);
      const links = from === null ? [] : db.datoms("eavt", from, "c/link");
      if (links.length) tx.push(["db/retract", from, "c/link", links[Math.floor(r() * links.length)].v]);
    }
    if (r() < 0.3) {
      const gone = someBatchEntity(db, seed, i, r);
      if (gone !== null && gone !== linked) tx.push(["db/retractEntity", gone]);
    }
  }
  if (isBig(seed, i)) {
    for (let j = 0; j < BATCH_SIZE; j++) {
      tx.push({ "c/bkey": `b${i}-${j}`, "c/batch": i, "c/bv": `v${Math.floor(r() * 1e9)}-${j}` });
    }
  }
  return tx;
}

// Commits counter transaction i on `conn`: one transaction, or two with the
// "split" fault (the first holds the new entity).
export async function commitCounter(conn, seed, i, fault) {
  const tx = makeTx(conn.db(), seed, i);
  if (fault === "split" && tx.length > 1) {
    await conn.transact(tx.slice(0, 1));
    return conn.transact(tx.slice(1));
  }
  return conn.transact(tx);
}

function parseArgs(argv) {
  const opts = {};
  for (let k = 0; k < argv.length; k++) {
    if (!argv[k].startsWith("--")) throw new Error(`unexpected argument ${argv[k]}`);
    if (argv[k] === "--wait") opts.wait = true;
    else opts[argv[k].slice(2)] = argv[++k];
  }
  return opts;
}

// The first line of stdin.
function readLine() {
  return new Promise((resolve, reject) => {
    let buf = "";
    process.stdin.setEncoding("utf8");
    const onData = (chunk) => {
      buf += chunk;
      const nl = buf.indexOf("\n");
      if (nl < 0) return;
      process.stdin.off("data", onData);
      process.stdin.pause();
      resolve(buf.slice(0, nl));
    };
    process.stdin.on("data", onData);
    process.stdin.on("end", () => reject(new Error("stdin closed before the options line")));
  });
}

// Writes all of `text` to stdout before returning. The descriptor may be
// non-blocking (Node's socket pair): retry while the kernel buffer is full.
function writeLineSync(text) {
  const bytes = Buffer.from(text);
  for (let off = 0; off < bytes.length;) {
    try {
      off += fs.writeSync(1, bytes, off);
    } catch (err) {
      if (err.code !== "EAGAIN") throw err;
    }
  }
}

async function childMain(argv) {
  const out = (line) => writeLineSync(`${line}\n`);
  let opts = parseArgs(argv);
  await d.init({ threads: false });
  out("init");
  // --wait: started ahead of time, the engine loaded; the options come as one
  // JSON line on stdin (the same names as the flags), and the store opens then.
  if (opts.wait) opts = { ...opts, ...JSON.parse(await readLine()) };
  if (!opts.dir) throw new Error("--dir DIR is required");
  const seed = Number(opts.seed ?? 1);
  const durability = opts.durability ?? "strict";
  const tailMaxTxs = Number(opts["tail-max-txs"] ?? 0);
  const gcEvery = Number(opts["gc-every"] ?? 0);
  const fault = opts.fault;
  out("open");
  const conn = await d.connect({ schema: SCHEMA, store: { backend: "file", path: opts.dir }, durability, tailMaxTxs });
  let n = maxCounter(conn.db());
  out(`ready ${n}`);
  for (;;) {
    const i = n + 1;
    if (fault === "ack-early") out(`ack ${i}`);
    await commitCounter(conn, seed, i, fault);
    if (fault !== "ack-early") out(`ack ${i}`);
    if (conn.stats().lastCommit?.checkpoint) out(`ckpt ${i}`);
    n = i;
    if (gcEvery > 0 && i % gcEvery === 0) {
      out(`gc-start ${i}`);
      const { removed } = await conn.gc();
      out(`gc ${i} ${removed}`);
    }
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  childMain(process.argv.slice(2)).catch((err) => {
    process.stderr.write(`engine-crash-child: ${err?.stack ?? err}\n`);
    process.exit(2);
  });
}
