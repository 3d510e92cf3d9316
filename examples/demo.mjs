// A tour of datalite through its public API: schema, transactions, queries,
// pull, entities, history views and serialization. Run: `npm run demo`
// (after `npm run build`), or `bash scripts/demo.sh` which does both.
import * as d from "../js/index.js";

const show = (label, value) => console.log(`\n${label}\n  ${JSON.stringify(value, replacer)}`);
function replacer(_, v) {
  return typeof v === "bigint" ? `${v}n` : v instanceof Uint8Array ? `<${v.length} bytes>` : v;
}

await d.init();
console.log(`datalite engine loaded (${d.engineStats().variant === "mt" ? "threaded" : "single-threaded"} wasm build)`);

// A schema as a DataScript user writes it (EDN), with refs, a unique
// identity for upserts and a keyword-typed enum.
const conn = await d.connect({
  schema: `{:person/email   {:db/unique :db.unique/identity}
            :person/friends {:db/valueType :db.type/ref :db/cardinality :db.cardinality/many}
            :person/role    {:db/valueType :db.type/keyword}
            :person/born    {:db/valueType :db.type/instant}}`,
});

const report = await conn.transact([
  { ":db/id": "ada", "person/name": "Ada", "person/email": "ada@example.org", "person/role": ":engineer",
    "person/born": new Date("1815-12-10"), "person/friends": ["charles"] },
  { ":db/id": "charles", "person/name": "Charles", "person/email": "charles@example.org", "person/role": ":inventor" },
  { "person/name": "Grace", "person/email": "grace@example.org", "person/role": ":engineer", "person/friends": ["ada"] },
]);
show("transact: three people; tempids resolved to entity ids", report.tempids);
const firstTx = report.tx;

let db = conn.db();
show("query: engineers and their friends",
  db.q(`[:find ?name ?friend
         :in $ ?role
         :where [?p :person/role ?role]
                [?p :person/name ?name]
                [?p :person/friends ?f]
                [?f :person/name ?friend]]`, d.kw(":engineer")));

show("query with an aggregate: people per role",
  db.q(`[:find ?role (count ?p) :where [?p :person/role ?role]]`));

show("recursive rule: everyone Grace reaches through friends",
  db.q(`[:find [?name ...]
         :in $ % ?start
         :where (reaches ?start ?p) [?p :person/name ?name]]`,
    `[[(reaches ?a ?b) [?a :person/friends ?b]]
      [(reaches ?a ?b) [?a :person/friends ?x] (reaches ?x ?b)]]`,
    db.entid(["person/email", "grace@example.org"])));

show("pull: Ada with her friends' names (lookup ref by email)",
  db.pull("[:person/name :person/role {:person/friends [:person/name]}]", ["person/email", "ada@example.org"]));

const ada = db.entity(["person/email", "ada@example.org"]);
show("entity: navigating refs lazily", { name: ada.get("person/name"), friends: ada.get("person/friends").map((f) => f.get("person/name")) });

// Upsert by unique identity, then retract: history keeps both.
await conn.transact([{ "person/email": "ada@example.org", "person/role": ":mathematician" }]);
await conn.transact([[":db/retract", ["person/email", "charles@example.org"], "person/role", ":inventor"]]);
db = conn.db();
show("now: Ada's role after the upsert", db.pull("[:person/role]", ["person/email", "ada@example.org"]));
show("asOf the first transaction: Ada's role then", db.asOf(firstTx).pull("[:person/role]", ["person/email", "ada@example.org"]));
show("history: every role assertion and retraction",
  db.history().q(`[:find ?name ?role ?tx ?added
                   :where [?p :person/role ?role ?tx ?added] [?p :person/name ?name]]`)
    .sort((a, b) => a[2] - b[2] || a[0].localeCompare(b[0])));

// A speculative change that never reaches the connection.
const tentative = db.with([{ "person/name": "Alan", "person/email": "alan@example.org" }]);
show("db.with: count in the speculative value vs the connection", { speculative: tentative.count, current: conn.db().count });

// Serialization: binary snapshot, DataScript-compatible JSON, EDN.
try {
  const bytes = db.serialize();
  const copy = d.deserialize(bytes);
  show(`serialize: ${bytes.length} bytes; the loaded copy answers the same query`,
    copy.q("[:find (count ?p) . :where [?p :person/email]]"));
  const json = JSON.stringify(db.toSerializable());
  show(`toSerializable: ${json.length} chars of JSON (DataScript's shape); loaded back`,
    d.fromSerializable(JSON.parse(json)).q("[:find [?n ...] :where [_ :person/name ?n]]").sort());
  console.log(`\ntoEDN:\n${db.toEDN().split("\n").slice(0, 4).join("\n")}\n  ...`);
} catch (err) {
  console.log(`\nserialization: not available in this build (${err.code}: ${err.message})`);
}

// Errors carry stable codes and change nothing.
try {
  await conn.transact([{ "person/email": "ada@example.org", "person/born": "yesterday" }]);
} catch (err) {
  show("a bad transaction fails with a code and changes nothing", { code: err.code, message: err.message, count: conn.db().count });
}
await conn.close();
