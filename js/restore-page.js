// restore() called on a browser page (restore.js decides): the restore runs
// in a dedicated module Worker (restore-worker.js), so the page's main thread
// only posts a message and receives progress; the engine call that blocks
// for the whole restore blocks the worker instead. The worker loads its own
// engine: the threaded build when the page is cross-origin isolated (its
// readers and tx workers are wasm pthreads started from the worker), the
// single-threaded build otherwise. One worker per call, terminated after.
//
// How the source gets to the worker:
// - a Db or a Connection of this page: `db.serialize()` here (the one step
//   of the restore on the page's thread: it costs about as much as
//   serializing that db does; the bytes are transferred, not copied). A
//   Connection's current value is taken at the call. A history view is
//   refused (serialize refuses it); an asOf/since view is copied as that
//   view (the inline path refuses views: it cannot serialize them first).
// - a memory Config ({ store: { backend: "memory", id } }): memory databases
//   live in this page's engine, so it is connected here and serialized as
//   above.
// - a durable Config (IndexedDB, SQLite/OPFS, ...): the worker opens the
//   store itself; nothing of the source touches the page. IndexedDB has one
//   writer per database: when this page (or another tab) holds the source
//   open for writing, the worker opens it READ-ONLY and copies the snapshot
//   that was durable when it opened (writes with durability "relaxed"/"none"
//   not flushed yet are not seen: flush() first, or pass the Connection).
//   It waits for the lock 0 ms (lockWaitMs, unless the config sets it): a
//   reader does not need to wait for a writer. When nobody holds it, the
//   worker holds the writer lock during the restore and releases it at the
//   end.
// - a "custom" store (an `open` function) or any config that cannot be
//   structured-cloned cannot be sent: invalid-input; pass `inline: true`.
//
// The destination:
// - a durable Config: the worker connects it, checks it is empty, stores the
//   restored database (one commit) and closes it before it answers, so the
//   page can connect() as soon as restore() resolves. IndexedDB: the worker
//   must be the writer, so it opens the destination with onLocked "error":
//   when this page (or another tab) has it open, restore() rejects with a
//   store-error (store-locked) telling to close those connections first.
// - a memory Config: the database lives in this page, so the page checks it
//   is empty, the worker restores into memory and sends back
//   `serialize()` bytes, and the page deserializes them into the
//   destination (that last step runs on the page's thread, like the source's
//   serialize: its cost grows with the db; prefer a durable destination for
//   big restores in a page).
//
// onProgress receives the worker's metrics (every 10 batches and at the end)
// asynchronously, as messages arrive; it is never called after restore()
// settles, and a throw in it stops the Worker and rejects restore() with
// that error. The worker loads the engine build the page loaded (when it has
// one; else the worker's default: mt when isolated). The report is the
// inline one (oldToNew too) plus `inWorker: true`, `variant` ("st" | "mt":
// the worker's engine) and `workerStartMs` (loading the worker and its
// engine).
import { DataliteError } from "./errors.js";
import { currentEngine, isInitialised } from "./engine.js";
import { Db, deserialize } from "./db.js";
import { Connection, adoptRestored, connect } from "./connection.js";
import { describe } from "./convert.js";

const KNOBS = ["twoPass", "maxBatchSize", "readParallelism", "readChunk", "txParallelism"];

const isMemoryConfig = (config) => (config.store?.backend ?? "memory") === "memory";

// The config as the worker receives it: IndexedDB store options with
// `defaults` under and `forced` over the config's own.
function withStoreOptions(config, defaults, forced = {}) {
  if (config.store?.backend !== "indexeddb") return config;
  return { ...config, store: { ...config.store, options: { ...defaults, ...(config.store.options ?? {}), ...forced } } };
}

function checkSendable(config, what) {
  if (config.store?.backend === "custom")
    throw new DataliteError("invalid-input", `restore: a "custom" store (its open() function) cannot be sent to the restore Worker; ` +
      `open it on the page and pass the Connection as the ${what}, or pass inline: true`);
}

async function sourceMessage(source) {
  if (source instanceof Db) return { bytes: source.serialize() };
  if (source instanceof Connection) return { bytes: source.db().serialize() };
  if (!source || typeof source !== "object")
    throw new DataliteError("invalid-input", `restore: source must be a Db, a Connection or a config, got ${describe(source)}`);
  if (isMemoryConfig(source)) {
    const conn = await connect(source);
    try {
      return { bytes: conn.db().serialize() };
    } finally {
      await conn.close();
    }
  }
  checkSendable(source, "source");
  return { config: withStoreOptions(source, { lockWaitMs: 0 }) };
}

function workerUrl() {
  return new URL("./restore-worker.js", import.meta.url);
}

export async function restoreInWorker(options, knobs) {
  const { source, dest, onProgress } = options;
  const destInPage = isMemoryConfig(dest);
  if (!destInPage) checkSendable(dest, "dest");
  let destConn = null;
  let worker = null;
  try {
    if (destInPage) {
      destConn = await connect(dest);
      const current = destConn.db();
      if (current.count > 0 || current.maxEid > 0)
        throw new DataliteError("invalid-input", "restore needs an empty destination database");
    }
    const src = await sourceMessage(source);
    const message = {
      type: "restore",
      source: src,
      // A memory destination is restored into the worker's memory and sent back.
      dest: destInPage ? { ...dest, store: { backend: "memory", id: "datalite-restore-result" } } : withStoreOptions(dest, {}, { onLocked: "error" }),
      destInPage,
      knobs: Object.fromEntries(KNOBS.map((k) => [k, knobs[k]])),
      progress: !!onProgress,
      // The worker loads the build this page loaded (init({ threads: false })
      // on an isolated page means st there too); its own default otherwise.
      threads: isInitialised() ? currentEngine().variant === "mt" : undefined,
    };
    worker = new Worker(workerUrl(), { type: "module", name: "datalite-restore" });
    const result = await new Promise((resolve, reject) => {
      let stopped = false;
      worker.onmessage = ({ data }) => {
        if (stopped) return;
        switch (data?.type) {
          case "progress":
            try {
              onProgress?.(data.metrics);
            } catch (err) {
              // As inline: a throw stops the restore and restore() rejects
              // with it. Ending the Worker ends its pipeline; it stores the
              // destination only at the very end, in one commit.
              stopped = true;
              worker.terminate();
              reject(err);
            }
            break;
          case "done":
            resolve(data);
            break;
          case "error":
            reject(workerError(data, dest));
            break;
        }
      };
      worker.onerror = (event) => {
        event.preventDefault?.();
        reject(new DataliteError("store-error", `restore: the restore Worker failed: ${event.message || "it could not be loaded"}`));
      };
      worker.onmessageerror = () => reject(new DataliteError("store-error", "restore: a message from the restore Worker could not be read"));
      try {
        // serialize() bytes own their buffer: hand it over rather than copy it.
        const own = src.bytes && src.bytes.byteOffset === 0 && src.bytes.byteLength === src.bytes.buffer.byteLength;
        worker.postMessage(message, own ? [src.bytes.buffer] : []);
      } catch (err) {
        reject(new DataliteError("invalid-input", `restore: the source or dest config cannot be sent to the restore Worker ` +
          `(${err?.message ?? err}); configs must be plain data, or pass inline: true`, { cause: err }));
      }
    });
    if (destInPage) await adoptRestored(destConn, deserialize(result.bytes));
    const table = result.table;
    const report = {
      ...result.report,
      oldToNew: (oldEid) => (Number.isInteger(oldEid) && oldEid >= 0 && oldEid < table.length ? table[oldEid] || undefined : undefined),
      inWorker: true,
      variant: result.variant,
      workerStartMs: result.startMs,
    };
    return report;
  } finally {
    worker?.terminate();
    await destConn?.close();
  }
}

function workerError(data, dest) {
  let message = data.message;
  if (/store-locked/.test(message) && dest.store?.backend === "indexeddb")
    message += ` (restore runs in a Worker, which must be the destination's only writer: close this page's connections to ${describe(dest.store.name)} first)`;
  return new DataliteError(data.code ?? "store-error", message);
}
