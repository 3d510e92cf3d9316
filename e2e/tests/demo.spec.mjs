// The demo as a user sees it: seed data, the query console, editing,
// history.
import { test, expect } from "@playwright/test";
import { ISO, SEED_TASKS, openDemo, runQuery, resultRows, taskItems, taskItem } from "./helpers.mjs";

test.describe("web demo", () => {
  let report;
  test.beforeEach(async ({ page }) => {
    report = await openDemo(page, ISO);
  });
  test.afterEach(async () => {
    expect(report.errors, "no console errors or uncaught exceptions").toEqual([]);
  });

  test("loads and shows the seed data", async ({ page }) => {
    await expect(taskItems(page)).toHaveCount(SEED_TASKS);
    await expect(taskItem(page, "Design the pricing table")).toBeVisible();
    await expect(taskItem(page, "Design the pricing table")).toContainText("Grace Hopper");
    await expect(taskItem(page, "Design the pricing table")).toContainText("Website launch");
    await expect(page.getByTestId("datoms")).toHaveText(/^\d+ datoms$/);
    await expect(page.getByTestId("activity-log")).toContainText("seed data");
    // The filters are Datalog too.
    await page.getByTestId("filter-tag").selectOption("urgent");
    await expect(taskItems(page)).toHaveCount(4);
    await expect(page.getByTestId("list-query")).toContainText("[?t :task/tags ?tag]");
    await page.getByTestId("filter-tag").selectOption("");
    await page.getByTestId("filter-text").fill("the");
    await expect(taskItems(page)).toHaveCount(6);
  });

  test("a console query shows the right rows and the time", async ({ page }) => {
    await runQuery(page, "[:find ?name ?email :where [?p :person/name ?name] [?p :person/email ?email]]");
    await expect(resultRows(page)).toHaveCount(3);
    await expect(page.locator("[data-testid=query-result] thead th")).toHaveText(["?name", "?email"]);
    for (const name of ["Ada Lovelace", "Alan Turing", "Grace Hopper"]) {
      await expect(page.getByTestId("query-result")).toContainText(name);
    }
    await expect(page.getByTestId("query-meta")).toHaveText(/^3 rows · \d+\.\d{2} ms · main thread/);
    await expect(page.getByTestId("query-error")).toBeHidden();

    // :keys rows, a scalar, and an example with a recursive rule.
    await runQuery(page, "[:find ?title ?status :keys title status :where [?t :task/tags \"urgent\"] [?t :task/title ?title] [?t :task/status ?status]]");
    await expect(resultRows(page)).toHaveCount(4);
    await expect(page.locator("[data-testid=query-result] thead th")).toHaveText(["title", "status"]);
    await expect(page.getByTestId("query-result")).toContainText(":status/doing");

    await runQuery(page, "[:find (count ?t) . :where [?t :task/title]]");
    await expect(resultRows(page)).toHaveCount(1);
    await expect(resultRows(page).first()).toHaveText(String(SEED_TASKS));

    await page.getByTestId("examples").selectOption({ label: "Everything “Deploy” waits for (recursive rule)" });
    await expect(resultRows(page)).toHaveCount(3);
    await expect(page.getByTestId("query-result")).toContainText("Write landing page copy");
  });

  test("every example query runs", async ({ page }) => {
    const labels = await page.locator("[data-testid=examples] option").evaluateAll((os) => os.map((o) => o.textContent).filter((t) => t !== "Examples…"));
    expect(labels.length).toBeGreaterThan(5);
    for (const label of labels) {
      await page.getByTestId("examples").selectOption({ label });
      await expect(page.getByTestId("query-error"), label).toBeHidden();
      await expect(page.getByTestId("query-meta"), label).toHaveText(/\d+ rows? · \d+\.\d{2} ms/);
    }
  });

  test("an invalid query shows a parse-error", async ({ page }) => {
    await runQuery(page, "[:find ?x :where [?x :task/title");
    await expect(page.getByTestId("query-error")).toBeVisible();
    await expect(page.getByTestId("error-code")).toHaveText("parse-error");
    await expect(page.getByTestId("error-message")).not.toBeEmpty();
    await expect(resultRows(page)).toHaveCount(0);
    // An unknown function is a different code; the console stays usable.
    await runQuery(page, "[:find ?x :where [?x :task/title ?t] [(no-such-fn ?t)]]");
    await expect(page.getByTestId("error-code")).toHaveText("invalid-input");
    await runQuery(page, "[:find ?t :where [_ :task/title ?t]]");
    await expect(resultRows(page)).toHaveCount(SEED_TASKS);
    await expect(page.getByTestId("query-error")).toBeHidden();
  });

  test("editing an entity updates the list, the activity and the history", async ({ page }) => {
    await taskItem(page, "Buy groceries").click();
    const form = page.getByTestId("task-form");
    await expect(form).toBeVisible();
    await expect(page.getByTestId("edit-title")).toHaveValue("Buy groceries");
    await page.getByTestId("edit-title").fill("Buy groceries and flowers");
    await page.getByTestId("edit-tags").fill("errand, garden");
    await page.getByTestId("edit-status").selectOption(":status/doing");
    await page.getByTestId("save-task").click();

    const item = taskItem(page, "Buy groceries and flowers");
    await expect(item).toBeVisible();
    await expect(item).toHaveAttribute("data-status", ":status/doing");
    await expect(item).toContainText("garden");
    await expect(taskItem(page, "Buy groceries")).toHaveCount(0);
    await expect(taskItems(page)).toHaveCount(SEED_TASKS);
    await expect(page.getByTestId("activity-log").locator("li").first()).toContainText('edited "Buy groceries and flowers"');

    // The entity's history has the old title retracted and the new one added.
    const hist = page.getByTestId("entity-history");
    await expect(hist.locator("tr.retracted", { hasText: "Buy groceries" }).first()).toBeVisible();
    await expect(hist.locator("tr.added", { hasText: "Buy groceries and flowers" })).toHaveCount(1);

    // The query console sees the new value.
    await runQuery(page, "[:find ?tag :where [?t :task/title \"Buy groceries and flowers\"] [?t :task/tags ?tag]]");
    await expect(resultRows(page)).toHaveCount(2);

    // asOf the seed transaction, the old title is back.
    const txs = page.getByTestId("tx-select");
    await expect(txs.locator("option")).toHaveCount(2);
    const seedTx = await txs.locator("option").last().getAttribute("value");
    await txs.selectOption(seedTx);
    await expect(page.getByTestId("asof-tasks").locator("tbody tr")).toHaveCount(SEED_TASKS);
    await expect(page.getByTestId("asof-tasks")).toContainText("Buy groceries");
    await expect(page.getByTestId("asof-tasks")).not.toContainText("flowers");
    // The console can query that value too.
    await page.getByTestId("query-source").selectOption("asof");
    await runQuery(page, "[:find ?title . :where [?t :task/tags \"errand\"] [?t :task/title ?title] [?t :task/priority 2]]");
    await expect(resultRows(page).first()).toHaveText("Buy groceries");
  });

  test("create, advance status (cas) and delete", async ({ page }) => {
    await page.getByTestId("new-task").click();
    await page.getByTestId("edit-title").fill("Water the plants");
    await page.getByTestId("edit-project").fill("Garden");  // a new project: upserted by name
    await page.getByTestId("edit-assignee").selectOption({ label: "Alan Turing" });
    await page.getByTestId("edit-due").fill("2030-05-01");
    await page.getByTestId("edit-tags").fill("outdoors");
    await page.getByTestId("save-task").click();

    const item = taskItem(page, "Water the plants");
    await expect(item).toBeVisible();
    await expect(item).toContainText("Garden");
    await expect(item).toContainText("2030-05-01");
    await expect(taskItems(page)).toHaveCount(SEED_TASKS + 1);
    await expect(page.getByTestId("filter-project").locator("option", { hasText: "Garden" })).toHaveCount(1);

    await item.getByTestId("advance-status").click();
    await expect(item).toHaveAttribute("data-status", ":status/doing");
    await expect(page.getByTestId("activity-log").locator("li").first()).toContainText("To do → Doing");

    // Naming an existing project upserts onto it (no duplicate project).
    await page.getByTestId("edit-project").fill("Home");
    await page.getByTestId("save-task").click();
    await expect(item).toContainText("Home");
    await runQuery(page, "[:find (count ?p) . :where [?p :project/name \"Home\"]]");
    await expect(resultRows(page).first()).toHaveText("1");

    await page.getByTestId("delete-task").click();
    await expect(taskItem(page, "Water the plants")).toHaveCount(0);
    await expect(taskItems(page)).toHaveCount(SEED_TASKS);
    await expect(page.getByTestId("task-form")).toBeHidden();
    await expect(page.getByTestId("activity-log").locator("li").first()).toContainText('deleted "Water the plants"');
  });

  test("reset brings the seed data back", async ({ page }) => {
    await taskItem(page, "Fix the bike").getByTestId("advance-status").click();
    await expect(taskItem(page, "Fix the bike")).toHaveAttribute("data-status", ":status/done");
    await page.getByTestId("reset").click();
    await expect(taskItem(page, "Fix the bike")).toHaveAttribute("data-status", ":status/doing");
    await expect(page.getByTestId("activity-log").locator("li")).toHaveCount(1);
  });
});

test("a store that cannot be opened falls back to memory and says so", async ({ page }) => {
  const { errors } = await openDemo(page, "/web-demo/?store=no-such-backend");
  await expect(page.getByTestId("store")).toContainText("memory");
  await expect(page.getByTestId("status")).toContainText("no-such-backend unavailable: store-error");
  await expect(page.getByTestId("store-switch")).toHaveValue("memory");
  await expect(taskItems(page)).toHaveCount(SEED_TASKS);
  expect(errors).toEqual([]);
});
