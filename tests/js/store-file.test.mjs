// The Node file store (js/stores/file.js) on its own, without the wasm engine:
// round trips, reopen, root atomicity, torn tails, corruption, deletion and
// compaction, the writer lock, read-only opens, and a kill -9 crash harness.
// The on-disk format these tests poke at is documented at the top of file.js.
import { test, describe, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { FileStore, crc32js } from "../../js/stores/file.js";
import { MemoryStore } from "../../js/stores/memory.js";
import { runCrashTrials } from "./support/file-store-crash.mjs";

const TMP = fs.mkdtempSync(path.join(os.tmpdir(), "dlt-store-file-test-"));
after(() => fs.rmSync(TMP, { recursive: true, force: true }));
let dirCount = 0;
const newDir = () => path.join(TMP, `s${++dirCount}`);

const md5 = (bytes) => crypto.createHash("md5").update(bytes).digest("hex");
// A node whose address is the MD5 of its bytes (a stand-in for the engine's hash).
function node(size, fill) {
  const bytes = fill === undefined ? crypto.randomBytes(size) : Buffer.alloc(size, fill);
  if (fill !== undefined && size >= 4) bytes.writeUInt32LE(dirCount * 100000 + size, 0);
  return [md5(bytes), bytes];
}
const nodes = (n, minSize, maxSize) =>
  Array.from({ length: n }, () => node(minSize + Math.floor(Math.random() * (maxSize - minSize + 1))));
const root = (text) => Buffer.from(text, "utf8");
const text = (bytes) => (bytes === null ? null : Buffer.from(bytes).toString("utf8"));

// The directory as a kill -9 would leave it: every write(2) made so far (the
// page cache survives), the write buffer of the process lost, and no LOCK
// owner alive (the copy has no LOCK).
function crashImage(dir) {
  const copy = newDir();
  fs.mkdirSync(copy);
  for (const name of fs.readdirSync(dir)) {
    if (name !== "LOCK") fs.copyFileSync(path.join(dir, name), path.join(copy, name));
  }
  return copy;
}

const packOf = (dir) => path.join(dir, fs.readdirSync(dir).find((n) => n.endsWith(".pack")));
const idxOf = (dir) => path.join(dir, fs.readdirSync(dir).find((n) => n.endsWith(".idx")));
const dirBytes = (dir) => fs.readdirSync(dir).reduce((sum, n) => sum + fs.statSync(path.join(dir, n)).size, 0);

// Test-side reader of the pack format: the records, in file order.
function packRecords(file) {
  const buf = fs.readFileSync(file);
  const out = [];
  for (let off = 16; off + 28 <= buf.length;) {
    const len = buf.readUInt32LE(off + 4);
    out.push({ off, end: off + 28 + len, kind: String.fromCharCode(buf[off]), addr: buf.toString("hex", off + 8, off + 24) });
    off += 28 + len;
  }
  return out;
}

function assertHas(store, [addr, bytes]) {
  const got = store.get(addr);
  assert.ok(got instanceof Uint8Array, `node ${addr} is present`);
  assert.ok(Buffer.from(got).equals(bytes), `node ${addr} has its bytes`);
}

describe("FileStore basics", () => {
  test("put/get round trip, re-put is a no-op, list, stats, bytes are copied at put", () => {
    const dir = newDir();
    const s = FileStore.open(dir);
    assert.ok(fs.statSync(dir).isDirectory(), "open creates the directory");
    const ns = nodes(50, 0, 5000);
    const scratch = Buffer.alloc(6000);
    for (const [addr, bytes] of ns) {
      bytes.copy(scratch);
      s.put(addr, scratch.subarray(0, bytes.length));  // a reused view, like wasm memory
      scratch.fill(0xee);
    }
    for (const n of ns) assertHas(s, n);
    assert.equal(s.get("0".repeat(32)), null);
    const before = s.stats();
    s.put(ns[0][0], Buffer.from("different bytes"));
    assert.deepEqual(s.stats(), before, "putting an existing address writes nothing");
    assertHas(s, ns[0]);
    assert.deepEqual(new Set(s.list()), new Set(ns.map(([a]) => a)));
    assert.equal(before.nodes, 50);
    assert.equal(before.deadBytes, 0);
    assert.throws(() => s.put("ABC", Buffer.alloc(1)), /invalid node address/);
    assert.throws(() => s.put("A".repeat(32), Buffer.alloc(1)), /invalid node address/);
    s.sync();
    for (const n of ns) assertHas(s, n);  // from the file now
    s.close();
    assert.throws(() => s.get(ns[0][0]), /^Error: store-closed/);
    assert.equal(fs.existsSync(path.join(dir, "LOCK")), false, "close releases the lock");
  });

  test("reopen: nodes and the root survive close; stats().storedBytes is the directory size", () => {
    const dir = newDir();
    let s = FileStore.open(dir);
    assert.equal(s.readRoot(), null);
    const ns = nodes(200, 1, 9000);
    for (const [a, b] of ns) s.put(a, b);
    s.writeRoot(root("r1"));
    s.close();
    s = FileStore.open(dir);
    assert.equal(text(s.readRoot()), "r1");
    for (const n of ns) assertHas(s, n);
    assert.equal(s.stats().nodes, 200);
    assert.equal(s.stats().storedBytes, dirBytes(dir) - fs.statSync(path.join(dir, "LOCK")).size);
    s.close();
  });

  test("a node larger than the write buffer", () => {
    const dir = newDir();
    let s = FileStore.open(dir);
    const small = node(100);
    const big = node(10 << 20);
    s.put(...small);
    s.put(...big);
    assertHas(s, big);
    assertHas(s, small);
    s.close();
    s = FileStore.open(dir);
    assertHas(s, big);
    assertHas(s, small);
    s.close();
  });

  test("crc32 fallback agrees with zlib", () => {
    for (const size of [0, 1, 7, 8, 9, 100, 4096, 100003]) {
      const b = crypto.randomBytes(size);
      assert.equal(crc32js(b), crc32js(b.subarray(size >> 1), crc32js(b.subarray(0, size >> 1))));
      if (typeof zlib.crc32 === "function") assert.equal(crc32js(b), zlib.crc32(b));
    }
    assert.equal(crc32js(Buffer.from("123456789")), 0xcbf43926);
  });
});

describe("FileStore roots and crashes", () => {
  test("a root written but not synced is visible in-process, not after a crash", () => {
    const dir = newDir();
    const s = FileStore.open(dir);
    const a = node(3000);
    s.put(...a);
    s.writeRoot(root("one"));
    s.sync();
    const b = node(3000);
    s.put(...b);
    s.writeRoot(root("two"));
    assert.equal(text(s.readRoot()), "two", "readRoot in the same process returns the last written root");
    let c = FileStore.open(crashImage(dir));
    assert.equal(text(c.readRoot()), "one", "after a crash: the last synced root");
    assertHas(c, a);
    c.close();
    s.sync();
    c = FileStore.open(crashImage(dir));
    assert.equal(text(c.readRoot()), "two");
    assertHas(c, b);
    c.close();
    s.close();
  });

  test("many commits alternate the root slots; a torn newest slot falls back to the previous root", () => {
    const dir = newDir();
    const s = FileStore.open(dir);
    for (let i = 1; i <= 7; i++) {
      s.put(...node(100 * i));
      s.writeRoot(root(`root ${i} `.repeat(i * 50)));
      s.sync();
    }
    s.close();
    const slots = ["root.0", "root.1"].map((n) => path.join(dir, n));
    const newest = slots.find((p) => fs.readFileSync(p).toString("latin1").includes("root 7 "));
    const expectPrev = "root 6 ".repeat(300);
    // torn write: truncated, or a byte flipped inside the root bytes
    for (const damage of ["truncate", "flip"]) {
      const img = crashImage(dir);
      const p = path.join(img, path.basename(newest));
      if (damage === "truncate") fs.truncateSync(p, 100);
      else {
        const b = fs.readFileSync(p);
        b[60] ^= 0x40;
        fs.writeFileSync(p, b);
      }
      const c = FileStore.open(img);
      assert.equal(text(c.readRoot()), expectPrev, `${damage}d newest slot`);
      c.writeRoot(root("after"));
      c.close();
      const d = FileStore.open(img);
      assert.equal(text(d.readRoot()), "after", "the next commit goes to the damaged slot and wins");
      d.close();
    }
  });

  test("puts lost with the write buffer (no sync) leave a consistent store", () => {
    const dir = newDir();
    const s = FileStore.open(dir);
    const synced = nodes(20, 100, 3000);
    for (const n of synced) s.put(...n);
    s.writeRoot(root("base"));
    s.sync();
    const unsynced = nodes(20, 100, 3000);
    for (const n of unsynced) s.put(...n);  // still in the write buffer
    const c = FileStore.open(crashImage(dir));
    assert.equal(text(c.readRoot()), "base");
    for (const n of synced) assertHas(c, n);
    for (const [a] of unsynced) assert.equal(c.get(a), null);
    c.close();
    s.close();
  });

  test("pack truncated at random offsets: opens, every record before the cut is readable, the store keeps working", () => {
    const dir = newDir();
    const s = FileStore.open(dir);
    const ns = nodes(60, 0, 4000);
    ns.forEach((n, i) => {
      s.put(...n);
      if (i % 6 === 5) {
        s.writeRoot(root(`r${i}`));
        s.sync();
      }
    });
    s.del([ns[3][0], ns[10][0]]);
    s.close();
    const byAddr = new Map(ns);
    const records = packRecords(packOf(dir));
    const packSize = fs.statSync(packOf(dir)).size;
    const cuts = [0, 5, 16, 17, 44, packSize - 1, ...Array.from({ length: 30 }, () => Math.floor(Math.random() * packSize))];
    for (const cut of cuts) {
      for (const readOnly of [true, false]) {
        const img = crashImage(dir);
        fs.truncateSync(packOf(img), cut);
        const c = FileStore.open(img, { readOnly });
        const dead = new Set();
        for (const r of records) {
          if (r.end > cut) break;
          if (r.kind === "X") dead.add(r.addr);
        }
        for (const r of records) {
          if (r.kind !== "N") continue;
          if (r.end <= cut && !dead.has(r.addr)) assertHas(c, [r.addr, byAddr.get(r.addr)]);
          else assert.equal(c.get(r.addr), null, `cut ${cut}: node ${r.addr} past the cut or deleted is absent`);
        }
        if (!readOnly) {
          const extra = node(500);
          c.put(...extra);
          c.writeRoot(root("after"));
          c.close();
          const d = FileStore.open(img);
          assertHas(d, extra);
          assert.equal(text(d.readRoot()), "after");
          for (const r of records) if (r.kind === "N" && r.end <= cut && !dead.has(r.addr)) assertHas(d, [r.addr, byAddr.get(r.addr)]);
          d.close();
        } else {
          c.close();
        }
      }
    }
  });

  test("index truncated, damaged or missing: rebuilt from the pack", () => {
    const dir = newDir();
    const s = FileStore.open(dir);
    const ns = nodes(80, 0, 3000);
    ns.forEach((n, i) => {
      s.put(...n);
      if (i % 10 === 9) s.sync();
    });
    s.del([ns[0][0]]);
    s.writeRoot(root("r"));
    s.close();
    const live = ns.slice(1);
    const idxSize = fs.statSync(idxOf(dir)).size;
    const damages = [
      ...Array.from({ length: 15 }, () => ["cut", Math.floor(Math.random() * idxSize)]),
      ...Array.from({ length: 10 }, () => ["flip", Math.floor(Math.random() * idxSize)]),
      ["delete", 0],
    ];
    for (const [kind, at] of damages) {
      for (const readOnly of [true, false]) {
        const img = crashImage(dir);
        const idx = idxOf(img);
        if (kind === "cut") fs.truncateSync(idx, at);
        else if (kind === "delete") fs.rmSync(idx);
        else {
          const b = fs.readFileSync(idx);
          b[at] ^= 0x10;
          fs.writeFileSync(idx, b);
        }
        const c = FileStore.open(img, { readOnly });
        for (const n of live) assertHas(c, n);
        assert.equal(c.get(ns[0][0]), null, "a deletion is kept by the rebuilt index");
        assert.equal(c.stats().nodes, live.length);
        c.close();
        if (!readOnly) {
          assert.ok(fs.statSync(idxOf(img)).size === idxSize, `${kind} at ${at}: the index is repaired in full`);
          const d = FileStore.open(img, { readOnly: true });
          for (const n of live) assertHas(d, n);
          d.close();
        }
      }
    }
  });

  test("index entries that are individually valid but out of sequence stop the index; the pack fills in", () => {
    const dir = newDir();
    const s = FileStore.open(dir);
    const ns = nodes(30, 10, 3000);
    for (const n of ns) s.put(...n);
    s.close();
    const idx = fs.readFileSync(idxOf(dir));
    const entry = (i) => idx.subarray(16 + i * 36, 16 + (i + 1) * 36);
    const variants = {
      "an entry cut out": Buffer.concat([idx.subarray(0, 16 + 5 * 36), idx.subarray(16 + 6 * 36)]),
      "an entry repeated": Buffer.concat([idx.subarray(0, 16 + 9 * 36), entry(8), idx.subarray(16 + 9 * 36)]),
      "two entries swapped": Buffer.concat([idx.subarray(0, 16 + 3 * 36), entry(4), entry(3), idx.subarray(16 + 5 * 36)]),
    };
    for (const [what, bytes] of Object.entries(variants)) {
      const img = crashImage(dir);
      fs.writeFileSync(idxOf(img), bytes);
      const c = FileStore.open(img);
      for (const n of ns) assertHas(c, n);
      assert.equal(c.stats().nodes, ns.length, what);
      assert.equal(c.stats().deadBytes, 0, what);
      c.close();
    }
  });

  test("garbage after the last record (a torn unsynced append) is cut off", () => {
    const dir = newDir();
    const s = FileStore.open(dir);
    const ns = nodes(10, 10, 2000);
    for (const n of ns) s.put(...n);
    s.writeRoot(root("r"));
    s.close();
    for (const tail of [Buffer.alloc(5000), crypto.randomBytes(3000), Buffer.from("N\0\0\0\x10\0\0\0")]) {
      const img = crashImage(dir);
      const size = fs.statSync(packOf(img)).size;
      fs.appendFileSync(packOf(img), tail);
      const c = FileStore.open(img);
      for (const n of ns) assertHas(c, n);
      c.close();
      assert.equal(fs.statSync(packOf(img)).size, size, "the torn tail is truncated");
    }
  });
});

describe("FileStore corruption", () => {
  function setup() {
    const dir = newDir();
    const s = FileStore.open(dir);
    const ns = nodes(30, 500, 2000);
    for (const n of ns) s.put(...n);
    s.writeRoot(root("r"));
    s.close();
    return { dir, ns, records: packRecords(packOf(dir)) };
  }

  test("a flipped byte in a node's body or header: get throws naming the address", () => {
    const { dir, ns, records } = setup();
    for (const where of ["body", "crc", "addr", "length"]) {
      const img = crashImage(dir);
      const victim = records[7];
      const at = { body: victim.off + 28 + 100, crc: victim.off + 25, addr: victim.off + 9, length: victim.off + 5 }[where];
      const fd = fs.openSync(packOf(img), "r+");
      const b = Buffer.alloc(1);
      fs.readSync(fd, b, 0, 1, at);
      b[0] ^= 0x01;
      fs.writeSync(fd, b, 0, 1, at);
      fs.closeSync(fd);
      const c = FileStore.open(img);
      assert.throws(() => c.get(victim.addr), (e) => e instanceof Error && e.message.includes(victim.addr), where);
      for (const n of ns) if (n[0] !== victim.addr) assertHas(c, n);
      c.close();
    }
  });

  test("a damaged committed record with the index lost: open keeps it, get throws naming it", () => {
    const { dir, ns, records } = setup();
    const img = crashImage(dir);
    const victim = records[12];
    const b = fs.readFileSync(packOf(img));
    b[victim.off + 28 + 3] ^= 0xff;
    fs.writeFileSync(packOf(img), b);
    fs.rmSync(idxOf(img));
    const c = FileStore.open(img);
    assert.throws(() => c.get(victim.addr), new RegExp(victim.addr));
    for (const n of ns) if (n[0] !== victim.addr) assertHas(c, n);
    c.close();
  });
});

describe("FileStore deletion and compaction", () => {
  test("del marks nodes dead (kept across reopen); compact shrinks the directory and keeps live nodes", () => {
    const dir = newDir();
    let s = FileStore.open(dir);
    const ns = nodes(300, 6000, 10000);
    for (const n of ns) s.put(...n);
    s.writeRoot(root("r"));
    s.sync();
    const gone = ns.filter((_, i) => i % 3 !== 0);
    const live = ns.filter((_, i) => i % 3 === 0);
    s.del(gone.map(([a]) => a));
    s.del(["f".repeat(32)]);  // absent: ignored
    assert.ok(s.stats().deadBytes > 0.6 * s.stats().storedBytes, "dead bytes counted (no automatic compaction below 8 MiB)");
    for (const [a] of gone) assert.equal(s.get(a), null);
    s.close();
    s = FileStore.open(dir);
    for (const [a] of gone) assert.equal(s.get(a), null, "deletions survive a reopen");
    for (const n of live) assertHas(s, n);
    const before = dirBytes(dir);
    const deadBefore = s.stats().deadBytes;
    assert.ok(deadBefore > 0);
    s.writeRoot(root("pending"));  // compaction keeps a pending root pending
    s.compact();
    assert.equal(s.stats().deadBytes, 0);
    assert.equal(text(s.readRoot()), "pending");
    const img = crashImage(dir);
    const c = FileStore.open(img);
    assert.equal(text(c.readRoot()), "r", "the compacted store still holds the last synced root");
    for (const n of live) assertHas(c, n);
    c.close();
    s.close();
    const afterBytes = dirBytes(dir);
    assert.ok(afterBytes < 0.45 * before, `directory shrank: ${before} -> ${afterBytes} bytes`);
    assert.deepEqual(fs.readdirSync(dir).sort(), ["nodes-00000002.idx", "nodes-00000002.pack", "root.0", "root.1"]);
    s = FileStore.open(dir);
    assert.equal(text(s.readRoot()), "pending");
    for (const n of live) assertHas(s, n);
    for (const [a] of gone) assert.equal(s.get(a), null);
    assert.deepEqual(new Set(s.list()), new Set(live.map(([a]) => a)));
    s.put(...gone[0]);  // a deleted node can come back
    assertHas(s, gone[0]);
    s.close();
  });

  test("automatic compaction when dead bytes pass half the pack", () => {
    const dir = newDir();
    const s = FileStore.open(dir, { compactMinDeadBytes: 100000 });
    const ns = nodes(100, 2000, 3000);
    for (const n of ns) s.put(...n);
    s.sync();
    s.del(ns.slice(0, 30).map(([a]) => a));
    assert.ok(fs.existsSync(path.join(dir, "nodes-00000001.pack")), "30% dead: no compaction");
    s.del(ns.slice(30, 60).map(([a]) => a));
    assert.ok(!fs.existsSync(path.join(dir, "nodes-00000001.pack")), "60% dead: compacted");
    assert.ok(fs.existsSync(path.join(dir, "nodes-00000002.pack")));
    for (const n of ns.slice(60)) assertHas(s, n);
    s.close();
  });

  test("files of an interrupted compaction (before or after the switch) are ignored and removed", () => {
    const dir = newDir();
    let s = FileStore.open(dir);
    const ns = nodes(40, 100, 2000);
    for (const n of ns) s.put(...n);
    s.writeRoot(root("r"));
    s.close();
    // Before the switch: a half-written next generation.
    const img = crashImage(dir);
    fs.writeFileSync(path.join(img, "nodes-00000002.pack"), crypto.randomBytes(777));
    fs.writeFileSync(path.join(img, "nodes-00000002.idx"), Buffer.alloc(0));
    s = FileStore.open(img);
    for (const n of ns) assertHas(s, n);
    assert.ok(!fs.existsSync(path.join(img, "nodes-00000002.pack")));
    s.del(ns.slice(0, 20).map(([a]) => a));
    s.compact();  // the same generation number is written again, from scratch
    s.close();
    // After the switch, before the old files were removed.
    fs.copyFileSync(path.join(dir, "nodes-00000001.pack"), path.join(img, "nodes-00000001.pack"));
    s = FileStore.open(img);
    assert.equal(text(s.readRoot()), "r");
    for (const n of ns.slice(20)) assertHas(s, n);
    for (const [a] of ns.slice(0, 20)) assert.equal(s.get(a), null);
    assert.ok(!fs.existsSync(path.join(img, "nodes-00000001.pack")));
    s.close();
  });
});

describe("FileStore lock and read-only opens", () => {
  test("a second writer gets store-locked; read-only opens need no lock", () => {
    const dir = newDir();
    const s = FileStore.open(dir);
    const n = node(1000);
    s.put(...n);
    s.writeRoot(root("r"));
    s.sync();
    assert.throws(() => FileStore.open(dir), (e) => e instanceof Error && e.message.startsWith("store-locked:"));
    const r = FileStore.open(dir, { readOnly: true });
    assertHas(r, n);
    assert.equal(text(r.readRoot()), "r");
    r.close();
    s.close();
    const again = FileStore.open(dir);
    again.close();
  });

  test("a stale lock (dead pid, or unreadable contents) is taken over", () => {
    const dir = newDir();
    FileStore.open(dir).close();
    const dead = spawnSync(process.execPath, ["-e", ""]).pid;
    for (const contents of [`${dead}\n`, "", "garbage"]) {
      fs.writeFileSync(path.join(dir, "LOCK"), contents);
      const s = FileStore.open(dir);
      assert.equal(fs.readFileSync(path.join(dir, "LOCK"), "utf8"), `${process.pid}\n`);
      s.close();
    }
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.startsWith("LOCK")), [], "no lock files left behind");
  });

  test("a read-only open keeps reading its view while the writer compacts", () => {
    const dir = newDir();
    const s = FileStore.open(dir);
    const ns = nodes(40, 100, 3000);
    for (const n of ns) s.put(...n);
    s.writeRoot(root("r"));
    s.sync();
    const r = FileStore.open(dir, { readOnly: true });
    s.del(ns.slice(0, 30).map(([a]) => a));
    s.compact();
    for (const n of ns) assertHas(r, n);
    r.close();
    const r2 = FileStore.open(dir, { readOnly: true });
    for (const n of ns.slice(30)) assertHas(r2, n);
    assert.equal(r2.get(ns[0][0]), null);
    r2.close();
    s.close();
  });

  test("read-only: no writes, no repairs, missing directory is an error", () => {
    const dir = newDir();
    assert.throws(() => FileStore.open(dir, { readOnly: true }), /does not exist/);
    assert.equal(fs.existsSync(dir), false);
    const s = FileStore.open(dir);
    const ns = nodes(10, 100, 1000);
    for (const n of ns) s.put(...n);
    s.writeRoot(root("r"));
    s.close();
    const img = crashImage(dir);
    fs.appendFileSync(packOf(img), crypto.randomBytes(100));  // a torn tail to (not) repair
    fs.truncateSync(idxOf(img), 100);
    const snapshot = () => fs.readdirSync(img).map((f) => [f, fs.readFileSync(path.join(img, f)).toString("base64")]);
    const before = snapshot();
    const r = FileStore.open(img, { readOnly: true });
    for (const n of ns) assertHas(r, n);
    assert.throws(() => r.put(...node(10)), /^Error: store-read-only/);
    assert.throws(() => r.del([ns[0][0]]), /store-read-only/);
    assert.throws(() => r.writeRoot(root("x")), /store-read-only/);
    assert.throws(() => r.compact(), /store-read-only/);
    r.sync();
    r.close();
    assert.deepEqual(snapshot(), before, "a read-only open changed nothing on disk");
  });
});

describe("MemoryStore", () => {
  test("same interface and root semantics", () => {
    const name = `mem-${Math.random()}`;
    let s = MemoryStore.open(name);
    const n = node(100);
    const view = Buffer.from(n[1]);
    s.put(n[0], view);
    view.fill(0);
    assertHas(s, n);
    s.writeRoot(root("a"));
    s.sync();
    s.writeRoot(root("b"));
    assert.equal(text(s.readRoot()), "b");
    assert.throws(() => MemoryStore.open(name), /^Error: store-locked:/);
    const r = MemoryStore.open(name, { readOnly: true });
    assert.equal(text(r.readRoot()), "a");
    assert.throws(() => r.put(...node(3)), /store-read-only/);
    r.close();
    assert.deepEqual(s.stats(), { nodes: 1, storedBytes: 100, deadBytes: 0 });
    s.del([n[0]]);
    assert.equal(s.get(n[0]), null);
    s.close();
    s = MemoryStore.open(name);
    assert.equal(text(s.readRoot()), "b", "close syncs");
    s.close();
    MemoryStore.drop(name);
  });
});

test("bulk load: 30k nodes of 2 KB, one sync", (t) => {
  const dir = newDir();
  const ns = [];
  const base = crypto.randomBytes(2048);
  for (let i = 0; i < 30000; i++) {
    const b = Buffer.from(base);
    b.writeUInt32LE(i, 0);
    ns.push([md5(b), b]);
  }
  const s = FileStore.open(dir);
  const t0 = performance.now();
  for (const n of ns) s.put(...n);
  s.writeRoot(root("bulk"));
  s.sync();
  const ms = performance.now() - t0;
  s.close();
  const t1 = performance.now();
  const r = FileStore.open(dir, { readOnly: true });
  const openMs = performance.now() - t1;
  for (let i = 0; i < ns.length; i += 997) assertHas(r, ns[i]);
  r.close();
  t.diagnostic(`30000 x 2 KB put + sync: ${ms.toFixed(0)} ms; reopen: ${openMs.toFixed(1)} ms`);
  assert.ok(ms < 10000, `bulk load took ${ms} ms`);  // a sanity bound; timings: tests/js/support/file-store-bench.mjs
});

test("kill -9 at random moments: the last acknowledged commit (or the next) is there, intact", async (t) => {
  const r = await runCrashTrials({ trials: 20 });
  t.diagnostic(`${r.trials} trials, ${r.acks} acknowledged commits, ${r.compactions} compactions, ${r.killedBeforeReady} kills during startup`);
  assert.deepEqual(r.failures, []);
  assert.ok(r.acks > 0);
});
