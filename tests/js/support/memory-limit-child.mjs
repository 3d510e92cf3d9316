// Runs the heap-ceiling scenario of limits.test.mjs in a fresh engine of the
// variant given on the command line (st | mt) and prints one JSON line.
import * as d from "../../../js/index.js";

const variant = process.argv[2] ?? "st";
await d.init({ threads: variant === "mt" });
const result = { variant };
const conn = await d.connect({ schema: { "item/n": { "db/index": true } } });
await conn.transact(Array.from({ length: 1500 }, (_, i) => ({ "item/n": i })));
const before = conn.db();
const count = (db) => db.q("[:find (count ?e) . :where [?e :item/n]]");
const product = "[:find (count ?a) . :where [?a :item/n ?x] [?b :item/n ?y] [(< ?x ?y)]]";
const heap = d.engineStats().heapBytes;
result.limit = d.setLimits({ maxMemoryBytes: heap + (24 << 20) }).maxMemoryBytes;

const attempt = async (name, fn) => {
  try {
    await fn();
    result[name] = "ok";
  } catch (e) {
    result[name] = e.code;
    result[`${name}Message`] = e.message;
  }
};
// Inside the engine: a query whose intermediate rows outgrow the ceiling,
// and a transaction whose datoms and index nodes do.
await attempt("query", () => before.q(product));
const tx = Array.from({ length: 60_000 }, (_, i) => ({ "item/n": i, "item/s": "s" + i }));
await attempt("tx", () => conn.transact(tx));
result.unchanged = conn.db() === before && count(conn.db()) === 1500;
// At the boundary: a request larger than the ceiling itself.
await attempt("hugeRequest", () => d.emptyDb().q("[:find ?x . :in $ ?x]", "y".repeat(96 << 20)));

// The same instance goes on working under the ceiling...
result.afterTx = (await conn.transact([{ "item/n": 7, "item/s": "after" }])).txData.length;
result.afterCount = count(conn.db());
// ...and runs both once the ceiling is lifted.
result.lifted = d.setLimits({ maxMemoryBytes: null }).maxMemoryBytes;
result.productAfterLift = before.q(product);
await conn.transact(tx);
result.countAfterLift = count(conn.db());
console.log(JSON.stringify(result));
