// A blank same-origin page for tests of the whole package (engine + durable
// stores): Playwright answers /engine-harness/ itself, with or without
// COOP/COEP (isolated: the package loads its threaded build "mt"; not: the
// single-threaded "st"), and the page imports /js/index.js from the demo
// server. Like store-harness.mjs, it collects console errors, uncaught
// exceptions, failed requests and HTTP errors seen by the page.
import { expect } from "@playwright/test";

export const ENGINE_HARNESS = "/engine-harness/";
const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>datalite engine harness</title>
<link rel="icon" href="data:,"></head><body><p>datalite engine harness</p></body></html>`;
const ISOLATION = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
};

export const VARIANTS = [
  { name: "st", isolated: false },
  { name: "mt", isolated: true },
];

// Routes the harness in `page`'s context (once per context) and opens it.
// Returns the list of problems the page reports (it keeps filling).
export async function openEngineHarness(page, { isolated = false } = {}) {
  const problems = [];
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.push(`console.error: ${msg.text()}`);
  });
  page.on("pageerror", (err) => problems.push(`pageerror: ${err.message}`));
  page.on("response", (res) => {
    if (res.status() >= 400) problems.push(`http ${res.status()}: ${res.url()}`);
  });
  page.on("requestfailed", (req) => {
    // a reload cancels what the old document was still fetching
    if (!/ERR_ABORTED/.test(req.failure()?.errorText ?? "")) problems.push(`requestfailed: ${req.url()} ${req.failure()?.errorText}`);
  });
  await page.route(`**${ENGINE_HARNESS}`, (route) => route.fulfill({
    status: 200,
    contentType: "text/html; charset=utf-8",
    headers: isolated ? ISOLATION : {},
    body: PAGE,
  }));
  await page.goto(ENGINE_HARNESS);
  return problems;
}

export function expectNoProblems(problems) {
  expect(problems, problems.join("\n")).toEqual([]);
}
