// Which wasm build the package picks: the threaded one when the page is
// cross-origin isolated (COOP/COEP), the single-threaded one otherwise.
import { test, expect } from "@playwright/test";
import { ISO, NOISO, SEED_TASKS, openDemo, runQuery, resultRows, taskItems } from "./helpers.mjs";

const cases = [
  { name: "with COOP/COEP", path: ISO, isolated: true, variant: "mt" },
  { name: "under /noiso/", path: NOISO, isolated: false, variant: "st" },
];

for (const c of cases) {
  test.describe(c.name, () => {
    test(`crossOriginIsolated is ${c.isolated} and the engine variant is "${c.variant}"`, async ({ page }) => {
      const { errors } = await openDemo(page, c.path);
      const env = await page.evaluate(() => ({
        isolated: globalThis.crossOriginIsolated,
        sab: typeof SharedArrayBuffer,
        variant: globalThis.datalite.engineStats().variant,
      }));
      expect(env.isolated).toBe(c.isolated);
      expect(env.sab).toBe(c.isolated ? "function" : "undefined");
      expect(env.variant).toBe(c.variant);
      await expect(page.getByTestId("variant")).toHaveText(c.variant);
      await expect(page.getByTestId("isolated")).toHaveText(String(c.isolated));

      // The engine works the same either way.
      await expect(taskItems(page)).toHaveCount(SEED_TASKS);
      await runQuery(page, "[:find ?tag (count ?t) :where [?t :task/tags ?tag]]");
      await expect(resultRows(page)).toHaveCount(9);
      await expect(page.getByTestId("query-meta")).toContainText(`main thread (${c.variant})`);
      expect(errors).toEqual([]);
    });

    test("a module Worker loads the package and answers the console's query", async ({ page }) => {
      const { errors } = await openDemo(page, c.path);
      await page.getByTestId("query-input").fill("[:find ?name ?email :where [?p :person/name ?name] [?p :person/email ?email]]");
      await page.getByTestId("run-worker").click();
      const meta = page.getByTestId("query-meta");
      await expect(meta).toContainText(`module Worker (${c.variant}, ${c.isolated ? "isolated" : "not isolated"}`, { timeout: 30_000 });
      await expect(meta).toHaveText(/^3 rows · \d+\.\d{2} ms/);
      await expect(resultRows(page)).toHaveCount(3);
      await expect(page.getByTestId("query-result")).toContainText("grace@example.org");
      // Errors come back from the worker with their code.
      await page.getByTestId("query-input").fill("[:find ?x :where");
      await page.getByTestId("run-worker").click();
      await expect(page.getByTestId("error-code")).toHaveText("parse-error");
      expect(errors).toEqual([]);
    });
  });
}

test("the package loads in a plain module Worker of an isolated page", async ({ page }) => {
  const { errors } = await openDemo(page, ISO);
  const out = await page.evaluate(async () => {
    const src = `
      import * as d from "${location.origin}/js/index.js";
      const conn = await d.connect({ schema: { "n/id": { ":db/unique": ":db.unique/identity" } } });
      await conn.transact([{ "n/id": 1, "n/v": "a" }, { "n/id": 2, "n/v": "b" }]);
      postMessage({ rows: conn.db().q("[:find ?v :where [_ :n/v ?v]]").sort(), variant: d.engineStats().variant,
                    isolated: self.crossOriginIsolated });`;
    const url = URL.createObjectURL(new Blob([src], { type: "text/javascript" }));
    const w = new Worker(url, { type: "module" });
    try {
      return await new Promise((resolve, reject) => {
        w.onmessage = (e) => resolve(e.data);
        w.onerror = (e) => reject(new Error(e.message || "worker error"));
        setTimeout(() => reject(new Error("worker timed out")), 30_000);
      });
    } finally {
      w.terminate();
    }
  });
  expect(out.rows).toEqual([["a"], ["b"]]);
  expect(out.isolated).toBe(true);
  expect(out.variant).toBe("mt");
  expect(errors).toEqual([]);
});
