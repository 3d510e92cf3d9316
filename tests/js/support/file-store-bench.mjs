// Timings of the FileStore (js/stores/file.js) alone, no engine:
//   node tests/js/support/file-store-bench.mjs [--nodes 30000] [--size 2048] [--commits 200] [--dir DIR]
// bulk: put N nodes of SIZE random bytes, one sync; reopen; read them all;
// small commits: 2 puts + writeRoot + sync each (strict durability: 2 fdatasyncs).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import crypto from "node:crypto";
import { FileStore } from "../../../js/stores/file.js";

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const N = Number(opt("nodes", 30000));
const SIZE = Number(opt("size", 2048));
const COMMITS = Number(opt("commits", 200));
const base = opt("dir", null) ?? fs.mkdtempSync(path.join(os.tmpdir(), "dlt-file-bench-"));
const dir = path.join(base, "store");
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

const pool = crypto.randomBytes(SIZE * 64);
const nodes = [];
for (let i = 0; i < N; i++) {
  const b = Buffer.from(pool.subarray((i % 63) * SIZE, (i % 63) * SIZE + SIZE));
  b.writeUInt32LE(i, 0);
  nodes.push([crypto.createHash("md5").update(b).digest("hex"), b]);
}

let t0 = process.hrtime.bigint();
let s = FileStore.open(dir);
const tOpen = ms(t0);
t0 = process.hrtime.bigint();
for (const [a, b] of nodes) s.put(a, b);
const tPut = ms(t0);
t0 = process.hrtime.bigint();
s.writeRoot(Buffer.from("root"));
s.sync();
const tSync = ms(t0);
const st = s.stats();
s.close();

t0 = process.hrtime.bigint();
s = FileStore.open(dir);
const tReopen = ms(t0);
t0 = process.hrtime.bigint();
let bytes = 0;
for (const [a] of nodes) bytes += s.get(a).length;
const tGet = ms(t0);
if (bytes !== N * SIZE) throw new Error("read back the wrong size");

const lat = [];
for (let c = 0; c < COMMITS; c++) {
  const t = process.hrtime.bigint();
  for (let k = 0; k < 2; k++) {
    const b = crypto.randomBytes(1024);
    s.put(crypto.createHash("md5").update(b).digest("hex"), b);
  }
  s.writeRoot(Buffer.from(`root ${c}`));
  s.sync();
  lat.push(ms(t));
}
s.close();
lat.sort((a, b) => a - b);
const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))].toFixed(2);

console.log(`bulk: ${N} x ${SIZE} B (${(N * SIZE / 1e6).toFixed(1)} MB): put ${tPut.toFixed(0)} ms + sync ${tSync.toFixed(0)} ms = ${(tPut + tSync).toFixed(0)} ms; open(new) ${tOpen.toFixed(1)} ms; stored ${(st.storedBytes / 1e6).toFixed(1)} MB`);
console.log(`reopen: ${tReopen.toFixed(1)} ms; get all ${N}: ${tGet.toFixed(0)} ms`);
console.log(`small commit (2 x 1 KB puts + writeRoot + sync), ${COMMITS} commits: median ${q(0.5)} ms, p90 ${q(0.9)} ms, p99 ${q(0.99)} ms`);
if (opt("dir", null) === null) fs.rmSync(base, { recursive: true, force: true });
