// restore() on the single-threaded engine (the pipeline runs inline).
import { d } from "./support/helpers.mjs";
import { registerRestoreTests } from "./support/restore-cases.mjs";

await d.init({ threads: false });
registerRestoreTests("st");
