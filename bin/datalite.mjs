#!/usr/bin/env node
// datalite: the command-line tool for databases in a "file" store (a
// directory): stat, query, dump, load, copy, restore, gc. `datalite --help`
// and `datalite <command> --help` describe each command.
//
// Output: results on stdout; progress and errors on stderr. An error is one
// line, "datalite: <code>: <message>", with exit status 1 (2 for usage
// errors). Engine calls that take long (load, copy --compact, dump) run in
// a worker thread (lib/worker.mjs) so that progress keeps moving.
import fs from "node:fs";
import path from "node:path";
import { once } from "node:events";
import { Worker } from "node:worker_threads";
import * as d from "../js/index.js";
import { crc32 } from "../js/stores/file.js";
import { UsageError, parseCommandLine } from "./lib/args.mjs";
import { Progress, bytes as humanBytes, seconds } from "./lib/progress.mjs";
import { findSpec } from "./lib/edn.mjs";
import { connectReadOnly, fileStore } from "./lib/stores.mjs";
import { grouped, renderReport, renderTable, resultRows, resultToEdn, toEdn, toJson } from "./lib/format.mjs";

const VERSION = JSON.parse(fs.readFileSync(new URL("../package.json", import.meta.url), "utf8")).version;
const PROGRESS_INTERVAL_MS = Number(process.env.DATALITE_PROGRESS_INTERVAL_MS) || 1000;

// ------------------------------------------------------------------ help

const HELP = `datalite ${VERSION}: inspect and maintain datalite databases stored in a directory
(the "file" store of the datalite package).

Usage: datalite <command> [arguments] [options]

Commands:
  stat <dir>                 datoms, schema, history depth, storage and tail state
  query <dir> <query>        run a Datalog query (EDN text, @file, or - for stdin)
  dump <dir>                 write the current state as EDN, JSON or binary
  load <dir> <dump>          bulk-load a dump into a new, empty store
  copy <src> <dest>          copy a store; --compact writes the live nodes only
  restore <src> <dest>       current-state restore: current datoms, new entity ids, no history
  gc <dir>                   delete the nodes nothing reaches any more and compact the files
  help [command]             this text, or a command's

Options of every command:
  -h, --help                 the command's help
  -V, --version              print the version

Long operations (load, copy, restore, dump) report progress on stderr: a bar
with rate and ETA on a terminal, plain lines otherwise (-q turns it off).
Errors print one line, "datalite: <code>: <message>", and exit with status 1;
usage errors exit with status 2.

Environment:
  DATALITE_THREADS=1         use the threaded (-pthread) engine build
  DATALITE_DEBUG=1           stack traces for internal errors
`;

const COMMON = {
  help: { type: "boolean", short: "h" },
};
const QUIET = { quiet: { type: "boolean", short: "q" } };
const JSON_OUT = { json: { type: "boolean" } };

const COMMANDS = {
  stat: {
    positionals: [{ name: "dir" }],
    options: { ...JSON_OUT, quick: { type: "boolean" } },
    help: `Usage: datalite stat <dir> [--json] [--quick]

What a stored database holds:
  datoms        current datoms, and datoms with history
  transactions  transactions recorded (:db/txInstant), max tx and max entity id
  time span     the first and the last transaction's instant
  history       datoms kept only for history (retracted values and their
                retractions), i.e. history depth beyond the current state
  tail          transactions committed since the last checkpoint (replayed on open)
  storage       stored nodes and bytes, and the size of the files
  schema        every attribute: declared type, cardinality, uniqueness, flags,
                and (unless --quick) how many datoms and entities use it

The store is opened read-only (no lock, nothing written): stat works while
another process has the database open, and shows its last commit.

Options:
  --json        the same as one JSON object
  --quick       skip the per-attribute scan (which reads every datom)`,
  },
  query: {
    positionals: [{ name: "dir" }, { name: "query" }],
    options: {
      format: { type: "string", short: "f", choices: ["table", "edn", "json"] },
      "as-of": { type: "string" }, since: { type: "string" }, history: { type: "boolean" },
      arg: { type: "string", repeat: true }, "max-width": { type: "int", min: 0, max: 100000 },
    },
    help: `Usage: datalite query <dir> <query> [--format table|edn|json] [--as-of T] [--since T]
                      [--history] [--arg VALUE]...

Runs a Datalog query (EDN, as in Clojure) against the stored database,
opened read-only (it may be open in another process meanwhile).
<query> is the query text, @FILE to read it from a file, or - for stdin.

Options:
  -f, --format F    table (default): aligned columns headed by the :find
                    elements, strings bare, other values as EDN, "(n rows)";
                    edn: the result as EDN, one row a line;
                    json: the result as JSON (instants as ISO strings,
                    bytes as base64, keywords as ":ns/name" strings)
  --as-of T         query the database as of T: a tx id or an ISO date
  --since T         only datoms added after T
  --history         query the history (assertions and retractions; bind the
                    fifth datom element for added?)
  --arg VALUE       an input for the query's :in after $ (repeat in order):
                    JSON (42, "text", [1,2], true), :ns/kw for a keyword,
                    anything else as a string
  --max-width N     truncate table cells to N characters (default: 80 on a
                    terminal, 0 = never otherwise)

Note: results come through the JavaScript API, where keywords are strings
starting with ":", so a string value ":x" prints as the keyword :x.

Examples:
  datalite query ./db '[:find ?n ?a :where [?e :person/name ?n] [?e :person/age ?a]]'
  datalite query ./db '[:find ?e . :in $ ?email :where [?e :person/email ?email]]' --arg a@b.org
  datalite query ./db @report.edn --format json | jq .`,
  },
  dump: {
    positionals: [{ name: "dir" }],
    options: { format: { type: "string", short: "f", choices: ["edn", "binary", "json"] }, output: { type: "string", short: "o" }, ...QUIET },
    help: `Usage: datalite dump <dir> [--format edn|binary|json] [-o FILE]

Writes the current state (schema and current datoms; no history) to stdout or
to FILE (written under a temporary name and renamed when complete). The store
is opened read-only (it may be open in another process meanwhile).

Formats:
  edn      (default) #datalite/db {...}: readable, keeps every value's type
  binary   the compact snapshot of db.serialize(); to a terminal only with -o
  json     DataScript's serializable JSON (db.toSerializable()), readable by
           datascript.core/from-serializable

Every format loads back with "datalite load". Options: -o FILE, -q (no progress).`,
  },
  load: {
    positionals: [{ name: "dir" }, { name: "dump" }],
    options: { schema: { type: "string" }, format: { type: "string", choices: ["auto", "binary", "edn", "json"] }, ...JSON_OUT, ...QUIET },
    help: `Usage: datalite load <dir> <dump> [--schema FILE] [--format auto|binary|edn|json]

Bulk-loads a dump into <dir>, which must be new, an empty directory, or an
empty datalite store. <dump> is a file, or - for stdin. The database is
built directly from the datoms (no per-datom transaction processing) and
written as one checkpoint; entity ids, tx ids and values stay as in the dump.

The format is detected from the content (--format to force it):
  binary   a snapshot from "datalite dump --format binary" / db.serialize()
  edn      #datalite/db {...} (datalite dump), #datascript/DB {...} (DataScript's
           pr-str), a map {:schema {...} :datoms [[e a v tx] ...]}, or a bare
           vector of datoms [[e a v tx?] ...]
  json     DataScript's serializable JSON (datalite dump --format json,
           datascript.core/serializable), or an array of datoms
           [[e, "ns/attr", v, tx?], ...] / [{"e":..,"a":..,"v":..}, ...]

Options:
  --schema FILE  the schema (an EDN or JSON map, DataScript style) to use
                 instead of the dump's: needed for a bare vector/array of
                 datoms with refs, unique or card-many attributes; with a
                 full dump it replaces its schema (the datoms must fit it)
  --json         print the summary as JSON
  -q, --quiet    no progress`,
  },
  copy: {
    positionals: [{ name: "src" }, { name: "dest" }],
    options: { compact: { type: "boolean" }, ...JSON_OUT, ...QUIET },
    help: `Usage: datalite copy <src> <dest> [--compact]

Copies the database in <src> into <dest>, which must be new or empty. Entity
ids, transaction ids and history stay the same.

  (default)   a file copy of the store: every node, also the ones gc would
              delete, and the tail of recent transactions as it is. <src>
              is opened as its writer meanwhile (no other process may have
              it open), so the files do not change under the copy.
  --compact   live nodes only: the current database value (its current and
              history indexes) is written to <dest> as one checkpoint, so
              <dest> holds exactly the nodes that value reaches, freshly
              packed, and no tail; nothing is re-encoded or re-indexed.
              Unlike "restore" this keeps entity ids and history. <src> is
              read without a lock (it may be open elsewhere: the copy is its
              last commit). The whole value is loaded into memory while it
              is written.

Options: --json (summary as JSON), -q (no progress).`,
  },
  restore: {
    positionals: [{ name: "src" }, { name: "dest" }],
    options: {
      "two-pass": { type: "boolean" }, batch: { type: "int", min: 1, max: 1 << 24 },
      "read-parallelism": { type: "int", min: 1, max: 256 }, "read-chunk": { type: "int", min: 1, max: 1 << 24 },
      "tx-parallelism": { type: "int", min: 1, max: 256 }, threads: { type: "boolean" },
      "single-threaded": { type: "boolean" }, ...JSON_OUT, ...QUIET,
    },
    help: `Usage: datalite restore <src> <dest> [--two-pass] [--batch N] [--read-parallelism N]
                        [--read-chunk N] [--tx-parallelism N] [--single-threaded]

Current-state restore (the package's restore()): copies the schema and the
current datoms of <src> into a new database in <dest> (new or empty), with
new entity ids and no history, through the engine's restore pipeline. <src>
is read without a lock (it may be open elsewhere: the restore copies its last
commit).

Options:
  --two-pass              copy non-ref attributes first, then refs (no pending index)
  --batch N               datoms per destination transaction (default 500)
  --read-parallelism N    source reader threads (default: threads available)
  --read-chunk N          datoms per read (default 5000)
  --tx-parallelism N      transaction workers (default 4)
  --single-threaded       use the single-threaded engine build, which runs the
                          pipeline inline; by default restore uses the threaded
                          build (readers and workers on wasm pthreads), ~1.4x
                          faster with two threads (--threads is accepted too)
  --json                  print the final report as JSON
  -q, --quiet             no progress`,
  },
  gc: {
    positionals: [{ name: "dir" }],
    options: { ...JSON_OUT },
    help: `Usage: datalite gc <dir> [--json]

Deletes the stored nodes that the current database value no longer reaches
(left behind by checkpoints) and compacts the store's files. History stays
complete: it lives in the current value's indexes. Prints the nodes removed
and the stored bytes and file sizes before and after.`,
  },
};

// ------------------------------------------------------------------ errors

function errorLine(err) {
  if (err instanceof UsageError) {
    const hint = err.command ? `datalite ${err.command} --help` : "datalite --help";
    return { status: 2, line: `datalite: usage: ${err.message} (see "${hint}")` };
  }
  const oneLine = (s) => String(s).replace(/\s*\n\s*/g, " ").trim();
  if (err instanceof d.DataliteError || err?.name === "DataliteError") return { status: 1, line: `datalite: ${err.code}: ${oneLine(err.message)}` };
  if (err?.syscall || /^E[A-Z]+$/.test(err?.code ?? "")) return { status: 1, line: `datalite: io-error: ${oneLine(err.message)}` };
  const debug = process.env.DATALITE_DEBUG === "1";
  return {
    status: 1,
    line: `datalite: internal-error: ${oneLine(err?.message ?? err)}${debug ? `\n${err?.stack ?? ""}` : " (DATALITE_DEBUG=1 shows the stack)"}`,
  };
}

const runtime = (code, message) => new d.DataliteError(code, message);
const plural = (n, word) => `${grouped(n)} ${word}${n === 1 ? "" : "s"}`;

// Ctrl-C while the main thread waits (worker tasks, file writes): stop the
// worker, undo what the command started (a half-written destination or
// temporary file), exit with status 130. Engine calls on the main thread
// (restore) cannot be interrupted this way; Ctrl-C then ends the process at
// once, and since a store only switches to a complete root, what remains is
// an empty store that a new attempt accepts.
const interruptible = { worker: null, progress: null, cleanups: new Set() };
let interrupting = false;
async function interrupted() {
  if (interrupting) process.exit(130);
  interrupting = true;
  interruptible.progress?.abort();
  try {
    await interruptible.worker?.terminate();
  } catch {
    // gone already
  }
  for (const fn of interruptible.cleanups) {
    try {
      fn();
    } catch {
      // best effort
    }
  }
  process.stderr.write("datalite: interrupted\n");
  process.exit(130);
}
function onInterrupt(cleanup) {
  if (interruptible.cleanups.size === 0) process.on("SIGINT", interrupted);
  interruptible.cleanups.add(cleanup);
  return () => {
    interruptible.cleanups.delete(cleanup);
    if (interruptible.cleanups.size === 0) process.off("SIGINT", interrupted);
  };
}

// ------------------------------------------------------------------ stores

const hasRoot = (dir) => fs.existsSync(path.join(dir, "root.0")) || fs.existsSync(path.join(dir, "root.1"));

// Whether a root slot file of the file store holds a valid slot (the
// on-disk format of js/stores/file.js, version 1: magic "dlt-root", version,
// ..., root length at 36, CRC-32 at 40 of bytes 0..39 and the root bytes).
function validSlot(file) {
  let buf;
  try {
    buf = fs.readFileSync(file);
  } catch {
    return false;
  }
  if (buf.length < 44 || buf.toString("latin1", 0, 8) !== "dlt-root" || buf.readUInt32LE(8) !== 1) return false;
  const len = buf.readUInt32LE(36);
  if (44 + len > buf.length) return false;
  return crc32(buf.subarray(44, 44 + len), crc32(buf.subarray(0, 40))) === buf.readUInt32LE(40);
}

// A store whose root slots are both unreadable would open as a new, empty
// database (and the first commit would replace them): refuse it.
function checkSlots(dir) {
  const slots = ["root.0", "root.1"].map((f) => path.join(dir, f)).filter((f) => fs.existsSync(f));
  if (slots.length && !slots.some(validSlot))
    throw runtime("store-error", `the store in ${dir} is corrupt: no valid root slot (${slots.map((f) => path.basename(f)).join(", ")} fail their checksum); not opening it`);
}

// An existing store, or a not-found error that says what is there instead.
function requireStore(dir) {
  let st;
  try {
    st = fs.statSync(dir);
  } catch {
    throw runtime("not-found", `no database at ${dir}: no such directory`);
  }
  if (!st.isDirectory()) throw runtime("not-found", `no database at ${dir}: not a directory`);
  if (!hasRoot(dir)) throw runtime("not-found", `no database at ${dir}: the directory holds no datalite store (no root.0 / root.1)`);
  checkSlots(dir);
}

// A destination for load/copy/restore: a new path, an empty directory or an
// empty store. Returns a cleanup function that removes what a failed
// operation left behind.
async function prepareDest(dir, src) {
  if (src && path.resolve(src) === path.resolve(dir)) throw runtime("invalid-input", `source and destination are the same store: ${dir}`);
  let st = null;
  try {
    st = fs.statSync(dir);
  } catch {
    // a new path
  }
  if (!st) return () => fs.rmSync(dir, { recursive: true, force: true });
  if (!st.isDirectory()) throw runtime("invalid-input", `${dir} exists and is not a directory`);
  const entries = fs.readdirSync(dir);
  if (entries.length === 0) {
    return () => {
      for (const f of fs.readdirSync(dir)) fs.rmSync(path.join(dir, f), { recursive: true, force: true });
    };
  }
  if (!hasRoot(dir)) throw runtime("invalid-input", `${dir} is a directory with files but no datalite store: the destination must be new or empty`);
  checkSlots(dir);
  // A store: it must hold nothing yet (checked before any long work).
  await initEngine(false);
  const conn = await d.connect({ store: fileStore(dir) });
  try {
    const db = conn.db();
    if (db.count > 0 || db.maxEid > 0)
      throw runtime("invalid-input", `${dir} already holds a database (${plural(db.count, "datom")}): the destination must be a new or empty store`);
  } finally {
    await conn.close();
  }
  return () => {};
}

// The size of a directory's files (packs only: what a store writing nodes
// grows).
function dirBytes(dir, packsOnly = false) {
  let total = 0;
  try {
    for (const f of fs.readdirSync(dir)) {
      if (packsOnly && !f.endsWith(".pack")) continue;
      try {
        total += fs.statSync(path.join(dir, f)).size;
      } catch {
        // removed meanwhile (compaction)
      }
    }
  } catch {
    // not created yet
  }
  return total;
}

async function initEngine(threads) {
  await d.init(threads ? { threads: true } : {});
}

// An existing store, opened as its writer (gc, copy).
async function openStore(dir) {
  requireStore(dir);
  await initEngine(false);
  return d.connect({ store: fileStore(dir) });
}

// An existing store, opened read-only (lib/stores.mjs).
async function openForReading(dir) {
  requireStore(dir);
  await initEngine(false);
  return connectReadOnly(d, dir);
}

// Runs a task of lib/worker.mjs, showing its phases on `progress`.
function runWorker(task, params, progress, transfer = []) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./lib/worker.mjs", import.meta.url), { workerData: { task, params }, transferList: transfer });
    interruptible.worker = worker;
    let poll = null;
    let pollDir = null;
    let settled = false;
    const stopPoll = () => {
      if (poll) clearInterval(poll);
      poll = null;
    };
    const settle = (fn, value) => {
      if (settled) return;
      settled = true;
      stopPoll();
      worker.terminate().finally(() => {
        if (interruptible.worker === worker) interruptible.worker = null;
        fn(value);
      });
    };
    worker.on("message", (m) => {
      switch (m.type) {
        case "phase":
          stopPoll();
          progress.start(m.label, m);
          pollDir = m.poll ?? null;
          if (pollDir) {
            poll = setInterval(() => progress.update(dirBytes(pollDir, true)), 200);
            poll.unref();
          }
          break;
        case "end":
          if (pollDir) progress.update(dirBytes(pollDir, true));
          stopPoll();
          progress.end(m.summary);
          break;
        case "done":
          settle(resolve, m.result);
          break;
        case "error": {
          const e = m.error;
          let err;
          if (e.name === "DataliteError") err = new d.DataliteError(e.code, e.message);
          else {
            err = new Error(e.message);
            err.stack = e.stack;
            if (e.code) err.code = e.code;
            if (e.syscall) err.syscall = e.syscall;
          }
          settle(reject, err);
          break;
        }
        default:
          break;
      }
    });
    worker.on("error", (err) => settle(reject, err));
    worker.on("exit", (code) => settle(reject, new Error(`the worker thread stopped (exit code ${code})`)));
  });
}

// ------------------------------------------------------------------ input/output

async function readInput(file, progress, what) {
  if (file === "-") {
    progress.start(`reading ${what} from stdin`, { unit: "bytes" });
    const chunks = [];
    let n = 0;
    for await (const chunk of process.stdin) {
      chunks.push(chunk);
      n += chunk.length;
      progress.update(n);
    }
    progress.end();
    const out = new Uint8Array(n);
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
  let fd;
  try {
    fd = fs.openSync(file, "r");
  } catch (err) {
    throw runtime("not-found", `cannot read ${what} ${file}: ${err.code === "ENOENT" ? "no such file" : err.message}`);
  }
  try {
    const size = fs.fstatSync(fd).size;
    const out = new Uint8Array(new ArrayBuffer(size));
    progress.start(`reading ${path.basename(file)}`, { total: size, unit: "bytes" });
    let at = 0;
    while (at < size) {
      const n = fs.readSync(fd, out, at, Math.min(8 << 20, size - at), at);
      if (n === 0) break;
      at += n;
      progress.update(at);
      await new Promise(setImmediate);  // let the bar draw
    }
    progress.end();
    return at === size ? out : out.subarray(0, at);
  } finally {
    fs.closeSync(fd);
  }
}

function readText(file, what) {
  try {
    return file === "-" ? fs.readFileSync(0, "utf8") : fs.readFileSync(file, "utf8");
  } catch (err) {
    throw runtime("not-found", `cannot read ${what} ${file}: ${err.code === "ENOENT" ? "no such file" : err.message}`);
  }
}

// Writes a string or bytes to a stream in chunks, honouring backpressure.
async function writeChunks(stream, payload, progress) {
  const CHUNK = 1 << 20;
  let written = 0;
  let failed = null;
  let wake = null;
  const onError = (err) => {
    failed = err;
    wake?.();
  };
  stream.on("error", onError);
  const write = async (buf) => {
    if (!stream.write(buf)) {
      await new Promise((resolve) => {
        wake = resolve;
        stream.once("drain", resolve);
      });
      stream.off("drain", wake);
      wake = null;
    }
    if (failed) throw failed;
    written += buf.length;
    progress.update(written);
  };
  try {
    if (typeof payload === "string") {
      for (let i = 0; i < payload.length;) {
        let j = Math.min(payload.length, i + CHUNK);
        const last = payload.charCodeAt(j - 1);
        if (j < payload.length && last >= 0xd800 && last <= 0xdbff) j++;  // keep a surrogate pair whole
        await write(Buffer.from(payload.slice(i, j), "utf8"));
        i = j;
      }
    } else {
      for (let i = 0; i < payload.length; i += CHUNK) await write(payload.subarray(i, Math.min(payload.length, i + CHUNK)));
    }
  } finally {
    stream.off("error", onError);
  }
}

function out(text) {
  process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
}

function progressFor(command, options) {
  const progress = new Progress(process.stderr, `datalite ${command}`, { enabled: !options.quiet, interval: PROGRESS_INTERVAL_MS });
  interruptible.progress = progress;
  return progress;
}

// ------------------------------------------------------------------ commands

async function cmdStat({ dir }, options) {
  const conn = await openForReading(dir);
  try {
    const db = conn.db();
    const stats = conn.stats();
    const history = db.history().count;
    const schema = db.schema();
    const transactions = db.q("[:find (count ?t) . :where [?t :db/txInstant]]") ?? 0;
    const [firstTxInstant = null, lastTxInstant = null] = db.q("[:find [(min ?t) (max ?t)] :where [_ :db/txInstant ?t]]") ?? [];
    let usage = null;
    if (!options.quick) {
      usage = new Map();
      const rows = db.q("[:find ?a (count ?v) (count-distinct ?e) :with ?e ?v :where [?e ?a ?v]]");
      for (const [a, datoms, entities] of rows) usage.set(a, { datoms, entities });
    }
    const names = [...new Set([...Object.keys(schema), ...(usage ? usage.keys() : [])])]
      .filter((a) => a !== ":db/txInstant" || !usage || usage.has(a))
      .sort();
    const attributes = names.map((a) => {
      const s = schema[a] ?? {};
      const entry = {
        attribute: a, declared: a in schema,
        valueType: s[":db/valueType"] ?? null,
        cardinality: s[":db/cardinality"] ?? ":db.cardinality/one",
        unique: s[":db/unique"] ?? null,
        flags: [s[":db/index"] && "index", s[":db/isComponent"] && "component", s[":db/noHistory"] && "noHistory",
          s[":db/tupleAttrs"] && `tupleAttrs ${toEdn(s[":db/tupleAttrs"])}`].filter(Boolean),
      };
      if (usage) Object.assign(entry, usage.get(a) ?? { datoms: 0, entities: 0 });
      return entry;
    });
    const files = fs.readdirSync(dir).filter((f) => f !== "LOCK");
    const diskBytes = files.reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
    const report = {
      path: path.resolve(dir),
      datoms: db.count,
      historyDatoms: history,
      retractions: Math.max(0, Math.round((history - db.count) / 2)),
      transactions, firstTxInstant, lastTxInstant, maxTx: db.maxTx, maxEid: db.maxEid,
      tail: { transactions: stats.tailTxs, datoms: stats.tailDatoms },
      storage: { nodes: stats.nodes, storedBytes: stats.storedBytes, files: files.length, diskBytes, nodesLoaded: stats.nodesLoaded },
      attributeCount: attributes.length,
      declaredAttributes: attributes.filter((a) => a.declared).length,
      attributes,
    };
    if (options.json) {
      out(toJson(report));
      return;
    }
    const short = (kw) => (kw ? kw.replace(/^:db\.(type|cardinality|unique)\//, "") : "-");
    out(renderReport([
      ["database", report.path],
      ["datoms", `${grouped(report.datoms)} current, ${grouped(history)} with history`],
      ["transactions", `${grouped(transactions)} (max tx ${report.maxTx}, max entity id ${grouped(report.maxEid)})`],
      ...(firstTxInstant ? [["time span", `${firstTxInstant.toISOString()} .. ${lastTxInstant.toISOString()}`]] : []),
      ["history", `${grouped(history - db.count)} datoms beyond the current state: ${grouped(report.retractions)} retracted datoms, each kept with its retraction`],
      ["tail", `${plural(stats.tailTxs, "transaction")}, ${plural(stats.tailDatoms, "datom")} since the last checkpoint`],
      ["storage", `${plural(stats.nodes, "node")}, ${humanBytes(stats.storedBytes)} stored; ${plural(files.length, "file")}, ${humanBytes(diskBytes)} on disk`],
      ["schema", `${plural(attributes.length, "attribute")} (${report.declaredAttributes} declared)${usage ? "" : "; --quick: datoms not counted"}`],
    ]));
    if (attributes.length) {
      const columns = ["attribute", "type", "cardinality", "unique", "flags", ...(usage ? ["datoms", "entities"] : [])];
      const rows = attributes.map((a) => [a.attribute, short(a.valueType), short(a.cardinality), short(a.unique), a.flags.join(", ") || "-",
        ...(usage ? [a.datoms, a.entities] : [])]);
      const table = renderTable({ columns, rows }).split("\n");
      out(table.slice(0, -1).map((l) => `  ${l}`).join("\n"));
    }
  } finally {
    await conn.close();
  }
}

function parseTime(value, option) {
  if (/^\d+$/.test(value)) return Number(value);
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new UsageError(`--${option} needs a tx id or an ISO date, got ${JSON.stringify(value)}`, "query");
  return new Date(t);
}

function parseArg(value) {
  if (/^:[^\s:]/.test(value)) return d.kw(value);
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

async function cmdQuery({ dir, query }, options) {
  let text = query;
  if (query === "-") text = readText("-", "the query from");
  else if (query.startsWith("@")) text = readText(query.slice(1), "query file");
  if (!text.trim()) throw new UsageError("the query is empty", "query");
  const inputs = (options.arg ?? []).map(parseArg);
  const asOf = options.asOf !== undefined ? parseTime(options.asOf, "as-of") : undefined;
  const since = options.since !== undefined ? parseTime(options.since, "since") : undefined;
  const conn = await openForReading(dir);
  try {
    let db = conn.db();
    if (asOf !== undefined) db = db.asOf(asOf);
    if (since !== undefined) db = db.since(since);
    if (options.history) db = db.history();
    const result = db.q(text, ...inputs);
    const spec = findSpec(text);
    const format = options.format ?? "table";
    if (format === "json") out(toJson(result));
    else if (format === "edn") out(resultToEdn(result, spec));
    else {
      const maxCell = options.maxWidth ?? (process.stdout.isTTY ? 80 : 0);
      out(renderTable(resultRows(result, spec), { maxCell, keyKind: spec?.keys?.kind }));
    }
  } finally {
    await conn.close();
  }
}

async function cmdDump({ dir }, options) {
  const format = options.format ?? "edn";
  const file = options.output;
  if (!file && format === "binary" && process.stdout.isTTY)
    throw new UsageError("refusing to write a binary dump to a terminal: use -o FILE or redirect stdout", "dump");
  if (file) {
    const parent = path.dirname(path.resolve(file));
    if (!fs.existsSync(parent)) throw runtime("not-found", `cannot write ${file}: no such directory ${parent}`);
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) throw runtime("invalid-input", `cannot write ${file}: it is a directory`);
  }
  requireStore(dir);
  const progress = progressFor("dump", options);
  const tmp = file ? `${file}.tmp-${process.pid}` : null;
  const forget = onInterrupt(() => tmp && fs.rmSync(tmp, { force: true }));
  try {
    const { payload, datoms } = await runWorker("dump", { dir, format }, progress);
    const size = typeof payload === "string" ? Buffer.byteLength(payload) : payload.length;
    progress.start(`writing ${file ?? "stdout"}`, { total: size, unit: "bytes" });
    if (file) {
      const stream = fs.createWriteStream(tmp);
      try {
        await once(stream, "open");
        await writeChunks(stream, payload, progress);
        stream.end();
        await once(stream, "finish");
        fs.renameSync(tmp, file);
      } catch (err) {
        stream.destroy();
        fs.rmSync(tmp, { force: true });
        throw err;
      }
    } else {
      await writeChunks(process.stdout, payload, progress);
    }
    progress.end(`${grouped(datoms)} datoms, ${humanBytes(size)} of ${format === "binary" ? "binary" : format.toUpperCase()} written to ${file ?? "stdout"}`);
  } catch (err) {
    progress.abort();
    throw err;
  } finally {
    forget();
  }
}

async function cmdLoad({ dir, dump }, options) {
  const cleanup = await prepareDest(dir);
  const progress = progressFor("load", options);
  const schemaText = options.schema !== undefined ? readText(options.schema, "schema file") : null;
  const bytes = await readInput(dump, progress, "dump");
  if (bytes.length === 0) throw runtime("invalid-input", `the dump ${dump === "-" ? "on stdin" : dump} is empty`);
  let result;
  const forget = onInterrupt(cleanup);
  try {
    const params = {
      dir, bytes, format: options.format ?? "auto", schemaText,
      source: dump === "-" ? "stdin" : dump, schemaSource: options.schema,
    };
    result = await runWorker("load", params, progress, [bytes.buffer]);
  } catch (err) {
    progress.abort();
    cleanup();
    throw err;
  } finally {
    forget();
  }
  if (options.json) out(toJson(result));
  else {
    out(`loaded ${grouped(result.datoms)} datoms (${result.format} dump, ${result.attributes} declared attributes, max tx ${result.maxTx}) ` +
      `into ${dir}: ${grouped(result.nodes)} nodes, ${humanBytes(result.storedBytes)}`);
  }
}

async function cmdCopy({ src, dest }, options) {
  requireStore(src);
  const cleanup = await prepareDest(dest, src);
  const progress = progressFor("copy", options);
  let result;
  const forget = onInterrupt(cleanup);
  try {
    if (options.compact) {
      result = await runWorker("copy", { src, dest }, progress);
      result.mode = "compact";
    } else {
      result = await copyFiles(src, dest, progress);
      result.mode = "files";
    }
  } catch (err) {
    progress.abort();
    cleanup();
    throw err;
  } finally {
    forget();
  }
  if (options.json) {
    out(toJson(result));
    return;
  }
  const saved = result.source.storedBytes - result.dest.storedBytes;
  out(`copied ${grouped(result.datoms)} datoms (${grouped(result.historyDatoms)} with history) to ${dest}: ` +
    `${grouped(result.dest.nodes)} nodes, ${humanBytes(result.dest.storedBytes)}` +
    (options.compact ? ` (source: ${grouped(result.source.nodes)} nodes, ${humanBytes(result.source.storedBytes)}; ${humanBytes(Math.max(0, saved))} less)` : ""));
}

// A file copy of the store, made while holding its writer lock; the copy is
// opened afterwards to check it.
async function copyFiles(src, dest, progress) {
  const conn = await openStore(src);
  let source;
  try {
    const db = conn.db();
    const stats = conn.stats();
    source = { datoms: db.count, historyDatoms: db.history().count, maxTx: db.maxTx, nodes: stats.nodes, storedBytes: stats.storedBytes };
    const files = fs.readdirSync(src).filter((f) => /^(root\.[01]|nodes-\d{8}\.(pack|idx))$/.test(f));
    const total = files.reduce((n, f) => n + fs.statSync(path.join(src, f)).size, 0);
    fs.mkdirSync(dest, { recursive: true });
    progress.start("copying files", { total, unit: "bytes" });
    let done = 0;
    const buf = Buffer.allocUnsafe(4 << 20);
    for (const f of files) {
      const from = fs.openSync(path.join(src, f), "r");
      const to = fs.openSync(path.join(dest, f), "w");
      try {
        let n;
        while ((n = fs.readSync(from, buf, 0, buf.length, null)) > 0) {
          fs.writeSync(to, buf, 0, n);
          done += n;
          progress.update(done);
          await new Promise(setImmediate);
        }
        fs.fsyncSync(to);
      } finally {
        fs.closeSync(from);
        fs.closeSync(to);
      }
    }
    progress.end();
  } finally {
    await conn.close();
  }
  const copy = await d.connect({ store: fileStore(dest) });
  try {
    const db = copy.db();
    const stats = copy.stats();
    if (db.count !== source.datoms || db.maxTx !== source.maxTx || db.history().count !== source.historyDatoms)
      throw runtime("store-error", `the copy in ${dest} does not match ${src} (datoms ${db.count} vs ${source.datoms})`);
    return {
      datoms: source.datoms, historyDatoms: source.historyDatoms, maxTx: source.maxTx,
      source: { nodes: source.nodes, storedBytes: source.storedBytes },
      dest: { nodes: stats.nodes, storedBytes: stats.storedBytes },
    };
  } finally {
    await copy.close();
  }
}

async function cmdRestore({ src, dest }, options) {
  requireStore(src);
  if (options.threads && options.singleThreaded) throw new UsageError("--threads and --single-threaded exclude each other", "restore");
  const threads = !options.singleThreaded;
  await initEngine(threads);
  const cleanup = await prepareDest(dest, src);
  const progress = progressFor("restore", options);
  let report;
  let total;
  try {
    const source = await connectReadOnly(d, src);
    try {
      total = source.db().count;
      progress.start(`restoring${options.twoPass ? " (two-pass)" : ""}`, { total, unit: "datoms" });
      report = await d.restore({
        source, dest: { store: fileStore(dest) },
        twoPass: options.twoPass === true,
        maxBatchSize: options.batch, readParallelism: options.readParallelism,
        readChunk: options.readChunk, txParallelism: options.txParallelism,
        onProgress: (m) => progress.update(Math.min(m.datomsWritten, total), {
          extra: `pending ${grouped(m.pendingCount)}`,
        }),
      });
    } finally {
      await source.close();
    }
  } catch (err) {
    progress.abort();
    cleanup();
    throw err;
  }
  progress.end(`restored ${grouped(report.datomsWritten)} datoms in ${seconds(report.durationSec)}` +
    (report.durationSec > 0 ? ` (${grouped(Math.round(report.datomsWritten / report.durationSec))} datoms/s)` : ""));
  const { oldToNew, ...fields } = report;
  const result = { source: path.resolve(src), dest: path.resolve(dest), sourceDatoms: total, threads: d.engineStats().variant === "mt", ...fields };
  if (options.json) {
    out(toJson(result));
    return;
  }
  out(renderReport([
    ["restored", `${grouped(report.datomsWritten)} of ${grouped(report.datomsRead)} datoms read (source: ${grouped(total)} datoms) into ${dest}`],
    ["mode", `${options.twoPass ? "two-pass" : "single-pass"}, ${d.engineStats().variant === "mt" ? "threaded" : "single-threaded"} engine`],
    ["batches", `${grouped(report.batches)}, efficiency ${(report.batchEfficiency * 100).toFixed(1)}%, avg tx ${report.avgTxMs.toFixed(3)} ms, last tx ${report.lastTxMs.toFixed(3)} ms`],
    ["pending", `${grouped(report.finalPendingCount)} at the end`],
    ["queues", `${report.utilizationPct.toFixed(1)}% utilization`],
    ["duration", `${seconds(report.durationSec)}${report.durationSec > 0 ? ` (${grouped(Math.round(report.datomsWritten / report.durationSec))} datoms/s)` : ""}`],
  ]));
}

async function cmdGc({ dir }, options) {
  const conn = await openStore(dir);
  try {
    const before = { ...pick(conn.stats()), diskBytes: dirBytes(dir) };
    const { removed } = await conn.gc();
    const after = { ...pick(conn.stats()), diskBytes: dirBytes(dir) };
    const result = { removed, before, after };
    if (options.json) {
      out(toJson(result));
      return;
    }
    out(renderReport([
      ["removed", plural(removed, "node")],
      ["nodes", `${grouped(before.nodes)} -> ${grouped(after.nodes)}`],
      ["stored", `${humanBytes(before.storedBytes)} -> ${humanBytes(after.storedBytes)}`],
      ["on disk", `${humanBytes(before.diskBytes)} -> ${humanBytes(after.diskBytes)}`],
    ]));
  } finally {
    await conn.close();
  }
}

function pick(stats) {
  return { nodes: stats.nodes, storedBytes: stats.storedBytes };
}

const RUN = { stat: cmdStat, query: cmdQuery, dump: cmdDump, load: cmdLoad, copy: cmdCopy, restore: cmdRestore, gc: cmdGc };

// ------------------------------------------------------------------ main

async function main(argv) {
  const [first, ...rest] = argv;
  if (first === undefined || first === "-h" || first === "--help") {
    process.stdout.write(HELP);
    return first === undefined ? 2 : 0;
  }
  if (first === "-V" || first === "--version") {
    out(`datalite ${VERSION}`);
    return 0;
  }
  if (first === "help") {
    if (rest[0] === undefined) process.stdout.write(HELP);
    else if (COMMANDS[rest[0]]) out(COMMANDS[rest[0]].help);
    else throw new UsageError(`unknown command ${JSON.stringify(rest[0])}`);
    return 0;
  }
  if (first.startsWith("-")) throw new UsageError(`expected a command before ${first}`);
  const spec = COMMANDS[first];
  if (!spec) throw new UsageError(`unknown command ${JSON.stringify(first)}; commands: ${Object.keys(COMMANDS).join(", ")}`);
  if (rest.includes("-h") || rest.includes("--help")) {
    out(spec.help);
    return 0;
  }
  if (rest.includes("-V") || rest.includes("--version")) {
    out(`datalite ${VERSION}`);
    return 0;
  }
  const { positionals, options } = parseCommandLine({ name: first, positionals: spec.positionals, options: { ...COMMON, ...spec.options } }, rest);
  await RUN[first](positionals, options);
  return 0;
}

process.stdout.on("error", (err) => {
  // A reader that went away (datalite dump db | head): stop quietly.
  if (err.code === "EPIPE") process.exit(0);
  throw err;
});

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  const { status, line } = errorLine(err);
  process.stderr.write(`${line}\n`);
  process.exit(status);
}
