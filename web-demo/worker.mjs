// A module Worker that runs console queries off the main thread: the page
// sends db.serialize() bytes, the worker deserializes them into its own
// engine instance and answers the query. It loads the package exactly like the
// page does (and picks the threaded build when the worker is isolated too).
import * as d from "/js/index.js";
import { bindInputs } from "./query-tools.js";

let loaded = null;  // { ms } once the engine is up
let current = null;  // the last db received

async function ensureEngine() {
  if (!loaded) {
    const t0 = performance.now();
    await d.init();
    loaded = { ms: performance.now() - t0 };
  }
  return loaded;
}

self.onmessage = async (event) => {
  const { id, bytes, query, rules } = event.data;
  try {
    const { ms: initMs } = await ensureEngine();
    if (bytes) {
      current?.dispose();
      current = d.deserialize(new Uint8Array(bytes));
    }
    if (!current) throw new d.DataliteError("invalid-input", "the worker has no copy of the database yet");
    const db = current;
    const inputs = bindInputs(query, { db, history: () => db.history(), rules }, d.DataliteError);
    const t0 = performance.now();
    let result;
    try {
      result = d.q(query, ...inputs);
    } finally {
      for (const x of inputs) if (x !== db && x instanceof d.Db) x.dispose();
    }
    const ms = performance.now() - t0;
    self.postMessage({
      id, ok: true, result, ms, initMs,
      variant: d.engineStats().variant,
      isolated: self.crossOriginIsolated === true,
      datoms: db.count,
    });
  } catch (err) {
    self.postMessage({ id, ok: false, code: err?.code ?? "error", message: String(err?.message ?? err) });
  }
};

self.postMessage({ ready: true });
