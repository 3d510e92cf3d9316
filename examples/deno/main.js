// A Deno HTTP server answering Datalog queries over a datalite db it builds
// at startup from people.js.
//
//   deno run --allow-net=127.0.0.1 --allow-read=node_modules/datalite/dist/wasm main.js [--port 8000] [--hostname 127.0.0.1]
//
//   GET /q?query=<edn>[&args=<json array>]  -> 200 {"result": ...}
//   bad query or args                       -> 400 {"error": {"code", "message"}}
//   GET /                                   -> what is loaded
import * as d from "datalite";
import { SCHEMA, peopleTx } from "./people.js";

// Deno loads the .wasm that sits next to the package's glue with fetch() on
// its file: URL, hence --allow-read for that folder. (A Deno Deploy app can
// do the same: the file ships with the deployment.)
await d.init();
const conn = await d.connect({ schema: SCHEMA });
await conn.transact(peopleTx(500));
const isolate = crypto.randomUUID();

// Codes that mean "the request was wrong" (API.md section 8), not "we failed".
const CLIENT_ERRORS = new Set(["parse-error", "invalid-input", "type-mismatch", "not-found", "limit-exceeded"]);

export function handler(request) {
  const url = new URL(request.url);
  let response;
  try {
    if (request.method !== "GET") {
      response = error(405, "invalid-input", `${request.method} is not supported: use GET`);
    } else if (url.pathname === "/q") {
      response = query(url.searchParams);
    } else if (url.pathname === "/") {
      const db = conn.db();
      response = json(200, { engine: d.engineStats().variant, datoms: db.count, maxTx: db.maxTx });
    } else {
      response = error(404, "not-found", `no route ${url.pathname}: use /q?query=<edn>`);
    }
  } catch (err) {
    response = error(500, err?.code ?? "internal", String(err?.message ?? err));
  }
  response.headers.set("x-datalite-isolate", isolate);
  response.headers.set("x-datalite-loads", "1");
  return response;
}

function query(params) {
  const text = params.get("query");
  if (!text) return error(400, "invalid-input", "missing query: use /q?query=<edn>[&args=<json array>]");
  let args = [];
  if (params.has("args")) {
    try {
      args = JSON.parse(params.get("args"));
    } catch (err) {
      return error(400, "invalid-input", `args is not JSON: ${err.message}`);
    }
    if (!Array.isArray(args)) return error(400, "invalid-input", "args must be a JSON array of query inputs");
  }
  try {
    return json(200, { result: conn.db().q(text, ...args) });
  } catch (err) {
    if (err instanceof d.DataliteError && CLIENT_ERRORS.has(err.code)) return error(400, err.code, err.message);
    throw err;
  }
}

function json(status, body) {
  return new Response(JSON.stringify(body, toJSON), {
    status,
    headers: { "content-type": "application/json; charset=utf-8" },
  });
}

function error(status, code, message) {
  return json(status, { error: { code, message } });
}

// Results are plain data except longs beyond 2^53 (bigint) and bytes.
function toJSON(_key, value) {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Uint8Array) return Array.from(value);
  return value;
}

function option(name, fallback) {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < Deno.args.length ? Deno.args[i + 1] : fallback;
}

if (import.meta.main) {
  Deno.serve({
    hostname: option("hostname", "127.0.0.1"),
    port: Number(option("port", "8000")),
    onListen: ({ hostname, port }) => console.log(`datalite example listening on http://${hostname}:${port}/`),
  }, handler);
}
