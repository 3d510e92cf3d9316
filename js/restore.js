// restore (API.md section 7): copies the schema and current datoms of a
// source into a fresh destination database, with new entity ids, through the
// engine's pipeline (src/restore): reader and tx-worker threads in the
// threaded build, inline in the single-threaded one.
//
// Where it runs:
// - Node, Deno, workers (no `window`), or a page that passes `inline: true`:
//   here, on the calling thread, which the engine call blocks until the
//   restore is done (onProgress is called synchronously from inside it; a
//   throw in onProgress stops the restore, which rejects with that error
//   and leaves the destination empty).
//   With the threaded engine, readers and tx workers run on wasm pthreads.
// - A browser page (a `window`): in a dedicated module Worker
//   (restore-page.js starts js/restore-worker.js), so the page's main thread
//   is never blocked by the pipeline; onProgress then receives the worker's
//   progress messages asynchronously. The worker loads its own engine (the
//   threaded build when the page is cross-origin isolated, the
//   single-threaded one otherwise). restore-page.js says how sources and
//   destinations get there.
import { DataliteError } from "./errors.js";
import { Op, currentEngine, initEngine } from "./engine.js";
import { Db, readDb } from "./db.js";
import { Connection, adoptRestored, connect } from "./connection.js";
import { describe } from "./convert.js";
import { restoreInWorker } from "./restore-page.js";

export const METRIC_NAMES = ["datomsRead", "datomsWritten", "pendingCount", "batches", "lastTxMs", "avgTxMs",
  "batchEfficiency", "utilizationPct", "elapsedMs"];

// Internal (restore-worker.js): the report's oldToNew table itself, and a
// callback told when the engine's part is done and the destination is being
// stored.
export const OLD_TO_NEW_TABLE = Symbol("oldToNewTable");
export const ON_STORING = Symbol("onStoring");

function metricsOf(values) {
  const m = {};
  METRIC_NAMES.forEach((name, i) => { m[name] = values[i]; });
  return m;
}

function count(options, name, fallback, max) {
  const v = options[name];
  if (v === undefined) return fallback;
  if (!Number.isSafeInteger(v) || v < 0 || v > max || (v === 0 && fallback !== 0))
    throw new DataliteError("invalid-input", `restore: ${name} must be an integer in [${fallback === 0 ? 0 : 1}, ${max}], got ${describe(v)}`);
  return v;
}

// Validates the options (the same on both paths); returns the numeric knobs.
export function checkOptions(options) {
  if (!options || typeof options !== "object") throw new DataliteError("invalid-input", "restore needs an options object");
  const { dest, onProgress } = options;
  if (!dest || typeof dest !== "object") throw new DataliteError("invalid-input", "restore needs a dest config");
  if (onProgress !== undefined && typeof onProgress !== "function") throw new DataliteError("invalid-input", "restore: onProgress must be a function");
  return {
    twoPass: !!options.twoPass,
    maxBatchSize: count(options, "maxBatchSize", 500, 1 << 24),
    readParallelism: count(options, "readParallelism", 0, 256),
    readChunk: count(options, "readChunk", 5000, 1 << 24),
    txParallelism: count(options, "txParallelism", 4, 256),
  };
}

// A page (not a worker, not Node): the restore goes to a Worker unless the
// caller asks for it to run here.
function runsInWorker(options) {
  return typeof window !== "undefined" && typeof document !== "undefined" && typeof Worker === "function" &&
    options?.inline !== true;
}

export async function restore(options) {
  if (runsInWorker(options)) return restoreInWorker(options, checkOptions(options));
  return restoreHere(options);
}

async function restoreHere(options) {
  await initEngine();
  const knobs = checkOptions(options);
  const { source, dest, onProgress } = options;

  let sourceDb;
  let sourceConn = null;
  if (source instanceof Db) sourceDb = source;
  else if (source instanceof Connection) sourceDb = source.db();
  else if (source && typeof source === "object") {
    sourceConn = await connect(source);
    sourceDb = sourceConn.db();
  } else throw new DataliteError("invalid-input", `restore: source must be a Db, a Connection or a config, got ${describe(source)}`);

  let destConn = null;
  try {
    destConn = await connect(dest);
    const current = destConn.db();
    if (current.count > 0 || current.maxEid > 0)
      throw new DataliteError("invalid-input", "restore needs an empty destination database");
    const e = currentEngine();
    let progressError = null;
    e.module.setRestoreProgress(onProgress ? (values) => {
      // Runs inside the engine call: a throw here must not unwind through
      // wasm. Returning false stops the restore; restore() then rejects
      // with the callback's error and the destination stays empty.
      try {
        onProgress(metricsOf(values));
        return true;
      } catch (err) {
        progressError ??= err;
        return false;
      }
    } : null);
    let restored, report;
    try {
      const w = e.begin();
      w.varint(sourceDb.handle);
      w.byte(knobs.twoPass ? 1 : 0);
      w.varint(knobs.maxBatchSize);
      w.varint(knobs.readParallelism);
      w.varint(knobs.readChunk);
      w.varint(knobs.txParallelism);
      w.varint(10);
      let r;
      try {
        r = e.send(Op.Restore);
      } catch (err) {
        throw progressError ?? err;
      }
      restored = readDb(r);
      const values = [r.varint(), r.varint(), r.varint(), r.varint()];
      for (let i = 0; i < 5; i++) values.push(r.value());
      report = metricsOf(values);
      report.durationSec = r.value();
      report.finalPendingCount = 0;
      const n = r.varint();
      const table = n <= 0x7fffffff ? new Float64Array(n) : [];
      for (let i = 0; i < n; i++) table[i] = r.varint();
      report.oldToNew = (oldEid) => (Number.isInteger(oldEid) && oldEid >= 0 && oldEid < table.length ? table[oldEid] || undefined : undefined);
      Object.defineProperty(report, OLD_TO_NEW_TABLE, { value: table });
    } finally {
      e.module.setRestoreProgress(null);
    }
    options[ON_STORING]?.(report);
    await adoptRestored(destConn, restored);
    return report;
  } finally {
    await destConn?.close();
    if (sourceConn) await sourceConn.close();
  }
}
