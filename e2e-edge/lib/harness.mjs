// Shared by the tests and the benchmark: packs the datalite package, lays out
// an example app the way a user's project looks (example files +
// node_modules/datalite from the packed tarball), and starts the real
// runtimes from this folder's npm packages on 127.0.0.1, on ports they pick.
import { spawn, execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const HERE = fileURLToPath(new URL("..", import.meta.url));
export const REPO = fileURLToPath(new URL("../..", import.meta.url));
export const EXAMPLES = join(REPO, "examples");

const bin = (name) => {
  const path = join(HERE, "node_modules", ".bin", name);
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm ci\` in ${HERE}`);
  return path;
};
export const WORKERD = () => bin("workerd");
export const DENO = () => bin("deno");
export const ESBUILD = () => bin("esbuild");

export function makeTempDir(label) {
  return mkdtempSync(join(tmpdir(), `datalite-edge-${label}-`));
}

// `npm pack` of the repository, unpacked: exactly what `npm i datalite` installs.
export function packDatalite(dir) {
  if (!existsSync(join(REPO, "dist", "wasm", "datalite.wasm"))) {
    throw new Error("dist/wasm/datalite.wasm is missing: build the package first (npm run build)");
  }
  const out = execFileSync("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", dir],
    { cwd: REPO, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  const [{ filename }] = JSON.parse(out);
  const unpacked = join(dir, "datalite");
  mkdirSync(unpacked);
  execFileSync("tar", ["-xzf", join(dir, filename), "-C", unpacked, "--strip-components=1"]);
  return unpacked;
}

// Copies examples/<name> into dir/<name> and installs the unpacked package as
// its node_modules/datalite.
export function layOutApp(name, dir, packageDir) {
  const app = join(dir, name);
  cpSync(join(EXAMPLES, name), app, {
    recursive: true,
    filter: (src) => !/\/(node_modules|data|\.wrangler)(\/|$)/.test(src.slice(EXAMPLES.length)),
  });
  mkdirSync(join(app, "node_modules"), { recursive: true });
  cpSync(packageDir, join(app, "node_modules", "datalite"), { recursive: true });
  installDependencies(packageDir, join(app, "node_modules"));
  return app;
}

// The package's own dependencies (and theirs), copied from the repository's
// node_modules (`npm ci` at the root installs them): what `npm i datalite`
// would add, without a registry call here.
function installDependencies(packageDir, nodeModules) {
  const deps = Object.keys(JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8")).dependencies ?? {});
  for (const dep of deps) {
    const target = join(nodeModules, dep);
    if (existsSync(target)) continue;
    const source = join(REPO, "node_modules", dep);
    if (!existsSync(join(source, "package.json"))) {
      throw new Error(`datalite depends on ${dep}, missing from ${join(REPO, "node_modules")}: run \`npm ci\` at the repository root`);
    }
    cpSync(source, target, { recursive: true });
    installDependencies(source, nodeModules);
  }
}

// Runs the Worker's build step (Node writes data/people.bin).
export function buildWorkerData(app) {
  return execFileSync(process.execPath, ["build-db.mjs"], { cwd: app, encoding: "utf8" }).trim();
}

// Writes a copy of the app's wrangler.jsonc with other compatibility settings.
export function wranglerVariant(app, file, { date, flags }) {
  const text = readFileSync(join(app, "wrangler.jsonc"), "utf8").replace(/^\s*\/\/.*$/gm, "");
  const config = JSON.parse(text);
  config.compatibility_date = date;
  if (flags) config.compatibility_flags = flags;
  else delete config.compatibility_flags;
  writeFileSync(join(app, file), JSON.stringify(config, null, 2));
  return file;
}

// Runtimes still running when this process exits (a crash, a failed hook) are ended.
const live = new Set();
process.on("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

// Bundles the Worker ahead of time as wrangler does for a deploy (esbuild with
// the flags workerd uses: node:* external, *.wasm and *.bin kept as modules)
// and writes a config serving that bundle unchanged ("no_bundle").
export function prebuildWorker(app, { date } = {}) {
  const outdir = join(app, "prebuilt");
  rmSync(outdir, { recursive: true, force: true });
  execFileSync(ESBUILD(), [
    "src/worker.js", "--bundle", "--format=esm", "--platform=browser", "--conditions=workerd,worker,browser",
    "--external:node:*", "--loader:.wasm=copy", "--loader:.bin=copy", "--entry-names=index",
    "--log-level=warning", `--outdir=${outdir}`,
  ], { cwd: app, stdio: ["ignore", "ignore", "pipe"] });
  const text = readFileSync(join(app, "wrangler.jsonc"), "utf8").replace(/^\s*\/\/.*$/gm, "");
  const config = { ...JSON.parse(text), main: "prebuilt/index.js", no_bundle: true };
  if (date) config.compatibility_date = date;
  writeFileSync(join(app, "wrangler.prebuilt.json"), JSON.stringify(config, null, 2));
  return "wrangler.prebuilt.json";
}

class Server {
  constructor(name, child, t0) {
    live.add(child);
    child.once("exit", () => live.delete(child));
    this.name = name;
    this.child = child;
    this.t0 = t0;       // performance.now() just before spawn
    this.output = "";
    this.exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
    for (const s of [child.stdout, child.stderr]) s?.on("data", (b) => { this.output += b; });
  }

  url(path = "/") {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  async stop() {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 3000);
    await this.exited;
    clearTimeout(timer);
  }
}

// Resolves with the port the runtime reports, or rejects with its output.
function waitForPort(server, portPromise, ms) {
  let timer;
  return Promise.race([
    portPromise,
    server.exited.then(({ code, signal }) => {
      throw new Error(`${server.name} exited (${code ?? signal}) before listening:\n${server.output}`);
    }),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${server.name} did not listen within ${ms} ms:\n${server.output}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

// workerd serving the app's wrangler config (workerd bundles `main` with
// esbuild as wrangler does: *.wasm as CompiledWasm, *.bin as Data modules).
// The socket listens on port 0; workerd reports the port on --control-fd.
export async function startWorkerd(app, { config = "wrangler.jsonc", timeoutMs = 30000 } = {}) {
  const t0 = performance.now();
  const child = spawn(WORKERD(), ["serve", config, "--socket-addr", "http=127.0.0.1:0", "--control-fd", "3"], {
    cwd: app,
    env: { ...process.env, WORKERD_ESBUILD: ESBUILD() },
    stdio: ["ignore", "pipe", "pipe", "pipe"],
  });
  const server = new Server("workerd", child, t0);
  const port = new Promise((resolve) => {
    let buf = "";
    child.stdio[3].on("data", (b) => {
      buf += b;
      for (const line of buf.split("\n").slice(0, -1)) {
        const msg = JSON.parse(line);
        if (msg.event === "listen" && msg.socket === "http") resolve(msg.port);
      }
      buf = buf.slice(buf.lastIndexOf("\n") + 1);
    });
  });
  try {
    server.port = await waitForPort(server, port, timeoutMs);
    server.listenMs = performance.now() - t0;
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}

// Deno running the app's main.js with the permissions its README asks for.
export async function startDeno(app, { timeoutMs = 30000 } = {}) {
  const t0 = performance.now();
  const child = spawn(DENO(), [
    "run", "--no-prompt", "--allow-net=127.0.0.1", "--allow-read=node_modules/datalite/dist/wasm",
    "main.js", "--hostname", "127.0.0.1", "--port", "0",
  ], {
    cwd: app,
    env: { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1", DENO_DIR: join(app, ".deno-cache") },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const server = new Server("deno", child, t0);
  const port = new Promise((resolve) => {
    child.stdout.on("data", () => {
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(server.output);
      if (m) resolve(Number(m[1]));
    });
  });
  try {
    server.port = await waitForPort(server, port, timeoutMs);
    server.listenMs = performance.now() - t0;
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}

// GET with the query (and inputs) as URL parameters; returns status, headers, parsed body.
export async function getQuery(server, query, args) {
  const params = new URLSearchParams();
  if (query !== undefined) params.set("query", query);
  if (args !== undefined) params.set("args", typeof args === "string" ? args : JSON.stringify(args));
  return get(server, `/q?${params}`);
}

export async function get(server, path) {
  const res = await fetch(server.url(path), { signal: AbortSignal.timeout(20000) });
  const text = await res.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, headers: res.headers, body };
}

export function removeDir(dir) {
  rmSync(dir, { recursive: true, force: true });
}
