// The queries both examples must answer, with the answers worked out in
// plain JS from the same people.js the app loads (not by datalite).
import assert from "node:assert/strict";
import { getQuery, get } from "./harness.mjs";

const sortRows = (rows) => [...rows].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));

export function queryCases(people) {
  const n = people.length;
  const byCity = {};
  for (const p of people) byCity[p.city] = (byCity[p.city] ?? 0) + 1;
  // Everyone reachable from person 0 through one or more friend links.
  const reach = new Set();
  const todo = [...people[0].friends];
  while (todo.length) {
    const j = todo.pop();
    if (reach.has(j)) continue;
    reach.add(j);
    todo.push(...people[j].friends);
  }
  const seniors = people.map((p) => p.age).filter((a) => a >= 65);
  return [
    {
      name: "count (scalar find)",
      query: "[:find (count ?p) . :where [?p :person/email]]",
      expect: n,
    },
    {
      name: "lookup by unique email with an :in input",
      query: "[:find ?name . :in $ ?email :where [?p :person/email ?email] [?p :person/name ?name]]",
      args: ["person7@example.org"],
      expect: people[7].name,
    },
    {
      name: "group by city (relation find)",
      query: "[:find ?city (count ?p) :where [?p :person/city ?city]]",
      expect: sortRows(Object.entries(byCity)),
      normalize: sortRows,
    },
    {
      name: "join through refs (collection find)",
      query: "[:find [?fe ...] :in $ ?email :where [?p :person/email ?email] [?p :person/friends ?f] [?f :person/email ?fe]]",
      args: ["person10@example.org"],
      expect: people[10].friends.map((j) => people[j].email).sort(),
      normalize: (v) => [...v].sort(),
    },
    {
      name: "predicate and aggregates",
      query: "[:find (count ?p) (min ?a) (max ?a) :where [?p :person/age ?a] [(>= ?a 65)]]",
      expect: [[seniors.length, Math.min(...seniors), Math.max(...seniors)]],
    },
    {
      name: "recursive rule passed as an input",
      slow: true,
      query: "[:find (count ?e) . :in $ % ?start :where (reaches ?start ?p) [?p :person/email ?e]]",
      args: [
        "[[(reaches ?a ?b) [?a :person/friends ?b]] [(reaches ?a ?b) [?a :person/friends ?x] (reaches ?x ?b)]]",
        ["person/email", "person0@example.org"],
      ],
      expect: reach.size,
    },
    {
      name: "tuple find with a string input",
      query: "[:find [?name ?age] :in $ ?email :where [?p :person/email ?email] [?p :person/name ?name] [?p :person/age ?age]]",
      args: ["person499@example.org"],
      expect: [people[499].name, people[499].age],
    },
  ];
}

// Bad requests: each must be a 400 with this error code.
export const BAD_REQUESTS = [
  { name: "unterminated vector", query: "[:find ?n :where [?p :person/name ?n]", code: "parse-error" },
  { name: "not a query", query: "42", code: "parse-error" },
  { name: "unbound :find variable", query: "[:find ?x :where [?p :person/name ?n]]", code: "parse-error" },
  { name: "missing input", query: "[:find ?n :in $ ?e :where [?p :person/email ?e] [?p :person/name ?n]]", code: "invalid-input" },
  { name: "no query parameter", query: undefined, code: "invalid-input" },
  { name: "args not JSON", query: "[:find ?n :where [_ :person/name ?n]]", args: "[oops", code: "invalid-input" },
];

export async function checkCase(server, c) {
  const res = await getQuery(server, c.query, c.args);
  assert.equal(res.status, 200, `${c.name}: ${JSON.stringify(res.body)}`);
  const got = c.normalize ? c.normalize(res.body.result) : res.body.result;
  assert.deepEqual(got, c.expect, c.name);
  return res;
}

export async function checkBadRequest(server, c) {
  const res = await getQuery(server, c.query, c.args);
  assert.equal(res.status, 400, `${c.name}: ${res.status} ${JSON.stringify(res.body)}`);
  assert.equal(typeof res.body?.error?.code, "string", `${c.name}: error.code in ${JSON.stringify(res.body)}`);
  assert.equal(typeof res.body.error.message, "string");
  assert.ok(res.body.error.message.length > 0);
  assert.equal(res.body.error.code, c.code, `${c.name}: ${res.body.error.message}`);
  return res;
}

// The whole suite against one running server: answers, 400s, and the same
// isolate answering right after each failure, many requests at once.
export function defineServerTests(test, getServer, people) {
  const cases = queryCases(people);
  let isolate;

  test("GET / reports the single-threaded engine and the loaded db", async () => {
    const res = await get(getServer(), "/");
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.engine, "st");
    assert.ok(res.body.datoms >= people.length * 4, `datoms ${res.body.datoms}`);
    isolate = res.headers.get("x-datalite-isolate");
    assert.ok(isolate);
  });

  for (const c of cases) {
    test(`query: ${c.name}`, async () => {
      await checkCase(getServer(), c);
    });
  }

  for (const bad of BAD_REQUESTS) {
    test(`400 then a good answer: ${bad.name}`, async () => {
      const server = getServer();
      const res = await checkBadRequest(server, bad);
      const ok = await checkCase(server, cases[1]);
      // Same isolate, engine not reloaded: the error left it serving.
      assert.equal(ok.headers.get("x-datalite-isolate"), res.headers.get("x-datalite-isolate"));
      assert.equal(ok.headers.get("x-datalite-isolate"), isolate);
      assert.equal(ok.headers.get("x-datalite-loads"), "1");
    });
  }

  test("unknown route is a 404 with an error body", async () => {
    const res = await get(getServer(), "/nope");
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, "not-found");
  });

  test("100 requests in flight, good and bad mixed, all answered", async () => {
    const server = getServer();
    // (without the recursive rule: it is compute-bound, ~0.3-1 s a request here)
    const quick = cases.filter((c) => !c.slow);
    const jobs = [];
    for (let i = 0; i < 100; i++) {
      jobs.push(i % 5 === 4 ? checkBadRequest(server, BAD_REQUESTS[i % BAD_REQUESTS.length]) : checkCase(server, quick[i % quick.length]));
    }
    const all = await Promise.all(jobs);
    for (const res of all) assert.equal(res.headers.get("x-datalite-isolate"), isolate);
  });
}
