// Shared steps: open the demo, collect what the page reports.
import { expect } from "@playwright/test";

export const ISO = "/web-demo/";
export const NOISO = "/noiso/web-demo/";
export const SEED_TASKS = 11;

// Opens the demo at `path` and waits until the engine is loaded and the seed
// data is rendered. Returns the page's console errors and uncaught errors
// (arrays that keep filling while the test runs).
export async function openDemo(page, path = ISO) {
  const errors = [];
  const log = [];
  page.on("console", (msg) => {
    log.push(`[${msg.type()}] ${msg.text()}`);
    if (msg.type() === "error") errors.push(`console.error: ${msg.text()}`);
  });
  page.on("pageerror", (err) => errors.push(`pageerror: ${err.message}`));
  page.on("response", (res) => {
    if (res.status() >= 400) errors.push(`http ${res.status()}: ${res.url()}`);
  });
  page.on("requestfailed", (req) => errors.push(`requestfailed: ${req.url()} ${req.failure()?.errorText}`));
  await page.goto(path);
  const ready = page.locator("html[data-ready]");
  await expect(ready, `demo never got ready; console:\n${log.join("\n")}`).toHaveAttribute("data-ready", /true|error/, { timeout: 30_000 });
  const state = await page.locator("html").getAttribute("data-ready");
  if (state !== "true") {
    throw new Error(`demo failed to start: ${await page.getByTestId("fatal").textContent()}\n${errors.join("\n")}\n${log.join("\n")}`);
  }
  return { errors, log };
}

export async function runQuery(page, query) {
  await page.getByTestId("query-input").fill(query);
  await page.getByTestId("run-query").click();
}

export const resultRows = (page) => page.locator("[data-testid=query-result] tbody tr");
export const taskItems = (page) => page.getByTestId("task-list").getByTestId("task-item");
export const taskItem = (page, title) => taskItems(page).filter({ has: page.getByTestId("task-title").getByText(title, { exact: true }) });
