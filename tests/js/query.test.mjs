// API.md section 5, query language: find specs, :keys, :with, aggregates,
// inputs, predicates and functions, not/or/rules, explain.
import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import { d, assertCode, peopleConnection, sorted } from "./support/helpers.mjs";

await d.init({ threads: false });

let db;  // Ivan 30 (red, friends Petr and Olga), Petr 25 (blue, friend Olga), Olga 41 (red)
before(async () => {
  db = (await peopleConnection()).db();
});

describe("find specs", () => {
  test("relation: an array of row arrays (a set: no duplicates)", () => {
    assert.deepEqual(sorted(db.q("[:find ?n ?a :where [?e :person/name ?n] [?e :person/age ?a]]")),
      [["Ivan", 30], ["Olga", 41], ["Petr", 25]]);
    assert.deepEqual(db.q("[:find ?c :where [_ :person/color ?c]]").sort(), [[":color/blue"], [":color/red"]]);
  });

  test("collection [?x ...]: a flat array", () => {
    assert.deepEqual(db.q("[:find [?n ...] :where [_ :person/name ?n]]").sort(), ["Ivan", "Olga", "Petr"]);
  });

  test("tuple [?x ?y]: one row or null", () => {
    assert.deepEqual(db.q("[:find [?n ?a] :where [?e :person/name ?n] [?e :person/age ?a] [(= ?n \"Petr\")]]"), ["Petr", 25]);
    assert.equal(db.q("[:find [?n ?a] :where [?e :person/name ?n] [?e :person/age ?a] [(= ?n \"Nobody\")]]"), null);
  });

  test("scalar ?x .: one value or null", () => {
    assert.equal(db.q("[:find ?a . :where [?e :person/name \"Olga\"] [?e :person/age ?a]]"), 41);
    assert.equal(db.q("[:find ?a . :where [?e :person/name \"Nobody\"] [?e :person/age ?a]]"), null);
  });

  test("pull expressions in :find", () => {
    assert.deepEqual(db.q("[:find (pull ?e [:person/name {:person/friend [:person/name]}]) . :where [?e :person/name \"Petr\"]]"),
      { ":person/name": "Petr", ":person/friend": [{ ":person/name": "Olga" }] });
    const rows = db.q("[:find ?a (pull ?e [:person/name]) :where [?e :person/age ?a] [(< ?a 40)]]");
    assert.deepEqual(sorted(rows), [[25, { ":person/name": "Petr" }], [30, { ":person/name": "Ivan" }]]);
    assert.deepEqual(db.q("[:find (pull ?e ?pattern) . :in $ ?pattern :where [?e :person/name \"Olga\"]]", [d.kw(":person/age")]),
      { ":person/age": 41 });
  });

  test("a pull pattern passed as a query input may be an EDN string", () => {
      assert.deepEqual(db.q("[:find (pull ?e ?pattern) . :in $ ?pattern :where [?e :person/name \"Olga\"]]", "[:person/age]"),
        { ":person/age": 41 });
    });

  test(":keys, :strs and :syms rows are objects with bare keys", () => {
    const query = (kind) => `[:find ?n ?a ${kind} name age :where [?e :person/name ?n] [?e :person/age ?a] [(> ?a 35)]]`;
    assert.deepEqual(db.q(query(":keys")), [{ name: "Olga", age: 41 }]);
    assert.deepEqual(db.q(query(":strs")), [{ name: "Olga", age: 41 }]);
    assert.deepEqual(db.q(query(":syms")), [{ name: "Olga", age: 41 }]);
    assert.deepEqual(db.q("[:find [?n ?a] :keys n a :where [?e :person/name ?n] [?e :person/age 25] [?e :person/age ?a]]"),
      { n: "Petr", a: 25 });
  });

  test(":with keeps rows that only differ in the :with variables", () => {
    assert.deepEqual(db.q("[:find [?c ...] :where [_ :person/color ?c]]").length, 2);
    assert.deepEqual(db.q("[:find (count ?c) . :with ?e :where [?e :person/color ?c]]"), 3);
    assert.deepEqual(db.q("[:find (count ?c) . :where [?e :person/color ?c]]"), 2);
    assert.deepEqual(sorted(db.q("[:find ?c :with ?e :where [?e :person/color ?c]]")), [[":color/blue"], [":color/red"]]);
  });
});

describe("aggregates", () => {
  const nums = [[1, 10], [2, 20], [3, 20], [4, 30], [5, 70]];
  const agg = (expr) => d.q(`[:find ${expr} . :with ?id :in [[?id ?x]]]`, nums);

  test("count, count-distinct, sum, avg, min, max, median", () => {
    assert.equal(agg("(count ?x)"), 5);
    assert.equal(agg("(count-distinct ?x)"), 4);
    assert.equal(agg("(sum ?x)"), 150);
    assert.equal(agg("(avg ?x)"), 30);
    assert.equal(agg("(min ?x)"), 10);
    assert.equal(agg("(max ?x)"), 70);
    assert.equal(agg("(median ?x)"), 20);
  });

  test("variance and stddev", () => {
    // mean 30; squared deviations 400 100 100 0 1600 -> population variance 440
    assert.equal(agg("(variance ?x)"), 440);
    assert.ok(Math.abs(agg("(stddev ?x)") - Math.sqrt(440)) < 1e-9);
  });

  test("distinct, (min n ?x), (max n ?x)", () => {
    assert.deepEqual(agg("(distinct ?x)").sort((a, b) => a - b), [10, 20, 30, 70]);
    assert.deepEqual(agg("(min 2 ?x)"), [10, 20]);
    assert.deepEqual(agg("(max 2 ?x)"), [30, 70]);  // DataScript sorts both ascending
  });

  test("rand and sample pick from the values", () => {
    const values = new Set(nums.map(([, x]) => x));
    assert.ok(values.has(agg("(rand ?x)")));
    const sample = agg("(sample 2 ?x)");
    assert.equal(sample.length, 2);
    for (const x of sample) assert.ok(values.has(x));
  });

  test("aggregates group by the other find variables", () => {
    assert.deepEqual(sorted(db.q("[:find ?c (count ?e) (max ?a) :where [?e :person/color ?c] [?e :person/age ?a]]")),
      [[":color/blue", 1, 25], [":color/red", 2, 41]]);
  });

  test("aggregates over a db with min/max of strings", () => {
    assert.deepEqual(db.q("[:find [(min ?n) (max ?n)] :where [_ :person/name ?n]]"), ["Ivan", "Petr"]);
  });
});

describe("inputs", () => {
  test("scalar inputs", () => {
    assert.deepEqual(db.q("[:find [?n ...] :in $ ?min :where [?e :person/age ?a] [(>= ?a ?min)] [?e :person/name ?n]]", 30).sort(),
      ["Ivan", "Olga"]);
  });

  test("tuple inputs [?a ?b]", () => {
    assert.equal(db.q("[:find ?e . :in $ [?n ?a] :where [?e :person/name ?n] [?e :person/age ?a]]", ["Petr", 25]),
      db.entid(["person/name", "Petr"]));
  });

  test("collection inputs [?x ...]", () => {
    assert.deepEqual(db.q("[:find [?a ...] :in $ [?n ...] :where [?e :person/name ?n] [?e :person/age ?a]]", ["Ivan", "Olga", "Zed"]).sort(),
      [30, 41]);
  });

  test("relation inputs [[?a ?b]]", () => {
    const rows = db.q("[:find ?n ?score :in $ [[?n ?score]] :where [?e :person/name ?n]]", [["Ivan", 1.5], ["Zed", 2]]);
    assert.deepEqual(rows, [["Ivan", 1.5]]);
  });

  test("several sources: $ and $2 (and named $h)", () => {
    const other = d.emptyDb().with([{ "likes/name": "Ivan", "likes/food": "soup" }, { "likes/name": "Olga", "likes/food": "tea" }]);
    const query = `[:find ?n ?food ?a :in $ $2 :where [$ ?e :person/name ?n] [$ ?e :person/age ?a]
                                           [$2 ?x :likes/name ?n] [$2 ?x :likes/food ?food]]`;
    assert.deepEqual(sorted(d.q(query, db, other)), [["Ivan", "soup", 30], ["Olga", "tea", 41]]);
    assert.deepEqual(sorted(db.q(query, other)), [["Ivan", "soup", 30], ["Olga", "tea", 41]]);
    assert.deepEqual(d.q("[:find [?food ...] :in $h :where [$h _ :likes/food ?food]]", other).sort(), ["soup", "tea"]);
  });

  test("a plain collection as a source", () => {
    const tuples = [[1, ":a", "x"], [2, ":a", "y"]];
    assert.deepEqual(d.q("[:find [?v ...] :in $ :where [_ _ ?v]]", tuples).sort(), ["x", "y"]);
  });

  test("rules % as an EDN string, including recursive rules", () => {
    const rules = `[[(friend ?a ?b) [?a :person/friend ?b]]
                    [(reach ?a ?b) (friend ?a ?b)]
                    [(reach ?a ?b) (friend ?a ?x) (reach ?x ?b)]]`;
    const reach = (name) => db.q(`[:find [?n ...] :in $ % ?start :where [?s :person/name ?start] (reach ?s ?e) [?e :person/name ?n]]`,
      rules, name).sort();
    assert.deepEqual(reach("Ivan"), ["Olga", "Petr"]);
    assert.deepEqual(reach("Petr"), ["Olga"]);
    assert.deepEqual(reach("Olga"), []);
  });

  test("recursive rules terminate on cycles", () => {
    const cyclic = d.emptyDb({ next: { "db/valueType": "db.type/ref" } })
      .with([{ "db/id": 1, "next": 2 }, { "db/id": 2, "next": 3 }, { "db/id": 3, "next": 1 }]);
    const rules = "[[(linked ?a ?b) [?a :next ?b]] [(linked ?a ?b) [?a :next ?x] (linked ?x ?b)]]";
    assert.deepEqual(cyclic.q("[:find [?b ...] :in $ % :where (linked 1 ?b)]", rules).sort(), [1, 2, 3]);
  });

  test("kw() inputs are keywords; plain strings are strings", () => {
    const query = "[:find [?n ...] :in $ ?c :where [?e :person/color ?c] [?e :person/name ?n]]";
    assert.deepEqual(db.q(query, d.kw(":color/red")).sort(), ["Ivan", "Olga"]);
    assert.deepEqual(db.q(query, ":color/red"), []);
    assert.equal(db.q("[:find ?n . :in $ ?attr :where [?e ?attr 25] [?e :person/name ?n]]", d.kw("person/age")), "Petr");
  });

  test("uuid() and Date inputs", () => {
    const id = "0e1f2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
    const withIds = d.emptyDb({ "u/id": { "db/valueType": "db.type/uuid" }, "u/at": { "db/valueType": "db.type/instant" } })
      .with([{ "u/id": id, "u/at": new Date("2020-01-01T00:00:00Z") }]);
    assert.equal(withIds.q("[:find ?e . :in $ ?id :where [?e :u/id ?id]]", d.uuid(id)), 1);
    assert.deepEqual(withIds.q("[:find [?e ...] :in $ ?t :where [?e :u/at ?at] [(< ?at ?t)]]", new Date("2021-01-01T00:00:00Z")), [1]);
    assert.deepEqual(withIds.q("[:find [?e ...] :in $ ?t :where [?e :u/at ?at] [(< ?at ?t)]]", new Date("2019-01-01T00:00:00Z")), []);
  });

  test("a wrong number of inputs is invalid-input", () => {
    assertCode(() => db.q("[:find ?x :in $ ?x :where [?e :person/age ?x]]"), "invalid-input", /:in/);
  });
});

describe("where clauses", () => {
  test("patterns with _, constants, lookup refs and idents in entity and value position", () => {
    assert.equal(db.q("[:find ?a . :where [[:person/name \"Petr\"] :person/age ?a]]"), 25);
    assert.deepEqual(db.q("[:find [?n ...] :where [?e :person/friend [:person/name \"Olga\"]] [?e :person/name ?n]]").sort(), ["Ivan", "Petr"]);
    const withIdent = d.emptyDb({ color: { "db/valueType": "db.type/ref" } })
      .with([{ "db/ident": ":red" }, { "name": "car", "color": ":red" }]);
    assert.equal(withIdent.q("[:find ?n . :where [?e :color :red] [?e :name ?n]]"), "car");
    assert.equal(withIdent.q("[:find ?i . :where [:red :db/ident ?i]]"), ":red");
  });

  test("comparison predicates and arithmetic functions", () => {
    assert.deepEqual(db.q("[:find [?n ...] :where [?e :person/age ?a] [(< 26 ?a 35)] [?e :person/name ?n]]"), ["Ivan"]);
    assert.deepEqual(db.q("[:find ?r . :where [(+ 1 2 3) ?s] [(* ?s 2) ?p] [(- ?p 2) ?m] [(/ ?m 5) ?r]]"), 2);
    assert.deepEqual(db.q("[:find [?q ?r ?m ?i ?d] :where [(quot 17 5) ?q] [(rem -17 5) ?r] [(mod -17 5) ?m] [(inc 1) ?i] [(dec 1) ?d]]"),
      [3, -2, 3, 2, 0]);
    assert.equal(db.q("[:find ?x . :where [(/ 1 2) ?x]]"), 0.5);
    assert.equal(db.q("[:find ?x . :where [(not= 1 2)] [(compare 1 2) ?x]]"), -1);
  });

  test("string functions: str, subs, re-find, re-matches, clojure.string/*", () => {
    // EDN has no regex literal: patterns come from re-pattern (EDN strings escape the backslash)
    const one = (expr) => db.q(String.raw`[:find ?x . :where [(ground "Hello World") ?s] [(re-pattern "W\\w+") ?w]
                                   [(re-pattern "(\\w+) (\\w+)") ?two] [(re-pattern " ") ?space] [${expr} ?x]]`);
    assert.equal(one("(str ?s \"!\" 1)"), "Hello World!1");
    assert.equal(one("(subs ?s 6)"), "World");
    assert.equal(one("(subs ?s 0 5)"), "Hello");
    assert.equal(one("(re-find ?w ?s)"), "World");
    assert.deepEqual(one("(re-matches ?two ?s)"), ["Hello World", "Hello", "World"]);
    assert.equal(one("(clojure.string/lower-case ?s)"), "hello world");
    assert.equal(one("(clojure.string/upper-case ?s)"), "HELLO WORLD");
    assert.equal(one("(clojure.string/join \"-\" [1 2 3])"), "1-2-3");
    assert.deepEqual(one("(clojure.string/split ?s ?space)"), ["Hello", "World"]);
    assert.equal(one("(clojure.string/trim \"  x  \")"), "x");
    assert.deepEqual(db.q("[:find [?n ...] :where [_ :person/name ?n] [(clojure.string/starts-with? ?n \"O\")]]"), ["Olga"]);
    assert.deepEqual(db.q("[:find [?n ...] :where [_ :person/name ?n] [(clojure.string/includes? ?n \"et\")]]"), ["Petr"]);
  });

  test("keyword, name, namespace", () => {
    assert.deepEqual(db.q("[:find [?k ?n ?ns] :where [(keyword \"a\" \"b\") ?k] [(name ?k) ?n] [(namespace ?k) ?ns]]"),
      [":a/b", "b", "a"]);
  });

  test("ground, identity, tuple, untuple, vector, list, count", () => {
    assert.deepEqual(db.q("[:find [?a ?b] :where [(ground [1 2]) [?a ?b]]]"), [1, 2]);
    assert.deepEqual(db.q("[:find ?t . :where [(ground 1) ?a] [(identity ?a) ?b] [(tuple ?a ?b \"c\") ?t]]"), [1, 1, "c"]);
    assert.deepEqual(db.q("[:find [?x ?y] :where [(ground [7 8]) ?t] [(untuple ?t) [?x ?y]]]"), [7, 8]);
    assert.deepEqual(db.q("[:find ?v . :where [(vector 1 2) ?v]]"), [1, 2]);
    assert.deepEqual(db.q("[:find ?v . :where [(list 1 2) ?v]]"), [1, 2]);
    assert.equal(db.q("[:find ?c . :where [(count \"four\") ?c]]"), 4);
    assert.deepEqual(db.q("[:find [?x ...] :where [(ground [3 1 2]) [?x ...]]]").sort(), [1, 2, 3]);
    assert.deepEqual(sorted(db.q("[:find ?x ?y :where [(ground [[1 :a] [2 :b]]) [[?x ?y]]]]")), [[1, ":a"], [2, ":b"]]);
  });

  test("get-else, get-some, missing?", () => {
    const fresh = db.with([{ "person/name": "Zed" }]);
    assert.deepEqual(sorted(fresh.q("[:find ?n ?a :where [?e :person/name ?n] [(get-else $ ?e :person/age -1) ?a]]")),
      [["Ivan", 30], ["Olga", 41], ["Petr", 25], ["Zed", -1]]);
    assert.deepEqual(fresh.q("[:find [?n ...] :where [?e :person/name ?n] [(missing? $ ?e :person/age)]]"), ["Zed"]);
    assert.deepEqual(fresh.q("[:find [?attr ?v] :where [?e :person/name \"Petr\"] [(get-some $ ?e :person/nick :person/age) [?attr ?v]]]"),
      [":person/age", 25]);
  });

  test("not and not-join", () => {
    assert.deepEqual(db.q("[:find [?n ...] :where [?e :person/name ?n] (not [?e :person/color :color/red])]"), ["Petr"]);
    assert.deepEqual(db.q("[:find [?n ...] :where [?e :person/name ?n] (not-join [?e] [?e :person/friend ?f])]"), ["Olga"]);
  });

  test("or, or-join and and", () => {
    assert.deepEqual(db.q(`[:find [?n ...] :where [?e :person/name ?n]
                                (or [?e :person/color :color/blue] [?e :person/age 41])]`).sort(), ["Olga", "Petr"]);
    assert.deepEqual(db.q(`[:find [?n ...] :where [?e :person/name ?n]
                                (or-join [?e] [?e :person/friend ?f] [?x :person/friend ?e])]`).sort(), ["Ivan", "Olga", "Petr"]);
    assert.deepEqual(db.q(`[:find [?n ...] :where [?e :person/name ?n]
                                (or-join [?e]
                                    (and [?e :person/color :color/red] [?e :person/age ?a] [(< ?a 35)])
                                    [?e :person/age 25])]`).sort(), ["Ivan", "Petr"]);
  });

  test("queries over the history db see retracted datoms with added=false", async () => {
    const conn = await peopleConnection();
    await conn.transact([[":db/add", ["person/name", "Petr"], "person/age", 26]]);
    const rows = conn.db().history().q(`[:find ?a ?added :where [?e :person/name "Petr"] [?e :person/age ?a _ ?added]]`);
    assert.deepEqual(sorted(rows), [[25, false], [25, true], [26, true]]);
  });
});

describe("d.q and explain", () => {
  test("d.q(query, db, ...inputs) is the DataScript free function; a db is not required", () => {
    assert.equal(d.q("[:find ?a . :in $ ?n :where [?e :person/name ?n] [?e :person/age ?a]]", db, "Ivan"), 30);
    assert.deepEqual(d.q("[:find [?x ...] :in [?x ...] :where [(odd? ?x)]]", [1, 2, 3]).sort(), [1, 3]);
    assert.equal(d.q("[:find ?x . :in ?x]", "scalar"), "scalar");
  });

  test("explain returns the chosen plan as data", () => {
    const plan = db.explain("[:find ?n :in $ ?min :where [?e :person/age ?a] [(>= ?a ?min)] [?e :person/name ?n]]", 30);
    assert.equal(typeof plan, "object");
    assert.ok(Array.isArray(plan[":steps"]));
    assert.ok(plan[":steps"].length >= 3);
    for (const step of plan[":steps"]) assert.equal(typeof step[":op"], "string");
    assert.ok(plan[":steps"].some((s) => s[":op"] === ":predicate"));
    const attrs = plan[":steps"].map((s) => s[":clause"]).flat().filter((x) => typeof x === "string" && x.startsWith(":person/"));
    assert.deepEqual(attrs.sort(), [":person/age", ":person/name"]);
  });
});
