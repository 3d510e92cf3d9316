// A module Worker for the live restore panel (restore-panel.js): builds a
// generated, ref-heavy source database in IndexedDB without touching the
// page's thread, so that the panel can restore it from its config (the
// restore Worker then opens it itself: nothing of the source passes through
// the page). It is kept across reloads and rebuilt only when missing.
//
//   { entities, name } -> { ok, datoms, ms, cached } | { ok: false, code, message }
//
// Entity i: :p/name "p<i>" (unique identity), :p/age, :p/friend (a ref to
// an entity anywhere: in single-pass mode a forward ref waits in the
// pending index), :p/team (a ref to the first member of its group of 16):
// 4 datoms per entity, half of them refs.
import * as d from "/js/index.js";

const schema = {
  "p/friend": { "db/valueType": "db.type/ref" },
  "p/team": { "db/valueType": "db.type/ref" },
  "p/name": { "db/unique": "db.unique/identity" },
  "p/age": { "db/valueType": "db.type/long" },
};

function datoms(n) {
  const out = new Array(n * 4);
  let k = 0;
  for (let i = 1; i <= n; i++) {
    out[k++] = [i, "p/name", `p${i}`];
    out[k++] = [i, "p/age", i % 90];
    out[k++] = [i, "p/friend", ((i * 7919) % n) + 1];
    out[k++] = [i, "p/team", ((i >> 4) << 4) || 1];
  }
  return out;
}

self.onmessage = async ({ data }) => {
  const { entities, name } = data;
  try {
    const t0 = performance.now();
    await d.init();
    const conn = await d.connect({ schema, store: { backend: "indexeddb", name } });
    try {
      const cached = conn.db().q("[:find (count ?e) . :where [?e :p/name]]") === entities;
      if (!cached) {
        if (conn.db().count > 0) throw new d.DataliteError("invalid-input", `IndexedDB "${name}" holds something else: delete it first`);
        await conn.load(datoms(entities));
      }
      self.postMessage({ ok: true, datoms: entities * 4, ms: performance.now() - t0, cached, variant: d.engineStats().variant });
    } finally {
      await conn.close();
    }
  } catch (err) {
    self.postMessage({ ok: false, code: err?.code ?? "error", message: String(err?.message ?? err) });
  }
};
