// examples/cloudflare-worker in workerd (the Cloudflare Workers runtime, npm
// `workerd`), served from its own wrangler.jsonc: workerd bundles it with
// esbuild as wrangler does, the .wasm and the snapshot become modules.
import { after, before, describe, test } from "node:test";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import {
  buildWorkerData, layOutApp, makeTempDir, packDatalite, removeDir, startWorkerd, wranglerVariant, EXAMPLES,
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
