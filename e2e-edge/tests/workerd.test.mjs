// examples/cloudflare-worker in workerd (the Cloudflare Workers runtime, npm
// `workerd`), served from its own wrangler.jsonc: workerd bundles it with
// esbuild as wrangler does, the .wasm and the snapshot become modules.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { pathToFileURL } from "node:url";
import {
  buildWorkerData, ESBUILD, get, layOutApp, prebuildWorker, makeTempDir, packDatalite, removeDir, startWorkerd, wranglerVariant, EXAMPLES,
} from "../lib/harness.mjs";
import { defineServerTests } from "../lib/cases.mjs";

const { people } = await import(pathToFileURL(join(EXAMPLES, "cloudflare-worker", "people.js")));
const tmp = makeTempDir("workerd");
let app;

before(() => {
  app = layOutApp("cloudflare-worker", tmp, packDatalite(tmp));
  buildWorkerData(app);
});
after(() => removeDir(tmp));

const VARIANTS = [
  // As shipped: nodejs_compat is on by default at this date, so `process`
  // looks like Node's (versions.node, release.name "node").
  { name: "wrangler.jsonc as shipped (2026-11-01, Node-like process)", config: "wrangler.jsonc" },
  // The oldest date with FinalizationRegistry, no Node compatibility at all.
  { name: "compatibility date 2025-05-05, no flags", variant: { date: "2025-05-05" } },
  // Bundled ahead of time, as `wrangler deploy` uploads it; workerd runs it unchanged.
  { name: "prebuilt bundle served with no_bundle", prebuilt: true },
];

for (const v of VARIANTS) {
  describe(`workerd: ${v.name}`, () => {
    let server;
    before(async () => {
      const config = v.prebuilt ? prebuildWorker(app)
        : v.config ?? wranglerVariant(app, `wrangler.${v.variant.date}.json`, v.variant);
      server = await startWorkerd(app, { config });
    });
    after(async () => {
      await server?.stop();
    });
    defineServerTests(test, () => server, people(500));
  });
}

// The other way to get a db in a Worker: build it in the isolate, with
// connect() (which also reaches the package's durable-store code).
const STARTUP_WORKER = `
  import * as d from "datalite";
  import wasmModule from "../node_modules/datalite/dist/wasm/datalite.wasm";
  import { SCHEMA, peopleTx } from "../people.js";
  let conn;
  export default {
    async fetch() {
      if (!conn) {
        await d.init({ wasmModule });
        const c = await d.connect({ schema: SCHEMA });
        await c.transact(peopleTx(500));
        conn = c;
      }
      const db = conn.db();
      const after = await conn.transact([{ "person/email": "person3@example.org", "person/age": 99 }]);
      const age = '[:find ?a . :where [?p :person/email "person3@example.org"] [?p :person/age ?a]]';
      return Response.json({
        count: db.q("[:find (count ?p) . :where [?p :person/email]]"),
        pull: db.pull("[:person/name {:person/friends [:person/email]}]", ["person/email", "person3@example.org"]),
        age: after.dbAfter.q(age),
        asOf: after.dbAfter.asOf(db.maxTx).q(age),
      });
    },
  };
`;

for (const date of ["2026-11-01", "2025-05-05"]) {
  describe(`workerd: a Worker that builds its db at startup (compatibility date ${date})`, () => {
    let server;
    before(async () => {
      writeFileSync(join(app, "src", "build-at-startup.js"), STARTUP_WORKER);
      const config = wranglerVariant(app, `wrangler.startup-${date}.json`, { date });
      const text = JSON.parse(readFileSync(join(app, config), "utf8"));
      text.main = "src/build-at-startup.js";
      writeFileSync(join(app, config), JSON.stringify(text));
      server = await startWorkerd(app, { config });
    });
    after(async () => {
      await server?.stop();
    });

    test("connect + transact + pull + asOf in workerd", async () => {
      const all = people(500);
      const res = await get(server, "/");
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.count, 500);
      assert.equal(res.body.pull[":person/name"], all[3].name);
      assert.deepEqual(res.body.pull[":person/friends"].map((f) => f[":person/email"]).sort(),
        all[3].friends.map((j) => all[j].email).sort());
      assert.equal(res.body.age, 99);
      assert.equal(res.body.asOf, all[3].age);
    });
  });
}

// wrangler bundles with esbuild; so do Vite and others for browsers. A literal
// `import("node:...")` anywhere reachable from the entry fails such a build.
describe("bundling the Worker", () => {
  for (const platform of ["browser", "neutral"]) {
    test(`esbuild --platform=${platform} bundles it with no node: import`, async () => {
      const out = join(tmp, `bundle-${platform}.js`);
      await promisify(execFile)(ESBUILD(), [
        join(app, "src", "worker.js"), "--bundle", "--format=esm", `--platform=${platform}`,
        "--conditions=workerd,worker,browser", "--external:*.wasm", "--external:*.bin", `--outfile=${out}`,
      ]);
      const code = readFileSync(out, "utf8");
      assert.doesNotMatch(code, /\bimport\s*\(\s*["']node:/);
      assert.doesNotMatch(code, /\bfrom\s*["']node:/);
      assert.doesNotMatch(code, /\brequire\s*\(\s*["']node:/);
    });
  }
});
