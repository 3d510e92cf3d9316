// restore() on the threaded engine: readers and tx workers on pthreads.
import { d } from "./support/helpers.mjs";
import { registerRestoreTests } from "./support/restore-cases.mjs";

await d.init({ threads: true });
registerRestoreTests("mt");
