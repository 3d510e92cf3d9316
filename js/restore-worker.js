// The dedicated module Worker behind restore() on a browser page
// (restore-page.js starts it, one per call): loads the package's engine in
// this worker (threaded when the page is cross-origin isolated, which makes
// the worker isolated too; single-threaded otherwise), runs the inline
// restore here (this worker has no `window`: restore.js runs it on this
// thread, the engine call blocks this worker, not the page) and posts:
//   { type: "progress", metrics }            every 10 batches and at the end
//   { type: "storing" }                      the engine is done, the destination is being written
//   { type: "done", report, table, bytes?, variant, startMs }
//   { type: "error", code, message }
// `table` is the report's oldToNew table (a Float64Array, transferred);
// `bytes` the restored db's serialize() bytes when the destination is a
// memory database of the page. A durable destination is closed before
// "done": the page can connect to it at once.
import { initEngine } from "./engine.js";
import { deserialize } from "./db.js";
import { connect } from "./connection.js";
import { restore, OLD_TO_NEW_TABLE, ON_STORING } from "./restore.js";

self.onmessage = async ({ data }) => {
  if (data?.type !== "restore") return;
  const t0 = performance.now();
  let source = null;
  try {
    const engine = await initEngine(data.threads === undefined ? {} : { threads: data.threads });
    const startMs = performance.now() - t0;
    source = data.source.bytes ? deserialize(data.source.bytes) : data.source.config;
    const report = await restore({
      ...data.knobs,
      source,
      dest: data.dest,
      inline: true,
      onProgress: data.progress ? (metrics) => self.postMessage({ type: "progress", metrics }) : undefined,
      [ON_STORING]: () => self.postMessage({ type: "storing" }),
    });
    const table = report[OLD_TO_NEW_TABLE];
    delete report.oldToNew;
    let bytes = null;
    if (data.destInPage) {
      const conn = await connect(data.dest);
      try {
        bytes = conn.db().serialize();
      } finally {
        await conn.close();
      }
    }
    const transfer = [];
    if (table instanceof Float64Array) transfer.push(table.buffer);
    if (bytes) transfer.push(bytes.buffer);
    self.postMessage({ type: "done", report: { ...report }, table, bytes, variant: engine.variant, startMs }, transfer);
  } catch (err) {
    self.postMessage({ type: "error", code: err?.code ?? "store-error", message: String(err?.message ?? err) });
  } finally {
    if (source && typeof source.dispose === "function") source.dispose();
  }
};
