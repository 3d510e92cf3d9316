// examples/cloudflare-worker in workerd (the Cloudflare Workers runtime, npm
// `workerd`), served from its own wrangler.jsonc: workerd bundles it with
// esbuild as wrangler does, the .wasm and the snapshot become modules.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { pathToFileURL } from "node:url";
import {
  buildWorkerData, ESBUILD, layOutApp, makeTempDir, packDatalite, removeDir, startWorkerd, wranglerVariant, EXAMPLES,
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
];

for (const v of VARIANTS) {
  describe(`workerd: ${v.name}`, () => {
    let server;
    before(async () => {
      const config = v.config ?? wranglerVariant(app, `wrangler.${v.variant.date}.json`, v.variant);
      server = await startWorkerd(app, { config });
    });
    after(async () => {
      await server?.stop();
    });
    defineServerTests(test, () => server, people(500));
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
