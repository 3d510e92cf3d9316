// JS data -> engine values, guided by the schema (API.md section 2).
//
// Tx-data, lookup refs, datom components and init datoms are written straight
// into the request buffer; each value is converted by its attribute's
// :db/valueType, so a string for a keyword attribute becomes a keyword, a
// string for a ref attribute is a tempid (or an ident when it starts with
// ":"), and so on. Untyped attributes keep the JS type.
import { DataliteError } from "./errors.js";
import { ENTITY_ID, Keyword, Uuid } from "./types.js";
import { Tag, invalid, isPlainObject, stripColon } from "./wire.js";

// What conversion needs to know about one attribute.
export class AttrInfo {
  constructor(def) {
    const get = (k) => def[":db/" + k];
    this.type = typeName(get("valueType"));
    this.many = get("cardinality") === ":db.cardinality/many";
    this.unique = get("unique") != null;
    this.component = get("isComponent") === true;
    const tupleTypes = get("tupleTypes");
    this.tupleTypes = Array.isArray(tupleTypes) ? tupleTypes.map(typeName) : null;
    this.tupleType = get("tupleType") ? typeName(get("tupleType")) : null;
  }
}

function typeName(kw) {
  return typeof kw === "string" ? stripColon(kw) : null;  // "db.type/ref"
}

const REF = new AttrInfo({ ":db/valueType": ":db.type/ref" });
const REF_MANY = new AttrInfo({ ":db/valueType": ":db.type/ref", ":db/cardinality": ":db.cardinality/many" });

// Attribute name (no colon) -> AttrInfo, from the decoded schema map.
export class SchemaInfo {
  constructor(schemaMap) {
    this.attrs = new Map();
    for (const [k, def] of Object.entries(schemaMap ?? {})) this.attrs.set(stripColon(k), new AttrInfo(def));
  }

  // Reverse attributes (ns/_name) point at entities: treat them as refs.
  get(attr) {
    const info = this.attrs.get(attr);
    if (info) return info;
    const slash = attr.lastIndexOf("/");
    if (attr.charCodeAt(slash + 1) === 95 /* _ */) return REF_MANY;
    return undefined;
  }

  isLookupRef(v) {
    if (!Array.isArray(v) || v.length !== 2) return false;
    const a = v[0];
    if (a instanceof Keyword) return true;
    return typeof a === "string" && this.get(stripColon(a))?.unique === true;
  }
}

const TX_OPS = new Set([
  "db/add", "db/retract", "db/retractEntity", "db.fn/retractEntity", "db/cas", "db.fn/cas",
  "db/retract-attr", "db.fn/call",
]);

export class TxEncoder {
  constructor(writer, schema) {
    this.w = writer;
    this.schema = schema;
  }

  txData(items) {
    if (!Array.isArray(items)) throw invalid("tx-data must be an array (or an EDN string)");
    const w = this.w;
    w.byte(Tag.Vector);
    w.varint(items.length);
    for (const item of items) this.txItem(item);
  }

  txItem(item) {
    if (Array.isArray(item)) return this.txForm(item);
    if (isPlainObject(item)) return this.entityMap(item, 0);
    throw invalid(`tx-data item must be an entity object or an [op ...] array, got ${describe(item)}`);
  }

  txForm(form) {
    const w = this.w;
    const op = form[0] instanceof Keyword ? form[0].name : typeof form[0] === "string" ? stripColon(form[0]) : null;
    if (op === null) throw invalid(`tx-data operation must start with an op such as ":db/add", got ${describe(form[0])}`);
    w.byte(Tag.Vector);
    w.varint(form.length);
    w.keyword(op);
    if (!TX_OPS.has(op) || op === "db.fn/call") {
      for (let i = 1; i < form.length; i++) w.value(form[i]);
      return;
    }
    if (form.length > 1) this.ref(form[1]);
    if (form.length > 2) {
      const attr = this.attrName(form[2]);
      w.keyword(attr);
      const info = this.schema.get(attr);
      for (let i = 3; i < form.length; i++) this.single(info, form[i], 1);
    }
  }

  attrName(a) {
    if (a instanceof Keyword) return a.name;
    if (typeof a === "string" && a.length > 0) return stripColon(a);
    throw invalid(`attribute must be a string such as "person/name", got ${describe(a)}`);
  }

  entityMap(obj, depth) {
    if (depth > 128) throw new DataliteError("limit-exceeded", "nested entity maps deeper than 128 levels");
    const w = this.w;
    const keys = Object.keys(obj);
    w.byte(Tag.Map);
    w.varint(keys.length);
    for (const key of keys) {
      const attr = stripColon(key);
      w.keyword(attr);
      const v = obj[key];
      if (attr === "db/id") {
        this.ref(v, depth);
        continue;
      }
      const info = this.schema.get(attr);
      if (info?.many && (v instanceof Set || (Array.isArray(v) && !(info.type === "db.type/ref" && this.schema.isLookupRef(v))))) {
        w.byte(Tag.Vector);
        w.varint(v instanceof Set ? v.size : v.length);
        for (const item of v) this.single(info, item, depth + 1);
      } else {
        this.single(info, v, depth + 1);
      }
    }
  }

  // An entity position: id, tempid, ident, lookup ref or nested map.
  ref(v, depth = 0) {
    const w = this.w;
    switch (typeof v) {
      case "number":
        if (!Number.isSafeInteger(v)) break;
        return w.integer(v);
      case "bigint":
        return w.long(v);
      case "string":
        if (v.charCodeAt(0) === 58 /* : */) return w.keyword(v.slice(1));
        return w.string(v);  // a tempid
      case "object":
        if (v === null) break;
        if (v instanceof Keyword) return w.keyword(v.name);
        if (typeof v[ENTITY_ID] === "number") return w.integer(v[ENTITY_ID]);
        if (Array.isArray(v)) return this.lookupRef(v);
        if (isPlainObject(v)) return this.entityMap(v, depth + 1);
        break;
      default:
        break;
    }
    throw invalid(`not an entity id, tempid, ident or lookup ref: ${describe(v)}`);
  }

  lookupRef(v) {
    if (v.length !== 2) throw invalid(`lookup ref must be [attr, value], got ${describe(v)}`);
    const w = this.w;
    const attr = this.attrName(v[0]);
    w.byte(Tag.Vector);
    w.varint(2);
    w.keyword(attr);
    this.single(this.schema.get(attr), v[1], 1);
  }

  // One value of an attribute, converted by its type.
  single(info, v, depth) {
    const w = this.w;
    const type = info?.type;
    if (v === null || v === undefined || type == null) return w.value(v);
    switch (type) {
      case "db.type/ref":
        return this.ref(v, depth);
      case "db.type/keyword":
        if (typeof v === "string") return w.keyword(stripColon(v));
        break;
      case "db.type/symbol":
        if (v === "") throw invalid("a symbol cannot be empty");
        if (typeof v === "string") {
          w.byte(Tag.Symbol);
          return w.text(v);
        }
        break;
      case "db.type/uuid":
        if (typeof v === "string") return w.uuid(v);
        if (v instanceof Uuid) return w.uuid(v.text);
        break;
      case "db.type/instant":
        if (v instanceof Date || typeof v === "number") return w.instant(v);
        break;
      case "db.type/bigint":
        if (typeof v === "bigint") return w.bigintValue(v);
        if (typeof v === "number" && Number.isInteger(v)) return w.bigintValue(BigInt(v));
        break;
      case "db.type/long":
        if (typeof v === "bigint") return w.long(v);
        break;
      case "db.type/double":
      case "db.type/float":
        if (typeof v === "number") return w.double(v);
        break;
      case "db.type/tuple":
        if (Array.isArray(v)) {
          w.byte(Tag.Vector);
          w.varint(v.length);
          for (let i = 0; i < v.length; i++) {
            const t = info.tupleTypes ? info.tupleTypes[i] : info.tupleType;
            this.single(t ? TUPLE_ITEM[t] ?? null : null, v[i], depth + 1);
          }
          return;
        }
        break;
      default:
        break;
    }
    // Anything else goes as it is; the engine checks the type and names the
    // attribute when it does not fit.
    return w.value(v);
  }
}

const TUPLE_ITEM = {};
for (const t of ["ref", "keyword", "symbol", "uuid", "instant", "bigint", "long", "double", "float", "string", "boolean", "bytes"]) {
  TUPLE_ITEM["db.type/" + t] = new AttrInfo({ ":db/valueType": ":db.type/" + t });
}

// A schema given as JS data: {"person/friend": {"db/valueType": "db.type/ref", ...}}.
export function encodeSchema(w, schema) {
  if (schema == null) return w.byte(Tag.Nil);
  if (typeof schema === "string") return w.string(schema);
  if (!isPlainObject(schema)) throw invalid("schema must be an object or an EDN string");
  const attrs = Object.keys(schema);
  w.byte(Tag.Map);
  w.varint(attrs.length);
  for (const attr of attrs) {
    w.keyword(stripColon(attr));
    const def = schema[attr];
    if (!isPlainObject(def)) throw invalid(`schema of ${attr} must be an object`);
    const props = Object.keys(def);
    w.byte(Tag.Map);
    w.varint(props.length);
    for (const prop of props) {
      const name = stripColon(prop);
      w.keyword(name);
      const v = def[prop];
      if (name === "db/doc" || typeof v !== "string") {
        if (Array.isArray(v)) {
          w.byte(Tag.Vector);
          w.varint(v.length);
          for (const item of v) typeof item === "string" ? w.keyword(stripColon(item)) : w.value(item);
        } else {
          w.value(v);
        }
      } else {
        w.keyword(stripColon(v));
      }
    }
  }
}

// The offending input, shortened, for error messages. Never throws: the
// input may be hostile (circular, nested 100k deep, 100 MB long).
export function describe(v) {
  if (typeof v === "string") return JSON.stringify(v.length > 120 ? v.slice(0, 117) + "..." : v);
  if (typeof v === "bigint") return `${v}n`;
  if (typeof v === "number") return Object.is(v, -0) ? "-0" : String(v);  // JSON would say null for NaN
  if (v === undefined) return "undefined";
  try {
    const s = JSON.stringify(v, (_, x) => (typeof x === "bigint" ? `${x}n` : x));
    if (s !== undefined) return s.length > 120 ? s.slice(0, 117) + "..." : s;
  } catch {
    // circular or too deep: fall through
  }
  try {
    const s = String(v);
    return s.length > 120 ? s.slice(0, 117) + "..." : s;
  } catch {
    return Object.prototype.toString.call(v);
  }
}
