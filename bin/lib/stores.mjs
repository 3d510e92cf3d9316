// Opening file stores for the CLI's read-only commands (stat, query, dump,
// the sources of copy --compact and restore): without the writer lock and
// without writing anything, so they work while another process (an app, or
// another datalite command) has the database open, and never repair or
// replace anything in a store they only read.
import path from "node:path";
import { FileStore } from "../../js/stores/file.js";

export const fileStore = (dir) => ({ backend: "file", path: dir });

// The package's "custom" store backend over a read-only FileStore; a
// package without custom stores opens the file store as its writer.
export async function connectReadOnly(d, dir, config = {}) {
  const store = { backend: "custom", name: `datalite-cli-read-only:${path.resolve(dir)}`, open: async () => FileStore.open(dir, { readOnly: true }) };
  try {
    return await d.connect({ ...config, store });
  } catch (err) {
    if (err?.code === "store-error" && /unknown store backend/.test(err.message)) return d.connect({ ...config, store: fileStore(dir) });
    throw err;
  }
}
