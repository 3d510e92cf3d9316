// The demo server: headers, MIME types, and what it refuses to serve.
import { test, expect } from "@playwright/test";

const ISOLATION = {
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-embedder-policy": "require-corp",
  "cross-origin-resource-policy": "same-origin",
};

test("sends COOP/COEP/CORP everywhere but under /noiso/", async ({ request }) => {
  const iso = await request.get("/web-demo/");
  expect(iso.status()).toBe(200);
  expect(iso.headers()).toMatchObject(ISOLATION);
  const noiso = await request.get("/noiso/web-demo/");
  expect(noiso.status()).toBe(200);
  for (const h of Object.keys(ISOLATION)) expect(noiso.headers()[h]).toBeUndefined();
  expect(await noiso.text()).toBe(await iso.text());
});

test("serves the right MIME types", async ({ request }) => {
  const types = {
    "/web-demo/index.html": "text/html",
    "/web-demo/style.css": "text/css",
    "/web-demo/app.js": "text/javascript",
    "/js/index.js": "text/javascript",
    "/dist/wasm/datalite.mjs": "text/javascript",
    "/dist/wasm/datalite.wasm": "application/wasm",
    "/dist/wasm-mt-web/datalite-mt.mjs": "text/javascript",
    "/dist/wasm-mt-web/datalite-mt.wasm": "application/wasm",
    "/dist/wasm-mt-web/datalite-mt.worker.js": "text/javascript",
    "/dist/wasm-mt/package.json": "application/json",
  };
  for (const [path, type] of Object.entries(types)) {
    const res = await request.get(path);
    expect(res.status(), path).toBe(200);
    expect(res.headers()["content-type"], path).toContain(type);
  }
});

test("serves only web-demo/, js/ and dist/, never outside the repo", async ({ request }) => {
  for (const path of ["/src/db/db.h", "/.git/config", "/package.json", "/CMakeLists.txt", "/e2e/package.json",
    "/web-demo/../package.json", "/web-demo/%2e%2e/package.json", "/js/..%2fpackage.json", "/js/%2e%2e%2fsrc%2fdb%2fdb.h",
    "/dist/..%5c..%5cetc/passwd", "/noiso/src/db/db.h", "/web-demo/nope.js", "/%2e%2e/%2e%2e/etc/passwd"]) {
    const res = await request.get(path);
    expect(res.status(), path).toBe(404);
  }
  const root = await request.get("/", { maxRedirects: 0 });
  expect(root.status()).toBe(302);
  expect(root.headers()["location"]).toBe("/web-demo/");
  const post = await request.post("/web-demo/", { data: "x" });
  expect(post.status()).toBe(405);
});
