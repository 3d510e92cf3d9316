// FileStore: the Node.js directory-backed store of immutable, addressed B-tree
// nodes plus one root record (API.md section 6, issue 5). The engine calls it
// synchronously from wasm; every method may throw, and the bridge turns the
// Error into a `store-error`. This module is Node-only and is loaded
// dynamically; it does not depend on the wasm engine.
//
// DESIGN
//
// * Nodes go to an append-only PACK file through an 8 MiB write buffer, so a
//   bulk load is a handful of large write(2)s. An INDEX file next to it holds
//   one fixed-size entry per pack record; opening reads the index (36 bytes a
//   record), never node bodies, except for the pack tail that the index does
//   not cover yet (records appended after the last sync), which is scanned and
//   checksummed. get() is one positioned read, verified by CRC-32.
// * The root lives in two SLOT files (root.0, root.1), LMDB style: each
//   commit overwrites the slot holding the older root with
//   {sequence number, pack generation, root bytes, CRC-32} and fdatasyncs it.
//   Opening takes the valid slot with the highest sequence number. A torn slot
//   write fails its CRC, so the other slot (the previous root) wins.
//   Why two slots rather than write-temp + fsync + rename + fsync(dir): one
//   fsync per root instead of two, no dependence on the file system's rename
//   and directory-entry ordering, and the same slot also switches pack
//   generations atomically after a compaction.
// * sync() = flush the buffer, fdatasync the pack, append the index entries of
//   the records written since the last sync (not fsynced: the index is a cache
//   that is validated and repaired on open), then write + fdatasync the slot.
//   Node bytes are therefore durable before any root that references them:
//   2 fsyncs per commit. Index entries are only ever written for pack bytes
//   already fdatasynced, so an index entry never points at a torn record.
// * Crash recovery on open: index entries are accepted while their CRC is
//   valid, they are contiguous (each starts where the previous record ended)
//   and they end inside the pack; the rest of the index is truncated. The pack
//   is then scanned from the end of the indexed prefix: complete records with a
//   valid CRC are indexed; the first incomplete record, or the first bad one
//   past the committed pack length, is a torn tail and the pack is truncated
//   there. A bad record INSIDE the committed length (bit rot, not a crash) is
//   kept and indexed when the record after it is valid, so get() of it throws
//   naming its address; otherwise open throws rather than cut committed data.
// * del() appends a deletion record (so an index rebuilt from the pack keeps
//   deletions) and counts the dead bytes. When dead bytes exceed
//   `compactRatio` (0.5) of the pack and `compactMinDeadBytes` (8 MiB), or on
//   compact(), the live records are copied into a new generation of pack +
//   index, both fsynced together with the directory, and a slot write naming
//   the new generation (and the last durable root) switches to it atomically.
//   Files of any other generation are deleted on open, so a crash in the
//   middle of a compaction leaves the old generation in use.
// * One writer per directory: the LOCK file (pid + "\n") is created atomically
//   (written under a temporary name, then link(2)ed into place, which fails if
//   LOCK exists). A LOCK whose pid is not a live process on this machine is
//   taken over (limits: two processes taking over the same stale lock at the
//   same instant can both succeed; a recycled pid makes a stale lock look
//   live; a lock on a shared network directory is not reliable).
//   readOnly opens take no lock, write nothing (no repair: the repaired view
//   lives in memory only), and see the store as of the moment they opened
//   (POSIX keeps a compacted-away pack readable through the open descriptor;
//   an open that races a compaction reads the slots again).
//
// ON-DISK FORMAT (version 1; integers little-endian; "CRC" = CRC-32/ISO-HDLC,
// the zlib/PNG CRC; an address is 32 lowercase hex chars stored as 16 bytes)
//
//   <dir>/LOCK               decimal pid of the writer + "\n" (absent when closed)
//   <dir>/root.0, root.1     root slots
//   <dir>/nodes-GGGGGGGG.pack   pack of generation G (8 decimal digits)
//   <dir>/nodes-GGGGGGGG.idx    index of generation G
//
//   Root slot (44-byte header + root bytes; trailing bytes after them ignored)
//     0   8  magic "dlt-root"
//     8   4  format version (1)
//    12   4  pack generation G in use
//    16   8  sequence number (the higher valid slot wins)
//    24   8  pack length (bytes) fdatasynced when this slot was written
//    32   4  flags: bit 0 = a root record is present
//    36   4  root record length R (0 when bit 0 is clear)
//    40   4  CRC of bytes 0..39 followed by the R root bytes
//    44   R  the root record (opaque to the store)
//
//   Pack file: 16-byte header, then records back to back
//     0   8  magic "dlt-pack"
//     8   4  format version (1)
//    12   4  generation G (must match the file name)
//   Record (28-byte header + body):
//     0   1  kind: 0x4E 'N' node, 0x58 'X' deletion of the node at the address
//     1   3  zero
//     4   4  body length L (0 for a deletion)
//     8  16  address
//    24   4  CRC of bytes 0..23 followed by the L body bytes
//    28   L  body (the node bytes, opaque to the store)
//
//   Index file: 16-byte header, then one 36-byte entry per pack record, in
//   pack order
//     0   8  magic "dlt-indx"
//     8   4  format version (1)
//    12   4  generation G
//   Entry:
//     0  16  address
//    16   8  offset of the record header in the pack
//    24   4  body length L
//    28   1  kind (as in the record)
//    29   3  zero
//    32   4  CRC of bytes 0..31
//
// Records of a node that was deleted, or put again after a deletion, are dead
// bytes; so are deletion records. A later record for an address supersedes an
// earlier one.

import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";

const VERSION = 1;
const FILE_HEADER = 16;
const REC_HEADER = 28;
const IDX_ENTRY = 36;
const SLOT_HEADER = 44;
const KIND_NODE = 0x4e;
const KIND_DEL = 0x58;
const MAGIC_PACK = Buffer.from("dlt-pack", "latin1");
const MAGIC_INDEX = Buffer.from("dlt-indx", "latin1");
const MAGIC_ROOT = Buffer.from("dlt-root", "latin1");
const WRITE_BUFFER = 8 << 20;   // pack write buffer
const READ_WINDOW = 8 << 20;    // scan / compaction read size
const TWO32 = 2 ** 32;
const ADDR_RE = /^[0-9a-f]{32}$/;
const FILE_RE = /^nodes-(\d{8})\.(pack|idx)$/;

// ---------------------------------------------------------------- CRC-32

let crcTable = null;

// Table-driven CRC-32 (slicing by 8), used when zlib.crc32 (Node >= 20.15)
// is missing. Exported for the tests, which compare it with zlib's.
export function crc32js(data, crc = 0) {
  if (crcTable === null) {
    crcTable = new Int32Array(256 * 8);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c;
    }
    for (let n = 0; n < 256; n++) {
      let c = crcTable[n];
      for (let k = 1; k < 8; k++) {
        c = crcTable[c & 0xff] ^ (c >>> 8);
        crcTable[k * 256 + n] = c;
      }
    }
  }
  const t = crcTable;
  let c = ~crc;
  let i = 0;
  const n = data.length;
  for (; n - i >= 8; i += 8) {
    c ^= data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
    const h = data[i + 4] | (data[i + 5] << 8) | (data[i + 6] << 16) | (data[i + 7] << 24);
    c = t[1792 + (c & 0xff)] ^ t[1536 + ((c >>> 8) & 0xff)] ^ t[1280 + ((c >>> 16) & 0xff)] ^ t[1024 + (c >>> 24)]
      ^ t[768 + (h & 0xff)] ^ t[512 + ((h >>> 8) & 0xff)] ^ t[256 + ((h >>> 16) & 0xff)] ^ t[h >>> 24];
  }
  for (; i < n; i++) c = t[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

// CRC-32 of data[from, to) in JS: for short ranges (index entries), where a
// call into zlib and a subarray cost more than the loop.
function crc32range(data, from, to) {
  if (crcTable === null) crc32js(data.subarray(0, 0));
  const t = crcTable;
  let c = -1;
  for (let i = from; i < to; i++) c = t[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

export const crc32 = typeof zlib.crc32 === "function" ? (data, crc = 0) => zlib.crc32(data, crc) : crc32js;

// ---------------------------------------------------------------- helpers

function readFully(fd, buf, len, pos) {
  let got = 0;
  while (got < len) {
    const n = fs.readSync(fd, buf, got, len - got, pos + got);
    if (n === 0) break;
    got += n;
  }
  return got;
}

function writeFully(fd, buf, off, len, pos) {
  while (len > 0) {
    const n = fs.writeSync(fd, buf, off, len, pos);
    off += n;
    len -= n;
    pos += n;
  }
}

function readU64(buf, off) {
  return buf.readUInt32LE(off) + buf.readUInt32LE(off + 4) * TWO32;
}

function writeU64(buf, value, off) {
  buf.writeUInt32LE(value >>> 0, off);
  buf.writeUInt32LE(Math.floor(value / TWO32), off + 4);
}

function fsyncDir(dir) {
  let fd;
  try {
    fd = fs.openSync(dir, "r");
    fs.fsyncSync(fd);
  } catch (e) {
    // Directories cannot be opened or fsynced on some platforms (Windows).
    if (!["EISDIR", "EPERM", "EINVAL", "EBADF", "EACCES"].includes(e.code)) throw e;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function genName(gen, ext) {
  return `nodes-${String(gen).padStart(8, "0")}.${ext}`;
}

function fileHeader(magic, gen) {
  const h = Buffer.alloc(FILE_HEADER);
  magic.copy(h, 0);
  h.writeUInt32LE(VERSION, 8);
  h.writeUInt32LE(gen, 12);
  return h;
}

function headerOk(buf, magic, gen) {
  return buf.length >= FILE_HEADER && buf.subarray(0, 8).equals(magic)
    && buf.readUInt32LE(8) === VERSION && buf.readUInt32LE(12) === gen;
}

function checkAddr(addr) {
  if (typeof addr !== "string" || !ADDR_RE.test(addr)) {
    throw new Error(`invalid node address ${JSON.stringify(addr)}: expected 32 lowercase hex characters`);
  }
}

function processAlive(pid) {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === "EPERM";
  }
}

// Encodes a 36-byte index entry at buf[at].
function encodeEntry(buf, at, addrBytes, off, len, kind) {
  addrBytes.copy(buf, at, 0, 16);
  writeU64(buf, off, at + 16);
  buf.writeUInt32LE(len, at + 24);
  buf[at + 28] = kind;
  buf[at + 29] = 0;
  buf[at + 30] = 0;
  buf[at + 31] = 0;
  buf.writeUInt32LE(crc32range(buf, at, at + 32), at + 32);
}

// Parses a root slot file's contents; null when invalid.
function parseSlot(buf) {
  if (buf.length < SLOT_HEADER || !buf.subarray(0, 8).equals(MAGIC_ROOT) || buf.readUInt32LE(8) !== VERSION) return null;
  const flags = buf.readUInt32LE(32);
  const len = buf.readUInt32LE(36);
  if (SLOT_HEADER + len > buf.length) return null;
  let c = crc32(buf.subarray(0, 40));
  c = crc32(buf.subarray(SLOT_HEADER, SLOT_HEADER + len), c);
  if (c !== buf.readUInt32LE(40)) return null;
  return {
    gen: buf.readUInt32LE(12),
    seq: readU64(buf, 16),
    packLength: readU64(buf, 24),
    root: flags & 1 ? Buffer.from(buf.subarray(SLOT_HEADER, SLOT_HEADER + len)) : null,
  };
}

// ---------------------------------------------------------------- lock

function acquireLock(dir) {
  const lockPath = path.join(dir, "LOCK");
  for (let attempt = 0; attempt < 5; attempt++) {
    const tmp = path.join(dir, `LOCK.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
    fs.writeFileSync(tmp, `${process.pid}\n`);
    try {
      try {
        fs.linkSync(tmp, lockPath);
        return lockPath;
      } catch (e) {
        if (e.code !== "EEXIST") {
          if (!["EPERM", "ENOTSUP", "EOPNOTSUPP", "EXDEV", "ENOSYS"].includes(e.code)) throw e;
          // No hard links on this file system: exclusive create instead.
          try {
            const fd = fs.openSync(lockPath, "wx");
            fs.writeSync(fd, `${process.pid}\n`);
            fs.closeSync(fd);
            return lockPath;
          } catch (e2) {
            if (e2.code !== "EEXIST") throw e2;
          }
        }
      }
    } finally {
      fs.rmSync(tmp, { force: true });
    }
    let text;
    try {
      text = fs.readFileSync(lockPath, "latin1");
    } catch (e) {
      if (e.code === "ENOENT") continue;
      throw e;
    }
    const pid = /^\d+\n?$/.test(text) ? Number(text.trim()) : NaN;
    if (pid > 0 && processAlive(pid)) {
      throw new Error(`store-locked: ${dir} is open for writing by process ${pid} (lock file ${lockPath})`);
    }
    // Stale lock (its process is gone, or it is not a lock we wrote): take over.
    fs.rmSync(lockPath, { force: true });
  }
  throw new Error(`store-locked: could not take the lock file ${lockPath}`);
}

function releaseLock(lockPath) {
  try {
    if (fs.readFileSync(lockPath, "latin1").trim() === String(process.pid)) fs.unlinkSync(lockPath);
  } catch (e) {
    if (e.code !== "ENOENT") throw e;
  }
}

// ---------------------------------------------------------------- FileStore

export class FileStore {
  // Opens (and creates, unless readOnly) the store in directory `dir`.
  // opts.readOnly: no lock, no writes. opts.compactRatio / opts.compactMinDeadBytes:
  // automatic compaction thresholds (dead bytes over the pack length / minimum dead bytes).
  static open(dir, opts = {}) {
    for (let attempt = 1; ; attempt++) {
      const store = new FileStore(dir, opts);
      try {
        store._open();
        return store;
      } catch (e) {
        store._closeFiles();
        if (store._lockPath) releaseLock(store._lockPath);
        // A read-only open raced with the writer's compaction: read the slots again.
        if (e.retry && attempt < 10) continue;
        throw e;
      }
    }
  }

  constructor(dir, opts) {
    this.dir = path.resolve(dir);
    this.readOnly = opts.readOnly === true;
    this.compactRatio = opts.compactRatio ?? 0.5;
    this.compactMinDeadBytes = opts.compactMinDeadBytes ?? 8 << 20;
    this.closed = false;
    this._lockPath = null;
    this._gen = 1;
    this._packFd = null;
    this._idxFd = null;
    this._slotFds = [null, null];
    this._slotSizes = [0, 0];
    this._map = new Map();        // addr -> { off, len } of the live record
    this._dead = 0;               // dead record bytes in the pack
    this._buf = null;             // write buffer (allocated on first put)
    this._bufLen = 0;
    this._flushed = FILE_HEADER;  // pack bytes written to the file
    this._synced = FILE_HEADER;   // pack bytes fdatasynced
    this._idxLen = FILE_HEADER;   // index bytes written to the file
    this._idxPend = Buffer.allocUnsafe(64 * IDX_ENTRY);  // entries of records not yet synced
    this._idxPendLen = 0;
    this._seq = 0;
    this._slot = 1;               // slot holding the newest root (the next write goes to the other)
    this._durableRoot = null;
    this._pendingRoot = null;
    this._rootDirty = false;
    this._addrScratch = Buffer.allocUnsafe(16);
    this._failed = null;
  }

  get _packPath() { return path.join(this.dir, genName(this._gen, "pack")); }
  get _idxPath() { return path.join(this.dir, genName(this._gen, "idx")); }

  _open() {
    const { dir, readOnly } = this;
    if (readOnly) {
      if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new Error(`store directory ${dir} does not exist`);
    } else if (!fs.existsSync(dir)) {
      fs.mkdirSync(dir, { recursive: true });
      fsyncDir(path.dirname(dir));
    }
    if (!readOnly) {
      this._lockPath = acquireLock(dir);
      // Temporary lock names left by processes that died while taking the lock.
      for (const n of fs.readdirSync(dir)) {
        const m = /^LOCK\.(\d+)\..*\.tmp$/.exec(n);
        if (m && !processAlive(Number(m[1]))) fs.rmSync(path.join(dir, n), { force: true });
      }
    }
    let dirDirty = false;

    // Root slots: the newest valid one names the generation and the root.
    let best = null;
    for (let i = 0; i < 2; i++) {
      const p = path.join(dir, `root.${i}`);
      const exists = fs.existsSync(p);
      if (!exists && readOnly) continue;
      if (!exists) dirDirty = true;
      const fd = fs.openSync(p, readOnly ? "r" : exists ? "r+" : "w+");
      this._slotFds[i] = fd;
      const size = fs.fstatSync(fd).size;
      this._slotSizes[i] = size;
      const buf = Buffer.allocUnsafe(size);
      readFully(fd, buf, size, 0);
      const slot = parseSlot(buf);
      if (slot && (best === null || slot.seq > best.seq)) best = { ...slot, index: i };
    }
    const names = fs.readdirSync(dir);
    const gens = names.map((n) => FILE_RE.exec(n)).filter(Boolean).map((m) => Number(m[1]));
    if (best) {
      this._gen = best.gen;
      this._seq = best.seq;
      this._slot = best.index;
      this._durableRoot = best.root;
    } else {
      // Never committed (or both slots unreadable): the oldest generation present.
      this._gen = gens.length ? Math.min(...gens) : 1;
      // Every open writes a slot before any node goes to a pack, and commits
      // alternate the two slots, so a crash always leaves one valid: nodes in
      // a pack without a valid slot mean the slots were damaged or removed
      // from outside. Opening that as an empty store would drop the data.
      for (const n of names) {
        const m = FILE_RE.exec(n);
        if (m && m[2] === "pack" && fs.statSync(path.join(dir, n)).size > FILE_HEADER) {
          throw new Error(`${dir} holds nodes (${n}) but neither root slot (root.0, root.1) is valid: the store is corrupt`);
        }
      }
    }
    const committedLength = best ? best.packLength : 0;
    if (!readOnly) {
      for (const n of names) {
        const m = FILE_RE.exec(n);
        if (m && Number(m[1]) !== this._gen) fs.rmSync(path.join(dir, n), { force: true });
      }
    }

    // Pack: header check, or create.
    const packPath = this._packPath;
    let packSize = 0;
    if (fs.existsSync(packPath)) {
      this._packFd = fs.openSync(packPath, readOnly ? "r" : "r+");
      packSize = fs.fstatSync(this._packFd).size;
      if (packSize >= FILE_HEADER) {
        const h = Buffer.allocUnsafe(FILE_HEADER);
        readFully(this._packFd, h, FILE_HEADER, 0);
        if (!headerOk(h, MAGIC_PACK, this._gen)) throw new Error(`${packPath} is not a datalite pack of generation ${this._gen} (bad header)`);
      }
    } else if (!readOnly) {
      this._packFd = fs.openSync(packPath, "w+");
      dirDirty = true;
    } else if (best) {
      // The generation named by the newest slot was removed: a writer compacted
      // after we read the slots.
      throw Object.assign(new Error(`${packPath}, named by the root slot, is missing`), { retry: true });
    }
    if (packSize < FILE_HEADER) {
      // Missing or torn in its header: an empty pack.
      if (!readOnly) {
        fs.ftruncateSync(this._packFd, 0);
        writeFully(this._packFd, fileHeader(MAGIC_PACK, this._gen), 0, FILE_HEADER, 0);
        fs.fdatasyncSync(this._packFd);
      }
      packSize = FILE_HEADER;
    }

    // Index: accept the valid, contiguous prefix of entries inside the pack.
    const idxPath = this._idxPath;
    let idxBytes = null;
    if (fs.existsSync(idxPath)) {
      this._idxFd = fs.openSync(idxPath, readOnly ? "r" : "r+");
      const size = fs.fstatSync(this._idxFd).size;
      idxBytes = Buffer.allocUnsafe(size);
      readFully(this._idxFd, idxBytes, size, 0);
    } else if (!readOnly) {
      this._idxFd = fs.openSync(idxPath, "w+");
      dirDirty = true;
    }
    let covered = FILE_HEADER;
    let idxValid = FILE_HEADER;
    let idxRepaired = false;
    const idxHeaderOk = idxBytes !== null && headerOk(idxBytes, MAGIC_INDEX, this._gen);
    if (idxHeaderOk) {
      for (let at = FILE_HEADER; at + IDX_ENTRY <= idxBytes.length; at += IDX_ENTRY) {
        if (crc32range(idxBytes, at, at + 32) !== idxBytes.readUInt32LE(at + 32)) break;
        const off = readU64(idxBytes, at + 16);
        const len = idxBytes.readUInt32LE(at + 24);
        const kind = idxBytes[at + 28];
        if (off !== covered || (kind !== KIND_NODE && kind !== KIND_DEL) || (kind === KIND_DEL && len !== 0)) break;
        const end = off + REC_HEADER + len;
        if (end > packSize) break;
        this._apply(idxBytes.toString("hex", at, at + 16), kind, off, len);
        covered = end;
        idxValid = at + IDX_ENTRY;
      }
      if (idxValid !== idxBytes.length) idxRepaired = true;
    } else {
      idxRepaired = true;  // missing, torn or foreign header: rebuilt from the pack
    }
    if (idxRepaired && !readOnly) {
      fs.ftruncateSync(this._idxFd, idxHeaderOk ? idxValid : 0);
      if (!idxHeaderOk) writeFully(this._idxFd, fileHeader(MAGIC_INDEX, this._gen), 0, FILE_HEADER, 0);
    }
    this._idxLen = idxValid;

    // Pack tail beyond the index: scan and checksum; truncate a torn tail.
    const end = this._scanTail(covered, packSize, committedLength);
    if (!readOnly) {
      if (end < packSize) fs.ftruncateSync(this._packFd, end);
      if (end < packSize || end > covered) fs.fdatasyncSync(this._packFd);
    }
    this._flushed = this._synced = end;
    if (!readOnly) {
      this._writePendingIndex();
      if (idxRepaired) fs.fdatasyncSync(this._idxFd);
      if (dirDirty) fsyncDir(dir);
      // A fresh store records its generation in a first slot. A pack cut
      // below the committed length (lost from outside: the store never
      // truncates committed bytes) lowers it, so that later torn tails there
      // are not mistaken for damaged committed data.
      if (!best || end < committedLength) this._writeSlot(this._durableRoot, this._gen, end);
    }
  }

  // Applies one pack record to the in-memory index.
  _apply(addr, kind, off, len) {
    const old = this._map.get(addr);
    if (old !== undefined) this._dead += REC_HEADER + old.len;
    if (kind === KIND_NODE) {
      this._map.set(addr, { off, len });
    } else {
      this._map.delete(addr);
      this._dead += REC_HEADER;
    }
  }

  // Scans pack records in [from, size), indexing the valid ones (queued as
  // pending index entries). Returns the offset where the valid pack ends.
  _scanTail(from, size, committedLength) {
    const fd = this._packFd;
    let win = null;
    let winStart = 0;
    const view = (p, n) => {
      if (p + n > size) return null;
      if (win === null || p < winStart || p + n > winStart + win.length) {
        const len = Math.min(size - p, Math.max(n, READ_WINDOW));
        win = Buffer.allocUnsafe(len);
        if (readFully(fd, win, len, p) !== len) throw new Error(`short read of ${this._packPath} at offset ${p}`);
        winStart = p;
      }
      return win.subarray(p - winStart, p - winStart + n);
    };
    // null if no complete record at p; else { kind, len, ok }.
    const recordAt = (p) => {
      const h = view(p, REC_HEADER);
      if (h === null) return null;
      const kind = h[0];
      const len = h.readUInt32LE(4);
      const addr = h.toString("hex", 8, 24);
      const stored = h.readUInt32LE(24);
      let c = crc32(h.subarray(0, 24));
      const body = view(p + REC_HEADER, len);
      if (body === null) return null;
      c = crc32(body, c);
      const ok = c === stored && (kind === KIND_NODE || (kind === KIND_DEL && len === 0)) && h[1] === 0 && h[2] === 0 && h[3] === 0;
      return { kind, len, addr, ok };
    };
    let pos = from;
    while (pos < size) {
      const r = recordAt(pos);
      if (r === null) {
        // An incomplete record is a torn tail, unless the file still holds all
        // committed bytes: then a length field inside them is damaged.
        if (pos < committedLength && size >= committedLength) {
          throw new Error(`${this._packPath} is corrupt at offset ${pos}, inside committed data (bad record length); the index does not cover it`);
        }
        break;
      }
      if (!r.ok) {
        if (pos >= committedLength) break;  // garbage after the last commit: torn tail
        // Inside committed bytes: keep the damaged record (get() reports it)
        // if the record after it is intact, else refuse to guess.
        const next = pos + REC_HEADER + r.len;
        const after = next <= size ? (next === size ? { ok: true } : recordAt(next)) : null;
        if (after === null || !after.ok) {
          throw new Error(`${this._packPath} is corrupt at offset ${pos}, inside committed data (record of node ${r.addr}); the index does not cover it`);
        }
        r.kind = KIND_NODE;
      }
      this._apply(r.addr, r.kind, pos, r.len);
      if (!this.readOnly) this._queueEntry(Buffer.from(r.addr, "hex"), pos, r.len, r.kind);
      pos += REC_HEADER + r.len;
    }
    return pos;
  }

  _queueEntry(addrBytes, off, len, kind) {
    if (this._idxPendLen + IDX_ENTRY > this._idxPend.length) {
      const bigger = Buffer.allocUnsafe(this._idxPend.length * 2);
      this._idxPend.copy(bigger, 0, 0, this._idxPendLen);
      this._idxPend = bigger;
    }
    encodeEntry(this._idxPend, this._idxPendLen, addrBytes, off, len, kind);
    this._idxPendLen += IDX_ENTRY;
  }

  _writePendingIndex() {
    if (this._idxPendLen === 0) return;
    writeFully(this._idxFd, this._idxPend, 0, this._idxPendLen, this._idxLen);
    this._idxLen += this._idxPendLen;
    this._idxPendLen = 0;
    if (this._idxPend.length > (1 << 20)) this._idxPend = Buffer.allocUnsafe(64 * IDX_ENTRY);
  }

  _writeSlot(root, gen, packLength) {
    const len = root ? root.length : 0;
    const buf = Buffer.allocUnsafe(SLOT_HEADER + len);
    MAGIC_ROOT.copy(buf, 0);
    buf.writeUInt32LE(VERSION, 8);
    buf.writeUInt32LE(gen, 12);
    writeU64(buf, this._seq + 1, 16);
    writeU64(buf, packLength, 24);
    buf.writeUInt32LE(root ? 1 : 0, 32);
    buf.writeUInt32LE(len, 36);
    if (root) buf.set(root, SLOT_HEADER);
    let c = crc32(buf.subarray(0, 40));
    c = crc32(buf.subarray(SLOT_HEADER), c);
    buf.writeUInt32LE(c, 40);
    const slot = 1 - this._slot;
    const fd = this._slotFds[slot];
    writeFully(fd, buf, 0, buf.length, 0);
    fs.fdatasyncSync(fd);
    this._slotSizes[slot] = Math.max(this._slotSizes[slot], buf.length);
    this._slot = slot;
    this._seq += 1;
  }

  _check(write) {
    if (this.closed) throw new Error(`store-closed: the store ${this.dir} is closed`);
    if (write && this.readOnly) throw new Error(`store-read-only: the store ${this.dir} was opened with readOnly: true`);
    if (write && this._failed) {
      throw new Error(`store-failed: an earlier write to ${this.dir} failed (${this._failed.message}); reopen the store`);
    }
  }

  // Runs a write step. After an I/O error the file state is unknown (a failed
  // fsync may have dropped dirty pages), so the store refuses further writes
  // and the last good commit is what a reopen finds.
  _io(fn) {
    try {
      return fn();
    } catch (e) {
      this._failed = e;
      throw e;
    }
  }

  _flush() {
    if (this._bufLen === 0) return;
    writeFully(this._packFd, this._buf, 0, this._bufLen, this._flushed);
    this._flushed += this._bufLen;
    this._bufLen = 0;
  }

  // Appends one record (header + body) to the pack through the write buffer.
  _append(kind, addr, bytes) {
    const len = bytes ? bytes.length : 0;
    const total = REC_HEADER + len;
    const off = this._flushed + this._bufLen;
    let target;
    let at;
    if (total > WRITE_BUFFER) {
      this._flush();
      target = Buffer.allocUnsafe(total);
      at = 0;
    } else {
      if (this._buf === null) this._buf = Buffer.allocUnsafe(WRITE_BUFFER);
      if (this._bufLen + total > WRITE_BUFFER) this._flush();
      target = this._buf;
      at = this._bufLen;
    }
    target[at] = kind;
    target[at + 1] = 0;
    target[at + 2] = 0;
    target[at + 3] = 0;
    target.writeUInt32LE(len, at + 4);
    target.write(addr, at + 8, 16, "hex");
    if (len) target.set(bytes, at + REC_HEADER);
    let c = crc32(target.subarray(at, at + 24));
    if (len) c = crc32(target.subarray(at + REC_HEADER, at + total), c);
    target.writeUInt32LE(c, at + 24);
    if (target === this._buf) {
      this._bufLen += total;
    } else {
      writeFully(this._packFd, target, 0, total, this._flushed);
      this._flushed += total;
    }
    this._queueEntry(target.subarray(at + 8, at + 24), off, len, kind);
    return off;
  }

  get(addr) {
    this._check(false);
    const e = this._map.get(addr);
    if (e === undefined) return null;
    const total = REC_HEADER + e.len;
    if (e.off >= this._flushed) {
      // Still in the write buffer.
      const at = e.off - this._flushed;
      return Buffer.from(this._buf.subarray(at + REC_HEADER, at + total));
    }
    const buf = Buffer.allocUnsafe(total);
    const got = readFully(this._packFd, buf, total, e.off);
    const where = () => `in ${this._packPath} at offset ${e.off}`;
    if (got !== total) throw new Error(`corrupt node ${addr}: record truncated (${got} of ${total} bytes) ${where()}`);
    if (buf[0] !== KIND_NODE || buf.readUInt32LE(4) !== e.len || buf.toString("hex", 8, 24) !== addr) {
      throw new Error(`corrupt node ${addr}: record header does not match ${where()}`);
    }
    let c = crc32(buf.subarray(0, 24));
    c = crc32(buf.subarray(REC_HEADER), c);
    if (c !== buf.readUInt32LE(24)) throw new Error(`corrupt node ${addr}: CRC mismatch ${where()}`);
    return buf.subarray(REC_HEADER);
  }

  put(addr, bytes) {
    this._check(true);
    checkAddr(addr);
    if (this._map.has(addr)) return;
    if (!(bytes instanceof Uint8Array)) throw new TypeError(`node ${addr}: bytes must be a Uint8Array`);
    const off = this._io(() => this._append(KIND_NODE, addr, bytes));
    this._map.set(addr, { off, len: bytes.length });
  }

  del(addrs) {
    this._check(true);
    for (const addr of addrs) {
      const e = this._map.get(addr);
      if (e === undefined) continue;
      this._io(() => this._append(KIND_DEL, addr, null));
      this._map.delete(addr);
      this._dead += 2 * REC_HEADER + e.len;
    }
    const packBytes = this._flushed + this._bufLen - FILE_HEADER;
    if (this._dead >= this.compactMinDeadBytes && this._dead > this.compactRatio * packBytes) this.compact();
  }

  list() {
    this._check(false);
    return Array.from(this._map.keys());
  }

  readRoot() {
    this._check(false);
    const r = this._rootDirty ? this._pendingRoot : this._durableRoot;
    return r === null ? null : Buffer.from(r);
  }

  writeRoot(bytes) {
    this._check(true);
    if (!(bytes instanceof Uint8Array)) throw new TypeError("root bytes must be a Uint8Array");
    this._pendingRoot = Buffer.from(bytes);
    this._rootDirty = true;
  }

  sync() {
    this._check(false);
    if (this.readOnly) return;
    this._check(true);
    this._io(() => this._sync());
  }

  _sync() {
    this._flush();
    if (this._synced < this._flushed) {
      fs.fdatasyncSync(this._packFd);
      this._synced = this._flushed;
    }
    this._writePendingIndex();
    if (this._rootDirty) {
      this._writeSlot(this._pendingRoot, this._gen, this._synced);
      this._durableRoot = this._pendingRoot;
      this._pendingRoot = null;
      this._rootDirty = false;
    }
  }

  stats() {
    this._check(false);
    return {
      nodes: this._map.size,
      storedBytes: this._flushed + this._bufLen + this._idxLen + this._idxPendLen + this._slotSizes[0] + this._slotSizes[1],
      deadBytes: this._dead,
    };
  }

  // Rewrites the live records into a new pack generation and switches to it
  // with a slot write naming it (and the last durable root). A root written
  // but not yet synced stays pending; its nodes are copied like all others.
  compact() {
    this._check(true);
    this._io(() => this._compact());
  }

  _compact() {
    this._flush();
    const newGen = this._gen + 1;
    const packPath = path.join(this.dir, genName(newGen, "pack"));
    const idxPath = path.join(this.dir, genName(newGen, "idx"));
    let packFd = null;
    let idxFd = null;
    let switching = false;
    try {
      packFd = fs.openSync(packPath, "w+");
      idxFd = fs.openSync(idxPath, "w+");
      const live = Array.from(this._map, ([addr, e]) => [addr, e.off, e.len]).sort((a, b) => a[1] - b[1]);
      const newMap = new Map();
      const idx = Buffer.allocUnsafe(FILE_HEADER + live.length * IDX_ENTRY);
      fileHeader(MAGIC_INDEX, newGen).copy(idx, 0);
      const out = Buffer.allocUnsafe(WRITE_BUFFER);
      fileHeader(MAGIC_PACK, newGen).copy(out, 0);
      let outLen = FILE_HEADER;
      let written = 0;
      const outFlush = () => {
        writeFully(packFd, out, 0, outLen, written);
        written += outLen;
        outLen = 0;
      };
      let newOff = FILE_HEADER;
      let idxAt = FILE_HEADER;
      // Live records in pack order, read in runs of nearby records.
      for (let i = 0; i < live.length;) {
        let j = i + 1;
        let runEnd = live[i][1] + REC_HEADER + live[i][2];
        while (j < live.length && live[j][1] - runEnd < 65536 && live[j][1] + REC_HEADER + live[j][2] - live[i][1] <= READ_WINDOW) {
          runEnd = live[j][1] + REC_HEADER + live[j][2];
          j++;
        }
        const runStart = live[i][1];
        const run = Buffer.allocUnsafe(runEnd - runStart);
        if (readFully(this._packFd, run, run.length, runStart) !== run.length) {
          throw new Error(`short read of ${this._packPath} at offset ${runStart} during compaction`);
        }
        for (let k = i; k < j; k++) {
          const [addr, off, len] = live[k];
          const total = REC_HEADER + len;
          const rec = run.subarray(off - runStart, off - runStart + total);
          if (total > WRITE_BUFFER) {
            outFlush();
            writeFully(packFd, rec, 0, total, written);
            written += total;
          } else {
            if (outLen + total > WRITE_BUFFER) outFlush();
            rec.copy(out, outLen);
            outLen += total;
          }
          Buffer.from(addr, "hex").copy(this._addrScratch);
          encodeEntry(idx, idxAt, this._addrScratch, newOff, len, KIND_NODE);
          idxAt += IDX_ENTRY;
          newMap.set(addr, { off: newOff, len });
          newOff += total;
        }
        i = j;
      }
      outFlush();
      writeFully(idxFd, idx, 0, idx.length, 0);
      fs.fdatasyncSync(packFd);
      fs.fdatasyncSync(idxFd);
      fsyncDir(this.dir);
      // The switch: from here on the new generation is the store.
      switching = true;
      this._writeSlot(this._durableRoot, newGen, newOff);
      const oldPack = this._packPath;
      const oldIdx = this._idxPath;
      fs.closeSync(this._packFd);
      fs.closeSync(this._idxFd);
      this._packFd = packFd;
      this._idxFd = idxFd;
      packFd = idxFd = null;
      this._gen = newGen;
      this._map = newMap;
      this._dead = 0;
      this._flushed = this._synced = newOff;
      this._idxLen = idx.length;
      this._idxPendLen = 0;
      fs.rmSync(oldPack, { force: true });
      fs.rmSync(oldIdx, { force: true });
    } catch (e) {
      // Before the slot write the new files are garbage; after an attempted
      // one they may be the store (the store is failed then, see _io).
      if (packFd !== null) fs.closeSync(packFd);
      if (idxFd !== null) fs.closeSync(idxFd);
      if (!switching) {
        fs.rmSync(packPath, { force: true });
        fs.rmSync(idxPath, { force: true });
      }
      throw e;
    }
  }

  close() {
    if (this.closed) return;
    try {
      if (!this.readOnly && !this._failed) this.sync();
    } finally {
      this.closed = true;
      this._closeFiles();
      if (this._lockPath) releaseLock(this._lockPath);
      this._lockPath = null;
      this._buf = null;
      this._map = new Map();
    }
  }

  _closeFiles() {
    for (const key of ["_packFd", "_idxFd"]) {
      if (this[key] !== null) fs.closeSync(this[key]);
      this[key] = null;
    }
    for (let i = 0; i < 2; i++) {
      if (this._slotFds[i] !== null) fs.closeSync(this._slotFds[i]);
      this._slotFds[i] = null;
    }
  }
}
