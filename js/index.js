// datalite: an embedded Datalog database (DataScript semantics) in
// WebAssembly. The public API is API.md sections 3-5 and 8.
import { initEngine } from "./engine.js";
import { setLimits } from "./db.js";

export { DataliteError, ERROR_CODES } from "./errors.js";
export { kw, uuid, sym, Keyword, Uuid } from "./types.js";
export { Db, Entity, q, pull, pullMany, emptyDb, dbWith, initDb, deserialize, fromSerializable, fromEDN, engineStats,
  setLimits, getLimits } from "./db.js";
export { Connection, connect, createDatabase, deleteDatabase, databaseExists } from "./connection.js";
export { restore } from "./restore.js";

// Loads the wasm engine. Optional in Node and browsers (async entry points
// call it); edge runtimes pass the .wasm they imported as `wasmModule`.
//   opts: { wasmModule?, wasmBinary?, locateFile?, threads?: boolean,
//           limits?: setLimits' object }
export async function init(opts = {}) {
  await initEngine(opts);
  if (opts.limits) setLimits(opts.limits);
}
