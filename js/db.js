// Db: an immutable database value living in wasm memory, and the
// synchronous entry points that read or derive Db values (API.md sections 3
// and 5). Each Db holds a handle into the engine's handle table; a
// FinalizationRegistry releases forgotten values, dispose() releases at once.
import { DataliteError } from "./errors.js";
import { Op, currentEngine } from "./engine.js";
import { SchemaInfo, TxEncoder, describe, encodeSchema } from "./convert.js";
import { ENTITY_ID, Keyword } from "./types.js";
import { Tag, invalid, isPlainObject, stripColon } from "./wire.js";

const released = new FinalizationRegistry((handle) => {
  try {
    const e = currentEngine();
    e.begin().varint(handle);
    e.send(Op.Release);
  } catch {
    // the engine is gone; nothing to free
  }
});

const schemaInfos = new Map();  // schema version -> SchemaInfo
// Db values that are some connection's current value (see Connection).
export const connectionValues = new WeakSet();
const INDEXES = { eavt: "eavt", aevt: "aevt", avet: "avet", vaet: "vaet" };
const COMPONENT_ORDER = {
  eavt: ["e", "a", "v", "tx"], aevt: ["a", "e", "v", "tx"],
  avet: ["a", "v", "e", "tx"], vaet: ["v", "a", "e", "tx"],
};

// Reads the "dbref" of a response (handle, schema version) into a Db.
export function readDb(r) {
  const handle = r.varint();
  const version = r.varint();
  return new Db(handle, version);
}

export class Db {
  #handle;
  #schemaVersion;
  #info = null;
  #schemaMap = null;
  #historyView = false;  // entities are refused on history views

  // Internal: users get Db values from emptyDb(), conn.db(), db.with() ...
  constructor(handle, schemaVersion) {
    this.#handle = handle;
    this.#schemaVersion = schemaVersion;
    released.register(this, handle, this);
  }

  get handle() {
    if (!(#handle in this)) throw invalid("not a Db value (made by emptyDb(), conn.db(), db.with() ...)");
    if (this.#handle === 0) throw new DataliteError("closed", "this Db value was disposed");
    return this.#handle;
  }

  get schemaVersion() {
    if (!(#handle in this)) throw invalid("not a Db value (made by emptyDb(), conn.db(), db.with() ...)");
    return this.#schemaVersion;
  }

  // Frees the value's wasm memory now (optional: the GC does it eventually).
  dispose() {
    // A connection's current value stays usable: the connection owns it.
    if (this.#handle === 0 || connectionValues.has(this)) return;
    released.unregister(this);
    const e = currentEngine();
    e.begin().varint(this.#handle);
    this.#handle = 0;
    e.send(Op.Release);
  }

  get disposed() {
    return this.#handle === 0;
  }

  // ---------------------------------------------------------------- reads

  q(query, ...inputs) {
    return q(query, this, ...inputs);
  }

  explain(query, ...inputs) {
    return runQuery(Op.Explain, query, [this, ...inputs]);
  }

  pull(pattern, eid) {
    const enc = this.encoder();
    const e = currentEngine();
    const w = e.begin();
    w.varint(this.handle);
    writePattern(w, pattern);
    enc.ref(eid);
    return e.send(Op.Pull).value();
  }

  pullMany(pattern, eids) {
    if (!Array.isArray(eids)) throw invalid("pullMany needs an array of entity ids");
    const enc = this.encoder();
    const e = currentEngine();
    const w = e.begin();
    w.varint(this.handle);
    writePattern(w, pattern);
    w.byte(Tag.Vector);
    w.varint(eids.length);
    for (const eid of eids) enc.ref(eid);
    return e.send(Op.PullMany).value();
  }

  entity(eid) {
    // An id needs no lookup: its attributes load on first use (as in
    // DataScript, an id without datoms still gives an (empty) entity).
    if (Number.isSafeInteger(eid) && eid > 0 && this.handle && !this.#historyView) return new Entity(this, eid);
    const enc = this.encoder();
    const e = currentEngine();
    e.begin().varint(this.handle);
    enc.ref(eid);
    const id = e.send(Op.EntityId).varint();
    return id === 0 ? null : new Entity(this, id);
  }

  datoms(index, ...components) {
    const e = currentEngine();
    this.#writeIndexRequest(index, components);
    return e.send(Op.Datoms).datoms();
  }

  // Lazy: the engine cursor opens on the first next() and closes when the
  // datoms run out, on return() (break out of for-of), or after the
  // iterator is garbage collected.
  seekDatoms(index, ...components) {
    // Opening returns the first chunk too: a seek for one datom is one call.
    return new DatomCursor((firstChunk) => {
      this.#writeIndexRequest(index, components);
      const e = currentEngine();
      e.writer.varint(firstChunk);
      const r = e.send(Op.SeekOpen);
      return { cursor: r.varint(), datoms: r.datoms() };
    });
  }

  indexRange(attr, start, end) {
    const enc = this.encoder();
    const e = currentEngine();
    const w = e.begin();
    w.varint(this.handle);
    const name = enc.attrName(attr);
    w.keyword(name);
    const info = enc.schema.get(name);
    enc.single(info, start ?? null, 1);
    enc.single(info, end ?? null, 1);
    return e.send(Op.IndexRange).datoms();
  }

  entid(ref) {
    const enc = this.encoder();
    const e = currentEngine();
    e.begin().varint(this.handle);
    enc.ref(ref);
    return e.send(Op.Entid).value();
  }

  schema() {
    if (!this.#schemaMap) {
      const e = currentEngine();
      e.begin().varint(this.handle);
      this.#schemaMap = e.send(Op.Schema).value() ?? {};
    }
    return structuredClone(this.#schemaMap);
  }

  get maxTx() {
    return this.#loadInfo().maxTx;
  }
  get maxEid() {
    return this.#loadInfo().maxEid;
  }
  get count() {
    return this.#loadInfo().count;
  }

  // ---------------------------------------------------------------- derived values

  with(txData, txMeta) {
    return dbWith(this, txData, txMeta);
  }

  asOf(t) {
    return this.#view(Op.AsOf, t);
  }

  since(t) {
    return this.#view(Op.Since, t);
  }

  history() {
    const e = currentEngine();
    e.begin().varint(this.handle);
    const db = readDb(e.send(Op.History));
    db.#historyView = true;
    return db;
  }

  // ---------------------------------------------------------------- serialization

  serialize() {
    const e = currentEngine();
    e.begin().varint(this.handle);
    return e.send(Op.Serialize).value();
  }

  toSerializable() {
    const e = currentEngine();
    e.begin().varint(this.handle);
    return JSON.parse(e.send(Op.ToSerializable).value());
  }

  toEDN() {
    const e = currentEngine();
    e.begin().varint(this.handle);
    return e.send(Op.ToEdn).value();
  }

  // ---------------------------------------------------------------- internals

  // The schema-guided encoder for this db's attributes, writing into the
  // engine's request buffer. Get it before begin(): learning the schema may
  // itself take a request.
  encoder() {
    const info = schemaInfoOf(this);
    return new TxEncoder(currentEngine().writer, info);
  }

  #loadInfo() {
    if (!this.#info) {
      const e = currentEngine();
      e.begin().varint(this.handle);
      const r = e.send(Op.Info);
      this.#info = { maxTx: r.varint(), maxEid: r.varint(), count: r.varint() };
    }
    return this.#info;
  }

  #view(op, t) {
    const e = currentEngine();
    const w = e.begin();
    w.varint(this.handle);
    if (t instanceof Date) w.instant(t);
    else if (typeof t === "number" && Number.isInteger(t)) w.integer(t);
    else throw invalid(`${op === Op.AsOf ? "asOf" : "since"} needs a tx id or a Date, got ${describe(t)}`);
    return readDb(e.send(op));
  }

  #writeIndexRequest(index, components) {
    const name = typeof index === "string" ? INDEXES[stripColon(index).toLowerCase()] : undefined;
    if (!name) throw invalid(`unknown index ${describe(index)} (expected "eavt", "aevt", "avet" or "vaet")`);
    if (components.length > 4) throw invalid("at most 4 datom components (e a v tx)");
    const enc = this.encoder();
    const w = currentEngine().begin();
    w.varint(this.handle);
    w.keyword(name);
    const order = COMPONENT_ORDER[name];
    const attrAt = order.indexOf("a");
    const attr = attrAt < components.length ? enc.attrName(components[attrAt]) : null;
    w.byte(Tag.Vector);
    w.varint(components.length);
    for (let i = 0; i < components.length; i++) {
      const c = components[i];
      switch (order[i]) {
        case "e": enc.ref(c); break;
        case "a": w.keyword(attr); break;
        case "v":
          if (name === "vaet") enc.ref(c);
          else enc.single(attr === null ? undefined : enc.schema.get(attr), c, 1);
          break;
        default: w.value(c); break;
      }
    }
  }
}

const cursorsReleased = new FinalizationRegistry(closeCursor);

function closeCursor(cursor) {
  try {
    const e = currentEngine();
    e.begin().varint(cursor);
    e.send(Op.SeekClose);
  } catch {
    // the engine is gone; nothing to close
  }
}

// The iterator seekDatoms returns: fetches datoms from an engine cursor in
// growing chunks.
class DatomCursor extends (globalThis.Iterator ?? Object) {
  #open;
  #cursor = 0;
  #chunk = 1;  // grows x8: a lookup of the first datom fetches one
  #buffer = [];
  #pos = 0;
  #done = false;

  constructor(open) {
    super();
    this.#open = open;
  }

  [globalThis.Symbol.iterator]() {
    return this;
  }

  next() {
    if (this.#pos === this.#buffer.length && !this.#done) this.#fetch();
    if (this.#pos < this.#buffer.length) return { value: this.#buffer[this.#pos++], done: false };
    return { value: undefined, done: true };
  }

  return(value) {
    this.#finish();
    return { value, done: true };
  }

  #fetch() {
    if (this.#open) {
      const { cursor, datoms } = this.#open(this.#chunk);
      this.#open = null;
      this.#cursor = cursor;
      if (cursor !== 0) cursorsReleased.register(this, cursor, this);
      this.#buffer = datoms;
    } else {
      const e = currentEngine();
      const w = e.begin();
      w.varint(this.#cursor);
      w.varint(this.#chunk);
      this.#buffer = e.send(Op.SeekNext).datoms();
    }
    this.#pos = 0;
    if (this.#cursor === 0 || this.#buffer.length < this.#chunk) {
      const datoms = this.#buffer;
      this.#finish();
      this.#buffer = datoms;  // still to be handed out
    }
    this.#chunk = Math.min(this.#chunk * 8, 16384);
  }

  #finish() {
    this.#done = true;
    this.#buffer = [];
    this.#pos = 0;
    if (this.#cursor !== 0) {
      cursorsReleased.unregister(this);
      closeCursor(this.#cursor);
      this.#cursor = 0;
    }
  }
}

// A lazy view of one entity (DataScript's d.entity). Ref attributes give
// Entity objects, card-many attributes arrays.
export class Entity {
  #db;
  #id;
  #attrs = null;  // attribute name -> { ref, many, value }, loaded on first get
  constructor(db, id) {
    this.#db = db;
    this.#id = id;
  }

  get id() {
    return this.#id;
  }

  get db() {
    return this.#db;
  }

  get [ENTITY_ID]() {
    return this.#id;
  }

  get(attr) {
    const name = attr instanceof Keyword ? attr.name : typeof attr === "string" ? stripColon(attr) : null;
    if (!name) throw invalid(`entity.get needs an attribute name, got ${describe(attr)}`);
    if (name === "db/id") return this.#id;
    const handle = this.#db.handle;  // throws closed after dispose()
    if (name.charCodeAt(name.lastIndexOf("/") + 1) === 95 /* _ */) {
      // Reverse refs: the entities pointing here, asked each time.
      const e = currentEngine();
      const w = e.begin();
      w.varint(handle);
      w.varint(this.#id);
      w.keyword(name);
      const r = e.send(Op.EntityGet);
      const refs = r.byte() === 1;
      const v = r.value();
      return refs ? this.#entities(v) : v;
    }
    // Forward attributes: all of them are read in one call on first use
    // and kept (the Db is immutable), as DataScript's entities cache.
    const entry = (this.#attrs ?? this.#loadAttrs(handle)).get(name);
    if (entry === undefined) return null;
    if (!entry.ref) return entry.many ? entry.value.slice() : entry.value;
    return entry.many ? entry.value.map((id) => new Entity(this.#db, id)) : new Entity(this.#db, entry.value);
  }

  #loadAttrs(handle) {
    const e = currentEngine();
    const w = e.begin();
    w.varint(handle);
    w.varint(this.#id);
    const r = e.send(Op.EntityAttrs);
    const attrs = new Map();
    for (let n = r.varint(); n > 0; n--) {
      const name = r.keyword().slice(1);
      const flags = r.byte();
      attrs.set(name, { ref: (flags & 1) !== 0, many: (flags & 2) !== 0, value: r.value() });
    }
    this.#attrs = attrs;
    return attrs;
  }

  #entities(v) {
    if (v === null) return null;
    if (Array.isArray(v)) return v.map((x) => this.#entities(x));
    if (typeof v === "object" && typeof v[":db/id"] === "number") return new Entity(this.#db, v[":db/id"]);
    return v;
  }

  // Every attribute of the entity as a plain object (refs as {":db/id": n}).
  touch() {
    const e = currentEngine();
    const w = e.begin();
    w.varint(this.#db.handle);
    w.varint(this.#id);
    return e.send(Op.EntityTouch).value();
  }

  toJSON() {
    return this.touch();
  }
}

// -------------------------------------------------------------------- free functions

export function schemaInfoOf(db) {
  const version = db.schemaVersion;
  let info = schemaInfos.get(version);
  if (!info) {
    info = new SchemaInfo(db.schema());
    if (schemaInfos.size > 256) schemaInfos.clear();
    schemaInfos.set(version, info);
  }
  return info;
}

function writePattern(w, pattern) {
  if (typeof pattern !== "string") throw invalid(`pull pattern must be an EDN string such as "[*]", got ${describe(pattern)}`);
  w.string(pattern);
}

function runQuery(op, query, args) {
  if (typeof query !== "string") throw invalid(`query must be an EDN string, got ${describe(query)}`);
  const e = currentEngine();
  const w = e.begin();
  w.string(query);
  w.varint(args.length);
  for (const arg of args) {
    if (arg instanceof Db) {
      w.byte(0);
      w.varint(arg.handle);
    } else {
      w.byte(1);
      w.value(arg);
    }
  }
  return e.send(op).value();
}

// d.q(query, db, ...inputs): DataScript's free function.
export function q(query, ...sourcesAndInputs) {
  return runQuery(Op.Query, query, sourcesAndInputs);
}

export function pull(db, pattern, eid) {
  return requireDb(db, "pull").pull(pattern, eid);
}

export function pullMany(db, pattern, eids) {
  return requireDb(db, "pullMany").pullMany(pattern, eids);
}

function requireDb(db, what) {
  if (!(db instanceof Db)) throw invalid(`${what} needs a Db as its first argument`);
  return db;
}

export function emptyDb(schema, options = {}) {
  const e = currentEngine();
  const w = e.begin();
  encodeSchema(w, schema);
  w.byte(options.keepHistory === false ? 0 : 1);
  return readDb(e.send(Op.EmptyDb));
}

// Expands [:db.fn/call f ...] (f a function or a registered name) and calls
// of registered functions into the tx-data they return, with the db before
// the transaction, as DataScript does.
export function expandTxFunctions(txData, db, functions, depth = 0) {
  if (!Array.isArray(txData)) return txData;
  if (depth > 64) throw new DataliteError("limit-exceeded", "transaction functions nested deeper than 64 calls");
  let out = null;
  for (let i = 0; i < txData.length; i++) {
    const item = txData[i];
    let fn = null;
    let args = null;
    let label = null;
    if (Array.isArray(item) && item.length > 0) {
      const head = item[0];
      const name = head instanceof Keyword ? head.name : typeof head === "string" ? stripColon(head) : null;
      if (typeof head === "function") {
        fn = head;
        args = item.slice(1);
        label = head.name || "anonymous function";
      } else if (name === "db.fn/call") {
        const f = item[1];
        label = typeof f === "function" ? f.name || "anonymous function" : String(f);
        fn = typeof f === "function" ? f : functions?.get(stripColon(String(f instanceof Keyword ? f.name : f)));
        if (!fn) throw new DataliteError("not-found", `no transaction function registered as ${describe(f)}`);
        args = item.slice(2);
      } else if (name && functions?.has(name)) {
        fn = functions.get(name);
        args = item.slice(1);
        label = name;
      }
    }
    if (!fn) {
      if (out) out.push(item);
      continue;
    }
    out ??= txData.slice(0, i);
    let produced;
    try {
      produced = fn(db, ...args);
    } catch (err) {
      if (err instanceof DataliteError) throw err;
      throw new DataliteError("invalid-input", `transaction function ${label} failed: ${err?.message ?? err}`, { cause: err });
    }
    if (!Array.isArray(produced)) throw invalid(`transaction function ${label} must return an array of tx-data`);
    out.push(...expandTxFunctions(produced, db, functions, depth + 1));
  }
  return out ?? txData;
}

// Writes txData and txMeta with `enc` (made before the request began).
export function writeTx(enc, txData, txMeta) {
  const w = enc.w;
  if (typeof txData === "string") w.string(txData);
  else enc.txData(txData);
  if (txMeta == null) w.byte(Tag.Nil);
  else if (typeof txMeta === "string") w.string(txMeta);
  else if (isPlainObject(txMeta)) enc.entityMap(txMeta, 0);
  else throw invalid(`tx meta must be an object, got ${describe(txMeta)}`);
}

// A speculative transaction: the db after txData, nothing stored.
export function dbWith(db, txData, txMeta) {
  requireDb(db, "dbWith");
  const expanded = expandTxFunctions(txData, db, null);
  const enc = db.encoder();
  const e = currentEngine();
  e.begin().varint(db.handle);
  writeTx(enc, expanded, txMeta);
  return readDb(e.send(Op.With));
}

// Writes prepared datoms ({e, a, v, tx?} or [e, a, v, tx?]) as a vector of
// [e a v tx?] rows, values converted by `info` (schemaInfoOf(db), taken
// before the request began: it may call the engine).
export function writeDatomRows(w, info, datoms, what) {
  if (!Array.isArray(datoms)) throw invalid(`${what} needs an array of datoms`);
  const enc = new TxEncoder(w, info);
  w.byte(Tag.Vector);
  w.varint(datoms.length);
  for (const d of datoms) {
    let eid, a, v, tx;
    if (Array.isArray(d)) [eid, a, v, tx] = d;
    else if (d && typeof d === "object") ({ e: eid, a, v, tx } = d);
    else throw invalid(`${what} datom must be {e, a, v, tx?} or [e, a, v, tx?], got ${describe(d)}`);
    const attr = enc.attrName(a);
    w.byte(Tag.Vector);
    w.varint(tx === undefined || tx === null ? 3 : 4);
    if (typeof eid !== "number") throw invalid(`${what} datom needs a numeric entity id, got ${describe(eid)}`);
    w.integer(eid);
    w.keyword(attr);
    enc.single(info.get(attr), v, 1);
    if (tx !== undefined && tx !== null) w.integer(tx);
  }
  // The engine call that follows builds indexes from these rows: the wasm
  // heap peaked at ~340 bytes per datom in the 1M-datom load of
  // bench/js/storage-bench.mjs (request, decoded rows, keys, sort buffers,
  // nodes). Grow it once now rather than in many small steps (see
  // Engine.reserveHeap; pages the call does not touch cost nothing).
  if (datoms.length >= BULK_RESERVE_MIN) currentEngine().reserveHeap(datoms.length * BULK_BYTES_PER_DATOM);
}
const BULK_RESERVE_MIN = 50000;
const BULK_BYTES_PER_DATOM = 384;

// Bulk build from prepared datoms ({e, a, v, tx?} objects or [e, a, v, tx?]
// arrays): no tx processing; values are converted by the schema.
export function initDb(datoms, schema, options = {}) {
  if (!Array.isArray(datoms)) throw invalid("initDb needs an array of datoms");
  // The schema decides how values convert: learn it from an empty db first.
  const shape = emptyDb(schema, options);
  try {
    const info = schemaInfoOf(shape);
    const e = currentEngine();
    const w = e.begin();
    writeDatomRows(w, info, datoms, "initDb");
    encodeSchema(w, schema);
    w.byte(options.keepHistory === false ? 0 : 1);
    return readDb(e.send(Op.InitDb));
  } finally {
    shape.dispose();
  }
}

export function deserialize(bytes) {
  if (!(bytes instanceof Uint8Array)) throw invalid("deserialize needs a Uint8Array");
  const e = currentEngine();
  e.begin().bytesValue(bytes);
  return readDb(e.send(Op.Deserialize));
}

export function fromSerializable(obj) {
  let text;
  try {
    text = typeof obj === "string" ? obj : JSON.stringify(obj);
  } catch (err) {
    // A circular object or a bigint (TypeError), or nesting that overflows the stack (RangeError).
    const code = err instanceof RangeError ? "limit-exceeded" : "invalid-input";
    throw new DataliteError(code, `fromSerializable needs the JSON-safe object toSerializable() returned: ${err.message}`, { cause: err });
  }
  if (typeof text !== "string") throw invalid("fromSerializable needs the object toSerializable() returned");
  const e = currentEngine();
  e.begin().string(text);
  return readDb(e.send(Op.FromSerializable));
}

export function fromEDN(text) {
  if (typeof text !== "string") throw invalid("fromEDN needs a string");
  const e = currentEngine();
  e.begin().string(text);
  return readDb(e.send(Op.FromEdn));
}

// Engine-wide numbers for tests and diagnostics.
// Engine-wide limits (README.md "Limits"): each call that would pass one
// fails with limit-exceeded and changes nothing. Fields left out (or 0)
// stay as they are; returns the limits now in force. maxMemoryBytes caps
// the wasm heap the allocator may take (null: no cap below the wasm
// maximum of 2 GiB).
const LIMIT_FIELDS = ["maxMemoryBytes", "maxQueryRows", "maxRuleSteps", "maxPullDepth", "maxPullEntities",
  "maxResultBytes"];

export function setLimits(limits = {}) {
  if (limits === null || typeof limits !== "object" || Array.isArray(limits))
    throw new DataliteError("invalid-input", "setLimits expects an object of limits");
  for (const key of Object.keys(limits)) {
    if (!LIMIT_FIELDS.includes(key))
      throw new DataliteError("invalid-input", `unknown limit '${key}' (known: ${LIMIT_FIELDS.join(", ")})`);
  }
  const values = LIMIT_FIELDS.map((key) => {
    const v = limits[key];
    if (v === undefined || v === 0) return 0;
    if (key === "maxMemoryBytes" && v === null) return Number.MAX_SAFE_INTEGER;  // no cap
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0)
      throw new DataliteError("invalid-input", `limit ${key} must be a positive integer, got ${String(v)}`);
    return v;
  });
  const e = currentEngine();
  e.begin();
  for (const v of values) e.writer.varint(v);
  const r = e.send(Op.SetLimits);
  const out = {};
  for (const key of LIMIT_FIELDS) out[key] = r.varint();
  if (out.maxMemoryBytes === 0) out.maxMemoryBytes = null;
  return out;
}

export function getLimits() {
  return setLimits({});
}

export function engineStats() {
  const e = currentEngine();
  e.begin();
  const r = e.send(Op.Stats);
  return { liveDbs: r.varint(), liveCursors: r.varint(), heapBytes: r.varint(), variant: e.variant };
}
