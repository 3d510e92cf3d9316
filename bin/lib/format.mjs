// Output of query results and reports: EDN and JSON for scripts, aligned
// tables for people. Results arrive as the package returns them (API.md
// section 2): keywords are strings with a leading colon, instants Dates,
// uuids strings, bytes Uint8Arrays, longs beyond 2^53 bigints.

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

// ------------------------------------------------------------------ EDN

// keyKind: how plain (colon-less) object keys print: "keys" -> :k,
// "strs" -> "k", "syms" -> k (the :keys / :strs / :syms of a query).
export function toEdn(value, keyKind = "keys") {
  if (value === null || value === undefined) return "nil";
  switch (typeof value) {
    case "boolean": return String(value);
    case "number": return ednNumber(value);
    case "bigint": return value < INT64_MIN || value > INT64_MAX ? `${value}N` : String(value);
    case "string": return value.startsWith(":") && value.length > 1 && !/[\s,"]/.test(value) ? value : JSON.stringify(value);
    default: break;
  }
  if (value instanceof Date) return `#inst ${JSON.stringify(value.toISOString())}`;
  if (value instanceof Uint8Array) return `#datalite/bytes ${JSON.stringify(Buffer.from(value).toString("base64"))}`;
  if (Array.isArray(value)) return `[${value.map((v) => toEdn(v, keyKind)).join(" ")}]`;
  if (value instanceof Set) return `#{${[...value].map((v) => toEdn(v, keyKind)).join(" ")}}`;
  if (typeof value === "object") {
    if (typeof value.toEDN === "function") return value.toEDN();
    const parts = [];
    for (const [k, v] of Object.entries(value)) parts.push(`${ednKey(k, keyKind)} ${toEdn(v, keyKind)}`);
    return `{${parts.join(", ")}}`;
  }
  return JSON.stringify(String(value));
}

function ednKey(k, keyKind) {
  if (k.startsWith(":")) return k;
  if (keyKind === "strs") return JSON.stringify(k);
  if (keyKind === "syms") return k;
  return `:${k}`;
}

function ednNumber(n) {
  if (Number.isNaN(n)) return "##NaN";
  if (n === Infinity) return "##Inf";
  if (n === -Infinity) return "##-Inf";
  return String(n);
}

// A query result as EDN: relations and collections one element a line.
export function resultToEdn(result, spec) {
  const keyKind = spec?.keys?.kind ?? "keys";
  if (Array.isArray(result) && spec?.shape !== "tuple" && result.length > 1) {
    return `[${result.map((r) => toEdn(r, keyKind)).join("\n ")}]`;
  }
  return toEdn(result, keyKind);
}

// ------------------------------------------------------------------ JSON

// JSON with longs beyond 2^53 as exact numbers, instants as ISO strings
// and bytes as base64 strings.
export function toJson(value) {
  if (value === null || value === undefined) return "null";
  switch (typeof value) {
    case "boolean": return String(value);
    case "number": return Number.isFinite(value) ? String(value) : "null";
    case "bigint": return String(value);
    case "string": return JSON.stringify(value);
    default: break;
  }
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (value instanceof Uint8Array) return JSON.stringify(Buffer.from(value).toString("base64"));
  if (Array.isArray(value) || value instanceof Set) return `[${[...value].map(toJson).join(",")}]`;
  if (typeof value === "object") {
    return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}:${toJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(String(value));
}

// ------------------------------------------------------------------ tables

// Rows of cells (strings) for a result of the given find spec.
export function resultRows(result, spec) {
  const shape = spec?.shape ?? guessShape(result);
  let columns = spec?.columns ?? [];
  let rows;
  if (spec?.keys && Array.isArray(result)) {
    columns = spec.keys.names;
    const list = shape === "tuple" ? [result] : result;
    rows = list.map((o) => columns.map((name) => (o && typeof o === "object" ? o[name] : o)));
  } else if (spec?.keys && result && typeof result === "object" && !Array.isArray(result)) {
    columns = spec.keys.names;
    rows = [columns.map((name) => result[name])];
  } else if (shape === "scalar") {
    rows = result === null || result === undefined ? [] : [[result]];
  } else if (shape === "collection") {
    rows = Array.isArray(result) ? result.map((v) => [v]) : [[result]];
  } else if (shape === "tuple") {
    rows = result === null || result === undefined ? [] : [Array.isArray(result) ? result : [result]];
  } else {
    rows = Array.isArray(result) ? result.map((r) => (Array.isArray(r) ? r : [r])) : [[result]];
  }
  const width = Math.max(columns.length, ...rows.map((r) => r.length));
  for (let i = columns.length; i < width; i++) columns.push(`col${i + 1}`);
  return { columns: columns.slice(0, Math.max(width, 1)), rows };
}

function guessShape(result) {
  if (!Array.isArray(result)) return "scalar";
  if (result.every((r) => Array.isArray(r))) return "relation";
  return "collection";
}

// A cell as people read it: strings bare, everything else as EDN; control
// characters escaped so rows stay on one line.
export function cellText(v, keyKind) {
  let text;
  if (typeof v === "string" && !v.startsWith(":")) text = v;
  else if (v instanceof Date) text = v.toISOString();
  else text = toEdn(v, keyKind);
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => (c === "\n" ? "\\n" : c === "\t" ? "\\t" : c === "\r" ? "\\r" : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`));
}

const displayWidth = (s) => [...s].length;

// An aligned table: header, rule, rows (numbers right-aligned), and a
// "(n rows)" footer. maxCell > 0 truncates long cells.
export function renderTable({ columns, rows }, { maxCell = 0, keyKind = "keys" } = {}) {
  const cells = rows.map((r) => columns.map((_, i) => {
    const v = r[i];
    let t = v === undefined ? "" : cellText(v, keyKind);
    if (maxCell > 0 && displayWidth(t) > maxCell) t = [...t].slice(0, maxCell - 1).join("") + "…";
    return t;
  }));
  const numeric = columns.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === "number" || typeof r[i] === "bigint"));
  const widths = columns.map((c, i) => Math.max(displayWidth(c), ...cells.map((r) => displayWidth(r[i]))));
  const pad = (t, i) => {
    const gap = " ".repeat(widths[i] - displayWidth(t));
    return numeric[i] ? gap + t : t + gap;
  };
  const line = (r) => r.map(pad).join("  ").trimEnd();
  const out = [line(columns), widths.map((w) => "-".repeat(w)).join("  ")];
  for (const r of cells) out.push(line(r));
  out.push(`(${rows.length} ${rows.length === 1 ? "row" : "rows"})`);
  return out.join("\n");
}

// Key/value report lines: "label   value", labels padded to one width.
export function renderReport(pairs) {
  const width = Math.max(...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join("\n");
}

// 1234567 -> "1,234,567"
export function grouped(n) {
  return typeof n === "number" || typeof n === "bigint" ? n.toLocaleString("en-US") : String(n);
}
