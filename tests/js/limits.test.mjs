// Limits (README.md "Limits"): every one is an error with code
// limit-exceeded, never a trap; the db is unchanged and the next call works.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import { d } from "./support/helpers.mjs";

await d.init({ threads: false });
const run = promisify(execFile);
const child = fileURLToPath(new URL("./support/memory-limit-child.mjs", import.meta.url));

const DEFAULTS = {
  maxMemoryBytes: null, maxQueryRows: 20_000_000, maxRuleSteps: 100_000, maxPullDepth: 256,
  maxPullEntities: 1_000_000, maxResultBytes: 512 * 1024 * 1024,
};

function expectLimit(fn, pattern) {
  assert.throws(fn, (e) => e instanceof d.DataliteError && e.code === "limit-exceeded" && pattern.test(e.message));
}

// Sets limits for one test body and restores the defaults after it.
function withLimits(limits, body) {
  d.setLimits(limits);
  try {
    return body();
  } finally {
    d.setLimits({ ...DEFAULTS, maxMemoryBytes: null });
  }
}

describe("setLimits / getLimits", () => {
  test("defaults", () => {
    assert.deepEqual(d.getLimits(), DEFAULTS);
  });

  test("bad limits are invalid-input and change nothing", () => {
    for (const bad of [null, 5, "x", [], { maxQueryRows: -1 }, { maxQueryRows: 1.5 }, { maxQueryRows: "10" },
      { maxRuleSteps: NaN }, { maxPullDepth: Infinity }, { nope: 1 }, { maxPullDepth: 1e6 },
      { maxResultBytes: 2 ** 40 }]) {
      assert.throws(() => d.setLimits(bad), (e) => e.code === "invalid-input", JSON.stringify(bad));
    }
    assert.deepEqual(d.getLimits(), DEFAULTS);
  });

  test("a field left out stays as it is", () => {
    withLimits({ maxQueryRows: 1234 }, () => {
      assert.equal(d.setLimits({ maxPullDepth: 9 }).maxQueryRows, 1234);
      assert.equal(d.getLimits().maxPullDepth, 9);
    });
  });
});

describe("each limit is an error, then the engine goes on", () => {
  const db = d.emptyDb({ next: { "db/valueType": "db.type/ref" } })
    .with(Array.from({ length: 300 }, (_, i) => (i < 299 ? { "db/id": -(i + 1), n: i, next: -(i + 2) }
      : { "db/id": -(i + 1), n: i })));
  const rules = "[[(r ?a ?b) [?a :next ?b]] [(r ?a ?b) [?a :next ?c] (r ?c ?b)]]";

  test("maxQueryRows: a cross product", () => {
    const q = "[:find (count ?a) . :where [?a :n ?x] [?b :n ?y] [(< ?x ?y)]]";
    withLimits({ maxQueryRows: 10_000 }, () => expectLimit(() => db.q(q), /rows/));
    assert.equal(db.q(q), 299);
  });

  test("maxRuleSteps: a long recursive chain", () => {
    const q = "[:find (count ?b) . :in $ % :where (r 1 ?b)]";
    withLimits({ maxRuleSteps: 50 }, () => expectLimit(() => db.q(q, rules), /rule evaluation/));
    assert.equal(db.q(q, rules), 299);
  });

  test("maxPullDepth: a recursive pull", () => {
    withLimits({ maxPullDepth: 20 }, () => expectLimit(() => db.pull("[:n {:next ...}]", 1), /deeper than 20/));
    assert.equal(db.pull("[:n {:next 3}]", 1)[":next"][":next"][":next"][":n"], 3);
  });

  test("maxPullEntities: a pull that builds many entity maps", () => {
    withLimits({ maxPullDepth: 1000, maxPullEntities: 100 },
      () => expectLimit(() => db.pull("[:n {:next ...}]", 1), /entit/));
    withLimits({ maxPullDepth: 1000 }, () => assert.equal(JSON.stringify(db.pull("[:n {:next ...}]", 1)).split(":n\"").length - 1, 300));
  });

  test("maxResultBytes: a large answer", () => {
    const q = "[:find ?e ?n :where [?e :n ?n]]";
    withLimits({ maxResultBytes: 1000 }, () => expectLimit(() => db.q(q), /maxResultBytes/));
    assert.equal(db.q(q).length, 300);
  });
});

describe("maxMemoryBytes: the heap ceiling", () => {
  for (const variant of ["st", "mt"]) {
    test(`${variant}: a transaction past the ceiling fails with limit-exceeded, the connection keeps its db and works on`,
      { timeout: 120_000 }, async () => {
        const { stdout } = await run(process.execPath, [child, variant], { maxBuffer: 1 << 20 });
        const r = JSON.parse(stdout.trim().split("\n").at(-1));
        assert.ok(r.limit > 0, "a ceiling was set");
        assert.equal(r.query, "limit-exceeded", r.queryMessage);
        assert.match(r.queryMessage, /out of memory/i);
        assert.equal(r.tx, "limit-exceeded", r.txMessage);
        assert.equal(r.unchanged, true);
        assert.equal(r.hugeRequest, "limit-exceeded");
        assert.equal(r.afterTx, 3);  // two datoms and the tx instant
        assert.equal(r.afterCount, 1501);
        assert.equal(r.lifted, null);
        assert.equal(r.productAfterLift, 1499);
        assert.equal(r.countAfterLift, 61_501);  // :item/n is not unique: 60k new entities
      });
  }
});
