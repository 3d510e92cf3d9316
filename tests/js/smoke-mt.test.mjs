// Core smoke subset on the threaded engine (dist/wasm-mt, -pthread build).
import { d } from "./support/helpers.mjs";
import { registerSmokeTests } from "./support/smoke.mjs";

await d.init({ threads: true });
registerSmokeTests("mt");
