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

// SIGKILLs the browser that runs the profile in `dir` (its main process is
// found by its --user-data-dir argument: only the browser this test
// launched) together with every process it spawned, as a crash of the whole
// browser would, and waits until all of them are gone. Killing only the main
// process left the storage/GPU children alive for a moment, still holding
// the profile's LevelDB lock, and the relaunch then failed with "Internal
// error opening backing store for indexedDB.open".
export async function killProfileBrowser(context, dir) {
  const table = processTable();
  const mains = [...table].filter(([, p]) =>
    p.args.some((a) => a.startsWith("--user-data-dir") && a.includes(dir)) && !p.args.some((a) => a.startsWith("--type=")));
  if (mains.length !== 1) throw new Error(`expected one browser process for ${dir}, found ${mains.length}`);
  const victims = [mains[0][0]];
  for (let i = 0; i < victims.length; i++) {
    for (const [pid, p] of table) if (p.ppid === victims[i]) victims.push(pid);
  }
  const closed = new Promise((resolve) => context.once("close", resolve));
  for (const pid of victims) {
    try { process.kill(pid, "SIGKILL"); } catch { /* exited meanwhile */ }
  }
  await closed;
  const deadline = Date.now() + 10_000;
  while (victims.some(alive)) {
    if (Date.now() > deadline) throw new Error(`browser processes ${victims.filter(alive).join(" ")} outlived SIGKILL`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

// pid -> { ppid, args } for every process we can read.
function processTable() {
  const table = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const args = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      table.set(Number(entry), { ppid, args });
    } catch {
      continue;  // exited meanwhile
    }
  }
  return table;
}

// A zombie has released its files and locks: it counts as gone.
function alive(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}
