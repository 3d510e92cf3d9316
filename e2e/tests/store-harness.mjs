// A blank same-origin page for the store tests: Playwright answers
// /store-harness/ itself (no file is served for it), and the page imports
// /js/stores/*.js from the demo server. Every test fails on console errors,
// uncaught exceptions, failed requests and HTTP errors seen by the page.
import { chromium, expect } from "@playwright/test";
import { readdirSync, readFileSync } from "node:fs";

export const HARNESS = "/store-harness/";
const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>datalite store harness</title>
<link rel="icon" href="data:,"></head><body><p>datalite store harness</p></body></html>`;

// Serves the harness in `page`'s context and collects what the page reports.
export async function openHarness(page) {
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
  await page.route(`**${HARNESS}`, (route) => route.fulfill({ status: 200, contentType: "text/html; charset=utf-8", body: PAGE }));
  await page.goto(HARNESS);
  return problems;
}

export function expectNoProblems(problems) {
  expect(problems, problems.join("\n")).toEqual([]);
}

// A browser with an on-disk profile in `dir` (Playwright's default contexts
// are off-the-record: Chromium keeps their IndexedDB and OPFS in memory, so
// durability numbers and crash tests need a real profile). Same launch
// options and base URL as the project.
export async function launchProfile(dir, testInfo) {
  const use = testInfo.project.use;
  const context = await chromium.launchPersistentContext(dir, { ...use.launchOptions, headless: true, baseURL: use.baseURL });
  return context;
}

// SIGKILLs the browser process that runs the profile in `dir` (found by its
// --user-data-dir argument: only the browser this test launched) and waits
// for Playwright to notice.
export async function killProfileBrowser(context, dir) {
  const pids = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let args;
    try {
      args = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
    } catch {
      continue;  // exited meanwhile
    }
    if (args.some((a) => a.startsWith("--user-data-dir") && a.includes(dir)) && !args.some((a) => a.startsWith("--type="))) pids.push(Number(entry));
  }
  if (pids.length !== 1) throw new Error(`expected one browser process for ${dir}, found ${pids.length}`);
  const closed = new Promise((resolve) => context.once("close", resolve));
  process.kill(pids[0], "SIGKILL");
  await closed;
}
