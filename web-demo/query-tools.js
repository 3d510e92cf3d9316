// Reading just enough of a query's EDN text to label result columns and bind
// the console's inputs. Shared by the page and the query worker (no DOM).

// Splits EDN text into its top-level forms (as text). Strings, comments and
// nesting are respected; a reader error just ends the split early.
export function splitForms(text) {
  const forms = [];
  let i = 0;
  const n = text.length;
  const isSpace = (c) => c === " " || c === "\n" || c === "\t" || c === "\r" || c === ",";
  while (i < n) {
    const c = text[i];
    if (isSpace(c)) { i++; continue; }
    if (c === ";") { while (i < n && text[i] !== "\n") i++; continue; }
    const start = i;
    if (c === "(" || c === "[" || c === "{" || (c === "#" && text[i + 1] === "{")) {
      let depth = 0;
      while (i < n) {
        const ch = text[i];
        if (ch === '"') { i = skipString(text, i); continue; }
        if (ch === ";") { while (i < n && text[i] !== "\n") i++; continue; }
        if (ch === "(" || ch === "[" || ch === "{") depth++;
        else if (ch === ")" || ch === "]" || ch === "}") {
          depth--;
          if (depth === 0) { i++; break; }
        }
        i++;
      }
    } else if (c === '"') {
      i = skipString(text, i);
    } else {
      while (i < n && !isSpace(text[i]) && !"()[]{}\";".includes(text[i])) i++;
      if (i === start) i++;  // a stray closing bracket
    }
    forms.push(text.slice(start, i));
  }
  return forms;
}

function skipString(text, i) {
  i++;
  while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
  return i + 1;
}

// The clauses of a vector-form query as { ":find": [forms], ":in": [...], ... },
// or null for anything else (a map-form query, a reader error).
export function queryClauses(query) {
  const top = splitForms(query.trim());
  if (top.length !== 1 || !top[0].startsWith("[") || !top[0].endsWith("]")) return null;
  const clauses = {};
  let current = null;
  for (const form of splitForms(top[0].slice(1, -1))) {
    if (form.startsWith(":")) {
      current = form;
      clauses[current] = [];
    } else if (current) {
      clauses[current].push(form);
    }
  }
  return clauses;
}

// What the :find spec returns:
//   { shape: "relation"|"collection"|"tuple"|"scalar"|"maps", columns: [labels] }
export function findShape(query) {
  const c = queryClauses(query);
  const find = c?.[":find"];
  if (!find || find.length === 0) return { shape: "unknown", columns: [] };
  for (const k of [":keys", ":strs", ":syms"]) {
    if (c[k]) return { shape: "maps", columns: c[k] };
  }
  if (find.length === 1 && find[0].startsWith("[")) {
    const inner = splitForms(find[0].slice(1, -1));
    if (inner.includes("...")) return { shape: "collection", columns: inner.filter((f) => f !== "...") };
    return { shape: "tuple", columns: inner };
  }
  if (find.length === 2 && find[1] === ".") return { shape: "scalar", columns: [find[0]] };
  return { shape: "relation", columns: find };
}

// The result as a table: { columns, rows } whatever the find spec was.
export function toTable(query, result) {
  const { shape, columns } = findShape(query);
  const labels = (n) => Array.from({ length: n }, (_, i) => columns[i] ?? `#${i}`);
  if (shape === "scalar" || (!Array.isArray(result) && (result === null || typeof result !== "object" || result instanceof Date))) {
    return { columns: labels(1), rows: result === null || result === undefined ? [] : [[result]] };
  }
  if (shape === "tuple" && Array.isArray(result) && !result.every(Array.isArray)) {
    return { columns: labels(result.length), rows: [result] };
  }
  if (!Array.isArray(result)) return { columns: ["value"], rows: [[result]] };
  if (shape === "maps" || (result.length && result.every((r) => r && typeof r === "object" && !Array.isArray(r) && !(r instanceof Date)))) {
    if (shape === "maps") return { columns, rows: result.map((r) => columns.map((k) => r[k])) };
    if (shape === "collection") return { columns: labels(1), rows: result.map((r) => [r]) };
    const keys = [...new Set(result.flatMap((r) => Object.keys(r)))];
    return { columns: keys, rows: result.map((r) => keys.map((k) => r[k])) };
  }
  if (result.every(Array.isArray)) {
    const width = Math.max(columns.length, ...result.map((r) => r.length));
    return { columns: labels(width), rows: result };
  }
  return { columns: labels(1), rows: result.map((r) => [r]) };
}

// The values for a query's :in clause, by name:
//   $ / $db -> sources.db, $history -> sources.history, % -> the rules text,
//   ?now -> a Date. Anything else is an error naming the input.
export function bindInputs(query, sources, DataliteError) {
  const c = queryClauses(query);
  const ins = c?.[":in"];
  if (!ins) return [sources.db];
  return ins.map((name) => {
    if (name === "$" || name === "$db") return sources.db;
    if (name === "$history" || name === "$h") return sources.history();
    if (name === "%") return sources.rules || "[]";
    if (name === "?now") return new Date();
    throw new DataliteError("invalid-input",
      `the console cannot bind the input ${name}: use $, $history, %, ?now, or write the value into the query`);
  });
}
