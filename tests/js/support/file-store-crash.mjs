// kill -9 crash harness for the FileStore (js/stores/file.js), store level.
//
//   node tests/js/support/file-store-crash.mjs --trials 1000 [--dir DIR] [--keep]
//
// A child process (this script with --child DIR) commits in a loop: put a few
// random nodes (address = MD5 of the bytes), writeRoot({counter, addrs}) with
// addrs = the new nodes plus some kept from the previous root, sync(), then
// print the counter (its acknowledgement); then del() the nodes no longer
// referenced. Compaction thresholds are tiny, so compactions (and crashes in
// the middle of them) are frequent. The parent SIGKILLs the child at a random
// moment (sometimes during its startup recovery), reopens the directory read
// only and then for writing, and checks: the root's counter is the last
// acknowledged one or the one after it, and every address the root lists is
// present and its bytes hash to the address. Each trial continues the same
// directory, so recovery runs on the result of earlier recoveries.
import { spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { FileStore } from "../../../js/stores/file.js";

const SELF = fileURLToPath(import.meta.url);
const STORE_OPTS = { compactMinDeadBytes: 64 << 10, compactRatio: 0.5 };

const md5 = (bytes) => crypto.createHash("md5").update(bytes).digest("hex");
const rand = (lo, hi) => lo + Math.floor(Math.random() * (hi - lo + 1));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function randomNode() {
  const bytes = crypto.randomBytes(Math.random() < 0.1 ? rand(20000, 200000) : rand(16, 12000));
  return [md5(bytes), bytes];
}

function parseRoot(bytes) {
  return bytes === null ? { counter: 0, addrs: [] } : JSON.parse(Buffer.from(bytes).toString("utf8"));
}

function childMain(dir) {
  const store = FileStore.open(dir, STORE_OPTS);
  let { counter, addrs: prev } = parseRoot(store.readRoot());
  // Nodes left by earlier crashed runs (puts never referenced by a durable root).
  const referenced = new Set(prev);
  store.del(store.list().filter((a) => !referenced.has(a)));
  let gen = store._gen;
  fs.writeSync(1, `ready ${counter}\n`);
  for (;;) {
    counter++;
    const batch = [];
    for (let k = rand(1, 6); k > 0; k--) {
      const [addr, bytes] = randomNode();
      store.put(addr, bytes);
      batch.push(addr);
    }
    const keep = prev.filter(() => Math.random() < 0.6).slice(0, 30);
    const addrs = [...keep, ...batch];
    const garbage = [];
    if (Math.random() < 0.2) {
      const [addr, bytes] = randomNode();  // never referenced
      store.put(addr, bytes);
      garbage.push(addr);
    }
    store.writeRoot(Buffer.from(JSON.stringify({ counter, addrs })));
    store.sync();
    fs.writeSync(1, `ack ${counter}\n`);
    const now = new Set(addrs);
    store.del([...prev.filter((a) => !now.has(a)), ...garbage]);
    if (store._gen !== gen) {
      gen = store._gen;
      fs.writeSync(1, `gen ${gen}\n`);
    }
    prev = addrs;
  }
}

// Checks the store in `dir` after a crash; returns { counter, problems }.
function verify(dir, lastAck, opts) {
  const problems = [];
  const store = FileStore.open(dir, opts);
  try {
    const root = parseRoot(store.readRoot());
    if (root.counter < lastAck) problems.push(`root counter ${root.counter} < last acknowledged ${lastAck}`);
    if (root.counter > lastAck + 1) problems.push(`root counter ${root.counter} > last acknowledged ${lastAck} + 1`);
    const listed = new Set(store.list());
    for (const addr of root.addrs) {
      let bytes;
      try {
        bytes = store.get(addr);
      } catch (e) {
        problems.push(`get(${addr}) threw: ${e.message}`);
        continue;
      }
      if (bytes === null) problems.push(`node ${addr} of root ${root.counter} is missing`);
      else if (md5(bytes) !== addr) problems.push(`node ${addr} of root ${root.counter} has wrong bytes`);
      if (!listed.has(addr)) problems.push(`node ${addr} of root ${root.counter} is not in list()`);
    }
    return { counter: root.counter, problems };
  } finally {
    store.close();
  }
}

// Runs `trials` kill -9 trials on one directory. Returns a summary; the
// failures array is empty when every check passed.
export async function runCrashTrials({ trials = 20, dir, log = () => {}, maxKillDelayMs = 200 } = {}) {
  const ownDir = dir === undefined;
  const base = ownDir ? fs.mkdtempSync(path.join(os.tmpdir(), "dlt-file-crash-")) : null;
  const storeDir = ownDir ? path.join(base, "store") : dir;
  const failures = [];
  let lastAck = fs.existsSync(storeDir) ? verify(storeDir, 0, { readOnly: true }).counter : 0;
  let acks = 0;
  let gens = 0;
  let killedBeforeReady = 0;
  try {
    for (let trial = 0; trial < trials; trial++) {
      const child = spawn(process.execPath, [SELF, "--child", storeDir], { stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      let err = "";
      let ready = false;
      let ackThisTrial = lastAck;
      let onReady;
      const readyP = new Promise((r) => { onReady = r; });
      child.stdout.setEncoding("utf8");
      child.stdout.on("data", (chunk) => {
        out += chunk;
        let nl;
        while ((nl = out.indexOf("\n")) >= 0) {
          const [word, num] = out.slice(0, nl).split(" ");
          out = out.slice(nl + 1);
          if (word === "ack") { ackThisTrial = Number(num); acks++; }
          else if (word === "gen") gens++;
          else if (word === "ready") { ready = true; onReady(); }
        }
      });
      child.stderr.on("data", (chunk) => { err += chunk; });
      const exited = new Promise((r) => child.on("close", (code, signal) => r({ code, signal })));
      if (Math.random() < 0.25) {
        await Promise.race([sleep(rand(5, 80)), readyP]);  // often during startup recovery
      } else {
        await Promise.race([readyP, exited]);
        await sleep(rand(0, maxKillDelayMs));
      }
      if (!ready) killedBeforeReady++;
      child.kill("SIGKILL");
      const { code, signal } = await exited;
      if (signal !== "SIGKILL") {
        failures.push({ trial, problems: [`child exited with code ${code} signal ${signal}: ${err.trim()}`] });
        break;
      }
      if (!fs.existsSync(storeDir) && lastAck === 0) {
        log(`trial ${trial + 1}/${trials}: killed before the store directory existed`);
        continue;
      }
      for (const opts of [{ readOnly: true }, {}]) {
        let result;
        try {
          result = verify(storeDir, ackThisTrial, opts);
        } catch (e) {
          result = { counter: ackThisTrial, problems: [`open (${opts.readOnly ? "read-only" : "writable"}) threw: ${e.stack}`] };
        }
        if (result.problems.length) failures.push({ trial, mode: opts.readOnly ? "read-only" : "writable", problems: result.problems });
        lastAck = Math.max(ackThisTrial, result.counter);
      }
      log(`trial ${trial + 1}/${trials}: acknowledged ${ackThisTrial}, ${failures.length} failures so far`);
      if (failures.length) break;
    }
  } finally {
    if (ownDir && failures.length === 0) fs.rmSync(base, { recursive: true, force: true });
  }
  return { trials, acks, compactions: gens, killedBeforeReady, lastCounter: lastAck, failures, dir: storeDir };
}

if (process.argv[1] && pathToFileURL(path.resolve(process.argv[1])).href === import.meta.url) {
  const args = process.argv.slice(2);
  const opt = (name) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  if (args[0] === "--child") {
    childMain(args[1]);
  } else {
    const trials = Number(opt("trials") ?? 100);
    const t0 = Date.now();
    const r = await runCrashTrials({
      trials,
      dir: opt("dir"),
      log: (line) => { if (process.stdout.isTTY) process.stdout.write(`\r${line}   `); },
    });
    if (process.stdout.isTTY) process.stdout.write("\n");
    console.log(`${r.trials} kill -9 trials in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${r.acks} acknowledged commits, `
      + `${r.compactions} compactions seen, ${r.killedBeforeReady} kills during startup recovery, final counter ${r.lastCounter}`);
    if (r.failures.length) {
      console.log(`FAILED (store kept in ${r.dir}):`);
      for (const f of r.failures) console.log(`  trial ${f.trial}${f.mode ? ` (${f.mode})` : ""}: ${f.problems.join("; ")}`);
      process.exit(1);
    }
    console.log("all checks passed");
  }
}
