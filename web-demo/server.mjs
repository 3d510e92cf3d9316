#!/usr/bin/env node
// A tiny static server for the datalite web demo (node:http only).
//
//   node web-demo/server.mjs            -> http://127.0.0.1:8787/web-demo/
//   PORT=9000 node web-demo/server.mjs
//
// Serves web-demo/, js/ and dist/ of the repository, and the one package the
// sqlite store loads in browsers, node_modules/@sqlite.org/sqlite-wasm/
// (everything else is a 404). Every response carries COOP same-origin + COEP
// require-corp (+ CORP same-origin), so the page is crossOriginIsolated and datalite loads its
// threaded wasm build. The same files under /noiso/... are served without
// those headers: the page is then not isolated and gets the single-threaded
// build.
import http from "node:http";
import { createReadStream } from "node:fs";
import { realpath, stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const HOST = "127.0.0.1";
const PORT = Number.parseInt(process.env.PORT ?? "8787", 10);
const SERVED = new Set(["web-demo", "js", "dist"]);
// Package directories under node_modules/ that are served too.
const SERVED_PACKAGES = [["node_modules", "@sqlite.org", "sqlite-wasm"]];
const NOISO = "/noiso";

const isServed = (segments) =>
  SERVED.has(segments[0]) ||
  SERVED_PACKAGES.some((pkg) => segments.length > pkg.length && pkg.every((s, i) => segments[i] === s));

const MIME = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".cjs": "text/javascript; charset=utf-8",
  ".wasm": "application/wasm",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".md": "text/markdown; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".ts": "text/plain; charset=utf-8",
};

const ISOLATION_HEADERS = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
  "Cross-Origin-Resource-Policy": "same-origin",
};

function send(res, status, headers, body = "") {
  res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8", ...headers });
  res.end(body);
}

// Maps a URL path to a file under ROOT, or null when it is not served.
async function resolveFile(urlPath) {
  let decoded;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes("\0") || decoded.includes("\\")) return null;
  const segments = decoded.split("/").filter((s) => s !== "");
  // Refuse any dot segment outright rather than normalising it away.
  if (segments.some((s) => s === "." || s === "..")) return null;
  if (segments.length === 0 || !isServed(segments)) return null;
  let file = path.resolve(ROOT, ...segments);
  if (!file.startsWith(ROOT + path.sep)) return null;
  let info;
  try {
    file = await realpath(file);  // symlinks must not lead out of the tree either
    if (!file.startsWith(ROOT + path.sep)) return null;
    if (!isServed(path.relative(ROOT, file).split(path.sep))) return null;
    info = await stat(file);
    if (info.isDirectory()) {
      file = path.join(file, "index.html");
      info = await stat(file);
    }
  } catch {
    return null;
  }
  return info.isFile() ? { file, size: info.size } : null;
}

async function handle(req, res) {
  const url = new URL(req.url, `http://${HOST}`);
  let pathname = url.pathname;
  let isolated = true;
  if (pathname === NOISO || pathname.startsWith(NOISO + "/")) {
    isolated = false;
    pathname = pathname.slice(NOISO.length) || "/";
  }
  const prefix = isolated ? "" : NOISO;
  const headers = isolated ? { ...ISOLATION_HEADERS } : {};
  headers["Cache-Control"] = "no-cache";

  if (req.method !== "GET" && req.method !== "HEAD") {
    return send(res, 405, { ...headers, Allow: "GET, HEAD" }, "method not allowed\n");
  }
  if (pathname === "/" || pathname === "/web-demo") {
    return send(res, 302, { ...headers, Location: `${prefix}/web-demo/` });
  }
  const found = await resolveFile(pathname);
  if (!found) return send(res, 404, headers, "not found\n");
  // A directory URL without its trailing slash: redirect so relative URLs work.
  if (found.file.endsWith(path.sep + "index.html") && !pathname.endsWith("/") && !pathname.endsWith("index.html")) {
    return send(res, 302, { ...headers, Location: `${prefix}${pathname}/` });
  }
  const type = MIME[path.extname(found.file).toLowerCase()] ?? "application/octet-stream";
  res.writeHead(200, { ...headers, "Content-Type": type, "Content-Length": found.size, "X-Content-Type-Options": "nosniff" });
  if (req.method === "HEAD") return res.end();
  const stream = createReadStream(found.file);
  stream.on("error", () => res.destroy());
  stream.pipe(res);
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((err) => {
    console.error(err);
    if (!res.headersSent) send(res, 500, {}, "internal error\n");
    else res.destroy();
  });
});

server.listen(PORT, HOST, () => {
  const { port } = server.address();
  console.log(`datalite web demo: http://${HOST}:${port}/web-demo/`);
  console.log(`  without cross-origin isolation (single-threaded engine): http://${HOST}:${port}${NOISO}/web-demo/`);
});

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
