// Which database the demo opens: the page reads ?store=... from its URL and
// hands the resulting Config to datalite's connect(). Seeding happens only
// when the opened database has no tasks, so a durable store keeps the
// user's edits across reloads.
//
//   (default) / ?store=indexeddb  IndexedDB "datalite-web-demo" (main thread)
//   ?store=sqlite                 SQLite file in OPFS (opfs-sahpool VFS), kept
//                                 by a dedicated Worker (worker-store.js)
//   ?store=memory                 in memory: lost on reload
// ?db=<name> picks another database name.
import { schema } from "./model.js";
import { WorkerStore } from "./worker-store.js";

export const DEMO_DB_NAME = "datalite-web-demo";

export const STORE_CHOICES = [
  { value: "indexeddb", label: "IndexedDB" },
  { value: "sqlite", label: "SQLite in OPFS (worker)" },
  { value: "memory", label: "memory (lost on reload)" },
];

export function storeKind(href) {
  return new URL(href).searchParams.get("store") ?? "indexeddb";
}

// API.md section 3, StoreConfig.
export function storeFromUrl(href) {
  const params = new URL(href).searchParams;
  const backend = storeKind(href);
  const name = params.get("db") ?? DEMO_DB_NAME;
  switch (backend) {
    case "memory":
      return { backend: "memory", id: name };
    case "indexeddb":
      return { backend: "indexeddb", name };
    case "sqlite": {
      // The engine runs on this page; the SQLite file lives in a worker
      // (OPFS access handles exist only there): a "custom" store bridges them.
      const path = `/${name}.sqlite3`;
      return { backend: "custom", name: `sqlite:${path}`, kind: "sqlite", path, open: () => WorkerStore.open({ path }) };
    }
    default:
      return { backend, name };  // let connect() say what it thinks of it
  }
}

export function databaseConfig(store) {
  return {
    schema,
    store,
    keepHistory: true,     // the history view needs retracted datoms
    durability: "strict",  // a save resolves once it is on disk (IndexedDB: one transaction, a few ms)
  };
}

export const FALLBACK_STORE = { backend: "memory", id: DEMO_DB_NAME };

export function describeStore(store) {
  switch (store.kind ?? store.backend) {
    case "memory": return `memory (${store.id ?? "anonymous"}, lost on reload)`;
    case "indexeddb": return `IndexedDB "${store.name}"`;
    case "sqlite": return `SQLite ${store.path} in OPFS (opfs-sahpool, in a Worker)`;
    default: return String(store.backend);
  }
}
