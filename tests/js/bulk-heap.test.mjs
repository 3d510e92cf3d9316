// Bulk builds grow the wasm heap in one step (Engine.reserveHeap): every
// WebAssembly.Memory grow makes V8 run a full GC of the JS heap, and in 20%
// steps a 1M-datom load grew it 12 times (bench/js/storage-bench.mjs).
// Its own file: node --test runs each file in a fresh process, so the heap
// starts at its initial size here.
import { test } from "node:test";
import assert from "node:assert/strict";
import { d } from "./support/helpers.mjs";

await d.init({ threads: false });

test("initDb of 300k datoms grows the wasm heap at most twice, and the db is complete", () => {
  const grows = [];
  const grow = WebAssembly.Memory.prototype.grow;
  WebAssembly.Memory.prototype.grow = function (pages) {
    grows.push(pages);
    return grow.call(this, pages);
  };
  let db;
  try {
    const datoms = [];
    for (let e = 1; e <= 100_000; e++) {
      datoms.push([e, "item/id", e], [e, "item/name", `item ${e}`], [e, "item/next", 1 + (e % 100_000)]);
    }
    db = d.initDb(datoms, { "item/id": { "db/unique": "db.unique/identity" }, "item/next": { "db/valueType": "db.type/ref" } });
  } finally {
    WebAssembly.Memory.prototype.grow = grow;
  }
  try {
    assert.equal(db.count, 300_000);
    assert.equal(db.q('[:find ?n . :where [?e :item/id 4242] [?e :item/next ?x] [?x :item/name ?n]]'), "item 4243");
    assert.ok(grows.length <= 2, `wasm memory grew ${grows.length} times`);
  } finally {
    db.dispose();
  }
});
