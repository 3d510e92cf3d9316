// js/index.d.ts against typed use of the API (types-check.ts), with the
// TypeScript compiler from the root devDependencies.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const installed = existsSync(new URL("../../node_modules/typescript/package.json", import.meta.url));

test("tsc -p tests/js/tsconfig.json type-checks types-check.ts against js/index.d.ts",
  { skip: installed ? false : "typescript is not installed: run `npm install` at the repository root" }, () => {
    const npx = process.platform === "win32" ? "npx.cmd" : "npx";
    const result = spawnSync(npx, ["--no-install", "tsc", "-p", "tests/js/tsconfig.json"], { cwd: root, encoding: "utf8", timeout: 120_000 });
    assert.equal(result.error, undefined, String(result.error));
    assert.equal(result.status, 0, `tsc reported errors:\n${result.stdout}${result.stderr}`);
  });
