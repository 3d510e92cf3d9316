// The datalite CLI (bin/datalite.mjs) end to end: each test runs the
// command as a child process (node bin/datalite.mjs ...) on file stores in a
// temp directory, created and checked through the package.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { d } from "./support/helpers.mjs";
import { Progress } from "../../bin/lib/progress.mjs";
import { findSpec } from "../../bin/lib/edn.mjs";

await d.init({ threads: false });

const BIN = new URL("../../bin/datalite.mjs", import.meta.url).pathname;
const VERSION = JSON.parse(fs.readFileSync(new URL("../../package.json", import.meta.url), "utf8")).version;
const root = fs.mkdtempSync(path.join(os.tmpdir(), "datalite-cli-"));
after(() => fs.rmSync(root, { recursive: true, force: true }));
const dir = (name) => path.join(root, name);

// Runs `node bin/datalite.mjs ...args` (asynchronously: independent
// commands of a test run side by side).
function cli(args, { input, env = {}, buffer = false } = {}) {
  const childEnv = { ...process.env, ...env };
  delete childEnv.DATALITE_THREADS;
  if (!env.DATALITE_PROGRESS_INTERVAL_MS) delete childEnv.DATALITE_PROGRESS_INTERVAL_MS;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: childEnv, stdio: ["pipe", "pipe", "pipe"] });
    const out = [];
    const err = [];
    child.stdout.on("data", (c) => out.push(c));
    child.stderr.on("data", (c) => err.push(c));
    const timer = setTimeout(() => child.kill("SIGKILL"), 120000);
    child.on("error", reject);
    child.on("close", (status) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out);
      resolve({ status, stdout: buffer ? stdout : stdout.toString(), stderr: Buffer.concat(err).toString() });
    });
    child.stdin.end(input ?? "");
  });
}

// Runs a command that must succeed; returns its stdout.
async function ok(args, opts) {
  const r = await cli(args, opts);
  assert.equal(r.status, 0, `datalite ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

// A command that must fail with one "datalite: <code>: ..." line on stderr
// (after any progress lines, which start "datalite <command>: ").
async function fails(args, status, code, pattern) {
  const r = await cli(args);
  assert.equal(r.status, status, `datalite ${args.join(" ")}: status ${r.status}, stderr ${r.stderr}`);
  const lines = r.stderr.trimEnd().split("\n");
  const errors = lines.filter((l) => !/^datalite [a-z]+: /.test(l));
  assert.equal(errors.length, 1, `one error line expected, got: ${r.stderr}`);
  assert.equal(errors[0], lines.at(-1));
  assert.match(errors[0], new RegExp(`^datalite: ${code}: `));
  assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  if (pattern) assert.match(errors[0], pattern);
  return errors[0];
}

const SCHEMA = {
  "person/email": { "db/unique": "db.unique/identity" },
  "person/friend": { "db/valueType": "db.type/ref", "db/cardinality": "db.cardinality/many" },
  "person/color": { "db/valueType": "db.type/keyword" },
  "person/born": { "db/valueType": "db.type/instant" },
  "person/age": { "db/index": true },
  "group/member": { "db/valueType": "db.type/ref", "db/cardinality": "db.cardinality/many" },
};
const PEOPLE = 40;
const ROWS_Q = "[:find ?email ?name ?age ?color :where [?e :person/email ?email] [?e :person/name ?name] [?e :person/age ?age] [?e :person/color ?color]]";
const FRIENDS_Q = "[:find ?a ?b :where [?x :person/friend ?y] [?x :person/email ?a] [?y :person/email ?b]]";
const MEMBERS_Q = "[:find ?g ?m :where [?x :group/member ?y] [?x :group/name ?g] [?y :person/email ?m]]";
const sorted = (rows) => rows.map((r) => JSON.stringify(r)).sort();

// The source database: people in a friendship cycle, a group entity,
// updates and a retracted entity (history), and enough small transactions
// for checkpoints to leave unreachable nodes behind (gc has work).
const SRC = dir("src");
let expected;
before(async () => {
  const conn = await d.connect({ schema: SCHEMA, store: { backend: "file", path: SRC }, durability: "none" });
  const people = [];
  for (let i = 0; i < PEOPLE; i++) {
    people.push({
      ":db/id": `p${i}`, "person/email": `p${i}@x.org`, "person/name": `Person ${i}`, "person/age": 20 + i,
      "person/color": i % 2 ? ":color/red" : ":color/blue", "person/born": new Date(Date.UTC(1990, 0, 1 + i)),
      "person/friend": [`p${(i + 1) % PEOPLE}`],
    });
  }
  people.push({ "group/name": "all", "group/member": people.slice(0, 10).map((p) => p[":db/id"]) });
  const first = await conn.transact(people);
  for (let i = 0; i < 300; i++) await conn.transact([{ "person/email": `p${i % PEOPLE}@x.org`, "person/visits": i }]);
  await conn.transact([{ "person/email": "p0@x.org", "person/age": 99 }]);
  await conn.transact([["db/retractEntity", ["person/email", "p39@x.org"]]]);
  const db = conn.db();
  expected = {
    firstTx: first.tx,
    count: db.count, history: db.history().count, maxTx: db.maxTx, maxEid: db.maxEid,
    rows: sorted(db.q(ROWS_Q).map((r) => r.map((v) => v))),
    friends: sorted(db.q(FRIENDS_Q)), members: sorted(db.q(MEMBERS_Q)),
    datoms: db.datoms("eavt").map((x) => [x.e, x.a, x.v instanceof Date ? x.v.toISOString() : x.v, x.tx]),
  };
  await conn.close();
  // Storage numbers as a fresh open sees them (close flushed the last commits).
  const again = await d.connect({ store: { backend: "file", path: SRC } });
  expected.stats = again.stats();
  await again.close();
});

// Loads a store with the package (after the CLI has closed it) and returns
// what the tests compare.
async function inspect(store) {
  const conn = await d.connect({ store: { backend: "file", path: store } });
  try {
    const db = conn.db();
    return {
      count: db.count, history: db.history().count, maxTx: db.maxTx, maxEid: db.maxEid,
      rows: sorted(db.q(ROWS_Q)), friends: sorted(db.q(FRIENDS_Q)), members: sorted(db.q(MEMBERS_Q)),
      datoms: db.datoms("eavt").map((x) => [x.e, x.a, x.v instanceof Date ? x.v.toISOString() : x.v, x.tx]),
      stats: conn.stats(),
      asOfAge: db.asOf(expected.firstTx).q('[:find ?a . :where [?e :person/email "p0@x.org"] [?e :person/age ?a]]'),
    };
  } finally {
    await conn.close();
  }
}

describe("help, version and usage errors", () => {
  test("--version, --help, help <command>, <command> --help", async () => {
    const [version, help, helpCopy, helpRestore, helpQuery, bare] = await Promise.all([
      ok(["--version"]), ok(["--help"]), ok(["help", "copy"]), ok(["restore", "--help"]), ok(["query", "-h"]), cli([]),
    ]);
    assert.equal(version.trim(), `datalite ${VERSION}`);
    for (const c of ["stat", "query", "dump", "load", "copy", "restore", "gc"]) assert.match(help, new RegExp(`^  ${c} `, "m"));
    assert.match(helpCopy, /--compact/);
    assert.match(helpRestore, /--two-pass[\s\S]*--read-parallelism[\s\S]*--read-chunk[\s\S]*--tx-parallelism[\s\S]*--single-threaded/);
    assert.match(helpQuery, /--format F/);
    assert.equal(bare.status, 2, "no command: the help, as a usage error");
    assert.equal(bare.stdout, help);
  });

  test("usage errors: one line, exit status 2", async () => {
    await Promise.all([
      fails(["frobnicate"], 2, "usage", /unknown command "frobnicate"/),
      fails(["stat"], 2, "usage", /missing <dir>/),
      fails(["stat", SRC, "--bogus"], 2, "usage", /unknown option --bogus/),
      fails(["query", SRC, "[:find ?e :where [?e :a]]", "--format", "xml"], 2, "usage", /--format must be one of table, edn, json/),
      fails(["restore", SRC, dir("never"), "--batch", "many"], 2, "usage", /--batch needs a whole number/),
      fails(["restore", SRC, dir("never"), "--batch", "0"], 2, "usage", /--batch must be between 1/),
      fails(["copy", SRC], 2, "usage", /missing <dest>/),
      fails(["gc", SRC, "extra"], 2, "usage", /unexpected argument/),
      fails(["query", SRC, "[:find ?e . :where [?e :a]]", "--as-of", "yesterday-ish"], 2, "usage", /--as-of needs a tx id or an ISO date/),
    ]);
    assert.equal(fs.existsSync(dir("never")), false);
  });
});

describe("runtime errors: one line, exit status 1", () => {
  test("a missing directory, a directory without a store", async () => {
    fs.mkdirSync(dir("empty-dir"));
    await Promise.all([
      fails(["stat", dir("missing")], 1, "not-found", /no such directory/),
      fails(["query", dir("empty-dir"), "[:find ?e :where [?e :a]]"], 1, "not-found", /holds no datalite store/),
    ]);
    assert.deepEqual(fs.readdirSync(dir("empty-dir")), [], "nothing created");
  });

  test("a corrupt store: root slots or nodes that fail their checksums", async () => {
    const bad = dir("corrupt-root");
    fs.cpSync(SRC, bad, { recursive: true });
    for (const slot of ["root.0", "root.1"]) {
      const p = path.join(bad, slot);
      const buf = fs.readFileSync(p);
      buf.fill(0x55, 50, 60);
      fs.writeFileSync(p, buf);
    }
    const snapshot = () => fs.readdirSync(bad).map((f) => fs.readFileSync(path.join(bad, f)).toString("base64"));
    const before = snapshot();
    const badNodes = dir("corrupt-nodes");
    fs.cpSync(SRC, badNodes, { recursive: true });
    const pack = path.join(badNodes, fs.readdirSync(badNodes).find((f) => f.endsWith(".pack")));
    const buf = fs.readFileSync(pack);
    for (let i = 64; i < buf.length; i += 97) buf[i] ^= 0xff;
    fs.writeFileSync(pack, buf);
    await Promise.all([
      fails(["stat", bad], 1, "store-error", /corrupt: no valid root slot/),
      fails(["dump", bad], 1, "store-error", /corrupt/),
      fails(["query", badNodes, "[:find (count ?e) . :where [?e :person/email]]"], 1, "store-error"),
    ]);
    assert.deepEqual(snapshot(), before, "the store is left as it was");
  });

  test("engine errors keep their code: a query that does not parse, an unknown function", async () => {
    await Promise.all([
      fails(["query", SRC, "[:find ?e :where [?e :person/name"], 1, "parse-error"),
      fails(["query", SRC, "[:find ?e :where [?e :person/name ?n] [(frob ?n)]]"], 1, "invalid-input", /frob/),
      fails(["query", SRC, `@${dir("no-such-query.edn")}`], 1, "not-found", /no such file/),
    ]);
  });

  test("destinations: not into a directory of other files, not onto the source", async () => {
    fs.mkdirSync(dir("other-files"));
    fs.writeFileSync(path.join(dir("other-files"), "notes.txt"), "keep me");
    await Promise.all([
      fails(["copy", SRC, SRC, "--compact"], 1, "invalid-input", /same store/),
      fails(["restore", SRC, dir("other-files")], 1, "invalid-input", /no datalite store/),
    ]);
    assert.deepEqual(fs.readdirSync(dir("other-files")), ["notes.txt"]);
  });
});

describe("read-only commands next to a writer", () => {
  test("stat, query and dump read a store another process has open; gc needs the writer lock", async () => {
    const store = dir("busy");
    fs.cpSync(SRC, store, { recursive: true });
    const writer = await d.connect({ store: { backend: "file", path: store } });
    try {
      await writer.transact([{ "person/email": "new@x.org", "person/name": "New" }]);
      const [stat, query, dump, gc] = await Promise.all([
        ok(["stat", store, "--json", "--quick"]),
        ok(["query", store, '[:find ?n . :where [?e :person/email "new@x.org"] [?e :person/name ?n]]', "-f", "edn"]),
        ok(["dump", store, "-q"]),
        cli(["gc", store]),
      ]);
      assert.equal(JSON.parse(stat).datoms, expected.count + 3);  // email, name, tx instant
      assert.equal(query, '"New"\n');
      assert.match(dump, /"new@x.org"/);
      assert.equal(gc.status, 1);
      assert.match(gc.stderr, /^datalite: store-error: store-locked: .* is open for writing by process \d+/);
    } finally {
      await writer.close();
    }
  });
});

describe("stat", () => {
  test("datoms, history depth, tail, storage and schema, as text and JSON", async () => {
    const [text, json, quickJson] = await Promise.all([ok(["stat", SRC]), ok(["stat", SRC, "--json"]), ok(["stat", SRC, "--json", "--quick"])]);
    const n = (x) => x.toLocaleString("en-US");
    assert.match(text, new RegExp(`^datoms\\s+${n(expected.count)} current, ${n(expected.history)} with history$`, "m"));
    assert.match(text, new RegExp(`^transactions\\s+303 \\(max tx ${expected.maxTx}, max entity id ${expected.maxEid}\\)$`, "m"));
    assert.match(text, new RegExp(`^tail\\s+${expected.stats.tailTxs} transactions, ${n(expected.stats.tailDatoms)} datoms since the last checkpoint$`, "m"));
    assert.match(text, new RegExp(`^storage\\s+${n(expected.stats.nodes)} nodes, `, "m"));
    assert.match(text, /^schema\s+10 attributes \(6 declared\)$/m);
    assert.match(text, /^time span\s+\d{4}-\d\d-\d\dT[\d:.]+Z \.\. \d{4}-\d\d-\d\dT[\d:.]+Z$/m);
    // p39 was retracted: its own friend ref and p38's ref to it are gone
    assert.match(text, /^\s+:person\/friend\s+ref\s+many\s+-\s+-\s+38\s+38$/m, text);
    assert.match(text, /^\s+:person\/age\s+-\s+one\s+-\s+index\s+39\s+39$/m, text);
    const s = JSON.parse(json);
    assert.equal(s.datoms, expected.count);
    assert.equal(s.historyDatoms, expected.history);
    assert.equal(s.maxTx, expected.maxTx);
    assert.equal(s.transactions, 303);
    assert.ok(Date.parse(s.firstTxInstant) <= Date.parse(s.lastTxInstant));
    assert.equal(s.storage.nodes, expected.stats.nodes);
    assert.equal(s.storage.storedBytes, expected.stats.storedBytes);
    assert.equal(s.tail.transactions, expected.stats.tailTxs);
    // History holds each retracted datom and its retraction.
    assert.equal(s.retractions, (expected.history - expected.count) / 2);
    // 260 visit updates (the first 40 added one), the age update, p39's 7 datoms and p38's ref to p39
    assert.equal(s.retractions, 260 + 1 + 7 + 1);
    const attrs = Object.fromEntries(s.attributes.map((a) => [a.attribute, a]));
    assert.equal(attrs[":person/email"].unique, ":db.unique/identity");
    assert.equal(attrs[":person/email"].datoms, PEOPLE - 1);
    assert.equal(attrs[":group/member"].entities, 1);
    assert.equal(attrs[":group/member"].datoms, 10);
    assert.equal(attrs[":person/name"].declared, false);
    const quick = JSON.parse(quickJson);
    assert.equal(quick.datoms, expected.count);
    assert.equal(quick.attributes.find((a) => a.attribute === ":person/name"), undefined, "--quick lists declared attributes only");
  });
});

describe("query", () => {
  const q = "[:find ?name ?age :where [?e :person/email ?m] [?e :person/name ?name] [?e :person/age ?age] [(< ?age 23)]]";
  const p3 = '[:find ?n ?a :keys name age :where [?e :person/email "p3@x.org"] [?e :person/name ?n] [?e :person/age ?a]]';

  test("table: headed by the :find elements, aligned, numbers right-aligned, row count; :keys name the columns", async () => {
    const [table, pulls, keyed] = await Promise.all([
      ok(["query", SRC, q]),
      ok(["query", SRC, '[:find (pull ?e [:person/name :person/color]) :where [?e :person/email "p1@x.org"]]']),
      ok(["query", SRC, p3]),
    ]);
    const lines = table.trimEnd().split("\n");
    assert.deepEqual(lines.slice(0, 2), ["?name     ?age", "--------  ----"]);
    assert.deepEqual(lines.slice(2, -1).sort(), ["Person 1    21", "Person 2    22"]);
    assert.equal(lines.at(-1), "(2 rows)");
    assert.match(pulls, /^\(pull \?e \[:person\/name :person\/color\]\)\n-+\n\{:person\/name "Person 1", :person\/color :color\/red\}\n\(1 row\)\n$/);
    assert.equal(keyed, "name      age\n--------  ---\nPerson 3   23\n(1 row)\n");
  });

  test("EDN and JSON for scripts; scalar, collection and :keys find specs", async () => {
    const [json, edn, count, color, born, members, keys] = await Promise.all([
      ok(["query", SRC, q, "--format", "json"]),
      ok(["query", SRC, q, "-f", "edn"]),
      ok(["query", SRC, "[:find (count ?e) . :where [?e :person/email]]", "-f", "edn"]),
      ok(["query", SRC, '[:find ?c . :where [?e :person/email "p1@x.org"] [?e :person/color ?c]]', "-f", "edn"]),
      ok(["query", SRC, '[:find ?b . :where [?e :person/email "p1@x.org"] [?e :person/born ?b]]', "-f", "edn"]),
      ok(["query", SRC, "[:find [?m ...] :where [?g :group/member ?p] [?p :person/email ?m]]", "-f", "json"]),
      ok(["query", SRC, p3, "-f", "edn"]),
    ]);
    assert.deepEqual(JSON.parse(json).sort(), [["Person 1", 21], ["Person 2", 22]]);
    assert.ok(['[["Person 1" 21]\n ["Person 2" 22]]\n', '[["Person 2" 22]\n ["Person 1" 21]]\n'].includes(edn), edn);
    assert.equal(count, `${PEOPLE - 1}\n`);
    assert.equal(color, ":color/red\n");
    assert.equal(born, '#inst "1990-01-02T00:00:00.000Z"\n');
    assert.deepEqual(JSON.parse(members).sort(), Array.from({ length: 10 }, (_, i) => `p${i}@x.org`).sort());
    assert.equal(keys, '[{:name "Person 3", :age 23}]\n');
  });

  test("inputs with --arg, the query from a file or stdin, --as-of and --history", async () => {
    const file = dir("q.edn");
    fs.writeFileSync(file, ';; ages\n[:find ?a . :where [?e :person/email "p0@x.org"] [?e :person/age ?a]]\n');
    const [byEmail, byColor, fromFile, fromStdin, asOf, history] = await Promise.all([
      ok(["query", SRC, "[:find ?n . :in $ ?m :where [?e :person/email ?m] [?e :person/name ?n]]", "--arg", "p7@x.org", "-f", "json"]),
      ok(["query", SRC, "[:find (count ?e) . :in $ ?c :where [?e :person/color ?c]]", "--arg", ":color/red", "-f", "edn"]),
      ok(["query", SRC, `@${file}`, "-f", "edn"]),
      ok(["query", SRC, "-", "-f", "edn"], { input: fs.readFileSync(file) }),
      ok(["query", SRC, `@${file}`, "-f", "edn", "--as-of", String(expected.firstTx)]),
      ok(["query", SRC, '[:find ?a ?added :where [?e :person/email "p0@x.org"] [?e :person/age ?a _ ?added]]', "--history", "-f", "json"]),
    ]);
    assert.equal(byEmail, '"Person 7"\n');
    assert.equal(byColor, "19\n");  // p39 (red) is gone
    assert.equal(fromFile, "99\n");
    assert.equal(fromStdin, "99\n");
    assert.equal(asOf, "20\n");
    assert.deepEqual(sorted(JSON.parse(history)), sorted([[20, true], [20, false], [99, true]]));
  });
});

describe("dump and load", () => {
  const FORMATS = ["edn", "json", "binary"];
  const escape = (t) => t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

  test("dump as EDN, JSON and binary, to a file and to stdout; load each back: the same datoms, ids and schema", async () => {
    const dumps = await Promise.all(FORMATS.flatMap((format) => [
      cli(["dump", SRC, "--format", format, "-o", dir(`dump.${format}`)]),
      cli(["dump", SRC, "--format", format, "-q"], { buffer: true }),
    ]));
    FORMATS.forEach((format, i) => {
      const [toFile, toStdout] = [dumps[2 * i], dumps[2 * i + 1]];
      const file = dir(`dump.${format}`);
      assert.equal(toFile.status, 0, toFile.stderr);
      assert.match(toFile.stderr, /^datalite dump: encoding (EDN|JSON|binary)\.\.\.$/m);
      assert.match(toFile.stderr, new RegExp(`^datalite dump: ${expected.count} datoms, .* written to ${escape(file)}$`, "m"));
      assert.deepEqual(fs.readdirSync(root).filter((f) => f.startsWith(`dump.${format}.tmp`)), [], "no temporary file left");
      assert.equal(toStdout.status, 0, toStdout.stderr);
      assert.equal(toStdout.stderr, "", "-q: no progress");
      assert.deepEqual(toStdout.stdout, fs.readFileSync(file), `${format}: stdout and -o write the same bytes`);
    });
    assert.match(fs.readFileSync(dir("dump.edn"), "utf8"), /^#datalite\/db \{/);
    assert.equal(JSON.parse(fs.readFileSync(dir("dump.json"), "utf8")).count, expected.count);

    const loads = await Promise.all(FORMATS.map((format) => ok(["load", dir(`loaded-${format}`), dir(`dump.${format}`)])));
    for (const [i, format] of FORMATS.entries()) {
      assert.match(loads[i], new RegExp(`^loaded ${expected.count.toLocaleString("en-US")} datoms \\(${format} dump`));
      const store = dir(`loaded-${format}`);
      const got = await inspect(store);
      assert.equal(got.count, expected.count);
      assert.equal(got.maxTx, expected.maxTx);
      assert.equal(got.maxEid, expected.maxEid);
      assert.deepEqual(got.datoms, expected.datoms);
      assert.deepEqual(got.rows, expected.rows);
      assert.deepEqual(got.friends, expected.friends);
      // The schema came along: unique identity still upserts.
      const conn = await d.connect({ store: { backend: "file", path: store } });
      await conn.transact([{ "person/email": "p1@x.org", "person/age": 1000 }]);
      assert.equal(conn.db().count, expected.count + 1);  // the new age replaced the old, plus a tx instant
      await conn.close();
    }
  });

  test("load from stdin; bare datoms typed by --schema; a dump's schema replaced; failures leave nothing behind", async () => {
    const edn = await ok(["dump", SRC, "-q"]);
    const schema = dir("schema.edn");
    fs.writeFileSync(schema, "{:person/email {:db/unique :db.unique/identity} :person/friend {:db/valueType :db.type/ref}}");
    fs.writeFileSync(dir("datoms.edn"), '[[1 :person/email "a@x"] [2 :person/email "b@x"] [1 :person/friend 2] [2 :person/color :color/red]]');
    fs.writeFileSync(dir("datoms.json"), JSON.stringify([[1, "person/email", "a@x"], [2, "person/email", "b@x"], [1, "person/friend", 2]]));
    fs.writeFileSync(dir("schema2.json"), JSON.stringify({ ...SCHEMA, "person/name": { "db/unique": "db.unique/identity" } }));
    fs.writeFileSync(dir("garbage.bin"), Buffer.from([0x89, 0x44, 0x4c, 0x53, 1, 2, 3]));
    const [, bareEdn, bareJson] = await Promise.all([
      ok(["load", dir("loaded-stdin"), "-", "-q"], { input: edn }),
      ok(["load", dir("bare-edn"), dir("datoms.edn"), "--schema", schema, "--json", "-q"]),
      ok(["load", dir("bare-json"), dir("datoms.json"), "--schema", schema, "--json", "-q"]),
      ok(["load", dir("reschema"), dir("dump.binary"), "--schema", dir("schema2.json"), "-q"]),
      fails(["load", dir("garbage-store"), dir("garbage.bin")], 1, "(invalid-input|parse-error)"),
      fails(["load", dir("no-dump-store"), dir("no-such-dump.edn")], 1, "not-found", /no such file/),
      fails(["load", dir("bad-schema-store"), dir("datoms.edn"), "--schema", dir("datoms.json")], 1, "(invalid-input|schema-violation|parse-error)"),
    ]);
    for (const name of ["garbage-store", "no-dump-store", "bad-schema-store"]) assert.equal(fs.existsSync(dir(name)), false, `${name}: nothing left behind`);
    assert.equal((await inspect(dir("loaded-stdin"))).count, expected.count);
    await fails(["load", dir("loaded-stdin"), dir("dump.edn"), "-q"], 1, "invalid-input", /already holds a database/);

    assert.equal(JSON.parse(bareEdn).format, "edn");
    assert.equal(JSON.parse(bareJson).format, "json-datoms");
    for (const name of ["bare-edn", "bare-json"]) {
      const conn = await d.connect({ store: { backend: "file", path: dir(name) } });
      const db = conn.db();
      assert.equal(db.q('[:find ?m . :where [?a :person/email "a@x"] [?a :person/friend ?b] [?b :person/email ?m]]'), "b@x");
      assert.equal(db.entid(["person/email", "b@x"]), 2);
      if (name === "bare-edn") assert.equal(db.q("[:find ?c . :where [_ :person/color ?c]]"), ":color/red");
      await conn.close();
    }
    // person/name became unique identity: a lookup ref by name works.
    const conn = await d.connect({ store: { backend: "file", path: dir("reschema") } });
    assert.equal(conn.db().entid(["person/name", "Person 5"]), conn.db().entid(["person/email", "p5@x.org"]));
    assert.equal(conn.db().count, expected.count);
    await conn.close();
  });
});

describe("copy, restore, gc", () => {
  test("copy: a file copy and --compact (live nodes only) keep ids and history", async () => {
    // Sequential: each copy holds the source's writer lock.
    const files = await cli(["copy", SRC, dir("copy"), "--json"]);
    assert.equal(files.status, 0, files.stderr);
    const plain = JSON.parse(files.stdout);
    assert.equal(plain.mode, "files");
    assert.equal(plain.dest.nodes, expected.stats.nodes);
    assert.match(files.stderr, /^datalite copy: copying files \([\d.]+ KiB\)\.\.\.$/m);
    const r = await cli(["copy", SRC, dir("compact"), "--compact", "--json"]);
    assert.equal(r.status, 0, r.stderr);
    const compact = JSON.parse(r.stdout);
    assert.match(r.stderr, /^datalite copy: writing live nodes \(about [\d.]+ KiB\)\.\.\.$/m);
    assert.equal(compact.mode, "compact");
    assert.ok(compact.dest.nodes < compact.source.nodes, `compact: ${compact.dest.nodes} nodes of ${compact.source.nodes}`);
    assert.ok(compact.dest.storedBytes < compact.source.storedBytes);
    for (const store of [dir("copy"), dir("compact")]) {
      const got = await inspect(store);
      assert.equal(got.count, expected.count);
      assert.equal(got.history, expected.history);
      assert.deepEqual(got.datoms, expected.datoms);
      assert.equal(got.asOfAge, 20, "history is kept");
    }
    assert.equal((await inspect(dir("compact"))).stats.tailTxs, 0);
  });

  test("restore: current state with new ids, no history; knobs as flags; progress lines on a pipe", async () => {
    const r = await cli(["restore", SRC, dir("restored"), "--two-pass", "--batch", "7", "--read-parallelism", "1", "--read-chunk", "16", "--tx-parallelism", "2", "--json"],
      { env: { DATALITE_PROGRESS_INTERVAL_MS: "1" } });
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.equal(report.finalPendingCount, 0);
    assert.ok(report.batches > 10);
    assert.ok(report.datomsWritten > 0 && report.datomsWritten <= expected.count);
    assert.equal(typeof report.durationSec, "number");
    const lines = r.stderr.trimEnd().split("\n");
    assert.match(lines[0], /^datalite restore: restoring \(two-pass\) \(\d+ datoms\)\.\.\.$/);
    assert.ok(lines.some((l) => /^datalite restore: restoring \(two-pass\) \d+% \d+\/\d+ datoms, .*pending \d+$/.test(l)), r.stderr);
    assert.match(lines.at(-1), /^datalite restore: restored \d+ datoms in [\d.]+s/);
    assert.ok(!r.stderr.includes("\r"), "no terminal control on a pipe");
    const got = await inspect(dir("restored"));
    assert.deepEqual(got.rows, expected.rows);
    assert.deepEqual(got.friends, expected.friends);
    assert.deepEqual(got.members, expected.members);
    assert.equal(got.history, got.count, "no history");

    const single = await cli(["restore", SRC, dir("restored-1"), "--single-threaded", "-q"]);
    assert.equal(single.status, 0, single.stderr);
    assert.equal(single.stderr, "");
    assert.match(single.stdout, /^restored\s+[\d,]+ of [\d,]+ datoms read/m);
    assert.match(single.stdout, /^mode\s+single-pass, single-threaded engine$/m);
    assert.deepEqual((await inspect(dir("restored-1"))).rows, expected.rows);
    await fails(["restore", SRC, dir("restored-1")], 1, "invalid-input", /already holds a database/);
  });

  test("restore uses the threaded engine build by default (--threads too); --single-threaded excludes --threads", async () => {
    const r = await cli(["restore", SRC, dir("restored-mt"), "--read-parallelism", "2", "-q"]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^mode\s+single-pass, threaded engine$/m);
    assert.deepEqual((await inspect(dir("restored-mt"))).friends, expected.friends);
    const explicit = await cli(["restore", SRC, dir("restored-mt2"), "--threads", "--json", "-q"]);
    assert.equal(explicit.status, 0, explicit.stderr);
    assert.equal(JSON.parse(explicit.stdout).threads, true);
    await fails(["restore", SRC, dir("restored-mt3"), "--threads", "--single-threaded"], 2, "usage", /exclude each other/);
  });

  test("gc: removes unreachable nodes, prints before and after; the data stays", async () => {
    const store = dir("gc");
    fs.cpSync(SRC, store, { recursive: true });
    const first = JSON.parse(await ok(["gc", store, "--json"]));
    assert.ok(first.removed > 0, `removed ${first.removed}`);
    assert.equal(first.before.nodes - first.removed, first.after.nodes);
    assert.ok(first.after.storedBytes < first.before.storedBytes);
    assert.ok(first.after.diskBytes < first.before.diskBytes);
    const text = await ok(["gc", store]);
    assert.match(text, /^removed\s+0 nodes$/m);
    assert.match(text, new RegExp(`^nodes\\s+${first.after.nodes.toLocaleString("en-US")} -> ${first.after.nodes.toLocaleString("en-US")}$`, "m"));
    const got = await inspect(store);
    assert.deepEqual(got.datoms, expected.datoms);
    assert.equal(got.history, expected.history);
  });
});

describe("progress rendering", () => {
  function fakeStream(isTTY) {
    const chunks = [];
    return { isTTY, columns: 100, chunks, write: (s) => chunks.push(s), text: () => chunks.join("") };
  }

  test("on a terminal: a bar redrawn in place with rate and ETA, then a summary line", () => {
    let now = 0;
    const s = fakeStream(true);
    const p = new Progress(s, "datalite load", { now: () => now });
    p.start("writing", { total: 1000, unit: "datoms" });
    for (let i = 1; i <= 4; i++) {
      now += 500;
      p.update(i * 100);
    }
    const last = s.chunks.at(-1);
    assert.match(last, /^\r\x1b\[2Kwriting \[█+░+\]  40%  400\/1000 datoms  200\/s  ETA 3s$/);
    now += 1000;
    p.end();
    assert.match(s.text(), /\r\x1b\[2Kdatalite load: writing: done, 400 datoms in 3\.0s \(133\/s\)\n$/);
    const spin = fakeStream(true);
    const q = new Progress(spin, "datalite dump", { now: () => now });
    q.start("encoding EDN");
    now += 2500;
    q.update(0);
    assert.match(spin.chunks.at(-1), /^\r\x1b\[2Kencoding EDN [⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]  2\.5s elapsed$/);
    q.abort();
    assert.equal(spin.chunks.at(-1), "\r\x1b[2K");
  });

  test("elsewhere: plain lines, at most one per interval", () => {
    let now = 0;
    const s = fakeStream(false);
    const p = new Progress(s, "datalite copy", { now: () => now, interval: 1000 });
    p.start("copying files", { total: 4 << 20, unit: "bytes" });
    for (let i = 1; i <= 8; i++) {
      now += 250;
      p.update(i * (512 << 10));
    }
    p.end();
    assert.deepEqual(s.chunks, [
      "datalite copy: copying files (4.0 MiB)...\n",
      "datalite copy: copying files 50% 2.0 MiB/4.0 MiB, 2.0 MiB/s, ETA 1s\n",
      "datalite copy: copying files 100% 4.0 MiB/4.0 MiB, 2.0 MiB/s, 2.0s elapsed\n",
      "datalite copy: copying files: done, 4.0 MiB in 2.0s (2.0 MiB/s)\n",
    ]);
  });

  test("find specs label the table columns", () => {
    assert.deepEqual(findSpec("[:find ?a (count ?b) :where [?a :x ?b]]"), { shape: "relation", columns: ["?a", "(count ?b)"], keys: null });
    assert.deepEqual(findSpec("[:find ?a . :where [?a :x]]").shape, "scalar");
    assert.deepEqual(findSpec("[:find [?a ...] :where [?a :x]]").columns, ["?a"]);
    assert.deepEqual(findSpec("{:find [?a ?b] :keys [a b] :where [[?a :x ?b]]}"), { shape: "relation", columns: ["?a", "?b"], keys: { kind: "keys", names: ["a", "b"] } });
    assert.deepEqual(findSpec('[:find (pull ?e [:a/b {:c/d [*]}]) :in $ ; comment\n :where [?e :a/b "]"]]').columns, ["(pull ?e [:a/b {:c/d [*]}])"]);
    assert.equal(findSpec("[:find ?a :where [?a"), null);
  });
});
