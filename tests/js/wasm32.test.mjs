// Cases that once crashed the wasm32 engine (code that was only correct with
// 64-bit size_t/pointers): databases large enough for multi-level B-trees,
// EDN maps and sets with more than 12 entries. Each case runs in a child
// process with a timeout: a trapped or corrupted wasm instance can crash or
// hang, and must not take the rest of the suite with it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";

const INDEX_URL = new URL("../../js/index.js", import.meta.url).href;

// Runs `body` (an async function body with `d` in scope) in a fresh Node
// process and returns the JSON it prints.
function runIsolated(body, { threads = false } = {}) {
  const script = `
    import * as d from ${JSON.stringify(INDEX_URL)};
    await d.init({ threads: ${threads} });
    const result = await (async () => { ${body} })();
    process.stdout.write(JSON.stringify(result));
  `;
  const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 60_000 });
  assert.equal(child.error?.code, undefined, `child process: ${child.error?.message}`);
  assert.equal(child.status, 0, `child exited with ${child.status} (signal ${child.signal}):\n${child.stderr.slice(0, 2000)}`);
  return JSON.parse(child.stdout);
}


test("a 3000-entity transaction: every index holds every datom", () => {
  const result = runIsolated(`
    const N = 3000;
    const db = d.emptyDb({ n: { "db/index": true } }).with(Array.from({ length: N }, (_, i) => ({ n: i })));
    return {
      eavt: db.datoms("eavt").length - 1,
      aevt: db.datoms("aevt", "n").length,
      avet: db.datoms("avet", "n").length,
      avetSorted: db.datoms("avet", "n").every((x, i) => x.v === i),
      lookup: db.datoms("avet", "n", 1234).map((x) => x.e),
      range: db.indexRange("n", 100, 199).length,
      seek: [...db.seekDatoms("avet", "n", N - 5)].length,
      stats: d.engineStats().liveDbs,
    };
  `);
  assert.deepEqual(result, { eavt: 3000, aevt: 3000, avet: 3000, avetSorted: true, lookup: [1235], range: 100, seek: 5, stats: 2 });
});

test("100 transactions of 100 entities, then queries and 1000 with/dispose cycles", () => {
  const result = runIsolated(`
    const conn = await d.connect({ schema: { n: { "db/index": true }, g: {} } });
    for (let t = 0; t < 100; t++) await conn.transact(Array.from({ length: 100 }, (_, i) => ({ n: t * 100 + i, g: i % 7 })));
    const db = conn.db();
    const before = d.engineStats();
    for (let i = 0; i < 1000; i++) db.with([{ n: -i }]).dispose();
    const after = d.engineStats();
    return {
      count: db.q("[:find (count ?e) . :where [?e :n]]"),
      groups: db.q("[:find ?g (count ?e) :where [?e :g ?g]]").length,
      avet: db.datoms("avet", "n").length,
      liveDbsBack: after.liveDbs === before.liveDbs,
    };
  `);
  assert.deepEqual(result, { count: 10000, groups: 7, avet: 10000, liveDbsBack: true });
});


test("EDN maps and sets with more than 12 entries are read", () => {
  const result = runIsolated(`
    const keys = Array.from({ length: 20 }, (_, i) => ":a" + i);
    const db = d.emptyDb("{" + keys.map((k) => k + " {:db/index true}").join(" ") + "}");
    const set = db.q("[:find ?s . :where [(ground #{" + keys.join(" ") + "}) ?s]]");
    return { attrs: Object.keys(db.schema()).length, set: set.length };
  `);
  assert.deepEqual(result, { attrs: 20, set: 20 });
});
