// The CLI's worker thread: runs the engine calls of load, copy --compact and
// dump, each of which blocks its thread for as long as the store takes, so
// that the main thread stays free to draw progress (it watches the
// destination directory grow). Messages to the main thread:
//   { type: "phase", label, total?, unit?, estimate?, poll? }  a new phase; poll: a directory whose size is the progress
//   { type: "end", summary? }                                  the phase is over
//   { type: "done", result }                                   the task's result
//   { type: "error", error: { name, code, message, stack } }
import { parentPort, workerData } from "node:worker_threads";
import * as d from "../../js/index.js";
import * as connection from "../../js/connection.js";
import { topLevelMap, firstForm, EdnScanError } from "./edn.mjs";
import { toEdn } from "./format.mjs";
import { connectReadOnly, fileStore } from "./stores.mjs";

const post = (message, transfer) => parentPort.postMessage(message, transfer);
const phase = (label, more = {}) => post({ type: "phase", label, ...more });
const end = (summary) => post({ type: "end", summary });

function fail(code, message) {
  return new d.DataliteError(code, message);
}

// Makes `db` (a value from another store, or decoded from a dump) the
// current value of `conn` in one checkpoint: every node it reaches is
// written to conn's store, nothing else (js/connection.js adoptRestored,
// which restore uses for its result).
async function storeValue(conn, db) {
  if (typeof connection.adoptRestored !== "function")
    throw fail("store-error", "this version of the datalite package cannot store a db value as a checkpoint (js/connection.js has no adoptRestored)");
  await connection.adoptRestored(conn, db);
}

async function openEmptyDest(path, config = {}) {
  const conn = await d.connect({ ...config, store: fileStore(path), durability: "none" });
  const db = conn.db();
  if (db.count > 0 || db.maxEid > 0) {
    await conn.close();
    throw fail("invalid-input", `${path} already holds a database (${db.count} datoms): the destination must be a new or empty store`);
  }
  return conn;
}

// ------------------------------------------------------------------ dumps

const BINARY_MAGIC = [0x89, 0x44, 0x4c, 0x53];  // "\x89DLS" (src/serial/binary_format.h)

// binary (magic), JSON (a DataScript `serializable` object, or an array of
// datoms [e, a, v, tx?] / {e, a, v, tx?}) or EDN (#datalite/db, a
// #datascript/DB, a plain {:schema :datoms} map, or a vector of datoms).
export function detectFormat(bytes) {
  if (BINARY_MAGIC.every((b, i) => bytes[i] === b)) return "binary";
  const head = new TextDecoder().decode(bytes.subarray(0, 512)).replace(/^\uFEFF/, "");
  if (/^\s*\{\s*["}]/.test(head)) return "json";
  if (/^\s*\[\s*(\]|\{\s*"|\[\s*-?\d+\s*,)/.test(head)) return "json";
  return "edn";
}

export const formatName = (f) => (f === "binary" ? "binary" : f.toUpperCase());

function text(bytes, source) {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes).replace(/^\uFEFF/, "");
  } catch {
    throw fail("invalid-input", `${source} is neither a datalite binary dump nor UTF-8 text`);
  }
}

// The schema given with --schema, as EDN text the engine reads: a JSON or
// EDN schema map, checked and normalised by the engine.
function schemaEdn(schemaText, source) {
  let schema = schemaText;
  const trimmed = schemaText.trim();
  if (trimmed.startsWith("{") && /^\{\s*("|\})/.test(trimmed)) {
    try {
      schema = JSON.parse(trimmed);
    } catch (err) {
      throw fail("parse-error", `${source}: ${err.message}`);
    }
  }
  const shape = d.emptyDb(schema);
  try {
    return toEdn(shape.schema());
  } finally {
    shape.dispose();
  }
}

// A dump's EDN with its schema replaced (the datoms kept as written, so
// every value keeps its EDN type).
function withSchema(ednText, schema, source) {
  let map;
  try {
    map = topLevelMap(ednText);
  } catch (err) {
    if (err instanceof EdnScanError) throw fail("parse-error", `${source}: not an EDN dump map (${err.message})`);
    throw err;
  }
  const datoms = map.get(":datoms");
  if (!datoms) throw fail("invalid-input", `${source} has no :datoms`);
  const keep = [":max-eid", ":max-tx", ":keep-history"]
    .filter((k) => map.has(k))
    .map((k) => `${k} ${ednText.slice(map.get(k).start, map.get(k).end)}`);
  return `{${keep.join(" ")} :schema ${schema} :datoms ${ednText.slice(datoms.start, datoms.end)}}`;
}

// ------------------------------------------------------------------ tasks

const tasks = {
  // Decodes a dump and stores it as the first checkpoint of a new store.
  async load({ dir, bytes, format, schemaText, source, schemaSource }) {
    const kind = format === "auto" ? detectFormat(bytes) : format;
    const schema = schemaText == null ? null : schemaEdn(schemaText, schemaSource);
    // A JSON array of datoms goes through conn.load (values converted by
    // the schema); every other dump is decoded into a Db value first.
    const datomRows = kind === "json" && /^\s*\[/.test(new TextDecoder().decode(bytes.subarray(0, 64)).replace(/^\uFEFF/, ""));
    const conn = await openEmptyDest(dir, datomRows && schema ? { schema } : {});
    try {
      phase(`decoding ${formatName(kind)} dump`);
      let db = null;
      let rows = null;
      if (kind === "binary") {
        db = d.deserialize(bytes);
        if (schema) db = d.fromEDN(withSchema(db.toEDN(), schema, source));
      } else if (kind === "edn") {
        const t = text(bytes, source);
        let top = null;
        try {
          top = firstForm(t);
        } catch {
          // the engine says what is wrong
        }
        if (top && t[top.start] === "[") db = d.fromEDN(`{:schema ${schema ?? "{}"} :datoms ${t.slice(top.start, top.end)}}`);
        else db = d.fromEDN(schema ? withSchema(t, schema, source) : t);
      } else {
        const t = text(bytes, source);
        if (datomRows) {
          try {
            rows = JSON.parse(t);
          } catch (err) {
            throw fail("parse-error", `${source}: ${err.message}`);
          }
        } else {
          db = d.fromSerializable(t);
          if (schema) db = d.fromEDN(withSchema(db.toEDN(), schema, source));
        }
      }
      end();
      phase("writing the store", { unit: "bytes", poll: dir });
      if (rows) {
        await conn.load(rows);
        await conn.flush();
      } else {
        await storeValue(conn, db);
      }
      end();
      const stored = conn.db();
      const stats = conn.stats();
      if (db && stored.count !== db.count) throw fail("store-error", `stored ${stored.count} datoms, but the dump holds ${db.count}`);
      return {
        result: {
          format: rows ? "json-datoms" : kind, datoms: stored.count, maxTx: stored.maxTx, maxEid: stored.maxEid,
          attributes: Object.keys(stored.schema()).length, nodes: stats.nodes, storedBytes: stats.storedBytes,
        },
      };
    } finally {
      await conn.close();
    }
  },

  // Writes the current value of src (with its history) into a new store:
  // only the nodes it reaches, as one checkpoint.
  async copy({ src, dest }) {
    const source = await connectReadOnly(d, src);
    try {
      const db = source.db();
      const before = source.stats();
      const target = await openEmptyDest(dest);
      let same, after;
      try {
        phase("writing live nodes", { total: before.storedBytes, unit: "bytes", estimate: true, poll: dest });
        await storeValue(target, db);
        end();
        const copy = target.db();
        after = target.stats();
        same = copy.count === db.count && copy.maxTx === db.maxTx && copy.maxEid === db.maxEid &&
          copy.history().count === db.history().count;
      } finally {
        await target.close();
      }
      if (!same) throw fail("store-error", `the copy in ${dest} does not match ${src}`);
      return {
        result: {
          datoms: db.count, historyDatoms: db.history().count, maxTx: db.maxTx,
          source: { nodes: before.nodes, storedBytes: before.storedBytes },
          dest: { nodes: after.nodes, storedBytes: after.storedBytes },
        },
      };
    } finally {
      await source.close();
    }
  },

  // A dump of the current state, handed to the main thread to write.
  async dump({ dir, format }) {
    const conn = await connectReadOnly(d, dir);
    try {
      const db = conn.db();
      phase(`encoding ${formatName(format)}`);
      let payload;
      if (format === "binary") payload = db.serialize();
      else if (format === "edn") payload = db.toEDN();
      else payload = JSON.stringify(db.toSerializable());
      end();
      const transfer = [];
      if (payload instanceof Uint8Array) {
        if (payload.byteOffset !== 0 || payload.byteLength !== payload.buffer.byteLength || payload.buffer instanceof SharedArrayBuffer)
          payload = payload.slice();
        transfer.push(payload.buffer);
      }
      return { result: { payload, datoms: db.count }, transfer };
    } finally {
      await conn.close();
    }
  },
};

// ------------------------------------------------------------------ run

if (parentPort && workerData?.task) {
  try {
    await d.init({ threads: false });
    const task = tasks[workerData.task];
    if (!task) throw new Error(`unknown task ${workerData.task}`);
    const { result, transfer } = await task(workerData.params);
    post({ type: "done", result }, transfer);
  } catch (err) {
    post({
      type: "error",
      error: { name: err?.name, code: err?.code, message: String(err?.message ?? err), stack: err?.stack, syscall: err?.syscall },
    });
  }
}
