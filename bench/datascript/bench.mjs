// DataScript (npm `datascript`, its JS API) on the workload of
// shared/bench/WORKLOADS.md, with the same timing scheme as the native
// bench (bench/native/bench.cpp): warm-up, then the median over rounds of
// the mean ms per iteration. Run through bench/compare.sh, which runs both
// in one go and prints the ratios.
//
//   node bench/datascript/bench.mjs [--size N] [--repeat R] [--warmup-ms M] [--sample-ms M] [--ops a,b]
import { createRequire } from 'node:module';
import { makePeople as makeNeutralPeople, rng } from '../common/people.mjs';

const require = createRequire(import.meta.url);
const ds = require('datascript');

const args = process.argv.slice(2);
const opt = { size: 20000, repeat: 5, warmupMs: 1000, sampleMs: 200, ops: null };
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  const next = () => args[++i];
  if (a === '--size') opt.size = Number(next());
  else if (a === '--repeat') opt.repeat = Number(next());
  else if (a === '--warmup-ms') opt.warmupMs = Number(next());
  else if (a === '--sample-ms') opt.sampleMs = Number(next());
  else if (a === '--ops') opt.ops = next().split(',');
  else throw new Error(`unknown option ${a}`);
}
const wanted = (op) => !opt.ops || opt.ops.includes(op);

// Same distributions as the native bench; the generator is shared with bench/js.
function makePeople(n, seed) {
  return makeNeutralPeople(n, seed, true).map((p) => ({ ':db/id': String(p.k), name: p.name, 'last-name': p.last,
    'full-name': p.full, alias: p.alias, sex: p.sex, age: p.age, salary: p.salary }));
}

const schema = { id: { ':db/unique': ':db.unique/identity' },
  follows: { ':db/valueType': ':db.type/ref', ':db/cardinality': ':db.cardinality/many' },
  alias: { ':db/cardinality': ':db.cardinality/many' } };

function measure(fn) {
  const start = performance.now();
  do fn(); while (performance.now() - start < opt.warmupMs);
  const rounds = [];
  for (let r = 0; r < opt.repeat; r++) {
    let iters = 0;
    const t0 = performance.now();
    let t1;
    do { fn(); iters++; t1 = performance.now(); } while (t1 - t0 < opt.sampleMs);
    rounds.push((t1 - t0) / iters);
  }
  rounds.sort((a, b) => a - b);
  return rounds[Math.floor(rounds.length / 2)];
}
const report = (op, ms, extra = '') => console.log(`${op.padEnd(16)} ${ms.toFixed(3).padStart(12)}${extra}`);

const people = makePeople(opt.size, 42);
const withAliases = (p) => { const c = { ...p }; if (!c.alias.length) delete c.alias; return c; };
const db100k = ds.db_with(ds.empty_db(schema), people.map(withAliases));
console.log(`datascript bench: ${people.length} people, ${ds.datoms(db100k, ':eavt').length} datoms`);

if (wanted('add-1')) report('add-1', measure(() => {
  let db = ds.empty_db(schema);
  for (const p of people)
    for (const a of ['name', 'last-name', 'sex', 'age', 'salary'])
      db = ds.db_with(db, [[':db/add', p[':db/id'], a, p[a]]]);
}));
if (wanted('add-5')) report('add-5', measure(() => {
  let db = ds.empty_db(schema);
  for (const p of people) db = ds.db_with(db, [withAliases(p)]);
}));
if (wanted('add-all')) report('add-all', measure(() => ds.db_with(ds.empty_db(schema), people.map(withAliases))));
if (wanted('init')) {
  const datoms = [];
  people.forEach((p, i) => {
    const e = i + 1;
    for (const a of ['name', 'last-name', 'full-name', 'sex', 'age', 'salary']) datoms.push([e, a, p[a]]);
    for (const al of p.alias) datoms.push([e, "alias", al]);
  });
  report('init', measure(() => ds.init_db(datoms, schema)));
}
if (wanted('retract-5')) {
  const eids = ds.q('[:find [?e ...] :where [?e "name"]]', db100k);
  const r = rng(7);
  for (let i = eids.length - 1; i > 0; i--) { const j = Math.floor(r() * (i + 1)); [eids[i], eids[j]] = [eids[j], eids[i]]; }
  report('retract-5', measure(() => {
    let db = db100k;
    for (const e of eids) db = ds.db_with(db, [[':db.fn/retractEntity', e]]);
  }));
}
if (wanted('find-datoms')) {
  const sorted = ds.q('[:find [?e ...] :where [?e "name"]]', db100k).sort((a, b) => a - b);
  const from = Math.floor(sorted.length * 0.45), to = Math.min(sorted.length, from + 2000);
  report('find-datoms', measure(() => {
    for (let i = from; i < to; i++) if (!ds.datoms(db100k, ':eavt', sorted[i], 'full-name')[0].v) throw new Error();
  }));
}
const queries = [
  ['q1', '[:find ?e :where [?e "name" "Ivan"]]', []],
  ['q2', '[:find ?e ?a :where [?e "name" "Ivan"] [?e "age" ?a]]', []],
  ['q2-switch', '[:find ?e ?a :where [?e "age" ?a] [?e "name" "Ivan"]]', []],
  ['q3', '[:find ?e ?a :where [?e "name" "Ivan"] [?e "age" ?a] [?e "sex" "male"]]', []],
  ['q4', '[:find ?e ?l ?a :where [?e "name" "Ivan"] [?e "last-name" ?l] [?e "age" ?a] [?e "sex" "male"]]', []],
  ['q5-shortcircuit', '[:find ?e ?n ?l ?a ?s ?al :in $ ?n ?a :where [?e "name" ?n] [?e "age" ?a] [?e "last-name" ?l] [?e "sex" ?s] [?e "alias" ?al]]', ['Anastasia', 35]],
  ['qpred1', '[:find ?e ?s :where [?e "salary" ?s] [(> ?s 50000)]]', []],
  ['qpred2', '[:find ?e ?s :in $ ?min_s :where [?e "salary" ?s] [(> ?s ?min_s)]]', [50000]],
];
for (const [name, q, inputs] of queries) {
  if (!wanted(name)) continue;
  const rows = ds.q(q, db100k, ...inputs).length;
  report(name, measure(() => ds.q(q, db100k, ...inputs)), `   (${rows} rows)`);
}

function wideDb(depth, width) {
  const maps = [];
  const todo = [[1, depth]];
  let idx = 0;
  while (todo.length) {
    const [id, d] = todo.pop();
    const p = people[idx++ % people.length];
    const m = { ':db/id': String(id), name: p.name, 'last-name': p['last-name'], sex: p.sex, age: p.age, salary: p.salary };
    if (d > 0) {
      m.id = id;
      m.follows = [];
      for (let k = 0; k < width; k++) { m.follows.push(String(id * width + k)); todo.push([id * width + k, d - 1]); }
    }
    maps.push(m);
  }
  return ds.db_with(ds.empty_db(schema), maps);
}
function longDb(depth, width) {
  const tx = [];
  for (let x = 0; x < width; x++)
    for (let y = 0; y <= depth; y++) {
      const e = x * (depth + 1) + y + 1;
      tx.push([':db/add', e, 'name', 'Ivan']);
      if (y < depth) tx.push([':db/add', e, 'follows', e + 1]);
    }
  return ds.db_with(ds.empty_db(schema), tx);
}
if (['pull-one', 'pull-many', 'pull-wildcard'].some(wanted)) {
  const pdb = wideDb(4, 5);
  for (const [name, pattern] of [['pull-one', '[:name {:follows ...}]'.replace(':name', '"name"').replace(':follows', '"follows"')],
    ['pull-many', '["last-name" "alias" "sex" "age" "salary" {"follows" ...}]'],
    ['pull-wildcard', '[* {"follows" ...}]']]) {
    if (!wanted(name)) continue;
    report(name, measure(() => ds.pull(pdb, pattern, ['id', 1])));
  }
}
const rules = '[[(follows ?x ?y) [?x "follows" ?y]] [(follows ?x ?y) [?x "follows" ?t] (follows ?t ?y)]]';
for (const [name, wide, depth, width] of [['rules-wide-3x3', true, 3, 3], ['rules-wide-5x3', true, 5, 3],
  ['rules-wide-7x3', true, 7, 3], ['rules-wide-4x6', true, 4, 6], ['rules-long-10x3', false, 10, 3],
  ['rules-long-30x3', false, 30, 3], ['rules-long-30x5', false, 30, 5]]) {
  if (!wanted(name)) continue;
  const rdb = wide ? wideDb(depth, width) : longDb(depth, width);
  const q = '[:find ?e ?e2 :in $ % :where (follows ?e ?e2)]';
  const rows = ds.q(q, rdb, rules).length;
  report(name, measure(() => ds.q(q, rdb, rules)), `   (${rows} rows)`);
}
