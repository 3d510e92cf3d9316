// DataScript (npm `datascript`, its JS API) vs datalite (the wasm package,
// used as users use it) -- and native SQLite through better-sqlite3 where it
// is installed -- on the workload of shared/bench/WORKLOADS.md, all in ONE
// Node process, alternating systems round by round. Run it through
// bench/js/run.sh (installs the deps, raises the heap limit).
//
//   node bench/js/bench.mjs [--size N] [--repeat R] [--warmup-ms M] [--sample-ms M]
//        [--ops a,b] [--threads] [--json out.json] [--serialize-size N]
//        [--op-budget-s S] [--systems datascript,datalite,sqlite] [--split]
//        [--no-preflight] [--gc]
//
// Timing, per op: each system's first iteration is timed (it sets the op
// budget) and its answer is compared with DataScript's (queries: sorted rows;
// pulls and entity walks: normalized trees; tx ops: datom counts) -- a
// mismatch is printed loudly. Then a warm-up of --warmup-ms, then --repeat
// rounds; each round measures every system once, in a rotating order, with a
// sample of >= --sample-ms (at least one iteration). Reported: the median over
// rounds of ms per iteration. An op whose first iteration times --repeat
// exceeds --op-budget-s gets fewer rounds (`*` = only the unwarmed first run).
// Inputs are built untimed; results come back as JS inside the timed part (as
// every JS user pays); datalite's intermediate Db values are disposed inside
// the timed part (a loop of dbWith must free them: finalizers only run between
// tasks), the last one after it.
//
// --threads: the -pthread wasm build instead of the single-threaded one.
// --split: after timing an op, runs datalite again with engine.send and the
//   wasm entry point wrapped: where its time goes (inside wasm / copying across
//   the boundary / JS: encoding, decoding, API and the op's own JS).
// Preflight (unless --no-preflight): a child process builds datalite's db100k,
//   pull db and a rules db with a time limit; if it crashes or hangs, datalite
//   is left out. An engine trap later on also drops datalite for the rest.
// --gc: node --expose-gc and gc() before every sample. Off by default: forced
//   full GCs make DataScript several times slower in the samples that follow.
//
// Data: the seeded generator of bench/datascript/bench.mjs (mulberry32, seed
// 42), so the values differ from the native bench's (mt19937_64); both systems
// get the same people. Nodes of the wide dbs are full people (with :alias and
// :full-name, as in the reference's wide-db), taken from people20k in order.
import { makePeople, rng } from "../common/people.mjs";
import { createRequire } from "node:module";
import { writeFileSync } from "node:fs";
import * as d from "../../js/index.js";
import { currentEngine } from "../../js/engine.js";

const require = createRequire(import.meta.url);
const ds = createRequire(new URL("../datascript/package.json", import.meta.url))("datascript");
let Sqlite = null;
let sqliteNote = "";
try {
  Sqlite = require("better-sqlite3");
  new Sqlite(":memory:").close();
} catch (err) {
  Sqlite = null;
  sqliteNote = `sqlite skipped: better-sqlite3 not usable (${err.message.split("\n")[0]})`;
}

const now = () => performance.now();

// ------------------------------------------------------------------ options

const args = process.argv.slice(2);
const opt = {
  size: 20000, repeat: 5, warmupMs: 1000, sampleMs: 200, ops: null, threads: false, json: null,
  serializeSize: 300000, opBudgetS: 60, systems: null, split: false, preflight: true, preflightChild: false, gc: false,
};
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  const next = () => {
    if (i + 1 >= args.length) throw new Error(`missing value for ${a}`);
    return args[++i];
  };
  if (a === "--size") opt.size = Number(next());
  else if (a === "--repeat") opt.repeat = Number(next());
  else if (a === "--warmup-ms") opt.warmupMs = Number(next());
  else if (a === "--sample-ms") opt.sampleMs = Number(next());
  else if (a === "--ops") opt.ops = next().split(",").filter(Boolean);
  else if (a === "--threads") opt.threads = true;
  else if (a === "--json") opt.json = next();
  else if (a === "--serialize-size") opt.serializeSize = Number(next());
  else if (a === "--op-budget-s") opt.opBudgetS = Number(next());
  else if (a === "--systems") opt.systems = next().split(",").filter(Boolean);
  else if (a === "--split") opt.split = true;
  else if (a === "--no-preflight") opt.preflight = false;
  else if (a === "--gc") opt.gc = true;
  else if (a === "--preflight-child") opt.preflightChild = true;
  else if (a === "--help" || a === "-h") {
    console.log("usage: bench.mjs [--size N] [--repeat R] [--warmup-ms M] [--sample-ms M] [--ops a,b] [--threads]\n" +
      "                 [--json out.json] [--serialize-size N] [--op-budget-s S] [--systems a,b] [--split] [--no-preflight] [--gc]");
    process.exit(0);
  } else throw new Error(`unknown option ${a}`);
}
let SYSTEMS = opt.systems ?? ["datascript", "datalite", "sqlite"];
if (!Sqlite) SYSTEMS = SYSTEMS.filter((s) => s !== "sqlite");
for (const s of SYSTEMS) if (!["datascript", "datalite", "sqlite"].includes(s)) throw new Error(`unknown system ${s}`);

// Preflight: datalite builds db100k, the pull db and a rules db, and answers
// a query, in a child process with a time limit -- a corrupted wasm heap may
// hang instead of throwing, which no try/catch here could stop.
let dataliteNote = "";
if (SYSTEMS.includes("datalite") && opt.preflight && !opt.preflightChild) {
  const { spawnSync } = await import("node:child_process");
  const childArgs = [...process.execArgv, new URL(import.meta.url).pathname, "--preflight-child", "--size", String(opt.size)];
  if (opt.threads) childArgs.push("--threads");
  const t0 = now();
  const res = spawnSync(process.execPath, childArgs, { encoding: "utf8", timeout: 180000, maxBuffer: 1 << 24 });
  if (res.status !== 0) {
    const why = res.error?.code === "ETIMEDOUT" ? "hung (killed after 180 s)"
      : `${res.signal ?? "exit " + res.status}: ${(res.stderr || res.stdout || "").split("\n").filter((l) => /Error|error|Abort/.test(l)).slice(0, 2).join(" / ") || "no message"}`;
    dataliteNote = `!!!!!!!! datalite FAILED its preflight (build db100k + pull db + rules db + a query, ${((now() - t0) / 1000).toFixed(1)} s): ${why}. datalite is left out of this run.`;
    SYSTEMS = SYSTEMS.filter((s) => s !== "datalite");
  }
}

await d.init({ threads: opt.threads });
const engine = currentEngine();

// ------------------------------------------------------------------ data

// The people generator shared with bench/datascript/bench.mjs.
const SCHEMA_EDN = "{:id {:db/unique :db.unique/identity}, " +
  ":follows {:db/valueType :db.type/ref :db/cardinality :db.cardinality/many}, " +
  ":alias {:db/cardinality :db.cardinality/many}}";
const DS_SCHEMA = { id: { ":db/unique": ":db.unique/identity" },
  follows: { ":db/valueType": ":db.type/ref", ":db/cardinality": ":db.cardinality/many" },
  alias: { ":db/cardinality": ":db.cardinality/many" } };
const TX0 = 536870912;  // 2^29: entity ids below, tx ids above (both systems)
const MALE = d.kw(":male"), FEMALE = d.kw(":female");

// Entity maps and tx forms in each system's own terms.
function dsMap(p, extra) {
  const m = { ":db/id": String(p.k), name: p.name, "last-name": p.last, "full-name": p.full, sex: p.sex, age: p.age,
    salary: p.salary };
  if (p.alias.length) m.alias = p.alias;
  return extra ? Object.assign(m, extra) : m;
}
function dlMap(p, extra) {
  const m = { ":db/id": String(p.k), ":name": p.name, ":last-name": p.last, ":full-name": p.full,
    ":sex": p.sex === "male" ? MALE : FEMALE, ":age": p.age, ":salary": p.salary };
  if (p.alias.length) m[":alias"] = p.alias;
  return extra ? Object.assign(m, extra) : m;
}

const people = makePeople(opt.size, 42, true);
const dsPeople = people.map((p) => dsMap(p));
const dlPeople = people.map((p) => dlMap(p));

// ------------------------------------------------------------------ sqlite helpers

const SQL_TABLES = `
  CREATE TABLE person(id INTEGER PRIMARY KEY, name TEXT, last_name TEXT, full_name TEXT, sex TEXT, age INTEGER,
                      salary INTEGER, ident INTEGER);
  CREATE TABLE person_alias(person_id INTEGER, alias TEXT, PRIMARY KEY (person_id, alias)) WITHOUT ROWID;
  CREATE TABLE follows(src INTEGER, dst INTEGER, PRIMARY KEY (src, dst)) WITHOUT ROWID;`;
const SQL_INDEXES = `
  CREATE UNIQUE INDEX person_ident ON person(ident);
  CREATE INDEX person_name ON person(name);
  CREATE INDEX person_salary ON person(salary);
  CREATE INDEX follows_dst ON follows(dst);`;

function sqlEmpty() {
  const db = new Sqlite(":memory:");
  db.exec(SQL_TABLES + SQL_INDEXES);
  return db;
}
function sqlInserters(db) {
  const person = db.prepare("INSERT INTO person(id, name, last_name, full_name, sex, age, salary, ident) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  const alias = db.prepare("INSERT INTO person_alias(person_id, alias) VALUES (?, ?)");
  const follows = db.prepare("INSERT INTO follows(src, dst) VALUES (?, ?)");
  const insert = (id, p, ident = null) => {
    person.run(id, p.name, p.last, p.full, p.sex, p.age, p.salary, ident);
    for (const a of p.alias) alias.run(id, a);
  };
  return { insert, follows: (s, t) => follows.run(s, t) };
}
// Facts a SQL db holds, counted as datoms would be (non-null cells + rows of the link tables).
function sqlFacts(db) {
  return db.prepare(`SELECT (SELECT count(name) + count(last_name) + count(full_name) + count(sex) + count(age)
      + count(salary) + count(ident) FROM person) + (SELECT count(*) FROM person_alias)
      + (SELECT count(*) FROM follows) * 1`).pluck().get();
}

// ------------------------------------------------------------------ helpers

const tick = () => new Promise((resolve) => setImmediate(resolve));
// Forcing a full GC before each sample (--gc, needs node --expose-gc) makes
// DataScript several times slower in the samples that follow: off by default.
const gc = opt.gc && globalThis.gc ? globalThis.gc : () => {};

function dlUserDatoms(db) {
  let n = 0;
  for (const x of db.datoms("eavt")) if (x.e < TX0) n++;
  return n;
}
function dsDatoms(db) {
  return ds.datoms(db, ":eavt").length;
}
function dlEntities(db) {
  const s = new Set();
  for (const x of db.datoms("eavt")) if (x.e < TX0) s.add(x.e);
  return s.size;
}
function dsEntities(db) {
  return new Set(ds.datoms(db, ":eavt").map((x) => x.e)).size;
}

// Comparable form: keyword strings lose their colon (datalite ":male" vs
// DataScript "male"), object keys too; in pull trees arrays are sets (sorted).
const byJson = (a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
const scalar = (x) => (typeof x === "string" && x.charCodeAt(0) === 58 ? x.slice(1) : x);
function norm(x) {
  if (Array.isArray(x)) return x.map(norm).map((v) => [JSON.stringify(v), v]).sort(byJson).map((p) => p[1]);
  if (x && typeof x === "object") {
    const out = {};
    for (const [k, orig] of Object.keys(x).map((k) => [scalar(k), k]).sort(byJson)) out[k] = norm(x[orig]);
    return out;
  }
  return scalar(x);
}
// Query results: a set of tuples (the tuples keep their order).
const rowsSummary = (rows) => ({
  key: JSON.stringify(rows.map((r) => JSON.stringify(r.map(scalar))).sort()),
  label: `${rows.length} rows`, count: rows.length,
});
const pullSummary = (tree) => {
  let nodes = 0;
  const walk = (t) => {
    nodes++;
    for (const c of t?.follows ?? t?.[":follows"] ?? []) walk(c);
  };
  walk(tree);
  return { key: JSON.stringify(norm(tree)), label: `${nodes} nodes`, count: nodes };
};

function fmtMs(ms) {
  if (ms == null) return "-";
  if (ms >= 100) return ms.toFixed(0);
  if (ms >= 10) return ms.toFixed(1);
  if (ms >= 1) return ms.toFixed(2);
  if (ms >= 0.01) return ms.toFixed(3);
  return ms.toFixed(4);
}
const pct = (a, t) => `${((100 * a) / t).toFixed(0)}%`;
function fmtRatio(r) {
  if (r == null || !Number.isFinite(r)) return "-";
  return r >= 10 ? `${r.toFixed(0)}x` : r >= 1 ? `${r.toFixed(1)}x` : `${r.toFixed(2)}x`;
}

// ------------------------------------------------------------------ lazily built dbs

const cache = new Map();
function once(key, build) {
  if (!cache.has(key)) {
    const t0 = now();
    cache.set(key, build());
    const ms = now() - t0;
    if (ms > 2000) console.error(`  (built ${key} in ${(ms / 1000).toFixed(1)} s, untimed)`);
  }
  return cache.get(key);
}

const db100k = {
  datascript: () => once("ds-db100k", () => ds.db_with(ds.empty_db(DS_SCHEMA), dsPeople)),
  datalite: () => once("dl-db100k", () => d.dbWith(d.emptyDb(SCHEMA_EDN), dlPeople)),
  sqlite: () => once("sql-db100k", () => {
    const db = sqlEmpty();
    const ins = sqlInserters(db);
    db.transaction(() => people.forEach((p, i) => ins.insert(i + 1, p)))();
    return db;
  }),
};

// wide-db(depth, width): node `id` is a person (the people20k maps in order,
// cycling) with :db/id (str id), and below depth 0 also :id id and :follows
// the tempids of its children.
function treeNodes(depth, width) {
  const nodes = [];
  const todo = [[1, depth]];
  let idx = 0;
  while (todo.length) {
    const [id, dep] = todo.shift();
    const p = people[idx++ % people.length];
    const kids = [];
    if (dep > 0) for (let k = 0; k < width; k++) kids.push(id * width + k);
    for (const c of kids) todo.push([c, dep - 1]);
    nodes.push({ id, p, inner: dep > 0, kids });
  }
  return nodes;
}
function wideDb(system, depth, width) {
  return once(`${system}-wide-${depth}x${width}`, () => {
    const nodes = treeNodes(depth, width);
    if (system === "datascript") {
      return ds.db_with(ds.empty_db(DS_SCHEMA), nodes.map((n) => {
        const m = dsMap(n.p);
        m[":db/id"] = String(n.id);
        if (n.inner) Object.assign(m, { id: n.id, follows: n.kids.map(String) });
        return m;
      }));
    }
    if (system === "datalite") {
      return d.dbWith(d.emptyDb(SCHEMA_EDN), nodes.map((n) => {
        const m = dlMap(n.p);
        m[":db/id"] = String(n.id);
        if (n.inner) Object.assign(m, { ":id": n.id, ":follows": n.kids.map(String) });
        return m;
      }));
    }
    const db = sqlEmpty();
    const ins = sqlInserters(db);
    db.transaction(() => {
      for (const n of nodes) ins.insert(n.id, n.p, n.inner ? n.id : null);
      for (const n of nodes) for (const c of n.kids) ins.follows(n.id, c);
    })();
    return db;
  });
}
// long-db(depth, width): width chains of depth+1 "Ivan"s with explicit ids.
function longDb(system, depth, width) {
  return once(`${system}-long-${depth}x${width}`, () => {
    const ids = [], edges = [];
    for (let x = 0; x < width; x++)
      for (let y = 0; y <= depth; y++) {
        const e = x * (depth + 1) + y + 1;
        ids.push(e);
        if (y < depth) edges.push([e, e + 1]);
      }
    if (system === "datascript")
      return ds.db_with(ds.empty_db(DS_SCHEMA), [...ids.map((e) => [":db/add", e, "name", "Ivan"]),
        ...edges.map(([a, b]) => [":db/add", a, "follows", b])]);
    if (system === "datalite")
      return d.dbWith(d.emptyDb(SCHEMA_EDN), [...ids.map((e) => [":db/add", e, ":name", "Ivan"]),
        ...edges.map(([a, b]) => [":db/add", a, ":follows", b])]);
    const db = sqlEmpty();
    db.transaction(() => {
      const p = db.prepare("INSERT INTO person(id, name) VALUES (?, 'Ivan')");
      const f = db.prepare("INSERT INTO follows(src, dst) VALUES (?, ?)");
      for (const e of ids) p.run(e);
      for (const [a, b] of edges) f.run(a, b);
    })();
    return db;
  });
}

// The serialize db: the first --serialize-size people, not shuffled, one tx.
const serializePeople = () => once("serialize-people", () => makePeople(opt.serializeSize, 42, false));
const serializeDb = {
  datascript: () => once("ds-serialize", () => ds.db_with(ds.empty_db(DS_SCHEMA), serializePeople().map((p) => dsMap(p)))),
  datalite: () => once("dl-serialize", () => d.dbWith(d.emptyDb(SCHEMA_EDN), serializePeople().map((p) => dlMap(p)))),
  sqlite: () => once("sql-serialize", () => {
    const db = sqlEmpty();
    const ins = sqlInserters(db);
    db.transaction(() => serializePeople().forEach((p) => ins.insert(p.k, p)))();
    return db;
  }),
};

// Sorted entity ids of db100k, per system.
const sortedEids = {
  datascript: () => once("ds-eids", () => ds.q('[:find [?e ...] :where [?e "name"]]', db100k.datascript()).sort((a, b) => a - b)),
  datalite: () => once("dl-eids", () => db100k.datalite().datoms("aevt", ":name").map((x) => x.e)),
  sqlite: () => once("sql-eids", () => db100k.sqlite().prepare("SELECT id FROM person ORDER BY id").pluck().all()),
};
function shuffled(xs, seed) {
  const out = xs.slice();
  const r = rng(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
const lookupRange = (eids) => {
  const from = Math.floor(eids.length * 0.45);
  return eids.slice(from, Math.min(eids.length, from + 2000));
};

// ------------------------------------------------------------------ ops
// An op maps each system to a thunk, called (untimed) only for the systems
// that run, which builds that system's inputs and returns:
//   run(state) -> result             the timed part
//   setup() -> state, after(result, state)   untimed, per iteration
//   summary(result) -> { key, label, count }   untimed; keys are compared
//                                     with DataScript's (null = not compared)

const txSummaryDs = (db) => {
  const n = dsDatoms(db);
  return { key: `${n} datoms`, label: `${n} datoms`, count: n };
};
const txSummaryDl = (db) => {
  const n = dlUserDatoms(db);
  return { key: `${n} datoms`, label: `${n} datoms`, count: n };
};
const txSummarySql = (db) => {
  const n = sqlFacts(db);
  return { key: `${n} datoms`, label: `${n} facts`, count: n };
};
const closeSql = (db) => db.close();
const disposeDl = (db) => db.dispose();
const sexKw = (p) => (p.sex === "male" ? MALE : FEMALE);

const ops = [];
const op = (name, systems) => ops.push({ name, systems });

op("add-1", {
  datascript: () => {
    const txs = [];
    for (const p of people) {
      const t = String(p.k);
      txs.push([[":db/add", t, "name", p.name]], [[":db/add", t, "last-name", p.last]], [[":db/add", t, "sex", p.sex]],
        [[":db/add", t, "age", p.age]], [[":db/add", t, "salary", p.salary]]);
    }
    return {
      run: () => {
        let db = ds.empty_db(DS_SCHEMA);
        for (const tx of txs) db = ds.db_with(db, tx);
        return db;
      },
      summary: (db) => {
        const n = dsDatoms(db), e = dsEntities(db);
        return { key: `${n} datoms / ${e} entities`, label: `${n} datoms, ${e} entities`, count: n };
      },
    };
  },
  datalite: () => {
    const txs = [];
    for (const p of people) {
      const t = String(p.k);
      txs.push([[":db/add", t, ":name", p.name]], [[":db/add", t, ":last-name", p.last]], [[":db/add", t, ":sex", sexKw(p)]],
        [[":db/add", t, ":age", p.age]], [[":db/add", t, ":salary", p.salary]]);
    }
    return {
      run: () => {
        let db = d.emptyDb(SCHEMA_EDN);
        for (const tx of txs) {
          const next = d.dbWith(db, tx);
          db.dispose();
          db = next;
        }
        return db;
      },
      after: disposeDl,
      summary: (db) => {
        const n = dlUserDatoms(db), e = dlEntities(db);
        return { key: `${n} datoms / ${e} entities`, label: `${n} datoms, ${e} entities`, count: n };
      },
    };
  },
  // SQL: INSERT (id, name), then 4 UPDATEs, each its own autocommit
  // transaction (one row per person, so not compared).
  sqlite: () => ({
    setup: () => {
      const db = sqlEmpty();
      return { db, ins: db.prepare("INSERT INTO person(id, name) VALUES (?, ?)"),
        ups: ["last_name", "sex", "age", "salary"].map((c) => db.prepare(`UPDATE person SET ${c} = ? WHERE id = ?`)) };
    },
    run: (s) => {
      for (let i = 0; i < people.length; i++) {
        const p = people[i];
        s.ins.run(i + 1, p.name);
        s.ups[0].run(p.last, i + 1);
        s.ups[1].run(p.sex, i + 1);
        s.ups[2].run(p.age, i + 1);
        s.ups[3].run(p.salary, i + 1);
      }
      return s.db;
    },
    after: closeSql,
    summary: (db) => ({ key: null, label: `${sqlFacts(db)} facts in ${db.prepare("SELECT count(*) FROM person").pluck().get()} rows` }),
  }),
});

op("add-5", {
  datascript: () => ({
    run: () => {
      let db = ds.empty_db(DS_SCHEMA);
      for (const m of dsPeople) db = ds.db_with(db, [m]);
      return db;
    },
    summary: txSummaryDs,
  }),
  datalite: () => ({
    run: () => {
      let db = d.emptyDb(SCHEMA_EDN);
      for (const m of dlPeople) {
        const next = d.dbWith(db, [m]);
        db.dispose();
        db = next;
      }
      return db;
    },
    after: disposeDl,
    summary: txSummaryDl,
  }),
  sqlite: () => ({
    setup: () => {
      const db = sqlEmpty();
      const ins = sqlInserters(db);
      return { db, tx: db.transaction((i, p) => ins.insert(i, p)) };
    },
    run: (s) => {
      for (let i = 0; i < people.length; i++) s.tx(i + 1, people[i]);
      return s.db;
    },
    after: closeSql,
    summary: txSummarySql,
  }),
});

op("add-all", {
  datascript: () => ({ run: () => ds.db_with(ds.empty_db(DS_SCHEMA), dsPeople), summary: txSummaryDs }),
  datalite: () => ({
    run: () => {
      const empty = d.emptyDb(SCHEMA_EDN);
      const db = d.dbWith(empty, dlPeople);
      empty.dispose();
      return db;
    },
    after: disposeDl,
    summary: txSummaryDl,
  }),
  sqlite: () => ({
    setup: () => {
      const db = sqlEmpty();
      const ins = sqlInserters(db);
      return { db, tx: db.transaction(() => people.forEach((p, i) => ins.insert(i + 1, p))) };
    },
    run: (s) => {
      s.tx();
      return s.db;
    },
    after: closeSql,
    summary: txSummarySql,
  }),
});

// init: the same datoms add-all makes (entity i+1 = the i-th person), aliases
// one datom each, with the schema (WORKLOADS deviation 2).
const initRows = (fn) => people.forEach((p, i) => {
  const e = i + 1;
  fn(e, "name", p.name);
  fn(e, "last-name", p.last);
  fn(e, "full-name", p.full);
  fn(e, "sex", p.sex);
  fn(e, "age", p.age);
  fn(e, "salary", p.salary);
  for (const al of p.alias) fn(e, "alias", al);
});
op("init", {
  datascript: () => {
    const datoms = [];
    initRows((e, a, v) => datoms.push([e, a, v]));
    return { run: () => ds.init_db(datoms, DS_SCHEMA), summary: txSummaryDs };
  },
  datalite: () => {
    const datoms = [];
    initRows((e, a, v) => datoms.push({ e, a: ":" + a, v: a === "sex" ? d.kw(":" + v) : v }));
    return { run: () => d.initDb(datoms, SCHEMA_EDN), after: disposeDl, summary: txSummaryDl };
  },
  // new db, tables without secondary indexes, one transaction of rows, then CREATE INDEX
  sqlite: () => {
    const persons = people.map((p, i) => [i + 1, p.name, p.last, p.full, p.sex, p.age, p.salary]);
    const aliases = [];
    people.forEach((p, i) => p.alias.forEach((al) => aliases.push([i + 1, al])));
    return {
      run: () => {
        const db = new Sqlite(":memory:");
        db.exec(SQL_TABLES);
        const ip = db.prepare("INSERT INTO person(id, name, last_name, full_name, sex, age, salary) VALUES (?, ?, ?, ?, ?, ?, ?)");
        const ia = db.prepare("INSERT INTO person_alias(person_id, alias) VALUES (?, ?)");
        db.transaction(() => {
          for (const r of persons) ip.run(r);
          for (const r of aliases) ia.run(r);
        })();
        db.exec(SQL_INDEXES);
        return db;
      },
      after: closeSql,
      summary: txSummarySql,
    };
  },
});

// retract-5: from db100k, one retractEntity per person, in one random order
// (the sorted entity ids shuffled with seed 7: the same order in every system).
op("retract-5", {
  datascript: () => {
    const start = db100k.datascript();
    const txs = shuffled(sortedEids.datascript(), 7).map((e) => [[":db.fn/retractEntity", e]]);
    return {
      run: () => {
        let db = start;
        for (const tx of txs) db = ds.db_with(db, tx);
        return db;
      },
      summary: txSummaryDs,
    };
  },
  datalite: () => {
    const start = db100k.datalite();
    const txs = shuffled(sortedEids.datalite(), 7).map((e) => [[":db/retractEntity", e]]);
    return {
      run: () => {
        let db = start;
        for (const tx of txs) {
          const next = d.dbWith(db, tx);
          if (db !== start) db.dispose();
          db = next;
        }
        return db;
      },
      after: disposeDl,
      summary: txSummaryDl,
    };
  },
  sqlite: () => {
    const eids = shuffled(sortedEids.sqlite(), 7);
    const snapshot = db100k.sqlite().serialize();
    return {
      // the db is restored from a snapshot before each run, untimed
      setup: () => {
        const db = new Sqlite(snapshot);
        const stmts = ["DELETE FROM person_alias WHERE person_id = ?", "DELETE FROM follows WHERE src = ?",
          "DELETE FROM follows WHERE dst = ?", "DELETE FROM person WHERE id = ?"].map((s) => db.prepare(s));
        return { db, tx: db.transaction((e) => { for (const st of stmts) st.run(e); }) };
      },
      run: (s) => {
        for (const e of eids) s.tx(e);
        return s.db;
      },
      after: closeSql,
      summary: txSummarySql,
    };
  },
});

const valuesSummary = (out) => ({ key: JSON.stringify(out), label: `${out.filter((v) => typeof v === "string").length} values`, count: out.length });
for (const name of ["find-datoms", "find-datom"]) {
  op(name, {
    // DataScript's JS API has no find_datom: both ops are datoms(..)[0].
    datascript: () => {
      const db = db100k.datascript(), eids = lookupRange(sortedEids.datascript());
      return {
        run: () => {
          const out = new Array(eids.length);
          for (let i = 0; i < eids.length; i++) out[i] = ds.datoms(db, ":eavt", eids[i], "full-name")[0].v;
          return out;
        },
        summary: valuesSummary,
      };
    },
    datalite: () => {
      const db = db100k.datalite(), eids = lookupRange(sortedEids.datalite());
      if (name === "find-datoms") {
        return {
          run: () => {
            const out = new Array(eids.length);
            for (let i = 0; i < eids.length; i++) out[i] = db.datoms("eavt", eids[i], ":full-name")[0].v;
            return out;
          },
          summary: valuesSummary,
        };
      }
      return {
        // the first item of seekDatoms (a cursor: open, first chunk, close)
        run: () => {
          const out = new Array(eids.length);
          for (let i = 0; i < eids.length; i++) {
            for (const x of db.seekDatoms("eavt", eids[i], ":full-name")) {
              out[i] = x.v;
              break;
            }
          }
          return out;
        },
        summary: valuesSummary,
      };
    },
    sqlite: () => {
      const eids = lookupRange(sortedEids.sqlite());
      const st = db100k.sqlite().prepare("SELECT full_name FROM person WHERE id = ?").pluck();
      return {
        run: () => {
          const out = new Array(eids.length);
          for (let i = 0; i < eids.length; i++) out[i] = st.get(eids[i]);
          return out;
        },
        summary: valuesSummary,
      };
    },
  });
}

const QUERIES = [
  ["q1", '[:find ?e :where [?e :name "Ivan"]]', [], "SELECT id FROM person WHERE name = 'Ivan'"],
  ["q2", '[:find ?e ?a :where [?e :name "Ivan"] [?e :age ?a]]', [], "SELECT id, age FROM person WHERE name = 'Ivan'"],
  ["q2-switch", '[:find ?e ?a :where [?e :age ?a] [?e :name "Ivan"]]', [],
    "SELECT id, age FROM person WHERE age IS NOT NULL AND name = 'Ivan'"],
  ["q3", '[:find ?e ?a :where [?e :name "Ivan"] [?e :age ?a] [?e :sex :male]]', [],
    "SELECT id, age FROM person WHERE name = 'Ivan' AND sex = 'male'"],
  ["q4", '[:find ?e ?l ?a :where [?e :name "Ivan"] [?e :last-name ?l] [?e :age ?a] [?e :sex :male]]', [],
    "SELECT id, last_name, age FROM person WHERE name = 'Ivan' AND sex = 'male'"],
  ["q5-shortcircuit", "[:find ?e ?n ?l ?a ?s ?al :in $ ?n ?a :where [?e :name ?n] [?e :age ?a] [?e :last-name ?l] [?e :sex ?s] [?e :alias ?al]]",
    ["Anastasia", 35],
    "SELECT p.id, p.name, p.last_name, p.age, p.sex, a.alias FROM person p JOIN person_alias a ON a.person_id = p.id WHERE p.name = ? AND p.age = ?"],
  ["qpred1", "[:find ?e ?s :where [?e :salary ?s] [(> ?s 50000)]]", [], "SELECT id, salary FROM person WHERE salary > 50000"],
  ["qpred2", "[:find ?e ?s :in $ ?min_s :where [?e :salary ?s] [(> ?s ?min_s)]]", [50000],
    "SELECT id, salary FROM person WHERE salary > ?"],
];
// DataScript's form of a canonical query: string attributes, :sex as a string.
const dsQuery = (edn) => edn.replace(/\[\?(\w+) :([\w-]+)/g, '[?$1 "$2"').replace(/ :male\]/g, ' "male"]');

for (const [name, edn, inputs, sql] of QUERIES) {
  op(name, {
    datascript: () => {
      const db = db100k.datascript(), text = dsQuery(edn);
      return { run: () => ds.q(text, db, ...inputs), summary: rowsSummary, text };
    },
    datalite: () => {
      const db = db100k.datalite();
      return { run: () => db.q(edn, ...inputs), summary: rowsSummary, text: edn };
    },
    sqlite: () => {
      const st = db100k.sqlite().prepare(sql).raw(true);
      return { run: () => st.all(...inputs), summary: rowsSummary, text: sql };
    },
  });
}

// Pull and entity walks on the pull db = wide-db(4, 5), from [:id 1].
op("pull-one-entities", {
  datascript: () => {
    const db = wideDb("datascript", 4, 5);
    const f = (e) => ({ name: e.get("name"), follows: (e.get("follows") ?? []).map(f) });
    return { run: () => f(ds.entity(db, ["id", 1])), summary: pullSummary };
  },
  datalite: () => {
    const db = wideDb("datalite", 4, 5);
    const f = (e) => ({ ":name": e.get(":name"), ":follows": (e.get(":follows") ?? []).map(f) });
    return { run: () => f(db.entity([":id", 1])), summary: pullSummary };
  },
});
op("pull-one", {
  datascript: () => {
    const db = wideDb("datascript", 4, 5);
    return { run: () => ds.pull(db, '["name" {"follows" ...}]', ["id", 1]), summary: pullSummary };
  },
  datalite: () => {
    const db = wideDb("datalite", 4, 5);
    return { run: () => db.pull("[:name {:follows ...}]", [":id", 1]), summary: pullSummary };
  },
});
// (select-keys entity [:db/id :last-name :alias :sex :age :salary]) + :follows, recursively
const selectWalk = (attrs, follows) => {
  const f = (e) => {
    const o = { ":db/id": e.get(":db/id") };
    for (const a of attrs) {
      const v = e.get(a);
      if (v != null) o[a] = v;
    }
    o[follows] = (e.get(follows) ?? []).map(f);
    return o;
  };
  return f;
};
op("pull-many-entities", {
  datascript: () => {
    const db = wideDb("datascript", 4, 5);
    const f = selectWalk(["last-name", "alias", "sex", "age", "salary"], "follows");
    return { run: () => f(ds.entity(db, ["id", 1])), summary: pullSummary };
  },
  datalite: () => {
    const db = wideDb("datalite", 4, 5);
    const f = selectWalk([":last-name", ":alias", ":sex", ":age", ":salary"], ":follows");
    return { run: () => f(db.entity([":id", 1])), summary: pullSummary };
  },
});
op("pull-many", {
  datascript: () => {
    const db = wideDb("datascript", 4, 5);
    return { run: () => ds.pull(db, '[:db/id "last-name" "alias" "sex" "age" "salary" {"follows" ...}]', ["id", 1]), summary: pullSummary };
  },
  datalite: () => {
    const db = wideDb("datalite", 4, 5);
    return { run: () => db.pull("[:db/id :last-name :alias :sex :age :salary {:follows ...}]", [":id", 1]), summary: pullSummary };
  },
});
op("pull-wildcard", {
  datascript: () => {
    const db = wideDb("datascript", 4, 5);
    return { run: () => ds.pull(db, '[* {"follows" ...}]', ["id", 1]), summary: pullSummary };
  },
  datalite: () => {
    const db = wideDb("datalite", 4, 5);
    return { run: () => db.pull("[* {:follows ...}]", [":id", 1]), summary: pullSummary };
  },
});

const RULES_Q = "[:find ?e ?e2 :in $ % :where (follows ?e ?e2)]";
const RULES_DL = "[[(follows ?x ?y) [?x :follows ?y]] [(follows ?x ?y) [?x :follows ?t] (follows ?t ?y)]]";
const RULES_DS = '[[(follows ?x ?y) [?x "follows" ?y]] [(follows ?x ?y) [?x "follows" ?t] (follows ?t ?y)]]';
const RULES_SQL = `WITH RECURSIVE closure(e, e2) AS (
    SELECT src, dst FROM follows
    UNION
    SELECT c.e, f.dst FROM closure c JOIN follows f ON f.src = c.e2)
  SELECT e, e2 FROM closure`;
for (const [name, wide, depth, width] of [["rules-wide-3x3", true, 3, 3], ["rules-wide-5x3", true, 5, 3],
  ["rules-wide-7x3", true, 7, 3], ["rules-wide-4x6", true, 4, 6], ["rules-long-10x3", false, 10, 3],
  ["rules-long-30x3", false, 30, 3], ["rules-long-30x5", false, 30, 5]]) {
  const get = (s) => (wide ? wideDb(s, depth, width) : longDb(s, depth, width));
  op(name, {
    datascript: () => {
      const db = get("datascript");
      return { run: () => ds.q(RULES_Q, db, RULES_DS), summary: rowsSummary };
    },
    datalite: () => {
      const db = get("datalite");
      return { run: () => db.q(RULES_Q, RULES_DL), summary: rowsSummary };
    },
    // SQL ids are the tempid numbers, not the engines' entity ids: compare counts.
    sqlite: () => {
      const st = get("sqlite").prepare(RULES_SQL).raw(true);
      return { run: () => st.all(), summary: rowsSummary, compareCountOnly: true };
    },
  });
}

// freeze/thaw: datalite's binary snapshot vs DataScript's JSON form (its only
// one); freeze-json/thaw-json: datalite's JSON form. For DataScript the -json
// ops are the same code, so they reuse its freeze/thaw samples when those ran.
const dsFreeze = (db) => JSON.stringify(ds.serializable(db));
const thawCheckDs = (db) => {
  const n = dsDatoms(db), ivans = ds.q('[:find (count ?e) . :where [?e "name" "Ivan"]]', db);
  return { key: `${n} datoms / ${ivans} Ivans`, label: `${n} datoms, ${ivans} Ivans` };
};
const thawCheckDl = (db) => {
  const n = dlUserDatoms(db), ivans = db.q('[:find (count ?e) . :where [?e :name "Ivan"]]');
  return { key: `${n} datoms / ${ivans} Ivans`, label: `${n} datoms, ${ivans} Ivans` };
};
const thawCheckSql = (db) => {
  const n = sqlFacts(db), ivans = db.prepare("SELECT count(*) FROM person WHERE name = 'Ivan'").pluck().get();
  return { key: `${n} datoms / ${ivans} Ivans`, label: `${n} facts, ${ivans} Ivans` };
};
const sizeLabel = (n) => ({ key: null, label: `${(n / 1e6).toFixed(1)} MB` });
const dsFreezeOp = () => {
  const db = serializeDb.datascript();
  return { run: () => dsFreeze(db), summary: (s) => sizeLabel(s.length) };
};
const dsThawOp = () => {
  const json = once("ds-frozen", () => dsFreeze(serializeDb.datascript()));
  return { run: () => ds.from_serializable(JSON.parse(json)), summary: thawCheckDs };
};

op("freeze", {
  datascript: dsFreezeOp,
  datalite: () => {
    const db = serializeDb.datalite();
    return { run: () => db.serialize(), summary: (b) => sizeLabel(b.length) };
  },
  sqlite: () => {
    const db = serializeDb.sqlite();
    return { run: () => db.serialize(), summary: (b) => sizeLabel(b.length) };
  },
});
op("thaw", {
  datascript: dsThawOp,
  datalite: () => {
    const bytes = once("dl-frozen", () => serializeDb.datalite().serialize());
    return { run: () => d.deserialize(bytes), after: disposeDl, summary: thawCheckDl };
  },
  sqlite: () => {
    const bytes = once("sql-frozen", () => serializeDb.sqlite().serialize());
    return { run: () => new Sqlite(bytes), after: closeSql, summary: thawCheckSql };
  },
});
op("freeze-json", {
  datascript: () => ({ reuse: "freeze", ...dsFreezeOp() }),
  datalite: () => {
    const db = serializeDb.datalite();
    return { run: () => JSON.stringify(db.toSerializable()), summary: (s) => sizeLabel(s.length) };
  },
});
op("thaw-json", {
  datascript: () => ({ reuse: "thaw", ...dsThawOp() }),
  datalite: () => {
    const json = once("dl-frozen-json", () => JSON.stringify(serializeDb.datalite().toSerializable()));
    return { run: () => d.fromSerializable(JSON.parse(json)), after: disposeDl, summary: thawCheckDl };
  },
});

// ------------------------------------------------------------------ harness

// One timed iteration (setup and after untimed); returns [ms, result].
function iterate(sys) {
  const state = sys.setup ? sys.setup() : undefined;
  const t0 = now();
  const result = sys.run(state);
  const ms = now() - t0;
  return [ms, result, state];
}
function finish(sys, result, state) {
  if (sys.after) sys.after(result, state);
}
// A sample of >= ms of timed work (at least one iteration): mean ms/iteration.
function sample(sys, ms) {
  let timed = 0, iters = 0;
  if (!sys.setup && !sys.after) {
    const t0 = now();
    let t1;
    do {
      sys.run();
      iters++;
      t1 = now();
    } while (t1 - t0 < ms);
    return (t1 - t0) / iters;
  }
  do {
    const [t, result, state] = iterate(sys);
    finish(sys, result, state);
    timed += t;
    iters++;
  } while (timed < ms);
  return timed / iters;
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : null;
};

const wanted = (name) => !opt.ops || opt.ops.includes(name);
if (opt.ops) for (const o of opt.ops) if (!ops.some((x) => x.name === o)) throw new Error(`unknown op ${o}`);

if (opt.preflightChild) {
  const db = db100k.datalite();
  const expected = people.filter((p) => p.name === "Ivan").length;
  const got = db.q('[:find (count ?e) . :where [?e :name "Ivan"]]');
  if (got !== expected) throw new Error(`preflight: ${got} Ivans, expected ${expected}`);
  const tree = wideDb("datalite", 4, 5).pull("[:db/id {:follows ...}]", [":id", 1]);
  if (!tree) throw new Error("preflight: pull found no root");
  const pairs = wideDb("datalite", 5, 3).q(RULES_Q, RULES_DL).length;
  if (pairs !== 1641) throw new Error(`preflight: rules-wide-5x3 gave ${pairs} pairs, expected 1641`);
  console.log("preflight ok");
  process.exit(0);
}

const results = [];
const reused = new Map();  // freeze/thaw -> DataScript's measurement
const mismatches = [];
let dataliteBroken = null;  // set when the engine traps: its heap can no longer be trusted
const isTrap = (err) => err instanceof WebAssembly.RuntimeError || /Aborted|memory access out of bounds|unreachable/.test(String(err?.message));

console.log(`# datalite (wasm, ${engine.variant === "mt" ? "threaded -pthread build" : "single-threaded build"}) vs DataScript ${require(new URL("../datascript/node_modules/datascript/package.json", import.meta.url).pathname).version}` +
  (SYSTEMS.includes("sqlite") ? ` vs SQLite ${new Sqlite(":memory:").prepare("SELECT sqlite_version()").pluck().get()} (better-sqlite3)` : ""));
console.log(`node ${process.version}, ${people.length} people, repeat ${opt.repeat}, warm-up ${opt.warmupMs} ms, sample ${opt.sampleMs} ms, ` +
  `op budget ${opt.opBudgetS} s, serialize db ${opt.serializeSize} people${opt.gc && globalThis.gc ? ", gc() before each sample" : ""}`);
if (sqliteNote) console.log(sqliteNote);
if (dataliteNote) console.log(dataliteNote);
{
  const ivans = people.filter((p) => p.name === "Ivan");
  const aliasDatoms = people.reduce((n, p) => n + p.alias.length, 0);
  let line = `people20k: ${people.length * 6 + aliasDatoms} datoms expected; ${ivans.length} Ivans ` +
    `(${ivans.filter((p) => p.sex === "male").length} male), ${people.filter((p) => p.salary > 50000).length} earn > 50000. db100k:`;
  // db100k is built here (untimed) only when a selected op reads it.
  const usesDb100k = ops.some((o) => wanted(o.name) && /^(retract-5|find-datoms?|q\d|qpred)/.test(o.name));
  const counts = {};
  if (usesDb100k) {
    if (SYSTEMS.includes("datascript")) counts.DataScript = dsDatoms(db100k.datascript());
    if (SYSTEMS.includes("datalite")) {
      try {
        counts.datalite = dlUserDatoms(db100k.datalite());
      } catch (err) {
        if (!isTrap(err)) throw err;
        dataliteBroken = `building db100k: ${err.message}`;
        console.log(`!!!!!!!! the datalite engine trapped building db100k (${err.message}): datalite is left out of this run`);
      }
    }
    if (SYSTEMS.includes("sqlite")) counts.SQLite = sqlFacts(db100k.sqlite());
  } else line += " (not built: no selected op reads it)";
  for (const [k, v] of Object.entries(counts)) line += ` ${k} ${v}`;
  if (new Set(Object.values(counts)).size > 1) {
    line += "   <-- MISMATCH";
    mismatches.push(`db100k datom counts differ: ${JSON.stringify(counts)}`);
  }
  console.log(line);
}
console.log("");

for (const { name, systems: thunks } of ops) {
  if (!wanted(name)) continue;
  const systems = SYSTEMS.filter((s) => thunks[s] && !(s === "datalite" && dataliteBroken));
  const defs = {};
  const entry = { op: name, systems: {} };
  const active = [];
  // Inputs (untimed), then the first run of each system: checked, timed
  // (unwarmed), then the warm-up.
  for (const s of systems) {
    const reuse = { "freeze-json": "freeze", "thaw-json": "thaw" }[name];
    if (s === "datascript" && reuse && reused.has(reuse)) {
      entry.systems[s] = { ...reused.get(reuse), reusedFrom: reuse };
      continue;
    }
    let sys;
    try {
      sys = defs[s] = thunks[s]();
    } catch (err) {
      console.log(`${name}: ${s}: could not prepare inputs: ${err?.message ?? err}`);
      entry.systems[s] = { error: String(err?.message ?? err) };
      if (s === "datalite" && isTrap(err)) dataliteBroken = `${name}: ${err.message}`;
      continue;
    }
    gc();
    await tick();
    let first, summary;
    try {
      const [ms, result, state] = iterate(sys);
      first = ms;
      summary = sys.summary ? sys.summary(result) : { key: null, label: "" };
      finish(sys, result, state);
    } catch (err) {
      console.log(`${name}: ${s} failed: ${err?.message ?? err}`);
      entry.systems[s] = { error: String(err?.message ?? err) };
      if (s === "datalite" && isTrap(err)) {
        dataliteBroken = `${name}: ${err.message}`;
        console.log(`!!!!!!!! the datalite engine trapped (${err.message}): its heap is no longer trustworthy, datalite is left out of the remaining ops`);
      }
      continue;
    }
    const rec = { first, summary, samples: [] };
    entry.systems[s] = rec;
    rec.rounds = first * (opt.repeat + 1) > opt.opBudgetS * 1000
      ? Math.max(0, Math.floor((opt.opBudgetS * 1000) / first) - 1) : opt.repeat;
    if (rec.rounds === opt.repeat) {
      const t0 = now();
      while (now() - t0 < opt.warmupMs - first) sample(sys, Math.min(opt.sampleMs, opt.warmupMs));
    }
    active.push(s);
  }
  // Correctness: every system's answer against DataScript's.
  const ref = entry.systems.datascript?.summary;
  for (const s of systems) {
    const rec = entry.systems[s];
    if (!rec?.summary || s === "datascript" || !ref) continue;
    if (rec.summary.key === null || ref.key === null) continue;
    const same = defs[s]?.compareCountOnly ? rec.summary.count === ref.count : rec.summary.key === ref.key;
    if (!same) {
      rec.mismatch = true;
      const msg = `${name}: ${s} answer differs from DataScript's (${rec.summary.label} vs ${ref.label})`;
      mismatches.push(msg);
      console.log(`!!!!!!!! MISMATCH ${msg}`);
      if (process.env.BENCH_DEBUG) console.log(rec.summary.key.slice(0, 3000), "\n---\n", ref.key.slice(0, 3000));
    }
  }
  // Rounds, rotating the order of systems.
  const maxRounds = Math.max(0, ...active.map((s) => entry.systems[s].rounds));
  for (let r = 0; r < maxRounds; r++) {
    const order = active.map((_, i) => active[(i + r) % active.length]);
    for (const s of order) {
      const rec = entry.systems[s];
      if (r >= rec.rounds) continue;
      gc();
      await tick();
      try {
        rec.samples.push(sample(defs[s], opt.sampleMs));
      } catch (err) {
        rec.error = String(err?.message ?? err);
        rec.rounds = r;
        console.log(`${name}: ${s} failed in round ${r + 1}: ${rec.error}`);
        if (s === "datalite" && isTrap(err)) dataliteBroken = `${name}: ${rec.error}`;
      }
    }
  }
  for (const s of active) {
    const rec = entry.systems[s];
    rec.ms = rec.samples.length ? median(rec.samples) : rec.first;
    rec.unwarmed = rec.samples.length === 0;
  }
  if ((name === "freeze" || name === "thaw") && entry.systems.datascript?.ms != null) reused.set(name, entry.systems.datascript);
  // Where datalite's time goes.
  if (opt.split && entry.systems.datalite?.ms != null) entry.split = await splitTime(defs.datalite);
  results.push(entry);
  printRow(entry);
}

function cell(rec) {
  if (!rec) return "-";
  if (rec.error && rec.ms == null) return "error";
  return fmtMs(rec.ms) + (rec.unwarmed ? "*" : "") + (rec.reusedFrom ? "†" : "");
}
function ratio(a, b) {
  return a?.ms != null && b?.ms != null ? a.ms / b.ms : null;
}
function printRow(e) {
  const s = e.systems;
  const errors = Object.entries(s).filter(([, r]) => r?.error).map(([k, r]) => `${k} error: ${r.error.slice(0, 80)}`);
  const check = Object.entries(s).some(([, r]) => r?.mismatch) ? "**MISMATCH**"
    : [s.datalite?.summary?.label ?? s.datascript?.summary?.label ?? "", ...errors].filter(Boolean).join("; ");
  const cols = [e.op, cell(s.datascript), cell(s.datalite), fmtRatio(ratio(s.datascript, s.datalite))];
  if (SYSTEMS.includes("sqlite")) cols.push(cell(s.sqlite), fmtRatio(ratio(s.sqlite, s.datalite)));
  cols.push(check);
  if (!printRow.header) {
    printRow.header = true;
    const head = ["op", "DataScript ms", "datalite ms", "DS / datalite"];
    if (SYSTEMS.includes("sqlite")) head.push("SQLite ms", "SQLite / datalite");
    head.push("answer (checked against DataScript)");
    console.log(`| ${head.join(" | ")} |`);
    console.log(`|${head.map((h, i) => (i === 0 || i === head.length - 1 ? "---" : "---:")).join("|")}|`);
  }
  console.log(`| ${cols.join(" | ")} |`);
  if (e.split) {
    const x = e.split;
    console.log(`|   ↳ datalite split | wasm ${pct(x.wasm, x.total)} | copy ${pct(x.copy, x.total)} | JS ${pct(x.js, x.total)} |` +
      (SYSTEMS.includes("sqlite") ? " | |" : "") + ` ${x.calls} engine calls/iter, ${fmtMs(x.total)} ms/iter |`);
  }
}

async function splitTime(sys) {
  const m = engine.module;
  const origSend = engine.send, origCall = m.call;
  let sendT = 0, callT = 0, calls = 0, counting = false;
  engine.send = function (opcode) {
    if (!counting) return origSend.call(this, opcode);
    const t0 = now();
    try {
      return origSend.call(this, opcode);
    } finally {
      sendT += now() - t0;
    }
  };
  m.call = function (...a) {
    if (!counting) return origCall.apply(this, a);
    const t0 = now();
    try {
      return origCall.apply(this, a);
    } finally {
      callT += now() - t0;
      calls++;
    }
  };
  gc();
  await tick();
  let total = 0, iters = 0;
  try {
    do {
      const state = sys.setup ? sys.setup() : undefined;
      counting = true;
      const t0 = now();
      const result = sys.run(state);
      total += now() - t0;
      counting = false;
      finish(sys, result, state);
      iters++;
    } while (total < Math.max(opt.sampleMs, 200));
  } finally {
    counting = false;
    engine.send = origSend;
    m.call = origCall;
  }
  // wasm = inside the engine's entry point; copy = the rest of engine.send
  // (request into wasm memory, response out, reader); js = everything else
  // (encoding JS values, decoding the response, the API's and the op's JS).
  return { total: total / iters, wasm: callT / iters, copy: (sendT - callT) / iters, js: (total - sendT) / iters,
    calls: Math.round(calls / iters) };
}

console.log("");
console.log("ms = median over rounds of the mean ms per iteration; ratio > 1 means datalite is faster." +
  " * = only the unwarmed first run (op budget). † = same code as freeze/thaw, reused.");
if (dataliteNote) console.log(dataliteNote);
if (dataliteBroken) console.log(`!!!!!!!! datalite trapped during ${dataliteBroken}; the ops after it ran without datalite.`);
if (mismatches.length) {
  console.log(`\n!!!!!!!! ${mismatches.length} CORRECTNESS MISMATCH(ES):`);
  for (const m of mismatches) console.log(`  - ${m}`);
} else {
  console.log("All checked answers agree (queries: sorted rows equal; pulls: trees equal; tx ops: datom counts).");
}
if (opt.json) {
  writeFileSync(opt.json, JSON.stringify({
    meta: { node: process.version, variant: engine.variant, size: opt.size, repeat: opt.repeat, warmupMs: opt.warmupMs,
      sampleMs: opt.sampleMs, serializeSize: opt.serializeSize, opBudgetS: opt.opBudgetS, systems: SYSTEMS,
      date: new Date().toISOString() },
    results: results.map((e) => ({
      op: e.op, error: e.error,
      ratioDatascriptOverDatalite: ratio(e.systems?.datascript, e.systems?.datalite),
      ratioSqliteOverDatalite: ratio(e.systems?.sqlite, e.systems?.datalite),
      systems: Object.fromEntries(Object.entries(e.systems ?? {}).map(([s, r]) => [s, {
        ms: r.ms, first: r.first, samples: r.samples, unwarmed: r.unwarmed, reusedFrom: r.reusedFrom, error: r.error,
        answer: r.summary?.label, mismatch: !!r.mismatch }])),
      split: e.split,
    })),
    mismatches,
  }, null, 2));
  console.log(`wrote ${opt.json}`);
}
