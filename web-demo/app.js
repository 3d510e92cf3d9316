// datalite tasks: a small offline task manager on datalite.
//
// Loads the package straight from the repository ("/js/index.js": no bundler,
// no network beyond this origin), opens the database the URL asks for
// (config.js), seeds it when empty, and wires the views. Every view renders
// from the connection's current db and re-renders from conn.listen, so an
// edit anywhere shows up everywhere.
import * as d from "/js/index.js";
import * as model from "./model.js";
import { databaseConfig, describeStore, FALLBACK_STORE, STORE_CHOICES, storeFromUrl, storeKind } from "./config.js";
import { $, h, clear, formatTime } from "./dom.js";
import { createTasks } from "./tasks.js";
import { createHistory } from "./history.js";
import { createConsole } from "./console.js";

const app = {
  d,
  conn: null,
  config: null,
  variant: "?",
  loadMs: 0,
  openMs: 0,       // connect(): opening the store (IndexedDB: prefetching it)
  storeNote: "",
  saving: 0,       // transactions not yet durable
  unlisten: null,
  activity: [],

  db() {
    return this.conn.db();
  },

  // A change is { txData, note }; the note is stored on the transaction
  // entity (:tx/note) so the history can say what happened.
  // Resolves once the transaction is durable (durability "strict").
  async transact({ txData, note }) {
    this.saving++;
    renderSaveState();
    try {
      return await this.conn.transact(txData, note ? { "tx/note": note } : undefined);
    } finally {
      this.saving--;
      renderSaveState();
    }
  },
};

// For poking around from the devtools console.
globalThis.datalite = d;
globalThis.demo = app;

function fatal(err) {
  console.error(err);
  const box = $("#fatal");
  box.hidden = false;
  clear(box, h("strong", {}, "The demo could not start: "), h("code", {}, err?.code ?? "error"), " ", err?.message ?? String(err));
  $("#status").textContent = "Engine failed to load.";
  document.documentElement.dataset.ready = "error";
}

async function openConnection(store) {
  const config = databaseConfig(store);
  const t0 = performance.now();
  const conn = await d.connect(config);
  app.openMs = performance.now() - t0;
  return { config, conn };
}

function attach(conn, config) {
  app.conn = conn;
  app.config = config;
  app.unlisten = conn.listen(onReport);
}

async function seedIfEmpty() {
  const hasTasks = app.db().q(`[:find ?t . :where [?t :task/title]]`) !== null;
  if (!hasTasks && !app.conn.stats().readOnly) await app.transact({ txData: model.seedTx(), note: "seed data" });
}

// A second tab on the same IndexedDB database opens it read-only (one
// writer per database): it shows the data as of its opening, edits fail.
function noteReadOnly() {
  if (app.conn.stats().readOnly) {
    app.storeNote = "read-only: another tab has this database open for writing; close it and reload to edit";
  }
}

// ------------------------------------------------------------------ live updates

function onReport(report) {
  const note = report.txData.find((x) => x.a === ":tx/note" && x.e === report.tx)?.v ?? "";
  const data = report.txData.filter((x) => x.e !== report.tx);  // leave out :db/txInstant and tx meta
  const added = data.filter((x) => x.added).length;
  app.activity.unshift({ tx: report.tx, at: new Date(), note, added, retracted: data.length - added });
  app.activity.length = Math.min(app.activity.length, 100);
  renderAll();
}

function renderActivity() {
  clear($("#activity-log"), app.activity.map((a) => h("li", { dataset: { tx: a.tx } },
    h("a", { href: "#history", onclick: () => app.history.show(a.tx) }, `tx ${a.tx}`),
    h("span", { class: "muted" }, ` ${formatTime(a.at)} `),
    h("span", { class: "note" }, a.note || "(no note)"),
    h("span", { class: "delta" }, ` +${a.added} / −${a.retracted} datoms`))));
}

function renderStatus() {
  const db = app.db();
  const isolated = globalThis.crossOriginIsolated === true;
  const other = isolated ? `/noiso${location.pathname}` : location.pathname.replace(/^\/noiso/, "");
  clear($("#status"),
    "engine ", h("b", { dataset: { testid: "variant" } }, app.variant),
    app.variant === "mt" ? " (threaded wasm)" : " (single-threaded wasm)",
    " · crossOriginIsolated ", h("b", { dataset: { testid: "isolated" } }, String(isolated)),
    " · loaded in ", `${app.loadMs.toFixed(0)} ms`,
    " · store ", h("span", { dataset: { testid: "store" } }, describeStore(app.config.store)),
    app.config.store.backend !== "memory" && h("span", { dataset: { testid: "open-ms" } }, ` opened in ${app.openMs.toFixed(0)} ms`),
    app.storeNote && h("span", { class: "warn" }, ` (${app.storeNote})`),
    " · ", h("span", { dataset: { testid: "datoms" } }, `${db.count} datoms`),
    " · basis tx ", String(db.maxTx),
    " · ", h("a", { href: other + location.search }, isolated ? "open without isolation" : "open with COOP/COEP"));
}

function renderSaveState() {
  const el = $("#save-state");
  if (!el || !app.config) return;
  const durable = app.config.store.backend !== "memory";
  el.dataset.saving = String(app.saving);
  el.textContent = app.saving ? "saving…" : app.conn?.stats().readOnly ? "read-only" : durable ? "all changes saved" : "not persisted";
}

// The store switch: reloads the page with ?store=<choice>.
function renderStoreSwitch() {
  const select = $("#store-switch");
  const current = app.config.store === FALLBACK_STORE ? "memory" : storeKind(location.href);
  clear(select, STORE_CHOICES.map((c) => h("option", { value: c.value, selected: c.value === current }, c.label)));
  select.onchange = () => {
    const url = new URL(location.href);
    url.searchParams.set("store", select.value);
    location.assign(url);
  };
}

function renderAll() {
  renderStatus();
  app.tasks.render();
  app.history.render();
  renderActivity();
}

// ------------------------------------------------------------------ start

async function start() {
  const t0 = performance.now();
  await d.init();
  app.loadMs = performance.now() - t0;
  app.variant = d.engineStats().variant;

  let store = storeFromUrl(location.href);
  let opened;
  try {
    opened = await openConnection(store);
  } catch (err) {
    if (store.backend === "memory") throw err;
    // A store this build does not have yet: say so and carry on in memory.
    app.storeNote = `${describeStore(store)} unavailable: ${err.code ?? "error"}: ${err.message}`;
    store = FALLBACK_STORE;
    opened = await openConnection(store);
  }

  app.tasks = createTasks(app);
  app.history = createHistory(app);
  app.console = createConsole(app);
  attach(opened.conn, opened.config);
  noteReadOnly();
  await seedIfEmpty();
  renderStoreSwitch();
  renderSaveState();
  renderAll();
  app.console.run();

  $("#reset").addEventListener("click", reset);
  $("#export-edn").addEventListener("click", exportEdn);
  document.documentElement.dataset.ready = "true";
  document.documentElement.dataset.variant = app.variant;
}

async function reset() {
  // deleteDatabase from a read-only tab would delete the writer tab's
  // database under it (IndexedDB lets any tab delete a database).
  if (app.conn.stats().readOnly) {
    app.storeNote = "read-only: reset from the tab that has the database open for writing";
    renderStatus();
    return;
  }
  app.unlisten?.();
  await app.conn.close();
  await d.deleteDatabase(app.config);
  app.activity = [];
  app.tasks.reset();
  app.history.reset();
  attach(await d.connect(app.config), app.config);
  await seedIfEmpty();
  renderAll();
}

function exportEdn() {
  const blob = new Blob([app.db().toEDN()], { type: "application/edn" });
  const a = h("a", { href: URL.createObjectURL(blob), download: "datalite-tasks.edn" });
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

start().catch(fatal);
