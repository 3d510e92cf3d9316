// Loads one of the wasm builds and runs requests against it.
//
// Builds (see cmake/wasm.cmake):
//   dist/wasm/datalite.mjs            single-threaded: browsers, workers, Deno, edge, Node
//   dist/wasm-mt/datalite-mt.cjs      threaded, Node
//   dist/wasm-mt-web/datalite-mt.mjs  threaded, cross-origin-isolated pages
// The threaded build is picked only where SharedArrayBuffer works: in a
// page/worker with crossOriginIsolated, and in Node when asked for
// (`init({ threads: true })` or DATALITE_THREADS=1). `init({ threads: false })`
// forces the single-threaded one everywhere.
import { DataliteError } from "./errors.js";
import { WireReader, WireWriter } from "./wire.js";

export const Op = Object.freeze({
  EmptyDb: 1, Release: 2, Transact: 3, With: 4, Query: 5, Explain: 6, Pull: 7, PullMany: 8,
  EntityId: 9, EntityGet: 10, EntityTouch: 11, Datoms: 12, SeekOpen: 13, SeekNext: 14,
  SeekClose: 15, IndexRange: 16, AsOf: 17, Since: 18, History: 19, Entid: 20, Schema: 21,
  Info: 22, Serialize: 23, Deserialize: 24, ToSerializable: 25, FromSerializable: 26,
  ToEdn: 27, FromEdn: 28, InitDb: 29, Stats: 30, ReadEdn: 31, SchemaVersion: 32, EntityAttrs: 33,
  StoreOpen: 34, StoreTransact: 35, StoreCheckpoint: 36, StoreSync: 37, StoreGc: 38, StoreClose: 39,
  StoreStats: 40, StoreLoad: 41, StoreSetCache: 42, Restore: 43, SetLimits: 44,
  StoreRevert: 45,
});

// Deno and workerd (Cloudflare Workers, nodejs_compat: on by default since
// compatibility date 2026-08-04) define a Node-like `process` with
// versions.node and release.name "node"; neither can read our files with
// node:fs. Node itself has no `navigator` before 21 and "Node.js/<major>" after.
const userAgent = globalThis.navigator?.userAgent;
const isNode = typeof process !== "undefined" && !!process.versions?.node &&
  typeof globalThis.Deno === "undefined" && typeof globalThis.Bun === "undefined" &&
  (typeof userAgent !== "string" || userAgent.startsWith("Node.js"));

// Node built-ins are fetched by a computed name, never `import("node:...")`:
// bundlers for browsers and edge runtimes (esbuild, wrangler) fail on a
// literal node: specifier even in code that never runs there.
async function nodeBuiltin(name) {
  return process.getBuiltinModule?.(name) ?? import(/* webpackIgnore: true */ /* @vite-ignore */ name);
}

let engine = null;
let loading = null;

const MAX_RESERVE = 1 << 30;  // reserveHeap never asks for more (wasm32 heaps end at 2 GB)

export class Engine {
  constructor(module, variant) {
    this.module = module;
    this.variant = variant;  // "st" | "mt"
    this.writer = new WireWriter(4096);
    this.requestPtr = 0;      // the engine's request buffer and its size
    this.requestCapacity = 0;
    this.reader = new WireReader(new Uint8Array(0));
    this.heapBuffer = null;   // wasm memory buffer the cached view covers
    this.heapView = null;
  }

  // Starts a request; fill the returned writer, then call send(op).
  begin() {
    return this.writer.reset();
  }

  // Grows the wasm heap in one step before a call that will allocate about
  // `bytes` (bulk builds: conn.load, initDb). Each memory.grow makes V8 run
  // a full, synchronous GC of the JS heap, and the glue grows by 20% at a
  // time: a 1M-datom load grew the heap 12 times (32 -> 330 MB) and spent
  // 1-1.3 s of CPU in those GCs (bench/js/storage-bench.mjs). A malloc +
  // free of the estimate grows it once; the allocator then serves the call
  // from those pages. Wasm pages never touched cost address space, not
  // memory (measured: reserving 1 GB left the RSS unchanged), and a failed
  // reservation (malloc returns 0) changes nothing. Single-threaded build
  // only: the threaded one has a fixed shared memory.
  reserveHeap(bytes) {
    const m = this.module;
    if (this.variant !== "st" || typeof m._malloc !== "function" || typeof m._free !== "function") return;
    const want = Math.min(bytes, MAX_RESERVE);
    if (want <= 0 || m.HEAPU8.length >= want + (64 << 20)) return;  // room enough already (roughly)
    const p = m._malloc(want);
    if (p) m._free(p);
  }

  // Sends the request in the writer and returns a reader over the response
  // payload (copied out of wasm memory, so it survives later calls).
  //
  // The single-threaded build decodes in place from wasm memory: nothing
  // runs in the engine until the caller has read the response. The threaded
  // build copies it out first (TextDecoder refuses SharedArrayBuffer views).
  send(op) {
    const m = this.module;
    const w = this.writer;
    if (w.length > this.requestCapacity) {
      let capacity = Math.max(w.length, 2 * this.requestCapacity, 4096);
      let ptr = m.requestBuffer(capacity);
      if (!ptr && capacity > w.length) ptr = m.requestBuffer((capacity = w.length));
      // 0: the heap cannot hold the request; the old buffer is still valid.
      if (!ptr) {
        throw new DataliteError("limit-exceeded",
          `out of memory: a request of ${w.length} bytes does not fit in the wasm heap (see setLimits)`);
      }
      this.requestCapacity = capacity;
      this.requestPtr = ptr;
    }
    m.HEAPU8.set(w.bytes.subarray(0, w.length), this.requestPtr);
    const res = m.call(op, w.length);
    const heap = m.HEAPU8;
    const len = (heap[res] | (heap[res + 1] << 8) | (heap[res + 2] << 16) | (heap[res + 3] << 24)) >>> 0;
    let r;
    if (this.variant === "st") {
      if (heap.buffer !== this.heapBuffer) {
        this.heapBuffer = heap.buffer;
        this.heapView = new DataView(heap.buffer);
      }
      r = this.reader.reset(heap, this.heapView, res + 4);
    } else {
      r = new WireReader(heap.slice(res + 4, res + 4 + len));
    }
    if (r.byte() !== 0) {
      const code = r.text();
      const message = r.text();
      throw new DataliteError(code, message);
    }
    return r;
  }
}

export function currentEngine() {
  if (!engine) {
    throw new DataliteError("invalid-input",
      "datalite is not initialised yet: await init() (or any async entry point, such as connect()) first");
  }
  return engine;
}

export function isInitialised() {
  return engine !== null;
}

// Browsers: the threaded build whenever the page is cross-origin isolated.
// Node: the single-threaded build unless asked (threads: true or
// DATALITE_THREADS=1): queries run equally fast in both, but calls that move
// many bytes across the boundary (transactions, pulls) measured ~1.3x slower
// in the threaded build, whose JS heap views are guarded for memory growth
// (docs/adr/0007-js-boundary.md).
function wantThreads(opts) {
  if (opts.threads === false) return false;
  if (typeof SharedArrayBuffer === "undefined") return false;
  if (isNode) return opts.threads === true || (opts.threads === undefined && process.env.DATALITE_THREADS === "1");
  return globalThis.crossOriginIsolated === true;
}

async function loadModule(opts) {
  const moduleArgs = {};
  if (opts.locateFile) moduleArgs.locateFile = opts.locateFile;
  if (opts.wasmModule) {
    // Edge runtimes (workerd) cannot compile from bytes: they hand us the
    // module of dist/wasm/datalite.wasm, which always means the
    // single-threaded build and no file access, in any runtime.
    const wasmModule = opts.wasmModule;
    if (!(wasmModule instanceof WebAssembly.Module)) {
      throw new TypeError("init({ wasmModule }) expects the WebAssembly.Module of dist/wasm/datalite.wasm " +
        `(got ${Object.prototype.toString.call(wasmModule)}); pass bytes as wasmBinary instead`);
    }
    const { default: create } = await import("../dist/wasm/datalite.mjs");
    // The glue has no way to report a failed instantiateWasm: race it.
    let fail;
    const failed = new Promise((_, reject) => (fail = reject));
    moduleArgs.instantiateWasm = (imports, receive) => {
      WebAssembly.instantiate(wasmModule, imports).then((instance) => receive(instance, wasmModule), fail);
      return {};
    };
    // The glue resolves file names against import.meta.url, which workerd
    // leaves undefined ("Invalid URL string"); nothing is fetched anyway.
    moduleArgs.locateFile ??= (p) => p;
    return new Engine(await Promise.race([create(moduleArgs), failed]), "st");
  }
  if (opts.wasmBinary) moduleArgs.wasmBinary = opts.wasmBinary;
  const threads = wantThreads(opts);
  if (isNode) {
    const { readFile } = await nodeBuiltin("node:fs/promises");
    if (threads) {
      const { createRequire } = await nodeBuiltin("node:module");
      const require = createRequire(import.meta.url);
      const create = require("../dist/wasm-mt/datalite-mt.cjs");
      moduleArgs.wasmBinary ??= await readFile(new URL("../dist/wasm-mt/datalite-mt.wasm", import.meta.url));
      const module = await create(moduleArgs);
      // The pthread pool must not keep Node alive after the user's work is done.
      const pool = module.PThread;
      if (pool) for (const w of [...pool.unusedWorkers, ...pool.runningWorkers]) w.unref?.();
      return new Engine(module, "mt");
    }
    const { default: create } = await import("../dist/wasm/datalite.mjs");
    moduleArgs.wasmBinary ??= await readFile(new URL("../dist/wasm/datalite.wasm", import.meta.url));
    return new Engine(await create(moduleArgs), "st");
  }
  if (threads) {
    const { default: create } = await import("../dist/wasm-mt-web/datalite-mt.mjs");
    return new Engine(await create(moduleArgs), "mt");
  }
  const { default: create } = await import("../dist/wasm/datalite.mjs");
  return new Engine(await create(moduleArgs), "st");
}

export async function initEngine(opts = {}) {
  if (engine) return engine;
  if (!loading) {
    loading = loadModule(opts).then(
      (e) => (engine = e),
      (err) => {
        loading = null;
        throw new DataliteError("store-error", `could not load the datalite wasm module: ${err?.message ?? err}`, { cause: err });
      });
  }
  return loading;
}
