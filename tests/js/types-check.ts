// Compile-only check of js/index.d.ts (run by typecheck.test.mjs with
// `tsc -p tests/js/tsconfig.json`): typical typed use of the public API.
// Lines marked @ts-expect-error must stay errors.
import * as d from "../../js/index.js";
import type { Config, Datom, Db, Entity, TxReport } from "../../js/index.js";

export async function example(): Promise<void> {
  await d.init({ threads: false });

  const config: Config = {
    schema: { "person/email": { "db/unique": "db.unique/identity" } },
    store: { backend: "memory", id: "types" },
    keepHistory: true,
  };
  const conn = await d.connect(config);
  const exists: boolean = await d.databaseExists(config);
  void exists;

  const unlisten: () => void = conn.listen((report: TxReport) => {
    const added: Datom[] = report.txData.filter((datom) => datom.added);
    void added;
  });
  conn.registerFn("rename", (db: Db, from: string, to: string) => [[":db/add", ["person/name", from], "person/name", to]]);

  const report = await conn.transact([{ ":db/id": "ada", "person/email": "ada@example.org", "person/born": new Date() }],
    { "tx/source": "types" });
  const adaId: number | undefined = report.tempids["ada"];
  const tx: number = report.tx;
  await conn.transactAsync(`[[:db/add ${adaId} :person/age 36]]`, "{:tx/source \"edn\"}");
  unlisten();

  const db: Db = conn.db();
  const names: unknown = db.q("[:find [?n ...] :in $ ?c :where [?e :person/color ?c] [?e :person/name ?n]]", d.kw(":color/red"));
  const byId: unknown = d.q("[:find ?e . :in $ ?id :where [?e :person/id ?id]]", db, d.uuid("6f1c1f58-1111-4444-8888-123456789abc"));
  const pulled: Record<string, unknown> | null = db.pull("[*]", ["person/email", "ada@example.org"]);
  const many = d.pullMany(db, "[:person/email]", [1, 2]);
  const entity: Entity | null = db.entity(1);
  const email: unknown = entity?.get("person/email");
  const touched: Record<string, unknown> | undefined = entity?.touch();
  void [names, byId, pulled, many, email, touched];

  const datoms: Datom[] = db.datoms("avet", "person/email", "ada@example.org");
  for (const datom of db.seekDatoms("eavt", 1)) {
    const attr: string = datom.a;
    if (attr === ":person/email") break;
  }
  const range: Datom[] = db.indexRange("person/age", 18, null);
  const id: number | null = db.entid(["person/email", "ada@example.org"]);
  const plan: unknown = db.explain("[:find ?e :where [?e :person/email]]");
  void [datoms, range, id, plan];

  const views: Db[] = [db.asOf(tx), db.asOf(new Date()), db.since(tx), db.history(), db.with([{ "person/email": "x@y" }])];
  const counters: number[] = [db.maxTx, db.maxEid, db.count];
  const schema: Record<string, Record<string, unknown>> = db.schema();
  void [counters, schema];

  const bytes: Uint8Array = db.serialize();
  const copies: Db[] = [d.deserialize(bytes), d.fromSerializable(db.toSerializable()), d.fromEDN(db.toEDN())];
  const built: Db = d.initDb([[1, "person/email", "a@b"], { e: 2, a: "person/email", v: "c@d", tx: 536870913 }], config.schema);
  const empty: Db = d.emptyDb("{:a {:db/cardinality :db.cardinality/many}}");
  const speculative: Db = d.dbWith(empty, [[":db/add", -1, "a", 1]]);
  for (const value of [...views, ...copies, built, empty, speculative]) value.dispose();

  const stats = d.engineStats();
  const live: number = stats.liveDbs + stats.liveCursors + stats.heapBytes;
  const connStats: number = conn.stats().datoms;
  void [live, connStats];

  try {
    await conn.transact([{ "person/age": "old" }]);
  } catch (err) {
    if (err instanceof d.DataliteError) {
      const code: d.ErrorCode = err.code;
      if (code === "type-mismatch" || d.ERROR_CODES.includes(code)) console.log(err.message);
    }
  }
  await conn.load([[10, "person/email", "z@z"]]);
  await conn.gc({ keepHistorySince: new Date() });
  await conn.flush();
  await conn.close();
  await d.deleteDatabase(config);

  // @ts-expect-error: index names are checked
  db.datoms("xyz");
  // @ts-expect-error: Db has no public constructor
  new d.Db();
  // @ts-expect-error: pull patterns are EDN strings
  db.pull(["*"], 1);
  // @ts-expect-error: error codes are a closed set
  const bad: d.ErrorCode = "oops";
  void bad;
}
