// examples/deno in Deno (npm `deno`), run as its README says, plus the
// package loaded from a precompiled module the way workerd needs it.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { DENO, layOutApp, makeTempDir, packDatalite, removeDir, startDeno, EXAMPLES } from "../lib/harness.mjs";
import { defineServerTests } from "../lib/cases.mjs";

const { people } = await import(pathToFileURL(join(EXAMPLES, "deno", "people.js")));
const tmp = makeTempDir("deno");
let app;

before(() => {
  app = layOutApp("deno", tmp, packDatalite(tmp));
});
after(() => removeDir(tmp));

describe("deno: examples/deno/main.js", () => {
  let server;
  before(async () => {
    server = await startDeno(app);
  });
  after(async () => {
    await server?.stop();
  });
  defineServerTests(test, () => server, people(500));
});

describe("deno: other ways to load", () => {
  const run = async (file, code, permissions = []) => {
    writeFileSync(join(app, file), code);
    const { stdout } = await promisify(execFile)(DENO(), ["run", "--no-prompt", ...permissions, file], {
      cwd: app, env: { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1", DENO_DIR: join(app, ".deno-cache") },
    });
    return stdout.trim();
  };

  test("init({ wasmModule }) from a wasm source import needs no read permission", async () => {
    const out = await run("source-import.js", `
      import source wasmModule from "./node_modules/datalite/dist/wasm/datalite.wasm";
      import * as d from "datalite";
      await d.init({ wasmModule });
      const db = d.emptyDb("{:a/b {:db/unique :db.unique/identity}}").with([{ "a/b": "x", "a/n": 41 }]);
      console.log(JSON.stringify([d.engineStats().variant, db.q("[:find ?n . :where [?e :a/b \\"x\\"] [?e :a/n ?n]]") + 1]));
    `);
    assert.equal(out, JSON.stringify(["st", 42]));
  });

  test("without read permission the default load fails with a DataliteError, not a hang", async () => {
    const out = await run("no-permission.js", `
      import * as d from "datalite";
      try { await d.init(); console.log("loaded"); } catch (e) { console.log(e.name + " " + e.code); }
    `);
    assert.equal(out, "DataliteError store-error");
  });
});
