#!/usr/bin/env bash
# Proves the npm tarball works without a toolchain: packs the package,
# installs it into a scratch project and imports it as users do.
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
tarball=$(npm pack --silent --pack-destination "$scratch" | tail -1)
echo "pack-check: $tarball ($(du -k "$scratch/$tarball" | cut -f1) KB)"
cd "$scratch"
npm init -y >/dev/null
npm install --no-audit --no-fund --silent "./$tarball"
cat > check.mjs <<'JS'
import * as d from "datalite";
await d.init();
const db = d.emptyDb({ "person/friend": { ":db/valueType": ":db.type/ref" } })
  .with([{ ":db/id": -1, "person/name": "Ivan", "person/friend": -2 }, { ":db/id": -2, "person/name": "Petr" }]);
const rows = db.q("[:find ?n ?f :where [?e :person/name ?n] [?e :person/friend ?x] [?x :person/name ?f]]");
if (JSON.stringify(rows) !== '[["Ivan","Petr"]]') throw new Error("unexpected result " + JSON.stringify(rows));
console.log(`pack-check: import * as d from "datalite" works (${d.engineStats().variant} build): ${JSON.stringify(rows)}`);
JS
node check.mjs
DATALITE_THREADS=1 node check.mjs
# The command-line tool, as `npx datalite` runs it from the installed package.
node -e 'import("datalite").then(async (d) => { const c = await d.connect({ store: { backend: "file", path: "cli-db" } }); await c.transact([{ "a/b": 1 }]); await c.close(); })'
npx --no-install datalite --version
npx --no-install datalite query cli-db '[:find ?v . :where [_ :a/b ?v]]' --format edn | grep -qx 1
echo "pack-check: npx datalite works"
