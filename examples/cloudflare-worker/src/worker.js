// A Cloudflare Worker answering Datalog queries over a datalite snapshot
// shipped with it (data/people.bin, made by build-db.mjs).
//
//   GET /q?query=<edn>[&args=<json array>]  -> 200 {"result": ...}
//   bad query or args                       -> 400 {"error": {"code", "message"}}
//   GET /                                   -> what is loaded
//
// Workers cannot compile wasm from bytes at run time: the .wasm is imported
// as a module (wrangler's default rule for *.wasm) and handed to init().
import * as d from "datalite";
// The package's exports map does not list its .wasm, so it is imported by path.
import wasmModule from "../node_modules/datalite/dist/wasm/datalite.wasm";
import snapshot from "../data/people.bin";  // an ArrayBuffer (wrangler's default rule for *.bin)

// Loaded once per isolate, on the first request (no I/O or randomness is
// allowed at global scope in Workers); a failed load is retried next time.
let loading = null;
let loads = 0;
let isolate = null;

function database() {
  loading ??= (async () => {
    await d.init({ wasmModule });
    loads++;
    return d.deserialize(new Uint8Array(snapshot));
  })().catch((err) => {
    loading = null;
    throw err;
  });
  return loading;
}

export default {
  async fetch(request) {
    isolate ??= crypto.randomUUID();
    const url = new URL(request.url);
    let response;
    try {
      if (request.method !== "GET") {
        response = error(405, "invalid-input", `${request.method} is not supported: use GET`);
      } else if (url.pathname === "/q") {
        response = await query(url.searchParams);
      } else if (url.pathname === "/") {
        const db = await database();
        response = json(200, { engine: d.engineStats().variant, datoms: db.count, maxTx: db.maxTx });
      } else {
        response = error(404, "not-found", `no route ${url.pathname}: use /q?query=<edn>`);
      }
    } catch (err) {
      response = error(500, err?.code ?? "internal", String(err?.message ?? err));
    }
    // Lets a client see that one isolate served a run of requests.
    response.headers.set("x-datalite-isolate", isolate);
    response.headers.set("x-datalite-loads", String(loads));
    return response;
  },
};

// Codes that mean "the request was wrong" (API.md section 8), not "we failed".
const CLIENT_ERRORS = new Set(["parse-error", "invalid-input", "type-mismatch", "not-found", "limit-exceeded"]);

async function query(params) {
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
  const db = await database();
  try {
    return json(200, { result: db.q(text, ...args) });
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
