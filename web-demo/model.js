// The task manager's data model: schema, seed data, the reads the views
// need and the tx-data the editor produces. Nothing here touches the DOM.

export const STATUSES = [":status/todo", ":status/doing", ":status/done"];
export const STATUS_LABELS = { ":status/todo": "To do", ":status/doing": "Doing", ":status/done": "Done" };
export const PRIORITY_LABELS = { 1: "high", 2: "normal", 3: "low" };

// DataScript-style schema map.
export const schema = {
  "person/email": { ":db/unique": ":db.unique/identity", ":db/doc": "login; the person's identity" },
  "person/name": {},
  "project/name": { ":db/unique": ":db.unique/identity", ":db/doc": "projects upsert by name" },
  "project/color": {},
  "task/title": { ":db/index": true },
  "task/notes": {},
  "task/status": { ":db/valueType": ":db.type/keyword", ":db/doc": "enum: :status/todo :status/doing :status/done" },
  "task/priority": { ":db/valueType": ":db.type/long" },
  "task/project": { ":db/valueType": ":db.type/ref" },
  "task/assignee": { ":db/valueType": ":db.type/ref" },
  "task/depends-on": { ":db/valueType": ":db.type/ref", ":db/cardinality": ":db.cardinality/many" },
  "task/tags": { ":db/cardinality": ":db.cardinality/many", ":db/index": true },
  "task/due": { ":db/valueType": ":db.type/instant" },
  "tx/note": { ":db/doc": "what a transaction did, for the history view" },
};

const DAY = 86400000;

// Due dates are relative to the moment the demo is seeded.
export function seedTx(now = Date.now()) {
  const due = (days) => new Date(now + days * DAY);
  return [
    { ":db/id": "ada", "person/email": "ada@example.org", "person/name": "Ada Lovelace" },
    { ":db/id": "alan", "person/email": "alan@example.org", "person/name": "Alan Turing" },
    { ":db/id": "grace", "person/email": "grace@example.org", "person/name": "Grace Hopper" },

    { ":db/id": "launch", "project/name": "Website launch", "project/color": "#2f6fdd" },
    { ":db/id": "home", "project/name": "Home", "project/color": "#2f9e44" },
    { ":db/id": "research", "project/name": "Research", "project/color": "#b8620b" },

    { ":db/id": "copy", "task/title": "Write landing page copy", "task/status": ":status/done", "task/priority": 1,
      "task/project": "launch", "task/assignee": "ada", "task/tags": ["writing"], "task/due": due(-3),
      "task/notes": "Short, concrete, no buzzwords." },
    { ":db/id": "design", "task/title": "Design the pricing table", "task/status": ":status/doing", "task/priority": 1,
      "task/project": "launch", "task/assignee": "grace", "task/tags": ["design", "urgent"], "task/due": due(1),
      "task/depends-on": ["copy"] },
    { ":db/id": "build", "task/title": "Build the static site", "task/status": ":status/todo", "task/priority": 2,
      "task/project": "launch", "task/assignee": "alan", "task/tags": ["code"], "task/due": due(4),
      "task/depends-on": ["design"] },
    { ":db/id": "deploy", "task/title": "Deploy and announce", "task/status": ":status/todo", "task/priority": 1,
      "task/project": "launch", "task/tags": ["ops", "urgent"], "task/due": due(7),
      "task/depends-on": ["build"] },
    { ":db/id": "dns", "task/title": "Renew the domain", "task/status": ":status/todo", "task/priority": 1,
      "task/project": "launch", "task/assignee": "alan", "task/tags": ["ops", "urgent"], "task/due": due(-1) },

    { "task/title": "Buy groceries", "task/status": ":status/todo", "task/priority": 2,
      "task/project": "home", "task/assignee": "ada", "task/tags": ["errand"], "task/due": due(0),
      "task/notes": "Milk, eggs, coffee, lemons." },
    { "task/title": "Fix the bike", "task/status": ":status/doing", "task/priority": 3,
      "task/project": "home", "task/assignee": "alan", "task/tags": ["errand", "outdoors"] },
    { "task/title": "Plan summer trip", "task/status": ":status/todo", "task/priority": 3,
      "task/project": "home", "task/tags": ["travel"], "task/due": due(30) },

    { ":db/id": "paper", "task/title": "Read the Datalog survey", "task/status": ":status/done", "task/priority": 2,
      "task/project": "research", "task/assignee": "grace", "task/tags": ["reading"], "task/due": due(-10) },
    { "task/title": "Benchmark query plans", "task/status": ":status/doing", "task/priority": 1,
      "task/project": "research", "task/assignee": "grace", "task/tags": ["code", "urgent"], "task/due": due(2),
      "task/depends-on": ["paper"] },
    { "task/title": "Draft the blog post", "task/status": ":status/todo", "task/priority": 2,
      "task/project": "research", "task/assignee": "ada", "task/tags": ["writing"], "task/due": due(10),
      "task/depends-on": ["paper"] },
  ];
}

export const TASK_PULL = `[:db/id :task/title :task/notes :task/status :task/priority :task/tags :task/due
  {:task/project [:db/id :project/name :project/color]}
  {:task/assignee [:db/id :person/name :person/email]}
  {:task/depends-on [:db/id :task/title :task/status]}]`;

// Builds the list query from the filters, so the user can see (and copy) the
// Datalog behind the list. Returns { query, inputs }.
export function taskListQuery(filters = {}) {
  const ins = ["$"];
  const inputs = [];
  const where = ["[?t :task/title ?title]"];
  if (filters.project) {
    ins.push("?project");
    inputs.push(filters.project);
    where.push("[?t :task/project ?project]");
  }
  if (filters.status && STATUSES.includes(filters.status)) {
    where.push(`[?t :task/status ${filters.status}]`);  // an enum keyword, written as EDN
  }
  if (filters.tag) {
    ins.push("?tag");
    inputs.push(filters.tag);
    where.push("[?t :task/tags ?tag]");
  }
  if (filters.assignee) {
    ins.push("?person");
    inputs.push(filters.assignee);
    where.push("[?t :task/assignee ?person]");
  }
  if (filters.text) {
    ins.push("?text");
    inputs.push(filters.text.toLowerCase());
    where.push("[(clojure.string/lower-case ?title) ?lower]", "[(clojure.string/includes? ?lower ?text)]");
  }
  const query = `[:find [?t ...]\n :in ${ins.join(" ")}\n :where ${where.join("\n        ")}]`;
  return { query, inputs };
}

const statusRank = (s) => {
  const i = STATUSES.indexOf(s);
  return i < 0 ? STATUSES.length : i;
};

// The tasks matching the filters, pulled and sorted (status, priority, title).
export function listTasks(db, filters) {
  const { query, inputs } = taskListQuery(filters);
  const ids = db.q(query, ...inputs);
  const tasks = ids.length ? db.pullMany(TASK_PULL, ids) : [];
  tasks.sort((a, b) =>
    statusRank(a[":task/status"]) - statusRank(b[":task/status"]) ||
    (a[":task/priority"] ?? 9) - (b[":task/priority"] ?? 9) ||
    String(a[":task/title"]).localeCompare(String(b[":task/title"])));
  return { tasks, query };
}

export function getTask(db, id) {
  const t = db.pull(TASK_PULL, id);
  return t && t[":task/title"] !== undefined ? t : null;
}

export function listProjects(db) {
  return db.q(`[:find ?p ?name ?color :keys id name color
                :where [?p :project/name ?name] [(get-else $ ?p :project/color "#666") ?color]]`)
    .sort((a, b) => a.name.localeCompare(b.name));
}

export function listPeople(db) {
  return db.q(`[:find ?p ?name ?email :keys id name email
                :where [?p :person/email ?email] [?p :person/name ?name]]`)
    .sort((a, b) => a.name.localeCompare(b.name));
}

export function listTags(db) {
  return db.q(`[:find ?tag (count ?t) :where [?t :task/tags ?tag]]`)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

export function countsByStatus(db) {
  const counts = Object.fromEntries(STATUSES.map((s) => [s, 0]));
  for (const [s, n] of db.q(`[:find ?s (count ?t) :where [?t :task/status ?s]]`)) counts[s] = n;
  return counts;
}

// Every transaction, newest first: { tx, instant, note }.
export function listTransactions(db) {
  return db.q(`[:find ?tx ?inst ?note :keys tx instant note
                :where [?tx :db/txInstant ?inst]
                       [(get-else $ ?tx :tx/note "") ?note]]`)
    .sort((a, b) => b.tx - a.tx);
}

// The datoms one transaction added or retracted (from a history db).
export function txDatoms(historyDb, tx) {
  return historyDb.q(`[:find ?e ?a ?v ?added :in $ ?tx :where [?e ?a ?v ?tx ?added]]`, tx)
    .map(([e, a, v, added]) => ({ e, a, v, tx, added }))
    .filter((d) => d.a !== ":db/txInstant" && d.a !== ":tx/note")
    .sort((x, y) => x.e - y.e || x.a.localeCompare(y.a) || Number(x.added) - Number(y.added));
}

// The history of one entity: every datom ever asserted or retracted about it.
export function entityHistory(historyDb, eid) {
  return historyDb.q(`[:find ?a ?v ?tx ?added :in $ ?e :where [?e ?a ?v ?tx ?added]]`, eid)
    .map(([a, v, tx, added]) => ({ e: eid, a, v, tx, added }))
    .sort((x, y) => x.tx - y.tx || x.a.localeCompare(y.a) || Number(x.added) - Number(y.added));
}

// Attributes whose values are entity ids.
export const REF_ATTRS = new Set([":task/project", ":task/assignee", ":task/depends-on"]);

// A readable name for an entity, even a deleted one (pass a history db).
export function entityLabel(db, eid) {
  return db.q(`[:find ?v . :in $ ?e :where (or [?e :task/title ?v] [?e :project/name ?v] [?e :person/name ?v])]`, eid);
}

// ------------------------------------------------------------------ writes

const parseTags = (text) => [...new Set(String(text ?? "").split(",").map((t) => t.trim().toLowerCase()).filter(Boolean))];

// The tx-data that turns `before` (a pulled task, or null for a new one) into
// the edited form values. Returns { txData, note }.
//   form: { title, notes, status, priority, project (name), assignee (eid|""), tags (text), due ("YYYY-MM-DD"|""), dependsOn: [eid] }
export function saveTaskTx(before, form) {
  const title = String(form.title ?? "").trim();
  if (!title) throw new Error("a task needs a title");
  const id = before ? before[":db/id"] : "new-task";
  const tx = [];
  const entity = { ":db/id": id, "task/title": title, "task/status": form.status || ":status/todo" };
  const retractIfSet = (attr) => {
    if (before && before[":" + attr] !== undefined) tx.push([":db/retract", id, attr]);
  };

  const notes = String(form.notes ?? "").trim();
  if (notes) entity["task/notes"] = notes;
  else retractIfSet("task/notes");

  const priority = Number.parseInt(form.priority, 10);
  if (Number.isInteger(priority)) entity["task/priority"] = priority;
  else retractIfSet("task/priority");

  // Projects are identified by name (:db.unique/identity): naming an existing
  // project upserts onto it, a new name creates the project.
  const projectName = String(form.project ?? "").trim();
  if (projectName) {
    tx.push({ ":db/id": "project", "project/name": projectName });
    entity["task/project"] = "project";
  } else retractIfSet("task/project");

  if (form.assignee) entity["task/assignee"] = Number(form.assignee);
  else retractIfSet("task/assignee");

  if (form.due) entity["task/due"] = new Date(`${form.due}T12:00:00`);
  else retractIfSet("task/due");

  // Card-many: add the new values, retract the ones that were removed.
  const tags = parseTags(form.tags);
  const oldTags = before?.[":task/tags"] ?? [];
  if (tags.length) entity["task/tags"] = tags;
  for (const t of oldTags) if (!tags.includes(t)) tx.push([":db/retract", id, "task/tags", t]);

  const deps = (form.dependsOn ?? []).map(Number).filter((n) => n && n !== id);
  const oldDeps = (before?.[":task/depends-on"] ?? []).map((d) => d[":db/id"]);
  if (deps.length) entity["task/depends-on"] = deps;
  for (const d of oldDeps) if (!deps.includes(d)) tx.push([":db/retract", id, "task/depends-on", d]);

  tx.unshift(entity);
  return { txData: tx, note: before ? `edited "${title}"` : `created "${title}"` };
}

export function deleteTaskTx(task) {
  return { txData: [[":db/retractEntity", task[":db/id"]]], note: `deleted "${task[":task/title"]}"` };
}

// Moves a task to the next status with a compare-and-swap, so a concurrent
// change (another tab, a later persistence layer) is not silently overwritten.
export function advanceStatusTx(task) {
  const from = task[":task/status"] ?? null;  // nil: cas expects no value
  const to = STATUSES[(STATUSES.indexOf(from) + 1) % STATUSES.length];
  return {
    txData: [[":db/cas", task[":db/id"], "task/status", from, to]],
    note: `"${task[":task/title"]}" ${STATUS_LABELS[from] ?? "no status"} → ${STATUS_LABELS[to]}`,
  };
}
