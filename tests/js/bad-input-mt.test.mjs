// The bad-input suite again on the threaded engine (dist/wasm-mt): there
// every error unwinds through wasm exception handling on a -pthread build,
// with the landing-pad fix of wasm/pthread_unwind.cpp.
import { test } from "node:test";
import assert from "node:assert/strict";
import { d } from "./support/helpers.mjs";

process.env.DATALITE_TEST_THREADS = "1";
await import("./bad-input.test.mjs");

test("the bad-input suite above ran on the mt engine variant", () => {
  assert.equal(d.engineStats().variant, "mt");
});
