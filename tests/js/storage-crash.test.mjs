// kill -9 crash harness of durable connections on the file store (issue 5),
// at the level of the whole engine: 200 trials, two children at a time (see
// tests/js/support/engine-crash.mjs for what each trial does and checks).
// 1000 trials: node tests/js/support/engine-crash.mjs --trials 1000
// Time of the 200 trials on this 2-core machine: 68 s when it is otherwise
// idle, 140 s at a load average of about 17 (other jobs); about 65 s of CPU.
//
// Then the harness's own check: children with broken durability or atomicity
// (acknowledging before the commit resolves; one transaction committed as
// two) must make it fail.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { runEngineCrashTrials, formatSummary } from "./support/engine-crash.mjs";

const TMP = fs.mkdtempSync(path.join(os.tmpdir(), "dlt-storage-crash-test-"));
after(() => fs.rmSync(TMP, { recursive: true, force: true }));

test("200 kill -9 trials: acknowledged commits survive, no partial transaction, indexes agree, the db takes new commits", { timeout: 600_000 }, async (t) => {
  const s = await runEngineCrashTrials({ trials: 200, parallel: 2, maxKillDelayMs: 500, maxCounter: 800, dir: path.join(TMP, "trials") });
  for (const line of formatSummary(s).split("\n")) t.diagnostic(line);
  assert.equal(s.failures.length, 0, formatSummary(s));
  assert.equal(s.trials, 200);
  // The trials did what they are for: many commits, checkpoints, kills
  // while opening, continued directories.
  assert.ok(s.acks >= 300, `acknowledged commits: ${s.acks}`);
  assert.ok(s.checkpoints >= 20, `checkpoints: ${s.checkpoints}`);
  assert.ok(s.killedDuringOpen >= 5, `kills while opening: ${s.killedDuringOpen}`);
  assert.ok(s.longestChain >= 3, `longest chain of trials on one directory: ${s.longestChain}`);
});

for (const [fault, what] of [["ack-early", "acknowledges before the commit is durable"], ["split", "commits one transaction as two"]]) {
  test(`the harness fails when the child ${what}`, { timeout: 120_000 }, async (t) => {
    const s = await runEngineCrashTrials({ trials: 60, parallel: 2, fault, openKillRate: 0, stopOnFailure: true, dir: path.join(TMP, fault) });
    t.diagnostic(`${fault}: caught after ${s.trials} trials: ${s.failures[0]?.problems[0]}`);
    assert.ok(s.failures.length > 0, formatSummary(s));
  });
}
