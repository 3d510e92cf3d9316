// Core smoke subset on the single-threaded engine (dist/wasm).
import { d } from "./support/helpers.mjs";
import { registerSmokeTests } from "./support/smoke.mjs";

await d.init({ threads: false });
registerSmokeTests("st");
