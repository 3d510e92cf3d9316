// The Datalog query console: EDN query text in, an HTML table out, with the
// query time and DataliteError codes. Queries run on the page's engine, or in
// a module Worker on a serialized copy of the current db.
import { $, h, clear, cell } from "./dom.js";
import { bindInputs, toTable } from "./query-tools.js";

const WAITS_FOR_RULES = `[[(waits-for ?t ?b)
  [?t :task/depends-on ?b]]
 [(waits-for ?t ?b)
  [?t :task/depends-on ?x]
  (waits-for ?x ?b)]]`;

export const EXAMPLES = [
  {
    label: "Open tasks per project (aggregate)",
    query: `[:find ?project (count ?t)
 :where [?t :task/project ?p]
        [?p :project/name ?project]
        [?t :task/status ?s]
        [(not= ?s :status/done)]]`,
  },
  {
    label: "Urgent tasks (:keys, enum keyword)",
    query: `[:find ?title ?status
 :keys title status
 :where [?t :task/tags "urgent"]
        [?t :task/title ?title]
        [?t :task/status ?status]]`,
  },
  {
    label: "Workload per person",
    query: `[:find ?name (count ?t) (min ?priority)
 :where [?p :person/name ?name]
        [?t :task/assignee ?p]
        [?t :task/priority ?priority]]`,
  },
  {
    label: "Grace's tasks (lookup ref + pull)",
    query: `[:find (pull ?t [:task/title :task/status {:task/project [:project/name]}])
 :where [?t :task/assignee [:person/email "grace@example.org"]]]`,
  },
  {
    label: "Unassigned tasks (missing?, collection)",
    query: `[:find [?title ...]
 :where [?t :task/title ?title]
        [(missing? $ ?t :task/assignee)]]`,
  },
  {
    label: "Overdue tasks (?now input)",
    query: `[:find ?title ?due
 :in $ ?now
 :where [?t :task/due ?due]
        [(< ?due ?now)]
        [?t :task/status ?s]
        [(not= ?s :status/done)]
        [?t :task/title ?title]]`,
  },
  {
    label: "Everything “Deploy” waits for (recursive rule)",
    query: `[:find ?blocker ?status
 :in $ %
 :where [?t :task/title "Deploy and announce"]
        (waits-for ?t ?b)
        [?b :task/title ?blocker]
        [?b :task/status ?status]]`,
    rules: WAITS_FOR_RULES,
  },
  {
    label: "Tag cloud",
    query: `[:find ?tag (count ?t)
 :where [?t :task/tags ?tag]]`,
  },
  {
    label: "Number of tasks (scalar)",
    query: `[:find (count ?t) .
 :where [?t :task/title]]`,
  },
  {
    label: "Transaction log (tx entities + tx meta)",
    query: `[:find ?tx ?when ?note
 :where [?tx :db/txInstant ?when]
        [(get-else $ ?tx :tx/note "") ?note]]`,
  },
  {
    label: "Every status change ever ($history source)",
    query: `[:find ?title ?status ?tx ?added
 :in $ $history
 :where [$history ?t :task/status ?status ?tx ?added]
        [$history ?t :task/title ?title]]`,
  },
];

const MAX_ROWS = 500;

export function createConsole(app) {
  const textarea = $("#query");
  const rules = $("#rules");
  const source = $("#source");
  const examples = $("#examples");
  const meta = $("#query-meta");
  const errorBox = $("#query-error");
  const table = $("#result");
  let worker = null;
  let nextId = 1;
  const pending = new Map();

  EXAMPLES.forEach((ex, i) => examples.append(h("option", { value: String(i) }, ex.label)));
  examples.addEventListener("change", () => {
    const ex = EXAMPLES[Number(examples.value)];
    if (!ex) return;
    textarea.value = ex.query;
    if (ex.rules) rules.value = ex.rules;
    examples.value = "";
    run();
  });
  textarea.value = EXAMPLES[0].query;
  rules.value = WAITS_FOR_RULES;

  textarea.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      run();
    }
  });
  $("#run").addEventListener("click", () => run());
  $("#run-worker").addEventListener("click", () => runInWorker());

  function showError(err) {
    table.replaceChildren();
    errorBox.hidden = false;
    errorBox.dataset.code = err?.code ?? "error";
    clear(errorBox, h("code", { class: "code", dataset: { testid: "error-code" } }, err?.code ?? "error"), " ",
      h("span", { dataset: { testid: "error-message" } }, err?.message ?? String(err)));
    meta.textContent = "";
  }

  function showResult(query, result, ms, where) {
    errorBox.hidden = true;
    const { columns, rows } = toTable(query, result);
    const shown = rows.slice(0, MAX_ROWS);
    clear(table,
      h("thead", {}, h("tr", {}, columns.map((c) => h("th", {}, c)))),
      h("tbody", {}, shown.map((r) => h("tr", {}, r.map((v) => h("td", {}, cell(v)))))));
    const more = rows.length > shown.length ? ` (first ${MAX_ROWS} shown)` : "";
    meta.textContent = `${rows.length} ${rows.length === 1 ? "row" : "rows"}${more} · ${ms.toFixed(2)} ms · ${where}`;
    meta.dataset.rows = String(rows.length);
    meta.dataset.ms = ms.toFixed(3);
  }

  function run() {
    const query = textarea.value;
    const temporary = [];
    const derived = (db) => {
      temporary.push(db);
      return db;
    };
    try {
      const current = app.db();
      let db = current;
      if (source.value === "asof") {
        const tx = app.history.selectedTx();
        if (tx !== null) db = derived(current.asOf(tx));
      } else if (source.value === "history") {
        db = derived(current.history());
      }
      const inputs = bindInputs(query, { db, history: () => derived(current.history()), rules: rules.value }, app.d.DataliteError);
      const t0 = performance.now();
      const result = app.d.q(query, ...inputs);
      const ms = performance.now() - t0;
      showResult(query, result, ms, `main thread (${app.variant})`);
    } catch (err) {
      showError(err);
    } finally {
      for (const db of temporary) db.dispose();
    }
  }

  function ensureWorker() {
    if (worker) return worker;
    worker = new Worker(new URL("./worker.mjs", import.meta.url), { type: "module", name: "datalite-query" });
    worker.addEventListener("message", (e) => {
      const p = pending.get(e.data.id);
      if (!p) return;
      pending.delete(e.data.id);
      p.resolve(e.data);
    });
    worker.addEventListener("error", (e) => {
      for (const p of pending.values()) p.resolve({ ok: false, code: "worker-error", message: e.message || "the worker failed to load" });
      pending.clear();
      worker = null;
    });
    return worker;
  }

  async function runInWorker() {
    const query = textarea.value;
    let bytes;
    try {
      // The current state (history stays on the page), in a buffer of its own to transfer.
      bytes = app.db().serialize().slice();
    } catch (err) {
      showError(err);
      return;
    }
    meta.textContent = "running in a Worker…";
    const id = nextId++;
    const answer = new Promise((resolve) => pending.set(id, { resolve }));
    ensureWorker().postMessage({ id, bytes: bytes.buffer, query, rules: rules.value }, [bytes.buffer]);
    const res = await answer;
    if (!res.ok) {
      showError({ code: res.code, message: res.message });
      return;
    }
    showResult(query, res.result, res.ms,
      `module Worker (${res.variant}, ${res.isolated ? "isolated" : "not isolated"}, engine loaded in ${res.initMs.toFixed(0)} ms)`);
    meta.dataset.workerVariant = res.variant;
  }

  return { run, runInWorker, render() {} };
}
