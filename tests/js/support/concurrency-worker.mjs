// A reader thread of tests/js/concurrency.test.mjs: loads the package with
// the threaded build, then opens the file store the main thread writes to
// again and again, read-only (FileStore readOnly through a "custom" store
// config), checks the bank invariants (support/bank.mjs) on every snapshot,
// keeps the last few connections open and reads their (older) snapshots
// again, with a tiny node cache so that those reads go back to the store
// files (also after the writer's gc compacted them away).
// workerData: { dir, baseTx, index, flag } — flag: Int32Array over a
// SharedArrayBuffer, [0] = 0 while the writer runs, final counter + 1 after
// its last commit is durable.
import { parentPort, workerData } from "node:worker_threads";
import * as d from "../../../js/index.js";
import { FileStore } from "../../../js/stores/file.js";
import { checkSnapshot, sameSeen } from "./bank.mjs";

const { dir, baseTx, index } = workerData;
const flag = new Int32Array(workerData.flag);
const HELD = 3;

await d.init({ threads: true });
const variant = d.engineStats().variant;
parentPort.postMessage({ type: "ready", variant });

const problems = [];
const seenList = [];  // [t, hash] of every snapshot read, for the writer to verify
const stats = { opens: 0, reads: 0, rereads: 0, distinct: 0, firstT: -1, lastT: -1, finalT: -1 };
const held = [];
let lastT = -1;
try {
  for (let n = 0; ; n++) {
    const stopAt = Atomics.load(flag, 0);
    const conn = await d.connect({
      store: { backend: "custom", name: `reader-${index}-${n}`, open: () => FileStore.open(dir, { readOnly: true }) },
      cacheBytes: 16 * 1024,
    });
    stats.opens++;
    if (!conn.stats().readOnly) problems.push("the connection is not read-only");
    const db = conn.db();
    const { seen, problems: p } = checkSnapshot(db, baseTx);
    stats.reads++;
    for (const x of p) problems.push(`open ${n} (T=${seen.t}): ${x}`);
    seenList.push([seen.t, seen.hash]);
    if (seen.t < lastT) problems.push(`open ${n}: counter went back from ${lastT} to ${seen.t}`);
    if (seen.t !== lastT) stats.distinct++;
    if (stats.firstT < 0) stats.firstT = seen.t;
    lastT = seen.t;
    // The older snapshots of the connections still open answer as before.
    for (const h of held) {
      const again = checkSnapshot(h.db, baseTx);
      stats.rereads++;
      for (const x of again.problems) problems.push(`re-read (T=${h.seen.t}): ${x}`);
      if (!sameSeen(again.seen, h.seen)) problems.push(`snapshot T=${h.seen.t} answered differently later: ${JSON.stringify(again.seen)}`);
    }
    held.push({ conn, db, seen });
    if (held.length > HELD) await held.shift().conn.close();
    if (stopAt !== 0) {
      stats.finalT = seen.t;
      if (seen.t !== stopAt - 1) problems.push(`opened after the writer finished, read counter ${seen.t}, want ${stopAt - 1}`);
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, n % 4));
  }
} catch (err) {
  problems.push(`threw: ${err?.code ?? ""} ${err?.stack ?? err}`);
}
for (const h of held) await h.conn.close().catch((err) => problems.push(`close: ${err?.message ?? err}`));
stats.lastT = lastT;
stats.liveCursors = d.engineStats().liveCursors;
parentPort.postMessage({ type: "done", variant, stats, seen: seenList, problems: problems.slice(0, 20) });
