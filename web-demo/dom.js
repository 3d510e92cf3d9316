// Small DOM and formatting helpers (no framework).

// h("div", { class: "x", onclick: fn, dataset: { id: 1 } }, "text", child, [more])
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k === "style" && typeof v === "object") for (const [p, x] of Object.entries(v)) el.style.setProperty(p, x);
    else if (k in el && typeof v !== "string") el[k] = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

export const $ = (sel, root = document) => root.querySelector(sel);

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

const pad = (n) => String(n).padStart(2, "0");

export function formatDate(d) {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

export function formatTime(d) {
  return `${formatDate(d)} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export const isKeyword = (v) => typeof v === "string" && /^:[^\s]/.test(v);

// A result value as EDN-ish text: how a Clojure user would read it.
export function edn(v) {
  if (v === null || v === undefined) return "nil";
  if (typeof v === "string") return isKeyword(v) ? v : JSON.stringify(v);
  if (typeof v === "bigint") return `${v}N`;
  if (v instanceof Date) return `#inst "${v.toISOString()}"`;
  if (v instanceof Uint8Array) return `#bytes[${v.length}]`;
  if (Array.isArray(v)) return `[${v.map(edn).join(" ")}]`;
  if (typeof v === "object") {
    return `{${Object.entries(v).map(([k, x]) => `${k.startsWith(":") ? k : ":" + k} ${edn(x)}`).join(", ")}}`;
  }
  return String(v);
}

// A table cell for a result value: scalars plain, structures as EDN.
export function cell(v) {
  if (v === null || v === undefined) return h("span", { class: "nil" }, "nil");
  if (typeof v === "string") return isKeyword(v) ? h("span", { class: "kw" }, v) : v;
  if (v instanceof Date) return h("time", { datetime: v.toISOString(), title: v.toISOString() }, formatTime(v));
  if (typeof v === "object") return h("code", { class: "edn" }, edn(v));
  return h("span", { class: typeof v }, String(v));
}

// A datom as a row of cells: e, a, v, tx, added.
export function datomRow(d, extra = {}) {
  return h("tr", { class: d.added ? "added" : "retracted", ...extra },
    h("td", { class: "op" }, d.added ? "+" : "−"),
    h("td", { class: "num" }, String(d.e)),
    h("td", {}, h("span", { class: "kw" }, d.a)),
    h("td", {}, cell(d.v)),
    h("td", { class: "num" }, String(d.tx)));
}
