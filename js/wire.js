// The wire format shared with src/api/wire.h: JS values are encoded into one
// request buffer per call, and each response is decoded in one pass.
import { ENTITY_ID, Keyword, Uuid, Symbol as EdnSymbol } from "./types.js";
import { DataliteError } from "./errors.js";

export const Tag = Object.freeze({
  Nil: 0, False: 1, True: 2, Int: 3, Int64: 4, Double: 5, BigInt: 6, Instant: 7,
  String: 8, Keyword: 9, KeywordRef: 10, Symbol: 11, Uuid: 12, Bytes: 13, Char: 14,
  Vector: 15, List: 16, Set: 17, Map: 18, Tagged: 19, Datom: 20,
});

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const SMALL_LIMIT = 2 ** 52;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const MAX_DATE_MS = 8.64e15;
const textEncoder = new TextEncoder();
const isWellFormed = typeof String.prototype.isWellFormed === "function"
  ? (s) => s.isWellFormed()
  : (s) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
const textDecoder = new TextDecoder("utf-8", { fatal: false });

export function invalid(message) {
  return new DataliteError("invalid-input", message);
}

// ------------------------------------------------------------------ writer

export class WireWriter {
  constructor(capacity = 1024) {
    this.bytes = new Uint8Array(capacity);
    this.view = new DataView(this.bytes.buffer);
    this.length = 0;
  }

  reset() {
    this.length = 0;
    return this;
  }

  ensure(n) {
    if (this.length + n <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.bytes.subarray(0, this.length));
    this.bytes = next;
    this.view = new DataView(next.buffer);
  }

  byte(b) {
    this.ensure(1);
    this.bytes[this.length++] = b;
  }

  varint(n) {
    this.ensure(10);
    const bytes = this.bytes;
    let len = this.length;
    while (n >= 0x80) {
      bytes[len++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    bytes[len++] = n;
    this.length = len;
  }

  signedVarint(n) {
    // zigzag without 32-bit bit operations (values up to 2^53)
    this.varint(n < 0 ? -2 * n - 1 : 2 * n);
  }

  fixed64(big) {
    this.ensure(8);
    this.view.setBigInt64(this.length, big, true);
    this.length += 8;
  }

  float64(d) {
    this.ensure(8);
    this.view.setFloat64(this.length, d, true);
    this.length += 8;
  }

  text(s) {
    // Short ASCII strings dominate (attribute names, small values): copy
    // them directly; everything else goes through TextEncoder.
    const n = s.length;
    if (n < 64) {
      this.ensure(1 + n);
      const start = this.length;
      const bytes = this.bytes;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        bytes[start + 1 + i] = c;
      }
      if (i === n) {
        bytes[start] = n;
        this.length = start + 1 + n;
        return;
      }
    }
    // TextEncoder would turn a lone surrogate into U+FFFD: the value stored
    // would not be the one given (and distinct strings would collide).
    if (!isWellFormed(s)) throw invalid(`string with an unpaired UTF-16 surrogate (not valid Unicode): ${JSON.stringify(s.length > 60 ? s.slice(0, 57) + "..." : s)}`);
    const encoded = textEncoder.encode(s);
    this.varint(encoded.length);
    this.raw(encoded);
  }

  raw(u8) {
    this.ensure(u8.length);
    this.bytes.set(u8, this.length);
    this.length += u8.length;
  }

  tag(t) {
    this.byte(t);
  }

  keyword(name) {
    if (name === "") throw invalid("a keyword or attribute name cannot be empty");
    this.byte(Tag.Keyword);
    this.text(name);
  }

  string(s) {
    this.byte(Tag.String);
    this.text(s);
  }

  integer(n) {
    // Zigzag varints stay exact in doubles below 2^52; the rest of the safe
    // range goes as a fixed 64-bit integer.
    if (!Number.isInteger(n)) throw invalid(`expected an integer, got ${n}`);
    if (n > -SMALL_LIMIT && n < SMALL_LIMIT) {
      this.byte(Tag.Int);
      this.signedVarint(n);
    } else if (Number.isSafeInteger(n)) {
      this.byte(Tag.Int64);
      this.fixed64(BigInt(n));
    } else {
      this.byte(Tag.Double);
      this.float64(n);
    }
  }

  long(big) {
    if (big < INT64_MIN || big > INT64_MAX) throw invalid(`integer ${big} is outside the 64-bit range`);
    this.byte(Tag.Int64);
    this.fixed64(big);
  }

  bigintValue(big) {
    if (big < INT64_MIN || big > INT64_MAX) throw invalid(`bigint ${big} is outside the 64-bit range`);
    this.byte(Tag.BigInt);
    this.fixed64(big);
  }

  double(d) {
    this.byte(Tag.Double);
    this.float64(d);
  }

  instant(date) {
    const ms = date instanceof Date ? date.getTime() : date;
    if (!Number.isFinite(ms)) throw invalid(`invalid Date`);
    if (Math.abs(ms) > MAX_DATE_MS) throw invalid(`instant ${ms} is outside the range of a Date (±8.64e15 ms)`);
    this.byte(Tag.Instant);
    this.signedVarint(Math.trunc(ms));
  }

  uuid(text) {
    const hex = text.replace(/-/g, "");
    if (!/^[0-9a-fA-F]{32}$/.test(hex) || text.length !== 36) throw invalid(`"${text}" is not a UUID`);
    this.byte(Tag.Uuid);
    this.ensure(16);
    for (let i = 0; i < 16; i++) this.bytes[this.length + i] = parseInt(hex.substr(2 * i, 2), 16);
    this.length += 16;
  }

  bytesValue(u8) {
    this.byte(Tag.Bytes);
    this.varint(u8.length);
    this.raw(u8);
  }

  // JS data with no schema to guide it (query inputs, tuple items...):
  // API.md section 2, "untyped attributes keep the JS type".
  value(v, depth = 0) {
    if (depth > 256) throw new DataliteError("limit-exceeded", "value nested deeper than 256 levels");
    switch (typeof v) {
      case "number":
        if (Number.isInteger(v)) this.integer(v);
        else this.double(v);
        return;
      case "string":
        this.string(v);
        return;
      case "boolean":
        this.byte(v ? Tag.True : Tag.False);
        return;
      case "bigint":
        this.long(v);
        return;
      case "undefined":
        this.byte(Tag.Nil);
        return;
      case "object":
        break;
      default:
        throw invalid(`cannot pass a ${typeof v} to datalite`);
    }
    if (v === null) return this.byte(Tag.Nil);
    if (v instanceof Keyword) return this.keyword(v.name);
    if (v instanceof Uuid) return this.uuid(v.text);
    if (v instanceof EdnSymbol) {
      this.byte(Tag.Symbol);
      return this.text(v.name);
    }
    if (v instanceof Date) return this.instant(v);
    if (v instanceof Uint8Array) return this.bytesValue(v);
    if (v instanceof ArrayBuffer) return this.bytesValue(new Uint8Array(v));
    if (Array.isArray(v)) {
      this.byte(Tag.Vector);
      this.varint(v.length);
      for (const item of v) this.value(item, depth + 1);
      return;
    }
    if (v instanceof Set) {
      this.byte(Tag.Set);
      this.varint(v.size);
      for (const item of v) this.value(item, depth + 1);
      return;
    }
    if (v instanceof Map) {
      this.byte(Tag.Map);
      this.varint(v.size);
      for (const [k, item] of v) {
        this.value(k, depth + 1);
        this.value(item, depth + 1);
      }
      return;
    }
    if (typeof v[ENTITY_ID] === "number") return this.integer(v[ENTITY_ID]);
    if (isPlainObject(v)) {
      const keys = Object.keys(v);
      this.byte(Tag.Map);
      this.varint(keys.length);
      for (const k of keys) {
        this.keyword(stripColon(k));
        this.value(v[k], depth + 1);
      }
      return;
    }
    throw invalid(`cannot pass a ${v.constructor?.name ?? "object"} to datalite`);
  }
}

export function isPlainObject(v) {
  if (v === null || typeof v !== "object") return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

export function stripColon(name) {
  return name.charCodeAt(0) === 58 /* : */ ? name.slice(1) : name;
}

// ------------------------------------------------------------------ reader

const hex = [];
for (let i = 0; i < 256; i++) hex.push(i.toString(16).padStart(2, "0"));

export class WireReader {
  constructor(bytes, view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), pos = 0) {
    this.bytes = bytes;
    this.view = view;
    this.pos = pos;
    this.keywords = [];
  }

  // Reuses this reader for another buffer (`view` must cover `bytes`).
  reset(bytes, view, pos) {
    this.bytes = bytes;
    this.view = view;
    this.pos = pos;
    this.keywords.length = 0;
    return this;
  }

  byte() {
    return this.bytes[this.pos++];
  }

  varint() {
    const bytes = this.bytes;
    let b = bytes[this.pos++];
    if (b < 0x80) return b;
    let result = b & 0x7f;
    let scale = 0x80;
    for (;;) {
      b = bytes[this.pos++];
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result;
      scale *= 0x80;
    }
  }

  signedVarint() {
    const z = this.varint();
    return z % 2 === 1 ? -(z + 1) / 2 : z / 2;
  }

  text() {
    const n = this.varint();
    const start = this.pos;
    const end = start + n;
    this.pos = end;
    const bytes = this.bytes;
    if (n < 48) {
      let s = "";
      for (let i = start; i < end; i++) {
        const c = bytes[i];
        if (c >= 0x80) return textDecoder.decode(bytes.subarray(start, end));
        s += String.fromCharCode(c);
      }
      return s;
    }
    return textDecoder.decode(bytes.subarray(start, end));
  }

  keywordText() {
    const s = ":" + this.text();
    this.keywords.push(s);
    return s;
  }

  // A keyword as a JS string (":ns/name").
  keyword() {
    const tag = this.byte();
    if (tag === Tag.Keyword) return this.keywordText();
    if (tag === Tag.KeywordRef) return this.keywords[this.varint()];
    throw new DataliteError("invalid-input", `internal: expected a keyword, got tag ${tag}`);
  }

  value() {
    const tag = this.bytes[this.pos++];
    switch (tag) {
      case Tag.Nil: return null;
      case Tag.False: return false;
      case Tag.True: return true;
      case Tag.Int: return this.signedVarint();
      case Tag.Int64: {
        const big = this.view.getBigInt64(this.pos, true);
        this.pos += 8;
        return big >= -BigInt(MAX_SAFE) && big <= BigInt(MAX_SAFE) ? Number(big) : big;
      }
      case Tag.BigInt: {
        const big = this.view.getBigInt64(this.pos, true);
        this.pos += 8;
        return big;
      }
      case Tag.Double: {
        const d = this.view.getFloat64(this.pos, true);
        this.pos += 8;
        return d;
      }
      case Tag.Instant: return new Date(this.signedVarint());
      case Tag.String: return this.text();
      case Tag.Keyword: return this.keywordText();
      case Tag.KeywordRef: return this.keywords[this.varint()];
      case Tag.Symbol: return this.text();
      case Tag.Uuid: {
        const b = this.bytes;
        const p = this.pos;
        this.pos += 16;
        let s = "";
        for (let i = 0; i < 16; i++) {
          if (i === 4 || i === 6 || i === 8 || i === 10) s += "-";
          s += hex[b[p + i]];
        }
        return s;
      }
      case Tag.Bytes: {
        const n = this.varint();
        const out = this.bytes.slice(this.pos, this.pos + n);
        this.pos += n;
        return out;
      }
      case Tag.Char: return String.fromCodePoint(this.varint());
      case Tag.Vector:
      case Tag.List:
      case Tag.Set: {
        const n = this.varint();
        const out = new Array(n);
        for (let i = 0; i < n; i++) out[i] = this.value();
        return out;
      }
      case Tag.Map: {
        const n = this.varint();
        const out = {};
        for (let i = 0; i < n; i++) {
          const k = this.value();
          const key = typeof k === "string" ? k : String(k);
          // A "__proto__" key (from :keys, :as or a map value) is data, not
          // the object's prototype.
          if (key === "__proto__") Object.defineProperty(out, key, { value: this.value(), enumerable: true, writable: true, configurable: true });
          else out[key] = this.value();
        }
        return out;
      }
      case Tag.Tagged: {
        const t = this.text();
        return { tag: t, value: this.value() };
      }
      case Tag.Datom: return this.datom();
      default:
        throw new DataliteError("invalid-input", `internal: unknown wire tag ${tag} at ${this.pos - 1}`);
    }
  }

  datom() {
    const e = this.varint();
    const a = this.keyword();
    const v = this.value();
    const tx = this.varint();
    const added = this.bytes[this.pos++] === 1;
    return { e, a, v, tx, added };
  }

  // A datom list: count, then datoms (each with its tag).
  datoms() {
    const n = this.varint();
    const out = new Array(n);
    for (let i = 0; i < n; i++) {
      this.pos++;  // Datom tag
      out[i] = this.datom();
    }
    return out;
  }
}
