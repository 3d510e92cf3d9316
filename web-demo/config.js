// Which database the demo opens. This is the one place persistence plugs in:
// the page reads ?store=... from its URL and hands the resulting Config to
// datalite's connect(). Today the package ships the memory backend only;
// once the storage backends land, ?store=indexeddb (or sqlite) makes the demo
// survive reloads with no other change — seeding happens only when the opened
// database is empty.
import { schema } from "./model.js";

export const DEMO_DB_NAME = "datalite-web-demo";

// API.md section 3, StoreConfig.
export function storeFromUrl(href) {
  const params = new URL(href).searchParams;
  const backend = params.get("store") ?? "memory";
  const name = params.get("db") ?? DEMO_DB_NAME;
  switch (backend) {
    case "memory":
      return { backend: "memory", id: name };
    case "indexeddb":
      return { backend: "indexeddb", name };
    case "sqlite":
      return { backend: "sqlite", path: `/${name}.sqlite3`, vfs: "opfs-sahpool" };
    default:
      return { backend, name };  // let connect() say what it thinks of it
  }
}

export function databaseConfig(store) {
  return {
    schema,
    store,
    keepHistory: true,      // the history view needs retracted datoms
    durability: "relaxed",  // an interactive app: acknowledge at once, flush in batches
  };
}

export const FALLBACK_STORE = { backend: "memory", id: DEMO_DB_NAME };

export function describeStore(store) {
  switch (store.backend) {
    case "memory": return `memory (${store.id ?? "anonymous"}, lost on reload)`;
    case "indexeddb": return `IndexedDB "${store.name}"`;
    case "sqlite": return `sqlite-wasm ${store.vfs ?? ""} ${store.path ?? ""}`.trim();
    default: return String(store.backend);
  }
}
