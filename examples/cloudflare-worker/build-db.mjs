// Builds the snapshot the Worker ships with: data/people.bin, a datalite
// binary snapshot (db.serialize()). Run with Node before `wrangler dev` /
// `wrangler deploy` (wrangler.jsonc runs it as the build command).
import { mkdir, writeFile } from "node:fs/promises";
import * as d from "datalite";
import { SCHEMA, peopleTx } from "./people.js";

const n = Number(process.env.PEOPLE ?? 500);
const conn = await d.connect({ schema: SCHEMA });
await conn.transact(peopleTx(n));
const bytes = conn.db().serialize();
await mkdir(new URL("./data/", import.meta.url), { recursive: true });
await writeFile(new URL("./data/people.bin", import.meta.url), bytes);
console.log(`data/people.bin: ${n} people, ${bytes.length} bytes`);
