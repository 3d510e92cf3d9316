// Time travel: pick a transaction, see the database as of it (db.asOf) and
// what that transaction changed (db.history()).
import * as model from "./model.js";
import { $, h, clear, cell, formatTime } from "./dom.js";

export function createHistory(app) {
  const select = $("#tx-select");
  // tx: the chosen transaction, or null to follow the latest one.
  const state = { tx: null, txs: [] };

  select.addEventListener("change", () => {
    const tx = Number(select.value);
    state.tx = state.txs.length && tx === state.txs[0].tx ? null : tx;
    render();
  });
  const step = (delta) => {
    const i = state.txs.findIndex((t) => t.tx === selectedTx());
    const next = state.txs[Math.min(Math.max(i + delta, 0), state.txs.length - 1)];
    if (!next) return;
    state.tx = next === state.txs[0] ? null : next.tx;
    render();
  };
  $("#tx-prev").addEventListener("click", () => step(+1));  // the list is newest first
  $("#tx-next").addEventListener("click", () => step(-1));

  function selectedTx() {
    return state.tx ?? state.txs[0]?.tx ?? null;
  }

  function render() {
    const db = app.db();
    state.txs = model.listTransactions(db);
    if (state.tx !== null && !state.txs.some((t) => t.tx === state.tx)) state.tx = null;
    const tx = selectedTx();
    clear(select, state.txs.map((t, i) => h("option", { value: String(t.tx) },
      `tx ${t.tx} · ${formatTime(t.instant)}${t.note ? " · " + t.note : ""}${i === 0 ? " (latest)" : ""}`)));
    if (tx === null) {
      $("#asof-summary").textContent = "No transactions yet.";
      return;
    }
    select.value = String(tx);

    const asOf = db.asOf(tx);
    const hist = db.history();
    try {
      const changed = model.txDatoms(hist, tx);
      const touched = new Set(changed.map((d) => d.e));
      const ids = asOf.q(`[:find [?t ...] :where [?t :task/title]]`);
      const tasks = ids.length ? asOf.pullMany(`[:db/id :task/title :task/status :task/tags]`, ids) : [];
      tasks.sort((a, b) => a[":task/title"].localeCompare(b[":task/title"]));
      const info = state.txs.find((t) => t.tx === tx);
      const added = changed.filter((d) => d.added).length;
      $("#asof-summary").textContent =
        `As of tx ${tx}${state.tx === null ? " (latest)" : ""}, ${formatTime(info.instant)}` +
        `${info.note ? ` — ${info.note}` : ""}: ${tasks.length} tasks, ${asOf.count} datoms. ` +
        `This transaction added ${added} and retracted ${changed.length - added} datoms.`;
      clear($("[data-testid=asof-tasks] tbody"), tasks.map((t) => h("tr", { class: touched.has(t[":db/id"]) ? "touched" : "" },
        h("td", {}, t[":task/title"]),
        h("td", {}, cell(t[":task/status"])),
        h("td", {}, (t[":task/tags"] ?? []).join(", ")))));

      const labels = new Map();
      const label = (e) => {
        if (!labels.has(e)) labels.set(e, model.entityLabel(hist, e));
        return labels.get(e);
      };
      clear($("[data-testid=tx-datoms] tbody"), changed.map((d) => {
        const v = model.REF_ATTRS.has(d.a) ? [cell(d.v), h("span", { class: "muted" }, ` ${label(d.v) ?? ""}`)] : cell(d.v);
        return h("tr", { class: d.added ? "added" : "retracted" },
          h("td", { class: "op" }, d.added ? "+" : "−"),
          h("td", { class: "num", title: label(d.e) ?? "" }, String(d.e)),
          h("td", {}, h("span", { class: "kw" }, d.a)),
          h("td", {}, v),
          h("td", { class: "num" }, String(d.tx)));
      }));
    } finally {
      asOf.dispose();
      hist.dispose();
    }
  }

  return {
    render,
    selectedTx,
    show(tx) {
      state.tx = tx;
      render();
      $("#history").scrollIntoView({ behavior: "smooth", block: "start" });
    },
    reset() {
      state.tx = null;
    },
  };
}
