// A small EDN scanner for the CLI: finds where forms start and end in EDN
// text without building values (the engine reads EDN; the CLI only needs
// the shape of a query's :find clause, and the spans of a dump's top-level
// keys). All functions take the text and an index and return an index; a
// malformed form throws an EdnScanError.

export class EdnScanError extends Error {}

const DELIMITERS = new Set(["(", ")", "[", "]", "{", "}", '"', ";"]);
const CLOSING = { "(": ")", "[": "]", "{": "}" };

function isSpace(c) {
  return c === " " || c === "," || c === "\n" || c === "\r" || c === "\t" || c === "\f" || c === "\v" || c === "\uFEFF";
}

// Index of the next form at or after i (skips whitespace, commas, comments
// and #_ discarded forms); text.length at the end.
export function skipSpace(s, i) {
  for (;;) {
    while (i < s.length && isSpace(s[i])) i++;
    if (s[i] === ";") {
      while (i < s.length && s[i] !== "\n") i++;
      continue;
    }
    if (s[i] === "#" && s[i + 1] === "_") {
      i = formEnd(s, skipSpace(s, i + 2));
      continue;
    }
    return i;
  }
}

function tokenEnd(s, i) {
  while (i < s.length && !isSpace(s[i]) && !DELIMITERS.has(s[i])) i++;
  return i;
}

function stringEnd(s, i) {
  for (let j = i + 1; j < s.length; j++) {
    if (s[j] === "\\") j++;
    else if (s[j] === '"') return j + 1;
  }
  throw new EdnScanError("unterminated string");
}

function collectionEnd(s, i) {
  const close = CLOSING[s[i]];
  let j = i + 1;
  for (;;) {
    j = skipSpace(s, j);
    if (j >= s.length) throw new EdnScanError(`unterminated ${s[i]}`);
    if (s[j] === close) return j + 1;
    if (s[j] === ")" || s[j] === "]" || s[j] === "}") throw new EdnScanError(`unexpected ${s[j]}`);
    j = formEnd(s, j);
  }
}

// End (exclusive) of the form starting at i.
export function formEnd(s, i) {
  if (i >= s.length) throw new EdnScanError("unexpected end of input");
  const c = s[i];
  if (c === '"') return stringEnd(s, i);
  if (CLOSING[c]) return collectionEnd(s, i);
  if (c === ")" || c === "]" || c === "}") throw new EdnScanError(`unexpected ${c}`);
  if (c === "\\") return tokenEnd(s, i + 2);
  if (c === "#") {
    const n = s[i + 1];
    if (n === "{") return collectionEnd(s, i + 1);
    if (n === '"') return stringEnd(s, i + 1);
    if (n === "#") return tokenEnd(s, i + 2);
    const tagEnd = tokenEnd(s, i + 1);
    if (tagEnd === i + 1) throw new EdnScanError("bad # dispatch");
    return formEnd(s, skipSpace(s, tagEnd));  // #tag form
  }
  const end = tokenEnd(s, i);
  if (end === i) throw new EdnScanError(`unexpected ${c}`);
  return end;
}

// A form's children: [{ start, end }] for a list, vector, map or set
// starting at i (a tagged collection: at the tag).
export function children(s, i) {
  if (s[i] === "#" && s[i + 1] !== "{") i = skipSpace(s, tokenEnd(s, i + 1));
  if (s[i] === "#") i++;
  if (!CLOSING[s[i]]) return null;
  const close = CLOSING[s[i]];
  const out = [];
  let j = i + 1;
  for (;;) {
    j = skipSpace(s, j);
    if (j >= s.length) throw new EdnScanError(`unterminated ${s[i]}`);
    if (s[j] === close) return out;
    const end = formEnd(s, j);
    out.push({ start: j, end });
    j = end;
  }
}

// The first form of `s`: { start, end }, or null for blank text.
export function firstForm(s) {
  const start = skipSpace(s, 0);
  if (start >= s.length) return null;
  return { start, end: formEnd(s, start) };
}

// What a query's :find clause asks for, to label and shape the output:
//   { shape: "relation" | "collection" | "tuple" | "scalar", columns: [text],
//     keys: null | { kind: "keys" | "strs" | "syms", names: [text] } }
// null when the text is not a query form this scanner understands (the
// engine then reports what is wrong with it).
export function findSpec(query) {
  try {
    const top = firstForm(query);
    if (!top) return null;
    const text = (span) => query.slice(span.start, span.end);
    const kids = children(query, top.start);
    if (!kids) return null;
    const clauses = new Map();  // ":find" -> [spans]
    if (query[top.start] === "[") {
      let current = null;
      for (const k of kids) {
        const t = text(k);
        if (t.startsWith(":") && !t.includes("/")) {
          current = [];
          clauses.set(t, current);
        } else if (current) current.push(k);
      }
    } else if (query[top.start] === "{") {
      for (let i = 0; i + 1 < kids.length; i += 2) {
        const value = kids[i + 1];
        clauses.set(text(kids[i]), query[value.start] === "[" ? children(query, value.start) : [value]);
      }
    } else {
      return null;
    }
    const find = clauses.get(":find");
    if (!find || find.length === 0) return null;
    const tidy = (span) => text(span).replace(/\s+/g, " ");
    let shape = "relation";
    let elements = find;
    if (find.length === 2 && text(find[1]) === ".") {
      shape = "scalar";
      elements = [find[0]];
    } else if (find.length === 1 && query[find[0].start] === "[") {
      const inner = children(query, find[0].start);
      if (inner.length === 2 && text(inner[1]) === "...") {
        shape = "collection";
        elements = [inner[0]];
      } else {
        shape = "tuple";
        elements = inner;
      }
    }
    let keys = null;
    for (const kind of ["keys", "strs", "syms"]) {
      const names = clauses.get(`:${kind}`);
      if (names) keys = { kind, names: names.map(text) };
    }
    return { shape, columns: elements.map(tidy), keys };
  } catch (err) {
    if (err instanceof EdnScanError) return null;
    throw err;
  }
}

// The spans of a top-level map's values by key text, for a dump
// (`#datalite/db {...}`, `#datascript/DB {...}` or a plain map).
export function topLevelMap(s) {
  const top = firstForm(s);
  if (!top) throw new EdnScanError("empty input");
  const kids = children(s, top.start);
  if (!kids || !/^(#[^\s{]+\s*)?\{/.test(s.slice(top.start, top.start + 64))) throw new EdnScanError("not a map");
  const out = new Map();
  for (let i = 0; i + 1 < kids.length; i += 2) out.set(s.slice(kids[i].start, kids[i].end), kids[i + 1]);
  return out;
}
