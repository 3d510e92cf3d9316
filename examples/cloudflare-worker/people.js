// A small, deterministic "people" database shared by the build step and the
// tests: the same input always gives the same snapshot and the same answers.
export const SCHEMA = `{:person/email   {:db/unique :db.unique/identity}
                       :person/friends {:db/valueType :db.type/ref :db/cardinality :db.cardinality/many}
                       :person/city    {:db/index true}}`;

export const FIRST = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "John", "Margaret", "Ken"];
export const LAST = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Backus", "Hamilton", "Thompson"];
export const CITIES = ["London", "Paris", "Berlin", "Lisbon", "Oslo"];

// Person i as plain data; friends are indices of other people.
export function person(i, n) {
  const friends = [...new Set([(i + 1) % n, (i * 7 + 3) % n])].filter((j) => j !== i);
  return {
    name: `${FIRST[i % FIRST.length]} ${LAST[Math.floor(i / FIRST.length) % LAST.length]}`,
    email: `person${i}@example.org`,
    age: 18 + ((i * 37) % 63),
    city: CITIES[((i * i + 3 * i) % 11) % CITIES.length],
    friends,
  };
}

export function people(n = 500) {
  return Array.from({ length: n }, (_, i) => person(i, n));
}

// Transaction data for datalite: one map per person, tempids for the refs.
export function peopleTx(n = 500) {
  return people(n).map((p, i) => ({
    ":db/id": `p${i}`,
    "person/name": p.name,
    "person/email": p.email,
    "person/age": p.age,
    "person/city": p.city,
    "person/friends": p.friends.map((j) => `p${j}`),
  }));
}
