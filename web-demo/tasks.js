// The task list (filters, quick status changes) and the editor (create, edit,
// delete, the entity's history). Both re-render from conn.listen reports.
import * as model from "./model.js";
import { $, h, clear, cell, formatDate, formatTime } from "./dom.js";

const STATUS_ICONS = { ":status/todo": "○", ":status/doing": "◐", ":status/done": "●" };

export function createTasks(app) {
  const list = $("#task-list");
  const filtersForm = $("#filters");
  const form = $("#task-form");
  const state = { filters: {}, selected: null, dirty: false };

  // ------------------------------------------------------------ filters

  const statusFilter = filtersForm.elements.status;
  for (const s of model.STATUSES) statusFilter.append(h("option", { value: s }, model.STATUS_LABELS[s]));
  for (const s of model.STATUSES) form.elements.status.append(h("option", { value: s }, model.STATUS_LABELS[s]));

  const readFilters = () => {
    const f = Object.fromEntries(new FormData(filtersForm));
    state.filters = {
      text: f.text?.trim() || undefined,
      project: f.project ? Number(f.project) : undefined,
      status: f.status || undefined,
      assignee: f.assignee ? Number(f.assignee) : undefined,
      tag: f.tag || undefined,
    };
    renderList();
  };
  filtersForm.addEventListener("input", readFilters);
  filtersForm.addEventListener("submit", (e) => e.preventDefault());

  function fillSelect(select, options, keepLabel) {
    const value = select.value;
    clear(select, h("option", { value: "" }, keepLabel), options.map(([v, label]) => h("option", { value: String(v) }, label)));
    if ([...select.options].some((o) => o.value === value)) select.value = value;
  }

  function renderFilterOptions(db) {
    fillSelect(filtersForm.elements.project, model.listProjects(db).map((p) => [p.id, p.name]), "All projects");
    fillSelect(filtersForm.elements.assignee, model.listPeople(db).map((p) => [p.id, p.name]), "Anyone");
    fillSelect(filtersForm.elements.tag, model.listTags(db).map(([t, n]) => [t, `${t} (${n})`]), "Any tag");
  }

  // ------------------------------------------------------------ list

  function renderCounts(db) {
    const counts = model.countsByStatus(db);
    clear($("#status-counts"), model.STATUSES.map((s) =>
      h("span", { class: `count ${statusClass(s)}`, title: model.STATUS_LABELS[s] }, `${STATUS_ICONS[s]} ${counts[s]}`)));
  }

  function renderList() {
    const db = app.db();
    const { tasks, query } = model.listTasks(db, state.filters);
    $("#list-query").textContent = query;
    const today = formatDate(new Date());
    clear(list, tasks.length ? tasks.map((t) => taskItem(t, today)) : h("li", { class: "empty" }, "No tasks match."));
  }

  function taskItem(t, today) {
    const id = t[":db/id"];
    const status = t[":task/status"];
    const due = t[":task/due"];
    const dueText = due ? formatDate(due) : null;
    const overdue = dueText && dueText < today && status !== ":status/done";
    const project = t[":task/project"];
    const who = t[":task/assignee"];
    const deps = t[":task/depends-on"] ?? [];
    const blocked = deps.some((d) => d[":task/status"] !== ":status/done");
    return h("li", {
      class: `task ${statusClass(status)}${state.selected === id ? " selected" : ""}`,
      dataset: { id, testid: "task-item", status: status ?? "" },
      tabIndex: 0,
      onclick: () => select(id),
      onkeydown: (e) => { if (e.key === "Enter") select(id); },
    },
    h("button", {
      type: "button", class: "status-btn", title: `${model.STATUS_LABELS[status] ?? "no status"}: click to advance (db/cas)`,
      dataset: { testid: "advance-status" },
      onclick: (e) => { e.stopPropagation(); advance(t); },
    }, STATUS_ICONS[status] ?? "?"),
    h("div", { class: "task-main" },
      h("span", { class: "title", dataset: { testid: "task-title" } }, t[":task/title"]),
      h("div", { class: "task-meta" },
        project && h("span", { class: "project", style: { "--c": project[":project/color"] ?? "#666" } }, project[":project/name"]),
        who && h("span", { class: "who", title: who[":person/email"] }, who[":person/name"]),
        dueText && h("span", { class: `due${overdue ? " overdue" : ""}`, title: overdue ? "overdue" : "due" }, dueText),
        blocked && h("span", { class: "blocked", title: deps.map((d) => d[":task/title"]).join(", ") }, "waiting"),
        (t[":task/tags"] ?? []).map((tag) => h("button", {
          type: "button", class: "tag", title: "filter by tag",
          onclick: (e) => { e.stopPropagation(); filtersForm.elements.tag.value = tag; readFilters(); },
        }, tag)))),
    h("span", { class: `prio p${t[":task/priority"] ?? "x"}` }, model.PRIORITY_LABELS[t[":task/priority"]] ?? ""));
  }

  async function advance(task) {
    try {
      await app.transact(model.advanceStatusTx(task));
      showError($("#list-error"), null);
    } catch (err) {
      showError($("#list-error"), err);
    }
  }

  // ------------------------------------------------------------ editor

  function select(id) {
    state.selected = id;
    state.dirty = false;
    renderEditor(true);
    renderList();
    if (id !== "new") form.elements.title.focus({ preventScroll: true });
  }

  function renderEditorOptions(db) {
    const people = model.listPeople(db);
    fillSelect(form.elements.assignee, people.map((p) => [p.id, p.name]), "(nobody)");
    clear($("#project-names"), model.listProjects(db).map((p) => h("option", { value: p.name })));
    const deps = form.elements.dependsOn;
    const chosen = new Set([...deps.selectedOptions].map((o) => o.value));
    const others = db.q(`[:find ?t ?title :where [?t :task/title ?title]]`)
      .filter(([t]) => t !== state.selected)
      .sort((a, b) => a[1].localeCompare(b[1]));
    clear(deps, others.map(([t, title]) => h("option", { value: String(t), selected: chosen.has(String(t)) }, title)));
  }

  // fill: overwrite the form fields from the db (not while the user types).
  function renderEditor(fill) {
    const db = app.db();
    const id = state.selected;
    const task = typeof id === "number" ? model.getTask(db, id) : null;
    if (id === null || (typeof id === "number" && !task)) {
      // Nothing selected, or the task was deleted.
      state.selected = null;
      form.hidden = true;
      $("#editor-empty").hidden = false;
      $("#entity-history").hidden = true;
      return;
    }
    form.hidden = false;
    $("#editor-empty").hidden = true;
    renderEditorOptions(db);
    if (fill || !state.dirty) {
      const el = form.elements;
      el.title.value = task?.[":task/title"] ?? "";
      el.status.value = task?.[":task/status"] ?? ":status/todo";
      el.priority.value = String(task?.[":task/priority"] ?? (task ? "" : "2"));
      el.project.value = task?.[":task/project"]?.[":project/name"] ?? "";
      el.assignee.value = String(task?.[":task/assignee"]?.[":db/id"] ?? "");
      el.due.value = task?.[":task/due"] ? formatDate(task[":task/due"]) : "";
      el.tags.value = (task?.[":task/tags"] ?? []).join(", ");
      el.notes.value = task?.[":task/notes"] ?? "";
      const deps = new Set((task?.[":task/depends-on"] ?? []).map((d) => String(d[":db/id"])));
      for (const o of el.dependsOn.options) o.selected = deps.has(o.value);
      showEditorError(null);
    }
    $("#editor-h").textContent = task ? "Edit task" : "New task";
    $("#editor-id").textContent = task ? `entity ${id}` : "not saved yet";
    $("#delete-task").hidden = !task;
    renderEntityHistory(task ? id : null);
  }

  function renderEntityHistory(id) {
    const box = $("#entity-history");
    if (id === null) {
      box.hidden = true;
      return;
    }
    box.hidden = false;
    const db = app.db();
    const hist = db.history();
    try {
      const when = new Map(model.listTransactions(db).map((t) => [t.tx, t]));
      const labels = new Map();
      const label = (e) => {
        if (!labels.has(e)) labels.set(e, model.entityLabel(hist, e));
        return labels.get(e);
      };
      const rows = model.entityHistory(hist, id).map((d) => {
        const tx = when.get(d.tx);
        const v = model.REF_ATTRS.has(d.a) ? h("span", {}, cell(d.v), h("span", { class: "muted" }, ` ${label(d.v) ?? ""}`)) : cell(d.v);
        return h("tr", { class: d.added ? "added" : "retracted" },
          h("td", { class: "op" }, d.added ? "+" : "−"),
          h("td", { class: "num" }, h("a", { href: "#history", onclick: () => app.history.show(d.tx) }, String(d.tx))),
          h("td", { class: "when", title: tx?.note ?? "" }, tx ? formatTime(tx.instant) : ""),
          h("td", {}, h("span", { class: "kw" }, d.a)),
          h("td", {}, v));
      });
      clear(box.querySelector("tbody"), rows);
    } finally {
      hist.dispose();
    }
  }

  function showEditorError(err) {
    showError($("#editor-error"), err);
  }

  function showError(p, err) {
    if (!err) {
      p.hidden = true;
      p.textContent = "";
      return;
    }
    p.hidden = false;
    clear(p, h("code", { class: "code" }, err.code ?? "error"), " ", err.message ?? String(err));
  }

  // Runs a { txData, note } change; errors show in the editor.
  async function run(change) {
    try {
      const report = await app.transact(change);
      showEditorError(null);
      return report;
    } catch (err) {
      showEditorError(err);
      return null;
    }
  }

  form.addEventListener("input", () => {
    state.dirty = true;
  });

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const db = app.db();
    const before = typeof state.selected === "number" ? model.getTask(db, state.selected) : null;
    const fd = new FormData(form);
    const values = Object.fromEntries(fd);
    values.dependsOn = fd.getAll("dependsOn");
    let change;
    try {
      change = model.saveTaskTx(before, values);
    } catch (err) {
      showEditorError({ code: "invalid-input", message: err.message });
      return;
    }
    state.dirty = false;
    const report = await run(change);
    if (report && !before) {
      state.selected = report.tempids["new-task"];
      renderEditor(true);
      renderList();
    }
  });

  $("#delete-task").addEventListener("click", async () => {
    const task = typeof state.selected === "number" ? model.getTask(app.db(), state.selected) : null;
    if (task) await run(model.deleteTaskTx(task));
  });

  $("#close-task").addEventListener("click", () => select(null));
  $("#new-task").addEventListener("click", () => {
    select("new");
    form.elements.title.focus();
  });

  return {
    state,
    select,
    render() {
      const db = app.db();
      renderFilterOptions(db);
      readFilters();  // re-reads the (possibly pruned) filters and renders the list
      renderCounts(db);
      renderEditor(false);
    },
    reset() {
      filtersForm.reset();
      state.selected = null;
      state.dirty = false;
    },
  };
}

function statusClass(s) {
  return s ? `st-${s.slice(s.indexOf("/") + 1)}` : "st-none";
}
