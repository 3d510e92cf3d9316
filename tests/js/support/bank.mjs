// The "bank" workload of the concurrency tests (tests/js/concurrency.test.mjs,
// its worker tests/js/support/concurrency-worker.mjs, and the browser spec
// e2e/tests/concurrency.spec.mjs, which serves this file to the page): a
// writer moves money between 50 accounts, one transaction per transfer,
// and churns a cardinality-many attribute; readers check, on every db value
// they read, invariants that a torn or mixed snapshot would break.
// Plain JS with no imports: it runs in Node, in workers and in pages.
// stress() runs the writer and async readers in one engine instance.
//
// Invariants of a snapshot whose counter says T transfers happened:
//   - the balances sum to 50 * 1000 (q sum/count :with, AEVT, AVET, EAVT,
//     pullMany, a cursor);
//   - balances and tags are exactly the state the writer committed as
//     transfer T (its hash, published before the transaction);
//   - T == maxTx - the setup tx == the tx entities marked :tx/transfer ==
//     the counter through entity() and pull();
//   - the tag counter equals the tags in AEVT, AVET, q and pull;
//   - asOf(setup + floor(T/2)) is transfer floor(T/2), since() of it holds
//     the other transfers, history holds T + 1 counter values.

export const ACCOUNTS = 50;
export const INITIAL = 1000;
export const TOTAL = ACCOUNTS * INITIAL;
export const COUNTER = 100;

export const SCHEMA = {
  "acct/id": { "db/valueType": "db.type/long", "db/unique": "db.unique/identity" },
  "acct/balance": { "db/valueType": "db.type/long" },
  "acct/tags": { "db/cardinality": "db.cardinality/many" },
  "meta/transfers": { "db/valueType": "db.type/long" },
  "meta/tags": { "db/valueType": "db.type/long" },
  "tx/transfer": { "db/valueType": "db.type/long" },
};

export function setupTx() {
  const tx = [];
  for (let i = 1; i <= ACCOUNTS; i++) tx.push({ ":db/id": i, "acct/id": i, "acct/balance": INITIAL });
  tx.push({ ":db/id": COUNTER, "meta/transfers": 0, "meta/tags": 0 });
  return tx;
}

// FNV-1a over a string, two 32-bit lanes: a 64-bit hex digest.
function hashText(text) {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995) ^ (b >>> 15);
  }
  return (a >>> 0).toString(16).padStart(8, "0") + (b >>> 0).toString(16).padStart(8, "0");
}

// balances[i], tags[i] (an iterable of strings) of account i + 1.
export function stateHash(balances, tags) {
  const parts = [];
  for (let i = 0; i < ACCOUNTS; i++) parts.push(`${balances[i]}:${[...tags[i]].sort().join(",")}`);
  return hashText(parts.join("|"));
}

// The writer's model: next() gives transfer k+1 as tx-data, tx meta and the
// hash of the state it commits.
export class Bank {
  // A bank with the same seed commits the same transfers: after a reload,
  // new Bank(seed).advanceTo(T) is the writer's model at transfer T.
  constructor(seed = 42) {
    this.k = 0;
    this.balances = new Array(ACCOUNTS).fill(INITIAL);
    this.tags = Array.from({ length: ACCOUNTS }, () => new Set());
    this.tagCount = 0;
    this.seed = seed >>> 0;
    this.hashes = new Map([[0, stateHash(this.balances, this.tags)]]);
  }

  rand(n) {
    // xorshift32
    let x = this.seed || 1;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.seed = x >>> 0;
    return this.seed % n;
  }

  advanceTo(t) {
    while (this.k < t) this.next();
    return this;
  }

  next() {
    const k = ++this.k;
    const a = this.rand(ACCOUNTS);
    const b = (a + 1 + this.rand(ACCOUNTS - 1)) % ACCOUNTS;
    const m = 1 + this.rand(100);
    const tx = [
      [":db/cas", a + 1, "acct/balance", this.balances[a], this.balances[a] - m],
      [":db/cas", b + 1, "acct/balance", this.balances[b], this.balances[b] + m],
      [":db/add", COUNTER, "meta/transfers", k],
    ];
    this.balances[a] -= m;
    this.balances[b] += m;
    const c = this.rand(ACCOUNTS);
    const tags = this.tags[c];
    if (k % 17 === 0 && tags.size) {
      tx.push([":db/retract", c + 1, "acct/tags"]);
      this.tagCount -= tags.size;
      tags.clear();
    } else if (k % 3 === 0 && tags.size) {
      const victim = [...tags][this.rand(tags.size)];
      tx.push([":db/retract", c + 1, "acct/tags", victim]);
      tags.delete(victim);
      this.tagCount--;
    } else {
      const tag = `t${k}`;
      tx.push([":db/add", c + 1, "acct/tags", tag]);
      tags.add(tag);
      this.tagCount++;
    }
    tx.push([":db/add", COUNTER, "meta/tags", this.tagCount]);
    const hash = stateHash(this.balances, this.tags);
    this.hashes.set(k, hash);
    return { k, tx, meta: { "tx/transfer": k }, hash };
  }
}

const Q = {
  counter: "[:find ?n . :where [100 :meta/transfers ?n]]",
  tagCounter: "[:find ?n . :where [100 :meta/tags ?n]]",
  sumCount: "[:find (sum ?b) (count ?e) :with ?e :where [?e :acct/balance ?b]]",
  transfers: "[:find (count ?t) . :where [?t :tx/transfer]]",
  tagCount: "[:find (count ?v) . :with ?e :where [?e :acct/tags ?v]]",
  historyCount: "[:find (count ?v) . :where [100 :meta/transfers ?v _ true]]",
};
const LOOKUPS = Array.from({ length: ACCOUNTS }, (_, i) => ["acct/id", i + 1]);

// Balances and tags of a db as read from AEVT.
function accountsOf(db) {
  const balances = new Array(ACCOUNTS).fill(null);
  const tags = Array.from({ length: ACCOUNTS }, () => []);
  const bal = db.datoms("aevt", ":acct/balance");
  for (const d of bal) if (d.e >= 1 && d.e <= ACCOUNTS) balances[d.e - 1] = d.v;
  const tagDatoms = db.datoms("aevt", ":acct/tags");
  for (const d of tagDatoms) if (d.e >= 1 && d.e <= ACCOUNTS) tags[d.e - 1].push(d.v);
  return { balances, tags, balanceDatoms: bal, tagDatoms };
}

// Checks every invariant of `db` (a connection value). `expected(t)` gives
// the hash the writer published for transfer t, or undefined when the
// checker cannot know (the caller then compares seen.hash later).
// Returns { seen: { t, hash, tags, history }, problems: [strings] }; seen is
// identical for every read of the same value.
export function checkSnapshot(db, baseTx, expected) {
  const problems = [];
  const fail = (what) => problems.push(what);
  const t = db.q(Q.counter);
  if (typeof t !== "number") return { seen: { t: -1 }, problems: [`counter missing: ${t}`] };
  if (db.maxTx - baseTx !== t) fail(`maxTx - base ${db.maxTx - baseTx} != counter ${t}`);
  const txs = db.q(Q.transfers) ?? 0;
  if (txs !== t) fail(`transfer txs ${txs} != counter ${t}`);
  const counter = db.entity(COUNTER);
  if (counter.get(":meta/transfers") !== t) fail(`entity counter ${counter.get(":meta/transfers")}`);
  const pc = db.pull("[:meta/transfers :meta/tags]", COUNTER);
  if (pc?.[":meta/transfers"] !== t) fail(`pulled counter ${JSON.stringify(pc)}`);

  const sc = db.q(Q.sumCount);
  if (sc.length !== 1 || sc[0][0] !== TOTAL || sc[0][1] !== ACCOUNTS) fail(`q sum/count ${JSON.stringify(sc)}`);

  const acc = accountsOf(db);
  let sum = 0;
  for (const b of acc.balances) sum += b ?? NaN;
  if (acc.balanceDatoms.length !== ACCOUNTS || sum !== TOTAL) fail(`AEVT: ${acc.balanceDatoms.length} balances, sum ${sum}`);
  const hash = stateHash(acc.balances, acc.tags);
  const tags = acc.tagDatoms.length;
  const want = expected?.(t);
  if (expected && want === undefined) fail(`counter ${t} was never published by the writer`);
  else if (want !== undefined && want !== hash) fail(`state of counter ${t} differs from what the writer committed`);

  const avet = db.datoms("avet", ":acct/balance");
  let avetSum = 0;
  let prev = -Infinity;
  for (const d of avet) {
    avetSum += d.v;
    if (d.v < prev) fail("AVET out of order");
    prev = d.v;
    if (acc.balances[d.e - 1] !== d.v) fail(`AVET disagrees with AEVT on ${d.e}`);
  }
  if (avet.length !== ACCOUNTS || avetSum !== TOTAL) fail(`AVET: ${avet.length} balances, sum ${avetSum}`);
  if (db.datoms("avet", ":acct/tags").length !== tags) fail("AVET tags differ from AEVT");
  for (const e of [1 + (t % ACCOUNTS), 1 + ((t * 7) % ACCOUNTS), ACCOUNTS]) {
    const ds = db.datoms("eavt", e, ":acct/balance");
    if (ds.length !== 1 || ds[0].v !== acc.balances[e - 1]) fail(`EAVT balance of ${e}: ${JSON.stringify(ds)}`);
  }

  const tc = db.q(Q.tagCounter);
  const tq = db.q(Q.tagCount) ?? 0;
  if (tc !== tags || tq !== tags) fail(`tags: counter ${tc}, q ${tq}, AEVT ${tags}`);

  let pullSum = 0;
  let pullTags = 0;
  for (const m of db.pullMany("[:acct/id :acct/balance :acct/tags]", LOOKUPS)) {
    pullSum += m?.[":acct/balance"] ?? NaN;
    pullTags += m?.[":acct/tags"]?.length ?? 0;
  }
  if (pullSum !== TOTAL || pullTags !== tags) fail(`pullMany: sum ${pullSum}, tags ${pullTags}`);
  const e = 1 + ((t * 13) % ACCOUNTS);
  if (db.entity(e).get("acct/balance") !== acc.balances[e - 1]) fail(`entity balance of ${e}`);

  // Views.
  const half = Math.floor(t / 2);
  const asOf = db.asOf(baseTx + half);
  try {
    const ah = asOf.q(Q.counter);
    if (ah !== half) fail(`asOf counter ${ah} != ${half}`);
    const asc = asOf.q(Q.sumCount);
    if (asc.length !== 1 || asc[0][0] !== TOTAL) fail(`asOf sum ${JSON.stringify(asc)}`);
    const old = accountsOf(asOf);
    const oldHash = stateHash(old.balances, old.tags);
    const wantOld = expected?.(half);
    if (wantOld !== undefined && wantOld !== oldHash) fail(`asOf state differs from transfer ${half}`);
    if (half === 0 && oldHash !== INITIAL_HASH) fail("asOf the setup differs from the setup");
  } finally {
    asOf.dispose();
  }
  const since = db.since(baseTx + half);
  try {
    const n = since.q(Q.transfers) ?? 0;
    if (n !== t - half) fail(`since: ${n} transfers, want ${t - half}`);
  } finally {
    since.dispose();
  }
  const hist = db.history();
  let history;
  try {
    history = hist.q(Q.historyCount);
    if (history !== t + 1) fail(`history: ${history} counter values, want ${t + 1}`);
  } finally {
    hist.dispose();
  }
  return { seen: { t, hash, tags, history }, problems };
}

export const INITIAL_HASH = new Bank().hashes.get(0);

export const sameSeen = (a, b) => a.t === b.t && a.hash === b.hash && a.tags === b.tags && a.history === b.history;

// Sums the balances through seekDatoms, yielding to the event loop halfway
// (the writer commits meanwhile): the cursor keeps reading its own value.
export async function cursorSum(db, pause) {
  const it = db.seekDatoms("aevt", ":acct/balance");
  let sum = 0;
  let n = 0;
  for (const d of it) {
    if (d.a !== ":acct/balance") break;
    sum += d.v;
    if (++n === ACCOUNTS / 2) await pause();
  }
  it.return?.();
  return { sum, n };
}

// Ways for an async reader or writer to yield: a microtask, a macrotask
// (setImmediate in Node, a MessageChannel message in browsers), a timer.
const channel = typeof globalThis.setImmediate === "function" ? null : new MessageChannel();
const waiting = [];
if (channel) channel.port1.onmessage = () => waiting.shift()?.();
export const PAUSES = [
  () => null,
  () => new Promise((resolve) => {
    if (!channel) return globalThis.setImmediate(resolve);
    waiting.push(resolve);
    channel.port2.postMessage(0);
  }),
  () => new Promise((resolve) => setTimeout(resolve, 0)),
];

// Commits transfers until `max`, or until the time budget is spent and at
// least `min` were committed (a slow machine takes longer rather than
// testing less), in rounds of four
// kinds: one awaited transact; a burst of transactAsync calls awaited
// together; a burst followed by an awaited transact (the deterministic
// point); a burst left running while the writer pauses. `progress`
// (optional) is updated as calls are made and acknowledged.
export async function writeTransfers(conn, bank, { budgetMs, min = 0, max, onRound, progress = {} }) {
  const deadline = performance.now() + budgetMs;
  const from = bank.k;
  const pending = [];
  const counts = { transact: 0, transactAsync: 0 };
  const ack = (k) => () => { progress.acked = Math.max(progress.acked ?? 0, k); };
  const step = (async_) => {
    const { k, tx, meta } = bank.next();
    progress.started = k;
    if (async_) counts.transactAsync++;
    else counts.transact++;
    const p = async_ ? conn.transactAsync(tx, meta) : conn.transact(tx, meta);
    return p.then(ack(k));
  };
  for (let round = 0; bank.k - from < max && (performance.now() < deadline || bank.k - from < min); round++) {
    const burst = 1 + (round % 6);
    switch (round % 4) {
      case 0:
        await step(false);
        break;
      case 1:
        await Promise.all(Array.from({ length: burst }, () => step(true)));
        break;
      case 2: {
        const batch = Array.from({ length: burst }, () => step(true));
        await step(false);
        await Promise.all(batch);
        break;
      }
      default:
        for (let i = 0; i < burst; i++) pending.push(step(true));
        await PAUSES[round % 3]();
    }
    await onRound?.(round);
  }
  await Promise.all(pending);
  return counts;
}

// An async reader: until ctx.done (then a few more reads), reads conn.db()
// and checks it, keeps up to 6 old values and an entity of an older value,
// reads them again later, sums through a cursor held across an await, and
// yields between reads.
export async function readLoop(id, conn, ctx, stats, problems) {
  let seed = 7 + id * 101;
  const rand = (n) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const held = [];
  let lastT = -1;
  let heldEntity = null;
  const report = (what) => problems.length < 20 && problems.push(`reader ${id}: ${what}`);
  const reread = (h) => {
    const again = checkSnapshot(h.db, ctx.baseTx, ctx.expected);
    stats.rereads++;
    for (const p of again.problems) report(`re-read T=${h.seen.t}: ${p}`);
    if (!sameSeen(again.seen, h.seen)) report(`snapshot T=${h.seen.t} answered differently later: ${JSON.stringify(again.seen)}`);
  };
  for (;;) {
    const last = ctx.done;
    const db = conn.db();
    const { seen, problems: p } = checkSnapshot(db, ctx.baseTx, ctx.expected);
    stats.reads++;
    if (!last) stats.concurrentReads++;
    for (const x of p) report(`T=${seen.t}: ${x}`);
    if (seen.t < lastT) report(`counter went back from ${lastT} to ${seen.t}`);
    if (seen.t !== lastT) stats.distinct++;
    lastT = seen.t;
    // An entity of an older value, first read now.
    if (heldEntity) {
      const v = heldEntity.entity.get(":acct/balance");
      if (v !== heldEntity.want) report(`entity of T=${heldEntity.t} read later: balance ${v}, want ${heldEntity.want}`);
      stats.entityReads++;
    }
    const e = 1 + rand(ACCOUNTS);
    heldEntity = { entity: db.entity(e), want: db.datoms("eavt", e, ":acct/balance")[0]?.v, t: seen.t };
    if (held.length < 6) held.push({ db, seen });
    else if (rand(3) === 0) held[rand(held.length)] = { db, seen };
    if (rand(3) === 0) reread(held[rand(held.length)]);
    if (rand(4) === 0) {
      const { sum, n } = await cursorSum(db, PAUSES[rand(3)]);
      stats.cursorReads++;
      if (sum !== TOTAL || n !== ACCOUNTS) report(`cursor over T=${seen.t} across an await: ${n} balances, sum ${sum}`);
    }
    if (last && stats.reads >= 3) break;
    // A macrotask between reads (readers chaining microtasks would starve
    // the writer's timers and I/O); microtasks come in the cursor's pause
    // and in the writer's batches.
    await PAUSES[1 + rand(2)]();
  }
  for (const h of held) reread(h);
  stats.lastT = lastT;
}

// The writer and `readers` async readers on one connection whose value is
// transfer bank.k; baseTx: the setup transaction. Returns what happened
// (plain data): counts, reader totals, every reader's last counter, the
// problems seen, and the final value's check.
// `problems` (optional): an array the violations go to as they are found.
export async function stress(conn, bank, { baseTx, readers = 6, budgetMs, min, max, onRound, progress, problems = [] }) {
  const ctx = { baseTx, expected: (k) => bank.hashes.get(k), done: false };
  const stats = Array.from({ length: readers }, () =>
    ({ reads: 0, concurrentReads: 0, rereads: 0, entityReads: 0, cursorReads: 0, distinct: 0, lastT: -1 }));
  const loops = stats.map((s, i) => readLoop(i, conn, ctx, s, problems));
  const from = bank.k;
  let counts;
  try {
    counts = await writeTransfers(conn, bank, { budgetMs, min, max, onRound, progress });
  } catch (err) {
    problems.push(`writer: ${err?.code ?? ""} ${err?.message ?? err}`);
  } finally {
    ctx.done = true;
    await Promise.all(loops);
  }
  const sum = (k) => stats.reduce((a, s) => a + s[k], 0);
  const final = checkSnapshot(conn.db(), baseTx, ctx.expected);
  return {
    from,
    transfers: bank.k - from,
    last: bank.k,
    counts,
    readers,
    reads: sum("reads"),
    concurrentReads: sum("concurrentReads"),
    rereads: sum("rereads"),
    entityReads: sum("entityReads"),
    cursorReads: sum("cursorReads"),
    distinct: sum("distinct"),
    lastTs: stats.map((s) => s.lastT),
    problems: [...problems, ...final.problems.map((p) => `final: ${p}`)],
    final: final.seen,
  };
}

export function describeRun(r) {
  return `${r.transfers} transfers (${r.counts?.transact} transact, ${r.counts?.transactAsync} transactAsync); ` +
    `${r.readers} readers: ${r.reads} snapshot reads (${r.concurrentReads} while the writer ran), ` +
    `${r.rereads} re-reads of held values, ${r.entityReads} late entity reads, ${r.cursorReads} cursors across awaits, ` +
    `${r.distinct} distinct counters seen`;
}
