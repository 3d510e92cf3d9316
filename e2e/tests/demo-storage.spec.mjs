// The demo's durable stores: IndexedDB by default (tasks survive a reload,
// reset survives too, a second tab is read-only), and the store switch to
// SQLite in OPFS kept by a Worker (tasks survive a reload; the file is one
// the engine can also open inside a worker: web-demo/sqlite-worker.mjs).
import { test, expect } from "@playwright/test";
import { ISO, NOISO, SEED_TASKS, openDemo, taskItems, taskItem } from "./helpers.mjs";

// Creates a task through the editor and waits until it is durable.
async function createTask(page, title, project) {
  await page.getByTestId("new-task").click();
  await page.getByTestId("edit-title").fill(title);
  await page.getByTestId("edit-project").fill(project);
  await page.getByTestId("edit-tags").fill("persisted");
  await page.getByTestId("save-task").click();
  await expect(taskItem(page, title)).toBeVisible();
  await expect(page.getByTestId("save-state")).toHaveText("all changes saved");
}

async function reloadDemo(page) {
  await page.reload();
  await expect(page.locator("html")).toHaveAttribute("data-ready", "true", { timeout: 30_000 });
}

// Navigating away (the store switch) cancels what the old document or its
// workers were still fetching, e.g. sqlite-wasm's OPFS proxy script, which
// it loads in isolated workers for the "opfs" VFS the demo does not use.
const notAborted = (errors) => errors.filter((e) => !/^requestfailed: .* net::ERR_ABORTED$/.test(e));

const openMs = async (page) => Number((await page.getByTestId("open-ms").textContent()).match(/(\d+) ms/)[1]);

for (const [where, path] of [["isolated", ISO], ["not isolated", NOISO]]) {
  test(`demo (${where}): IndexedDB is the default store; tasks, edits and history survive a reload`, async ({ page }) => {
    const { errors } = await openDemo(page, path);
    await expect(page.getByTestId("store")).toHaveText('IndexedDB "datalite-web-demo"');
    await expect(page.getByTestId("store-switch")).toHaveValue("indexeddb");
    await expect(taskItems(page)).toHaveCount(SEED_TASKS);
    const firstOpen = await openMs(page);

    await createTask(page, "Water the plants", "Garden");
    await taskItem(page, "Water the plants").getByTestId("advance-status").click();
    await expect(taskItem(page, "Water the plants")).toHaveAttribute("data-status", ":status/doing");
    await expect(page.getByTestId("save-state")).toHaveText("all changes saved");
    await taskItem(page, "Fix the bike").click();
    await page.getByTestId("delete-task").click();
    await expect(taskItem(page, "Fix the bike")).toHaveCount(0);
    await expect(page.getByTestId("save-state")).toHaveText("all changes saved");

    await reloadDemo(page);
    const reopened = await openMs(page);
    console.log(`demo (${where}) on IndexedDB: store opened in ${firstOpen} ms (new), ${reopened} ms after reload (prefetch of the whole store)`);
    await expect(taskItems(page)).toHaveCount(SEED_TASKS);  // +1 created, -1 deleted
    await expect(taskItem(page, "Water the plants")).toHaveAttribute("data-status", ":status/doing");
    await expect(taskItem(page, "Water the plants")).toContainText("Garden");
    await expect(taskItem(page, "Fix the bike")).toHaveCount(0);
    // the history is stored too: seed, create, cas, delete
    await expect(page.getByTestId("tx-select").locator("option")).toHaveCount(4);
    await expect(page.getByTestId("activity-log").locator("li")).toHaveCount(0);  // nothing transacted in this page yet
    expect(errors).toEqual([]);
  });
}

test("demo: reset on IndexedDB deletes the stored database; the reseeded one survives a reload", async ({ page }) => {
  const { errors } = await openDemo(page);
  await createTask(page, "Temporary", "Home");
  await page.getByTestId("reset").click();
  await expect(taskItem(page, "Temporary")).toHaveCount(0);
  await expect(page.getByTestId("save-state")).toHaveText("all changes saved");
  await reloadDemo(page);
  await expect(taskItems(page)).toHaveCount(SEED_TASKS);
  await expect(taskItem(page, "Temporary")).toHaveCount(0);
  await expect(page.getByTestId("tx-select").locator("option")).toHaveCount(1);
  expect(errors).toEqual([]);
});

test("demo: a second tab on IndexedDB is read-only, says so, and an edit fails with a read-only store-error", async ({ context }) => {
  const tab1 = await context.newPage();
  const first = await openDemo(tab1);
  await createTask(tab1, "From tab one", "Home");

  const tab2 = await context.newPage();
  const second = await openDemo(tab2);
  await expect(tab2.getByTestId("status")).toContainText("read-only: another tab has this database open for writing");
  await expect(tab2.getByTestId("save-state")).toHaveText("read-only");
  await expect(taskItem(tab2, "From tab one")).toBeVisible();  // the data as of its opening
  await taskItem(tab2, "Buy groceries").click();
  await tab2.getByTestId("edit-title").fill("Edited in tab two");
  await tab2.getByTestId("save-task").click();
  await expect(tab2.getByTestId("editor-error")).toBeVisible();
  await expect(tab2.getByTestId("editor-error")).toContainText("store-error");
  await expect(tab2.getByTestId("editor-error")).toContainText("is read-only here: another tab or connection holds its writer lock");
  await expect(taskItem(tab2, "Edited in tab two")).toHaveCount(0);

  // Closing the first tab frees the lock: the second one reloads as the writer.
  await tab1.close();
  await reloadDemo(tab2);
  await expect(tab2.getByTestId("status")).not.toContainText("read-only");
  await taskItem(tab2, "Buy groceries").click();
  await tab2.getByTestId("edit-title").fill("Edited in tab two");
  await tab2.getByTestId("save-task").click();
  await expect(taskItem(tab2, "Edited in tab two")).toBeVisible();
  expect(first.errors).toEqual([]);
  expect(second.errors).toEqual([]);
});

for (const [where, path] of [["isolated", ISO], ["not isolated", NOISO]]) {
  test(`demo (${where}): the store switch moves to SQLite in OPFS (worker); tasks survive a reload; reset works`, async ({ page }) => {
    test.setTimeout(90_000);
    const { errors } = await openDemo(page, path);
    await page.getByTestId("store-switch").selectOption("sqlite");
    await page.waitForURL(/[?&]store=sqlite/);
    await expect(page.locator("html")).toHaveAttribute("data-ready", "true", { timeout: 30_000 });
    await expect(page.getByTestId("store")).toHaveText("SQLite /datalite-web-demo.sqlite3 in OPFS (opfs-sahpool, in a Worker)");
    await expect(page.getByTestId("store-switch")).toHaveValue("sqlite");
    await expect(page.getByTestId("status")).not.toContainText("unavailable");
    await expect(taskItems(page)).toHaveCount(SEED_TASKS);
    const firstOpen = await openMs(page);

    await createTask(page, "Stored in SQLite", "Garden");
    await reloadDemo(page);
    const reopened = await openMs(page);
    console.log(`demo (${where}) on SQLite/OPFS via a worker: store opened in ${firstOpen} ms (new), ${reopened} ms after reload`);
    await expect(page.getByTestId("store-switch")).toHaveValue("sqlite");
    await expect(taskItem(page, "Stored in SQLite")).toContainText("Garden");
    await expect(taskItems(page)).toHaveCount(SEED_TASKS + 1);

    // reset = deleteDatabase on the custom store (clear() + one commit)
    await page.getByTestId("reset").click();
    await expect(taskItem(page, "Stored in SQLite")).toHaveCount(0);
    await expect(page.getByTestId("save-state")).toHaveText("all changes saved");
    await reloadDemo(page);
    await expect(taskItems(page)).toHaveCount(SEED_TASKS);
    await expect(page.getByTestId("tx-select").locator("option")).toHaveCount(1);

    // the IndexedDB database is a separate one: still the seed data there
    await page.getByTestId("store-switch").selectOption("indexeddb");
    await page.waitForURL(/[?&]store=indexeddb/);
    await expect(page.locator("html")).toHaveAttribute("data-ready", "true", { timeout: 30_000 });
    await expect(page.getByTestId("store")).toHaveText('IndexedDB "datalite-web-demo"');
    await expect(taskItem(page, "Stored in SQLite")).toHaveCount(0);
    expect(notAborted(errors)).toEqual([]);
  });
}

test("demo: the SQLite file the demo writes opens in the engine running inside a worker (sqlite-worker.mjs)", async ({ context }) => {
  const demo = await context.newPage();
  const { errors } = await openDemo(demo, "/web-demo/?store=sqlite");
  await createTask(demo, "Read by the engine in a worker", "Garden");
  await demo.close();  // releases the OPFS pool

  const page = await context.newPage();
  await page.goto("/web-demo/README.md");  // any same-origin document
  const titles = await page.evaluate(async () => {
    const worker = new Worker("/web-demo/sqlite-worker.mjs", { type: "module" });
    let next = 0;
    const pending = new Map();
    await new Promise((resolve) => {
      worker.onmessage = ({ data }) => {
        if (data.ready) return resolve();
        const p = pending.get(data.id);
        if (data.ok) p.resolve(data.result);
        else p.reject(new Error(`${data.code}: ${data.message}`));
      };
    });
    const call = (op, args) => new Promise((resolve, reject) => {
      pending.set(++next, { resolve, reject });
      worker.postMessage({ id: next, op, args });
    });
    await call("open", { path: "/datalite-web-demo.sqlite3" });
    const out = await call("q", { query: "[:find [?title ...] :where [?t :task/title ?title]]" });
    await call("close");
    worker.terminate();
    return out;
  });
  expect(titles).toHaveLength(SEED_TASKS + 1);
  expect(titles).toContain("Read by the engine in a worker");
  expect(errors).toEqual([]);
});
